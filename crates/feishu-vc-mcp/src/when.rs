//! Times as tools take them: RFC 3339 (ISO 8601 with an offset), unix seconds, or `+2h` from now.

use std::time::SystemTime;

use feishu_vc::model::Timestamp;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Reads `text` as `2026-11-24T10:00:00+08:00`, `1764000000` or `+90m` / `+2h` / `+7d`.
pub(crate) fn parse_when(text: &str, now: SystemTime) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Some(relative) = text.strip_prefix('+') {
        let offset = humantime::parse_duration(relative)
            .map_err(|e| format!("`{text}` is not a relative time like +90m, +2h or +7d: {e}"))?;
        return Ok(Timestamp::from(now + offset));
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = text
            .parse()
            .map_err(|_| format!("`{text}` is too large for unix seconds"))?;
        return Ok(Timestamp::from_unix_seconds(seconds));
    }
    let parsed = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        format!("`{text}` is not an ISO 8601 time (2026-11-24T10:00:00+08:00), unix seconds or a relative time (+2h)")
    })?;
    Ok(Timestamp::from_unix_seconds(parsed.unix_timestamp()))
}
