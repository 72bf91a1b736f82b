//! Bounded, secret-free excerpts of bodies for error reports.

use feishu_vc_model::REDACTED;

/// How much of a body an error keeps.
const EXCERPT_BYTES: usize = 512;

/// JSON keys whose string values are never shown.
const SECRET_KEYS: [&str; 6] = [
    "password",
    "app_secret",
    "tenant_access_token",
    "app_access_token",
    "access_token",
    "refresh_token",
];

/// The start of `body` as text, at most [`EXCERPT_BYTES`] bytes, with the values of secret keys
/// masked (even when the body is cut inside one).
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut masked = mask(&text);
    if masked.len() > EXCERPT_BYTES {
        let mut cut = EXCERPT_BYTES;
        while !masked.is_char_boundary(cut) {
            cut -= 1;
        }
        masked.truncate(cut);
        masked.push('…');
    }
    masked
}

fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(EXCERPT_BYTES * 2));
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for key in SECRET_KEYS {
            let quoted = format!("\"{key}\"");
            if let Some(after_key) = rest.strip_prefix(quoted.as_str()) {
                let trimmed = after_key.trim_start();
                if let Some(after_colon) = trimmed.strip_prefix(':') {
                    let value = after_colon.trim_start();
                    if let Some(string) = value.strip_prefix('"') {
                        out.push_str(&quoted);
                        out.push_str(":\"");
                        out.push_str(REDACTED);
                        out.push('"');
                        rest = skip_string(string);
                        continue 'scan;
                    }
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// The text after the JSON string that starts at `s` (just past its opening quote).
fn skip_string(s: &str) -> &str {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return &s[i + 1..],
            _ => escaped = false,
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_even_when_cut() {
        let body = br#"{"code":0,"tenant_access_token" : "t-abc\"def","expire":7200}"#;
        let e = excerpt(body);
        assert!(!e.contains("t-abc") && !e.contains("def"), "{e}");
        assert!(e.contains("\"expire\":7200"), "{e}");
        let cut = br#"{"data":{"reserve":{"password":"9710"#;
        assert!(!excerpt(cut).contains("9710"));
        let html = "<html>".repeat(200);
        let e = excerpt(html.as_bytes());
        assert!(e.len() <= EXCERPT_BYTES + '…'.len_utf8(), "{}", e.len());
    }
}
