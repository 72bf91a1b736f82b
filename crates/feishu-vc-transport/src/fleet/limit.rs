//! Pacing calls within Feishu's limits, and the in-process [`RateLimiter`]. Each call reserves the
//! next slot of its scope and waits for it:
//! - the second's limit is a GCRA (generic cell rate algorithm) without burst: slots are spaced
//!   evenly, one emission interval apart;
//! - the minute's limit is a sliding log of the last `per_minute` slots: a slot comes at least a
//!   minute after the slot that many places before it, so no minute ever holds more.
//!
//! The same rule runs in memory here ([`InProcessRateLimiter`], for one process) and inside Redis
//! (`feishu-vc-redis`, one Lua script, atomic across processes).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::BoxFuture;
use crate::fleet::{RateLimiter, RateScope};

/// The minute's window, in microseconds.
const MINUTE_US: u64 = 60_000_000;

/// The limits a scope is paced to: at most `per_second` calls in any second and `per_minute` in
/// any minute, paced a `headroom` fraction below them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateQuota {
    per_second: u32,
    per_minute: u32,
    headroom: f64,
}

impl RateQuota {
    /// Feishu's documented limit for an app, tenant and operation: 50 a second and 1000 a minute,
    /// with 4 % headroom (48 a second, 960 a minute).
    pub const fn documented() -> Self {
        Self {
            per_second: 50,
            per_minute: 1000,
            headroom: 0.04,
        }
    }

    /// Other limits (each at least 1), with the same headroom.
    pub fn new(per_second: u32, per_minute: u32) -> Self {
        Self {
            per_second: per_second.max(1),
            per_minute: per_minute.max(1),
            ..Self::documented()
        }
    }

    /// Pace this fraction below the limits (0.04 unless set, clamped to 0..0.5). Calls leave the
    /// limiter evenly spaced but reach Feishu with network jitter, and Feishu counts them in
    /// windows of its own: pacing exactly at the limit would now and then put one call too many
    /// in a window and draw a 429.
    pub fn headroom(mut self, fraction: f64) -> Self {
        self.headroom = fraction.clamp(0.0, 0.5);
        self
    }

    /// The time between two slots under the second's limit (headroom applied): 20.834 ms for
    /// [`RateQuota::documented`].
    pub fn interval(&self) -> Duration {
        Duration::from_micros(self.cells().interval_us)
    }

    /// The most slots in any minute (headroom applied): 960 for [`RateQuota::documented`].
    pub fn per_minute_slots(&self) -> u32 {
        self.cells().per_minute as u32
    }

    /// The emission interval of the second's limit (µs) and the minute's count.
    fn cells(&self) -> Cells {
        let paced = |count: u32| (f64::from(count) * (1.0 - self.headroom)).floor().max(1.0);
        Cells {
            interval_us: (1_000_000.0 / paced(self.per_second)).ceil() as u64,
            per_minute: paced(self.per_minute) as usize,
        }
    }
}

/// A quota in the units the rule uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cells {
    interval_us: u64,
    per_minute: usize,
}

/// One scope's reservations, in memory.
#[derive(Debug, Default)]
struct Schedule {
    /// The earliest time (µs) of the next slot under the second's limit.
    next: u64,
    /// The last `per_minute` slots (µs), oldest first.
    recent: VecDeque<u64>,
}

/// Reserves the next slot at `now` (µs); returns how long to wait for it, in µs.
fn reserve(now: u64, schedule: &mut Schedule, cells: Cells) -> u64 {
    let mut at = now.max(schedule.next);
    if schedule.recent.len() >= cells.per_minute
        && let Some(oldest) = schedule.recent.front()
    {
        at = at.max(oldest + MINUTE_US);
    }
    schedule.next = at + cells.interval_us;
    schedule.recent.push_back(at);
    while schedule.recent.len() > cells.per_minute {
        schedule.recent.pop_front();
    }
    at - now
}

/// A [`RateScope`], owned: app id, tenant key, operation.
type ScopeKey = (String, Option<String>, &'static str);

/// Paces the calls of one process (all its clients sharing this limiter) within a quota per app,
/// tenant and operation, in memory. For a fleet of processes use a shared backend
/// (`feishu-vc-redis`), which falls back to this rule while its server is down.
#[derive(Debug)]
pub struct InProcessRateLimiter {
    cells: Cells,
    started: Instant,
    schedules: Mutex<HashMap<ScopeKey, Schedule>>,
}

impl InProcessRateLimiter {
    /// A limiter enforcing `quota` for every scope.
    pub fn new(quota: RateQuota) -> Self {
        Self {
            cells: quota.cells(),
            started: Instant::now(),
            schedules: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves the scope's next slot: how long to wait for it.
    pub fn reserve(&self, scope: RateScope<'_>) -> Duration {
        let now = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let key = (
            scope.app_id.to_owned(),
            scope.tenant_key.map(str::to_owned),
            scope.operation,
        );
        let mut schedules = self
            .schedules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Duration::from_micros(reserve(now, schedules.entry(key).or_default(), self.cells))
    }
}

impl Default for InProcessRateLimiter {
    /// Feishu's documented limits ([`RateQuota::documented`]).
    fn default() -> Self {
        Self::new(RateQuota::documented())
    }
}

impl RateLimiter for InProcessRateLimiter {
    fn acquire<'a>(&'a self, scope: RateScope<'a>) -> BoxFuture<'a, ()> {
        let wait = self.reserve(scope);
        Box::pin(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_quota_paces_48_a_second_and_960_a_minute() {
        let quota = RateQuota::documented();
        assert_eq!(quota.interval(), Duration::from_micros(20_834));
        assert_eq!(quota.per_minute_slots(), 960);
    }

    #[test]
    fn scopes_are_paced_apart() {
        let limiter = InProcessRateLimiter::new(RateQuota::new(50, 1000).headroom(0.0));
        let scope = |tenant, operation| RateScope {
            app_id: "cli_a",
            tenant_key: tenant,
            operation,
        };
        assert_eq!(
            limiter.reserve(scope(None, "apply_reserve")),
            Duration::ZERO
        );
        let second = limiter.reserve(scope(None, "apply_reserve"));
        assert!(second > Duration::from_millis(19), "{second:?}");
        // Another operation, or another tenant, has its own slots.
        assert_eq!(limiter.reserve(scope(None, "get_reserve")), Duration::ZERO);
        assert_eq!(
            limiter.reserve(scope(Some("t2"), "apply_reserve")),
            Duration::ZERO
        );
    }

    #[test]
    fn slots_are_spaced_evenly_and_no_minute_holds_more_than_its_count() {
        let cells = RateQuota::new(50, 100).headroom(0.0).cells();
        let mut schedule = Schedule::default();
        let now = 1_000_000;
        let waits: Vec<u64> = (0..201)
            .map(|_| reserve(now, &mut schedule, cells))
            .collect();
        // Evenly 20 ms apart while the minute's 100 last...
        for (i, w) in waits.iter().take(100).enumerate() {
            assert_eq!(*w, i as u64 * 20_000);
        }
        // ...then each waits for the slot a hundred places before it to leave the minute.
        assert_eq!(waits[100], 60_000_000);
        assert_eq!(waits[101], 60_020_000);
        assert_eq!(waits[200], 120_000_000);
        // Any window of a minute holds at most 100 slots.
        for (i, start) in waits.iter().enumerate() {
            let inside = waits[i..]
                .iter()
                .filter(|t| **t < start + MINUTE_US)
                .count();
            assert!(inside <= 100, "{inside} slots in the minute from {start}");
        }
    }

    #[test]
    fn an_idle_scope_does_not_bank_seconds() {
        let cells = RateQuota::new(50, 1000).headroom(0.0).cells();
        let mut schedule = Schedule::default();
        assert_eq!(reserve(5_000_000, &mut schedule, cells), 0);
        assert_eq!(reserve(5_000_000, &mut schedule, cells), 20_000);
        // Long after: at once, then spaced again.
        assert_eq!(reserve(60_000_000, &mut schedule, cells), 0);
        assert_eq!(reserve(60_000_000, &mut schedule, cells), 20_000);
    }
}
