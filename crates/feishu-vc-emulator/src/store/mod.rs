//! The state in memory and its durable copy in SQLite.

pub(crate) mod memory;
pub(crate) mod sqlite;
pub(crate) mod writer;
