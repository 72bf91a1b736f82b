//! Reservations: their state, the five Open API operations and their routes.

pub(crate) mod state;
