//! What the transport may show of an answer: bounded excerpts with secret keys masked, and text
//! scrubbed of the secrets a call knows.
//!
//! Self-contained (it depends on `feishu-vc-model` only), so that the `excerpt` bench can include it.

use std::borrow::Cow;

use feishu_vc_model::{REDACTED, SecretString};

/// How much of a body an error keeps.
pub(crate) const EXCERPT_BYTES: usize = 512;

/// Secrets shorter than this are not scrubbed from text: replacing every `7` of a message would
/// hide more than it protects. Meeting passwords have 4 to 9 digits; tokens and app secrets are
/// longer.
pub(crate) const MIN_SCRUBBED_LEN: usize = 4;

/// JSON keys whose string values are never shown, quoted as they appear in a body.
const SECRET_KEYS: [&str; 6] = [
    "\"password\"",
    "\"app_secret\"",
    "\"tenant_access_token\"",
    "\"app_access_token\"",
    "\"access_token\"",
    "\"refresh_token\"",
];

/// The secrets one call knows: the app secret, the token it sends, and any the caller added (a
/// meeting password). Borrowed; building one allocates nothing.
#[derive(Clone, Copy, Default)]
pub(crate) struct Known<'a> {
    /// The app secret, when the client has app credentials.
    pub(crate) app_secret: Option<&'a SecretString>,
    /// The access token the attempt sent.
    pub(crate) token: Option<&'a SecretString>,
    /// Secrets the caller gave for this call.
    pub(crate) extra: &'a [SecretString],
    /// A secret the request carries (the meeting password).
    pub(crate) carried: Option<&'a SecretString>,
}

impl<'a> Known<'a> {
    fn values(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.app_secret
            .into_iter()
            .chain(self.token)
            .chain(self.extra.iter())
            .chain(self.carried)
            .map(SecretString::expose_secret)
            .filter(|s| s.len() >= MIN_SCRUBBED_LEN)
    }

    /// `text` with every known secret replaced by the redaction marker.
    pub(crate) fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for secret in self.values() {
            if out.contains(secret) {
                out = Cow::Owned(out.replace(secret, REDACTED));
            }
        }
        out
    }

    /// Scrubs `text` in place.
    pub(crate) fn scrub_in_place(&self, text: &mut String) {
        if let Cow::Owned(clean) = self.scrub(text) {
            *text = clean;
        }
    }

    /// Scrubs a text that was cut after its last character: a secret cut short at the end is
    /// redacted too (its first [`MIN_SCRUBBED_LEN`] characters or more).
    fn scrub_cut(&self, text: &str) -> String {
        let mut out = self.scrub(text).into_owned();
        for secret in self.values() {
            let partial = (MIN_SCRUBBED_LEN..secret.len())
                .rev()
                .filter(|&n| secret.is_char_boundary(n))
                .find(|&n| out.ends_with(&secret[..n]));
            if let Some(n) = partial {
                out.truncate(out.len() - n);
                out.push_str(REDACTED);
            }
        }
        out
    }
}

/// The start of `body` as text, at most [`EXCERPT_BYTES`] bytes of it, with the values of secret
/// keys masked (even when the body is cut inside one) and the call's known secrets scrubbed.
///
/// Only the first [`EXCERPT_BYTES`] bytes are looked at, so the cost does not grow with the body.
pub(crate) fn excerpt(body: &[u8], known: &Known<'_>) -> String {
    let cut = body.len() > EXCERPT_BYTES;
    let head = &body[..body.len().min(EXCERPT_BYTES)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => Cow::Borrowed(text),
        // A character split by the cut is dropped rather than shown as a replacement character.
        Err(e) if cut && e.error_len().is_none() => {
            String::from_utf8_lossy(&head[..e.valid_up_to()])
        }
        Err(_) => String::from_utf8_lossy(head),
    };
    let masked = mask(&text);
    let mut out = if cut {
        known.scrub_cut(&masked)
    } else {
        known.scrub(&masked).into_owned()
    };
    if cut {
        out.push('…');
    }
    out
}

/// `text` with the string values of [`SECRET_KEYS`] replaced by the redaction marker; a value
/// that runs to the end of the text is masked to the end.
fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + REDACTED.len());
    let mut rest = text;
    while let Some(quote) = rest.find('"') {
        scanned(quote + 1);
        out.push_str(&rest[..quote]);
        rest = &rest[quote..];
        let masked = SECRET_KEYS.iter().find_map(|key| {
            let value = rest.strip_prefix(key)?.trim_start().strip_prefix(':')?;
            let string = value.trim_start().strip_prefix('"')?;
            Some((key, string))
        });
        match masked {
            Some((key, string)) => {
                out.push_str(key);
                out.push_str(":\"");
                out.push_str(REDACTED);
                out.push('"');
                rest = skip_string(string);
            }
            None => {
                out.push('"');
                rest = &rest[1..];
            }
        }
    }
    scanned(rest.len());
    out.push_str(rest);
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
thread_local! {
    /// Bytes [`mask`] has looked at on this thread, for the test that the cost is bounded.
    static SCANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts bytes looked at by [`mask`] (tests only; nothing in other builds).
#[inline]
fn scanned(_bytes: usize) {
    #[cfg(test)]
    SCANNED.with(|c| c.set(c.get() + _bytes));
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: Known<'static> = Known {
        app_secret: None,
        token: None,
        extra: &[],
        carried: None,
    };

    #[test]
    fn secrets_are_masked_even_when_cut() {
        let body = br#"{"code":0,"tenant_access_token" : "t-abc\"def","expire":7200}"#;
        let e = excerpt(body, &NONE);
        assert!(!e.contains("t-abc") && !e.contains("def"), "{e}");
        assert!(e.contains("\"expire\":7200"), "{e}");
        let cut = br#"{"data":{"reserve":{"password":"9710"#;
        assert!(!excerpt(cut, &NONE).contains("9710"));
        let html = "<html>".repeat(200);
        let e = excerpt(html.as_bytes(), &NONE);
        assert!(e.len() <= EXCERPT_BYTES + '…'.len_utf8(), "{}", e.len());
    }

    #[test]
    fn the_excerpt_looks_at_the_same_bytes_whatever_the_body_size() {
        let page = |size: usize| {
            let mut body = b"<html><body>502 Bad Gateway".to_vec();
            body.resize(size, b'x');
            body
        };
        let scanned_for = |body: &[u8]| {
            SCANNED.with(|c| c.set(0));
            let e = excerpt(body, &NONE);
            (e, SCANNED.with(|c| c.get()))
        };
        let (small, small_scanned) = scanned_for(&page(1024));
        let (large, large_scanned) = scanned_for(&page(64 << 20));
        assert_eq!(small, large);
        assert!(small_scanned <= EXCERPT_BYTES, "{small_scanned}");
        assert_eq!(small_scanned, large_scanned);
    }

    #[test]
    fn known_secrets_are_scrubbed_even_when_cut() {
        let token = SecretString::new("t-g1044abcdefghijk");
        let password = [SecretString::new("97102455")];
        let known = Known {
            app_secret: None,
            token: Some(&token),
            extra: &password,
            carried: None,
        };
        let page = "<p>bad token t-g1044abcdefghijk, password 97102455</p>";
        let e = excerpt(page.as_bytes(), &known);
        assert!(!e.contains("t-g1044") && !e.contains("97102455"), "{e}");
        assert!(e.contains(REDACTED), "{e}");

        // The token straddles the cut: its start must not show either.
        let mut body = "x".repeat(EXCERPT_BYTES - 9).into_bytes();
        body.extend_from_slice(b" t-g1044abcdefghijk and more");
        let e = excerpt(&body, &known);
        assert!(!e.contains("t-g1044a"), "{e}");
        assert!(e.ends_with(&format!("{REDACTED}…")), "{e}");

        // A secret the request carries is scrubbed like the call's own.
        let carried = SecretString::new("97102455");
        let known = Known {
            carried: Some(&carried),
            ..NONE
        };
        assert_eq!(
            known.scrub("password 97102455"),
            format!("password {REDACTED}")
        );

        // Too short to scrub without mangling the text.
        let short = [SecretString::new("7")];
        let known = Known {
            extra: &short,
            ..NONE
        };
        assert_eq!(known.scrub("code 1700"), "code 1700");
    }
}
