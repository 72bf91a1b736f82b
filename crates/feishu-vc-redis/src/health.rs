//! Whether a store is degraded because Redis is unreachable: one warning when it starts, one note
//! when Redis answers again, and a pause between attempts meanwhile.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a degraded store works without Redis before trying it again.
const RETRY_AFTER: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub(crate) struct Health {
    /// What degrades, for the messages: "the rate limiter", "the dedup store".
    store: &'static str,
    /// What the store does meanwhile.
    fallback: &'static str,
    /// When Redis failed last, while degraded.
    down_since: Mutex<Option<Instant>>,
}

impl Health {
    pub(crate) const fn new(store: &'static str, fallback: &'static str) -> Self {
        Self {
            store,
            fallback,
            down_since: Mutex::new(None),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.down_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether to try Redis now: always when healthy, every [`RETRY_AFTER`] when degraded.
    pub(crate) fn should_try(&self) -> bool {
        self.state().is_none_or(|at| at.elapsed() >= RETRY_AFTER)
    }

    /// Redis answered.
    pub(crate) fn succeeded(&self) {
        if self.state().take().is_some() {
            tracing::info!(
                store = self.store,
                "Redis answers again; {} is shared again",
                self.store
            );
        }
    }

    /// Redis failed with `error`.
    pub(crate) fn failed(&self, error: &redis::RedisError) {
        let mut state = self.state();
        if state.is_none() {
            tracing::warn!(
                store = self.store,
                error = %error,
                "Redis is unreachable; {} {} until it answers again",
                self.store,
                self.fallback
            );
        }
        *state = Some(Instant::now());
    }
}
