//! Every number the long-connection client lives by: the builder's defaults, and the floors and
//! ceilings that the server's [`ClientConfig`] is clamped to, whatever it says, so that no value
//! can overflow a timer, stall the client for ages or make it hammer the endpoint.

use std::time::Duration;

use super::frame::ClientConfig;

/// Default dial timeout: TCP, TLS and the WebSocket upgrade together.
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout of the endpoint request, its answer included (as the Node SDK).
pub const DEFAULT_ENDPOINT_TIMEOUT: Duration = Duration::from_secs(15);
/// Default cap on the endpoint's answer (its real answers are a few hundred bytes).
pub const DEFAULT_MAX_ENDPOINT_ANSWER: usize = 64 << 10;
/// Default least time between two endpoint calls, whatever the server configures: at most 60
/// calls a minute, each of which carries the app secret.
pub const DEFAULT_MIN_ENDPOINT_INTERVAL: Duration = Duration::from_secs(1);
/// The least [`LongConnection::min_endpoint_interval`](super::LongConnection::min_endpoint_interval)
/// accepted: below it the client would spin.
pub const MIN_ENDPOINT_INTERVAL_FLOOR: Duration = Duration::from_millis(10);

/// The server's `PingInterval` is clamped to `[MIN_PING_INTERVAL, MAX_PING_INTERVAL]`.
pub const MIN_PING_INTERVAL: Duration = Duration::from_secs(1);
/// See [`MIN_PING_INTERVAL`].
pub const MAX_PING_INTERVAL: Duration = Duration::from_secs(600);
/// The server's `ReconnectInterval` is clamped to at most this (and at least the client's
/// least time between endpoint calls).
pub const MAX_RECONNECT_INTERVAL: Duration = Duration::from_secs(600);
/// The server's `ReconnectNonce` (the jitter before reconnecting) is clamped to at most this.
pub const MAX_RECONNECT_NONCE: Duration = Duration::from_secs(600);

/// A server's [`ClientConfig`] within the bounds above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Schedule {
    pub(crate) ping_interval: Duration,
    pub(crate) reconnect_interval: Duration,
    pub(crate) reconnect_nonce: Duration,
    /// Attempts per reconnect loop; `None` is forever (a negative `ReconnectCount`).
    pub(crate) attempts: Option<u64>,
}

impl Schedule {
    /// `config` clamped; `floor` is the client's least time between endpoint calls.
    pub(crate) fn of(config: &ClientConfig, floor: Duration) -> Self {
        let secs = |value: u64, max: Duration| Duration::from_secs(value.min(max.as_secs()));
        Self {
            ping_interval: secs(config.ping_interval, MAX_PING_INTERVAL).max(MIN_PING_INTERVAL),
            reconnect_interval: secs(config.reconnect_interval, MAX_RECONNECT_INTERVAL).max(floor),
            reconnect_nonce: secs(config.reconnect_nonce, MAX_RECONNECT_NONCE),
            // 0 allows one attempt, as before.
            attempts: u64::try_from(config.reconnect_count).ok().map(|n| n.max(1)),
        }
    }

    /// The pause before the first attempt of a reconnect loop: uniform in `[0, ReconnectNonce)`.
    pub(crate) fn jitter(&self) -> Duration {
        let nonce = u64::try_from(self.reconnect_nonce.as_millis()).unwrap_or(u64::MAX);
        if nonce == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(fastrand::u64(..nonce))
        }
    }
}

/// Spaces endpoint calls at least `floor` apart, however the server configures the client and
/// however a connection ends.
#[derive(Debug)]
pub(crate) struct Pacer {
    floor: Duration,
    last: Option<tokio::time::Instant>,
}

impl Pacer {
    pub(crate) fn new(floor: Duration) -> Self {
        Self {
            floor: floor.max(MIN_ENDPOINT_INTERVAL_FLOOR),
            last: None,
        }
    }

    pub(crate) fn floor(&self) -> Duration {
        self.floor
    }

    /// How long until the next call may go out.
    pub(crate) fn remaining(&self, now: tokio::time::Instant) -> Duration {
        self.last.map_or(Duration::ZERO, |last| {
            last.checked_add(self.floor)
                .map_or(self.floor, |next| next.saturating_duration_since(now))
        })
    }

    /// A call goes out now.
    pub(crate) fn called(&mut self, now: tokio::time::Instant) {
        self.last = Some(now);
    }
}

/// A ping timer of `period`, its first tick one period from now.
pub(crate) fn ping_timer(period: Duration) -> tokio::time::Interval {
    let start = tokio::time::Instant::now()
        .checked_add(period)
        .unwrap_or_else(tokio::time::Instant::now);
    let mut timer = tokio::time::interval_at(start, period);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    timer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(count: i64, interval: u64, nonce: u64, ping: u64) -> ClientConfig {
        ClientConfig {
            reconnect_count: count,
            reconnect_interval: interval,
            reconnect_nonce: nonce,
            ping_interval: ping,
        }
    }

    #[tokio::test]
    async fn extreme_server_values_are_clamped() {
        let floor = Duration::from_secs(1);
        let max = Schedule::of(&config(i64::MAX, u64::MAX, u64::MAX, u64::MAX), floor);
        assert_eq!(max.ping_interval, MAX_PING_INTERVAL);
        assert_eq!(max.reconnect_interval, MAX_RECONNECT_INTERVAL);
        assert_eq!(max.reconnect_nonce, MAX_RECONNECT_NONCE);
        assert_eq!(max.attempts, Some(i64::MAX.unsigned_abs()));
        assert!(max.jitter() < MAX_RECONNECT_NONCE);
        let _ = ping_timer(max.ping_interval);

        let zero = Schedule::of(&config(0, 0, 0, 0), floor);
        assert_eq!(zero.ping_interval, MIN_PING_INTERVAL);
        assert_eq!(zero.reconnect_interval, floor);
        assert_eq!(zero.jitter(), Duration::ZERO);
        assert_eq!(zero.attempts, Some(1));
        assert_eq!(
            Schedule::of(&config(i64::MIN, 1, 1, 1), floor).attempts,
            None
        );
    }

    #[test]
    fn the_sdk_defaults_pass_unchanged() {
        let s = Schedule::of(&ClientConfig::default(), DEFAULT_MIN_ENDPOINT_INTERVAL);
        assert_eq!(s.ping_interval, Duration::from_secs(120));
        assert_eq!(s.reconnect_interval, Duration::from_secs(120));
        assert_eq!(s.reconnect_nonce, Duration::from_secs(30));
        assert_eq!(s.attempts, None);
    }

    #[tokio::test]
    async fn calls_are_spaced_by_the_floor() {
        let mut pacer = Pacer::new(Duration::ZERO);
        assert_eq!(pacer.floor(), MIN_ENDPOINT_INTERVAL_FLOOR);
        let now = tokio::time::Instant::now();
        assert_eq!(pacer.remaining(now), Duration::ZERO);
        pacer.called(now);
        assert_eq!(pacer.remaining(now), MIN_ENDPOINT_INTERVAL_FLOOR);
        assert_eq!(
            pacer.remaining(now + MIN_ENDPOINT_INTERVAL_FLOOR),
            Duration::ZERO
        );
    }
}
