//! The types of the control API (`/_emulator/...`) and of the matching [`crate::Emulator`] methods.

use feishu_vc_model::{MeetingId, MeetingNo, ReserveId, Timestamp, UserId, UserType};
use serde::{Deserialize, Serialize};

/// A meeting to start for a reservation: who hosts it and who is in it.
///
/// As JSON (`POST /_emulator/reserves/{reserve_id}/meeting`):
/// `{"host_id": "ou_…", "participants": [{"id": "ou_…", "user_type": 1, "is_cohost": false}]}`,
/// every field optional, any other field refused (400, naming it). Ids may be open, union or user ids of the directory (they are answered in
/// the form a call's `user_id_type` asks for) or any other string (kept as given; such a
/// participant is external). The host defaults to the reservation's owner and is always a
/// participant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct MeetingSpec {
    /// The host (the reservation's owner unless set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_id: Option<String>,
    /// Who is in the meeting.
    #[serde(default)]
    pub participants: Vec<ParticipantSpec>,
}

impl MeetingSpec {
    /// A meeting hosted by the reservation's owner, alone.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the host.
    pub fn host(mut self, id: impl Into<String>) -> Self {
        self.host_id = Some(id.into());
        self
    }

    /// Adds a Lark user as a participant.
    pub fn participant(mut self, id: impl Into<String>) -> Self {
        self.participants.push(ParticipantSpec::new(id));
        self
    }

    /// Adds a participant.
    pub fn with_participant(mut self, participant: ParticipantSpec) -> Self {
        self.participants.push(participant);
        self
    }
}

/// One participant of a [`MeetingSpec`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ParticipantSpec {
    /// The participant's id.
    pub id: String,
    /// The user type (1, a Lark user, unless set).
    #[serde(default = "lark_user")]
    pub user_type: i64,
    /// Whether they are a co-host.
    #[serde(default)]
    pub is_cohost: bool,
}

fn lark_user() -> i64 {
    UserType::LarkUser.value()
}

impl ParticipantSpec {
    /// A Lark user who is not a co-host.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            user_type: lark_user(),
            is_cohost: false,
        }
    }

    /// The same participant with this user type.
    pub fn with_user_type(mut self, user_type: UserType) -> Self {
        self.user_type = user_type.value();
        self
    }

    /// The same participant as a co-host.
    pub fn cohost(mut self) -> Self {
        self.is_cohost = true;
        self
    }
}

/// What the emulator holds (`GET /_emulator/state`, [`crate::Emulator::state`]). Tokens and
/// passwords are not shown.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Snapshot {
    /// The emulator's time.
    pub now: Timestamp,
    /// How far the clock has been advanced, in seconds.
    pub clock_offset_seconds: i64,
    /// How many applies booked a reservation since the state began (deleted ones included).
    #[serde(default)]
    pub applies: u64,
    /// Every reservation, expired ones included, by id.
    pub reservations: Vec<ReservationSummary>,
    /// The meeting numbers held by live reservations, sorted: no new reservation can get them.
    pub taken_meeting_nos: Vec<MeetingNo>,
    /// How many access tokens are valid.
    pub live_tokens: usize,
    /// Every calendar event, deleted ones included, by event id.
    #[serde(default)]
    pub calendar_events: Vec<CalendarEventSummary>,
}

impl Snapshot {
    /// The reservation with this id.
    pub fn reservation(&self, id: &str) -> Option<&ReservationSummary> {
        self.reservations.iter().find(|r| r.id == id)
    }

    /// The calendar event with this id.
    pub fn calendar_event(&self, event_id: &str) -> Option<&CalendarEventSummary> {
        self.calendar_events.iter().find(|e| e.event_id == event_id)
    }

    /// Whether a live reservation holds this meeting number.
    pub fn is_taken(&self, meeting_no: &str) -> bool {
        self.taken_meeting_nos.iter().any(|n| n == meeting_no)
    }
}

/// One reservation in a [`Snapshot`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReservationSummary {
    /// The reservation id.
    pub id: ReserveId,
    /// Its meeting number (it may have gone to another reservation if this one expired).
    pub meeting_no: MeetingNo,
    /// The owner's open id.
    pub owner: UserId,
    /// The owner's tenant.
    pub tenant_key: String,
    /// The app that booked it.
    pub app_id: String,
    /// The topic.
    pub topic: Option<String>,
    /// When it expires.
    pub end_time: Timestamp,
    /// Whether it has expired by the emulator's clock.
    pub expired: bool,
    /// Whether it still holds its meeting number.
    pub holds_meeting_no: bool,
    /// The id of its meeting in progress, if any.
    pub meeting_id: Option<MeetingId>,
    /// How many updates of it succeeded (renewals included).
    #[serde(default)]
    pub updates: u32,
}

/// One calendar event in a [`Snapshot`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CalendarEventSummary {
    /// The event id.
    pub event_id: String,
    /// The calendar it is on.
    pub calendar_id: String,
    /// The app that created it.
    pub app_id: String,
    /// Its title.
    pub summary: Option<String>,
    /// When it starts (timed events).
    pub start_time: Option<Timestamp>,
    /// When it ends (timed events).
    pub end_time: Option<Timestamp>,
    /// Its video meeting's kind (`third_party`, `vc`, `no_meeting`).
    pub vc_type: Option<String>,
    /// Its video meeting's link.
    pub meeting_url: Option<String>,
    /// Who is invited: open ids for users, the chat, room or e-mail otherwise.
    pub attendees: Vec<String>,
    /// How many patches of it succeeded.
    pub updates: u32,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// Why someone left a meeting (`leave_reason` of `vc.meeting.leave_meeting_v1`). Participants
/// still in a meeting when it ends leave with reason 2 (the meeting ended) by themselves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeaveReason {
    /// 1: they left.
    #[default]
    Left,
    /// 3: they were removed (the host is the operator).
    Removed,
}

impl LeaveReason {
    /// The wire value: 1 or 3.
    pub fn value(self) -> i64 {
        match self {
            Self::Left => 1,
            Self::Removed => 3,
        }
    }

    /// The reason with this wire value (1 or 3; 2 is the emulator's own, when a meeting ends).
    pub fn from_value(value: i64) -> Option<Self> {
        match value {
            1 => Some(Self::Left),
            3 => Some(Self::Removed),
            _ => None,
        }
    }
}

/// A recording that has become ready (`vc.meeting.recording_ready_v1`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordingFile {
    /// The recording's link.
    pub url: String,
    /// How long was recorded, in milliseconds (by the emulator's time).
    pub duration_ms: i64,
}
