//! One call: per-call options, the retry loop, and what a successful call returns.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use feishu_vc_model::{ErrorCode, ErrorInfo, Method, SecretString, UserId};
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use serde::Deserialize;
use tracing::field::Empty;
use tracing::{Instrument, Span};

use crate::auth::{AccessToken, Credential};
use crate::error::{
    ApiError, BodyTooLarge, DecodeError, Error, Failure, InvalidRequest, RateLimited, Result,
};
use crate::fleet::RateScope;
use crate::redact::{Known, excerpt};
use crate::{BoxError, BoxFuture, TokenSource, Transport};

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

/// How a call is authorised.
#[derive(Clone, Copy)]
pub(crate) enum Auth<'a> {
    /// No token (the token endpoints); the body carries these secrets, scrubbed from whatever
    /// the server echoes like the token of other calls.
    None(&'a [SecretString]),
    /// The call's own token if given, else the client's source.
    For(&'a CallOptions),
}

/// A call ready to send.
pub(crate) struct Spec<'a> {
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    pub(crate) path: &'a str,
    /// `path` is an operation's own, without parameters, and `query` is empty: its URL on the
    /// Open Platform's host is built once per client.
    pub(crate) fixed: bool,
    pub(crate) query: &'a [(&'a str, &'a str)],
    pub(crate) body: Option<Bytes>,
    pub(crate) idempotent: bool,
    pub(crate) auth: Auth<'a>,
    pub(crate) timeout: Option<Duration>,
    /// The host the call goes to, when not the Open Platform's (the accounts host).
    pub(crate) on: Option<&'a reqwest::Url>,
    /// An OAuth (RFC 6749) endpoint: a 2xx answer without `code` is a success.
    pub(crate) oauth: bool,
    /// A secret the request itself carries (the meeting password), scrubbed like the call's own
    /// without being copied into its options.
    pub(crate) carried: Option<&'a SecretString>,
}

/// A successful answer: code 0.
pub(crate) struct Answer {
    pub(crate) http_status: u16,
    pub(crate) log_id: Option<String>,
    pub(crate) body: Bytes,
    /// The token the call sent, to scrub from an excerpt if the body cannot be decoded.
    pub(crate) token: Option<Arc<Credential>>,
}

impl Transport {
    /// Decodes `answer`'s body as `T`; a failure keeps the status, log id and an excerpt without
    /// secrets (`extra` and `carried`: the call's own, besides the app secret and the token it
    /// sent).
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(
        &self,
        answer: &Answer,
        extra: &[SecretString],
        carried: Option<&SecretString>,
    ) -> Result<T> {
        serde_json::from_slice(&answer.body).map_err(|e| {
            let known = Known {
                app_secret: self.app_secret(),
                token: answer.token.as_deref().map(|c| &c.value),
                extra,
                carried,
            };
            Error::Decode(DecodeError {
                http_status: answer.http_status,
                excerpt: excerpt(&answer.body, &known),
                log_id: answer.log_id.clone(),
                source: Some(Box::new(e)),
            })
        })
    }

    /// The app id, when the client has app credentials; empty otherwise.
    pub(crate) fn app_id(&self) -> &str {
        match &self.inner.tokens {
            TokenSource::App(cache) => &cache.credentials.app_id,
            _ => "",
        }
    }

    /// The app secret, when the client has app credentials.
    pub(crate) fn app_secret(&self) -> Option<&SecretString> {
        match &self.inner.tokens {
            TokenSource::App(cache) => Some(&cache.credentials.app_secret),
            _ => None,
        }
    }
}

/// The envelope's head, read before the typed `data`.
#[derive(Deserialize)]
struct Head {
    code: i64,
    #[serde(default)]
    msg: String,
    /// The Open Platform's error detail; OAuth endpoints put a string here (`invalid_grant`),
    /// which is read as no detail.
    #[serde(default, deserialize_with = "error_detail")]
    error: Option<ErrorInfo>,
}

/// The head of an OAuth endpoint's answer, whose `code` may be absent on success.
#[derive(Deserialize)]
struct OAuthHead {
    #[serde(default)]
    code: i64,
}

/// The `error` object if it is one; anything else (the OAuth endpoints' error string) is ignored.
fn error_detail<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<ErrorInfo>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

/// The token a call carries, and whether it came from the client's source (so it may be evicted).
struct Bearer {
    credential: Arc<Credential>,
    from_source: bool,
}

enum Step {
    Done(Answer),
    Retry { wait: Duration, error: Error },
    Fail(Error),
    Replay,
}

impl Step {
    /// The same step, its error scrubbed of `known` secrets.
    fn scrubbed(self, known: &Known<'_>) -> Self {
        match self {
            Self::Retry { wait, error } => Self::Retry {
                wait,
                error: error.scrubbed(known),
            },
            Self::Fail(error) => Self::Fail(error.scrubbed(known)),
            done_or_replay => done_or_replay,
        }
    }
}

impl Transport {
    /// Sends `spec`, retrying as the policy and the operation's safety allow.
    pub(crate) async fn execute(&self, spec: Spec<'_>) -> Result<Answer> {
        let span = tracing::debug_span!(
            "feishu_vc.call",
            operation = spec.operation,
            method = spec.method.as_str(),
            path = spec.path,
            attempt = Empty,
            status = Empty,
            code = Empty,
            log_id = Empty,
            latency_ms = Empty,
        );
        let started = Instant::now();
        let result = self
            .attempts(&spec, started, &span)
            .instrument(span.clone())
            .await;
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        if let Err(e) = &result {
            tracing::debug!(parent: &span, error = %e, "call failed");
        }
        result
    }

    async fn attempts(&self, spec: &Spec<'_>, started: Instant, span: &Span) -> Result<Answer> {
        let inner = &self.inner;
        // Built (and checked) before anything is sent; moved into the first attempt's request,
        // built again only for a retry.
        let mut first_url = Some(self.url_for(spec)?);
        let timeout = spec.timeout.unwrap_or(inner.timeout);
        let retry = &inner.retry;
        let mut attempt = 0u32;
        let mut replayed = false;
        let mut before_send = match spec.auth {
            Auth::For(opts) => opts.before_send.as_ref(),
            Auth::None(_) => None,
        };
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            let bearer = match spec.auth {
                Auth::None(_) => None,
                Auth::For(opts) => match self.cached_bearer(opts) {
                    Some(bearer) => Some(bearer),
                    None => match self.bearer(opts).await {
                        Ok(bearer) => Some(bearer),
                        Err(e) => return Err(e.scrubbed(&self.known(spec, None))),
                    },
                },
            };
            if let (Some(limiter), Auth::For(opts)) = (&inner.rate_limiter, spec.auth) {
                limiter
                    .acquire(RateScope {
                        app_id: self.app_id(),
                        tenant_key: opts.tenant_key.as_deref(),
                        operation: spec.operation,
                    })
                    .await;
            }
            if let Some(step) = before_send.take() {
                (step.0)()
                    .await
                    .map_err(|reason| Error::InvalidRequest(InvalidRequest::Withheld(reason)))?;
            }
            // Every error of the attempt is scrubbed of the secrets the call knows, here, before it
            // is logged, retried or returned.
            let known = self.known(spec, bearer.as_ref());
            let url = match first_url.take() {
                Some(url) => url,
                None => self.url_for(spec)?,
            };
            let step = self
                .attempt(
                    spec,
                    url,
                    timeout,
                    bearer.as_ref(),
                    &known,
                    attempt,
                    span,
                    !replayed,
                )
                .await
                .scrubbed(&known);
            match step {
                Step::Done(answer) => return Ok(answer),
                Step::Fail(e) => return Err(e),
                Step::Replay => {
                    // The source's token was rejected: evict exactly that token and replay once.
                    replayed = true;
                    attempt -= 1;
                    if let (Some(b), Auth::For(opts)) = (&bearer, spec.auth) {
                        self.reject(&b.credential.value, opts).await;
                    }
                    tracing::debug!("access token rejected; replaying with a fresh one");
                }
                Step::Retry { wait, error } => {
                    let out_of_attempts = attempt >= retry.max_attempts;
                    let past_deadline =
                        retry.deadline.is_some_and(|d| started.elapsed() + wait > d);
                    if out_of_attempts || past_deadline {
                        return Err(error);
                    }
                    tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Where `spec` goes.
    fn url_for(&self, spec: &Spec<'_>) -> Result<reqwest::Url> {
        if spec.fixed && spec.on.is_none() {
            self.fixed_url(spec.path)
        } else {
            self.url(spec.on, spec.path, spec.query)
        }
    }

    /// The client's cached tenant token when it is fresh and the call brings none: taken without
    /// the boxed future [`Transport::bearer`] needs to fetch one.
    fn cached_bearer(&self, opts: &CallOptions) -> Option<Bearer> {
        match (&opts.token, &self.inner.tokens) {
            (None, TokenSource::App(cache)) => cache.fresh().map(|token| Bearer {
                credential: token.credential.clone(),
                from_source: true,
            }),
            _ => None,
        }
    }

    /// The secrets a call knows: the app secret, the token `bearer` carries, the call's own.
    fn known<'a>(&'a self, spec: &Spec<'a>, bearer: Option<&'a Bearer>) -> Known<'a> {
        Known {
            app_secret: self.app_secret(),
            token: bearer.map(|b| &b.credential.value),
            extra: match spec.auth {
                Auth::None(secrets) => secrets,
                Auth::For(opts) => &opts.secrets,
            },
            carried: spec.carried,
        }
    }

    /// One attempt, classified.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        spec: &Spec<'_>,
        url: reqwest::Url,
        timeout: Duration,
        bearer: Option<&Bearer>,
        known: &Known<'_>,
        attempt: u32,
        span: &Span,
        may_replay: bool,
    ) -> Step {
        let inner = &self.inner;
        let method = match spec.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            _ => reqwest::Method::DELETE,
        };
        let mut request = inner.http.request(method, url).timeout(timeout);
        if let Some(b) = bearer {
            request = request.header(AUTHORIZATION, b.credential.header.clone());
        }
        if let Some(body) = &spec.body {
            request = request
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                )
                .body(body.clone());
        }
        let target = || format!("{} {}", spec.method, spec.path);
        // The path never changes the host: name the base's.
        let failure = |e: reqwest::Error| {
            let base = spec.on.unwrap_or(&inner.base_url);
            Failure::of(target(), host(base), attempt, e)
        };
        // Computed only when an attempt is to be retried.
        let backoff = || inner.retry.backoff(attempt);

        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                return Step::Retry {
                    wait: backoff(),
                    error: Error::Connect(failure(e)),
                };
            }
            Err(e) if e.is_timeout() => {
                return self.after_sending(spec, Error::Timeout(failure(e)), backoff());
            }
            Err(e) => return self.after_sending(spec, Error::Network(failure(e)), backoff()),
        };
        let http_status = response.status().as_u16();
        // Kept past the body, which consumes the response; the rate-limit headers are read only
        // for an answer that is throttled.
        let headers = std::mem::take(response.headers_mut());
        let log_id = log_id(&headers, known);
        span.record("status", http_status);
        if let Some(id) = &log_id {
            span.record("log_id", id.as_str());
        }
        let body = match read_body(response, inner.max_body_bytes).await {
            Ok(b) => b,
            Err(BodyFailure::TooLarge { announced, head }) => {
                let error = Error::BodyTooLarge(BodyTooLarge {
                    limit: inner.max_body_bytes,
                    announced,
                    http_status,
                    log_id,
                    excerpt: excerpt(&head, known),
                });
                // The answer is lost whatever it said; a server error may pass on a read.
                return if http_status >= 500 || !spec.idempotent {
                    self.after_sending(spec, error, backoff())
                } else {
                    Step::Fail(error)
                };
            }
            Err(BodyFailure::Read(e)) if e.is_timeout() => {
                return self.after_sending(spec, Error::Timeout(failure(e)), backoff());
            }
            Err(BodyFailure::Read(e)) => {
                return self.after_sending(spec, Error::Network(failure(e)), backoff());
            }
        };
        let parsed: std::result::Result<Head, serde_json::Error> = if starts_with_code_zero(&body) {
            // The usual success answer, `{"code":0,...`: no need to parse it twice.
            Ok(Head {
                code: 0,
                msg: String::new(),
                error: None,
            })
        } else if spec.oauth && (200..300).contains(&http_status) {
            // RFC 6749 answers need not carry a `code`: a 2xx without one is a success.
            serde_json::from_slice::<OAuthHead>(&body).map(|h| Head {
                code: h.code,
                msg: String::new(),
                error: None,
            })
        } else {
            serde_json::from_slice(&body)
        };
        let (head, unreadable) = match parsed {
            Ok(head) => (Some(head), None),
            Err(e) => (None, Some(e)),
        };
        if let Some(h) = &head {
            span.record("code", h.code);
        }
        let code = head.as_ref().map(|h| ErrorCode::from_code(h.code));

        // Throttled: the server did not process the call, so any call may wait and try again.
        if http_status == 429 || code.is_some_and(ErrorCode::is_rate_limited) {
            let reset = header_u64(&headers, &RATELIMIT_RESET)
                .or_else(|| header_u64(&headers, &RETRY_AFTER));
            let limit = header_u64(&headers, &RATELIMIT_LIMIT).and_then(|v| u32::try_from(v).ok());
            let retry_after = reset.map(Duration::from_secs);
            let error = Error::RateLimited(RateLimited {
                retry_after,
                limit,
                code,
                http_status,
                log_id: log_id
                    .clone()
                    .or_else(|| head.as_ref().and_then(body_log_id)),
            });
            let wait = retry_after.unwrap_or_else(backoff);
            if wait > inner.retry.max_rate_limit_wait {
                return Step::Fail(error);
            }
            return Step::Retry { wait, error };
        }

        let Some(head) = head else {
            let error = Error::Decode(DecodeError {
                http_status,
                excerpt: excerpt(&body, known),
                log_id,
                source: unreadable.map(|e| Box::new(e) as _),
            });
            return if http_status >= 500 || (200..300).contains(&http_status) {
                self.after_sending(spec, error, backoff())
            } else {
                Step::Fail(error)
            };
        };
        if head.code == 0 {
            return Step::Done(Answer {
                http_status,
                log_id,
                body,
                token: bearer.map(|b| b.credential.clone()),
            });
        }
        let code = ErrorCode::from_code(head.code);
        if (code.is_token_rejected() || code.is_user_token_rejected())
            && may_replay
            && bearer.is_some_and(|b| b.from_source)
        {
            return Step::Replay;
        }
        let log_id = log_id.or_else(|| body_log_id(&head));
        let error = Error::Api(ApiError {
            code,
            msg: head.msg,
            http_status,
            log_id,
            detail: head.error.map(Box::new),
        });
        if http_status >= 500 || code.is_server_fault() {
            return self.after_sending(spec, error, backoff());
        }
        Step::Fail(error)
    }

    /// The request may have been processed: retry what is safe to repeat, and say "outcome unknown"
    /// for what is not.
    fn after_sending(&self, spec: &Spec<'_>, error: Error, backoff: Duration) -> Step {
        if spec.idempotent {
            Step::Retry {
                wait: backoff,
                error,
            }
        } else {
            Step::Fail(Error::OutcomeUnknown(Box::new(error)))
        }
    }

    /// The token for a call: the call's own, else the client's source. Boxed, with its `Send`
    /// bound spelled out: fetching a token is itself a call through `execute`.
    fn bearer<'a>(&'a self, opts: &'a CallOptions) -> BoxFuture<'a, Result<Bearer>> {
        Box::pin(async move {
            if let Some(t) = &opts.token {
                let credential = Credential::new(t.secret().clone()).map_err(Error::Token)?;
                return Ok(Bearer {
                    credential: Arc::new(credential),
                    from_source: false,
                });
            }
            match &self.inner.tokens {
                TokenSource::App(cache) => {
                    let token = cache
                        .get(|| self.fetch_tenant_token(&cache.credentials))
                        .await
                        .map_err(|e| Error::Token((*e).clone()))?;
                    Ok(Bearer {
                        credential: token.credential.clone(),
                        from_source: true,
                    })
                }
                TokenSource::Provider(p) => {
                    let token = p
                        .token(opts.tenant_key.as_deref())
                        .await
                        .map_err(Error::Token)?;
                    let credential = Credential::new(token.value).map_err(Error::Token)?;
                    Ok(Bearer {
                        credential: Arc::new(credential),
                        from_source: true,
                    })
                }
                TokenSource::None => Err(Error::Token(crate::error::TokenError::new(
                    "the client has no app credentials or token provider, and the call brought no token",
                ))),
            }
        })
    }

    async fn reject(&self, token: &SecretString, opts: &CallOptions) {
        match &self.inner.tokens {
            TokenSource::App(cache) => {
                cache.reject(token);
                cache.reject_shared(token).await;
            }
            TokenSource::Provider(p) => p.reject(token, opts.tenant_key.as_deref()),
            TokenSource::None => {}
        }
    }
}

const TT_LOGID: HeaderName = HeaderName::from_static("x-tt-logid");
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("x-ogw-ratelimit-reset");
const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ogw-ratelimit-limit");

/// The host a URL goes to, with its port when it names one: what errors say, rather than the URL.
fn host(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// `X-Tt-Logid`, falling back to `X-Request-Id`, scrubbed of `known` secrets (it is recorded in
/// the span before any error is built).
fn log_id(headers: &HeaderMap, known: &Known<'_>) -> Option<String> {
    [&TT_LOGID, &REQUEST_ID]
        .into_iter()
        .find_map(|name| headers.get(name)?.to_str().ok().filter(|v| !v.is_empty()))
        .map(|id| known.scrub(id).into_owned())
}

/// Why a body was not read.
enum BodyFailure {
    /// It is larger than the limit: announced so in `Content-Length`, or found so while reading.
    TooLarge {
        announced: Option<u64>,
        /// What was read before the limit was crossed, for an excerpt.
        head: Bytes,
    },
    /// Reading failed.
    Read(reqwest::Error),
}

/// Reads a body of at most `limit` bytes, chunk by chunk; stops as soon as `Content-Length`
/// announces more or the chunks read cross it. Memory stays within `limit` plus one chunk.
async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Bytes, BodyFailure> {
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(BodyFailure::TooLarge {
            announced,
            head: Bytes::new(),
        });
    }
    let too_large = |head: Bytes| BodyFailure::TooLarge { announced, head };
    // Most answers arrive in one chunk: keep it without copying.
    let first = match response.chunk().await.map_err(BodyFailure::Read)? {
        None => return Ok(Bytes::new()),
        Some(chunk) if chunk.len() > limit => return Err(too_large(chunk)),
        Some(chunk) => chunk,
    };
    let Some(second) = response.chunk().await.map_err(BodyFailure::Read)? else {
        return Ok(first);
    };
    let capacity = announced.map_or(first.len() + second.len(), |n| n as usize);
    let mut body = bytes::BytesMut::with_capacity(capacity.min(limit));
    let mut next = Some(second);
    body.extend_from_slice(&first);
    while let Some(chunk) = next {
        if body.len() + chunk.len() > limit {
            return Err(too_large(body.freeze()));
        }
        body.extend_from_slice(&chunk);
        next = response.chunk().await.map_err(BodyFailure::Read)?;
    }
    Ok(body.freeze())
}

/// Whether a body begins `{"code":0,` or `{"code":0}` (white space allowed): the code is then 0
/// without parsing the rest.
fn starts_with_code_zero(body: &[u8]) -> bool {
    fn skip_ws(b: &[u8]) -> &[u8] {
        let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
        &b[n..]
    }
    let Some(rest) = skip_ws(body).strip_prefix(b"{") else {
        return false;
    };
    let Some(rest) = skip_ws(rest).strip_prefix(b"\"code\"") else {
        return false;
    };
    let Some(rest) = skip_ws(rest).strip_prefix(b":") else {
        return false;
    };
    let Some(rest) = skip_ws(rest).strip_prefix(b"0") else {
        return false;
    };
    matches!(skip_ws(rest).first(), Some(b',' | b'}'))
}

fn body_log_id(head: &Head) -> Option<String> {
    head.error
        .as_ref()?
        .log_id
        .clone()
        .filter(|id| !id.is_empty())
}

fn header_u64(headers: &HeaderMap, name: &HeaderName) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::starts_with_code_zero;

    #[test]
    fn only_a_leading_code_zero_is_taken_without_parsing() {
        assert!(starts_with_code_zero(
            br#"{"code":0,"msg":"success","data":{}}"#
        ));
        assert!(starts_with_code_zero(b" {\n  \"code\" : 0 }"));
        assert!(!starts_with_code_zero(br#"{"code":0.5}"#));
        assert!(!starts_with_code_zero(br#"{"code":01}"#));
        assert!(!starts_with_code_zero(br#"{"code":99991663,"msg":"x"}"#));
        assert!(
            !starts_with_code_zero(br#"{"msg":"ok","code":0}"#),
            "parsed the slow way instead"
        );
        assert!(!starts_with_code_zero(b"<html>"));
        assert!(!starts_with_code_zero(b""));
    }
}
