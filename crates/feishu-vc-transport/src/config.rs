//! Settings values: which Open Platform ([`Brand`]), where a tenant token is fetched
//! ([`TenantTokenEndpoint`]), when calls are retried ([`RetryPolicy`]). Imports nothing of the
//! crate; the builder that takes them is `builder.rs`.

use std::time::Duration;

/// Which Open Platform a client talks to. Every URL, the token endpoint's included, derives from
/// this one setting (or from a custom base URL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Brand {
    /// Feishu, `https://open.feishu.cn` (the default).
    #[default]
    Feishu,
    /// Lark, `https://open.larksuite.com`.
    Lark,
}

impl Brand {
    /// The Open Platform's base URL.
    pub const fn base_url(self) -> &'static str {
        match self {
            Self::Feishu => "https://open.feishu.cn",
            Self::Lark => "https://open.larksuite.com",
        }
    }
}

/// Where a self-built app's tenant token is fetched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TenantTokenEndpoint {
    /// `POST /open-apis/auth/v3/tenant_access_token/internal` on the Open Platform host (the
    /// default: the endpoint every region answers).
    #[default]
    Internal,
    /// `POST /oauth/v3/token` (`grant_type=client_credentials`) on the accounts host
    /// (`accounts.feishu.cn`, `accounts.larksuite.com`; with a custom base URL, that URL). Its
    /// tokens are JWTs of several KB.
    OAuthV3,
}

impl Brand {
    /// The accounts (OAuth) host's base URL.
    pub const fn accounts_url(self) -> &'static str {
        match self {
            Self::Feishu => "https://accounts.feishu.cn",
            Self::Lark => "https://accounts.larksuite.com",
        }
    }
}

/// When and how calls are retried.
///
/// A booking (`apply`) is re-sent only when the server certainly did not process it: the
/// connection failed before the request was written, the call was throttled, or the token was
/// rejected. Reads, updates and deletes are also retried on HTTP 5xx, code 121001, broken
/// connections and timeouts, with capped exponential backoff and jitter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_rate_limit_wait: Duration,
    pub(crate) deadline: Option<Duration>,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 200 ms doubling up to 5 s, waits of up to 30 s when throttled, and
    /// no more than 60 s for a call in all.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_rate_limit_wait: Duration::from_secs(30),
            deadline: Some(Duration::from_secs(60)),
        }
    }
}

impl RetryPolicy {
    /// No retries at all: one attempt (a rejected cached token is still replayed once).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// At most `attempts` attempts per call (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff, doubled on each retry up to [`RetryPolicy::with_max_backoff`].
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff between two attempts.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest wait a throttled call accepts; a longer `x-ogw-ratelimit-reset` ends the call
    /// with a rate-limited error carrying the wait.
    pub fn with_max_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.max_rate_limit_wait = wait;
        self
    }

    /// The most a call may take, retries and waits included (`None`: no limit beyond attempts).
    pub fn with_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// The backoff before attempt `attempt + 1` (full jitter between half and all of it).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_backoff);
        capped.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 1..10 {
            let b = p.backoff(attempt);
            assert!(b <= p.max_backoff, "{b:?}");
            let full = p
                .initial_backoff
                .saturating_mul(1 << (attempt - 1))
                .min(p.max_backoff);
            assert!(b >= full / 2, "{attempt}: {b:?} < half of {full:?}");
        }
    }
}
