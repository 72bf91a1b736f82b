//! The ledger's store: the operations every backend provides with the same meaning. What it
//! records is in `record.rs`, its error in `error.rs`, its batch locks in `locks.rs`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use feishu_vc_model::{MeetingNo, ReserveId, Timestamp};

use crate::error::LedgerError;
use crate::locks::{BatchLock, LocalBatchLocks};
use crate::record::{
    CalendarPlacement, Claim, Intent, IntentKey, Outcome, Record, RecordFilter, State,
};

/// The future a store method returns (boxed, so stores can be used as `Arc<dyn LedgerStore>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A ledger's storage. Every backend gives each method the same meaning (a shared conformance
/// suite checks it), and each change of one record is atomic: two workers never both move the
/// same record out of a state.
pub trait LedgerStore: Send + Sync + fmt::Debug {
    /// Writes `intent` as a pending record unless one with its key exists; returns the record
    /// either way. An existing key with another fingerprint is [`LedgerError::Conflict`].
    fn begin(&self, intent: Intent) -> BoxFuture<'_, Result<Record, LedgerError>>;

    /// [`begin`](LedgerStore::begin) for each of `intents`, in order, giving each intent's
    /// result in its place: its record (written now, or as it already stood), or
    /// [`LedgerError::Conflict`] for a key recorded for another request. A key given twice is
    /// begun twice: the second gets the record the first wrote, or a conflict.
    ///
    /// `Err` means the store failed. The SQL stores write all the intents in one transaction
    /// (one commit for the whole batch): on `Err` none of them is written. The default calls
    /// `begin` once per intent (one commit each), stopping at the first failure of the store,
    /// which leaves the intents before it written.
    fn begin_many(
        &self,
        intents: Vec<Intent>,
    ) -> BoxFuture<'_, Result<Vec<Result<Record, LedgerError>>, LedgerError>> {
        Box::pin(async move {
            let mut results = Vec::with_capacity(intents.len());
            for intent in intents {
                match self.begin(intent).await {
                    Err(LedgerError::Backend { message, source }) => {
                        return Err(LedgerError::Backend { message, source });
                    }
                    result => results.push(result),
                }
            }
            Ok(results)
        })
    }

    /// Moves a pending record to sending (one more attempt), atomically, at `at`. `Ok(false)` when
    /// it was not pending (another worker took it, or it has an outcome): then do not send.
    fn mark_sending<'a>(
        &'a self,
        key: &'a IntentKey,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<bool, LedgerError>>;

    /// [`mark_sending`](LedgerStore::mark_sending) for an intent that may not be written yet:
    /// writes `intent` directly as sending (one attempt, at `at`) when its key is new, else
    /// moves its pending record to sending; one atomic change (one commit on the SQL stores).
    /// `Ok(false)` when the record exists and is not pending (then do not send); an existing key
    /// with another fingerprint is [`LedgerError::Conflict`], and nothing changes.
    ///
    /// Call it where `mark_sending` would be called, right before the request goes out (after
    /// the access token and the rate limiter's slot are in hand), never before: a sender that
    /// dies while waiting for its slot must leave no record sending, and with this it leaves
    /// none at all (nothing was sent; the next booking of the key writes it). The default calls
    /// `begin`, then `mark_sending` (two commits).
    fn mark_sending_new(
        &self,
        intent: Intent,
        at: Timestamp,
    ) -> BoxFuture<'_, Result<bool, LedgerError>> {
        Box::pin(async move {
            let key = intent.key.clone();
            self.begin(intent).await?;
            self.mark_sending(&key, at).await
        })
    }

    /// Records the outcome of a record being sent: it becomes booked, unknown or refused, or, for
    /// [`Outcome::NotBooked`], pending again (attempts kept, the error in its refusal), to be
    /// sent by the next [`mark_sending`](LedgerStore::mark_sending).
    /// [`LedgerError::WrongState`] unless it was sending: a booked, refused or unknown record is
    /// never moved back.
    fn settle<'a>(
        &'a self,
        key: &'a IntentKey,
        outcome: Outcome,
    ) -> BoxFuture<'a, Result<Record, LedgerError>>;

    /// Every record (of `batch`, or of any batch when `None`) still sending since before
    /// `before`, left by a sender that died, becomes unknown ("interrupted while in flight");
    /// returns them.
    fn settle_interrupted<'a>(
        &'a self,
        batch: Option<&'a str>,
        before: Timestamp,
    ) -> BoxFuture<'a, Result<Vec<Record>, LedgerError>>;

    /// Moves an unknown record back to pending, because the user said it should be sent again.
    /// [`LedgerError::WrongState`] unless it was unknown.
    fn reopen<'a>(&'a self, key: &'a IntentKey) -> BoxFuture<'a, Result<Record, LedgerError>>;

    /// The record with this key.
    fn get<'a>(&'a self, key: &'a IntentKey) -> BoxFuture<'a, Result<Option<Record>, LedgerError>>;

    /// The record of this reservation.
    fn by_reserve_id<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
    ) -> BoxFuture<'a, Result<Option<Record>, LedgerError>>;

    /// The records that pass `filter`, oldest intent first.
    fn list<'a>(
        &'a self,
        filter: &'a RecordFilter,
    ) -> BoxFuture<'a, Result<Vec<Record>, LedgerError>>;

    /// A booked reservation's end time as Feishu confirmed it at `at` (renewal, update or
    /// refresh); sets its checked time.
    fn set_end_time<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
        end_time: Timestamp,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<Record, LedgerError>>;

    /// A booked reservation ended at `at`: `state` is deleted, expired or gone.
    fn set_ended<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
        state: State,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<Record, LedgerError>>;

    /// Marks a reservation to keep alive, or not.
    fn set_keep<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
        keep: bool,
    ) -> BoxFuture<'a, Result<Record, LedgerError>>;

    /// Records where a booked (or ended) reservation was placed on a calendar, or, with `None`,
    /// forgets it (the event was deleted); returns the record. Like
    /// [`set_keep`](LedgerStore::set_keep), it changes nothing else of the record, and a
    /// reservation the ledger does not hold is [`LedgerError::NotFound`].
    fn set_calendar<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
        calendar: Option<CalendarPlacement>,
    ) -> BoxFuture<'a, Result<Record, LedgerError>>;

    /// Claims, for `claim.worker` until `claim.until`, up to `limit` booked reservations marked
    /// to keep whose end time is before `due` and that no claim holds at `now` (none, or one
    /// that lapsed); returns them. At any time each reservation is claimed by at most one worker.
    fn claim_due<'a>(
        &'a self,
        due: Timestamp,
        now: Timestamp,
        claim: &'a Claim,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Record>, LedgerError>>;

    /// Drops `worker`'s claim on the reservation (no-op when another holds it or none does).
    fn release<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
        worker: &'a str,
    ) -> BoxFuture<'a, Result<(), LedgerError>>;

    /// The booked or ended records with meeting number `meeting_no` that held it at `at` (see
    /// [`Record::held_number_at`]), most recently booked first.
    fn by_meeting_no<'a>(
        &'a self,
        meeting_no: &'a MeetingNo,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<Vec<Record>, LedgerError>>;

    /// Takes the lock of the batch `batch` for one run, unless another live run holds it:
    /// `Ok(None)` then. The lock is held until the returned guard drops, and is released too
    /// when the holding process dies, so a crashed run never blocks the next one. Locks of
    /// different batches are independent.
    ///
    /// The default holds the lock in this process only (see [`LocalBatchLocks`]): right for a
    /// store that only one process uses. A store that several processes share overrides it
    /// with a lock they all see.
    fn lock_batch<'a>(
        &'a self,
        batch: &'a str,
    ) -> BoxFuture<'a, Result<Option<BatchLock>, LedgerError>> {
        static PROCESS: std::sync::OnceLock<LocalBatchLocks> = std::sync::OnceLock::new();
        let lock = PROCESS
            .get_or_init(LocalBatchLocks::default)
            .try_lock(batch);
        Box::pin(std::future::ready(Ok(lock)))
    }
}
