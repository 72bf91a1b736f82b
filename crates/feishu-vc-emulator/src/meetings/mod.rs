//! Meetings of reservations: their state, the steps made in them, and the events each step pushes.

pub(crate) mod events;
pub(crate) mod http;
pub(crate) mod lookup;
pub(crate) mod recording;
pub(crate) mod rules;
pub(crate) mod state;
