//! The optional rate limit: per app, tenant and operation, a one-second and a one-minute window.
//!
//! Windows run on the real monotonic clock, not the emulator's, so that a clock a test holds still
//! cannot throttle forever and advancing it does not reset the windows.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use feishu_vc_model::RateLimit;

/// A throttled call: the limit it hit and the whole seconds until that window ends (at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Throttled {
    pub(crate) limit: u32,
    pub(crate) reset_secs: u64,
}

#[derive(Debug)]
struct Windows {
    second: (Instant, u32),
    minute: (Instant, u32),
}

#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    windows: Mutex<HashMap<(String, String, &'static str), Windows>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a call of `operation` by `app_id` for `tenant_key`, or says it is throttled (a
    /// throttled call is not counted).
    pub(crate) fn check(
        &self,
        app_id: &str,
        tenant_key: &str,
        operation: &'static str,
    ) -> Result<(), Throttled> {
        let now = Instant::now();
        let mut all = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let w = all
            .entry((app_id.to_owned(), tenant_key.to_owned(), operation))
            .or_insert(Windows {
                second: (now, 0),
                minute: (now, 0),
            });
        for (window, length) in [
            (&mut w.second, Duration::from_secs(1)),
            (&mut w.minute, Duration::from_secs(60)),
        ] {
            if now.duration_since(window.0) >= length {
                *window = (now, 0);
            }
        }
        let reset = |start: Instant, length: Duration| {
            let left = length.saturating_sub(now.duration_since(start));
            (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1)
        };
        if w.second.1 >= self.limit.per_second {
            return Err(Throttled {
                limit: self.limit.per_second,
                reset_secs: reset(w.second.0, Duration::from_secs(1)),
            });
        }
        if w.minute.1 >= self.limit.per_minute {
            return Err(Throttled {
                limit: self.limit.per_minute,
                reset_secs: reset(w.minute.0, Duration::from_secs(60)),
            });
        }
        w.second.1 += 1;
        w.minute.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_and_minute_windows() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 2,
            per_minute: 3,
        });
        assert!(limiter.check("a", "t", "get").is_ok());
        assert!(limiter.check("a", "t", "get").is_ok());
        let t = limiter.check("a", "t", "get").unwrap_err();
        assert_eq!(
            t,
            Throttled {
                limit: 2,
                reset_secs: 1
            }
        );
        // Other apps and operations have their own windows.
        assert!(limiter.check("b", "t", "get").is_ok());
        assert!(limiter.check("a", "t", "apply").is_ok());
    }
}
