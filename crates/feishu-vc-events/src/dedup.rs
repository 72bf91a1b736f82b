//! Deduplication of deliveries on their event id.
//!
//! Feishu retries a delivery it thinks failed at 15 s, 5 min, 1 h and 6 h (about 7.1 h in all),
//! and may send the same `event_id` twice even without failures. A receiver records each id when
//! it **accepts** the delivery (before the 200 answer and before any handler runs): a handler
//! that fails later is logged, not retried by Feishu, since the answer was already 200. Handlers
//! that must not lose work persist it themselves. A store that fails makes the receiver answer
//! 500, so Feishu sends the delivery again and nothing is lost.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::BoxFuture;
use crate::error::StoreError;

/// How long ids are remembered by default: 24 h, well past Feishu's ~7.1 h retry schedule.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// How many ids the in-memory store keeps by default (each id is held twice: in a map and in the
/// eviction queue).
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Remembers which event ids were accepted. A shared backend (Redis...) lets several receiver
/// instances deduplicate together.
pub trait DedupStore: Send + Sync + std::fmt::Debug {
    /// Records `event_id` as seen at `now`; `true` the first time within the store's window,
    /// `false` for a repeat.
    fn first_sighting<'a>(
        &'a self,
        event_id: &'a str,
        now: SystemTime,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
}

/// The in-memory default: a time window and a capacity, whichever is reached first evicts the
/// oldest ids. Bounded memory; not shared between processes.
#[derive(Debug)]
pub struct InMemoryDedup {
    window: Duration,
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    seen: HashMap<String, SystemTime>,
    order: VecDeque<(SystemTime, String)>,
}

impl Default for InMemoryDedup {
    fn default() -> Self {
        Self::new(DEFAULT_WINDOW, DEFAULT_CAPACITY)
    }
}

impl InMemoryDedup {
    /// Remembers ids for `window`, at most `capacity` of them (at least 1).
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self {
            window,
            capacity: capacity.max(1),
            state: Mutex::default(),
        }
    }

    /// How many ids are remembered now.
    pub fn len(&self) -> usize {
        self.lock().seen.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The synchronous form of [`DedupStore::first_sighting`].
    pub fn insert(&self, event_id: &str, now: SystemTime) -> bool {
        let mut state = self.lock();
        let cutoff = now
            .checked_sub(self.window)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        while let Some((at, _)) = state.order.front() {
            if *at > cutoff && state.order.len() < self.capacity {
                break;
            }
            if let Some((at, id)) = state.order.pop_front() {
                // Only forget the id if this queue entry is still its latest sighting.
                if state.seen.get(&id) == Some(&at) {
                    state.seen.remove(&id);
                }
            }
        }
        if let Some(at) = state.seen.get(event_id)
            && *at > cutoff
        {
            return false;
        }
        state.seen.insert(event_id.to_owned(), now);
        state.order.push_back((now, event_id.to_owned()));
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl DedupStore for InMemoryDedup {
    fn first_sighting<'a>(
        &'a self,
        event_id: &'a str,
        now: SystemTime,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let first = self.insert(event_id, now);
        Box::pin(std::future::ready(Ok(first)))
    }
}
