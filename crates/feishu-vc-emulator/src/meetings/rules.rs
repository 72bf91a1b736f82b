//! Meetings of reservations and what happens in them: start, join, leave, screen share,
//! recording, end. Each step changes the reservation's meeting and pushes the matching
//! `vc.meeting.*` event (built by `meetings/events.rs`, carried by `events/`), in the order the
//! steps happen. The control routes that call these live in `control/http.rs`.

use feishu_vc_model::events::Event;
use feishu_vc_model::{Meeting, UserIdType};

use crate::control::types::{LeaveReason, MeetingSpec, ParticipantSpec, RecordingFile};
use crate::error::Error;
use crate::ids;
use crate::meetings::events::Happened;
use crate::meetings::state::{ActiveMeeting, Participant, ReadyRecording};
use crate::reserves::state::Reservation;
use crate::shared::Shared;

/// `leave_reason` when the meeting ended.
const LEFT_AS_MEETING_ENDED: i64 = 2;

fn step_refused(reserve_id: &str, reason: impl Into<String>) -> Error {
    Error::MeetingStep {
        reserve_id: reserve_id.to_owned(),
        reason: reason.into(),
    }
}

fn in_progress<'m>(
    r: &'m mut Reservation,
    reserve_id: &str,
) -> Result<&'m mut ActiveMeeting, Error> {
    r.meeting
        .as_mut()
        .ok_or_else(|| Error::NoMeetingInProgress(reserve_id.to_owned()))
}

/// The meeting in progress, once `id` (given as `given`) is checked to be in it.
fn with_participant<'m>(
    r: &'m mut Reservation,
    reserve_id: &str,
    id: &str,
    given: &str,
) -> Result<&'m mut ActiveMeeting, Error> {
    let m = in_progress(r, reserve_id)?;
    if m.participant(id).is_none() {
        return Err(step_refused(
            reserve_id,
            format!("`{given}` is not in the meeting"),
        ));
    }
    Ok(m)
}

/// Ends a recording under way, if any, and says so.
pub(crate) fn stop_recording(
    h: &mut Happened<'_>,
    m: &mut ActiveMeeting,
    by: &str,
    now: i64,
) -> bool {
    let Some(since) = m.recording_since.take() else {
        return false;
    };
    m.recorded_seconds += (now - since).max(0);
    m.recorded = true;
    h.operator("vc.meeting.recording_ended_v1", m, by);
    true
}

/// Ends a screen share under way, if any, and says so.
fn stop_share(h: &mut Happened<'_>, m: &mut ActiveMeeting) -> bool {
    let Some(sharer) = m.sharer.take() else {
        return false;
    };
    h.operator("vc.meeting.share_ended_v1", m, &sharer);
    true
}

impl Shared {
    /// The stored form of an id: the open id of a directory user, anything else as given.
    fn canonical(&self, id: &str) -> String {
        self.directory
            .find_any(id)
            .map_or_else(|| id.to_owned(), |u| u.open_id().to_owned())
    }

    /// Runs one step on a reservation under the state lock, queues the events it produced (so
    /// that they keep the order of the steps), and waits for the change to be persisted.
    pub(crate) async fn step<T>(
        &self,
        reserve_id: &str,
        f: impl FnOnce(&mut Reservation, &mut Happened<'_>, i64) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let now = self.now().unix_seconds();
        let (version, out) = {
            let mut state = self.lock();
            let r = state
                .reservation_mut(reserve_id)
                .ok_or_else(|| Error::UnknownReservation(reserve_id.to_owned()))?;
            let mut happened = Happened::new(&self.directory, r);
            let out = f(r, &mut happened, now)?;
            for (event_type, body) in happened.events {
                match Event::from_json(event_type, &body.to_string()) {
                    Ok(event) => {
                        self.events
                            .push(&event, &r.app_id, &r.tenant_key, now.saturating_mul(1000))
                    }
                    Err(e) => {
                        tracing::error!(event_type, error = %e, "event does not fit the model")
                    }
                }
            }
            (state.touch(), out)
        };
        self.commit_control(version).await?;
        Ok(out)
    }

    /// The meeting in progress as get_active_meeting shows it (open ids, participants).
    fn shown(&self, r: &Reservation, now: i64) -> Meeting {
        r.render_meeting(now, &self.directory, &self.hosts, UserIdType::OpenId, true)
            .unwrap_or_default()
    }

    /// Starts the meeting of a live reservation: `meeting_started`, then a `join_meeting` for
    /// each participant.
    pub(crate) async fn start_meeting(
        &self,
        reserve_id: &str,
        spec: &MeetingSpec,
    ) -> Result<Meeting, Error> {
        self.step(reserve_id, |r, h, now| {
            if !r.is_live(now) {
                return Err(Error::ReservationExpired(reserve_id.to_owned()));
            }
            if r.meeting.is_some() {
                return Err(Error::MeetingInProgress(reserve_id.to_owned()));
            }
            let host = spec
                .host_id
                .as_deref()
                .map_or_else(|| r.owner.clone(), |id| self.canonical(id));
            let mut participants: Vec<Participant> = Vec::new();
            for p in &spec.participants {
                let id = self.canonical(&p.id);
                if participants.iter().any(|q| q.id == id) {
                    continue;
                }
                let is_host = id == host;
                participants.push(Participant::joining(
                    id,
                    p.user_type,
                    is_host,
                    p.is_cohost,
                    now,
                ));
            }
            if !participants.iter().any(|p| p.is_host) {
                participants.insert(0, Participant::joining(host.clone(), 1, true, false, now));
            }
            let m = ActiveMeeting::new(ids::id_19(), now, participants);
            h.operator("vc.meeting.meeting_started_v1", &m, &host);
            for p in &m.participants {
                h.operator("vc.meeting.join_meeting_v1", &m, &p.id);
            }
            r.meeting = Some(m);
            Ok(self.shown(r, now))
        })
        .await
    }

    /// Ends the meeting in progress: a share or recording under way ends, everyone still in it
    /// leaves (reason 2), then `meeting_ended`.
    pub(crate) async fn end_meeting(&self, reserve_id: &str) -> Result<(), Error> {
        self.step(reserve_id, |r, h, now| {
            let mut m = r
                .meeting
                .take()
                .ok_or_else(|| Error::NoMeetingInProgress(reserve_id.to_owned()))?;
            let chair = h.chair(&m);
            stop_share(h, &mut m);
            stop_recording(h, &mut m, &chair, now);
            m.end_time = Some(now);
            for p in &m.participants {
                h.leave(&m, &p.id, &chair, LEFT_AS_MEETING_ENDED);
            }
            h.operator("vc.meeting.meeting_ended_v1", &m, &chair);
            for mut p in std::mem::take(&mut m.participants) {
                p.leave(now);
                m.departed.push(p);
            }
            r.last_meeting = None;
            r.past_meetings.push(m);
            Ok(())
        })
        .await
    }

    /// Someone joins the meeting in progress.
    pub(crate) async fn join_meeting(
        &self,
        reserve_id: &str,
        spec: &ParticipantSpec,
    ) -> Result<Meeting, Error> {
        let id = self.canonical(&spec.id);
        self.step(reserve_id, |r, h, now| {
            let m = in_progress(r, reserve_id)?;
            if m.participant(&id).is_some() {
                return Err(step_refused(
                    reserve_id,
                    format!("`{}` is already in the meeting", spec.id),
                ));
            }
            // Someone coming back keeps their first join and the time they were already in.
            match m.departed.iter().position(|p| p.id == id) {
                Some(i) => {
                    let mut back = m.departed.remove(i);
                    back.rejoin(now);
                    m.participants.push(back);
                }
                None => {
                    m.participants.push(Participant::joining(
                        id.clone(),
                        spec.user_type,
                        false,
                        spec.is_cohost,
                        now,
                    ));
                    m.accumulated += 1;
                }
            }
            h.operator("vc.meeting.join_meeting_v1", m, &id);
            Ok(self.shown(r, now))
        })
        .await
    }

    /// Someone leaves the meeting in progress (ending their screen share, if any).
    pub(crate) async fn leave_meeting(
        &self,
        reserve_id: &str,
        user_id: &str,
        reason: LeaveReason,
    ) -> Result<Meeting, Error> {
        let id = self.canonical(user_id);
        self.step(reserve_id, |r, h, now| {
            let m = with_participant(r, reserve_id, &id, user_id)?;
            if m.sharer.as_deref() == Some(id.as_str()) {
                stop_share(h, m);
            }
            let operator = match reason {
                LeaveReason::Removed => h.chair(m),
                _ => id.clone(),
            };
            h.leave(m, &id, &operator, reason.value());
            if let Some(i) = m.participants.iter().position(|p| p.id == id) {
                let mut gone = m.participants.remove(i);
                gone.leave(now);
                m.departed.push(gone);
            }
            Ok(self.shown(r, now))
        })
        .await
    }

    /// A participant starts sharing their screen.
    pub(crate) async fn start_screen_share(
        &self,
        reserve_id: &str,
        user_id: &str,
    ) -> Result<Meeting, Error> {
        let id = self.canonical(user_id);
        self.step(reserve_id, |r, h, now| {
            let m = with_participant(r, reserve_id, &id, user_id)?;
            if let Some(sharer) = &m.sharer {
                return Err(step_refused(
                    reserve_id,
                    format!("`{sharer}` is already sharing a screen"),
                ));
            }
            m.sharer = Some(id.clone());
            m.shared = true;
            h.operator("vc.meeting.share_started_v1", m, &id);
            Ok(self.shown(r, now))
        })
        .await
    }

    /// The screen share under way ends.
    pub(crate) async fn end_screen_share(&self, reserve_id: &str) -> Result<Meeting, Error> {
        self.step(reserve_id, |r, h, now| {
            let m = in_progress(r, reserve_id)?;
            if !stop_share(h, m) {
                return Err(step_refused(reserve_id, "nobody is sharing a screen"));
            }
            Ok(self.shown(r, now))
        })
        .await
    }

    /// Recording starts, by `by` (the host unless given; they must be in the meeting).
    pub(crate) async fn start_recording(
        &self,
        reserve_id: &str,
        by: Option<&str>,
    ) -> Result<Meeting, Error> {
        let by = by.map(|id| (id, self.canonical(id)));
        self.step(reserve_id, |r, h, now| {
            let (m, operator) = match &by {
                Some((given, id)) => (with_participant(r, reserve_id, id, given)?, id.clone()),
                None => {
                    let m = in_progress(r, reserve_id)?;
                    let chair = h.chair(m);
                    (m, chair)
                }
            };
            if m.recording_since.is_some() {
                return Err(step_refused(
                    reserve_id,
                    "the meeting is already being recorded",
                ));
            }
            m.recording_since = Some(now);
            h.operator("vc.meeting.recording_started_v1", m, &operator);
            Ok(self.shown(r, now))
        })
        .await
    }

    /// The recording under way ends (the host is the operator).
    pub(crate) async fn end_recording(&self, reserve_id: &str) -> Result<Meeting, Error> {
        self.step(reserve_id, |r, h, now| {
            let m = in_progress(r, reserve_id)?;
            let chair = h.chair(m);
            if !stop_recording(h, m, &chair, now) {
                return Err(step_refused(
                    reserve_id,
                    "the meeting is not being recorded",
                ));
            }
            Ok(self.shown(r, now))
        })
        .await
    }

    /// The recording of the meeting in progress, or else of the last one, becomes ready (once
    /// per recording that has ended): `recording_ready` with its link and length.
    pub(crate) async fn recording_ready(
        &self,
        reserve_id: &str,
        url: Option<String>,
    ) -> Result<RecordingFile, Error> {
        let meetings_host = self.hosts.meetings;
        self.step(reserve_id, |r, h, _now| {
            let last = match r.past_meetings.last_mut() {
                Some(m) => Some(m),
                None => r.last_meeting.as_mut(),
            };
            let m = match (&mut r.meeting, last) {
                (Some(m), _) if m.recorded => m,
                (_, Some(m)) if m.recorded => m,
                _ => {
                    return Err(step_refused(
                        reserve_id,
                        "no recording has ended since the last one became ready",
                    ));
                }
            };
            let file = RecordingFile {
                url: url
                    .unwrap_or_else(|| format!("{meetings_host}/minutes/obcn{}", ids::live_code())),
                duration_ms: m.recorded_seconds.saturating_mul(1000),
            };
            m.recorded = false;
            m.recorded_seconds = 0;
            m.recording = Some(ReadyRecording {
                url: file.url.clone(),
                duration_ms: file.duration_ms,
            });
            h.recording_ready(m, &file);
            Ok(file)
        })
        .await
    }
}
