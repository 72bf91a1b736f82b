//! A durable record of the reservations an app books through feishu-vc.
//!
//! Feishu's reservation API has no list endpoint and no idempotency key: an app that loses track
//! of what it booked can neither renew nor find it again, and a batch that crashes halfway either
//! stops or books everything twice. The ledger writes an *intent* before each apply is sent and
//! its *outcome* after, so that:
//!
//! - a batch re-run after a crash books only the rows not yet booked, and never re-sends a row
//!   whose outcome is unknown unless told to;
//! - reservations marked to keep are renewed before they expire, by exactly one keeper;
//! - meeting events are tied back to their reservations across restarts.
//!
//! The store is the [`LedgerStore`] trait; [`InMemoryLedger`] is its in-memory implementation,
//! and `feishu-vc-ledger-sqlx` provides SQLite (embedded, the default) and PostgreSQL (fleets).

#![deny(missing_docs)]

#[cfg(feature = "facade")]
mod batch;
#[cfg(feature = "facade")]
mod keep;
#[cfg(feature = "facade")]
mod ledger;
mod lookup;
mod memory;
mod store;

#[cfg(feature = "facade")]
pub use batch::{BatchEvent, BatchOptions, BatchRow, BatchSummary, batch_key};
#[cfg(feature = "facade")]
pub use keep::{KeepOptions, KeepReport};
#[cfg(feature = "facade")]
pub use ledger::{BookError, BookOptions, Ledger, fingerprint, request_json};
pub use lookup::LedgerLookup;
pub use memory::InMemoryLedger;
pub use store::{
    BoxFuture, Claim, Intent, IntentKey, LedgerError, LedgerStore, Outcome, Record, RecordFilter,
    Refusal, State,
};
