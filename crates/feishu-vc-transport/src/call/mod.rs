//! One call: the public per-call types: its options ([`CallOptions`], [`BeforeSend`]), a raw
//! request ([`RawRequest`]) and what a successful call returns ([`Response`], [`Warning`]).
//!
//! The children import these types and are never imported by this file: `send.rs` (the public
//! calls), `execute.rs` (the loop), `answer.rs` (reading answers).

pub(crate) mod answer;
pub(crate) mod execute;
mod send;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use feishu_vc_model::{Method, SecretString, UserId};

use crate::auth::AccessToken;
use crate::{BoxError, BoxFuture};

/// Options for one call.
#[derive(Clone, Default, Debug)]
pub struct CallOptions {
    pub(crate) token: Option<AccessToken>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) tenant_key: Option<String>,
    pub(crate) secrets: Vec<SecretString>,
    pub(crate) before_send: Option<BeforeSend>,
}

/// A step of the caller's, run once per call just before its request is first sent: once the
/// access token and the rate limiter's slot are in hand, so nothing but the request itself comes
/// after it. A ledger records "sending" here. `Err` withholds the request: the call ends with
/// [`InvalidRequest::Withheld`](crate::InvalidRequest::Withheld), and nothing is sent. A call
/// that ends before reaching that point (local validation, no token) never runs it.
#[derive(Clone)]
pub struct BeforeSend(Arc<dyn Fn() -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>);

impl BeforeSend {
    /// The step `step`.
    pub fn new(
        step: impl Fn() -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(step))
    }
}

impl fmt::Debug for BeforeSend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BeforeSend(..)")
    }
}

impl CallOptions {
    /// No options: the client's token source and timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Act as a user: send this `user_access_token`. It is used as given, never cached.
    pub fn with_user_access_token(self, token: impl Into<SecretString>) -> Self {
        self.with_access_token(AccessToken::user(token))
    }

    /// Send this `tenant_access_token` instead of the client's. It is used as given, never cached
    /// and never evicted.
    pub fn with_tenant_access_token(self, token: impl Into<SecretString>) -> Self {
        self.with_access_token(AccessToken::tenant(token))
    }

    /// Send this token.
    pub fn with_access_token(mut self, token: AccessToken) -> Self {
        self.token = Some(token);
        self
    }

    /// The timeout of each attempt of this call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The tenant a marketplace app acts for, passed to the [`crate::TokenProvider`].
    pub fn with_tenant_key(mut self, tenant_key: impl Into<String>) -> Self {
        self.tenant_key = Some(tenant_key.into());
        self
    }

    /// A secret this call carries (a meeting password, say): if the server echoes it, it is
    /// scrubbed from error messages, excerpts, log ids and tracing like the app secret and the
    /// access token, which need not be added. Secrets shorter than 4 characters are not scrubbed.
    pub fn with_secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// Runs `step` once, right before the request is first sent (see [`BeforeSend`]).
    pub fn with_before_send(mut self, step: BeforeSend) -> Self {
        self.before_send = Some(step);
        self
    }

    /// The token given for this call, if any.
    pub fn access_token(&self) -> Option<&AccessToken> {
        self.token.as_ref()
    }
}

/// A successful call's result.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Response<T> {
    /// The answer's `data`.
    pub data: T,
    /// `X-Tt-Logid` (or `X-Request-Id`): quote it to Feishu support.
    pub log_id: Option<String>,
    /// The HTTP status.
    pub http_status: u16,
    /// Things that went wrong without failing the call.
    pub warnings: Vec<Warning>,
}

impl<T> Response<T> {
    /// The same response with `data` replaced.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            data: f(self.data),
            log_id: self.log_id,
            http_status: self.http_status,
            warnings: self.warnings,
        }
    }

    /// The same response with one more warning.
    pub fn with_warning(mut self, warning: Warning) -> Self {
        self.warnings.push(warning);
        self
    }
}

/// Something that went wrong without failing a call.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// Feishu did not accept these assigned hosts (`reserve_correction_check_info.invalid_host_id_list`);
    /// the reservation was made or changed without them.
    InvalidHostIds(Vec<UserId>),
    /// The request carried a value Feishu accepts and ignores (local validation says which, such as
    /// `owner_id` with a user token).
    Ignored {
        /// The JSON path of the value.
        path: String,
        /// Why it is ignored.
        reason: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidHostIds(ids) => {
                let ids: Vec<&str> = ids.iter().map(UserId::as_str).collect();
                write!(
                    f,
                    "Feishu rejected these assigned hosts: {}",
                    ids.join(", ")
                )
            }
            Self::Ignored { path, reason } => write!(f, "{path} {reason}"),
        }
    }
}

/// Any Open Platform call feishu-vc does not model yet: it goes through the same hosts, tokens,
/// retries, errors and log ids as the typed operations, which are built on it.
#[derive(Clone)]
pub struct RawRequest {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Bytes>,
    pub(crate) idempotent: bool,
}

impl fmt::Debug for RawRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

impl RawRequest {
    /// A request for `path`, which starts with `/open-apis/`. Only `POST` is treated as not safe to
    /// repeat; say otherwise with [`RawRequest::idempotent`].
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            idempotent: method != Method::Post,
        }
    }

    /// Adds a query pair (encoded when sent).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sets the JSON body.
    pub fn json_body(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(Bytes::from(body.to_string()));
        self
    }

    /// Whether the request may be sent again after it may have reached the server.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}
