//! The call loop: one call's attempts, each classified as done, retried, replayed with a fresh
//! token or failed; the `feishu_vc.call` span. What is retried is decided here: a request that
//! may have reached the server is sent again only when it is idempotent.
//!
//! The token an attempt carries comes from `auth/source.rs` (`Transport::bearer`), which fetches
//! a tenant token through this loop; reading the answer is `call/answer.rs`'s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use feishu_vc_model::{ErrorCode, Method, SecretString};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use tracing::field::Empty;
use tracing::{Instrument, Span};

use crate::auth::Credential;
use crate::call::CallOptions;
use crate::call::answer::{
    Answer, BodyFailure, Head, OAuthHead, RATELIMIT_LIMIT, RATELIMIT_RESET, body_log_id,
    header_u64, host, log_id, read_body, starts_with_code_zero,
};
use crate::client::Transport;
use crate::error::{
    ApiError, BodyTooLarge, DecodeError, Error, Failure, InvalidRequest, RateLimited, Result,
};
use crate::fleet::RateScope;
use crate::redact::{Known, excerpt};

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

/// The token a call carries, and whether it came from the client's source (so it may be evicted).
pub(crate) struct Bearer {
    pub(crate) credential: Arc<Credential>,
    pub(crate) from_source: bool,
}

/// What one attempt came to.
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
}
