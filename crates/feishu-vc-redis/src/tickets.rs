//! Store apps' `app_ticket`, shared by a fleet: only one instance receives each push, every
//! instance needs it.

use std::time::Duration;

use feishu_vc_model::SecretString;
use feishu_vc_transport::{AppTicketStore, BoxError, BoxFuture};

use crate::Redis;
use crate::tokens::set_for;

/// How long a stored ticket is kept: 12 hours, as the official SDKs keep it (Feishu pushes a new
/// one every hour).
pub const APP_TICKET_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// Store apps' tickets under `prefix:app_ticket:<app id>`, each kept [`APP_TICKET_TTL`]. The
/// value is the ticket, a credential: protect the Redis server as you would the app secret.
#[derive(Debug)]
pub struct RedisAppTicketStore {
    redis: Redis,
}

impl RedisAppTicketStore {
    /// The ticket store on `redis`.
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }

    fn key(&self, app_id: &str) -> String {
        self.redis.key(&format!("app_ticket:{app_id}"))
    }
}

impl AppTicketStore for RedisAppTicketStore {
    fn load<'a>(
        &'a self,
        app_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SecretString>, BoxError>> {
        Box::pin(async move {
            let ticket: Option<String> = redis::cmd("GET")
                .arg(self.key(app_id))
                .query_async(&mut self.redis.connection())
                .await?;
            Ok(ticket.map(SecretString::new))
        })
    }

    fn save<'a>(
        &'a self,
        app_id: &'a str,
        ticket: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            set_for(&self.redis, self.key(app_id), ticket, APP_TICKET_TTL).await?;
            Ok(())
        })
    }
}
