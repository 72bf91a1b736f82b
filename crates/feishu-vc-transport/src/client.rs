//! [`Transport`]: the handle every call goes through, what its clones share ([`Inner`], the
//! [`TokenSource`]), and where a call's URL points. The calls themselves are `impl Transport`
//! blocks above this file: `call/send.rs` (the public calls), `call/execute.rs` (the loop),
//! `call/answer.rs` (decoding), `auth/source.rs` (tokens), `builder.rs` (building one).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use feishu_vc_model::{HttpRequest, SecretString, TokenKind};

use crate::auth::TokenProvider;
use crate::auth::tenant::TenantTokenCache;
use crate::call::CallOptions;
use crate::config::{RetryPolicy, TenantTokenEndpoint};
use crate::error::{Error, InvalidRequest, Result};
use crate::fleet::RateLimiter;

/// Sends requests to the Open Platform. Cheap to clone; clones share connections and tokens.
#[derive(Clone)]
pub struct Transport {
    pub(crate) inner: Arc<Inner>,
}

/// What the clones of one [`Transport`] share: settings, the HTTP client, the token source.
pub(crate) struct Inner {
    pub(crate) base: String,
    pub(crate) base_url: reqwest::Url,
    /// The accounts host, for `/oauth/v3/token`.
    pub(crate) accounts_url: reqwest::Url,
    pub(crate) token_endpoint: TenantTokenEndpoint,
    pub(crate) http: reqwest::Client,
    pub(crate) tokens: TokenSource,
    pub(crate) rate_limiter: Option<Arc<dyn RateLimiter>>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) max_body_bytes: usize,
    /// The URLs of the operations whose path has no parameters (apply, the token endpoint), built
    /// once each: most calls then clone a finished URL instead of parsing their path again.
    pub(crate) fixed_urls: std::sync::RwLock<Vec<(String, reqwest::Url)>>,
}

/// Where the tokens of calls that bring none come from.
pub(crate) enum TokenSource {
    None,
    App(TenantTokenCache),
    Provider(Arc<dyn TokenProvider>),
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens: &dyn fmt::Debug = match &self.inner.tokens {
            TokenSource::None => &"none",
            TokenSource::App(cache) => cache,
            TokenSource::Provider(p) => p,
        };
        f.debug_struct("Transport")
            .field("base_url", &self.inner.base)
            .field("tokens", tokens)
            .field("rate_limiter", &self.inner.rate_limiter)
            .field("retry", &self.inner.retry)
            .field("timeout", &self.inner.timeout)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// The base URL every call goes to, such as `https://open.feishu.cn`.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The full URL a request goes to: the base URL, the path, and the encoded query.
    pub fn url_of(&self, request: &HttpRequest) -> Result<String> {
        let query: Vec<(&str, &str)> = request
            .query
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        self.url(None, &request.path, &query).map(String::from)
    }

    /// Where a call goes (on `base`, the Open Platform's unless given); the one place URLs are
    /// made.
    pub(crate) fn url(
        &self,
        base: Option<&reqwest::Url>,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<reqwest::Url> {
        if has_dot_segment(path) {
            return Err(Error::InvalidRequest(InvalidRequest::Path {
                reason: "the path has a `.` or `..` segment, which would send the request elsewhere",
            }));
        }
        // The base was parsed once, at build time; only the path is set per call.
        let mut url = base.unwrap_or(&self.inner.base_url).clone();
        let base_path = url.path().trim_end_matches('/');
        if base_path.is_empty() {
            url.set_path(path);
        } else {
            let joined = format!("{base_path}{path}");
            url.set_path(&joined);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter());
        }
        Ok(url)
    }

    /// The URL of a path without parameters on the Open Platform's host, built on first use.
    pub(crate) fn fixed_url(&self, path: &str) -> Result<reqwest::Url> {
        let cache = &self.inner.fixed_urls;
        {
            let urls = cache
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((_, url)) = urls.iter().find(|(p, _)| p == path) {
                return Ok(url.clone());
            }
        }
        let url = self.url(None, path, &[])?;
        let mut urls = cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !urls.iter().any(|(p, _)| p == path) {
            urls.push((path.to_owned(), url.clone()));
        }
        Ok(url)
    }

    /// The kind of token a call with `opts` will carry: the call's own token, or the client's
    /// source (tenant tokens for app credentials). `None` when there is no token at all.
    pub fn token_kind(&self, opts: &CallOptions) -> Option<TokenKind> {
        if let Some(t) = &opts.token {
            return Some(t.kind());
        }
        match &self.inner.tokens {
            TokenSource::None => None,
            TokenSource::App(_) => Some(TokenKind::Tenant),
            TokenSource::Provider(p) => Some(p.kind()),
        }
    }

    /// The app id, when the client has app credentials; empty otherwise.
    pub(crate) fn app_id(&self) -> &str {
        match &self.inner.tokens {
            TokenSource::App(cache) => &cache.credentials.app_id,
            _ => "",
        }
    }

    /// The app secret, when the client has app credentials.
    pub(crate) fn app_secret(&self) -> Option<&SecretString> {
        match &self.inner.tokens {
            TokenSource::App(cache) => Some(&cache.credentials.app_secret),
            _ => None,
        }
    }
}

/// Whether `path` has a `.` or `..` segment, percent-encoded or not: parsing the URL would resolve
/// it away, so that a reserve id `..` would address `/open-apis/vc/v1/`. URLs also read a backslash
/// as a slash and drop tabs and newlines.
fn has_dot_segment(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split(['/', '\\']).any(is_dot_segment)
}

/// Whether a segment, without tabs and newlines and ignoring case, is `.`, `..` or one of their
/// percent-encoded forms. Looks at the bytes in place: no segment is copied.
fn is_dot_segment(segment: &str) -> bool {
    let mut kept = [0u8; 6];
    let mut len = 0;
    for b in segment
        .bytes()
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\r'))
    {
        if len == kept.len() {
            return false;
        }
        kept[len] = b.to_ascii_lowercase();
        len += 1;
    }
    matches!(
        &kept[..len],
        b"." | b".." | b"%2e" | b".%2e" | b"%2e." | b"%2e%2e"
    )
}
