//! One error type that says how far a request got.

use std::fmt;
use std::time::Duration;

use feishu_vc_model::{BuildError, ErrorCode, ErrorInfo, MeetingNo, ReserveId, UserId};
use feishu_vc_validate::Violations;

use crate::BoxError;
use crate::redact::Known;

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

fn write_log_id(f: &mut fmt::Formatter<'_>, log_id: Option<&str>) -> fmt::Result {
    match log_id {
        Some(id) => write!(f, " [log id {id}]"),
        None => Ok(()),
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

/// Why a request was refused before sending.
#[derive(Debug)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// It breaks documented rules; each violation names its field and the server's code.
    Violations(Violations),
    /// It could not be built (an empty path parameter, say).
    Build(BuildError),
    /// The operation does not accept the kind of token the call would use.
    TokenNotAccepted {
        /// The operation's id.
        operation: &'static str,
    },
    /// The path cannot be sent: a raw request's path does not start with `/open-apis/`, or a
    /// path has a `.` or `..` segment that would make it address another resource.
    Path {
        /// Why.
        reason: &'static str,
    },
    /// The caller's [`BeforeSend`](crate::BeforeSend) step withheld it; its reason is the
    /// `source()`.
    Withheld(BoxError),
}

impl fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Violations(v) => v.fmt(f),
            Self::Build(b) => b.fmt(f),
            Self::TokenNotAccepted { operation } => {
                write!(f, "{operation} does not accept this kind of access token")
            }
            Self::Path { reason } => f.write_str(reason),
            Self::Withheld(_) => f.write_str("the caller withheld it just before sending"),
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

/// An unusable configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub(crate) message: String,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A failure below HTTP: connecting, a timeout, a broken connection.
#[derive(Debug)]
pub struct Failure {
    pub(crate) target: String,
    pub(crate) host: String,
    pub(crate) kind: FailureKind,
    pub(crate) attempts: u32,
    pub(crate) source: Option<BoxError>,
}

impl Failure {
    /// A failure of `target` (`METHOD path`) on `host`, classified from `source`'s chain. The
    /// source is kept without its URL, whose query may carry what should not be logged.
    pub(crate) fn of(target: String, host: String, attempts: u32, source: reqwest::Error) -> Self {
        Self {
            target,
            host,
            kind: FailureKind::of(&source),
            attempts,
            source: Some(Box::new(source.without_url())),
        }
    }

    /// `METHOD path` of the call.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The host (and port, when the base URL names one) the call went to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// What failed: DNS, a refused connection, TLS, a timeout, a reset connection.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// What failed below HTTP, as far as the error chain tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The host name could not be resolved.
    Dns,
    /// The host refused the connection: nothing listens on that port.
    Refused,
    /// The TLS handshake failed: not TLS on that port, or a certificate that is not trusted.
    Tls,
    /// Connecting or waiting for the answer took too long.
    Timeout,
    /// The connection was reset, or closed before the answer was complete.
    Reset,
    /// Any other failure; the `source()` chain says more.
    Other,
}

impl FailureKind {
    /// Classifies a failure by walking its `source()` chain, and into `io::Error`s, which hide
    /// what they wrap from that chain.
    fn of(error: &reqwest::Error) -> Self {
        let mut kind = if error.is_timeout() {
            Self::Timeout
        } else {
            Self::Other
        };
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = next {
            if let Some(found) = Self::of_one(e).filter(|_| kind == Self::Other) {
                kind = found;
            }
            next = e.source().or_else(|| {
                let io = e.downcast_ref::<std::io::Error>()?;
                io.get_ref().map(|inner| inner as _)
            });
        }
        kind
    }

    /// What one error of the chain says, if anything.
    fn of_one(e: &(dyn std::error::Error + 'static)) -> Option<Self> {
        use std::io::ErrorKind;
        #[cfg(feature = "rustls")]
        if e.is::<rustls::Error>() {
            return Some(Self::Tls);
        }
        #[cfg(feature = "native-tls")]
        if e.is::<native_tls::Error>() {
            return Some(Self::Tls);
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                return Some(Self::Timeout);
            }
            if h.is_incomplete_message() || h.is_canceled() {
                return Some(Self::Reset);
            }
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused => return Some(Self::Refused),
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof => return Some(Self::Reset),
                ErrorKind::TimedOut => return Some(Self::Timeout),
                _ => {}
            }
        }
        // The resolver's errors have no public type; hyper-util and the system name them so.
        let text = e.to_string().to_ascii_lowercase();
        let dns = [
            "dns error",
            "error resolving dns",
            "failed to lookup address",
        ];
        dns.iter()
            .any(|needle| text.contains(needle))
            .then_some(Self::Dns)
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Dns => "the host name could not be resolved (DNS)",
            Self::Refused => "the connection was refused",
            Self::Tls => "the TLS handshake failed",
            Self::Timeout => "timed out",
            Self::Reset => "the connection was reset or closed early",
            Self::Other => "network error",
        })
    }
}

/// The API's answer to a call that failed: a non-zero `code` in the body, whatever the HTTP status.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The code from the body.
    pub code: ErrorCode,
    /// The body's `msg`.
    pub msg: String,
    /// The HTTP status (business errors arrive with 200, 400, 403, 404 or 500).
    pub http_status: u16,
    /// `X-Tt-Logid` (or `X-Request-Id`, or `error.log_id`).
    pub log_id: Option<String>,
    /// The body's `error` object: troubleshooter link, permission and field violations, help links.
    pub detail: Option<Box<ErrorInfo>>,
}

impl ApiError {
    /// The troubleshooter link Feishu gives for this error, if any.
    pub fn troubleshooter(&self) -> Option<&str> {
        self.detail.as_ref()?.troubleshooter.as_deref()
    }

    /// The scopes or privileges the call lacked (`permission_violations[].subject`).
    pub fn missing_permissions(&self) -> Vec<&str> {
        self.detail
            .iter()
            .flat_map(|d| d.permission_violations.iter().flatten())
            .filter_map(|v| v.subject.as_deref())
            .collect()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "API error {}: {} (HTTP {})",
            self.code.code(),
            self.msg,
            self.http_status
        )?;
        write_log_id(f, self.log_id.as_deref())?;
        if let Some(advice) = self.code.advice() {
            let first = advice.lines().next().unwrap_or_default();
            write!(f, "; {first}")?;
        }
        Ok(())
    }
}

/// Throttled by the platform.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RateLimited {
    /// How long the server asked to wait (`x-ogw-ratelimit-reset` or `Retry-After`).
    pub retry_after: Option<Duration>,
    /// The window's limit (`x-ogw-ratelimit-limit`).
    pub limit: Option<u32>,
    /// The code in the body, if any (99991400).
    pub code: Option<ErrorCode>,
    /// The HTTP status (429, or 400 on some older APIs).
    pub http_status: u16,
    /// The log id.
    pub log_id: Option<String>,
}

/// An answer that could not be decoded.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeError {
    /// The HTTP status.
    pub http_status: u16,
    /// The start of the body (at most 512 bytes), with secrets masked.
    pub excerpt: String,
    /// The log id, if the headers had one.
    pub log_id: Option<String>,
    pub(crate) source: Option<BoxError>,
}

/// An answer larger than the client reads.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BodyTooLarge {
    /// The limit, in bytes ([`crate::TransportBuilder::max_body_bytes`]).
    pub limit: usize,
    /// The size `Content-Length` announced, when the answer was refused on it.
    pub announced: Option<u64>,
    /// The HTTP status.
    pub http_status: u16,
    /// The log id, if the headers had one.
    pub log_id: Option<String>,
    /// The start of what was read (at most 512 bytes), with secrets masked; empty when the answer
    /// was refused on its `Content-Length`.
    pub excerpt: String,
}

impl DecodeError {
    /// An answer that was read but lacks what the call always returns (such as a booking without
    /// its reservation id); `source` says what is missing. The excerpt is left empty.
    pub fn incomplete(
        http_status: u16,
        log_id: Option<String>,
        source: impl Into<BoxError>,
    ) -> Self {
        Self {
            http_status,
            excerpt: String::new(),
            log_id,
            source: Some(source.into()),
        }
    }
}

/// No access token could be obtained.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenError {
    /// The token endpoint's code, when it answered (10003, 10014, 99991543 …).
    pub code: Option<i64>,
    /// The token endpoint's msg, or what went wrong.
    pub msg: String,
    /// The HTTP status, when the endpoint answered.
    pub http_status: Option<u16>,
    /// The log id, when the endpoint answered.
    pub log_id: Option<String>,
    pub(crate) source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TokenError {
    /// A token error with a message and no answer from an endpoint; for [`crate::TokenProvider`]s.
    pub fn new(msg: impl Into<String>) -> Self {
        Self {
            code: None,
            msg: msg.into(),
            http_status: None,
            log_id: None,
            source: None,
        }
    }

    /// The token endpoint answered without a token or its lifetime.
    pub(crate) fn no_token_in_answer(
        code: i64,
        http_status: Option<u16>,
        log_id: Option<String>,
    ) -> Self {
        Self {
            code: Some(code),
            msg: "the token endpoint answered without a token or its lifetime".to_owned(),
            http_status,
            log_id,
            source: None,
        }
    }

    /// The same error, caused by `source`.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(std::sync::Arc::from(source.into()));
        self
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no access token")?;
        if let Some(code) = self.code {
            write!(f, ": token endpoint answered {code}")?;
        }
        write!(f, ": {}", self.msg)?;
        write_log_id(f, self.log_id.as_deref())
    }
}

/// A call that succeeded while Feishu dropped some assigned hosts (strict mode only).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HostsRejected {
    /// The ids Feishu did not accept as hosts.
    pub invalid_host_ids: Vec<UserId>,
    /// The reservation that was nevertheless created or updated.
    pub reserve_id: Option<ReserveId>,
    /// Its meeting number.
    pub meeting_no: Option<MeetingNo>,
    /// The log id.
    pub log_id: Option<String>,
}

impl HostsRejected {
    /// The rejected ids, and the reservation the call created or changed.
    pub fn new(
        invalid_host_ids: Vec<UserId>,
        reserve_id: Option<ReserveId>,
        meeting_no: Option<MeetingNo>,
        log_id: Option<String>,
    ) -> Self {
        Self {
            invalid_host_ids,
            reserve_id,
            meeting_no,
            log_id,
        }
    }
}
