//! Booking a batch of meetings exactly once, across crashes and re-runs.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use feishu_vc::model::ApplyReserveRequest;
use futures_util::StreamExt as _;

use crate::error::LedgerError;
use crate::gate::Gate;
use crate::ledger::{BookOptions, Ledger};
use crate::record::{IntentKey, Outcome, Record, State};

/// How long [`Ledger::book_batch_until`] waits, by default, for the answers of the requests in
/// flight when it is stopped: the client's default request timeout (30 s) and a few seconds more.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(35);

/// One meeting of a batch.
#[derive(Debug, Clone)]
pub struct BatchRow {
    /// The row's key, stable across re-runs of the same file: its `key` column, else its 1-based
    /// data row number. The intent's key is `"{batch}#{key}"`.
    pub key: String,
    /// Where the row is in its file (1-based), for messages.
    pub line: usize,
    /// What to book.
    pub request: ApplyReserveRequest,
    /// Whether to keep the reservation alive.
    pub keep: bool,
}

impl BatchRow {
    /// The row `key` at `line`, booking `request`, not kept.
    pub fn new(key: impl Into<String>, line: usize, request: ApplyReserveRequest) -> Self {
        Self {
            key: key.into(),
            line,
            request,
            keep: false,
        }
    }

    /// Kept alive or not.
    pub fn keep(mut self, keep: bool) -> Self {
        self.keep = keep;
        self
    }
}

/// How [`Ledger::book_batch`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOptions {
    /// How many applies may be in flight at once (at least 1; 8 by default).
    pub concurrency: usize,
    /// Row keys (not intent keys) whose unknown outcome the user says to send again: they are
    /// [reopened](crate::LedgerStore::reopen) and sent. Never give a row whose meeting may exist.
    pub resend_unknown: Vec<String>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            resend_unknown: Vec::new(),
        }
    }
}

impl BatchOptions {
    /// With at most `concurrency` applies in flight.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Sending again the rows with these keys whose outcome is unknown.
    pub fn resend_unknown(mut self, keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.resend_unknown = keys.into_iter().map(Into::into).collect();
        self
    }
}

/// What [`Ledger::book_batch`] reports as it goes.
#[derive(Debug, Clone)]
#[non_exhaustive]
// One event per row, handed to a callback and dropped: boxing the record would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum BatchEvent {
    /// Every row's intent is written: `to_send` of the `total` rows will be sent,
    /// `already_done` have an outcome from an earlier run.
    Started {
        /// Rows in the batch (distinct keys).
        total: usize,
        /// Rows to send now.
        to_send: usize,
        /// Rows left alone: booked, refused or unknown before.
        already_done: usize,
    },
    /// A row sent now has its outcome (pending again when it was not booked and may be sent
    /// again: see [`BatchSummary::not_sent`]).
    Settled(Record),
}

/// How a batch ended.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct BatchSummary {
    /// Rows booked by this run.
    pub booked: usize,
    /// Rows booked by an earlier run (including those since deleted, expired or gone).
    pub already_booked: usize,
    /// Rows refused (by this run or an earlier one), with their code.
    pub refused: Vec<Record>,
    /// Rows whose outcome is unknown (by this run or an earlier one): not sent again unless their
    /// key is given in [`BatchOptions::resend_unknown`].
    pub unknown: Vec<Record>,
    /// Rows found sending at the start, left by a run that died with their request in flight:
    /// now unknown (also listed in `unknown`, unless sent again).
    pub interrupted: Vec<Record>,
    /// Rows tried by this run and not booked, with their last error in [`Record::refusal`]: the
    /// request never reached Feishu or Feishu turned it away for now (no connection, no token,
    /// rate limited). They are pending: running the batch again sends them.
    pub not_sent: Vec<Record>,
    /// Whether the run was stopped ([`Ledger::book_batch_until`]) before it sent every row.
    pub stopped: bool,
    /// Rows the stopped run did not send: pending, sent by the next run.
    pub not_started: Vec<Record>,
}

/// The intent key of row `row` of batch `batch`: `"{batch}#{row}"`.
pub fn batch_key(batch: &str, row: &str) -> IntentKey {
    IntentKey::new(format!("{batch}#{row}"))
}

impl Ledger {
    /// Books every row of `batch` that has not been sent before, at most
    /// `options.concurrency` at a time, and says how the batch stands.
    ///
    /// 0. The batch's lock is taken ([`LedgerStore::lock_batch`](crate::LedgerStore::lock_batch))
    ///    and held until the run ends: while another live run of the batch holds it, this one
    ///    fails with [`LedgerError::BatchBusy`] and sends and settles nothing.
    /// 1. Rows a dead run left sending become unknown (`interrupted`): with the lock held, no
    ///    live run has requests in flight.
    /// 2. Every row's intent is written before anything is sent, all in one
    ///    [`begin_many`](crate::LedgerStore::begin_many) (one commit on the SQL stores): a row
    ///    whose key is recorded for another request fails the whole batch with
    ///    [`LedgerError::Conflict`] (the first such row; [`Ledger::batch_conflicts`] lists them
    ///    all), and nothing is sent.
    /// 3. Only pending rows are sent (and unknown ones named in `resend_unknown`), each marked
    ///    sending just before its apply goes out, so that a crash never makes a row sent twice.
    ///
    /// Pacing is the client's: give it a rate limiter (see [`Ledger::new`]). `progress` is
    /// called once with [`BatchEvent::Started`], then with each settled row.
    pub async fn book_batch(
        &self,
        batch: &str,
        rows: Vec<BatchRow>,
        options: BatchOptions,
        progress: &(dyn Fn(BatchEvent) + Send + Sync),
    ) -> Result<BatchSummary, LedgerError> {
        let never = std::future::pending();
        self.book_batch_until(batch, rows, options, progress, never, DEFAULT_STOP_GRACE)
            .await
    }

    /// [`Ledger::book_batch`], stopped when `stop` resolves (a signal, a shutdown token): from
    /// then on no apply goes out, and the run waits up to `grace` for the answers of those in
    /// flight and records them. Any still unanswered after `grace` is recorded unknown (never left
    /// sending). The summary says [`stopped`](BatchSummary::stopped) and lists the rows not sent
    /// in [`not_started`](BatchSummary::not_started): they stay pending, and the next run sends
    /// them. Give a `grace` a little longer than the client's request timeout
    /// ([`DEFAULT_STOP_GRACE`] for the default one) so that every answer that can come does.
    pub async fn book_batch_until(
        &self,
        batch: &str,
        rows: Vec<BatchRow>,
        options: BatchOptions,
        progress: &(dyn Fn(BatchEvent) + Send + Sync),
        stop: impl Future<Output = ()> + Send,
        grace: Duration,
    ) -> Result<BatchSummary, LedgerError> {
        let Some(_lock) = self.store.lock_batch(batch).await? else {
            return Err(LedgerError::BatchBusy {
                batch: batch.to_owned(),
            });
        };
        let mut summary = BatchSummary::default();
        // Whole seconds: a row marked sending in this very second by a run that just died is
        // interrupted too.
        let started = self.now();
        let before = started
            .checked_add(Duration::from_secs(1))
            .unwrap_or(started);
        summary.interrupted = self.store.settle_interrupted(Some(batch), before).await?;

        if let Some(conflict) = self.batch_conflicts(batch, &rows).await?.into_iter().next() {
            return Err(conflict);
        }
        let resend: HashSet<&str> = options.resend_unknown.iter().map(String::as_str).collect();
        self.check_resend(batch, &rows, &options.resend_unknown)
            .await?;
        let mut seen = HashSet::new();
        let mut unique = Vec::new();
        let mut intents = Vec::new();
        for row in rows {
            if !seen.insert(row.key.clone()) {
                continue;
            }
            let key = batch_key(batch, &row.key);
            let book = BookOptions::default().keep(row.keep).batch(batch);
            intents.push(self.intent(key, &row.request, &book)?);
            unique.push(row);
        }
        // Every intent in one call: the SQL stores write them in one transaction.
        let written = self.store.begin_many(intents).await?;
        let mut to_send = Vec::new();
        for (row, record) in unique.into_iter().zip(written) {
            let mut record = record?;
            if record.state == State::Unknown && resend.contains(row.key.as_str()) {
                record = self.store.reopen(record.key()).await?;
            }
            match record.state {
                State::Pending => to_send.push((record.key().clone(), row.request)),
                State::Refused => summary.refused.push(record),
                State::Unknown => summary.unknown.push(record),
                State::Booked | State::Deleted | State::Expired | State::Gone => {
                    summary.already_booked += 1
                }
                // Another live sender holds it: its outcome comes from that sender.
                _ => {}
            }
        }
        let total = seen.len();
        progress(BatchEvent::Started {
            total,
            to_send: to_send.len(),
            already_done: total - to_send.len(),
        });

        let mut left: Vec<IntentKey> = to_send.iter().map(|(key, _)| key.clone()).collect();
        let mut received = HashSet::new();
        let gate = Arc::new(Gate::default());
        {
            let pull = gate.clone();
            let mut settled = futures_util::stream::iter(to_send)
                // Once stopped, no further row is even started.
                .take_while(move |_| std::future::ready(!pull.is_stopped()))
                .map(|(key, request)| {
                    let gate = gate.clone();
                    async move { self.send(&key, request, Some(gate)).await }
                })
                .buffer_unordered(options.concurrency.max(1));
            let mut stop = std::pin::pin!(stop);
            let mut grace_over = std::pin::pin!(tokio::time::sleep(grace));
            loop {
                if summary.stopped && gate.in_flight() == 0 {
                    break;
                }
                tokio::select! {
                    next = settled.next() => {
                        let Some(sent) = next else { break };
                        let sent = sent?;
                        received.insert(sent.record.key().clone());
                        if sent.withheld {
                            summary.not_started.push(sent.record);
                        } else {
                            self.count(&mut summary, sent.record, progress);
                        }
                    }
                    () = &mut stop, if !summary.stopped => {
                        gate.stop();
                        summary.stopped = true;
                        grace_over
                            .as_mut()
                            .reset(tokio::time::Instant::now() + grace);
                    }
                    () = &mut grace_over, if summary.stopped => break,
                }
            }
        }
        // The requests dropped above: what each row's record says now. Sending means its request
        // went out and no answer came in the grace.
        left.retain(|key| !received.contains(key));
        for key in left {
            let Some(record) = self.store.get(&key).await? else {
                continue;
            };
            match record.state {
                State::Pending => summary.not_started.push(record),
                State::Sending => {
                    let outcome = Outcome::Unknown {
                        log_id: None,
                        detail: format!(
                            "no answer within {}s of the batch being stopped",
                            grace.as_secs_f64()
                        ),
                        at: self.now(),
                    };
                    let record = self.store.settle(&key, outcome).await?;
                    self.count(&mut summary, record, progress);
                }
                _ => self.count(&mut summary, record, progress),
            }
        }
        Ok(summary)
    }

    /// Counts a row this run settled in `summary` and reports it.
    fn count(
        &self,
        summary: &mut BatchSummary,
        record: Record,
        progress: &(dyn Fn(BatchEvent) + Send + Sync),
    ) {
        match record.state {
            State::Booked => summary.booked += 1,
            State::Refused => summary.refused.push(record.clone()),
            State::Unknown => summary.unknown.push(record.clone()),
            State::Pending => summary.not_sent.push(record.clone()),
            _ => {}
        }
        progress(BatchEvent::Settled(record));
    }

    /// [`LedgerError::NotResendable`] unless every key of `resend` is a row of `rows` whose
    /// outcome is unknown; nothing is written.
    async fn check_resend(
        &self,
        batch: &str,
        rows: &[BatchRow],
        resend: &[String],
    ) -> Result<(), LedgerError> {
        let keys: HashSet<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        let mut refused = Vec::new();
        for row in resend {
            if !keys.contains(row.as_str()) {
                refused.push((row.clone(), "not a row of the batch".to_owned()));
                continue;
            }
            match self.store.get(&batch_key(batch, row)).await? {
                Some(record) if record.state == State::Unknown => {}
                Some(record) => {
                    refused.push((row.clone(), format!("{}, not unknown", record.state)));
                }
                None => refused.push((row.clone(), "not sent yet, not unknown".to_owned())),
            }
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(LedgerError::NotResendable { rows: refused })
        }
    }

    /// Every row of `rows` whose key is already recorded in `batch` for another request, or
    /// given to an earlier row of `rows` with another request, as [`LedgerError::Conflict`];
    /// nothing is written.
    pub async fn batch_conflicts(
        &self,
        batch: &str,
        rows: &[BatchRow],
    ) -> Result<Vec<LedgerError>, LedgerError> {
        let mut conflicts = Vec::new();
        let mut earlier: HashMap<&str, String> = HashMap::new();
        for row in rows {
            let key = batch_key(batch, &row.key);
            let given = crate::fingerprint(&row.request)?;
            let recorded = match earlier.get(row.key.as_str()) {
                Some(fingerprint) => Some(fingerprint.clone()),
                None => self.store.get(&key).await?.map(|r| r.intent.fingerprint),
            };
            earlier.entry(&row.key).or_insert_with(|| given.clone());
            if let Some(recorded) = recorded.filter(|r| *r != given) {
                conflicts.push(LedgerError::Conflict {
                    key,
                    recorded,
                    given,
                });
            }
        }
        Ok(conflicts)
    }
}
