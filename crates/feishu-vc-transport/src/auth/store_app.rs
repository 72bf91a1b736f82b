//! Store (marketplace) apps: the `app_ticket`, the app's `app_access_token` and one tenant token per
//! `tenant_key`.
//!
//! Feishu pushes the ticket hourly as an `app_ticket` event; the events receiver saves it into an
//! [`AppTicketStore`]. Tokens are fetched single-flight and refreshed before expiry like a
//! self-built app's. A missing or refused (10012) ticket makes the source ask Feishu to push it
//! again, no more often than a doubling interval allows, and the call fails at once with
//! [`StoreAppError::TicketMissing`] rather than waiting for an event that may take minutes.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use feishu_vc_model::Method;
use feishu_vc_model::SecretString;
use serde::Deserialize;
use tokio::time::Instant;

use crate::auth::tenant::{AppCredentials, TenantTokenCache};
use crate::auth::{ProvidedToken, TokenProvider};
use crate::call::execute::{Auth, Spec};
use crate::client::Transport;
use crate::error::{TokenError, token_error};
use crate::fleet::{TokenCache, tenant_token_key};
use crate::{BoxError, BoxFuture};

/// The store `app_access_token` endpoint.
pub const APP_ACCESS_TOKEN_PATH: &str = "/open-apis/auth/v3/app_access_token";
/// The store `tenant_access_token` endpoint.
pub const STORE_TENANT_TOKEN_PATH: &str = "/open-apis/auth/v3/tenant_access_token";
/// The endpoint asking Feishu to push the `app_ticket` event again.
pub const APP_TICKET_RESEND_PATH: &str = "/open-apis/auth/v3/app_ticket/resend";
/// The code of an invalid `app_ticket`.
pub const APP_TICKET_INVALID: i64 = 10012;

/// Refresh tokens this long before they expire.
const DEFAULT_MARGIN: Duration = Duration::from_secs(5 * 60);
/// The first wait between two resend requests; it doubles up to [`RESEND_MAX_INTERVAL`].
const RESEND_FIRST_INTERVAL: Duration = Duration::from_secs(5);
const RESEND_MAX_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// Where store apps' tickets are kept. Only one instance of a fleet receives each push, so a
/// fleet shares one store (`feishu-vc-redis` has one); the ticket is a credential.
pub trait AppTicketStore: Send + Sync + fmt::Debug {
    /// The ticket saved for `app_id`, if any.
    fn load<'a>(&'a self, app_id: &'a str)
    -> BoxFuture<'a, Result<Option<SecretString>, BoxError>>;

    /// Saves `ticket` for `app_id`, replacing what was there.
    fn save<'a>(
        &'a self,
        app_id: &'a str,
        ticket: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), BoxError>>;
}

/// An [`AppTicketStore`] in this process's memory.
#[derive(Default)]
pub struct InMemoryAppTicketStore {
    tickets: Mutex<HashMap<String, SecretString>>,
}

impl fmt::Debug for InMemoryAppTicketStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryAppTicketStore")
            .finish_non_exhaustive()
    }
}

impl InMemoryAppTicketStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, SecretString>> {
        self.tickets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl AppTicketStore for InMemoryAppTicketStore {
    fn load<'a>(
        &'a self,
        app_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SecretString>, BoxError>> {
        let found = self.map().get(app_id).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn save<'a>(
        &'a self,
        app_id: &'a str,
        ticket: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        self.map().insert(app_id.to_owned(), ticket.clone());
        Box::pin(async { Ok(()) })
    }
}

/// Why a store app's token could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreAppError {
    /// No usable `app_ticket`: none was received yet, or Feishu refused it (10012). A resend was
    /// asked for; calls work again once the `app_ticket` event arrives.
    #[error("no usable app_ticket for store app {app_id}{}; a resend was asked for, the ticket arrives later as an app_ticket event", code.map(|c| format!(" (code {c})")).unwrap_or_default())]
    TicketMissing {
        /// The app.
        app_id: String,
        /// 10012 when Feishu refused the ticket; none when there was no ticket.
        code: Option<i64>,
    },
    /// The call did not say which tenant it acts for.
    #[error("a store app's call must say which tenant it acts for (CallOptions::with_tenant_key)")]
    TenantKeyMissing,
    /// The ticket store failed.
    #[error("the app_ticket store failed")]
    Store(#[source] BoxError),
}

/// A store app's tokens: give it to a client as its token provider, and each call names its tenant
/// with `CallOptions::with_tenant_key`.
///
/// Tokens are cached per tenant within the source, which belongs to one app and one secret: two
/// tenants, two apps or two secrets never share a token.
#[derive(Clone)]
pub struct StoreAppTokenSource {
    inner: Arc<StoreInner>,
}

struct StoreInner {
    transport: Transport,
    credentials: AppCredentials,
    tickets: Arc<dyn AppTicketStore>,
    margin: Duration,
    app_token: TenantTokenCache,
    tenants: Mutex<HashMap<String, Arc<TenantTokenCache>>>,
    resend: Mutex<ResendPacing>,
    /// The cache shared with the fleet, if any.
    shared: Option<Arc<dyn TokenCache>>,
}

/// When the next resend may be asked for.
struct ResendPacing {
    next_at: Option<Instant>,
    interval: Duration,
}

impl fmt::Debug for StoreAppTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreAppTokenSource")
            .field("credentials", &self.inner.credentials)
            .field("tickets", &self.inner.tickets)
            .finish_non_exhaustive()
    }
}

/// The token endpoints' answer, fields at the top level.
#[derive(Deserialize)]
struct StoreTokenAnswer {
    #[serde(default)]
    code: i64,
    app_access_token: Option<SecretString>,
    tenant_access_token: Option<SecretString>,
    expire: Option<i64>,
}

impl StoreAppTokenSource {
    /// A source for the store app `app_id`, reaching Feishu through `transport` (its base URL and
    /// retry settings; it needs no credentials) and reading tickets from `tickets`.
    pub fn new(
        transport: Transport,
        app_id: impl Into<String>,
        app_secret: impl Into<SecretString>,
        tickets: Arc<dyn AppTicketStore>,
    ) -> Self {
        let credentials = AppCredentials {
            app_id: app_id.into(),
            app_secret: app_secret.into(),
        };
        Self::with_inner(transport, credentials, tickets, None)
    }

    fn with_inner(
        transport: Transport,
        credentials: AppCredentials,
        tickets: Arc<dyn AppTicketStore>,
        shared: Option<Arc<dyn TokenCache>>,
    ) -> Self {
        let app_token = TenantTokenCache::with_key(
            credentials.clone(),
            DEFAULT_MARGIN,
            shared
                .clone()
                .map(|cache| (cache, format!("{}:app", store_key(&credentials)))),
        );
        Self {
            inner: Arc::new(StoreInner {
                transport,
                app_token,
                credentials,
                tickets,
                margin: DEFAULT_MARGIN,
                tenants: Mutex::new(HashMap::new()),
                resend: Mutex::new(ResendPacing {
                    next_at: None,
                    interval: RESEND_FIRST_INTERVAL,
                }),
                shared,
            }),
        }
    }

    /// Shares the app token and each tenant's token with the other processes of a fleet through
    /// `cache` (`feishu-vc-redis` provides one), under keys naming the app, a fingerprint of the
    /// secret and the `tenant_key`. Set it before cloning the source: this makes a new one.
    pub fn token_cache(self, cache: Arc<dyn TokenCache>) -> Self {
        Self::with_inner(
            self.inner.transport.clone(),
            self.inner.credentials.clone(),
            self.inner.tickets.clone(),
            Some(cache),
        )
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.inner.credentials.app_id
    }

    /// The ticket store.
    pub fn tickets(&self) -> &Arc<dyn AppTicketStore> {
        &self.inner.tickets
    }

    /// A usable `app_access_token`: the cached one, or one fetched with the stored ticket.
    pub async fn app_access_token(&self) -> Result<SecretString, TokenError> {
        let cached = self
            .inner
            .app_token
            .get(|| self.fetch_app_token())
            .await
            .map_err(|e| (*e).clone())?;
        Ok(cached.credential.value.clone())
    }

    /// A usable tenant token for `tenant_key`: the cached one, or one fetched with the app token.
    pub async fn tenant_access_token(&self, tenant_key: &str) -> Result<SecretString, TokenError> {
        let cache = self.tenant_cache(tenant_key);
        let cached = cache
            .get(|| self.fetch_tenant_token(tenant_key))
            .await
            .map_err(|e| (*e).clone())?;
        Ok(cached.credential.value.clone())
    }

    /// Asks Feishu to push the `app_ticket` event again, unless asked too recently (the interval
    /// doubles from 5 s up to 10 min while no ticket works). Returns whether it asked. Call it at
    /// start-up when the store may be empty.
    pub async fn request_ticket(&self) -> bool {
        {
            let mut pacing = self
                .inner
                .resend
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            if pacing.next_at.is_some_and(|at| now < at) {
                return false;
            }
            pacing.next_at = Some(now + pacing.interval);
            pacing.interval = (pacing.interval * 2).min(RESEND_MAX_INTERVAL);
        }
        let body = serde_json::json!({
            "app_id": self.inner.credentials.app_id,
            "app_secret": self.inner.credentials.app_secret.expose_secret(),
        });
        let secrets = [self.inner.credentials.app_secret.clone()];
        if let Err(e) = self
            .post("app_ticket_resend", APP_TICKET_RESEND_PATH, body, &secrets)
            .await
        {
            tracing::warn!(error = %e, app_id = %self.inner.credentials.app_id, "asking Feishu to resend the app_ticket failed");
        }
        true
    }

    fn tenant_cache(&self, tenant_key: &str) -> Arc<TenantTokenCache> {
        let mut tenants = self
            .inner
            .tenants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tenants
            .entry(tenant_key.to_owned())
            .or_insert_with(|| {
                let shared = self.inner.shared.clone().map(|cache| {
                    let key = format!("{}:tenant:{tenant_key}", store_key(&self.inner.credentials));
                    (cache, key)
                });
                Arc::new(TenantTokenCache::with_key(
                    self.inner.credentials.clone(),
                    self.inner.margin,
                    shared,
                ))
            })
            .clone()
    }

    async fn ticket_missing(&self, code: Option<i64>) -> TokenError {
        self.request_ticket().await;
        let e = StoreAppError::TicketMissing {
            app_id: self.inner.credentials.app_id.clone(),
            code,
        };
        TokenError {
            code,
            msg: e.to_string(),
            http_status: None,
            log_id: None,
            source: Some(Arc::new(e)),
        }
    }

    async fn fetch_app_token(&self) -> Result<(SecretString, Duration), TokenError> {
        let app_id = &self.inner.credentials.app_id;
        let ticket = self.inner.tickets.load(app_id).await.map_err(|e| {
            let e = StoreAppError::Store(e);
            TokenError::new(e.to_string()).with_source(e)
        })?;
        let Some(ticket) = ticket else {
            return Err(self.ticket_missing(None).await);
        };
        let body = serde_json::json!({
            "app_id": app_id,
            "app_secret": self.inner.credentials.app_secret.expose_secret(),
            "app_ticket": ticket.expose_secret(),
        });
        let secrets = [self.inner.credentials.app_secret.clone(), ticket];
        match self
            .post(
                "store_app_access_token",
                APP_ACCESS_TOKEN_PATH,
                body,
                &secrets,
            )
            .await
        {
            Ok(answer) => {
                self.reset_resend_pacing();
                token_of(answer.app_access_token, answer.expire, answer.code)
            }
            Err(e) if e.code == Some(APP_TICKET_INVALID) => {
                Err(self.ticket_missing(Some(APP_TICKET_INVALID)).await)
            }
            Err(e) => Err(e),
        }
    }

    async fn fetch_tenant_token(
        &self,
        tenant_key: &str,
    ) -> Result<(SecretString, Duration), TokenError> {
        let app_token = self.app_access_token().await?;
        let body = serde_json::json!({
            "app_access_token": app_token.expose_secret(),
            "tenant_key": tenant_key,
        });
        let answer = self
            .post(
                "store_tenant_access_token",
                STORE_TENANT_TOKEN_PATH,
                body,
                std::slice::from_ref(&app_token),
            )
            .await;
        if let Err(e) = &answer
            && e.code
                .is_some_and(|c| feishu_vc_model::ErrorCode::from_code(c).is_token_rejected())
        {
            // The app token was refused: the next call fetches a new one.
            self.inner.app_token.reject(&app_token);
        }
        let answer = answer?;
        token_of(answer.tenant_access_token, answer.expire, answer.code)
    }

    fn reset_resend_pacing(&self) {
        let mut pacing = self
            .inner
            .resend
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pacing.interval = RESEND_FIRST_INTERVAL;
        pacing.next_at = None;
    }

    /// Posts a JSON body carrying `secrets` to a store-app endpoint without a token.
    async fn post(
        &self,
        operation: &'static str,
        path: &str,
        body: serde_json::Value,
        secrets: &[SecretString],
    ) -> Result<StoreTokenAnswer, TokenError> {
        let transport = &self.inner.transport;
        let answer = transport
            .execute(Spec {
                operation,
                method: Method::Post,
                path,
                fixed: false,
                query: &[],
                body: Some(Bytes::from(body.to_string())),
                // Asking for a token or a resend twice is harmless.
                idempotent: true,
                auth: Auth::None(secrets),
                timeout: None,
                on: None,
                oauth: false,
                carried: None,
            })
            .await
            .map_err(token_error)?;
        transport
            .decode(&answer, secrets, None)
            .map_err(token_error)
    }
}

/// The shared-cache key of a store app's tokens: `store_app:<app id>:<fingerprint of app id and
/// secret>`, never the secret itself.
fn store_key(credentials: &AppCredentials) -> String {
    let key = tenant_token_key(&credentials.app_id, &credentials.app_secret);
    format!("store_app:{}", key.trim_start_matches("tenant_token:"))
}

/// A token and its lifetime from an answer, or a typed error when either is missing.
fn token_of(
    token: Option<SecretString>,
    expire: Option<i64>,
    code: i64,
) -> Result<(SecretString, Duration), TokenError> {
    match (token.filter(|t| !t.is_empty()), expire.filter(|e| *e > 0)) {
        (Some(token), Some(expire)) => Ok((token, Duration::from_secs(expire.unsigned_abs()))),
        _ => Err(TokenError::no_token_in_answer(code, None, None)),
    }
}

impl TokenProvider for StoreAppTokenSource {
    fn token<'a>(
        &'a self,
        tenant_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ProvidedToken, TokenError>> {
        Box::pin(async move {
            let Some(tenant_key) = tenant_key.filter(|k| !k.is_empty()) else {
                let e = StoreAppError::TenantKeyMissing;
                return Err(TokenError::new(e.to_string()).with_source(e));
            };
            Ok(ProvidedToken::new(
                self.tenant_access_token(tenant_key).await?,
            ))
        })
    }

    fn reject(&self, token: &SecretString, tenant_key: Option<&str>) {
        if let Some(tenant_key) = tenant_key {
            let cache = self.tenant_cache(tenant_key);
            cache.reject(token);
            if self.inner.shared.is_some() {
                // Evicted from the fleet's cache too, if it still holds it.
                let token = token.clone();
                tokio::spawn(async move { cache.reject_shared(&token).await });
            }
        }
    }
}

impl TokenError {
    /// Why a store app's token could not be had, when the client's tokens come from a
    /// [`StoreAppTokenSource`].
    pub fn store_app_error(&self) -> Option<&StoreAppError> {
        self.source.as_deref()?.downcast_ref()
    }

    /// Whether the call failed for want of a usable `app_ticket` (a resend was asked for).
    pub fn ticket_missing(&self) -> bool {
        matches!(
            self.store_app_error(),
            Some(StoreAppError::TicketMissing { .. })
        )
    }
}
