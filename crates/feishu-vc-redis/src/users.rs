//! Users' OAuth tokens for a fleet: one hash per user, and the per-user refresh lock taken with
//! `SET NX PX` and released with a compare-and-delete script.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use feishu_vc_model::SecretString;
use feishu_vc_transport::{BoxError, BoxFuture, UserTokenStore, UserTokens};
use redis::Script;

use crate::Redis;
use crate::tokens::{DELETE_IF, delete_if, millis, take_lease};

/// Users' tokens shared by a fleet, under `prefix:user_token:<app id>:<user>`, with each user's
/// refresh lock under `…:lock`.
///
/// A refresh token works once; with this store, processes refreshing the same user take turns, and
/// the one that comes second finds the new token instead of spending the void one. The values
/// stored are the user's access and refresh tokens: protect the Redis server as you would them.
#[derive(Debug)]
pub struct RedisUserTokenStore {
    redis: Redis,
    app_id: String,
    delete_if: Script,
}

impl RedisUserTokenStore {
    /// The store of `app_id`'s users on `redis`.
    pub fn new(redis: Redis, app_id: impl Into<String>) -> Self {
        Self {
            redis,
            app_id: app_id.into(),
            delete_if: Script::new(DELETE_IF),
        }
    }

    fn key(&self, user: &str) -> String {
        self.redis
            .key(&format!("user_token:{}:{user}", self.app_id))
    }
}

/// The hash's fields as read: access token, its expiry, refresh token, its expiry, scope.
type Fields = (
    Option<String>,
    Option<u64>,
    Option<String>,
    Option<u64>,
    Option<String>,
);

const ACCESS: &str = "access_token";
const ACCESS_EXPIRES_AT: &str = "access_expires_at";
const REFRESH: &str = "refresh_token";
const REFRESH_EXPIRES_AT: &str = "refresh_expires_at";
const SCOPE: &str = "scope";

impl UserTokenStore for RedisUserTokenStore {
    fn load<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<Option<UserTokens>, BoxError>> {
        Box::pin(async move {
            let fields: Fields = redis::cmd("HMGET")
                .arg(self.key(user))
                .arg(&[
                    ACCESS,
                    ACCESS_EXPIRES_AT,
                    REFRESH,
                    REFRESH_EXPIRES_AT,
                    SCOPE,
                ])
                .query_async(&mut self.redis.connection())
                .await?;
            let (access, access_expires_at, refresh, refresh_expires_at, scope) = fields;
            Ok(access.map(|access| UserTokens {
                access_token: SecretString::new(access),
                access_expires_at: access_expires_at.unwrap_or_default(),
                refresh_token: refresh.map(SecretString::new),
                refresh_expires_at,
                scope: scope.unwrap_or_default(),
            }))
        })
    }

    fn save<'a>(
        &'a self,
        user: &'a str,
        tokens: &'a UserTokens,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            let key = self.key(user);
            // The entry lasts as long as whichever token lives longer.
            let until = tokens
                .refresh_expires_at
                .unwrap_or_default()
                .max(tokens.access_expires_at);
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            let ttl = Duration::from_secs(until.saturating_sub(now));
            let mut pipe = redis::pipe();
            pipe.atomic().del(&key);
            pipe.cmd("HSET")
                .arg(&key)
                .arg(ACCESS)
                .arg(tokens.access_token.expose_secret())
                .arg(ACCESS_EXPIRES_AT)
                .arg(tokens.access_expires_at)
                .arg(SCOPE)
                .arg(&tokens.scope);
            if let Some(refresh) = &tokens.refresh_token {
                pipe.cmd("HSET")
                    .arg(&key)
                    .arg(REFRESH)
                    .arg(refresh.expose_secret());
            }
            if let Some(at) = tokens.refresh_expires_at {
                pipe.cmd("HSET").arg(&key).arg(REFRESH_EXPIRES_AT).arg(at);
            }
            pipe.cmd("PEXPIRE").arg(&key).arg(millis(ttl));
            let _: () = pipe.query_async(&mut self.redis.connection()).await?;
            Ok(())
        })
    }

    fn try_lock<'a>(
        &'a self,
        user: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Option<String>, BoxError>> {
        Box::pin(take_lease(
            &self.redis,
            format!("{}:lock", self.key(user)),
            lease,
        ))
    }

    fn unlock<'a>(&'a self, user: &'a str, holder: &'a str) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            delete_if(
                &self.delete_if,
                &self.redis,
                format!("{}:lock", self.key(user)),
                holder,
            )
            .await
        })
    }
}
