//! Times as people and agents write them: unix seconds, RFC 3339 (ISO 8601 with an offset), or
//! relative to now (`+90m`, `+2h`, `+7d`). The CLI's `--end-time` and the MCP tools read times
//! through [`parse_when`], so both accept exactly the same forms.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let end = feishu_vc::when::parse_when("+2h", now).unwrap();
//! assert_eq!(end.unix_seconds(), 1_700_007_200);
//! let refused = feishu_vc::when::parse_when("1764000000000", now).unwrap_err();
//! assert_eq!(refused.kind(), feishu_vc::when::WhenErrorKind::Milliseconds);
//! ```

use std::time::SystemTime;

use feishu_vc_model::Timestamp;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The forms a time takes, for help texts and error messages.
pub const FORMS: &str = "unix seconds (1764000000), RFC 3339 (2026-11-24T10:00:00+08:00) or relative to now (+90m, +2h, +7d)";

/// Unix seconds past this are taken for milliseconds (year 5138 in seconds).
const MAX_SECONDS: i64 = 100_000_000_000;

/// Why a text is not a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WhenErrorKind {
    /// `+…` whose duration is not one (`+2x`).
    Relative,
    /// Digits that look like unix milliseconds; the API takes seconds.
    Milliseconds,
    /// Digits too large for any time.
    TooLarge,
    /// None of the forms.
    Unrecognised,
}

/// A text that is not a time, with the text and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WhenError {
    kind: WhenErrorKind,
    message: String,
}

impl WhenError {
    fn new(kind: WhenErrorKind, message: String) -> Self {
        Self { kind, message }
    }

    /// What was wrong.
    pub fn kind(&self) -> WhenErrorKind {
        self.kind
    }
}

/// Reads `text` as `1764000000` (unix seconds), `2026-11-24T10:00:00+08:00` (RFC 3339), or
/// `+90m`, `+2h`, `+7d` (from `now`). Surrounding whitespace is ignored.
pub fn parse_when(text: &str, now: SystemTime) -> Result<Timestamp, WhenError> {
    let text = text.trim();
    if let Some(relative) = text.strip_prefix('+') {
        let offset = humantime::parse_duration(relative).map_err(|e| {
            WhenError::new(
                WhenErrorKind::Relative,
                format!("`{text}` is not a relative time like +90m, +2h or +7d: {e}"),
            )
        })?;
        return Ok(Timestamp::from(now + offset));
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = text.parse().map_err(|_| {
            WhenError::new(
                WhenErrorKind::TooLarge,
                format!("`{text}` is too large for unix seconds"),
            )
        })?;
        if seconds > MAX_SECONDS {
            return Err(WhenError::new(
                WhenErrorKind::Milliseconds,
                format!("`{text}` looks like milliseconds; give unix seconds"),
            ));
        }
        return Ok(Timestamp::from_unix_seconds(seconds));
    }
    let parsed = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        WhenError::new(
            WhenErrorKind::Unrecognised,
            format!("`{text}` is not {FORMS}"),
        )
    })?;
    Ok(Timestamp::from_unix_seconds(parsed.unix_timestamp()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn seconds(text: &str) -> i64 {
        parse_when(text, now()).unwrap().unix_seconds()
    }

    #[test]
    fn every_form_is_read() {
        assert_eq!(seconds("1764000000"), 1_764_000_000);
        assert_eq!(seconds(" 1764000000 "), 1_764_000_000);
        assert_eq!(seconds("+90m"), 1_700_005_400);
        assert_eq!(seconds("+2h"), 1_700_007_200);
        assert_eq!(seconds("+7d"), 1_700_604_800);
        assert_eq!(seconds("2023-11-14T22:13:20Z"), 1_700_000_000);
        assert_eq!(seconds("2023-11-15T06:13:20+08:00"), 1_700_000_000);
    }

    #[test]
    fn what_is_not_a_time_says_why() {
        let kind = |text: &str| parse_when(text, now()).unwrap_err().kind();
        assert_eq!(kind("1764000000000"), WhenErrorKind::Milliseconds);
        assert_eq!(kind("99999999999999999999999"), WhenErrorKind::TooLarge);
        assert_eq!(kind("+2x"), WhenErrorKind::Relative);
        assert_eq!(kind("tomorrow"), WhenErrorKind::Unrecognised);
        assert_eq!(kind(""), WhenErrorKind::Unrecognised);
        assert_eq!(kind("2023-11-14T22:13:20"), WhenErrorKind::Unrecognised);
        let message = parse_when("tomorrow", now()).unwrap_err().to_string();
        assert!(
            message.contains("`tomorrow`") && message.contains("+2h"),
            "{message}"
        );
    }
}
