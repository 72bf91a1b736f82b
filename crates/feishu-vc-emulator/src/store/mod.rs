//! The state in memory and its durable copy in SQLite.

pub(crate) mod memory;
