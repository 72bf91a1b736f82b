//! A calendar event as stored: on whose calendar, when, its video meeting and its attendees.

use feishu_vc_model::{
    CalendarAttendeeAbility, CalendarAttendeeType, CalendarEventVisibility, CalendarFreeBusyStatus,
    CalendarTimeInfo, CalendarVchat,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Whose primary calendar: an app's in a tenant (the bot's, for tenant tokens) or a user's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Owner {
    App { app_id: String, tenant_key: String },
    User { open_id: String, tenant_key: String },
}

impl Owner {
    pub(crate) fn tenant_key(&self) -> &str {
        match self {
            Self::App { tenant_key, .. } | Self::User { tenant_key, .. } => tenant_key,
        }
    }

    /// The id of this owner's primary calendar: stable, so it is the same after a restart, and
    /// shaped like Lark's (`feishu.cn_…@group.calendar.feishu.cn`).
    pub(crate) fn calendar_id(&self) -> String {
        let seed = match self {
            Self::App { app_id, tenant_key } => format!("app\0{app_id}\0{tenant_key}"),
            Self::User { open_id, .. } => format!("user\0{open_id}"),
        };
        let digest = Sha256::digest(seed.as_bytes());
        let hex: String = digest[..11].iter().map(|b| format!("{b:02x}")).collect();
        format!("feishu.cn_{hex}@group.calendar.feishu.cn")
    }
}

/// Someone or something invited to an event.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Attendee {
    /// The attendee's id on the event (`user_1`, `chat_2`, ...).
    pub(crate) attendee_id: String,
    pub(crate) kind: CalendarAttendeeType,
    /// An open id for a user; the chat, room or e-mail as given otherwise.
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) is_optional: bool,
}

/// An event on a calendar.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StoredEvent {
    pub(crate) id: String,
    pub(crate) calendar_id: String,
    /// The calendar's owner: the event's organizer.
    pub(crate) organizer: Owner,
    /// The app that created it (idempotency keys are unique per app and calendar).
    pub(crate) app_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) idempotency_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) start_time: CalendarTimeInfo,
    pub(crate) end_time: CalendarTimeInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) vchat: Option<CalendarVchat>,
    pub(crate) visibility: CalendarEventVisibility,
    pub(crate) attendee_ability: CalendarAttendeeAbility,
    pub(crate) free_busy_status: CalendarFreeBusyStatus,
    pub(crate) need_notification: bool,
    #[serde(default)]
    pub(crate) attendees: Vec<Attendee>,
    pub(crate) create_time: i64,
    /// How many patches succeeded.
    #[serde(default)]
    pub(crate) updates: u32,
    /// Deleted events are kept, so that a call on one answers 193003 (deleted), not 193001.
    #[serde(default)]
    pub(crate) deleted: bool,
}

impl StoredEvent {
    /// Whether `kind` `id` is invited already.
    pub(crate) fn invites(&self, kind: &CalendarAttendeeType, id: &str) -> bool {
        self.attendees.iter().any(|a| &a.kind == kind && a.id == id)
    }
}
