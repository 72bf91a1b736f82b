//! Shared state on Redis for a fleet of feishu-vc workers using one app.
//!
//! Feishu's limits (50 calls a second and 1000 a minute) are per app, tenant and operation, not per
//! process; a webhook delivery retried to another instance must not be handled twice; and every
//! process fetching its own tenant token wastes calls. This crate implements the SDK's store traits
//! on Redis so that all processes share:
//!
//! - [`RedisTokenCache`]: one tenant token for the fleet ([`feishu_vc_transport::TokenCache`]),
//!   fetched by whichever process takes the key's lease while the others wait for it;
//! - [`RedisRateLimiter`]: one pace for the fleet ([`feishu_vc_transport::RateLimiter`]), a GCRA for the second and a
//!   sliding log for the minute, in one atomic Lua script per call;
//! - [`RedisUserTokenStore`]: users' OAuth tokens ([`feishu_vc_transport::UserTokenStore`]) and
//!   a per-user refresh lock, so that a single-use refresh token is never spent twice;
//! - [`RedisDedup`]: one memory of accepted event ids ([`feishu_vc_events::DedupStore`]), with
//!   `SET NX PX`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use feishu_vc_redis::Redis;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let redis = Redis::builder("redis://127.0.0.1:6379/").prefix("myapp:feishu").build()?;
//! let client = feishu_vc::Client::builder()
//!     .app_credentials("cli_a1b2c3", "app-secret")
//!     .token_cache(Arc::new(redis.token_cache()))
//!     .rate_limiter(Arc::new(redis.rate_limiter()))
//!     .build()?;
//! // Webhook receivers of every instance share one dedup memory.
//! let dedup = Arc::new(redis.dedup());
//! # let _ = (client, dedup);
//! # Ok(()) }
//! ```
//!
//! **Keys** all start with the configured prefix (`feishu-vc` unless set) and never hold a secret:
//! the token's key carries a SHA-256 fingerprint of the app id and secret, not the secret. The
//! **cached token value itself is stored**: Redis then holds a bearer credential of the app, valid
//! for up to two hours, and must be protected like the app secret (network access, `requirepass`
//! or ACLs, TLS when it is not local).
//!
//! **When Redis is unreachable** nothing stops: the token cache's errors make each process fetch its
//! own token, the limiter paces each process on its own, and the dedup store remembers ids in
//! memory. Each says so in a `tracing` warning when it starts degrading, and uses Redis again as
//! soon as it answers (the connection is re-made in the background).
#![deny(missing_docs)]

mod dedup;
mod health;
mod limiter;
mod tickets;
mod tokens;
mod users;

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub use dedup::RedisDedup;
/// The quota type, from the transport, for [`RedisRateLimiter::new`].
pub use feishu_vc_transport::RateQuota;
pub use limiter::RedisRateLimiter;
pub use tickets::{APP_TICKET_TTL, RedisAppTicketStore};
pub use tokens::RedisTokenCache;
pub use users::RedisUserTokenStore;

/// The prefix of every key unless [`RedisBuilder::prefix`] says otherwise.
pub const DEFAULT_PREFIX: &str = "feishu-vc";

/// A configuration error: the Redis URL cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("the Redis URL cannot be used: {0}")]
pub struct ConfigError(#[source] redis::RedisError);

/// A connection to Redis and a key prefix, from which the stores are made. Cheap to clone; clones
/// and the stores made from them share one connection, re-made in the background when it breaks.
#[derive(Clone)]
pub struct Redis {
    connection: ConnectionManager,
    prefix: String,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: it is not kept, and not shown.
        f.debug_struct("Redis")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// A builder for the server at `url` (`redis://host:port/db`, `rediss://` for TLS is not
    /// compiled in).
    pub fn builder(url: impl Into<String>) -> RedisBuilder {
        RedisBuilder {
            url: url.into(),
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: Duration::from_millis(500),
        }
    }

    /// The shared tenant-token cache, for [`feishu_vc_transport::TransportBuilder::token_cache`].
    pub fn token_cache(&self) -> RedisTokenCache {
        RedisTokenCache::new(self.clone())
    }

    /// The shared rate limiter with Feishu's documented limits, for
    /// [`feishu_vc_transport::TransportBuilder::rate_limiter`].
    pub fn rate_limiter(&self) -> RedisRateLimiter {
        RedisRateLimiter::new(self.clone(), RateQuota::documented())
    }

    /// The shared store of `app_id`'s users' OAuth tokens, with a per-user refresh lock, for
    /// [`feishu_vc_transport::UserTokenSource::new`].
    pub fn user_tokens(&self, app_id: impl Into<String>) -> RedisUserTokenStore {
        RedisUserTokenStore::new(self.clone(), app_id)
    }

    /// The shared store of store apps' tickets, for
    /// [`feishu_vc_transport::StoreAppTokenSource::new`] and the events receiver's `AppTickets`.
    pub fn app_tickets(&self) -> RedisAppTicketStore {
        RedisAppTicketStore::new(self.clone())
    }

    /// The shared dedup store for webhook receivers, remembering ids for
    /// [`feishu_vc_events::DEFAULT_WINDOW`].
    pub fn dedup(&self) -> RedisDedup {
        RedisDedup::new(self.clone(), feishu_vc_events::DEFAULT_WINDOW)
    }

    /// `prefix:part`.
    pub(crate) fn key(&self, part: &str) -> String {
        format!("{}:{part}", self.prefix)
    }

    /// The connection, for one command.
    pub(crate) fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

/// Builds a [`Redis`]. No I/O happens until the first command.
#[derive(Debug)]
pub struct RedisBuilder {
    url: String,
    prefix: String,
    timeout: Duration,
}

impl RedisBuilder {
    /// The prefix of every key ([`DEFAULT_PREFIX`] unless set), so that several apps or
    /// environments can share one Redis.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long connecting and each command may take before Redis counts as unreachable (500 ms
    /// unless set). Short, since the SDK then carries on without it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The connection handle. Fails only on a URL that cannot be used; an unreachable server is
    /// found, and tolerated, at the first command.
    pub fn build(self) -> Result<Redis, ConfigError> {
        let client = redis::Client::open(self.url.as_str()).map_err(ConfigError)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(self.timeout);
        let connection =
            ConnectionManager::new_lazy_with_config(client, config).map_err(ConfigError)?;
        Ok(Redis {
            connection,
            prefix: self.prefix,
        })
    }
}
