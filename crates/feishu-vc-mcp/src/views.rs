//! What the tools answer, with the output schemas the tool list shows. Nothing here carries a
//! meeting password, a token or a secret.

use feishu_vc::model::{IntEnum, Meeting, MeetingParticipant};
use feishu_vc_ledger::{AttendanceReport, HeldMeeting, Record, RecordingStatus, State};
use rmcp::schemars::JsonSchema;
use serde::Serialize;

/// A reservation as the ledger knows it. Never carries the meeting password.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ReservationView {
    /// The idempotency key it was booked under.
    pub key: String,
    /// Where the reservation stands in the ledger: booked; unknown (it may or may not exist on
    /// Feishu: ask the user to check); refused; deleted, expired or gone (ended); pending or
    /// sending (not answered yet).
    #[schemars(schema_with = "state_schema")]
    pub state: String,
    /// The reservation id, once booked.
    pub reserve_id: Option<String>,
    /// The 9-digit meeting number, once booked.
    pub meeting_no: Option<String>,
    /// The meeting link, when known.
    pub url: Option<String>,
    /// Expiry, unix seconds.
    pub end_time: i64,
    /// Why it was refused or its outcome is unknown.
    pub note: Option<String>,
}

/// What `book_meeting` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct Booking {
    /// True for a dry run: nothing was sent.
    pub dry_run: bool,
    /// The idempotency key the booking is (or would be) recorded under: the one given, or the
    /// one derived from the arguments.
    pub key: String,
    /// The reservation (absent for a dry run).
    pub reservation: Option<ReservationView>,
}

/// The ledger's reservations.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ReservationList {
    /// Oldest first.
    pub reservations: Vec<ReservationView>,
}

/// What `active_meeting` found.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ActiveMeeting {
    /// The meeting in progress; absent when none is.
    pub meeting: Option<MeetingView>,
}

/// A meeting in progress. Never carries the meeting password.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct MeetingView {
    /// The meeting id (not the meeting number).
    pub id: Option<String>,
    /// Its topic.
    pub topic: Option<String>,
    /// The 9-digit meeting number.
    pub meeting_no: Option<String>,
    /// The link to join it.
    pub url: Option<String>,
    /// When it started, unix seconds.
    pub start_time: Option<i64>,
    /// When it ended, unix seconds (absent while it runs).
    pub end_time: Option<i64>,
    /// Calling, OnTheCall or Ended; unknown(N) for a status this version does not know.
    pub status: Option<String>,
    /// How many are in it now.
    pub participant_count: Option<i64>,
    /// Who is in it (only with with_participants).
    pub participants: Option<Vec<ParticipantView>>,
}

/// Someone in a meeting.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ParticipantView {
    /// Their user id.
    pub id: Option<String>,
    /// Whether they host the meeting.
    pub is_host: Option<bool>,
    /// When they first joined, unix seconds.
    pub first_join_time: Option<i64>,
    /// When they last left, unix seconds (absent while they are in it).
    pub final_leave_time: Option<i64>,
    /// Seconds in the meeting so far, as Feishu counts them.
    pub in_meeting_duration: Option<i64>,
}

/// The ledger's states, listed from the ledger itself so a new one shows in the snapshot.
fn state_schema(_: &mut rmcp::schemars::SchemaGenerator) -> rmcp::schemars::Schema {
    let names: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
    let mut schema = serde_json::Map::new();
    schema.insert("type".to_owned(), "string".into());
    schema.insert("enum".to_owned(), names.into());
    schema.into()
}

pub(crate) fn view(record: &Record) -> ReservationView {
    ReservationView {
        key: record.key().as_str().to_owned(),
        state: record.state.as_str().to_owned(),
        reserve_id: record.reserve_id.as_ref().map(|r| r.as_str().to_owned()),
        meeting_no: record.meeting_no.as_ref().map(|m| m.as_str().to_owned()),
        url: record.url.clone(),
        end_time: record.end_time.unix_seconds(),
        note: record.refusal.as_ref().map(|r| r.message.clone()),
    }
}

/// The schema's name of an enum value, or `unknown(N)`.
fn name_of<E: IntEnum>(value: E) -> String {
    let n = value.value();
    E::known_values()
        .iter()
        .find(|(known, _)| *known == n)
        .map_or_else(|| format!("unknown({n})"), |(_, name)| (*name).to_owned())
}

pub(crate) fn meeting_view(meeting: &Meeting) -> MeetingView {
    MeetingView {
        id: meeting.id.as_ref().map(|i| i.as_str().to_owned()),
        topic: meeting.topic.clone(),
        meeting_no: meeting.meeting_no.as_ref().map(|m| m.as_str().to_owned()),
        url: meeting.url.clone(),
        start_time: meeting.start_time.map(|t| t.unix_seconds()),
        end_time: meeting.end_time.map(|t| t.unix_seconds()),
        status: meeting.status.map(name_of),
        participant_count: meeting.participant_count,
        participants: meeting
            .participants
            .as_ref()
            .map(|all| all.iter().map(participant_view).collect()),
    }
}

fn participant_view(p: &MeetingParticipant) -> ParticipantView {
    ParticipantView {
        id: p.id.as_ref().map(|i| i.as_str().to_owned()),
        is_host: p.is_host,
        first_join_time: p.first_join_time.map(|t| t.unix_seconds()),
        final_leave_time: p.final_leave_time.map(|t| t.unix_seconds()),
        in_meeting_duration: p.in_meeting_duration,
    }
}

/// What `meeting_report` found: the meetings a reservation held, oldest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ReportView {
    /// The reservation.
    pub reserve_id: String,
    /// Its meeting number.
    pub meeting_no: String,
    /// Its meetings, oldest first.
    pub meetings: Vec<HeldMeetingView>,
}

/// One meeting of the report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct HeldMeetingView {
    /// The meeting id.
    pub meeting_id: String,
    /// When it started, unix seconds.
    pub start_time: Option<i64>,
    /// When it ended, unix seconds (absent while it runs).
    pub end_time: Option<i64>,
    /// Its length in seconds (so far, while it runs).
    pub duration_seconds: Option<i64>,
    /// Who was in it, by first join.
    pub participants: Vec<ParticipantView>,
    /// ready, processing or none.
    #[schemars(schema_with = "recording_schema")]
    pub recording: String,
    /// The recording's link, once ready.
    pub recording_url: Option<String>,
}

fn recording_schema(_: &mut rmcp::schemars::SchemaGenerator) -> rmcp::schemars::Schema {
    let mut schema = serde_json::Map::new();
    schema.insert("type".to_owned(), "string".into());
    schema.insert(
        "enum".to_owned(),
        vec!["ready", "processing", "none"].into(),
    );
    schema.into()
}

pub(crate) fn report_view(report: &AttendanceReport) -> ReportView {
    ReportView {
        reserve_id: report.reserve_id.clone(),
        meeting_no: report.meeting_no.clone(),
        meetings: report.meetings.iter().map(held_view).collect(),
    }
}

fn held_view(m: &HeldMeeting) -> HeldMeetingView {
    let (recording, recording_url) = match &m.recording {
        RecordingStatus::Ready { url, .. } => ("ready", Some(url.clone())),
        RecordingStatus::Processing => ("processing", None),
        _ => ("none", None),
    };
    HeldMeetingView {
        meeting_id: m.meeting_id.clone(),
        start_time: m.start_time,
        end_time: m.end_time,
        duration_seconds: m.duration_seconds,
        participants: m
            .participants
            .iter()
            .map(|p| ParticipantView {
                id: p.user_id.clone(),
                is_host: Some(p.is_host),
                first_join_time: p.first_join_time,
                final_leave_time: p.final_leave_time,
                in_meeting_duration: p.seconds_in_meeting,
            })
            .collect(),
        recording: recording.to_owned(),
        recording_url,
    }
}
