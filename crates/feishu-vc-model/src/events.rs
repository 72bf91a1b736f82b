//! Meeting events (`vc.meeting.*`) as Feishu delivers them, schema 2.0.
//!
//! Feishu emits these only for meetings booked through the Open API (`reserves/apply`). The body
//! of a delivery is an envelope: an [`EventHeader`] (`header`) and the event-specific object
//! (`event`), read into an [`Event`] by its `header.event_type`. An event type this crate does not
//! know is kept as [`Event::Other`] with its raw JSON, so a new Feishu event never breaks a
//! receiver.
//!
//! These types are written by hand for now; they are to be generated from `docs/schema/` with the
//! same names and shapes.

use serde::{Deserialize, Serialize};

use crate::{MeetingId, MeetingNo, SecretString, Timestamp};

/// The header of a schema 2.0 event envelope (`header`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventHeader {
    /// Unique per event: the key to deduplicate deliveries on.
    pub event_id: String,
    /// The event type, e.g. `vc.meeting.meeting_started_v1`.
    pub event_type: String,
    /// When the event was created, in milliseconds (as a string; do not assume 13 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// The app's verification token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretString>,
    /// The app (`cli_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_key: Option<String>,
}

/// All three ids of a user at once (`union_id`, `user_id`, `open_id`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MeetingEventUserId {
    /// The union id (`on_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub union_id: Option<String>,
    /// The user id (needs the `contact:user.employee_id:readonly` field scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The open id (`ou_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id: Option<String>,
}

/// A user in a meeting event (host, owner, operator, the user who left).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MeetingEventUser {
    /// The user's ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<MeetingEventUserId>,
    /// 1 participant, 2 host, 3 co-host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_role: Option<i64>,
    /// 1 Feishu user, 2 Rooms, 3 Docs, 4 Neo, 5 Neo guest, 6 PSTN, 7 SIP, 8 sharebox, 9 app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<i64>,
}

/// The meeting an event is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MeetingEventMeeting {
    /// The meeting id: exists once the meeting has started; each meeting of a reservation has its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<MeetingId>,
    /// The topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The 9-digit meeting number: the link back to the reservation (with its time window and owner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_no: Option<MeetingNo>,
    /// 1 calendar, 2 instant, 3 interview, 4 Open Platform (booked through the API), 100 other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_source: Option<i64>,
    /// Start, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// End, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    /// The host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_user: Option<MeetingEventUser>,
    /// The owner: for a booked meeting, the reservation's `owner_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<MeetingEventUser>,
    /// The calendar event id (only in meeting started/ended events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_event_id: Option<String>,
}

/// A meeting event without more than the meeting and who did it (started, ended, joined, screen
/// share and recording started/ended).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MeetingOperatorEvent {
    /// The meeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<MeetingEventMeeting>,
    /// Who did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<MeetingEventUser>,
}

/// `vc.meeting.leave_meeting_v1`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LeaveMeetingEvent {
    /// The meeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<MeetingEventMeeting>,
    /// Who did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<MeetingEventUser>,
    /// 1 left, 2 the meeting ended, 3 removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_reason: Option<i64>,
    /// Who left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_user: Option<MeetingEventUser>,
}

/// `vc.meeting.recording_ready_v1`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordingReadyEvent {
    /// The meeting (id, topic, number, source, owner only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<MeetingEventMeeting>,
    /// The recording's link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The recording's length in milliseconds, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// An event of a type this crate does not model: its type and raw JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OtherEvent {
    /// `header.event_type` (schema 2.0) or `event.type` (schema 1.0).
    pub event_type: String,
    /// The `event` object as delivered.
    pub event: serde_json::Value,
}

/// One event, by its type.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// `vc.meeting.meeting_started_v1`.
    MeetingStarted(MeetingOperatorEvent),
    /// `vc.meeting.meeting_ended_v1`.
    MeetingEnded(MeetingOperatorEvent),
    /// `vc.meeting.join_meeting_v1`.
    JoinMeeting(MeetingOperatorEvent),
    /// `vc.meeting.leave_meeting_v1`.
    LeaveMeeting(LeaveMeetingEvent),
    /// `vc.meeting.recording_started_v1`.
    RecordingStarted(MeetingOperatorEvent),
    /// `vc.meeting.recording_ended_v1`.
    RecordingEnded(MeetingOperatorEvent),
    /// `vc.meeting.recording_ready_v1`.
    RecordingReady(RecordingReadyEvent),
    /// `vc.meeting.share_started_v1`.
    ShareStarted(MeetingOperatorEvent),
    /// `vc.meeting.share_ended_v1`.
    ShareEnded(MeetingOperatorEvent),
    /// Any other event type, kept as raw JSON.
    Other(OtherEvent),
}

impl Event {
    /// Reads the `event` object of a delivery whose type is `event_type`. A type this crate does
    /// not know becomes [`Event::Other`]; a known type whose object does not fit is an error.
    pub fn from_json(event_type: &str, event: &str) -> Result<Self, serde_json::Error> {
        Ok(match event_type {
            "vc.meeting.meeting_started_v1" => Self::MeetingStarted(serde_json::from_str(event)?),
            "vc.meeting.meeting_ended_v1" => Self::MeetingEnded(serde_json::from_str(event)?),
            "vc.meeting.join_meeting_v1" => Self::JoinMeeting(serde_json::from_str(event)?),
            "vc.meeting.leave_meeting_v1" => Self::LeaveMeeting(serde_json::from_str(event)?),
            "vc.meeting.recording_started_v1" => {
                Self::RecordingStarted(serde_json::from_str(event)?)
            }
            "vc.meeting.recording_ended_v1" => Self::RecordingEnded(serde_json::from_str(event)?),
            "vc.meeting.recording_ready_v1" => Self::RecordingReady(serde_json::from_str(event)?),
            "vc.meeting.share_started_v1" => Self::ShareStarted(serde_json::from_str(event)?),
            "vc.meeting.share_ended_v1" => Self::ShareEnded(serde_json::from_str(event)?),
            other => Self::Other(OtherEvent {
                event_type: other.to_owned(),
                event: serde_json::from_str(event)?,
            }),
        })
    }

    /// The event type, as in `header.event_type`.
    pub fn event_type(&self) -> &str {
        match self {
            Self::MeetingStarted(_) => "vc.meeting.meeting_started_v1",
            Self::MeetingEnded(_) => "vc.meeting.meeting_ended_v1",
            Self::JoinMeeting(_) => "vc.meeting.join_meeting_v1",
            Self::LeaveMeeting(_) => "vc.meeting.leave_meeting_v1",
            Self::RecordingStarted(_) => "vc.meeting.recording_started_v1",
            Self::RecordingEnded(_) => "vc.meeting.recording_ended_v1",
            Self::RecordingReady(_) => "vc.meeting.recording_ready_v1",
            Self::ShareStarted(_) => "vc.meeting.share_started_v1",
            Self::ShareEnded(_) => "vc.meeting.share_ended_v1",
            Self::Other(o) => &o.event_type,
        }
    }

    /// The meeting the event is about, for the events that carry one.
    pub fn meeting(&self) -> Option<&MeetingEventMeeting> {
        match self {
            Self::MeetingStarted(e)
            | Self::MeetingEnded(e)
            | Self::JoinMeeting(e)
            | Self::RecordingStarted(e)
            | Self::RecordingEnded(e)
            | Self::ShareStarted(e)
            | Self::ShareEnded(e) => e.meeting.as_ref(),
            Self::LeaveMeeting(e) => e.meeting.as_ref(),
            Self::RecordingReady(e) => e.meeting.as_ref(),
            Self::Other(_) => None,
        }
    }

    /// The `event` object as JSON, as it would be delivered.
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            Self::MeetingStarted(e)
            | Self::MeetingEnded(e)
            | Self::JoinMeeting(e)
            | Self::RecordingStarted(e)
            | Self::RecordingEnded(e)
            | Self::ShareStarted(e)
            | Self::ShareEnded(e) => serde_json::to_value(e),
            Self::LeaveMeeting(e) => serde_json::to_value(e),
            Self::RecordingReady(e) => serde_json::to_value(e),
            Self::Other(o) => Ok(o.event.clone()),
        };
        value.unwrap_or(serde_json::Value::Null)
    }
}
