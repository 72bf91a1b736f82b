//! The tools' arguments, with the JSON schemas the tool list shows (through schemars).

use rmcp::schemars::JsonSchema;
use serde::Deserialize;

/// Arguments of `book_meeting`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct BookArgs {
    /// Idempotency key: the same key again returns the first booking and books nothing, even
    /// when the call is repeated later with a relative end_time (`+2h` is then read from the
    /// first call's time). Absent, it is derived from owner_id, topic and end_time as written,
    /// so a repeated call books once; give a key of your own to book two meetings alike.
    #[serde(default)]
    pub key: Option<String>,
    /// Meeting topic.
    #[serde(default)]
    pub topic: Option<String>,
    /// Reservation expiry: ISO 8601 (2026-11-24T10:00:00+08:00), unix seconds, or relative to now
    /// (+90m, +2h, +7d); at most 30 days ahead.
    #[serde(default)]
    pub end_time: Option<String>,
    /// Meeting password: empty for none, or 4 to 9 digits; absent lets the owner's settings decide.
    #[serde(default)]
    pub password: Option<String>,
    /// Meeting owner (open_id); required with the app's tenant token unless the server has a
    /// default owner.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// Validate and show what would be booked, sending nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A reservation, by id.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ReservationArgs {
    /// The reservation id (not the meeting number).
    pub reserve_id: String,
    /// Validate and show what would be done, sending nothing (ignored by reading tools).
    #[serde(default)]
    pub dry_run: bool,
}

/// Arguments of `renew_reservation`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct RenewArgs {
    /// The reservation id.
    pub reserve_id: String,
    /// The new expiry: ISO 8601, unix seconds or relative (+2h); at most 30 days ahead.
    pub end_time: String,
    /// Validate and show what would be done, sending nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Arguments of `update_reservation`: what is given changes, what is absent stays.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct UpdateArgs {
    /// The reservation id.
    pub reserve_id: String,
    /// The new meeting topic.
    #[serde(default)]
    pub topic: Option<String>,
    /// The new meeting password: empty for none, or 4 to 9 digits.
    #[serde(default)]
    pub password: Option<String>,
    /// The new expiry: ISO 8601, unix seconds or relative (+2h); at most 30 days ahead.
    #[serde(default)]
    pub end_time: Option<String>,
    /// Validate and show what would be done, sending nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Arguments of `active_meeting`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct MeetingArgs {
    /// The reservation id.
    pub reserve_id: String,
    /// Include who is in the meeting (off unless true).
    #[serde(default)]
    pub with_participants: bool,
}

/// Arguments of `meeting_report`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ReportArgs {
    /// The reservation id (booked through this server's ledger).
    pub reserve_id: String,
}
