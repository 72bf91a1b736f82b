//! State shared by a fleet of processes using one app: a tenant-token cache and a rate limiter.
//!
//! Both are traits; backends live in their own crates (`feishu-vc-redis`), so the transport never
//! depends on one. Neither is required: without a [`TokenCache`] each client fetches and caches its
//! own token, and without a [`RateLimiter`] calls are sent at once (throttled calls are still waited
//! out and retried as [`crate::RetryPolicy`] says).
//!
//! `limit.rs` holds the in-process [`RateLimiter`] and the quota; it imports the traits from
//! here, never the other way round.

pub(crate) mod limit;

use std::fmt;
use std::time::Duration;

use feishu_vc_model::SecretString;
use sha2::{Digest, Sha256};

use crate::{BoxError, BoxFuture};

/// A tenant token held in a [`TokenCache`], with how long it may still be used.
#[derive(Clone, Debug)]
pub struct SharedToken {
    /// The token. A backend holding it holds a bearer credential and must be protected as such.
    pub value: SecretString,
    /// How long it may still be used before it is due for refresh (the refresh margin is already
    /// taken off); a backend expires the entry after this long.
    pub usable_for: Duration,
}

/// A tenant-token cache shared by several processes, so that a fleet fetches one token rather than
/// one per process.
///
/// Within a process the transport already fetches once however many calls wait. With a cache, the
/// process that needs a token first looks in the cache; if it is empty, it takes the key's lease
/// ([`TokenCache::try_lease`]) and fetches, while the others wait and then read the token it put.
/// Any error of the cache is logged as a warning and the process fetches its own token: a cache
/// that is down never stops a call.
pub trait TokenCache: Send + Sync + fmt::Debug {
    /// The token cached under `key`, if any is still usable.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<SharedToken>, BoxError>>;

    /// Caches `token` under `key` for [`SharedToken::usable_for`].
    fn put<'a>(
        &'a self,
        key: &'a str,
        token: &'a SharedToken,
    ) -> BoxFuture<'a, Result<(), BoxError>>;

    /// Removes the token under `key` if it is still `rejected` (the API refused it).
    fn evict<'a>(
        &'a self,
        key: &'a str,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), BoxError>>;

    /// Takes the right to fetch the token of `key` for at most `lease`: `Some(holder)` when taken
    /// (pass `holder` to [`TokenCache::release`]), `None` while another process holds it.
    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Option<String>, BoxError>>;

    /// Gives the lease back, if `holder` still holds it.
    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> BoxFuture<'a, Result<(), BoxError>>;
}

/// What a call is counted against: Feishu's limits are per app, tenant and operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateScope<'a> {
    /// The app id (empty when the client's tokens come from a provider without one).
    pub app_id: &'a str,
    /// The tenant the call acts for, when the call says (marketplace apps).
    pub tenant_key: Option<&'a str>,
    /// The operation's id, such as `apply_reserve`; `raw` for raw requests.
    pub operation: &'static str,
}

/// Paces calls so that a fleet of processes stays within Feishu's limits (50 a second and 1000 a
/// minute per app, tenant and operation) instead of collecting 429s.
///
/// The transport awaits [`RateLimiter::acquire`] before sending each attempt of a call that
/// carries a token. It never fails: a limiter whose backend is down falls back to pacing within the
/// process (and says so in a warning) rather than stopping calls.
pub trait RateLimiter: Send + Sync + fmt::Debug {
    /// Returns when a call in `scope` may be sent.
    fn acquire<'a>(&'a self, scope: RateScope<'a>) -> BoxFuture<'a, ()>;
}

/// The key of an app's tenant token in a [`TokenCache`]: `tenant_token:<app id>:<fingerprint>`,
/// the fingerprint being the first 16 bytes of SHA-256 over the app id and secret, in hex. Two
/// secrets of one app never share a token, and the key never holds the secret.
pub fn tenant_token_key(app_id: &str, app_secret: &SecretString) -> String {
    let mut hasher = Sha256::new();
    hasher.update(app_id.as_bytes());
    hasher.update([0u8]);
    hasher.update(app_secret.expose_secret().as_bytes());
    let digest = hasher.finalize();
    let fingerprint: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("tenant_token:{app_id}:{fingerprint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_key_depends_on_the_secret_without_holding_it() {
        let a = tenant_token_key("cli_a", &SecretString::from("secret-one"));
        let b = tenant_token_key("cli_a", &SecretString::from("secret-two"));
        assert_ne!(a, b);
        assert!(a.starts_with("tenant_token:cli_a:"));
        assert!(!a.contains("secret-one"));
        assert_eq!(a.len(), "tenant_token:cli_a:".len() + 32);
        assert_eq!(
            a,
            tenant_token_key("cli_a", &SecretString::from("secret-one"))
        );
    }
}
