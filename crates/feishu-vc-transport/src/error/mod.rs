//! One error type that says how far a request got: [`Error`], its variants' details in one
//! file per stage the request reached.
//!
//! - `request.rs`: refused before anything was sent ([`InvalidRequest`], [`ConfigError`]);
//! - `failure.rs`: below HTTP ([`Failure`], [`FailureKind`]);
//! - `answered.rs`: the server answered ([`ApiError`], [`RateLimited`], [`DecodeError`],
//!   [`BodyTooLarge`], [`HostsRejected`]);
//! - `token.rs`: no access token ([`TokenError`]).
//!
//! The detail files import nothing of this one: `Error` knows them, not the other way round.

mod answered;
mod failure;
mod request;
mod token;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use feishu_vc_model::{BuildError, ErrorCode, ErrorInfo};
use feishu_vc_validate::Violations;

pub use answered::{ApiError, BodyTooLarge, DecodeError, HostsRejected, RateLimited};
pub use failure::{Failure, FailureKind};
pub use request::{ConfigError, InvalidRequest};
pub use token::TokenError;

use crate::redact::Known;
use answered::write_log_id;

/// What went wrong with a call, and how far the request got.
///
/// | variant | was anything sent? |
/// | --- | --- |
/// | [`Error::InvalidRequest`], [`Error::Config`] | no |
/// | [`Error::Connect`] | no: the connection could not be made |
/// | [`Error::Token`] | not the call itself: no access token could be obtained |
/// | [`Error::Timeout`], [`Error::Network`] | yes, and the call was retried where that is safe |
/// | [`Error::OutcomeUnknown`] | yes: a booking may or may not exist; check before retrying |
/// | [`Error::Api`], [`Error::RateLimited`], [`Error::Decode`] | yes, and the server answered |
/// | [`Error::BodyTooLarge`] | yes, and the server's answer was too large to read |
///
/// `Display` shows the code, msg and log id, never a secret and never the source's text; walk
/// [`std::error::Error::source`] for causes.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused before anything was sent: it breaks documented rules, or could not
    /// be built.
    InvalidRequest(InvalidRequest),
    /// The client's configuration cannot be used (for example a plain-http base URL that is not
    /// loopback). Raised by `build()`, before any I/O.
    Config(ConfigError),
    /// No connection could be made; the request was not sent.
    Connect(Failure),
    /// The call timed out after the request may have been sent.
    Timeout(Failure),
    /// The connection broke after the request was sent.
    Network(Failure),
    /// A call that is not safe to repeat (booking a meeting) was sent, and no answer says whether
    /// it was carried out: a reservation may exist. Look it up before booking again. The cause
    /// (timeout, broken connection, server error) is the `source()`.
    OutcomeUnknown(Box<Error>),
    /// The API answered with a non-zero `code`.
    Api(ApiError),
    /// The API kept throttling the call (HTTP 429 or code 99991400).
    RateLimited(RateLimited),
    /// The answer could not be decoded.
    Decode(DecodeError),
    /// The answer was larger than the client reads
    /// ([`crate::TransportBuilder::max_body_bytes`]); it was not read to the end.
    BodyTooLarge(BodyTooLarge),
    /// No access token could be obtained.
    Token(TokenError),
    /// The call succeeded, but Feishu dropped some assigned hosts; returned only in strict mode.
    HostsRejected(Box<HostsRejected>),
}

/// The result of a call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The call's error code from the body, if the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api(e) => Some(e.code),
            Self::RateLimited(e) => e.code,
            Self::Token(e) => e.code.map(ErrorCode::from_code),
            Self::OutcomeUnknown(inner) => inner.code(),
            _ => None,
        }
    }

    /// The log id (`X-Tt-Logid`) of the answer, to quote to Feishu support.
    pub fn log_id(&self) -> Option<&str> {
        match self {
            Self::Api(e) => e.log_id.as_deref(),
            Self::RateLimited(e) => e.log_id.as_deref(),
            Self::Decode(e) => e.log_id.as_deref(),
            Self::BodyTooLarge(e) => e.log_id.as_deref(),
            Self::Token(e) => e.log_id.as_deref(),
            Self::HostsRejected(e) => e.log_id.as_deref(),
            Self::OutcomeUnknown(inner) => inner.log_id(),
            _ => None,
        }
    }

    /// The HTTP status of the answer, if there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Api(e) => Some(e.http_status),
            Self::RateLimited(e) => Some(e.http_status),
            Self::Decode(e) => Some(e.http_status),
            Self::BodyTooLarge(e) => Some(e.http_status),
            Self::Token(e) => e.http_status,
            Self::OutcomeUnknown(inner) => inner.http_status(),
            _ => None,
        }
    }

    /// The rule violations, when the request was refused locally.
    pub fn violations(&self) -> Option<&Violations> {
        match self {
            Self::InvalidRequest(InvalidRequest::Violations(v)) => Some(v),
            _ => None,
        }
    }

    /// The API error, when the server answered with a non-zero code (also inside
    /// [`Error::OutcomeUnknown`]).
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            Self::OutcomeUnknown(inner) => inner.api(),
            _ => None,
        }
    }

    /// How long the server asked to wait, for [`Error::RateLimited`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited(e) => e.retry_after,
            _ => None,
        }
    }

    /// Nothing was sent: local validation or building refused the request.
    pub fn is_invalid_request(&self) -> bool {
        matches!(self, Self::InvalidRequest(_))
    }

    /// No connection could be made.
    pub fn is_connect(&self) -> bool {
        matches!(self, Self::Connect(_))
    }

    /// The call timed out.
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Timeout(_) => true,
            Self::OutcomeUnknown(inner) => inner.is_timeout(),
            _ => false,
        }
    }

    /// A booking may or may not have been made: check before retrying.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Self::OutcomeUnknown(_))
    }

    /// The server answered with a non-zero code.
    pub fn is_api(&self) -> bool {
        matches!(self, Self::Api(_))
    }

    /// The call was throttled.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::RateLimited(_))
    }

    /// The answer could not be decoded.
    pub fn is_decode(&self) -> bool {
        matches!(self, Self::Decode(_))
    }

    /// The answer was larger than the client reads (also inside [`Error::OutcomeUnknown`]).
    pub fn is_body_too_large(&self) -> bool {
        match self {
            Self::BodyTooLarge(_) => true,
            Self::OutcomeUnknown(inner) => inner.is_body_too_large(),
            _ => false,
        }
    }

    /// No access token could be obtained.
    pub fn is_token(&self) -> bool {
        matches!(self, Self::Token(_))
    }
}

impl Error {
    /// The same error with the `known` secrets scrubbed from every text the server sent or a token
    /// provider wrote: msg, excerpt, log id, error detail. Excerpts are scrubbed when cut, as only
    /// then is it known where a secret was cut short.
    pub(crate) fn scrubbed(mut self, known: &Known<'_>) -> Self {
        self.scrub(known);
        self
    }

    fn scrub(&mut self, known: &Known<'_>) {
        let scrub_opt = |text: &mut Option<String>| {
            if let Some(text) = text {
                known.scrub_in_place(text);
            }
        };
        match self {
            // Built by the client from what it knows, or a source below HTTP.
            Self::InvalidRequest(_)
            | Self::Config(_)
            | Self::Connect(_)
            | Self::Timeout(_)
            | Self::Network(_) => {}
            Self::OutcomeUnknown(inner) => inner.scrub(known),
            Self::Api(e) => {
                known.scrub_in_place(&mut e.msg);
                scrub_opt(&mut e.log_id);
                if let Some(detail) = &mut e.detail {
                    scrub_detail(detail, known);
                }
            }
            Self::RateLimited(e) => scrub_opt(&mut e.log_id),
            Self::Decode(e) => scrub_opt(&mut e.log_id),
            Self::BodyTooLarge(e) => scrub_opt(&mut e.log_id),
            Self::Token(e) => {
                known.scrub_in_place(&mut e.msg);
                scrub_opt(&mut e.log_id);
            }
            Self::HostsRejected(e) => scrub_opt(&mut e.log_id),
        }
    }
}

/// Scrubs every text of an answer's `error` object.
fn scrub_detail(detail: &mut ErrorInfo, known: &Known<'_>) {
    let mut texts: Vec<&mut Option<String>> = vec![&mut detail.log_id, &mut detail.troubleshooter];
    for d in detail.details.iter_mut().flatten() {
        texts.extend([&mut d.key, &mut d.value]);
    }
    for v in detail.field_violations.iter_mut().flatten() {
        texts.extend([&mut v.description, &mut v.field, &mut v.value]);
    }
    for h in detail.helps.iter_mut().flatten() {
        texts.extend([&mut h.description, &mut h.url]);
    }
    for v in detail.permission_violations.iter_mut().flatten() {
        texts.extend([&mut v.description, &mut v.subject, &mut v.r#type]);
    }
    for text in texts.into_iter().flatten() {
        known.scrub_in_place(text);
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRequest(e) => write!(f, "invalid request, nothing was sent: {e}"),
            Self::Config(e) => write!(f, "invalid client configuration: {e}"),
            Self::Connect(e) => write!(
                f,
                "could not connect to {} for {}: {}; nothing was sent",
                e.host, e.target, e.kind
            ),
            Self::Timeout(e) => write!(
                f,
                "{} on {} timed out after {} attempt(s)",
                e.target, e.host, e.attempts
            ),
            Self::Network(e) => write!(
                f,
                "the connection to {} broke during {} ({}) after {} attempt(s)",
                e.host, e.target, e.kind, e.attempts
            ),
            Self::OutcomeUnknown(cause) => write!(
                f,
                "outcome unknown: the request was sent but no answer says whether it was carried out \
                 ({cause}); check before retrying, a reservation may exist"
            ),
            Self::Api(e) => e.fmt(f),
            Self::RateLimited(e) => {
                write!(f, "rate limited (HTTP {}", e.http_status)?;
                if let Some(code) = e.code {
                    write!(f, ", code {}", code.code())?;
                }
                f.write_str(")")?;
                if let Some(wait) = e.retry_after {
                    write!(f, ", retry after {}s", wait.as_secs_f32())?;
                }
                write_log_id(f, e.log_id.as_deref())
            }
            Self::Decode(e) => {
                write!(f, "could not decode the answer (HTTP {})", e.http_status)?;
                write_log_id(f, e.log_id.as_deref())
            }
            Self::BodyTooLarge(e) => {
                write!(
                    f,
                    "the answer (HTTP {}) is larger than the {}-byte limit",
                    e.http_status, e.limit
                )?;
                if let Some(n) = e.announced {
                    write!(f, " (Content-Length {n})")?;
                }
                f.write_str("; it was not read")?;
                write_log_id(f, e.log_id.as_deref())
            }
            Self::Token(e) => e.fmt(f),
            Self::HostsRejected(e) => {
                write!(
                    f,
                    "{} assigned host(s) were rejected",
                    e.invalid_host_ids.len()
                )?;
                if let Some(id) = &e.reserve_id {
                    write!(f, " by reservation {id}")?;
                }
                write_log_id(f, e.log_id.as_deref())
            }
        }
    }
}
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidRequest(InvalidRequest::Violations(v)) => Some(v),
            Self::InvalidRequest(InvalidRequest::Build(b)) => Some(b),
            Self::InvalidRequest(InvalidRequest::Withheld(reason)) => Some(reason.as_ref()),
            Self::Connect(e) | Self::Timeout(e) | Self::Network(e) => e
                .source
                .as_deref()
                .map(|s| s as &(dyn std::error::Error + 'static)),
            Self::OutcomeUnknown(inner) => Some(inner.as_ref()),
            Self::Decode(e) => e
                .source
                .as_deref()
                .map(|s| s as &(dyn std::error::Error + 'static)),
            Self::Token(e) => e
                .source
                .as_deref()
                .map(|s| s as &(dyn std::error::Error + 'static)),
            _ => None,
        }
    }
}

impl From<Violations> for Error {
    fn from(v: Violations) -> Self {
        Self::InvalidRequest(InvalidRequest::Violations(v))
    }
}

impl From<BuildError> for Error {
    fn from(b: BuildError) -> Self {
        Self::InvalidRequest(InvalidRequest::Build(b))
    }
}

/// What the token endpoint's failure means for the call that needed the token.
pub(crate) fn token_error(e: Error) -> TokenError {
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
