//! The in-memory ledger: for tests and for apps that need no record across restarts.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use feishu_vc_model::{MeetingNo, ReserveId, Timestamp};

use crate::error::LedgerError;
use crate::locks::{BatchLock, LocalBatchLocks};
use crate::record::{
    CalendarPlacement, Claim, Intent, IntentKey, Outcome, Record, RecordFilter, Refusal, State,
};
use crate::store::{BoxFuture, LedgerStore};

/// A [`LedgerStore`] in memory: everything is lost with the process.
#[derive(Debug, Default)]
pub struct InMemoryLedger {
    inner: Mutex<Inner>,
    /// Its batches' locks: this ledger's own, as no other process can see it.
    batch_locks: LocalBatchLocks,
}

#[derive(Debug, Default)]
struct Inner {
    /// In the order the intents were written.
    records: Vec<Entry>,
    by_key: HashMap<IntentKey, usize>,
}

#[derive(Debug)]
struct Entry {
    record: Record,
    sending_since: Option<Timestamp>,
    claim: Option<Claim>,
}

impl InMemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn entry_mut(&mut self, key: &IntentKey) -> Result<&mut Entry, LedgerError> {
        let index = *self
            .by_key
            .get(key)
            .ok_or_else(|| LedgerError::NotFound(format!("intent `{key}`")))?;
        Ok(&mut self.records[index])
    }

    fn booked_mut(&mut self, reserve_id: &ReserveId) -> Result<&mut Entry, LedgerError> {
        self.records
            .iter_mut()
            .find(|e| e.record.reserve_id.as_ref() == Some(reserve_id))
            .ok_or_else(|| LedgerError::NotFound(format!("reservation `{reserve_id}`")))
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, T> {
    Box::pin(std::future::ready(value))
}

impl Inner {
    fn begin(&mut self, intent: Intent) -> Result<Record, LedgerError> {
        match self.by_key.get(&intent.key) {
            Some(&index) => {
                let existing = &self.records[index].record;
                if existing.intent.fingerprint == intent.fingerprint {
                    Ok(existing.clone())
                } else {
                    Err(LedgerError::Conflict {
                        key: intent.key.clone(),
                        recorded: existing.intent.fingerprint.clone(),
                        given: intent.fingerprint,
                    })
                }
            }
            None => {
                let record = Record::pending(intent);
                let index = self.records.len();
                self.by_key.insert(record.key().clone(), index);
                self.records.push(Entry {
                    record: record.clone(),
                    sending_since: None,
                    claim: None,
                });
                Ok(record)
            }
        }
    }
}

impl Inner {
    fn mark_sending(&mut self, key: &IntentKey, at: Timestamp) -> Result<bool, LedgerError> {
        self.entry_mut(key).map(|entry| {
            if entry.record.state != State::Pending {
                return false;
            }
            entry.record.state = State::Sending;
            entry.record.attempts += 1;
            entry.record.updated_at = at;
            entry.sending_since = Some(at);
            true
        })
    }
}

impl LedgerStore for InMemoryLedger {
    fn begin(&self, intent: Intent) -> BoxFuture<'_, Result<Record, LedgerError>> {
        ready(self.lock().begin(intent))
    }

    /// All the intents under one lock: no other change comes between them.
    fn begin_many(
        &self,
        intents: Vec<Intent>,
    ) -> BoxFuture<'_, Result<Vec<Result<Record, LedgerError>>, LedgerError>> {
        let mut inner = self.lock();
        let results = intents.into_iter().map(|i| inner.begin(i)).collect();
        ready(Ok(results))
    }

    fn mark_sending<'a>(
        &'a self,
        key: &'a IntentKey,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<bool, LedgerError>> {
        ready(self.lock().mark_sending(key, at))
    }

    /// `begin` and `mark_sending` under one lock.
    fn mark_sending_new(
        &self,
        intent: Intent,
        at: Timestamp,
    ) -> BoxFuture<'_, Result<bool, LedgerError>> {
        let mut inner = self.lock();
        let key = intent.key.clone();
        let result = inner
            .begin(intent)
            .and_then(|_| inner.mark_sending(&key, at));
        ready(result)
    }

    fn settle<'a>(
        &'a self,
        key: &'a IntentKey,
        outcome: Outcome,
    ) -> BoxFuture<'a, Result<Record, LedgerError>> {
        let mut inner = self.lock();
        let result = inner.entry_mut(key).and_then(|entry| {
            let record = &mut entry.record;
            if record.state != State::Sending {
                return Err(LedgerError::WrongState {
                    key: key.clone(),
                    state: record.state,
                    expected: "sending",
                });
            }
            entry.sending_since = None;
            match outcome {
                Outcome::Booked {
                    reserve_id,
                    meeting_no,
                    url,
                    end_time,
                    log_id,
                    at,
                } => {
                    record.state = State::Booked;
                    record.reserve_id = Some(reserve_id);
                    record.meeting_no = Some(meeting_no);
                    record.url = url;
                    record.end_time = end_time;
                    record.booked_at = Some(at);
                    record.log_id = log_id;
                    record.refusal = None;
                    record.updated_at = at;
                    record.checked_at = Some(at);
                }
                Outcome::Unknown { log_id, detail, at } => {
                    record.state = State::Unknown;
                    record.log_id = log_id;
                    record.refusal = Some(Refusal {
                        code: None,
                        message: detail,
                    });
                    record.updated_at = at;
                }
                Outcome::Refused {
                    refusal,
                    log_id,
                    at,
                } => {
                    record.state = State::Refused;
                    record.log_id = log_id;
                    record.refusal = Some(refusal);
                    record.updated_at = at;
                }
                Outcome::NotBooked {
                    refusal,
                    log_id,
                    at,
                } => {
                    record.state = State::Pending;
                    record.log_id = log_id;
                    record.refusal = Some(refusal);
                    record.updated_at = at;
                }
            }
            Ok(record.clone())
        });
        ready(result)
    }

    fn settle_interrupted<'a>(
        &'a self,
        batch: Option<&'a str>,
        before: Timestamp,
    ) -> BoxFuture<'a, Result<Vec<Record>, LedgerError>> {
        let mut inner = self.lock();
        let mut settled = Vec::new();
        for entry in &mut inner.records {
            let in_batch = batch.is_none_or(|b| entry.record.intent.batch.as_deref() == Some(b));
            let stale = entry.sending_since.is_some_and(|since| since < before);
            if in_batch && entry.record.state == State::Sending && stale {
                entry.record.state = State::Unknown;
                entry.record.refusal = Some(Refusal {
                    code: None,
                    message: "interrupted while in flight".to_owned(),
                });
                entry.record.updated_at = before;
                entry.sending_since = None;
                settled.push(entry.record.clone());
            }
        }
        ready(Ok(settled))
    }

    fn reopen<'a>(&'a self, key: &'a IntentKey) -> BoxFuture<'a, Result<Record, LedgerError>> {
        let mut inner = self.lock();
        let result = inner.entry_mut(key).and_then(|entry| {
            if entry.record.state != State::Unknown {
                return Err(LedgerError::WrongState {
                    key: key.clone(),
                    state: entry.record.state,
                    expected: "unknown",
                });
            }
            entry.record.state = State::Pending;
            Ok(entry.record.clone())
        });
        ready(result)
    }

    fn get<'a>(&'a self, key: &'a IntentKey) -> BoxFuture<'a, Result<Option<Record>, LedgerError>> {
        let inner = self.lock();
        let found = inner
            .by_key
            .get(key)
            .map(|&index| inner.records[index].record.clone());
        ready(Ok(found))
    }

    fn by_reserve_id<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
    ) -> BoxFuture<'a, Result<Option<Record>, LedgerError>> {
        let inner = self.lock();
        let found = inner
            .records
            .iter()
            .find(|e| e.record.reserve_id.as_ref() == Some(reserve_id))
            .map(|e| e.record.clone());
        ready(Ok(found))
    }

    fn list<'a>(
        &'a self,
        filter: &'a RecordFilter,
    ) -> BoxFuture<'a, Result<Vec<Record>, LedgerError>> {
        let inner = self.lock();
        let mut found: Vec<Record> = inner
            .records
            .iter()
            .filter(|e| filter.matches(&e.record))
            .map(|e| e.record.clone())
            .collect();
        // Oldest intent first; intents written at the same time in the order they were written.
        found.sort_by_key(|r| r.intent.created_at);
        ready(Ok(found))
    }

    fn set_end_time<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
        end_time: Timestamp,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<Record, LedgerError>> {
        let mut inner = self.lock();
        let result = inner.booked_mut(reserve_id).map(|entry| {
            entry.record.end_time = end_time;
            entry.record.updated_at = at;
            entry.record.checked_at = Some(at);
            entry.record.clone()
        });
        ready(result)
    }

    fn set_ended<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
        state: State,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<Record, LedgerError>> {
        let mut inner = self.lock();
        let result = inner.booked_mut(reserve_id).and_then(|entry| {
            if !state.is_ended() {
                return Err(LedgerError::WrongState {
                    key: entry.record.key().clone(),
                    state,
                    expected: "deleted, expired or gone",
                });
            }
            entry.record.state = state;
            entry.record.ended_at = Some(at);
            entry.record.updated_at = at;
            entry.record.checked_at = Some(at);
            entry.claim = None;
            Ok(entry.record.clone())
        });
        ready(result)
    }

    fn set_keep<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
        keep: bool,
    ) -> BoxFuture<'a, Result<Record, LedgerError>> {
        let mut inner = self.lock();
        let result = inner.booked_mut(reserve_id).map(|entry| {
            entry.record.intent.keep = keep;
            entry.record.clone()
        });
        ready(result)
    }

    fn set_calendar<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
        calendar: Option<CalendarPlacement>,
    ) -> BoxFuture<'a, Result<Record, LedgerError>> {
        let mut inner = self.lock();
        let result = inner.booked_mut(reserve_id).map(|entry| {
            entry.record.calendar = calendar;
            entry.record.clone()
        });
        ready(result)
    }

    fn claim_due<'a>(
        &'a self,
        due: Timestamp,
        now: Timestamp,
        claim: &'a Claim,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Record>, LedgerError>> {
        let mut inner = self.lock();
        let mut claimed = Vec::new();
        for entry in &mut inner.records {
            if claimed.len() >= limit {
                break;
            }
            let free = entry.claim.as_ref().is_none_or(|c| c.until <= now);
            if entry.record.state == State::Booked
                && entry.record.intent.keep
                && entry.record.end_time < due
                && free
            {
                entry.claim = Some(claim.clone());
                claimed.push(entry.record.clone());
            }
        }
        ready(Ok(claimed))
    }

    fn release<'a>(
        &'a self,
        reserve_id: &'a ReserveId,
        worker: &'a str,
    ) -> BoxFuture<'a, Result<(), LedgerError>> {
        let mut inner = self.lock();
        if let Ok(entry) = inner.booked_mut(reserve_id)
            && entry.claim.as_ref().is_some_and(|c| c.worker == worker)
        {
            entry.claim = None;
        }
        ready(Ok(()))
    }

    fn by_meeting_no<'a>(
        &'a self,
        meeting_no: &'a MeetingNo,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<Vec<Record>, LedgerError>> {
        let inner = self.lock();
        let mut found: Vec<Record> = inner
            .records
            .iter()
            .filter(|e| e.record.held_number_at(meeting_no, at))
            .map(|e| e.record.clone())
            .collect();
        found.sort_by_key(|r| std::cmp::Reverse(r.booked_at));
        ready(Ok(found))
    }

    fn lock_batch<'a>(
        &'a self,
        batch: &'a str,
    ) -> BoxFuture<'a, Result<Option<BatchLock>, LedgerError>> {
        ready(Ok(self.batch_locks.try_lock(batch)))
    }
}
