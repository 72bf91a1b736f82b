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
//!
//! # Where things are
//!
//! Imports run one way, from the top of this list to the bottom; nothing imports a file above it.
//!
//! - `builder.rs`: [`TransportBuilder`], which wires the rest into a [`Transport`].
//! - `auth/user.rs`, `auth/oauth.rs`, `auth/store_app.rs`: the token sources that send their own
//!   token requests through a `Transport` ([`UserTokenSource`], [`StoreAppTokenSource`]).
//! - `auth/source.rs`: which token each attempt carries, and the tenant-token fetch, which goes
//!   through the call loop.
//! - `call/send.rs`: [`Transport::send`], [`Transport::send_carrying`], [`Transport::raw`].
//! - `call/execute.rs`: the call loop: attempts, retries, replays, the span.
//! - `call/answer.rs`: reading an answer: its size limit, head, log id, decoding.
//! - `client.rs`: [`Transport`] and its shared state; URLs.
//! - `call/mod.rs`: the per-call types ([`CallOptions`], [`RawRequest`], [`Response`], ...).
//! - `auth/tenant.rs`: a self-built app's tenant-token cache; `auth/mod.rs`: the token kinds
//!   and the [`TokenProvider`] contract.
//! - `fleet/`: what a fleet shares ([`TokenCache`], [`RateLimiter`]) and the in-process limiter.
//! - `config.rs`: settings values ([`Brand`], [`TenantTokenEndpoint`], [`RetryPolicy`]).
//! - `error/`: [`Error`] and its details; `redact.rs`: scrubbing secrets; this file: the two
//!   aliases every module may use ([`BoxFuture`], [`BoxError`]).
#![deny(missing_docs)]

mod auth;
mod builder;
mod call;
mod client;
mod config;
mod error;
mod fleet;
mod redact;

pub use auth::oauth::{
    InMemoryUserTokenStore, OAUTH_TOKEN_PATH, OAuthApp, OnRefresh, UserTokenError, UserTokenStore,
    UserTokens,
};
pub use auth::source::OAUTH_V3_TOKEN_PATH;
pub use auth::store_app::{
    APP_ACCESS_TOKEN_PATH, APP_TICKET_INVALID, APP_TICKET_RESEND_PATH, AppTicketStore,
    InMemoryAppTicketStore, STORE_TENANT_TOKEN_PATH, StoreAppError, StoreAppTokenSource,
};
pub use auth::user::UserTokenSource;
pub use auth::{AccessToken, ProvidedToken, TokenProvider};
pub use builder::{DEFAULT_MAX_BODY_BYTES, TransportBuilder, install_rustls_provider};
pub use call::{BeforeSend, CallOptions, RawRequest, Response, Warning};
pub use client::Transport;
pub use config::{Brand, RetryPolicy, TenantTokenEndpoint};
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
