//! `--end-time WHEN`: unix seconds, RFC 3339, or relative to now.

use std::time::SystemTime;

use feishu_vc::model::Timestamp;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Reads WHEN: `1764000000` (unix seconds), `2026-11-24T10:00:00+08:00` (RFC 3339), or `+90m`,
/// `+2h`, `+7d` (from `now`).
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
        if seconds > 100_000_000_000 {
            return Err(format!(
                "`{text}` looks like milliseconds; give unix seconds"
            ));
        }
        return Ok(Timestamp::from_unix_seconds(seconds));
    }
    let parsed = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        format!("`{text}` is not unix seconds, an RFC 3339 time (2026-11-24T10:00:00+08:00) or a relative time (+2h)")
    })?;
    Ok(Timestamp::from_unix_seconds(parsed.unix_timestamp()))
}

/// The forms WHEN takes, for help texts.
pub(crate) const FORMS: &str = "unix seconds (1764000000), RFC 3339 (2026-11-24T10:00:00+08:00) or relative to now (+90m, +2h, +7d)";

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_form_is_read() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            parse_when("1764000000", now).unwrap().unix_seconds(),
            1_764_000_000
        );
        assert_eq!(
            parse_when("+90m", now).unwrap().unix_seconds(),
            1_700_005_400
        );
        assert_eq!(
            parse_when("+2h", now).unwrap().unix_seconds(),
            1_700_007_200
        );
        assert_eq!(
            parse_when("+7d", now).unwrap().unix_seconds(),
            1_700_604_800
        );
        assert_eq!(
            parse_when("2023-11-14T22:13:20Z", now)
                .unwrap()
                .unix_seconds(),
            1_700_000_000
        );
        assert_eq!(
            parse_when("2023-11-15T06:13:20+08:00", now)
                .unwrap()
                .unix_seconds(),
            1_700_000_000
        );
        assert!(
            parse_when("1764000000000", now)
                .unwrap_err()
                .contains("milliseconds")
        );
        assert!(parse_when("tomorrow", now).is_err());
        assert!(parse_when("+2x", now).is_err());
    }
}
