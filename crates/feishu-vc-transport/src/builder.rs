//! [`TransportBuilder`]: where calls go and how they behave (hosts, timeouts, retries,
//! credentials), checked and wired into a [`Transport`] with no I/O.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use feishu_vc_model::SecretString;

use crate::auth::TokenProvider;
use crate::auth::tenant::{AppCredentials, TenantTokenCache};
use crate::client::{Inner, TokenSource, Transport};
use crate::config::{Brand, RetryPolicy, TenantTokenEndpoint};
use crate::error::{ConfigError, Error};
use crate::fleet::{RateLimiter, TokenCache};

impl Transport {
    /// A builder; see [`TransportBuilder`].
    pub fn builder() -> TransportBuilder {
        TransportBuilder::new()
    }
}

enum Base {
    Brand(Brand),
    Custom(String),
}

/// Builds a [`Transport`]. No I/O happens until the first call.
pub struct TransportBuilder {
    base: Base,
    allow_http: bool,
    http: Option<reqwest::Client>,
    credentials: Option<AppCredentials>,
    provider: Option<Arc<dyn TokenProvider>>,
    token_cache: Option<Arc<dyn TokenCache>>,
    rate_limiter: Option<Arc<dyn RateLimiter>>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    refresh_margin: Duration,
    max_body_bytes: usize,
    token_endpoint: TenantTokenEndpoint,
}

/// The largest answer a call reads unless set: 4 MiB. Reserve answers are a few KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 << 20;

impl std::fmt::Debug for TransportBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportBuilder")
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Default for TransportBuilder {
    fn default() -> Self {
        Self {
            base: Base::Brand(Brand::Feishu),
            allow_http: false,
            http: None,
            credentials: None,
            provider: None,
            token_cache: None,
            rate_limiter: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            refresh_margin: Duration::from_secs(5 * 60),
            token_endpoint: TenantTokenEndpoint::Internal,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl TransportBuilder {
    /// A builder for Feishu with default timeouts and retries, and no credentials yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Talk to `brand`'s Open Platform.
    pub fn brand(mut self, brand: Brand) -> Self {
        self.base = Base::Brand(brand);
        self
    }

    /// Talk to this base URL instead (a gateway, the emulator, a test server), such as
    /// `http://127.0.0.1:8080`. Plain `http` is accepted only for loopback hosts unless
    /// [`TransportBuilder::allow_http`] says otherwise.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base = Base::Custom(url.into());
        self
    }

    /// Accept a plain-http base URL on a host that is not loopback (tokens then cross the
    /// network in clear text).
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Send through this client (proxies, custom TLS, shared pools). Its own timeouts apply in
    /// addition to the per-call timeout set here.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// A self-built app's credentials: tenant tokens are then fetched from
    /// `/open-apis/auth/v3/tenant_access_token/internal`, cached, and refreshed before expiry.
    pub fn app_credentials(
        mut self,
        app_id: impl Into<String>,
        app_secret: impl Into<SecretString>,
    ) -> Self {
        self.credentials = Some(AppCredentials {
            app_id: app_id.into(),
            app_secret: app_secret.into(),
        });
        self
    }

    /// Get tokens from this provider instead of app credentials.
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Share the app's tenant token with other processes through this cache (a Redis backend:
    /// `feishu-vc-redis`), so that a fleet fetches one token instead of one per process. Applies to
    /// app credentials; unset, each client fetches and caches its own. A cache that fails is
    /// logged as a warning and the client fetches its own token.
    pub fn token_cache(mut self, cache: Arc<dyn TokenCache>) -> Self {
        self.token_cache = Some(cache);
        self
    }

    /// Wait for this limiter before sending each call that carries a token (off unless set): a
    /// distributed limiter keeps a fleet within Feishu's per-app limits instead of collecting 429s.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.rate_limiter = Some(limiter);
        self
    }

    /// The default timeout of a whole attempt, from sending to the last byte of the answer
    /// (30 s unless set). A call can override it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long connecting may take (10 s unless set). Applies to the built-in HTTP client only.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The retry policy ([`RetryPolicy::default`] unless set; [`RetryPolicy::none`] turns retries
    /// off).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How long before its expiry a cached tenant token is replaced (5 minutes unless set; Feishu
    /// issues a new token only when less than 30 minutes are left).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The largest answer body a call reads ([`DEFAULT_MAX_BODY_BYTES`], 4 MiB, unless set). A
    /// larger answer, announced by `Content-Length` or found while reading, ends the attempt with
    /// [`Error::BodyTooLarge`] without reading the rest; for a booking it is
    /// [`Error::OutcomeUnknown`]. At least 1 KiB.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit.max(1024);
        self
    }

    /// Where app credentials fetch the tenant token ([`TenantTokenEndpoint::Internal`] unless
    /// set).
    pub fn tenant_token_endpoint(mut self, endpoint: TenantTokenEndpoint) -> Self {
        self.token_endpoint = endpoint;
        self
    }

    /// The transport. Fails only on configuration; no I/O happens here.
    pub fn build(self) -> Result<Transport, Error> {
        let (base, accounts) = match self.base {
            Base::Brand(b) => (b.base_url().to_owned(), b.accounts_url().to_owned()),
            Base::Custom(url) => {
                let url = check_base_url(&url, self.allow_http)?;
                (url.clone(), url)
            }
        };
        let tokens = match (self.credentials, self.provider) {
            (Some(_), Some(_)) => {
                return Err(config(
                    "set either app credentials or a token provider, not both",
                ));
            }
            (Some(c), None) => {
                if c.app_id.is_empty() || c.app_secret.is_empty() {
                    return Err(config("the app id and the app secret must not be empty"));
                }
                TokenSource::App(TenantTokenCache::new(
                    c,
                    self.refresh_margin,
                    self.token_cache,
                ))
            }
            (None, Some(p)) => TokenSource::Provider(p),
            (None, None) => TokenSource::None,
        };
        let http = match self.http {
            Some(client) => client,
            None => {
                install_rustls_provider();
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .user_agent(concat!("feishu-vc/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| config(format!("the HTTP client could not be built: {e}")))?
            }
        };
        let base_url = reqwest::Url::parse(&base)
            .map_err(|e| config(format!("base URL `{base}` is not a URL: {e}")))?;
        Ok(Transport {
            inner: Arc::new(Inner {
                accounts_url: reqwest::Url::parse(&accounts)
                    .map_err(|e| config(format!("accounts URL `{accounts}` is not a URL: {e}")))?,
                token_endpoint: self.token_endpoint,
                base,
                base_url,
                http,
                tokens,
                rate_limiter: self.rate_limiter,
                retry: self.retry,
                timeout: self.timeout,
                max_body_bytes: self.max_body_bytes,
                fixed_urls: std::sync::RwLock::default(),
            }),
        })
    }
}

fn config(message: impl Into<String>) -> Error {
    Error::Config(ConfigError::new(message))
}

/// Checks a custom base URL and returns it without a trailing slash.
fn check_base_url(url: &str, allow_http: bool) -> Result<String, Error> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| config(format!("base URL `{url}` is not a URL: {e}")))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(config(format!(
            "base URL `{url}` must not have a query or fragment"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(config("the base URL must not carry credentials"));
    }
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(&parsed) => {}
        "http" => {
            return Err(config(format!(
                "base URL `{url}` is plain http on a host that is not loopback; tokens would travel in \
                 clear text (use https, or allow_http(true) to accept it)"
            )));
        }
        other => {
            return Err(config(format!(
                "base URL `{url}` has scheme `{other}`; use https"
            )));
        }
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Makes ring rustls's process-wide crypto provider, unless the process has chosen one already;
/// does nothing without the `rustls` feature.
///
/// The `rustls` feature builds reqwest without a crypto provider of its own (its default,
/// aws-lc-rs, compiles AWS-LC from C: a third of a cold build). reqwest then needs a provider
/// installed before it builds a client with rustls, and panics without one.
/// [`TransportBuilder::build`] calls this; call it yourself before building any other
/// `reqwest::Client` in a program that links feishu-vc with `rustls` (one of your own for
/// [`TransportBuilder::http_client`], say). A provider installed earlier (aws-lc-rs, say) is kept.
pub fn install_rustls_provider() {
    #[cfg(feature = "rustls")]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing one is fine: one is installed either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            check_base_url("https://gw.example.com/feishu/", false).unwrap(),
            "https://gw.example.com/feishu"
        );
        assert_eq!(
            check_base_url("http://127.0.0.1:8080", false).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(check_base_url("http://[::1]:1", false).is_ok());
        assert!(check_base_url("http://localhost:1", false).is_ok());
        assert!(check_base_url("http://10.0.0.5", false).is_err());
        assert!(check_base_url("http://10.0.0.5", true).is_ok());
        assert!(check_base_url("ftp://x", true).is_err());
        assert!(check_base_url("not a url", true).is_err());
        assert!(check_base_url("https://u:p@host", false).is_err());
    }
}
