//! A self-built app's tenant token: its credentials and the cache that fetches one token at a
//! time however many calls wait, shared with other processes through a [`TokenCache`]. How a
//! token is fetched is the caller's closure: the cache knows nothing of HTTP.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use feishu_vc_model::SecretString;

use crate::auth::Credential;
use crate::error::TokenError;
use crate::fleet::{SharedToken, TokenCache, tenant_token_key};

/// How long a process may hold the right to fetch a fleet's token; waiters fetch their own after
/// it, so a process that died while fetching delays the others by at most this.
const LEASE: Duration = Duration::from_secs(10);

/// How often a waiter looks for the token another process is fetching.
const LEASE_POLL: Duration = Duration::from_millis(25);

/// A self-built app's credentials.
#[derive(Clone)]
pub(crate) struct AppCredentials {
    pub(crate) app_id: String,
    pub(crate) app_secret: SecretString,
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("app_secret", &self.app_secret)
            .finish()
    }
}

/// A cached tenant token.
#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) credential: Arc<Credential>,
    /// When to stop using it: its expiry less the refresh margin.
    refresh_at: Instant,
}

/// The cache of one app's tenant token: one fetch at a time, shared by every waiter.
///
/// It belongs to one client and one set of credentials, so two apps, or one app with two secrets,
/// never share a token.
pub(crate) struct TenantTokenCache {
    pub(crate) credentials: AppCredentials,
    margin: Duration,
    current: RwLock<Option<Arc<Cached>>>,
    /// Incremented when a fetch ends; a waiter that sees it move knows someone fetched for it.
    fetches: AtomicU64,
    /// Held while fetching; waiters queue here and then find the fresh token. Holds the last
    /// fetch's failure, shared with the waiters of that fetch.
    refresh: tokio::sync::Mutex<Option<Arc<TokenError>>>,
    /// The cache shared with other processes, and this app's key in it.
    shared: Option<(Arc<dyn TokenCache>, String)>,
}

impl fmt::Debug for TenantTokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantTokenCache")
            .field("credentials", &self.credentials)
            .field("margin", &self.margin)
            .field("shared", &self.shared.as_ref().map(|(cache, _)| cache))
            .finish_non_exhaustive()
    }
}

impl TenantTokenCache {
    pub(crate) fn new(
        credentials: AppCredentials,
        margin: Duration,
        shared: Option<Arc<dyn TokenCache>>,
    ) -> Self {
        let shared = shared.map(|cache| {
            let key = tenant_token_key(&credentials.app_id, &credentials.app_secret);
            (cache, key)
        });
        Self::with_key(credentials, margin, shared)
    }

    /// A cache whose token is shared under `shared`'s key (a store app's keys name the tenant).
    pub(crate) fn with_key(
        credentials: AppCredentials,
        margin: Duration,
        shared: Option<(Arc<dyn TokenCache>, String)>,
    ) -> Self {
        Self {
            credentials,
            margin,
            current: RwLock::new(None),
            fetches: AtomicU64::new(0),
            refresh: tokio::sync::Mutex::new(None),
            shared,
        }
    }

    /// The cached token, if it is not due for refresh.
    pub(crate) fn fresh(&self) -> Option<Arc<Cached>> {
        let guard = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .cloned()
    }

    /// A usable token: the cached one, or one fetched by `fetch`. Any number of concurrent callers
    /// cause at most one fetch; if it fails, all of them get its error.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<Cached>, Arc<TokenError>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(SecretString, Duration), TokenError>>,
    {
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let seen = self.fetches.load(Ordering::Acquire);
        let mut last_failure = self.refresh.lock().await;
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        if self.fetches.load(Ordering::Acquire) != seen {
            // Someone fetched while this caller waited, and it failed: share that answer.
            if let Some(failure) = last_failure.as_ref() {
                return Err(failure.clone());
            }
        }
        let result = match &self.shared {
            Some((cache, key)) => self.through_shared(cache.as_ref(), key, fetch).await,
            None => self.fetch_usable(fetch).await,
        }
        .and_then(|(value, usable_for)| Ok((Credential::new(value)?, usable_for)));
        self.fetches.fetch_add(1, Ordering::AcqRel);
        match result {
            Ok((credential, usable_for)) => {
                let cached = Arc::new(Cached {
                    credential: Arc::new(credential),
                    refresh_at: Instant::now() + usable_for,
                });
                *self
                    .current
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cached.clone());
                *last_failure = None;
                Ok(cached)
            }
            Err(e) => {
                let e = Arc::new(e);
                *last_failure = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Fetches a token and says how long it may be used: its lifetime less the refresh margin, but
    /// never less than half the lifetime.
    async fn fetch_usable<F, Fut>(&self, fetch: F) -> Result<(SecretString, Duration), TokenError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(SecretString, Duration), TokenError>>,
    {
        let (value, lifetime) = fetch().await?;
        Ok((value, lifetime - self.margin.min(lifetime / 2)))
    }

    /// A token through the shared cache: the cached one, else fetched by whichever process takes
    /// the lease while the others wait for it. The cache failing is a warning, never a failed call:
    /// the process then fetches its own token.
    async fn through_shared<F, Fut>(
        &self,
        cache: &dyn TokenCache,
        key: &str,
        fetch: F,
    ) -> Result<(SecretString, Duration), TokenError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(SecretString, Duration), TokenError>>,
    {
        let give_up_at = Instant::now() + LEASE;
        let holder = loop {
            match cache.get(key).await {
                Ok(Some(t)) if !t.usable_for.is_zero() => return Ok((t.value, t.usable_for)),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the shared token cache is unreachable; fetching this process's own tenant token");
                    return self.fetch_usable(fetch).await;
                }
            }
            match cache.try_lease(key, LEASE).await {
                Ok(Some(holder)) => break holder,
                Ok(None) if Instant::now() < give_up_at => tokio::time::sleep(LEASE_POLL).await,
                Ok(None) => {
                    tracing::warn!(
                        "another process has held the token lease too long; fetching this process's own tenant token"
                    );
                    return self.fetch_usable(fetch).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the shared token cache is unreachable; fetching this process's own tenant token");
                    return self.fetch_usable(fetch).await;
                }
            }
        };
        // The lease is ours; the token may have been put just before we took it.
        let cached = match cache.get(key).await {
            Ok(Some(t)) if !t.usable_for.is_zero() => Ok((t.value, t.usable_for)),
            _ => {
                let fetched = self.fetch_usable(fetch).await;
                if let Ok((value, usable_for)) = &fetched {
                    let token = SharedToken {
                        value: value.clone(),
                        usable_for: *usable_for,
                    };
                    if let Err(e) = cache.put(key, &token).await {
                        tracing::warn!(error = %e, "the tenant token could not be put in the shared token cache");
                    }
                }
                fetched
            }
        };
        if let Err(e) = cache.release(key, &holder).await {
            tracing::warn!(error = %e, "the shared token cache's lease could not be released");
        }
        cached
    }

    /// Evicts `rejected` from the shared cache, if there is one and it still holds it.
    pub(crate) async fn reject_shared(&self, rejected: &SecretString) {
        if let Some((cache, key)) = &self.shared
            && let Err(e) = cache.evict(key, rejected).await
        {
            tracing::warn!(error = %e, "a rejected tenant token could not be evicted from the shared token cache");
        }
    }

    /// Evicts `rejected` if it is still the cached token; a newer one fetched meanwhile stays.
    pub(crate) fn reject(&self, rejected: &SecretString) {
        let mut guard = self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard
            .as_ref()
            .is_some_and(|t| t.credential.value == *rejected)
        {
            *guard = None;
        }
    }
}
