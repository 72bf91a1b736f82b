//! What an emulator knows before it starts: apps, the user directory, the clock, limits, and the
//! settings of each domain (events, long connection, store apps). It names no other module but
//! the clock and the apps.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use feishu_vc_events::longconn::frame::ClientConfig;
use feishu_vc_model::{RateLimit, SecretString, UserIdType};
use feishu_vc_transport::Brand;

use crate::apps::{App, StoreApp, SubscriptionMode, is_app_id};
use crate::clock::{Clock, SystemClock};

/// The demo app's id, accepted by a default emulator. It has the shape of a real one (`cli_` and
/// 16 hex digits), which the official SDKs check before they connect.
pub const DEMO_APP_ID: &str = "cli_de3a0c5b7f291e64";
/// The demo app's secret, accepted by a default emulator.
pub const DEMO_APP_SECRET: &str = "demo-secret";
/// The tenant of the demo app and of the demo users Alice, Bob and Carol.
pub const DEMO_TENANT_KEY: &str = "tenant_demo";
/// A second tenant, with one user ([`OTHER_TENANT_USER`]) and no app.
pub const OTHER_TENANT_KEY: &str = "tenant_other";
/// Alice (demo tenant): the `owner_id` of Lark's own examples, so they work as written.
pub const DEMO_USER_ALICE: &str = "ou_3ec3f6a28a0d08c45d895276e8e5e19b";
/// Bob (demo tenant).
pub const DEMO_USER_BOB: &str = "ou_demo_bob";
/// Carol (demo tenant); her personal setting gives her meetings no password by default.
pub const DEMO_USER_CAROL: &str = "ou_demo_carol";
/// Dave, a user of [`OTHER_TENANT_KEY`]: not a valid owner or host for the demo app.
pub const OTHER_TENANT_USER: &str = "ou_other_dave";

/// How long a tenant or user access token lives: 7200 seconds (2 hours), by the emulator's clock.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(7200);
/// How long a connection may take to send a request's headers, idle time between requests
/// included, unless [`EmulatorBuilder::header_read_timeout`] says otherwise: 30 seconds.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The 9-digit meeting numbers the emulator hands out unless
/// [`EmulatorBuilder::meeting_no_pool`] restricts them.
pub const MEETING_NO_RANGE: RangeInclusive<u32> = 100_000_000..=999_999_999;
/// The documented limit of every reserve operation: 50 calls a second and 1000 a minute.
pub const DOCUMENTED_RATE_LIMIT: RateLimit = RateLimit {
    per_second: 50,
    per_minute: 1000,
};

/// A user the emulator knows: their three ids, their tenant, and their personal meeting setting.
///
/// Owners (`owner_id` with a tenant token), assigned hosts and user tokens must name users of the
/// directory. Ids are matched in the form the call's `user_id_type` says (`open_id` by default) and
/// answered in that form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryUser {
    open_id: String,
    union_id: String,
    user_id: String,
    tenant_key: String,
    random_password: bool,
}

impl DirectoryUser {
    /// A user of `tenant_key`. Unless set, the union id is `on_` and the user id is nothing, each
    /// followed by the open id without its `ou_` prefix; meetings get a random password by default.
    pub fn new(open_id: impl Into<String>, tenant_key: impl Into<String>) -> Self {
        let open_id = open_id.into();
        let bare = open_id.strip_prefix("ou_").unwrap_or(&open_id).to_owned();
        Self {
            union_id: format!("on_{bare}"),
            user_id: bare,
            open_id,
            tenant_key: tenant_key.into(),
            random_password: true,
        }
    }

    /// The same user with this `union_id`.
    pub fn with_union_id(mut self, union_id: impl Into<String>) -> Self {
        self.union_id = union_id.into();
        self
    }

    /// The same user with this `user_id` (employee id).
    pub fn with_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = user_id.into();
        self
    }

    /// The user's personal setting for meetings booked without a `password`: a random 6-digit
    /// password (`true`, the default) or none (`false`).
    pub fn with_random_password(mut self, on: bool) -> Self {
        self.random_password = on;
        self
    }

    /// The `open_id`.
    pub fn open_id(&self) -> &str {
        &self.open_id
    }

    /// The `union_id`.
    pub fn union_id(&self) -> &str {
        &self.union_id
    }

    /// The `user_id`.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The tenant the user belongs to.
    pub fn tenant_key(&self) -> &str {
        &self.tenant_key
    }

    /// Whether meetings booked without a password get a random one.
    pub fn random_password(&self) -> bool {
        self.random_password
    }

    /// The id of the given kind.
    pub fn id(&self, kind: UserIdType) -> &str {
        match kind {
            UserIdType::UnionId => &self.union_id,
            UserIdType::UserId => &self.user_id,
            _ => &self.open_id,
        }
    }
}

/// The users of a default emulator:
///
/// | user | open_id | union_id | user_id | tenant | no password given |
/// | --- | --- | --- | --- | --- | --- |
/// | Alice | [`DEMO_USER_ALICE`] | `on_alice` | `alice` | [`DEMO_TENANT_KEY`] | random 6 digits |
/// | Bob | [`DEMO_USER_BOB`] | `on_bob` | `bob` | [`DEMO_TENANT_KEY`] | random 6 digits |
/// | Carol | [`DEMO_USER_CAROL`] | `on_carol` | `carol` | [`DEMO_TENANT_KEY`] | none |
/// | Dave | [`OTHER_TENANT_USER`] | `on_dave` | `dave` | [`OTHER_TENANT_KEY`] | random 6 digits |
pub fn demo_directory() -> Vec<DirectoryUser> {
    vec![
        DirectoryUser::new(DEMO_USER_ALICE, DEMO_TENANT_KEY)
            .with_union_id("on_alice")
            .with_user_id("alice"),
        DirectoryUser::new(DEMO_USER_BOB, DEMO_TENANT_KEY)
            .with_union_id("on_bob")
            .with_user_id("bob"),
        DirectoryUser::new(DEMO_USER_CAROL, DEMO_TENANT_KEY)
            .with_union_id("on_carol")
            .with_user_id("carol")
            .with_random_password(false),
        DirectoryUser::new(OTHER_TENANT_USER, OTHER_TENANT_KEY)
            .with_union_id("on_dave")
            .with_user_id("dave"),
    ]
}

/// What the app's event subscription is configured with.
#[derive(Clone, Debug, Default)]
pub(crate) struct EventSettings {
    /// The callback URLs given at start; each gets the challenge before the emulator serves.
    pub(crate) callbacks: Vec<String>,
    /// With a key, every body is `{"encrypt": …}` and signed.
    pub(crate) encrypt_key: Option<SecretString>,
    /// Sent as `header.token` (and `token` in the challenge).
    pub(crate) verification_token: Option<SecretString>,
    /// The retry schedule is multiplied by this (1.0: Feishu's own).
    pub(crate) retry_scale: f64,
    /// The long-connection server's settings.
    pub(crate) long_connection: LongConnSettings,
    /// Apps whose subscription mode is set; the others follow [`SubscriptionMode`]'s default.
    pub(crate) subscriptions: HashMap<String, SubscriptionMode>,
}

impl EventSettings {
    /// The mode of `app_id`: the one set with [`EmulatorBuilder::event_subscription`], else
    /// webhooks while any event callback is registered and the long connection otherwise.
    pub(crate) fn subscription(
        &self,
        app_id: &str,
        callbacks_registered: bool,
    ) -> SubscriptionMode {
        match self.subscriptions.get(app_id) {
            Some(mode) => *mode,
            None if callbacks_registered => SubscriptionMode::Webhook,
            None => SubscriptionMode::LongConnection,
        }
    }
}

/// How the long-connection server behaves.
#[derive(Clone, Debug)]
pub(crate) struct LongConnSettings {
    /// Connections an app may hold at once (Feishu: 50).
    pub(crate) connection_limit: usize,
    /// What the endpoint answer and every pong tell clients.
    pub(crate) client_config: ClientConfig,
    /// Largest fragment payload, in bytes.
    pub(crate) max_fragment: usize,
    /// How long an event waits for its acknowledgement before it is sent again (Feishu: 3 s).
    pub(crate) ack_timeout: Duration,
}

impl Default for LongConnSettings {
    fn default() -> Self {
        Self {
            connection_limit: 50,
            client_config: ClientConfig {
                reconnect_count: -1,
                reconnect_interval: 1,
                reconnect_nonce: 1,
                ping_interval: 30,
            },
            max_fragment: 16 * 1024,
            ack_timeout: Duration::from_secs(3),
        }
    }
}

/// Feishu pushes each store app's ticket every hour.
pub const APP_TICKET_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Configures and starts an [`crate::Emulator`]; from [`crate::Emulator::builder`].
///
/// Defaults: the demo app ([`DEMO_APP_ID`] / [`DEMO_APP_SECRET`], tenant [`DEMO_TENANT_KEY`]), the
/// [`demo_directory`], the system clock, no rate limit, state in memory only, bound to
/// `127.0.0.1` on a free port.
#[derive(Debug)]
pub struct EmulatorBuilder {
    pub(crate) apps: Vec<App>,
    pub(crate) directory: Vec<DirectoryUser>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) state_file: Option<PathBuf>,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) meeting_no_pool: RangeInclusive<u32>,
    pub(crate) tokens_on_wall_time: bool,
    pub(crate) header_read_timeout: Duration,
    pub(crate) brand: Brand,
    pub(crate) events: EventSettings,
    pub(crate) store_apps: Vec<StoreApp>,
    pub(crate) app_ticket_interval: Duration,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            apps: vec![App {
                app_id: DEMO_APP_ID.to_owned(),
                app_secret: DEMO_APP_SECRET.to_owned(),
                tenant_key: DEMO_TENANT_KEY.to_owned(),
            }],
            directory: demo_directory(),
            clock: Arc::new(SystemClock),
            rate_limit: None,
            state_file: None,
            host: "127.0.0.1".to_owned(),
            port: 0,
            meeting_no_pool: MEETING_NO_RANGE,
            tokens_on_wall_time: false,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            brand: Brand::Feishu,
            events: EventSettings {
                retry_scale: 1.0,
                ..Default::default()
            },
            store_apps: Vec::new(),
            app_ticket_interval: APP_TICKET_INTERVAL,
        }
    }
}

impl EmulatorBuilder {
    /// The credentials of the main app (tenant [`DEMO_TENANT_KEY`]), in place of the demo ones.
    pub fn app_credentials(
        mut self,
        app_id: impl Into<String>,
        app_secret: impl Into<String>,
    ) -> Self {
        self.apps[0].app_id = app_id.into();
        self.apps[0].app_secret = app_secret.into();
        self
    }

    /// One more app, installed in `tenant_key` (say [`OTHER_TENANT_KEY`]). Its tenant tokens act
    /// for that tenant.
    pub fn add_app(
        mut self,
        app_id: impl Into<String>,
        app_secret: impl Into<String>,
        tenant_key: impl Into<String>,
    ) -> Self {
        self.apps.push(App {
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            tenant_key: tenant_key.into(),
        });
        self
    }

    /// A store (marketplace) app installed in each of `tenants`: its `app_ticket` is pushed as a
    /// schema 1.0 event to the webhook callbacks every [`EmulatorBuilder::app_ticket_interval`]
    /// and on `app_ticket/resend`; its tenant tokens act for one tenant each.
    pub fn add_store_app(
        mut self,
        app_id: impl Into<String>,
        app_secret: impl Into<String>,
        tenants: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.store_apps.push(StoreApp {
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            tenants: tenants.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// How often store apps' tickets are pushed (real time; Feishu: every hour).
    pub fn app_ticket_interval(mut self, interval: Duration) -> Self {
        self.app_ticket_interval = interval;
        self
    }

    /// Replaces the user directory (the [`demo_directory`] unless set).
    pub fn directory(mut self, users: impl IntoIterator<Item = DirectoryUser>) -> Self {
        self.directory = users.into_iter().collect();
        self
    }

    /// Adds a user to the directory (replacing one with the same open id).
    pub fn user(mut self, user: DirectoryUser) -> Self {
        self.directory.retain(|u| u.open_id != user.open_id);
        self.directory.push(user);
        self
    }

    /// The clock (the system's unless set); see [`crate::ManualClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Turns the documented rate limit ([`DOCUMENTED_RATE_LIMIT`]) on or off (off by default).
    pub fn rate_limit(mut self, on: bool) -> Self {
        self.rate_limit = on.then_some(DOCUMENTED_RATE_LIMIT);
        self
    }

    /// Turns on a rate limit of your own, such as one call a second to test throttling.
    pub fn rate_limit_with(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Keeps the state in this database file (SQLite, WAL mode, owner-only permissions): created
    /// or opened at start, and written with every change before the change is acknowledged.
    /// See the crate's docs, "State".
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Issues and checks access tokens by the system clock (`true`) instead of the emulator's
    /// time (`false`, the default).
    ///
    /// By default tokens expire by the emulator's time, so [`crate::Emulator::advance`] ages them
    /// with everything else: advancing by [`TOKEN_LIFETIME`] expires every token, and a client
    /// that never fetches a new one (an official SDK given a fixed token, say) fails from then
    /// on. With wall time, advancing the clock expires reservations but not tokens. Tokens kept in
    /// a state store are stored with their expiry time by the clock they were issued on: restart
    /// on that store with the same setting.
    pub fn tokens_on_wall_time(mut self, on: bool) -> Self {
        self.tokens_on_wall_time = on;
        self
    }

    /// How long a connection may take to send a request's headers, counted from when the emulator
    /// starts waiting for them ([`DEFAULT_HEADER_READ_TIMEOUT`] unless set). Past that the
    /// connection is closed: a client that sends its headers a byte at a time, or a keep-alive
    /// connection left idle, cannot hold the emulator. Must be more than zero.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Which Open Platform to play: Feishu (the default) or Lark. It decides the hosts of the
    /// links the emulator mints: with [`Brand::Lark`], meeting URLs on `vc.larksuite.com`, app
    /// links on `applink.larksuite.com`, live links on `meetings.larksuite.com` and troubleshooter
    /// links on `open.larksuite.com`.
    pub fn brand(mut self, brand: Brand) -> Self {
        self.brand = brand;
        self
    }

    /// The host or address to listen on (`127.0.0.1` unless set).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// The port to listen on (0, any free port, unless set).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Restricts the meeting numbers handed out to `pool`, a range inside [`MEETING_NO_RANGE`]; a
    /// pool of one number makes its release on expiry easy to observe.
    pub fn meeting_no_pool(mut self, pool: RangeInclusive<u32>) -> Self {
        self.meeting_no_pool = pool;
        self
    }

    /// How many long connections one app may hold (Feishu: 50); one more is refused with
    /// `Handshake-Autherrcode` 1000040350.
    pub fn long_connection_limit(mut self, limit: usize) -> Self {
        self.events.long_connection.connection_limit = limit;
        self
    }

    /// What the long-connection endpoint and every pong tell clients (reconnect count, interval
    /// and jitter, ping interval, in seconds). The emulator's default: reconnect forever after
    /// 1 s with up to 1 s of jitter, ping every 30 s.
    pub fn long_connection_client_config(mut self, config: ClientConfig) -> Self {
        self.events.long_connection.client_config = config;
        self
    }

    /// Events longer than `bytes` go out over the long connection in fragments (default 16 KiB).
    pub fn long_connection_fragment_size(mut self, bytes: usize) -> Self {
        self.events.long_connection.max_fragment = bytes.max(1);
        self
    }

    /// How long a long-connection event waits for its acknowledgement before it is sent again
    /// (Feishu: 3 s, the default).
    pub fn long_connection_ack_timeout(mut self, timeout: Duration) -> Self {
        self.events.long_connection.ack_timeout = timeout;
        self
    }

    /// Adds a URL that meeting events (`vc.meeting.*`) are pushed to, as Feishu pushes them to an
    /// app's request URL; may be given several times. At start each gets the URL-verification
    /// challenge and must echo it (HTTP 200, `{"challenge": "…"}`), else the emulator does not
    /// start ([`crate::Error::CallbackRejected`]).
    pub fn event_callback(mut self, url: impl Into<String>) -> Self {
        self.events.callbacks.push(url.into());
        self
    }

    /// How `app_id` (the main app, one added with [`EmulatorBuilder::add_app`], or a store app)
    /// receives its meeting events: one mode per app, as on the Developer Console. Unless set, an
    /// app's events go to the webhook callbacks while any is registered and to its long
    /// connections otherwise. Store apps' tickets always go to the webhooks (Feishu pushes them
    /// there only).
    pub fn event_subscription(mut self, app_id: impl Into<String>, mode: SubscriptionMode) -> Self {
        self.events.subscriptions.insert(app_id.into(), mode);
        self
    }

    /// The app's Encrypt Key: every event and challenge body is then `{"encrypt": "…"}`
    /// (AES-256-CBC) and signed with `X-Lark-Signature`.
    pub fn encrypt_key(mut self, key: impl Into<String>) -> Self {
        self.events.encrypt_key = Some(SecretString::new(key));
        self
    }

    /// The app's Verification Token, sent as `header.token` of every event and `token` of the
    /// challenge.
    pub fn verification_token(mut self, token: impl Into<String>) -> Self {
        self.events.verification_token = Some(SecretString::new(token));
        self
    }

    /// Multiplies Feishu's retry schedule for failed event deliveries (15 s, 5 min, 1 h, 6 h)
    /// by `scale` (1.0 unless set; 0.001 retries after 15 ms, 300 ms, …): for tests. Must be
    /// finite and not negative.
    pub fn event_retry_scale(mut self, scale: f64) -> Self {
        self.events.retry_scale = scale;
        self
    }

    /// Checks the configuration.
    pub(crate) fn check(&self) -> Result<(), String> {
        if !(MEETING_NO_RANGE.contains(self.meeting_no_pool.start())
            && MEETING_NO_RANGE.contains(self.meeting_no_pool.end())
            && self.meeting_no_pool.start() <= self.meeting_no_pool.end())
        {
            return Err(format!(
                "the meeting number pool {:?} is not a non-empty range of 9-digit numbers",
                self.meeting_no_pool
            ));
        }
        if self.header_read_timeout.is_zero() {
            return Err("the header read timeout must be more than zero".to_owned());
        }
        let mut seen = HashMap::new();
        let apps = self.apps.iter().map(|a| (&a.app_id, &a.app_secret));
        let store_apps = self.store_apps.iter().map(|a| (&a.app_id, &a.app_secret));
        for (app_id, app_secret) in apps.chain(store_apps) {
            if app_id.is_empty() || app_secret.is_empty() {
                return Err("an app id or app secret is empty".to_owned());
            }
            if !is_app_id(app_id) {
                return Err(format!(
                    "app id `{app_id}` does not have the shape of a Feishu app id: `cli_` and 16 \
                     hex digits, such as `{DEMO_APP_ID}` (the official SDKs refuse any other)"
                ));
            }
            if seen.insert(app_id.as_str(), ()).is_some() {
                return Err(format!("app `{app_id}` is configured twice"));
            }
        }
        if let Some(app_id) = self
            .events
            .subscriptions
            .keys()
            .find(|id| !seen.contains_key(id.as_str()))
        {
            return Err(format!(
                "an event subscription is set for app `{app_id}`, which is not configured"
            ));
        }
        if !(self.events.retry_scale.is_finite() && self.events.retry_scale >= 0.0) {
            return Err(format!(
                "the event retry scale must be a finite number of at least 0, not {}",
                self.events.retry_scale
            ));
        }
        if self
            .events
            .encrypt_key
            .as_ref()
            .is_some_and(|k| k.is_empty())
        {
            return Err("the encrypt key is empty".to_owned());
        }
        if let Some(limit) = self.rate_limit
            && (limit.per_second == 0 || limit.per_minute == 0)
        {
            return Err("a rate limit must allow at least one call".to_owned());
        }
        Ok(())
    }
}
