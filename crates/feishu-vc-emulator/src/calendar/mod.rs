//! Calendar v4, as much of it as a placement needs: each app's and each user's primary calendar
//! (ids derived from who owns it, nothing stored), and events on them (stored and persisted like
//! reservations): created once per idempotency key, patched, deleted (kept, marked deleted, so
//! that a second delete answers 193003), and their attendees.

pub(crate) mod http;
pub(crate) mod rules;
pub(crate) mod state;
