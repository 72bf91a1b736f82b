//! What the long-connection client goes through, as it happens ([`Status`]), and a throttle that
//! turns those into a few lines for a person ([`StatusThrottle`]). Sans I/O.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Default of [`StatusThrottle::new`]: each kind of failure is reported at most once a minute.
pub const DEFAULT_REPORT_INTERVAL: Duration = Duration::from_secs(60);

/// One change in a [`LongConnection`](super::LongConnection)'s state, given to its
/// [`on_status`](super::LongConnection::on_status) observer. Messages never carry a secret the
/// client knows (the app secret, the connection URL's ticket and keys) nor a control character,
/// and are at most a few hundred characters long, whatever the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// A connection is open: events flow.
    Connected,
    /// Something failed and the client carries on: it retries, reconnects or skips a frame.
    Failed {
        /// What failed.
        kind: FailureKind,
        /// Why, scrubbed.
        message: String,
        /// When the client tries again (connection failures), if it does.
        retry_in: Option<Duration>,
    },
}

/// What kind of thing failed, in a [`Status::Failed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// The endpoint request (`POST /callback/ws/endpoint`): no answer, an HTTP error, a retryable
    /// code, or an answer that is unreadable or over its size cap.
    Endpoint,
    /// Connecting to the endpoint's URL: TCP, TLS or the WebSocket upgrade failed, was refused or
    /// did not complete within the dial timeout.
    Dial,
    /// An open connection dropped or was closed by the server.
    Dropped,
    /// A frame from the server was skipped: not a frame, or a fragment out of its bounds.
    Frame,
    /// An event was not accepted (it does not decode, or a store failed) and is answered 500, so
    /// Feishu sends it again.
    Event,
}

impl FailureKind {
    fn what(self) -> &'static str {
        match self {
            Self::Endpoint => "the endpoint request failed",
            Self::Dial => "connecting failed",
            Self::Dropped => "the connection dropped",
            Self::Frame => "a frame from the server was skipped",
            Self::Event => "an event was refused (answered 500, so it comes again)",
        }
    }
}

impl fmt::Display for Status {
    /// One line: `long connection established`, or
    /// `long connection: the endpoint request failed: HTTP 503 Service Unavailable; retrying in 1 s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connected => f.write_str("long connection established"),
            Self::Failed {
                kind,
                message,
                retry_in,
            } => {
                write!(f, "long connection: {}: {message}", kind.what())?;
                match retry_in {
                    Some(wait) => write!(f, "; retrying in {}", Seconds(*wait)),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A duration as a person reads it: `1 s`, `1.5 s`, `250 ms`.
pub(crate) struct Seconds(pub(crate) Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms < 1000 {
            write!(f, "{ms} ms")
        } else if ms.is_multiple_of(1000) {
            write!(f, "{} s", ms / 1000)
        } else {
            write!(f, "{:.1} s", self.0.as_secs_f64())
        }
    }
}

/// Turns [`Status`]es into lines for a person: the first failure of each [`FailureKind`] at once,
/// then at most one line per kind per interval, saying how many were left out; and, after
/// failures, one line when a connection is open again. The happy path prints nothing.
#[derive(Debug, Clone)]
pub struct StatusThrottle {
    interval: Duration,
    /// Per kind: when it was last reported, and how many were left out since.
    kinds: HashMap<FailureKind, (Instant, u64)>,
    /// A failure came since the last connection.
    failing: bool,
}

impl Default for StatusThrottle {
    /// Once a minute per kind ([`DEFAULT_REPORT_INTERVAL`]).
    fn default() -> Self {
        Self::new(DEFAULT_REPORT_INTERVAL)
    }
}

impl StatusThrottle {
    /// A throttle reporting each kind of failure at most once per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            kinds: HashMap::new(),
            failing: false,
        }
    }

    /// The line to show for `status` at `now`, or `None` when it is left out.
    pub fn admit(&mut self, status: &Status, now: Instant) -> Option<String> {
        let Status::Failed { kind, .. } = status else {
            return std::mem::take(&mut self.failing).then(|| status.to_string());
        };
        self.failing = true;
        match self.kinds.get_mut(kind) {
            Some((last, skipped)) if now.saturating_duration_since(*last) < self.interval => {
                *skipped = skipped.saturating_add(1);
                None
            }
            Some((last, skipped)) => {
                let line = match std::mem::take(skipped) {
                    0 => status.to_string(),
                    n => format!("{status} ({n} more like it since the last report)"),
                };
                *last = now;
                Some(line)
            }
            None => {
                self.kinds.insert(*kind, (now, 0));
                Some(status.to_string())
            }
        }
    }

    /// An observer for [`LongConnection::on_status`](super::LongConnection::on_status) that hands
    /// each admitted line to `report` (for instance, a line on stderr).
    pub fn observer(
        self,
        report: impl Fn(&str) + Send + Sync + 'static,
    ) -> impl Fn(&Status) + Send + Sync + 'static {
        let throttle = Mutex::new(self);
        move |status: &Status| {
            let line = match throttle.lock() {
                Ok(mut throttle) => throttle.admit(status, Instant::now()),
                Err(poisoned) => poisoned.into_inner().admit(status, Instant::now()),
            };
            if let Some(line) = line {
                report(&line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(kind: FailureKind, message: &str) -> Status {
        Status::Failed {
            kind,
            message: message.to_owned(),
            retry_in: Some(Duration::from_secs(1)),
        }
    }

    #[test]
    fn one_line_per_kind_per_interval_then_the_count_left_out() {
        let mut throttle = StatusThrottle::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let busy = failed(FailureKind::Endpoint, "HTTP 503 Service Unavailable");
        assert_eq!(
            throttle.admit(&busy, t0).as_deref(),
            Some(
                "long connection: the endpoint request failed: HTTP 503 Service Unavailable; retrying in 1 s"
            )
        );
        for s in 1..30 {
            assert_eq!(throttle.admit(&busy, t0 + Duration::from_secs(s)), None);
        }
        // Another kind has its own window.
        let dial = failed(FailureKind::Dial, "timed out");
        assert!(throttle.admit(&dial, t0 + Duration::from_secs(5)).is_some());
        let later = throttle.admit(&busy, t0 + Duration::from_secs(61)).unwrap();
        assert!(
            later.ends_with("(29 more like it since the last report)"),
            "{later}"
        );
        // Back to normal: one line, then silence while it stays connected.
        let t = t0 + Duration::from_secs(62);
        assert_eq!(
            throttle.admit(&Status::Connected, t).as_deref(),
            Some("long connection established")
        );
        assert_eq!(throttle.admit(&Status::Connected, t), None);
    }

    #[test]
    fn a_connection_without_failures_is_not_reported() {
        let mut throttle = StatusThrottle::default();
        assert_eq!(throttle.admit(&Status::Connected, Instant::now()), None);
    }

    #[test]
    fn durations_read_as_a_person_reads_them() {
        let shown = |ms| Seconds(Duration::from_millis(ms)).to_string();
        assert_eq!(shown(250), "250 ms");
        assert_eq!(shown(1000), "1 s");
        assert_eq!(shown(1500), "1.5 s");
        assert_eq!(shown(120_000), "120 s");
    }
}
