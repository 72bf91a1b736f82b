//! Tests against a real `redis-server` started by the tests themselves (see `support`), and the
//! emulator behind a counting proxy.

mod dedup;
mod fleet;
mod outage;
mod stores;
mod support;
mod tickets;
mod users;
