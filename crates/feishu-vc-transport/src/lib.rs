//! The HTTP layer of feishu-vc: hosts, tenant tokens, retries, timeouts, typed errors, log ids.
//!
//! Most users depend on the `feishu-vc` facade, which re-exports this crate. Use it directly to
//! send requests of your own through the same pipeline.
//!
//! ```no_run
//! use feishu_vc_model::{GetReserveRequest, Method};
//! use feishu_vc_transport::{CallOptions, RawRequest, Transport};
//!
//! # async fn run() -> Result<(), feishu_vc_transport::Error> {
//! let transport = Transport::builder().app_credentials("cli_a1b2c3", "app-secret").build()?;
//!
//! // A typed operation.
//! let reply = transport.send(&GetReserveRequest::new("6911188411934973028"), &CallOptions::new()).await?;
//! println!("{:?} (log id {:?})", reply.data.reserve, reply.log_id);
//!
//! // Any other Open Platform path, through the same tokens, retries and errors.
//! let raw = RawRequest::new(Method::Get, "/open-apis/vc/v1/meetings/6911188411934433028");
//! let meeting = transport.raw(raw, &CallOptions::new()).await?;
//! # let _ = meeting;
//! # Ok(()) }
//! ```
//!
//! What it promises:
//! - **Tokens.** With app credentials, one tenant token is fetched however many calls need it at
//!   once, cached per client, and replaced before it expires (5 minutes ahead by default). When the
//!   API rejects it (99991663, 99991664, 99991671, whatever the HTTP status), exactly that token is
//!   evicted and the call replayed once. A token given for one call always wins and is never cached.
//! - **Retries that never book twice.** See [`RetryPolicy`]: `apply` is re-sent only when the server
//!   certainly did not process it; otherwise the error is [`Error::OutcomeUnknown`].
//! - **Errors** say how far the request got, carry the log id, and never show a secret: the app
//!   secret, the token sent and secrets added with [`CallOptions::with_secret`] are scrubbed from
//!   whatever the server echoes. Network errors say what failed ([`FailureKind`]) and on which host.
//! - **Bounded answers.** A body is read up to [`TransportBuilder::max_body_bytes`] (4 MiB by
//!   default) and refused beyond it with [`Error::BodyTooLarge`]; error excerpts cost the same
//!   whatever the body's size.
//! - **Fleets.** Several processes of one app can share its tenant token
//!   ([`TransportBuilder::token_cache`]) and pace their calls together within Feishu's limits
//!   ([`TransportBuilder::rate_limiter`]); backends such as `feishu-vc-redis` implement the
//!   [`TokenCache`] and [`RateLimiter`] traits. A backend that fails degrades to per-process
//!   behaviour with a warning; it never stops a call.
//! - **User tokens.** [`UserTokenSource`] logs users in over OAuth v2 and refreshes each user's
//!   token once however many calls need it, saving the new refresh token ([`UserTokenStore`])
//!   before the new access token is used; 99991677 and 99991668 cause one refresh and one replay,
//!   and a refresh token that is spent or revoked is a typed "re-authorization required".
//! - **Tracing.** One `feishu_vc.call` span per call (operation, method, path, attempt, status,
//!   code, log id, latency); never bodies or tokens.
#![deny(missing_docs)]

mod auth;
mod call;
mod config;
mod error;
mod fleet;
mod redact;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use feishu_vc_model::{
    ApiRequest, ApiResponse, HttpRequest, SecretString, TenantAccessTokenInternalRequest,
    TenantAccessTokenInternalResponse, TokenKind,
};
use serde::de::DeserializeOwned;

pub use auth::oauth::{
    InMemoryUserTokenStore, OAUTH_TOKEN_PATH, OAuthApp, OnRefresh, UserTokenError, UserTokenStore,
    UserTokens,
};
pub use auth::store_app::{
    APP_ACCESS_TOKEN_PATH, APP_TICKET_INVALID, APP_TICKET_RESEND_PATH, AppTicketStore,
    InMemoryAppTicketStore, STORE_TENANT_TOKEN_PATH, StoreAppError, StoreAppTokenSource,
};
pub use auth::user::UserTokenSource;
pub use auth::{AccessToken, ProvidedToken, TokenProvider};
pub use call::{BeforeSend, CallOptions, RawRequest, Response, Warning};
pub use config::{
    Brand, DEFAULT_MAX_BODY_BYTES, RetryPolicy, TenantTokenEndpoint, TransportBuilder,
};
pub use error::{
    ApiError, BodyTooLarge, ConfigError, DecodeError, Error, Failure, FailureKind, HostsRejected,
    InvalidRequest, RateLimited, Result, TokenError,
};
pub use fleet::limit::{InProcessRateLimiter, RateQuota};
pub use fleet::{RateLimiter, RateScope, SharedToken, TokenCache, tenant_token_key};

/// The HTTP client crate, for [`TransportBuilder::http_client`].
pub use reqwest;

/// A boxed future, for [`TokenProvider`].
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A boxed source error. Third-party error types never appear in signatures.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

use auth::tenant::{AppCredentials, TenantTokenCache};
use call::{Auth, Spec};

/// Sends requests to the Open Platform. Cheap to clone; clones share connections and tokens.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    base: String,
    base_url: reqwest::Url,
    /// The accounts host, for `/oauth/v3/token`.
    accounts_url: reqwest::Url,
    token_endpoint: config::TenantTokenEndpoint,
    http: reqwest::Client,
    tokens: TokenSource,
    rate_limiter: Option<Arc<dyn RateLimiter>>,
    retry: RetryPolicy,
    timeout: Duration,
    max_body_bytes: usize,
    /// The URLs of the operations whose path has no parameters (apply, the token endpoint), built
    /// once each: most calls then clone a finished URL instead of parsing their path again.
    fixed_urls: std::sync::RwLock<Vec<(String, reqwest::Url)>>,
}

enum TokenSource {
    None,
    App(TenantTokenCache),
    Provider(Arc<dyn TokenProvider>),
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens: &dyn fmt::Debug = match &self.inner.tokens {
            TokenSource::None => &"none",
            TokenSource::App(cache) => cache,
            TokenSource::Provider(p) => p,
        };
        f.debug_struct("Transport")
            .field("base_url", &self.inner.base)
            .field("tokens", tokens)
            .field("rate_limiter", &self.inner.rate_limiter)
            .field("retry", &self.inner.retry)
            .field("timeout", &self.inner.timeout)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A builder; see [`TransportBuilder`].
    pub fn builder() -> TransportBuilder {
        TransportBuilder::new()
    }

    /// The base URL every call goes to, such as `https://open.feishu.cn`.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The full URL a request goes to: the base URL, the path, and the encoded query.
    pub fn url_of(&self, request: &HttpRequest) -> Result<String> {
        let query: Vec<(&str, &str)> = request
            .query
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        self.url(None, &request.path, &query).map(String::from)
    }

    /// Where a call goes (on `base`, the Open Platform's unless given); the one place URLs are
    /// made.
    fn url(
        &self,
        base: Option<&reqwest::Url>,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<reqwest::Url> {
        if has_dot_segment(path) {
            return Err(Error::InvalidRequest(InvalidRequest::Path {
                reason: "the path has a `.` or `..` segment, which would send the request elsewhere",
            }));
        }
        // The base was parsed once, at build time; only the path is set per call.
        let mut url = base.unwrap_or(&self.inner.base_url).clone();
        let base_path = url.path().trim_end_matches('/');
        if base_path.is_empty() {
            url.set_path(path);
        } else {
            let joined = format!("{base_path}{path}");
            url.set_path(&joined);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter());
        }
        Ok(url)
    }

    /// The URL of a path without parameters on the Open Platform's host, built on first use.
    fn fixed_url(&self, path: &str) -> Result<reqwest::Url> {
        let cache = &self.inner.fixed_urls;
        {
            let urls = cache
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((_, url)) = urls.iter().find(|(p, _)| p == path) {
                return Ok(url.clone());
            }
        }
        let url = self.url(None, path, &[])?;
        let mut urls = cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !urls.iter().any(|(p, _)| p == path) {
            urls.push((path.to_owned(), url.clone()));
        }
        Ok(url)
    }

    /// The kind of token a call with `opts` will carry: the call's own token, or the client's
    /// source (tenant tokens for app credentials). `None` when there is no token at all.
    pub fn token_kind(&self, opts: &CallOptions) -> Option<TokenKind> {
        if let Some(t) = &opts.token {
            return Some(t.kind());
        }
        match &self.inner.tokens {
            TokenSource::None => None,
            TokenSource::App(_) => Some(TokenKind::Tenant),
            TokenSource::Provider(p) => Some(p.kind()),
        }
    }

    /// Sends a typed request of the model and returns its `data`.
    ///
    /// The request is not validated here (the `feishu-vc` facade does that, knowing the token
    /// kind); it is built with [`ApiRequest::to_http`] and sent through the same pipeline as
    /// [`Transport::raw`].
    pub async fn send<R, D>(&self, request: &R, opts: &CallOptions) -> Result<Response<D>>
    where
        R: ApiRequest<Response = ApiResponse<D>>,
        D: DeserializeOwned + Default,
    {
        self.send_carrying(request, opts, None).await
    }

    /// [`Transport::send`] for a request that carries a secret of its own (a meeting password):
    /// `carried` is scrubbed from whatever the call shows, like a secret added with
    /// [`CallOptions::with_secret`], without copying it into the options.
    pub async fn send_carrying<R, D>(
        &self,
        request: &R,
        opts: &CallOptions,
        carried: Option<&SecretString>,
    ) -> Result<Response<D>>
    where
        R: ApiRequest<Response = ApiResponse<D>>,
        D: DeserializeOwned + Default,
    {
        let operation = R::OPERATION;
        let refused = self
            .token_kind(opts)
            .is_some_and(|kind| !operation.token_kinds.is_empty() && !operation.accepts(kind));
        if refused {
            return Err(Error::InvalidRequest(InvalidRequest::TokenNotAccepted {
                operation: operation.id,
            }));
        }
        let http = request.to_http()?;
        let idempotent = http.method != feishu_vc_model::Method::Post;
        let query: Vec<(&str, &str)> = http.query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let fixed = query.is_empty() && http.path == operation.path_template;
        let answer = self
            .execute(Spec {
                operation: operation.id,
                method: http.method,
                path: &http.path,
                fixed,
                query: &query,
                body: http.body.map(Bytes::from),
                idempotent,
                auth: Auth::For(opts),
                timeout: opts.timeout,
                on: None,
                oauth: false,
                carried,
            })
            .await?;
        let envelope: ApiResponse<D> = match self.decode(&answer, &opts.secrets, carried) {
            Ok(envelope) => envelope,
            // The call succeeded (code 0) but its result cannot be read: for a booking, the caller
            // does not learn the reservation's id and must look before booking again.
            Err(e) if !idempotent => return Err(Error::OutcomeUnknown(Box::new(e))),
            Err(e) => return Err(e),
        };
        Ok(Response {
            data: envelope.data.unwrap_or_default(),
            log_id: answer.log_id,
            http_status: answer.http_status,
            warnings: Vec::new(),
        })
    }

    /// Sends any Open Platform request and returns its `data` (JSON `null` when absent).
    pub async fn raw(
        &self,
        request: RawRequest,
        opts: &CallOptions,
    ) -> Result<Response<serde_json::Value>> {
        if !request.path.starts_with("/open-apis/") {
            return Err(Error::InvalidRequest(InvalidRequest::Path {
                reason: "a raw path must start with /open-apis/",
            }));
        }
        let query: Vec<(&str, &str)> = request
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let answer = self
            .execute(Spec {
                operation: "raw",
                method: request.method,
                path: &request.path,
                fixed: false,
                query: &query,
                body: request.body,
                idempotent: request.idempotent,
                auth: Auth::For(opts),
                timeout: opts.timeout,
                on: None,
                oauth: false,
                carried: None,
            })
            .await?;
        let envelope: ApiResponse<serde_json::Value> = self.decode(&answer, &opts.secrets, None)?;
        Ok(Response {
            data: envelope.data.unwrap_or_default(),
            log_id: answer.log_id,
            http_status: answer.http_status,
            warnings: Vec::new(),
        })
    }

    /// Fetches a tenant token for the app from the configured endpoint.
    async fn fetch_tenant_token(
        &self,
        credentials: &AppCredentials,
    ) -> std::result::Result<(SecretString, Duration), TokenError> {
        match self.inner.token_endpoint {
            config::TenantTokenEndpoint::Internal => self.fetch_internal_token(credentials).await,
            config::TenantTokenEndpoint::OAuthV3 => self.fetch_v3_token(credentials).await,
        }
    }

    /// `/oauth/v3/token` with `client_credentials` (`client_secret_post`, JSON body); the token is
    /// `access_token`, its lifetime `expires_in`.
    async fn fetch_v3_token(
        &self,
        credentials: &AppCredentials,
    ) -> std::result::Result<(SecretString, Duration), TokenError> {
        #[derive(serde::Deserialize)]
        struct V3Answer {
            #[serde(default)]
            code: i64,
            access_token: Option<SecretString>,
            expires_in: Option<u64>,
        }
        let body = serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": credentials.app_id,
            "client_secret": credentials.app_secret.expose_secret(),
        });
        let answer = self
            .execute(Spec {
                operation: "oauth_v3_token",
                method: feishu_vc_model::Method::Post,
                path: OAUTH_V3_TOKEN_PATH,
                fixed: false,
                query: &[],
                body: Some(Bytes::from(body.to_string())),
                idempotent: true,
                auth: Auth::None(&[]),
                timeout: None,
                on: Some(&self.inner.accounts_url),
                oauth: true,
                carried: None,
            })
            .await
            .map_err(token_error)?;
        let parsed: V3Answer = self.decode(&answer, &[], None).map_err(token_error)?;
        let token = parsed.access_token.filter(|t| !t.is_empty());
        match (token, parsed.expires_in.filter(|e| *e > 0)) {
            (Some(token), Some(expires_in)) => Ok((token, Duration::from_secs(expires_in))),
            _ => Err(TokenError::no_token_in_answer(
                parsed.code,
                Some(answer.http_status),
                answer.log_id,
            )),
        }
    }

    /// Fetches a tenant token for the app; the answer's lifetime comes from `expire`.
    async fn fetch_internal_token(
        &self,
        credentials: &AppCredentials,
    ) -> std::result::Result<(SecretString, Duration), TokenError> {
        let request = TenantAccessTokenInternalRequest::new(
            credentials.app_id.clone(),
            credentials.app_secret.clone(),
        );
        let http = request
            .to_http()
            .map_err(|e| TokenError::new("the token request could not be built").with_source(e))?;
        let answer = self
            .execute(Spec {
                operation: <TenantAccessTokenInternalRequest as ApiRequest>::OPERATION.id,
                method: http.method,
                path: &http.path,
                fixed: true,
                query: &[],
                body: http.body.map(Bytes::from),
                // Asking for a token twice is harmless.
                idempotent: true,
                auth: Auth::None(&[]),
                timeout: None,
                on: None,
                oauth: false,
                carried: None,
            })
            .await
            .map_err(token_error)?;
        let body: TenantAccessTokenInternalResponse =
            self.decode(&answer, &[], None).map_err(token_error)?;
        let token = body.tenant_access_token.filter(|t| !t.is_empty());
        let expire = body.expire.filter(|e| *e > 0);
        match (token, expire) {
            (Some(token), Some(expire)) => Ok((token, Duration::from_secs(expire.unsigned_abs()))),
            _ => Err(TokenError::no_token_in_answer(
                body.code.unwrap_or_default(),
                Some(answer.http_status),
                answer.log_id,
            )),
        }
    }
}

/// Makes ring rustls's process-wide crypto provider, unless the process has chosen one already;
/// does nothing without the `rustls` feature.
///
/// The `rustls` feature builds reqwest without a crypto provider of its own (its default,
/// aws-lc-rs, compiles AWS-LC from C: a third of a cold build). reqwest then needs a provider
/// installed before it builds a client with rustls, and panics without one.
/// [`TransportBuilder::build`] calls this; call it yourself before building any other
/// `reqwest::Client` in a program that links feishu-vc with `rustls` (one of your own for
/// [`TransportBuilder::http_client`], say). A provider installed earlier (aws-lc-rs, say) is kept.
pub fn install_rustls_provider() {
    #[cfg(feature = "rustls")]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing one is fine: one is installed either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The v3 OAuth token endpoint, on the accounts host.
pub const OAUTH_V3_TOKEN_PATH: &str = "/oauth/v3/token";

/// Whether `path` has a `.` or `..` segment, percent-encoded or not: parsing the URL would resolve
/// it away, so that a reserve id `..` would address `/open-apis/vc/v1/`. URLs also read a backslash
/// as a slash and drop tabs and newlines.
fn has_dot_segment(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split(['/', '\\']).any(is_dot_segment)
}

/// Whether a segment, without tabs and newlines and ignoring case, is `.`, `..` or one of their
/// percent-encoded forms. Looks at the bytes in place: no segment is copied.
fn is_dot_segment(segment: &str) -> bool {
    let mut kept = [0u8; 6];
    let mut len = 0;
    for b in segment
        .bytes()
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\r'))
    {
        if len == kept.len() {
            return false;
        }
        kept[len] = b.to_ascii_lowercase();
        len += 1;
    }
    matches!(
        &kept[..len],
        b"." | b".." | b"%2e" | b".%2e" | b"%2e." | b"%2e%2e"
    )
}

/// What the token endpoint's failure means for the call that needed the token.
fn token_error(e: Error) -> TokenError {
    match e {
        Error::Api(api) => TokenError {
            code: Some(api.code.code()),
            msg: api.msg,
            http_status: Some(api.http_status),
            log_id: api.log_id,
            source: None,
        },
        other => TokenError {
            code: other.code().map(|c| c.code()),
            msg: other.to_string(),
            http_status: other.http_status(),
            log_id: other.log_id().map(str::to_owned),
            source: Some(Arc::new(other)),
        },
    }
}
