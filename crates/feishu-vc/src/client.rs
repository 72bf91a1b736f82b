//! The client and its builder.

use std::sync::Arc;
use std::time::Duration;

use feishu_vc_model::{SecretString, Timestamp};
use feishu_vc_transport::{
    Brand, CallOptions, RateLimiter, RawRequest, Response, Result, RetryPolicy,
    StoreAppTokenSource, TenantTokenEndpoint, TokenCache, TokenProvider, Transport,
    TransportBuilder,
};

use crate::{BookingObserver, Calendars, Meetings, Recordings, Reserves};

/// The clock local validation checks `end_time` against.
pub(crate) type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// A Feishu / Lark client. Cheap to clone; clones share connections and tokens.
#[derive(Clone)]
pub struct Client {
    pub(crate) transport: Transport,
    pub(crate) validation: bool,
    pub(crate) strict_host_check: bool,
    pub(crate) clock: Option<Clock>,
    pub(crate) observer: Option<Arc<dyn BookingObserver>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.transport)
            .field("validation", &self.validation)
            .field("strict_host_check", &self.strict_host_check)
            .field("clock", &self.clock.as_ref().map_or("system", |_| "custom"))
            .field("observer", &self.observer)
            .finish()
    }
}

impl Client {
    /// A builder: credentials, brand or base URL, timeouts, retries.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Meeting reservations: apply, get, update, delete, get_active_meeting.
    pub fn reserves(&self) -> Reserves<'_> {
        Reserves::new(self)
    }

    /// The meetings held under reservations' numbers: one by id, or a number's list.
    pub fn meetings(&self) -> Meetings<'_> {
        Meetings::new(self)
    }

    /// Calendars: put a reservation on one as an event, move it, delete it.
    pub fn calendars(&self) -> Calendars<'_> {
        Calendars::new(self)
    }

    /// Meetings' recordings: read, share, start, stop.
    pub fn recordings(&self) -> Recordings<'_> {
        Recordings::new(self)
    }

    /// Any Open Platform call feishu-vc does not model yet, through the same hosts, tokens,
    /// retries and errors.
    pub async fn raw(
        &self,
        request: RawRequest,
        options: &CallOptions,
    ) -> Result<Response<serde_json::Value>> {
        self.transport.raw(request, options).await
    }

    /// The transport underneath.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }
}

/// Builds a [`Client`]. No I/O happens until the first call.
pub struct ClientBuilder {
    transport: TransportBuilder,
    validation: bool,
    strict_host_check: bool,
    clock: Option<Clock>,
    observer: Option<Arc<dyn BookingObserver>>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("transport", &self.transport)
            .field("validation", &self.validation)
            .field("strict_host_check", &self.strict_host_check)
            .field("observer", &self.observer)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            transport: TransportBuilder::new(),
            validation: true,
            strict_host_check: false,
            clock: None,
            observer: None,
        }
    }
}

impl ClientBuilder {
    /// A self-built app's credentials; tenant tokens are fetched, cached and refreshed for you.
    pub fn app_credentials(
        mut self,
        app_id: impl Into<String>,
        app_secret: impl Into<SecretString>,
    ) -> Self {
        self.transport = self.transport.app_credentials(app_id, app_secret);
        self
    }

    /// Feishu (default) or Lark.
    pub fn brand(mut self, brand: Brand) -> Self {
        self.transport = self.transport.brand(brand);
        self
    }

    /// A custom base URL: a gateway, the emulator, a test server. Plain http only on loopback
    /// unless [`ClientBuilder::allow_http`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.transport = self.transport.base_url(url);
        self
    }

    /// Accept a plain-http base URL on a host that is not loopback.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.transport = self.transport.allow_http(allow);
        self
    }

    /// Send through your own `reqwest::Client` (proxies, custom TLS).
    pub fn http_client(mut self, client: feishu_vc_transport::reqwest::Client) -> Self {
        self.transport = self.transport.http_client(client);
        self
    }

    /// The default timeout of each attempt (30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.transport.timeout(timeout);
        self
    }

    /// How long connecting may take (10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.transport.connect_timeout(timeout);
        self
    }

    /// The retry policy ([`RetryPolicy::none`] turns retries off).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.transport = self.transport.retry(retry);
        self
    }

    /// How long before expiry a cached tenant token is replaced (5 minutes).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.transport = self.transport.refresh_margin(margin);
        self
    }

    /// The largest answer body a call reads (4 MiB unless set); a larger one fails the call with
    /// [`feishu_vc_transport::Error::BodyTooLarge`] (for a booking, inside
    /// [`feishu_vc_transport::Error::OutcomeUnknown`]) without being read to the end.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.transport = self.transport.max_body_bytes(limit);
        self
    }

    /// Where app credentials fetch the tenant token: the default `/auth/v3/tenant_access_token/internal`
    /// or `/oauth/v3/token` (see [`TenantTokenEndpoint`]).
    pub fn tenant_token_endpoint(mut self, endpoint: TenantTokenEndpoint) -> Self {
        self.transport = self.transport.tenant_token_endpoint(endpoint);
        self
    }

    /// Tokens from your own source instead of app credentials.
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.transport = self.transport.token_provider(provider);
        self
    }

    /// A store (marketplace) app: tokens come from `source`, one tenant token per `tenant_key`,
    /// and each call names its tenant with [`crate::Call::with_tenant_key`].
    pub fn store_app(self, source: StoreAppTokenSource) -> Self {
        self.token_provider(Arc::new(source))
    }

    /// Share the app's tenant token with the other processes of a fleet through this cache (see
    /// [`TransportBuilder::token_cache`]; `feishu-vc-redis` provides one).
    pub fn token_cache(mut self, cache: Arc<dyn TokenCache>) -> Self {
        self.transport = self.transport.token_cache(cache);
        self
    }

    /// Pace calls through this limiter, shared by a fleet (see
    /// [`TransportBuilder::rate_limiter`]; `feishu-vc-redis` provides one). Off unless set.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.transport = self.transport.rate_limiter(limiter);
        self
    }

    /// Check every request against the documented rules before sending (on by default).
    pub fn validation(mut self, on: bool) -> Self {
        self.validation = on;
        self
    }

    /// Turn assigned hosts that Feishu rejected into [`crate::Error::HostsRejected`] instead of a
    /// [`crate::Warning`] (off by default). The reservation exists either way.
    pub fn strict_host_check(mut self, on: bool) -> Self {
        self.strict_host_check = on;
        self
    }

    /// The clock local validation checks `end_time` against (the system's unless set): for tests
    /// against an emulator whose clock was moved.
    pub fn validation_clock(mut self, now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(now));
        self
    }

    /// Tells `observer` what each successful apply, update and delete booked (e.g. a ledger that
    /// ties meeting events back to their reservation).
    pub fn booking_observer(mut self, observer: Arc<dyn BookingObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The client. Fails only on configuration; no I/O happens here.
    pub fn build(self) -> Result<Client> {
        Ok(Client {
            transport: self.transport.build()?,
            validation: self.validation,
            strict_host_check: self.strict_host_check,
            clock: self.clock,
            observer: self.observer,
        })
    }
}
