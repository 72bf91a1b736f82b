//! What the server answered when a call failed: an API error, throttling, an answer that could
//! not be read or was too large, and the hosts a successful call lost.

use std::fmt;
use std::time::Duration;

use feishu_vc_model::{ErrorCode, ErrorInfo, MeetingNo, ReserveId, UserId};

use crate::BoxError;

/// Ends a message with ` [log id …]`, when there is one.
pub(super) fn write_log_id(f: &mut fmt::Formatter<'_>, log_id: Option<&str>) -> fmt::Result {
    match log_id {
        Some(id) => write!(f, " [log id {id}]"),
        None => Ok(()),
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
