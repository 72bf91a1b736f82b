//! What the emulator remembers: reservations, their meetings, tokens; and how it is shown.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::RangeInclusive;
use std::sync::Arc;

use feishu_vc_model::{
    ExpireStatus, Meeting, MeetingAbility, MeetingId, MeetingNo, MeetingParticipant, MeetingStatus,
    MeetingUser, ParticipantStatus, Password, Reserve, ReserveId, ReserveMeetingSetting, Timestamp,
    UserId, UserIdType, UserType,
};
use serde::{Deserialize, Serialize};

use crate::config::DirectoryUser;
use crate::hosts::Hosts;

/// The users the emulator knows, found by any of their ids.
#[derive(Debug)]
pub(crate) struct Directory {
    users: Vec<DirectoryUser>,
    by_id: [HashMap<String, usize>; 3],
}

fn slot(kind: UserIdType) -> usize {
    match kind {
        UserIdType::UnionId => 1,
        UserIdType::UserId => 2,
        _ => 0,
    }
}

impl Directory {
    pub(crate) fn new(users: Vec<DirectoryUser>) -> Self {
        let mut by_id: [HashMap<String, usize>; 3] = Default::default();
        for (i, u) in users.iter().enumerate() {
            for kind in UserIdType::ALL {
                by_id[slot(*kind)].insert(u.id(*kind).to_owned(), i);
            }
        }
        Self { users, by_id }
    }

    /// The user with this id of this kind.
    pub(crate) fn find(&self, kind: UserIdType, id: &str) -> Option<&DirectoryUser> {
        self.by_id[slot(kind)].get(id).map(|&i| &self.users[i])
    }

    /// The user with this id of any kind.
    pub(crate) fn find_any(&self, id: &str) -> Option<&DirectoryUser> {
        UserIdType::ALL.iter().find_map(|k| self.find(*k, id))
    }

    /// How a stored id (an open id for directory users, anything else as given) is shown in a
    /// call made with `kind`.
    pub(crate) fn show(&self, stored: &str, kind: UserIdType) -> UserId {
        match self.find(UserIdType::OpenId, stored) {
            Some(u) => UserId::new(u.id(kind)),
            None => UserId::new(stored),
        }
    }
}

/// Which kind of token, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Tenant,
    User,
}

/// An access token the emulator issued.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct TokenRecord {
    pub(crate) kind: Kind,
    pub(crate) app_id: String,
    pub(crate) tenant_key: String,
    /// The user's open id, for a user token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<String>,
    pub(crate) expires_at: i64,
}

/// A participant of a meeting in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Participant {
    /// An open id for directory users, else the id as given.
    pub(crate) id: String,
    pub(crate) user_type: i64,
    pub(crate) is_host: bool,
    pub(crate) is_cohost: bool,
    pub(crate) first_join_time: i64,
}

/// The meeting in progress of a reservation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ActiveMeeting {
    pub(crate) id: String,
    pub(crate) start_time: i64,
    pub(crate) participants: Vec<Participant>,
    /// Who shares their screen now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sharer: Option<String>,
    /// Whether anyone has shared their screen in this meeting.
    #[serde(default)]
    pub(crate) shared: bool,
    /// Since when it is being recorded, by the emulator's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) recording_since: Option<i64>,
    /// Seconds recorded so far (recordings that have ended).
    #[serde(default)]
    pub(crate) recorded_seconds: i64,
    /// Whether a recording has ended, so that a recording can become ready.
    #[serde(default)]
    pub(crate) recorded: bool,
    /// How many people have been in the meeting, counting each once.
    #[serde(default)]
    pub(crate) accumulated: usize,
    /// When it ended (for the last meeting of a reservation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) end_time: Option<i64>,
}

impl ActiveMeeting {
    /// A meeting starting now with these participants.
    pub(crate) fn new(id: String, start_time: i64, participants: Vec<Participant>) -> Self {
        Self {
            id,
            start_time,
            accumulated: participants.len(),
            participants,
            sharer: None,
            shared: false,
            recording_since: None,
            recorded_seconds: 0,
            recorded: false,
            end_time: None,
        }
    }

    /// The participant with this (stored) id.
    pub(crate) fn participant(&self, id: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.id == id)
    }
}

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
        let mut m = Meeting::default();
        m.id = Some(MeetingId::new(&active.id));
        m.topic = self.settings.topic.clone();
        m.url = Some(self.url(hosts));
        m.meeting_no = Some(MeetingNo::new(self.meeting_no()));
        m.password = Some(Password::digits(self.password.clone()));
        m.create_time = Some(Timestamp::from_unix_seconds(active.start_time));
        m.start_time = Some(Timestamp::from_unix_seconds(active.start_time));
        m.status = Some(MeetingStatus::OnTheCall);
        m.meeting_connect = self.settings.meeting_connect;
        if let Some(host) = active.participants.iter().find(|p| p.is_host) {
            m.host_user = Some(
                MeetingUser::default()
                    .set_id(dir.show(&host.id, kind))
                    .set_user_type(UserType::from_value(host.user_type)),
            );
        }
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        m.participant_count = Some(count(active.participants.len()));
        m.participant_count_accumulated =
            Some(count(active.accumulated.max(active.participants.len())));
        let mut ability = MeetingAbility::default();
        ability.use_audio = Some(true);
        ability.use_video = Some(true);
        ability.use_share_screen = Some(active.shared);
        ability.use_follow_screen = Some(false);
        ability.use_recording = Some(
            self.settings.auto_record == Some(true)
                || active.recorded
                || active.recording_since.is_some(),
        );
        ability.use_pstn = Some(
            active
                .participants
                .iter()
                .any(|p| p.user_type == UserType::PstnUser.value()),
        );
        m.ability = Some(ability);
        if with_participants {
            let list = active
                .participants
                .iter()
                .map(|p| {
                    let mut mp = MeetingParticipant::default();
                    mp.id = Some(dir.show(&p.id, kind));
                    mp.first_join_time = Some(Timestamp::from_unix_seconds(p.first_join_time));
                    mp.in_meeting_duration = Some((now - p.first_join_time).max(0));
                    mp.user_type = Some(UserType::from_value(p.user_type));
                    mp.is_host = Some(p.is_host);
                    mp.is_cohost = Some(p.is_cohost);
                    mp.is_external = Some(
                        dir.find(UserIdType::OpenId, &p.id)
                            .is_none_or(|u| u.tenant_key() != self.tenant_key),
                    );
                    mp.status = Some(ParticipantStatus::OnTheCall);
                    mp
                })
                .collect();
            m.participants = Some(list);
        }
        Some(m)
    }
}

/// Everything that changes, under one mutex.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Incremented by every change; the store holds every change up to the version of its last
    /// write.
    pub(crate) version: u64,
    /// Shared with the store's writer, which takes the changed ones under the lock (cheap: an
    /// `Arc` each) and serializes them outside; changes go through `Arc::make_mut`.
    pub(crate) reservations: BTreeMap<String, Arc<Reservation>>,
    pub(crate) tokens: BTreeMap<String, TokenRecord>,
    /// Meeting number → the reservation that last got it. The number is taken while that
    /// reservation is live (not expired, not deleted).
    pub(crate) holders: HashMap<u32, String>,
    /// How many applies booked a reservation, ever (deleted reservations included).
    pub(crate) applies: u64,
    /// What changed since the store's last write, when there is a store.
    changes: Option<Changed>,
}

/// The keys of the reservations and tokens that changed (or went) since the last write.
#[derive(Debug, Default)]
struct Changed {
    reservations: BTreeSet<String>,
    tokens: BTreeSet<String>,
}

/// What the store's writer takes under the lock, to write outside it: the changed rows (`None`:
/// deleted), or every live row, as of `version`.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) version: u64,
    /// Every live row: the store's log is replaced with them.
    pub(crate) full: bool,
    pub(crate) clock_offset: i64,
    pub(crate) applies: u64,
    pub(crate) reservations: Vec<(String, Option<Arc<Reservation>>)>,
    pub(crate) tokens: Vec<(String, Option<TokenRecord>)>,
}

impl State {
    /// The state read from a store (or an older state file), with changes tracked for the store
    /// from now on when `track` is set.
    pub(crate) fn loaded(
        reservations: impl IntoIterator<Item = Reservation>,
        tokens: BTreeMap<String, TokenRecord>,
        applies: u64,
        track: bool,
    ) -> Self {
        let mut state = Self {
            version: 0,
            applies,
            reservations: reservations
                .into_iter()
                .map(|r| (r.id.clone(), Arc::new(r)))
                .collect(),
            tokens,
            holders: HashMap::new(),
            changes: track.then(Changed::default),
        };
        // Of several reservations that had a number, the latest to expire holds it: at most one
        // of them is live.
        for r in state.reservations.values() {
            let replace = match state.holders.get(&r.meeting_no) {
                None => true,
                Some(other) => state
                    .reservations
                    .get(other)
                    .is_none_or(|o| o.end_time < r.end_time),
            };
            if replace {
                state.holders.insert(r.meeting_no, r.id.clone());
            }
        }
        state
    }

    /// Takes what changed since the last call, for the store to write; with `full`, every live
    /// row instead (to replace the store's log with).
    pub(crate) fn take_batch(&mut self, clock_offset: i64, full: bool) -> Batch {
        let mut changed = self
            .changes
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        if full {
            changed = Changed {
                reservations: self.reservations.keys().cloned().collect(),
                tokens: self.tokens.keys().cloned().collect(),
            };
        }
        Batch {
            version: self.version,
            full,
            clock_offset,
            applies: self.applies,
            reservations: changed
                .reservations
                .into_iter()
                .map(|id| {
                    let r = self.reservations.get(&id).cloned();
                    (id, r)
                })
                .collect(),
            tokens: changed
                .tokens
                .into_iter()
                .map(|t| {
                    let record = self.tokens.get(&t).cloned();
                    (t, record)
                })
                .collect(),
        }
    }

    /// Marks the rows of a batch that could not be written as changed again, so that the next
    /// write includes them (as they are then).
    pub(crate) fn requeue(&mut self, batch: Batch) {
        if let Some(changes) = self.changes.as_mut() {
            changes
                .reservations
                .extend(batch.reservations.into_iter().map(|(id, _)| id));
            changes
                .tokens
                .extend(batch.tokens.into_iter().map(|(t, _)| t));
        }
    }

    fn changed_reservation(&mut self, id: &str) {
        if let Some(changes) = self.changes.as_mut() {
            changes.reservations.insert(id.to_owned());
        }
    }

    fn changed_token(&mut self, token: &str) {
        if let Some(changes) = self.changes.as_mut() {
            changes.tokens.insert(token.to_owned());
        }
    }

    /// Adds a reservation.
    pub(crate) fn insert_reservation(&mut self, reservation: Reservation) {
        self.changed_reservation(&reservation.id);
        self.reservations
            .insert(reservation.id.clone(), Arc::new(reservation));
    }

    /// Deletes a reservation; the meeting number it holds is free.
    pub(crate) fn remove_reservation(&mut self, id: &str) {
        if let Some(r) = self.reservations.remove(id) {
            self.changed_reservation(id);
            if self.holders.get(&r.meeting_no).is_some_and(|h| h == id) {
                self.holders.remove(&r.meeting_no);
            }
        }
    }

    /// Adds a token.
    pub(crate) fn insert_token(&mut self, token: String, record: TokenRecord) {
        self.changed_token(&token);
        self.tokens.insert(token, record);
    }

    /// A reservation to change.
    pub(crate) fn reservation_mut(&mut self, id: &str) -> Option<&mut Reservation> {
        if self.reservations.contains_key(id) {
            self.changed_reservation(id);
        }
        self.reservations.get_mut(id).map(Arc::make_mut)
    }

    /// Records a change.
    pub(crate) fn touch(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    /// The live reservation holding `no`, if any.
    pub(crate) fn holder(&self, no: u32, now: i64) -> Option<&Reservation> {
        let id = self.holders.get(&no)?;
        self.reservations
            .get(id)
            .map(Arc::as_ref)
            .filter(|r| r.is_live(now))
    }

    /// A meeting number of `pool` that no live reservation holds.
    pub(crate) fn free_meeting_no(&self, pool: &RangeInclusive<u32>, now: i64) -> Option<u32> {
        let (lo, hi) = (*pool.start(), *pool.end());
        let free = |no: u32| self.holder(no, now).is_none();
        for _ in 0..64 {
            let no = fastrand::u32(lo..=hi);
            if free(no) {
                return Some(no);
            }
        }
        // A small or crowded pool: look at every number once, from a random start.
        let size = u64::from(hi - lo) + 1;
        if size > 1 << 22 {
            return None;
        }
        let start = fastrand::u64(..size);
        (0..size)
            .map(|i| lo + u32::try_from((start + i) % size).unwrap_or(0))
            .find(|no| free(*no))
    }

    /// A reservation id no reservation has.
    pub(crate) fn fresh_reserve_id(&self) -> String {
        loop {
            let id = crate::ids::id_19();
            if !self.reservations.contains_key(&id) {
                return id;
            }
        }
    }

    /// The numbers held by live reservations, sorted.
    pub(crate) fn taken(&self, now: i64) -> Vec<u32> {
        let mut taken: Vec<u32> = self
            .holders
            .keys()
            .copied()
            .filter(|no| self.holder(*no, now).is_some())
            .collect();
        taken.sort_unstable();
        taken
    }

    /// Drops tokens that expired before `now`.
    pub(crate) fn purge_tokens(&mut self, now: i64) {
        let mut gone = Vec::new();
        self.tokens.retain(|token, t| {
            let keep = t.expires_at > now;
            if !keep {
                gone.push(token.clone());
            }
            keep
        });
        for token in gone {
            self.changed_token(&token);
        }
    }
}
