//! [`Ledger`]: the facade's client and a store, so that booking, renewing, cancelling and
//! refreshing keep the store true.

use std::fmt;
use std::sync::{Arc, Mutex};

use feishu_vc::model::{
    ApplyReserveRequest, ExpireStatus, MeetingNo, ReserveId, Timestamp, UpdateReserveBody,
    UserIdType,
};
use feishu_vc::{BeforeSend, CallOptions};
use feishu_vc_events::OwnerId;

use crate::error::LedgerError;
use crate::gate::Gate;
use crate::outcome::{LONGEST_LIFETIME, booked, failed, is_not_found};
use crate::record::{Intent, IntentKey, Record, State};
use crate::request::{fingerprint_of, request_json};
use crate::store::LedgerStore;

/// The clock the ledger reads "now" from.
pub(crate) type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The facade's [`feishu_vc::Client`] over a [`LedgerStore`]: every booking is written as an
/// intent before it is sent and settled after, and renewals, cancellations and refreshes update
/// the record, so the store always says what Feishu holds (or that it does not know).
///
/// Cheap to clone: clones share the client and the store.
#[derive(Clone)]
pub struct Ledger {
    pub(crate) client: feishu_vc::Client,
    pub(crate) store: Arc<dyn LedgerStore>,
    pub(crate) clock: Clock,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("client", &self.client)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// How [`Ledger::book`] records a booking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookOptions {
    /// Keep the reservation alive: [`Ledger::keep_pass`] renews it before it expires.
    pub keep: bool,
    /// The batch it belongs to, if any.
    pub batch: Option<String>,
}

impl BookOptions {
    /// Kept alive or not.
    pub fn keep(mut self, keep: bool) -> Self {
        self.keep = keep;
        self
    }

    /// Part of the batch `batch`.
    pub fn batch(mut self, batch: impl Into<String>) -> Self {
        self.batch = Some(batch.into());
        self
    }
}

/// Why a ledger operation failed. `Display` never shows the cause; walk
/// [`std::error::Error::source`] for it. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// The store failed, or refused the change (conflicting intent, unknown reservation).
    #[error("the ledger's store refused or failed")]
    Ledger(#[from] LedgerError),
    /// The call to Feishu failed (renew, cancel, refresh); the record was updated where the
    /// answer says what happened (121004: gone).
    #[error("the call to Feishu failed")]
    Sdk(#[from] feishu_vc::Error),
    /// A renewal succeeded but Feishu gave the reservation another meeting number (it had
    /// expired and its number went to someone else). The new end time is recorded.
    #[error(
        "reservation {reserve_id} was renewed with meeting number {given}, not its own {recorded}"
    )]
    MeetingNoChanged {
        /// The reservation.
        reserve_id: ReserveId,
        /// The number the ledger holds for it.
        recorded: MeetingNo,
        /// The number Feishu answered.
        given: MeetingNo,
    },
    /// The reservation was renewed or deleted (and recorded so), but its calendar event could
    /// not be moved or deleted with it: do it again (renew to the same end, or delete again).
    #[error("the reservation changed, but its calendar event did not follow")]
    CalendarNotFollowed {
        /// The reservation's record, as it now is (its placement kept).
        record: Box<Record>,
        /// Why Calendar refused.
        #[source]
        error: Box<feishu_vc::Error>,
    },
}

impl Ledger {
    /// A ledger booking through `client` and recording in `store`.
    ///
    /// Give the client a rate limiter ([`feishu_vc::ClientBuilder::rate_limiter`], e.g.
    /// [`feishu_vc::InProcessRateLimiter`]) when booking batches: the ledger sends as fast as
    /// its concurrency allows and adds no pacing of its own. Each booking is marked sending after
    /// its slot, just before its request goes out.
    pub fn new(client: feishu_vc::Client, store: Arc<dyn LedgerStore>) -> Self {
        Self {
            client,
            store,
            clock: Arc::new(Timestamp::now),
        }
    }

    /// The clock used for "now" (booked_at, due dates, expiry). System time by default; tests and
    /// the CLI against an emulator with an advanced clock set it.
    pub fn with_clock(mut self, now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(now);
        self
    }

    /// The client it books through.
    pub fn client(&self) -> &feishu_vc::Client {
        &self.client
    }

    /// The store it records in.
    pub fn store(&self) -> &Arc<dyn LedgerStore> {
        &self.store
    }

    /// The ledger's "now".
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Books `request` under `key`: writes the intent marked sending just before the request
    /// goes out (after the access token and the rate limiter's wait; for a new key the intent and
    /// the mark are one commit, [`LedgerStore::mark_sending_new`], and a key already pending is
    /// marked), sends the apply once (the transport never re-sends an apply), and settles the
    /// outcome (a second commit): booked, refused (with
    /// Feishu's or local validation's code), unknown (no answer; never sent again unless
    /// [reopened](LedgerStore::reopen)), or not booked: the request never reached Feishu or
    /// Feishu turned it away for now (no connection, no token, rate limited), and the record is
    /// returned pending again, its last error in [`Record::refusal`], to be sent by the next
    /// `book` of the key (or run of the batch).
    ///
    /// Which error is which: *unknown* when the transport says the outcome is unknown; *not
    /// booked* for a connect failure, a token error, rate limiting (429 or 99991400) and an
    /// access token Feishu rejected after the transport's replay; *refused* for everything else
    /// (local validation, the client's configuration, Feishu's other API codes such as 121005 or
    /// 123006). Hosts rejected in strict mode are a booking: Feishu created the reservation, so
    /// the record is booked and the error is still returned by [`Ledger::book_with_error`].
    ///
    /// The same key again returns the existing record without sending when it is booked,
    /// refused, unknown or ended, and sends it when it is still pending. The same key with
    /// another request (another [`fingerprint`](crate::fingerprint)) is
    /// [`LedgerError::Conflict`], and nothing is sent. Whatever the outcome, the record is
    /// returned; `Err` means the store failed (or refused the intent).
    pub async fn book(
        &self,
        key: IntentKey,
        request: ApplyReserveRequest,
        options: BookOptions,
    ) -> Result<Record, BookError> {
        Ok(self.book_with_error(key, request, options).await?.0)
    }

    /// [`Ledger::book`], also giving the error of the apply this call sent when it failed (the
    /// record says what was recorded of it: refused, unknown, or pending again), so that a
    /// caller can report it as the facade's error. `None` when it did not fail or was not sent
    /// (the record already had an outcome, or another worker took it).
    pub async fn book_with_error(
        &self,
        key: IntentKey,
        request: ApplyReserveRequest,
        options: BookOptions,
    ) -> Result<(Record, Option<feishu_vc::Error>), BookError> {
        let intent = self.intent(key, &request, &options)?;
        let key = intent.key.clone();
        match self.store.get(&key).await? {
            // A new key: its intent is written, already marked sending, right before the request
            // goes out (one commit), by the same step that marks a pending one.
            None => Ok(self
                .send_reporting(&key, request, Some(intent), None)
                .await?
                .reported()),
            Some(recorded) if recorded.intent.fingerprint != intent.fingerprint => {
                Err(LedgerError::Conflict {
                    key,
                    recorded: recorded.intent.fingerprint,
                    given: intent.fingerprint,
                }
                .into())
            }
            Some(recorded) if recorded.state != State::Pending => Ok((recorded, None)),
            Some(_) => Ok(self
                .send_reporting(&key, request, None, None)
                .await?
                .reported()),
        }
    }

    /// Sends the pending record `key`'s `request` and settles the answer. The record is marked
    /// sending (a committed write) by the transport's before-send step: after the access token
    /// and the rate limiter's slot are in hand, right before the request goes out, so a process
    /// that dies while waiting for its slot leaves the record pending (sent by the next run), not
    /// unknown. When the record was no longer pending (another worker took it), nothing is sent
    /// and it is returned as it stands.
    ///
    /// With a `gate` (a batch's), nothing goes out once the gate is stopped: the record is
    /// returned pending, as it stands.
    pub(crate) async fn send(
        &self,
        key: &IntentKey,
        request: ApplyReserveRequest,
        gate: Option<Arc<Gate>>,
    ) -> Result<Sent, LedgerError> {
        self.send_reporting(key, request, None, gate).await
    }

    /// [`Ledger::send`], with the apply's error when it was sent and failed. With `new`, the
    /// intent of a key not recorded yet: the before-send step writes it directly as sending
    /// ([`LedgerStore::mark_sending_new`]), so a process that dies while waiting for its slot
    /// leaves no record at all, and nothing was sent.
    async fn send_reporting(
        &self,
        key: &IntentKey,
        request: ApplyReserveRequest,
        new: Option<Intent>,
        gate: Option<Arc<Gate>>,
    ) -> Result<Sent, LedgerError> {
        let marked = Arc::new(Mutex::new(Marked::NotYet));
        let step = {
            let (store, clock) = (self.store.clone(), self.clock.clone());
            let (key, marked, new) = (key.clone(), marked.clone(), new.clone());
            let gate = gate.clone();
            BeforeSend::new(move || {
                let (store, clock) = (store.clone(), clock.clone());
                let (key, marked, new) = (key.clone(), marked.clone(), new.clone());
                let gate = gate.clone();
                Box::pin(async move {
                    if gate.as_ref().is_some_and(|g| !g.pass()) {
                        *lock(&marked) = Marked::Withheld;
                        return Err("the batch was stopped".into());
                    }
                    let sending = match new {
                        Some(intent) => store.mark_sending_new(intent, clock()).await,
                        None => store.mark_sending(&key, clock()).await,
                    };
                    let (now, result) = match sending {
                        Ok(true) => (Marked::Sending, Ok(())),
                        Ok(false) => (Marked::Taken, Err("the intent is no longer pending".into())),
                        Err(e) => {
                            let why = e.to_string();
                            (Marked::Failed(e), Err(why.into()))
                        }
                    };
                    *lock(&marked) = now;
                    result
                })
            })
        };
        let intended_end = request.body.end_time;
        let answer = self
            .client
            .reserves()
            .apply(request)
            .with_options(CallOptions::new().with_before_send(step))
            .await;
        let at = self.now();
        let marked = std::mem::replace(&mut *lock(&marked), Marked::NotYet);
        // Past the gate, the apply is in flight until its outcome is recorded (or this future is
        // dropped: the batch that stopped it settles it).
        let _in_flight = gate
            .filter(|_| !matches!(marked, Marked::NotYet | Marked::Withheld))
            .map(Answered);
        match marked {
            Marked::Sending => {}
            Marked::Withheld => return Ok(Sent::withheld(self.current(key).await?)),
            Marked::Taken => return Ok(Sent::untouched(self.current(key).await?)),
            Marked::Failed(error) => return Err(error),
            // The call ended before its request could go out (local validation, no token): its
            // refusal is recorded like any other, through sending.
            Marked::NotYet => {
                let sending = match new {
                    Some(intent) => self.store.mark_sending_new(intent, at).await?,
                    None => self.store.mark_sending(key, at).await?,
                };
                if !sending {
                    return Ok(Sent::untouched(self.current(key).await?));
                }
            }
        }
        let (outcome, error) = match answer {
            Ok(response) => (
                booked(response.data, response.log_id, intended_end, at),
                None,
            ),
            Err(error) => (failed(&error, intended_end, at), Some(error)),
        };
        Ok(Sent {
            record: self.store.settle(key, outcome).await?,
            error,
            withheld: false,
        })
    }

    /// The record `key` as it stands.
    async fn current(&self, key: &IntentKey) -> Result<Record, LedgerError> {
        self.store
            .get(key)
            .await?
            .ok_or_else(|| LedgerError::NotFound(format!("intent `{key}`")))
    }

    /// The intent of booking `request` under `key` now.
    pub(crate) fn intent(
        &self,
        key: IntentKey,
        request: &ApplyReserveRequest,
        options: &BookOptions,
    ) -> Result<Intent, LedgerError> {
        let json = request_json(request)?;
        let now = self.now();
        let end_time = request
            .body
            .end_time
            .or_else(|| now.checked_add(LONGEST_LIFETIME))
            .unwrap_or(now);
        let mut intent =
            Intent::new(key, fingerprint_of(&json), end_time, json, now).with_keep(options.keep);
        if let Some(owner) = request.body.owner_id.as_ref().filter(|o| !o.is_empty()) {
            let kind = request.user_id_type.unwrap_or(UserIdType::OpenId);
            intent = intent.with_owner(OwnerId::new(kind, owner.as_str()));
        }
        if let Some(topic) = &request.body.meeting_settings.topic {
            intent = intent.with_topic(topic.clone());
        }
        if let Some(batch) = &options.batch {
            intent = intent.with_batch(batch.clone());
        }
        Ok(intent)
    }

    /// Renews (or shortens) a booked reservation to `end_time` and records the end time Feishu
    /// confirms. A reservation Feishu no longer knows (121004) is recorded as gone and the error
    /// returned; one given another meeting number is [`BookError::MeetingNoChanged`].
    pub async fn renew(
        &self,
        reserve_id: &ReserveId,
        end_time: Timestamp,
    ) -> Result<Record, BookError> {
        self.update(
            reserve_id,
            UpdateReserveBody::default().set_end_time(end_time),
        )
        .await
    }

    /// Changes a booked reservation (its end time, topic, password, ...) and records the end
    /// time Feishu confirms. Validate `body` first: this sends it as given. A reservation Feishu
    /// no longer knows (121004) is recorded as gone and the error returned; one given another
    /// meeting number is [`BookError::MeetingNoChanged`].
    pub async fn update(
        &self,
        reserve_id: &ReserveId,
        body: UpdateReserveBody,
    ) -> Result<Record, BookError> {
        let record = self.recorded(reserve_id).await?;
        match self.send_update(&record, body).await {
            Ok(Renewal::Renewed(record)) => match self.move_calendar_event(&record).await {
                Ok(()) => Ok(record),
                Err(error) => Err(BookError::CalendarNotFollowed {
                    record: Box::new(record),
                    error: Box::new(error),
                }),
            },
            Ok(Renewal::Moved { given, .. }) => Err(BookError::MeetingNoChanged {
                reserve_id: reserve_id.clone(),
                recorded: record.meeting_no.clone().unwrap_or_else(|| given.clone()),
                given,
            }),
            Ok(Renewal::Gone(_, error)) => Err(BookError::Sdk(error)),
            Err(error) => Err(error),
        }
    }

    /// Sends `body` as the update of `record` and records what Feishu answered: the end time it
    /// confirms (else the one sent), or gone on 121004.
    pub(crate) async fn send_update(
        &self,
        record: &Record,
        body: UpdateReserveBody,
    ) -> Result<Renewal, BookError> {
        let reserve_id = reserve_id_of(record)?;
        let sent_end = body.end_time;
        let answer = self
            .client
            .reserves()
            .update(reserve_id.clone(), body)
            .await;
        let at = self.now();
        match answer {
            Ok(response) => {
                let updated = match response.data.end_time.or(sent_end) {
                    Some(confirmed) => self.store.set_end_time(reserve_id, confirmed, at).await?,
                    None => record.clone(),
                };
                let given = response.data.meeting_no;
                if record.meeting_no.as_ref() == Some(&given) {
                    Ok(Renewal::Renewed(updated))
                } else {
                    Ok(Renewal::Moved {
                        record: updated,
                        given,
                    })
                }
            }
            Err(error) if is_not_found(&error) => {
                let gone = self.store.set_ended(reserve_id, State::Gone, at).await?;
                Ok(Renewal::Gone(gone, error))
            }
            Err(error) => Err(BookError::Sdk(error)),
        }
    }

    /// Deletes a booked reservation and records it deleted. One Feishu no longer knows (121004)
    /// is recorded as gone and returned as such: either way it no longer exists. Its calendar
    /// event, when it was placed on one, is deleted too.
    /// A record already deleted or gone is returned as it stands, without a call (but for a
    /// calendar event left by an earlier failure, which is deleted now).
    pub async fn cancel(&self, reserve_id: &ReserveId) -> Result<Record, BookError> {
        let record = self.recorded(reserve_id).await?;
        if matches!(record.state, State::Deleted | State::Gone) {
            return self.delete_calendar_event(record).await;
        }
        let answer = self.client.reserves().delete(reserve_id.clone()).await;
        let at = self.now();
        let state = match answer {
            Ok(_) => State::Deleted,
            Err(error) if is_not_found(&error) => State::Gone,
            Err(error) => return Err(BookError::Sdk(error)),
        };
        let ended = self.store.set_ended(reserve_id, state, at).await?;
        self.delete_calendar_event(ended).await
    }

    /// Reads a booked reservation from Feishu and records what it says: its end time; expired
    /// when Feishu says so or its end time has passed; gone on 121004. A record that already
    /// ended (deleted, expired, gone) is returned as it stands, without a call: when it ended is
    /// what ties later meetings of its number to others.
    pub async fn refresh(&self, reserve_id: &ReserveId) -> Result<Record, BookError> {
        let record = self.recorded(reserve_id).await?;
        if record.state.is_ended() {
            return Ok(record);
        }
        let answer = self.client.reserves().get(reserve_id.clone()).await;
        let at = self.now();
        let reserve = match answer {
            Ok(response) => response.data.reserve.unwrap_or_default(),
            Err(error) if is_not_found(&error) => {
                return Ok(self.store.set_ended(reserve_id, State::Gone, at).await?);
            }
            Err(error) => return Err(BookError::Sdk(error)),
        };
        let expired = reserve.expire_status == Some(ExpireStatus::Expired)
            || reserve.end_time.is_some_and(|end| end < at);
        if expired {
            return Ok(self.store.set_ended(reserve_id, State::Expired, at).await?);
        }
        match reserve.end_time {
            Some(end) => Ok(self.store.set_end_time(reserve_id, end, at).await?),
            None => Ok(self.recorded(reserve_id).await?),
        }
    }

    /// The record of `reserve_id`, or [`LedgerError::NotFound`].
    pub(crate) async fn recorded(&self, reserve_id: &ReserveId) -> Result<Record, LedgerError> {
        self.store
            .by_reserve_id(reserve_id)
            .await?
            .ok_or_else(|| LedgerError::NotFound(format!("reservation `{reserve_id}`")))
    }
}

/// What sending a record did.
pub(crate) struct Sent {
    /// The record as it stands after.
    pub(crate) record: Record,
    /// The apply's error, when it was sent and failed.
    pub(crate) error: Option<feishu_vc::Error>,
    /// Whether the batch's stop withheld the apply (the record is pending, untouched).
    pub(crate) withheld: bool,
}

impl Sent {
    fn untouched(record: Record) -> Self {
        Self {
            record,
            error: None,
            withheld: false,
        }
    }

    fn withheld(record: Record) -> Self {
        Self {
            withheld: true,
            ..Self::untouched(record)
        }
    }

    /// The record and the apply's error, for [`Ledger::book_with_error`].
    fn reported(self) -> (Record, Option<feishu_vc::Error>) {
        (self.record, self.error)
    }
}

/// How far the before-send step of a booking got.
enum Marked {
    /// It did not run: nothing was sent.
    NotYet,
    /// The record is marked sending: the request went out.
    Sending,
    /// The record was no longer pending: the request was withheld.
    Taken,
    /// The store failed: the request was withheld.
    Failed(LedgerError),
    /// The batch was stopped: the request was withheld, the record left pending.
    Withheld,
}

/// An apply past its batch's gate: answered when dropped.
struct Answered(Arc<Gate>);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.answered();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a renewal did.
#[derive(Debug)]
pub(crate) enum Renewal {
    /// Renewed, meeting number unchanged.
    Renewed(Record),
    /// Renewed, but Feishu answered another meeting number.
    Moved { record: Record, given: MeetingNo },
    /// Feishu no longer knows it (121004): recorded as gone.
    Gone(Record, feishu_vc::Error),
}

pub(crate) fn reserve_id_of(record: &Record) -> Result<&ReserveId, LedgerError> {
    record
        .reserve_id
        .as_ref()
        .ok_or_else(|| LedgerError::WrongState {
            key: record.key().clone(),
            state: record.state,
            expected: "booked",
        })
}
