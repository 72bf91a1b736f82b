//! The distributed rate limiter: one Lua script per call reserves the scope's next slot in Redis.

use feishu_vc_transport::{BoxFuture, InProcessRateLimiter, RateLimiter, RateQuota, RateScope};
use redis::Script;

use crate::Redis;
use crate::health::Health;

/// The minute's window, in microseconds.
const MINUTE_US: u64 = 60_000_000;

/// The transport's pacing rule (`feishu_vc_transport::InProcessRateLimiter`), inside Redis:
/// KEYS[1] holds the next slot of the second's limit, KEYS[2] the list of the last `per_minute`
/// slots. Time is Redis's own, so processes on different machines agree. Returns the wait in µs.
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local minute = tonumber(ARGV[3])
local at = now
local next = tonumber(redis.call('GET', KEYS[1]))
if next and next > at then at = next end
if redis.call('LLEN', KEYS[2]) >= count then
  local oldest = tonumber(redis.call('LINDEX', KEYS[2], 0)) + minute
  if oldest > at then at = oldest end
end
redis.call('SET', KEYS[1], string.format('%.0f', at + interval), 'PX', math.floor((at + interval - now) / 1000) + 1000)
redis.call('RPUSH', KEYS[2], string.format('%.0f', at))
redis.call('LTRIM', KEYS[2], -count, -1)
redis.call('PEXPIRE', KEYS[2], math.floor((at - now + minute) / 1000) + 1000)
return at - now
";

/// Paces every process of a fleet within one quota per app, tenant and operation, through Redis.
///
/// Each call runs one atomic script that reserves its slot; the call then waits for the slot
/// rather than failing. While Redis is unreachable each process paces itself with the same rule
/// in memory (a warning says so): a fleet may then exceed the limit together and meet 429s, which
/// the transport waits out.
#[derive(Debug)]
pub struct RedisRateLimiter {
    redis: Redis,
    interval_us: u64,
    per_minute: u32,
    script: Script,
    local: InProcessRateLimiter,
    health: Health,
}

impl RedisRateLimiter {
    /// A limiter enforcing `quota` for every scope.
    pub fn new(redis: Redis, quota: RateQuota) -> Self {
        Self {
            redis,
            interval_us: u64::try_from(quota.interval().as_micros()).unwrap_or(u64::MAX),
            per_minute: quota.per_minute_slots(),
            script: Script::new(RESERVE),
            local: InProcessRateLimiter::new(quota),
            health: Health::new("the rate limiter", "paces this process on its own"),
        }
    }

    /// The scope's part of its keys: `{app:tenant:operation}` (braces keep both keys in one Redis
    /// Cluster slot).
    fn scope_key(scope: &RateScope<'_>) -> String {
        format!(
            "{{{}:{}:{}}}",
            scope.app_id,
            scope.tenant_key.unwrap_or("-"),
            scope.operation
        )
    }

    async fn reserve_in_redis(&self, scope: &str) -> Result<u64, redis::RedisError> {
        let wait: i64 = self
            .script
            .key(self.redis.key(&format!("rate:{scope}:next")))
            .key(self.redis.key(&format!("rate:{scope}:recent")))
            .arg(self.interval_us)
            .arg(self.per_minute)
            .arg(MINUTE_US)
            .invoke_async(&mut self.redis.connection())
            .await?;
        Ok(wait.max(0).unsigned_abs())
    }
}

impl RateLimiter for RedisRateLimiter {
    fn acquire<'a>(&'a self, scope: RateScope<'a>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut wait = None;
            if self.health.should_try() {
                match self.reserve_in_redis(&Self::scope_key(&scope)).await {
                    Ok(us) => {
                        self.health.succeeded();
                        wait = Some(std::time::Duration::from_micros(us));
                    }
                    Err(e) => self.health.failed(&e),
                }
            }
            let wait = wait.unwrap_or_else(|| self.local.reserve(scope));
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        })
    }
}
