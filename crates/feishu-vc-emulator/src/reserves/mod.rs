//! Reservations: their state, the five Open API operations and their routes.

pub(crate) mod http;
pub(crate) mod rules;
pub(crate) mod state;
