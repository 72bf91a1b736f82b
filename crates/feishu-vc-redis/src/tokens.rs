//! The shared tenant-token cache: the token under its key with a TTL, and a lease taken with
//! `SET NX PX`.

use std::time::Duration;

use feishu_vc_model::SecretString;
use feishu_vc_transport::{BoxError, BoxFuture, SharedToken, TokenCache};
use redis::Script;

use crate::Redis;

/// Deletes KEYS[1] only if it still holds ARGV[1]: an eviction or a release never removes what
/// another process put since.
pub(crate) const DELETE_IF: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// One tenant token for a fleet, in Redis under `prefix:tenant_token:<app id>:<fingerprint>`.
///
/// The value stored is the bearer token itself (the key holds only a fingerprint of the secret):
/// protect the Redis server as you would the app secret. Errors go back to the transport, which
/// logs a warning and fetches the process's own token.
#[derive(Debug)]
pub struct RedisTokenCache {
    redis: Redis,
    delete_if: Script,
}

impl RedisTokenCache {
    /// The cache on `redis`.
    pub fn new(redis: Redis) -> Self {
        Self {
            redis,
            delete_if: Script::new(DELETE_IF),
        }
    }

    async fn delete_if(&self, key: String, value: &str) -> Result<(), BoxError> {
        delete_if(&self.delete_if, &self.redis, key, value).await
    }
}

/// `SET key value PX ttl`: a secret kept for `ttl`.
pub(crate) async fn set_for(
    redis: &Redis,
    key: String,
    value: &SecretString,
    ttl: Duration,
) -> Result<(), redis::RedisError> {
    redis::cmd("SET")
        .arg(key)
        .arg(value.expose_secret())
        .arg("PX")
        .arg(millis(ttl))
        .query_async(&mut redis.connection())
        .await
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// Runs [`DELETE_IF`] (already loaded as `script`) on `key` and `value`.
pub(crate) async fn delete_if(
    script: &Script,
    redis: &Redis,
    key: String,
    value: &str,
) -> Result<(), BoxError> {
    let _: i64 = script
        .key(key)
        .arg(value)
        .invoke_async(&mut redis.connection())
        .await?;
    Ok(())
}

/// Takes `key` with `SET NX PX` for `lease`: the holder's random id when taken.
pub(crate) async fn take_lease(
    redis: &Redis,
    key: String,
    lease: Duration,
) -> Result<Option<String>, BoxError> {
    let holder = format!("{:016x}", fastrand::u64(..));
    let taken: Option<String> = redis::cmd("SET")
        .arg(key)
        .arg(&holder)
        .arg("NX")
        .arg("PX")
        .arg(millis(lease))
        .query_async(&mut redis.connection())
        .await?;
    Ok(taken.map(|_| holder))
}

impl TokenCache for RedisTokenCache {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<SharedToken>, BoxError>> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            let key = self.redis.key(key);
            pipe.get(&key).pttl(&key);
            let (value, ttl): (Option<String>, i64) =
                pipe.query_async(&mut self.redis.connection()).await?;
            Ok(value.filter(|_| ttl > 0).map(|v| SharedToken {
                value: SecretString::new(v),
                usable_for: Duration::from_millis(ttl.unsigned_abs()),
            }))
        })
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        token: &'a SharedToken,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            set_for(
                &self.redis,
                self.redis.key(key),
                &token.value,
                token.usable_for,
            )
            .await?;
            Ok(())
        })
    }

    fn evict<'a>(
        &'a self,
        key: &'a str,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(self.delete_if(self.redis.key(key), rejected.expose_secret()))
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Option<String>, BoxError>> {
        Box::pin(take_lease(
            &self.redis,
            self.redis.key(&format!("{key}:lease")),
            lease,
        ))
    }

    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(self.delete_if(self.redis.key(&format!("{key}:lease")), holder))
    }
}
