//! SQL stores for the feishu-vc reservation ledger: `SqliteLedger` (feature `sqlite`, on by
//! default), one file and no server, and `PostgresLedger` (feature `postgres`), one database
//! shared by several keepers or machines. Both implement [`feishu_vc_ledger::LedgerStore`] with
//! the same statements, on [sqlx](https://docs.rs/sqlx), and create or migrate their schema when
//! they connect (the migrations are embedded in the binary).
//!
//! ```no_run
//! # #[cfg(feature = "sqlite")]
//! # async fn run() -> Result<(), feishu_vc_ledger::LedgerError> {
//! use std::sync::Arc;
//! use feishu_vc_ledger::{LedgerStore, RecordFilter};
//! use feishu_vc_ledger_sqlx::SqliteLedger;
//!
//! let store: Arc<dyn LedgerStore> = Arc::new(SqliteLedger::open("ledger.sqlite3").await?);
//! for record in store.list(&RecordFilter::all()).await? {
//!     println!("{} {}", record.key(), record.state);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every change of a record is one statement: marking a record as sending is
//! `UPDATE ... WHERE key = $1 AND state = 'pending'` (the rows affected tell the caller whether it
//! may send), and a keeper claims due reservations with one `UPDATE ... RETURNING` (on PostgreSQL
//! its sub-select takes the rows `FOR UPDATE SKIP LOCKED`), so two workers never take the same
//! record. Timestamps are stored as integer Unix seconds.

#![deny(missing_docs)]

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;

#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteLedger;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresLedger, batch_lock_key};

#[cfg(feature = "testing")]
pub mod testing;

/// A query that failed on `backend`, with sqlx's error as the source. sqlx's messages name the
/// statement's problem, never the connection URL.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn sql_error(backend: &str, error: sqlx::Error) -> feishu_vc_ledger::LedgerError {
    feishu_vc_ledger::LedgerError::backend(format!("{backend} query failed"), error)
}
