//! The meeting and recording reads of the Open API: get_meeting, list_meetings_by_no and
//! get_recording, over every reservation's meetings (in progress and ended), for callers who
//! may act on the reservation.

use feishu_vc_model::{
    ErrorCode, GetMeetingData, GetRecordingData, ListMeetingsByNoData, ListMeetingsByNoRequest,
    Meeting, MeetingId, MeetingNo, MeetingRecording, Timestamp, UserIdType,
};

use crate::answer::{Failure, Outcome, data};
use crate::auth::state::Caller;
use crate::meetings::state::ActiveMeeting;
use crate::reserves::rules::may_act;
use crate::reserves::state::Reservation;
use crate::shared::Shared;

/// list_by_no's page size unless one is given (默认值20).
const DEFAULT_PAGE_SIZE: i64 = 20;

fn no_such_meeting() -> Failure {
    Failure::new(ErrorCode::MeetingNotExist, "meeting not exist")
}

/// The page token of the page starting at `offset`: opaque to callers, checked when given back.
fn page_token(offset: usize) -> String {
    format!("emu-{offset}")
}

fn offset_of(token: Option<&str>) -> Result<usize, Failure> {
    match token.filter(|t| !t.is_empty()) {
        None => Ok(0),
        Some(t) => t
            .strip_prefix("emu-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| Failure::field("page_token", "is not a page token this list gave")),
    }
}

impl Shared {
    /// The reservation and meeting with this meeting id.
    fn held<'s>(
        reservations: impl Iterator<Item = &'s Reservation>,
        meeting_id: &str,
    ) -> Option<(&'s Reservation, &'s ActiveMeeting)> {
        reservations
            .flat_map(|r| r.meetings().map(move |m| (r, m)))
            .find(|(_, m)| m.id == meeting_id)
    }

    /// get_meeting: one meeting by id, in progress or ended.
    pub(crate) fn get_meeting(
        &self,
        caller: &Caller,
        meeting_id: &str,
        kind: UserIdType,
        with_participants: bool,
        now: i64,
    ) -> Outcome {
        let state = self.lock();
        let (r, m) = Self::held(state.reservations.values().map(AsRef::as_ref), meeting_id)
            .ok_or_else(no_such_meeting)?;
        may_act(caller, r)?;
        let shown = r.render_held(
            m,
            now,
            &self.directory,
            &self.hosts,
            kind,
            with_participants,
        );
        data(GetMeetingData::default().set_meeting(shown))
    }

    /// list_meetings_by_no: the meetings held under a number that started in the window, the
    /// caller's only, oldest first, a page at a time.
    pub(crate) fn list_meetings_by_no(
        &self,
        caller: &Caller,
        request: &ListMeetingsByNoRequest,
    ) -> Outcome {
        let offset = offset_of(request.page_token.as_deref())?;
        let size = usize::try_from(request.page_size.unwrap_or(DEFAULT_PAGE_SIZE)).unwrap_or(1);
        let (from, to) = (
            request.start_time.unix_seconds(),
            request.end_time.unix_seconds(),
        );
        let state = self.lock();
        let mut found: Vec<(i64, Meeting)> = Vec::new();
        for r in state.reservations.values() {
            if r.meeting_no() != request.meeting_no.as_str() || may_act(caller, r).is_err() {
                continue;
            }
            for m in r.meetings() {
                if (from..=to).contains(&m.start_time) {
                    found.push((m.start_time, brief(r, m, &self.hosts)));
                }
            }
        }
        // Stable: meetings that started in the same second stay in the order they were held.
        found.sort_by_key(|(start, _)| *start);
        let page: Vec<Meeting> = found
            .iter()
            .skip(offset)
            .take(size)
            .map(|(_, m)| m.clone())
            .collect();
        let next = offset + page.len();
        let mut answer = ListMeetingsByNoData::default();
        answer.has_more = Some(next < found.len());
        if next < found.len() {
            answer.page_token = Some(page_token(next));
        }
        answer.meeting_briefs = Some(page);
        data(answer)
    }

    /// get_recording: the recording of a meeting once ready; 124002 while a recording of it is
    /// being made or generated; 121004 for a meeting never recorded.
    pub(crate) fn get_recording(&self, caller: &Caller, meeting_id: &str) -> Outcome {
        let state = self.lock();
        let (r, m) = Self::held(state.reservations.values().map(AsRef::as_ref), meeting_id)
            .ok_or_else(no_such_meeting)?;
        may_act(caller, r)?;
        match &m.recording {
            Some(ready) => {
                let mut recording = MeetingRecording::default();
                recording.meeting_id = Some(MeetingId::new(&m.id));
                recording.url = Some(ready.url.clone());
                recording.duration = Some(ready.duration_ms);
                data(GetRecordingData::default().set_recording(recording))
            }
            None if m.recorded || m.recording_since.is_some() => Err(Failure::new(
                ErrorCode::RecordProcessing,
                "record processing",
            )),
            None => Err(Failure::not_found()),
        }
    }
}

/// A meeting as list_by_no lists it: id, topic, number, link, start and end.
fn brief(r: &Reservation, m: &ActiveMeeting, hosts: &crate::hosts::Hosts) -> Meeting {
    let mut brief = Meeting::default();
    brief.id = Some(MeetingId::new(&m.id));
    brief.topic = r.settings.topic.clone();
    brief.meeting_no = Some(MeetingNo::new(r.meeting_no()));
    brief.url = Some(r.url(hosts));
    brief.start_time = Some(Timestamp::from_unix_seconds(m.start_time));
    brief.end_time = m.end_time.map(Timestamp::from_unix_seconds);
    brief
}
