//! Scrubbing text from the server (or built from it) of the secrets the client knows, before it is
//! shown, logged or put in an error: a hostile or broken server may echo the app secret or the
//! connection URL's ticket in a `msg`, a header, a frame header or an event id.

/// What replaces a secret.
const REDACTED: &str = "[redacted]";
/// Longest message kept, in characters: a server's `msg` can be as long as its answer.
const MAX_CHARS: usize = 300;
/// Query parameters of the connection URL that are ids, not credentials: everything else in the
/// query (`ticket`, `access_key`, and any other) counts as a secret.
const PUBLIC_PARAMS: [&str; 4] = ["device_id", "service_id", "fpid", "aid"];

/// The secrets one client knows: the app secret and, once it has one, the latest connection
/// URL's credentials. Its `Debug` shows none of them.
#[derive(Clone)]
pub(crate) struct Scrubber {
    /// The app secret's forms.
    app: Vec<String>,
    /// Those and the latest URL's, longest first, so that a secret containing another is
    /// replaced whole.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secrets)", self.secrets.len())
    }
}

impl Scrubber {
    /// A scrubber of the app secret.
    pub(crate) fn new(app_secret: &str) -> Self {
        let mut scrubber = Self {
            app: Vec::new(),
            secrets: Vec::new(),
        };
        scrubber.add(app_secret);
        scrubber.app = scrubber.secrets.clone();
        scrubber
    }

    /// The app secret plus the credentials in `url`'s query and the URL itself (instead of an
    /// earlier URL's).
    pub(crate) fn with_url(&self, url: &str) -> Self {
        let mut scrubber = Self {
            app: self.app.clone(),
            secrets: self.app.clone(),
        };
        scrubber.add(url);
        if let Some((_, query)) = url.split_once('?') {
            for (name, value) in query.split('&').filter_map(|pair| pair.split_once('=')) {
                if !PUBLIC_PARAMS.contains(&name) {
                    scrubber.add(value);
                }
            }
        }
        scrubber
    }

    fn add(&mut self, secret: &str) {
        for form in [secret.to_owned(), percent_encoded(secret)] {
            if !form.is_empty() && !self.secrets.contains(&form) {
                self.secrets.push(form);
            }
        }
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `text` without any known secret (each replaced by `[redacted]`), control characters as
    /// spaces, cut to a few hundred characters.
    pub(crate) fn clean(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), REDACTED);
            }
        }
        let mut out: String = text
            .chars()
            .take(MAX_CHARS)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if text.chars().nth(MAX_CHARS).is_some() {
            out.push('…');
        }
        out
    }
}

/// `text` with every byte outside the URL-safe set as `%XX`, as a server might quote it.
fn percent_encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_secret_and_the_urls_credentials_are_replaced() {
        let scrubber = Scrubber::new("s3cr3t+/=")
            .with_url("wss://h/ws?device_id=d1&service_id=7&access_key=AK-1&ticket=TK-2");
        let text = scrubber.clean(
            "app secret s3cr3t+/= (s3cr3t%2B%2F%3D) is invalid; ticket TK-2, key AK-1, device d1",
        );
        assert_eq!(
            text,
            "app secret [redacted] ([redacted]) is invalid; ticket [redacted], key [redacted], device d1"
        );
        assert!(!format!("{scrubber:?}").contains("s3cr3t"));
        // A later URL replaces the earlier one's credentials; the app secret stays.
        let later = scrubber.with_url("wss://h/ws?ticket=TK-3");
        assert_eq!(
            later.clean("s3cr3t+/= TK-2 TK-3"),
            "[redacted] TK-2 [redacted]"
        );
    }

    #[test]
    fn the_whole_url_is_replaced_and_control_characters_and_length_are_tamed() {
        let url = "ws://127.0.0.1:1/ws?ticket=T";
        let scrubber = Scrubber::new("x-secret").with_url(url);
        assert_eq!(scrubber.clean(&format!("dial {url}")), "dial [redacted]");
        assert_eq!(scrubber.clean("a\nb\u{1b}[31mc"), "a b [31mc");
        let long = scrubber.clean(&"y".repeat(10_000));
        assert_eq!(long.chars().count(), MAX_CHARS + 1);
        assert!(long.ends_with('…'));
    }
}
