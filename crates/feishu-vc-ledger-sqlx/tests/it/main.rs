//! The SQL stores against the conformance suite and their own promises: SQLite in memory and in
//! files, PostgreSQL on a real server started by the tests (see `feishu_vc_ledger_sqlx::testing`).

mod postgres;
mod sqlite;
mod support;
mod upgrade;
