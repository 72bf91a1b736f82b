//! The ledger's store: what is recorded for each intended booking, and the operations every
//! backend provides with the same meaning.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use feishu_vc_events::OwnerId;
use feishu_vc_model::{MeetingNo, ReserveId, Timestamp};

/// The future a store method returns (boxed, so stores can be used as `Arc<dyn LedgerStore>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The stable name of one intended booking: for a batch, the batch's name and the row's key; for
/// a single booking, whatever the caller uses to recognise a retry of the same booking.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IntentKey(String);

impl IntentKey {
    /// The key `key`.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IntentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the app intends to book, written *before* the apply is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Intent {
    /// Its stable name.
    pub key: IntentKey,
    /// A fingerprint (hex SHA-256) of the request as it will be sent, the meeting password left
    /// out: the same key with another fingerprint is another booking, refused as a conflict.
    pub fingerprint: String,
    /// The owner the request names, when it names one.
    pub owner: Option<OwnerId>,
    /// The meeting's topic, when it has one.
    pub topic: Option<String>,
    /// When the reservation is to expire.
    pub end_time: Timestamp,
    /// Whether to keep the reservation alive (renew it before it expires).
    pub keep: bool,
    /// The batch it belongs to, when it came from one.
    pub batch: Option<String>,
    /// The apply request as JSON, the meeting password left out, so the intent can be sent (or
    /// re-sent, when told to) by another process.
    pub request: String,
    /// When the intent was written.
    pub created_at: Timestamp,
}

impl Intent {
    /// An intent with the required parts; the rest empty (`keep` false, no batch).
    pub fn new(
        key: IntentKey,
        fingerprint: impl Into<String>,
        end_time: Timestamp,
        request: impl Into<String>,
        created_at: Timestamp,
    ) -> Self {
        Self {
            key,
            fingerprint: fingerprint.into(),
            owner: None,
            topic: None,
            end_time,
            keep: false,
            batch: None,
            request: request.into(),
            created_at,
        }
    }

    /// With its owner.
    pub fn with_owner(mut self, owner: OwnerId) -> Self {
        self.owner = Some(owner);
        self
    }

    /// With its topic.
    pub fn with_topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// Kept alive or not.
    pub fn with_keep(mut self, keep: bool) -> Self {
        self.keep = keep;
        self
    }

    /// Part of the batch `batch`.
    pub fn with_batch(mut self, batch: impl Into<String>) -> Self {
        self.batch = Some(batch.into());
        self
    }
}

/// Where a record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// The intent is written and was never sent: safe to send.
    Pending,
    /// A worker is sending it. A record left here by a worker that died is *interrupted*: whether
    /// Feishu booked it is unknown (see [`LedgerStore::settle_interrupted`]).
    Sending,
    /// Booked: the reservation id and meeting number are known.
    Booked,
    /// Sent, but whether Feishu booked it is not known (no answer, or the sender died while the
    /// request was in flight). Never sent again unless [reopened](LedgerStore::reopen).
    Unknown,
    /// Refused (by Feishu, or before sending): nothing was booked.
    Refused,
    /// Deleted through the ledger.
    Deleted,
    /// Its end time passed without a renewal: Feishu released its meeting number.
    Expired,
    /// Feishu no longer knows it (121004): deleted elsewhere.
    Gone,
}

impl State {
    /// Every state, in declaration order.
    pub const ALL: [State; 8] = [
        State::Pending,
        State::Sending,
        State::Booked,
        State::Unknown,
        State::Refused,
        State::Deleted,
        State::Expired,
        State::Gone,
    ];

    /// The state's stable name, as stored and printed: `pending`, `sending`, `booked`,
    /// `unknown`, `refused`, `deleted`, `expired`, `gone`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Sending => "sending",
            State::Booked => "booked",
            State::Unknown => "unknown",
            State::Refused => "refused",
            State::Deleted => "deleted",
            State::Expired => "expired",
            State::Gone => "gone",
        }
    }

    /// The state named `name` (see [`State::as_str`]).
    pub fn from_name(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the reservation ended (deleted, expired or gone): its meeting number is no longer
    /// its own after [`Record::ended_at`].
    pub fn is_ended(self) -> bool {
        matches!(self, State::Deleted | State::Expired | State::Gone)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a booking was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Feishu's (or local validation's) error code, when there is one.
    pub code: Option<i64>,
    /// What was wrong, secrets scrubbed.
    pub message: String,
}

/// How a sent booking ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Feishu booked it.
    Booked {
        /// The reservation.
        reserve_id: ReserveId,
        /// Its meeting number.
        meeting_no: MeetingNo,
        /// Its meeting URL, when Feishu gave one.
        url: Option<String>,
        /// When it expires.
        end_time: Timestamp,
        /// Feishu's log id of the answer.
        log_id: Option<String>,
        /// When the answer came.
        at: Timestamp,
    },
    /// Whether Feishu booked it is not known.
    Unknown {
        /// Feishu's log id, when an answer (or part of one) came.
        log_id: Option<String>,
        /// What happened, secrets scrubbed.
        detail: String,
        /// When the attempt ended.
        at: Timestamp,
    },
    /// Refused: nothing was booked, and sending the same request again would be refused again.
    Refused {
        /// Why.
        refusal: Refusal,
        /// Feishu's log id of the answer.
        log_id: Option<String>,
        /// When the answer came.
        at: Timestamp,
    },
    /// Not booked, and may be sent again: the request never reached Feishu (no connection, no
    /// access token) or Feishu turned it away for now (rate limited) without carrying it out.
    /// The record goes back to pending, its attempts kept and the error in its refusal.
    NotBooked {
        /// What kept it from being booked.
        refusal: Refusal,
        /// Feishu's log id of the answer, when one came.
        log_id: Option<String>,
        /// When the attempt ended.
        at: Timestamp,
    },
}

/// What the ledger knows of one intended booking.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// The intent, as written before sending.
    pub intent: Intent,
    /// Where it stands.
    pub state: State,
    /// How many times it was marked for sending.
    pub attempts: u32,
    /// The reservation, once booked.
    pub reserve_id: Option<ReserveId>,
    /// Its meeting number, once booked.
    pub meeting_no: Option<MeetingNo>,
    /// Its meeting URL, when known.
    pub url: Option<String>,
    /// When it expires: the intent's end time until booked, then the last one Feishu confirmed.
    pub end_time: Timestamp,
    /// When it was booked.
    pub booked_at: Option<Timestamp>,
    /// When it ended (deleted, expired, gone).
    pub ended_at: Option<Timestamp>,
    /// Feishu's log id of the last answer about it.
    pub log_id: Option<String>,
    /// Why it was refused, what made its outcome unknown, or (pending again) what kept its last
    /// attempt from being booked.
    pub refusal: Option<Refusal>,
    /// When this record last changed.
    pub updated_at: Timestamp,
    /// When its state was last read from Feishu (booking, renewal or refresh).
    pub checked_at: Option<Timestamp>,
}

impl Record {
    /// The fresh record of an intent just written: pending, never sent.
    pub fn pending(intent: Intent) -> Self {
        Self {
            state: State::Pending,
            attempts: 0,
            reserve_id: None,
            meeting_no: None,
            url: None,
            end_time: intent.end_time,
            booked_at: None,
            ended_at: None,
            log_id: None,
            refusal: None,
            updated_at: intent.created_at,
            checked_at: None,
            intent,
        }
    }

    /// The key of its intent.
    pub fn key(&self) -> &IntentKey {
        &self.intent.key
    }

    /// Whether the reservation, with the meeting number `meeting_no`, owned that number at `at`:
    /// booked at or before `at` and not yet ended (end time, or deletion) at `at`.
    pub fn held_number_at(&self, meeting_no: &MeetingNo, at: Timestamp) -> bool {
        let Some(booked_at) = self.booked_at else {
            return false;
        };
        if self.meeting_no.as_ref() != Some(meeting_no) || at < booked_at {
            return false;
        }
        let end = match self.ended_at {
            Some(ended) => ended.min(self.end_time),
            None => self.end_time,
        };
        at <= end
    }
}

/// A worker's claim on a kept reservation while it renews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Who claims it (unique per keeper process).
    pub worker: String,
    /// Until when; past it another keeper may claim the reservation again.
    pub until: Timestamp,
}

/// Which records [`LedgerStore::list`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordFilter {
    /// Only those of this batch.
    pub batch: Option<String>,
    /// Only those in these states (all when empty).
    pub states: Vec<State>,
    /// Only those marked to keep.
    pub kept_only: bool,
}

impl RecordFilter {
    /// Every record.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only the batch `batch`'s.
    pub fn batch(mut self, batch: impl Into<String>) -> Self {
        self.batch = Some(batch.into());
        self
    }

    /// Only those in `states`.
    pub fn states(mut self, states: impl IntoIterator<Item = State>) -> Self {
        self.states = states.into_iter().collect();
        self
    }

    /// Only those marked to keep.
    pub fn kept_only(mut self) -> Self {
        self.kept_only = true;
        self
    }

    /// Whether `record` passes the filter.
    pub fn matches(&self, record: &Record) -> bool {
        self.batch
            .as_ref()
            .is_none_or(|b| record.intent.batch.as_ref() == Some(b))
            && (self.states.is_empty() || self.states.contains(&record.state))
            && (!self.kept_only || record.intent.keep)
    }
}

/// What went wrong with the ledger. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The key is already recorded for another request (another fingerprint).
    #[error(
        "intent `{key}` is already recorded for another request (fingerprint {recorded}, not {given})"
    )]
    Conflict {
        /// The key.
        key: IntentKey,
        /// The fingerprint recorded.
        recorded: String,
        /// The fingerprint given.
        given: String,
    },
    /// No record has this key or reservation id.
    #[error("no ledger record for {0}")]
    NotFound(String),
    /// The record is not in a state that allows the change.
    #[error("ledger record `{key}` is {state}, not {expected}")]
    WrongState {
        /// The record.
        key: IntentKey,
        /// Its state.
        state: State,
        /// What the change needs.
        expected: &'static str,
    },
    /// Another live run of the batch holds its lock (see [`LedgerStore::lock_batch`]): nothing
    /// was sent and nothing settled.
    #[error("another run of the batch `{batch}` is in progress")]
    BatchBusy {
        /// The batch.
        batch: String,
    },
    /// The backend failed (connection, query, migration, corrupt row).
    #[error("ledger store failed: {message}")]
    Backend {
        /// What failed.
        message: String,
        /// The backend's own error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl LedgerError {
    /// A backend failure with its cause.
    pub fn backend(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Backend {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

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

/// The lock of one run of a batch ([`LedgerStore::lock_batch`]): released when dropped.
pub struct BatchLock {
    /// What holds the lock (a locked file, a database connection, an entry in a set); dropping
    /// it releases the lock.
    _held: Box<dyn Send + Sync>,
}

impl BatchLock {
    /// A lock held as long as `held` lives: dropping `held` must release it.
    pub fn new(held: impl Send + Sync + 'static) -> Self {
        Self {
            _held: Box::new(held),
        }
    }
}

impl fmt::Debug for BatchLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchLock").finish_non_exhaustive()
    }
}

/// Batch locks held in this process: a set of batch names, each in it while its
/// [`BatchLock`] lives. Clones share the set. For stores no other process uses.
#[derive(Debug, Clone, Default)]
pub struct LocalBatchLocks {
    held: HeldSet,
}

impl LocalBatchLocks {
    /// The lock of `batch`, unless it is held.
    pub fn try_lock(&self, batch: &str) -> Option<BatchLock> {
        if !lock_set(&self.held).insert(batch.to_owned()) {
            return None;
        }
        Some(BatchLock::new(LocalHeld {
            held: self.held.clone(),
            batch: batch.to_owned(),
        }))
    }
}

type HeldSet = std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>;

fn lock_set(set: &HeldSet) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
    set.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One batch's entry in a [`LocalBatchLocks`] set, removed on drop.
struct LocalHeld {
    held: HeldSet,
    batch: String,
}

impl Drop for LocalHeld {
    fn drop(&mut self) {
        lock_set(&self.held).remove(&self.batch);
    }
}

/// A short, stable name of a batch for lock files and lock keys: the first 16 hex digits of the
/// SHA-256 of its name.
pub fn batch_digest(batch: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(batch.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
