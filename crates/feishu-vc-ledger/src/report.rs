//! The attendance report of a reservation: the meetings held under its number while it was
//! booked, each with its start, end and length, who was in it for how long, and its recording.

use feishu_vc::model::{ErrorCode, Meeting, MeetingId, MeetingNo, ReserveId, Timestamp};
use futures_util::StreamExt;
use serde::Serialize;

use crate::error::LedgerError;
use crate::ledger::{BookError, Ledger};

/// What [`Ledger::report`] found for one reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AttendanceReport {
    /// The reservation.
    pub reserve_id: String,
    /// Its meeting number.
    pub meeting_no: String,
    /// The window searched, unix seconds: from its booking to its end (or now, if sooner).
    pub from: i64,
    /// The window's end, unix seconds.
    pub to: i64,
    /// Its meetings, oldest first.
    pub meetings: Vec<HeldMeeting>,
}

/// One meeting of a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HeldMeeting {
    /// The meeting id.
    pub meeting_id: String,
    /// When it started, unix seconds.
    pub start_time: Option<i64>,
    /// When it ended, unix seconds (absent while it runs).
    pub end_time: Option<i64>,
    /// Its length in seconds: to its end, or to now while it runs.
    pub duration_seconds: Option<i64>,
    /// Who was in it, by first join.
    pub participants: Vec<Attendance>,
    /// Its recording.
    pub recording: RecordingStatus,
}

/// One participant of a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Attendance {
    /// Their user id (of the client's user_id_type), or the id Feishu gives an external one.
    pub user_id: Option<String>,
    /// When they first joined, unix seconds.
    pub first_join_time: Option<i64>,
    /// When they last left, unix seconds (absent while they are in it).
    pub final_leave_time: Option<i64>,
    /// Seconds in the meeting, as Feishu counts them.
    pub seconds_in_meeting: Option<i64>,
    /// Whether they hosted it.
    pub is_host: bool,
}

/// Where a meeting's recording is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordingStatus {
    /// Ready to watch.
    Ready {
        /// Its link.
        url: String,
        /// Its length in milliseconds.
        duration_ms: Option<i64>,
    },
    /// Being made or generated (124002): ask again later.
    Processing,
    /// The meeting was not recorded.
    None,
}

fn seconds(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::unix_seconds)
}

impl Ledger {
    /// The attendance report of a reservation booked through this ledger: the meetings held
    /// under its number from its booking until it ended (or now), found with list_by_no, each
    /// read with its participants and its recording. Needs the client's token to read meetings
    /// (`vc:meeting:readonly`) and recordings (`vc:record:readonly`).
    pub async fn report(&self, reserve_id: &ReserveId) -> Result<AttendanceReport, BookError> {
        self.report_of_meetings(reserve_id, Vec::new()).await
    }

    /// [`Ledger::report`] of the meetings already known to have been held under the
    /// reservation, such as those its `vc.meeting.meeting_started_v1` events named (tie them to
    /// the reservation with [`crate::LedgerLookup`]): each is read by id, and list_by_no (100
    /// calls a minute) is not asked. With no meeting given, it is [`Ledger::report`].
    pub async fn report_of_meetings(
        &self,
        reserve_id: &ReserveId,
        seen: Vec<MeetingId>,
    ) -> Result<AttendanceReport, BookError> {
        let record = self.recorded(reserve_id).await?;
        let meeting_no = record
            .meeting_no
            .clone()
            .ok_or_else(|| LedgerError::WrongState {
                key: record.key().clone(),
                state: record.state,
                expected: "booked (a meeting number to report on)",
            })?;
        let now = self.now();
        let from = record.booked_at.unwrap_or(record.intent.created_at);
        let until = record.ended_at.unwrap_or(record.end_time);
        let to = if until < now { until } else { now }.max(from);
        let client = self.client();
        let ids = if seen.is_empty() {
            self.held_under(&meeting_no, from, to).await?
        } else {
            let mut once = std::collections::HashSet::new();
            seen.into_iter()
                .filter(|id| once.insert(id.as_str().to_owned()))
                .collect()
        };
        let mut meetings = Vec::new();
        for id in ids {
            let meeting = client
                .meetings()
                .get(id.clone())
                .set_with_participants(true)
                .await
                .map_err(BookError::Sdk)?
                .data;
            let recording = match client.recordings().get(id.clone()).await {
                Ok(answer) => match answer.data.url {
                    Some(url) => RecordingStatus::Ready {
                        url,
                        duration_ms: answer.data.duration,
                    },
                    None => RecordingStatus::Processing,
                },
                Err(e) if e.code() == Some(ErrorCode::RecordProcessing) => {
                    RecordingStatus::Processing
                }
                Err(e) if e.code() == Some(ErrorCode::DataNotExist) => RecordingStatus::None,
                Err(e) => return Err(BookError::Sdk(e)),
            };
            meetings.push(held(id.as_str(), &meeting, recording, now));
        }
        meetings.sort_by_key(|m| m.start_time);
        Ok(AttendanceReport {
            reserve_id: reserve_id.as_str().to_owned(),
            meeting_no: meeting_no.as_str().to_owned(),
            from: from.unix_seconds(),
            to: to.unix_seconds(),
            meetings,
        })
    }
}

impl Ledger {
    /// The ids of the meetings held under `meeting_no` that started between `from` and `to`,
    /// every page of list_by_no.
    async fn held_under(
        &self,
        meeting_no: &MeetingNo,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<MeetingId>, BookError> {
        let briefs = self
            .client()
            .meetings()
            .list_by_no(meeting_no.clone(), from, to)
            .set_page_size(feishu_vc::validate::MAX_PAGE_SIZE)
            .into_stream();
        let mut briefs = std::pin::pin!(briefs);
        let mut ids = Vec::new();
        while let Some(brief) = briefs.next().await {
            if let Some(id) = brief.map_err(BookError::Sdk)?.id {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}

fn held(id: &str, meeting: &Meeting, recording: RecordingStatus, now: Timestamp) -> HeldMeeting {
    let start = seconds(meeting.start_time);
    let end = seconds(meeting.end_time);
    let mut participants: Vec<Attendance> = meeting
        .participants
        .iter()
        .flatten()
        .map(|p| Attendance {
            user_id: p.id.as_ref().map(|i| i.as_str().to_owned()),
            first_join_time: seconds(p.first_join_time),
            final_leave_time: seconds(p.final_leave_time),
            seconds_in_meeting: p.in_meeting_duration,
            is_host: p.is_host == Some(true),
        })
        .collect();
    participants.sort_by_key(|p| p.first_join_time);
    HeldMeeting {
        meeting_id: id.to_owned(),
        start_time: start,
        end_time: end,
        duration_seconds: start.map(|s| end.unwrap_or(now.unix_seconds()) - s),
        participants,
        recording,
    }
}
