//! The events' dedup store on Redis: `SET key 1 NX PX window`, atomic across receivers.

use std::time::{Duration, SystemTime};

use feishu_vc_events::{BoxFuture, DedupStore, InMemoryDedup, StoreError};

use crate::Redis;
use crate::health::Health;

/// Remembers accepted event ids in Redis for a window, so that a delivery retried to another
/// instance is handled once. While Redis is unreachable, ids are remembered in this process's
/// memory (a warning says so) rather than failing deliveries.
#[derive(Debug)]
pub struct RedisDedup {
    redis: Redis,
    window: Duration,
    fallback: InMemoryDedup,
    health: Health,
}

impl RedisDedup {
    /// Remembers ids for `window` (at least a millisecond).
    pub fn new(redis: Redis, window: Duration) -> Self {
        Self {
            redis,
            window: window.max(Duration::from_millis(1)),
            fallback: InMemoryDedup::new(window, feishu_vc_events::DEFAULT_CAPACITY),
            health: Health::new("the dedup store", "remembers event ids in this process"),
        }
    }

    async fn first_in_redis(&self, event_id: &str) -> Result<bool, redis::RedisError> {
        let set: Option<String> = redis::cmd("SET")
            .arg(self.redis.key(&format!("event:{event_id}")))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX))
            .query_async(&mut self.redis.connection())
            .await?;
        Ok(set.is_some())
    }
}

impl DedupStore for RedisDedup {
    fn first_sighting<'a>(
        &'a self,
        event_id: &'a str,
        now: SystemTime,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            // Ids seen while degraded are remembered here too, so a repeat is caught either way.
            let local = self.fallback.insert(event_id, now);
            if self.health.should_try() {
                match self.first_in_redis(event_id).await {
                    Ok(first) => {
                        self.health.succeeded();
                        // A repeat for Redis, or for this process (seen while Redis was down).
                        return Ok(first && local);
                    }
                    Err(e) => self.health.failed(&e),
                }
            }
            Ok(local)
        })
    }
}
