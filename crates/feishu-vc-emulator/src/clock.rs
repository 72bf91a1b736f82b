//! The emulator's clock: what "now" is for token lifetimes, reservation expiry and validation.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use feishu_vc_model::Timestamp;

/// The furthest the emulator's time may be moved ahead of its clock: 100 years. Further would
/// leave the range of Feishu's timestamps and of the arithmetic on them.
pub(crate) const MAX_CLOCK_OFFSET: i64 = 100 * 366 * 86_400;

/// A source of the current time, in whole unix seconds.
///
/// The emulator reads its clock on every request and adds the offset accumulated by
/// [`crate::Emulator::advance`] (or `POST /_emulator/clock/advance`), so a test can move time
/// forward without touching the clock itself.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system clock (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until it is set or advanced. Clones share the same time, so a test
/// can keep one and hand another to [`crate::EmulatorBuilder::clock`].
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(start.unix_seconds())))
    }

    /// Sets the time.
    pub fn set(&self, now: Timestamp) {
        self.0.store(now.unix_seconds(), Ordering::SeqCst);
    }

    /// Moves the time forward by `by` (whole seconds).
    pub fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_seconds(self.0.load(Ordering::SeqCst))
    }
}
