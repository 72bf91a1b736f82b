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
//! ```no_run
//! use std::sync::Arc;
//! use std::time::{Duration, SystemTime};
//! use feishu_vc::model::{ApplyReserveRequest, ReserveMeetingSetting, Timestamp};
//! use feishu_vc_ledger::{
//!     BatchOptions, BatchRow, BookOptions, InMemoryLedger, IntentKey, KeepOptions, Ledger,
//! };
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = feishu_vc::Client::builder()
//!     .app_credentials("cli_a1b2c3d4", std::env::var("FEISHU_APP_SECRET").unwrap_or_default())
//!     // Batches go as fast as their concurrency allows: pace them under Feishu's limit.
//!     .rate_limiter(Arc::new(feishu_vc::InProcessRateLimiter::new(
//!         feishu_vc::RateQuota::documented(),
//!     )))
//!     .build()?;
//! // A durable store in production (feishu-vc-ledger-sqlx); in memory here.
//! let ledger = Ledger::new(client, Arc::new(InMemoryLedger::new()));
//!
//! let weekly = ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("Weekly sync"))
//!     .set_end_time(Timestamp::from(SystemTime::now() + Duration::from_secs(29 * 86_400)))
//!     .set_owner_id("ou_3ec3f6a28a0d08c45d895276e8e5e19b");
//!
//! // Booked once, however many times this runs: the key names the booking.
//! let record = ledger
//!     .book(IntentKey::new("team-weekly"), weekly.clone(), BookOptions::default().keep(true))
//!     .await?;
//! println!("{} is {} ({:?})", record.key(), record.state, record.meeting_no);
//!
//! // A batch: re-run it after a crash and only the rows never sent go out.
//! let rows = vec![BatchRow::new("1", 2, weekly).keep(true)];
//! let summary = ledger.book_batch("rooms.csv", rows, BatchOptions::default(), &|_| {}).await?;
//! println!("{} booked, {} unknown", summary.booked, summary.unknown.len());
//!
//! // From cron: renew what is kept before Feishu releases its meeting number.
//! let report = ledger.keep_pass(&KeepOptions::default()).await?;
//! println!("{} renewed, {} lost", report.renewed.len(), report.lost.len());
//! # Ok(()) }
//! ```
//!
//! The store is the [`LedgerStore`] trait; [`InMemoryLedger`] is its in-memory implementation,
//! and `feishu-vc-ledger-sqlx` provides SQLite (embedded, the default) and PostgreSQL (fleets).
//! `Ledger` (feature `facade`, on by default) books through the facade's `Client` and keeps the
//! store true; [`LedgerLookup`] (and `Ledger` itself) is the events' `ReservationLookup`, so an
//! events receiver ties meetings to reservations from the store, across restarts.
//!
//! # Guarantees
//!
//! - **Intent first.** `Ledger::book` writes the intent (key, fingerprint of the request without
//!   its password, owner, topic, end time) marked sending, after the rate limiter's wait and
//!   before the request goes out (one commit), sends the apply once and records the outcome
//!   (a second commit): booked, refused (with Feishu's or local validation's code) or unknown (no
//!   answer: the meeting may exist). A key already settled is never sent again; a key recorded
//!   for another request is a conflict. A request that certainly booked nothing (no connection,
//!   no token, rate limited) is [`Outcome::NotBooked`]: the key is pending again, sent next time.
//! - **Batches.** `Ledger::book_batch` takes the batch's lock ([`LedgerStore::lock_batch`]; a
//!   second live run gets [`LedgerError::BatchBusy`]), turns rows a dead run left sending into
//!   unknown, writes every row's intent before sending any (one commit for them all on the SQL
//!   stores, [`LedgerStore::begin_many`]), and sends only pending rows (and
//!   unknown rows the user names), with bounded concurrency. Rate limiting is the client's own
//!   limiter.
//! - **Keeping.** `Ledger::keep_pass` claims due kept reservations from the store (so several
//!   keepers never renew one twice), renews each to now plus `extend_to` and checks its meeting
//!   number; those past their end time are reported lost, those deleted elsewhere gone.

#![deny(missing_docs)]

#[cfg(feature = "facade")]
mod batch;
#[cfg(feature = "facade")]
mod calendar;
mod error;
#[cfg(feature = "facade")]
mod gate;
#[cfg(feature = "facade")]
mod keep;
#[cfg(feature = "facade")]
mod ledger;
mod locks;
mod lookup;
mod memory;
#[cfg(feature = "facade")]
mod outcome;
mod record;
#[cfg(feature = "facade")]
mod report;
#[cfg(feature = "facade")]
mod request;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "facade")]
pub use batch::{BatchEvent, BatchOptions, BatchRow, BatchSummary, DEFAULT_STOP_GRACE, batch_key};
#[cfg(feature = "facade")]
pub use calendar::CalendarRequest;
pub use error::LedgerError;
#[cfg(feature = "facade")]
pub use keep::{KeepOptions, KeepReport};
#[cfg(feature = "facade")]
pub use ledger::{BookError, BookOptions, Ledger};
pub use locks::{BatchLock, LocalBatchLocks, batch_digest};
pub use lookup::LedgerLookup;
pub use memory::InMemoryLedger;
pub use record::{
    CalendarPlacement, Claim, Intent, IntentKey, Outcome, Record, RecordFilter, Refusal, State,
};
#[cfg(feature = "facade")]
pub use report::{Attendance, AttendanceReport, HeldMeeting, RecordingStatus};
#[cfg(feature = "facade")]
pub use request::{fingerprint, request_json};
pub use store::{BoxFuture, LedgerStore};
