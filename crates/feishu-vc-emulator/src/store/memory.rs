//! The state in memory: every reservation, token and calendar event under one mutex, with the changes the state
//! store has yet to write (`store/sqlite.rs` writes them).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::RangeInclusive;
use std::sync::Arc;

use crate::auth::state::TokenRecord;
use crate::calendar::state::StoredEvent;
use crate::reserves::state::Reservation;

/// Everything that changes, under one mutex.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Incremented by every change; the store holds every change up to the version of its last
    /// write.
    pub(crate) version: u64,
    /// Shared with the store's writer, which takes the changed ones under the lock (cheap: an
    /// `Arc` each) and serializes them outside; changes go through `Arc::make_mut`.
    pub(crate) reservations: BTreeMap<String, Arc<Reservation>>,
    pub(crate) tokens: BTreeMap<String, TokenRecord>,
    /// Calendar events by event id, deleted ones included.
    pub(crate) events: BTreeMap<String, Arc<StoredEvent>>,
    /// Meeting number → the reservation that last got it. The number is taken while that
    /// reservation is live (not expired, not deleted).
    pub(crate) holders: HashMap<u32, String>,
    /// How many applies booked a reservation, ever (deleted reservations included).
    pub(crate) applies: u64,
    /// What changed since the store's last write, when there is a store.
    changes: Option<Changed>,
}

/// The keys of the reservations, tokens and events that changed (or went) since the last write.
#[derive(Debug, Default)]
struct Changed {
    reservations: BTreeSet<String>,
    tokens: BTreeSet<String>,
    events: BTreeSet<String>,
}

/// What the store's writer takes under the lock, to write outside it: the changed rows (`None`:
/// deleted), or every live row, as of `version`.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) version: u64,
    /// Every live row: the store's log is replaced with them.
    pub(crate) full: bool,
    pub(crate) clock_offset: i64,
    pub(crate) applies: u64,
    pub(crate) reservations: Vec<(String, Option<Arc<Reservation>>)>,
    pub(crate) tokens: Vec<(String, Option<TokenRecord>)>,
    pub(crate) events: Vec<(String, Option<Arc<StoredEvent>>)>,
}

impl Batch {
    /// How many log rows it writes.
    pub(crate) fn rows(&self) -> u64 {
        (self.reservations.len() + self.tokens.len() + self.events.len()) as u64
    }
}

impl State {
    /// How many rows the live state is in the store's log.
    pub(crate) fn rows(&self) -> u64 {
        (self.reservations.len() + self.tokens.len() + self.events.len()) as u64
    }

    /// The state read from a store (or an older state file), with changes tracked for the store
    /// from now on when `track` is set.
    pub(crate) fn loaded(
        reservations: impl IntoIterator<Item = Reservation>,
        tokens: BTreeMap<String, TokenRecord>,
        events: impl IntoIterator<Item = StoredEvent>,
        applies: u64,
        track: bool,
    ) -> Self {
        let mut state = Self {
            version: 0,
            applies,
            reservations: reservations
                .into_iter()
                .map(|r| (r.id.clone(), Arc::new(r)))
                .collect(),
            tokens,
            events: events
                .into_iter()
                .map(|e| (e.id.clone(), Arc::new(e)))
                .collect(),
            holders: HashMap::new(),
            changes: track.then(Changed::default),
        };
        // Of several reservations that had a number, the latest to expire holds it: at most one
        // of them is live.
        for r in state.reservations.values() {
            let replace = match state.holders.get(&r.meeting_no) {
                None => true,
                Some(other) => state
                    .reservations
                    .get(other)
                    .is_none_or(|o| o.end_time < r.end_time),
            };
            if replace {
                state.holders.insert(r.meeting_no, r.id.clone());
            }
        }
        state
    }

    /// Takes what changed since the last call, for the store to write; with `full`, every live
    /// row instead (to replace the store's log with).
    pub(crate) fn take_batch(&mut self, clock_offset: i64, full: bool) -> Batch {
        let mut changed = self
            .changes
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        if full {
            changed = Changed {
                reservations: self.reservations.keys().cloned().collect(),
                tokens: self.tokens.keys().cloned().collect(),
                events: self.events.keys().cloned().collect(),
            };
        }
        Batch {
            version: self.version,
            full,
            clock_offset,
            applies: self.applies,
            reservations: changed
                .reservations
                .into_iter()
                .map(|id| {
                    let r = self.reservations.get(&id).cloned();
                    (id, r)
                })
                .collect(),
            tokens: changed
                .tokens
                .into_iter()
                .map(|t| {
                    let record = self.tokens.get(&t).cloned();
                    (t, record)
                })
                .collect(),
            events: changed
                .events
                .into_iter()
                .map(|id| {
                    let e = self.events.get(&id).cloned();
                    (id, e)
                })
                .collect(),
        }
    }

    /// Marks the rows of a batch that could not be written as changed again, so that the next
    /// write includes them (as they are then).
    pub(crate) fn requeue(&mut self, batch: Batch) {
        if let Some(changes) = self.changes.as_mut() {
            changes
                .reservations
                .extend(batch.reservations.into_iter().map(|(id, _)| id));
            changes
                .tokens
                .extend(batch.tokens.into_iter().map(|(t, _)| t));
            changes
                .events
                .extend(batch.events.into_iter().map(|(id, _)| id));
        }
    }

    fn changed_reservation(&mut self, id: &str) {
        if let Some(changes) = self.changes.as_mut() {
            changes.reservations.insert(id.to_owned());
        }
    }

    fn changed_token(&mut self, token: &str) {
        if let Some(changes) = self.changes.as_mut() {
            changes.tokens.insert(token.to_owned());
        }
    }

    fn changed_event(&mut self, id: &str) {
        if let Some(changes) = self.changes.as_mut() {
            changes.events.insert(id.to_owned());
        }
    }

    /// Adds a calendar event.
    pub(crate) fn insert_event(&mut self, event: StoredEvent) {
        self.changed_event(&event.id);
        self.events.insert(event.id.clone(), Arc::new(event));
    }

    /// A calendar event to change.
    pub(crate) fn event_mut(&mut self, id: &str) -> Option<&mut StoredEvent> {
        if self.events.contains_key(id) {
            self.changed_event(id);
        }
        self.events.get_mut(id).map(Arc::make_mut)
    }

    /// Adds a reservation.
    pub(crate) fn insert_reservation(&mut self, reservation: Reservation) {
        self.changed_reservation(&reservation.id);
        self.reservations
            .insert(reservation.id.clone(), Arc::new(reservation));
    }

    /// Deletes a reservation; the meeting number it holds is free.
    pub(crate) fn remove_reservation(&mut self, id: &str) {
        if let Some(r) = self.reservations.remove(id) {
            self.changed_reservation(id);
            if self.holders.get(&r.meeting_no).is_some_and(|h| h == id) {
                self.holders.remove(&r.meeting_no);
            }
        }
    }

    /// Adds a token.
    pub(crate) fn insert_token(&mut self, token: String, record: TokenRecord) {
        self.changed_token(&token);
        self.tokens.insert(token, record);
    }

    /// A reservation to change.
    pub(crate) fn reservation_mut(&mut self, id: &str) -> Option<&mut Reservation> {
        if self.reservations.contains_key(id) {
            self.changed_reservation(id);
        }
        self.reservations.get_mut(id).map(Arc::make_mut)
    }

    /// Records a change.
    pub(crate) fn touch(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    /// The live reservation holding `no`, if any.
    pub(crate) fn holder(&self, no: u32, now: i64) -> Option<&Reservation> {
        let id = self.holders.get(&no)?;
        self.reservations
            .get(id)
            .map(Arc::as_ref)
            .filter(|r| r.is_live(now))
    }

    /// A meeting number of `pool` that no live reservation holds.
    pub(crate) fn free_meeting_no(&self, pool: &RangeInclusive<u32>, now: i64) -> Option<u32> {
        let (lo, hi) = (*pool.start(), *pool.end());
        let free = |no: u32| self.holder(no, now).is_none();
        for _ in 0..64 {
            let no = fastrand::u32(lo..=hi);
            if free(no) {
                return Some(no);
            }
        }
        // A small or crowded pool: look at every number once, from a random start.
        let size = u64::from(hi - lo) + 1;
        if size > 1 << 22 {
            return None;
        }
        let start = fastrand::u64(..size);
        (0..size)
            .map(|i| lo + u32::try_from((start + i) % size).unwrap_or(0))
            .find(|no| free(*no))
    }

    /// A reservation id no reservation has.
    pub(crate) fn fresh_reserve_id(&self) -> String {
        loop {
            let id = crate::ids::id_19();
            if !self.reservations.contains_key(&id) {
                return id;
            }
        }
    }

    /// The numbers held by live reservations, sorted.
    pub(crate) fn taken(&self, now: i64) -> Vec<u32> {
        let mut taken: Vec<u32> = self
            .holders
            .keys()
            .copied()
            .filter(|no| self.holder(*no, now).is_some())
            .collect();
        taken.sort_unstable();
        taken
    }

    /// Drops tokens that expired before `now`.
    pub(crate) fn purge_tokens(&mut self, now: i64) {
        let mut gone = Vec::new();
        self.tokens.retain(|token, t| {
            let keep = t.expires_at > now;
            if !keep {
                gone.push(token.clone());
            }
            keep
        });
        for token in gone {
            self.changed_token(&token);
        }
    }
}
