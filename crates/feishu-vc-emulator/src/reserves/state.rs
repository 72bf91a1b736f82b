//! A reservation as stored, and how each operation shows it (the reference's subsets of
//! `Reserve`, and the meeting in progress as get_active_meeting answers it).

use feishu_vc_model::{
    ExpireStatus, Meeting, MeetingAbility, MeetingId, MeetingNo, MeetingParticipant, MeetingStatus,
    MeetingUser, ParticipantStatus, Password, Reserve, ReserveId, ReserveMeetingSetting, Timestamp,
    UserIdType, UserType,
};
use serde::{Deserialize, Serialize};

use crate::directory::Directory;
use crate::hosts::Hosts;
use crate::meetings::state::{ActiveMeeting, Participant};

/// One reservation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Reservation {
    pub(crate) id: String,
    pub(crate) meeting_no: u32,
    /// The owner's open id.
    pub(crate) owner: String,
    pub(crate) tenant_key: String,
    /// The app whose token booked it.
    pub(crate) app_id: String,
    pub(crate) create_time: i64,
    pub(crate) end_time: i64,
    /// `""`: no password.
    pub(crate) password: String,
    pub(crate) live_link: String,
    /// The settings without the password; assigned hosts by open id.
    pub(crate) settings: ReserveMeetingSetting,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) meeting: Option<ActiveMeeting>,
    /// The meeting that ended last, whose recording may still become ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_meeting: Option<ActiveMeeting>,
    /// Its meetings that ended, oldest first (the recording of the last may still become ready).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) past_meetings: Vec<ActiveMeeting>,
    /// How many updates of it succeeded.
    #[serde(default)]
    pub(crate) updates: u32,
}

/// Which operation's subset of [`Reserve`] to answer (they differ, see the reference).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Apply,
    Update,
    Get,
}

impl Reservation {
    pub(crate) fn is_live(&self, now: i64) -> bool {
        self.end_time > now
    }

    pub(crate) fn meeting_no(&self) -> String {
        format!("{:09}", self.meeting_no)
    }

    pub(crate) fn url(&self, hosts: &Hosts) -> String {
        format!("{}/j/{}", hosts.vc, self.meeting_no())
    }

    pub(crate) fn app_link(&self, hosts: &Hosts) -> String {
        format!(
            "{}/client/videochat/open?source=openplatform&action=join\
             &idtype=reservationid&id={}&preview={{?}}&mic={{?}}&speaker={{?}}&camera={{?}}",
            hosts.applink, self.id
        )
    }

    /// The reservation as `view` answers it.
    pub(crate) fn render(
        &self,
        view: View,
        now: i64,
        dir: &Directory,
        hosts: &Hosts,
        kind: UserIdType,
    ) -> Reserve {
        let mut r = Reserve::default();
        r.id = Some(ReserveId::new(&self.id));
        r.meeting_no = Some(MeetingNo::new(self.meeting_no()));
        r.password = Some(Password::digits(self.password.clone()));
        r.url = Some(self.url(hosts));
        r.live_link = Some(self.live_link.clone());
        r.end_time = Some(Timestamp::from_unix_seconds(self.end_time));
        if view != View::Update {
            r.app_link = Some(self.app_link(hosts));
        }
        if view != View::Apply {
            r.expire_status = Some(if self.is_live(now) {
                ExpireStatus::NotExpired
            } else {
                ExpireStatus::Expired
            });
        }
        if view == View::Get {
            r.reserve_user_id = Some(dir.show(&self.owner, kind));
            let mut settings = self.settings.clone();
            if let Some(hosts) = settings.assign_host_list.as_mut() {
                for host in hosts {
                    if let Some(id) = host.id.take() {
                        host.id = Some(dir.show(id.as_str(), kind));
                    }
                }
            }
            r.meeting_settings = Some(settings);
        }
        r
    }

    /// The meeting in progress, as get_active_meeting answers it.
    pub(crate) fn render_meeting(
        &self,
        now: i64,
        dir: &Directory,
        hosts: &Hosts,
        kind: UserIdType,
        with_participants: bool,
    ) -> Option<Meeting> {
        let active = self.meeting.as_ref()?;
        Some(self.render_held(active, now, dir, hosts, kind, with_participants))
    }

    /// One of its meetings, in progress or ended, as get_meeting answers it: an ended one has
    /// its end time, status Ended, and everyone who was in it with when they last left.
    pub(crate) fn render_held(
        &self,
        held: &ActiveMeeting,
        now: i64,
        dir: &Directory,
        hosts: &Hosts,
        kind: UserIdType,
        with_participants: bool,
    ) -> Meeting {
        let ended = held.end_time.is_some();
        let mut m = Meeting::default();
        m.id = Some(MeetingId::new(&held.id));
        m.topic = self.settings.topic.clone();
        m.url = Some(self.url(hosts));
        m.meeting_no = Some(MeetingNo::new(self.meeting_no()));
        m.password = Some(Password::digits(self.password.clone()));
        m.create_time = Some(Timestamp::from_unix_seconds(held.start_time));
        m.start_time = Some(Timestamp::from_unix_seconds(held.start_time));
        m.end_time = held.end_time.map(Timestamp::from_unix_seconds);
        m.status = Some(if ended {
            MeetingStatus::Ended
        } else {
            MeetingStatus::OnTheCall
        });
        m.meeting_connect = self.settings.meeting_connect;
        let everyone = held.everyone();
        if let Some(host) = everyone.iter().find(|p| p.is_host) {
            m.host_user = Some(
                MeetingUser::default()
                    .set_id(dir.show(&host.id, kind))
                    .set_user_type(UserType::from_value(host.user_type)),
            );
        }
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        m.participant_count = Some(count(held.participants.len()));
        m.participant_count_accumulated = Some(count(held.accumulated.max(everyone.len())));
        let mut ability = MeetingAbility::default();
        ability.use_audio = Some(true);
        ability.use_video = Some(true);
        ability.use_share_screen = Some(held.shared);
        ability.use_follow_screen = Some(false);
        ability.use_recording = Some(
            self.settings.auto_record == Some(true)
                || held.recorded
                || held.recording.is_some()
                || held.recording_since.is_some(),
        );
        ability.use_pstn = Some(
            everyone
                .iter()
                .any(|p| p.user_type == UserType::PstnUser.value()),
        );
        m.ability = Some(ability);
        if with_participants {
            // The meeting in progress lists who is in it; an ended one, everyone who was.
            let shown: Vec<&Participant> = if ended {
                everyone
            } else {
                held.participants.iter().collect()
            };
            let list = shown
                .into_iter()
                .map(|p| {
                    let mut mp = MeetingParticipant::default();
                    mp.id = Some(dir.show(&p.id, kind));
                    mp.first_join_time = Some(Timestamp::from_unix_seconds(p.first_join_time));
                    mp.final_leave_time = p.left_at.map(Timestamp::from_unix_seconds);
                    mp.in_meeting_duration = Some(p.seconds_in(now));
                    mp.user_type = Some(UserType::from_value(p.user_type));
                    mp.is_host = Some(p.is_host);
                    mp.is_cohost = Some(p.is_cohost);
                    mp.is_external = Some(
                        dir.find(UserIdType::OpenId, &p.id)
                            .is_none_or(|u| u.tenant_key() != self.tenant_key),
                    );
                    mp.status = Some(if p.left_at.is_some() {
                        ParticipantStatus::Idle
                    } else {
                        ParticipantStatus::OnTheCall
                    });
                    mp
                })
                .collect();
            m.participants = Some(list);
        }
        m
    }

    /// Its meetings, in progress or ended, oldest first.
    pub(crate) fn meetings(&self) -> impl Iterator<Item = &ActiveMeeting> {
        self.past_meetings
            .iter()
            .chain(
                self.last_meeting
                    .iter()
                    .filter(|_| self.past_meetings.is_empty()),
            )
            .chain(self.meeting.iter())
    }
}
