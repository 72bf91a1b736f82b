//! The shared store: one PostgreSQL database for several keepers or machines.

use std::fmt;
use std::str::FromStr;

use feishu_vc_ledger::{BatchLock, LedgerError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, Pool, Postgres};

use crate::sql::{self, Embedded};

/// The schema's migrations, oldest first: each upgrades a database the ones before it made.
const MIGRATIONS: Embedded = Embedded(&[
    (
        20261130000001,
        "ledger",
        include_str!("../migrations/postgres/20261130000001_ledger.sql"),
    ),
    (
        20261206000001,
        "calendar",
        include_str!("../migrations/postgres/20261206000001_calendar.sql"),
    ),
]);

/// A [`LedgerStore`](feishu_vc_ledger::LedgerStore) in a PostgreSQL database, shared by every
/// process that connects to it: keepers on several machines claim due reservations with
/// `FOR UPDATE SKIP LOCKED`, so each is renewed by exactly one of them.
///
/// A batch's lock ([`LedgerStore::lock_batch`](feishu_vc_ledger::LedgerStore::lock_batch)) is
/// a session advisory lock (`pg_try_advisory_lock`) taken on a connection of its own that the
/// guard holds: dropping the guard closes the connection, and the server releases the lock with
/// it, as it does when the holding process dies. Its key is [`batch_lock_key`] of the batch.
///
/// Its `Debug` and its errors name the server, user and database, never the password.
#[derive(Clone)]
pub struct PostgresLedger {
    pool: Pool<Postgres>,
    server: String,
}

impl fmt::Debug for PostgresLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresLedger")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl PostgresLedger {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, or any
    /// form libpq accepts) and creates or migrates the ledger's schema. Errors never show the
    /// URL's password.
    pub async fn connect(url: &str) -> Result<Self, LedgerError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| LedgerError::backend("invalid PostgreSQL URL", e))?;
        let server = describe(&options);
        // One connection first, so that a wrong address, user or database fails at once with
        // its own cause rather than as a pool timeout; the pool then connects as it needs.
        let first = PgConnection::connect_with(&options).await.map_err(|e| {
            LedgerError::backend(format!("cannot connect to PostgreSQL at {server}"), e)
        })?;
        first.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_lazy_with(options);
        Self::with_pool(pool, server).await
    }

    /// Uses the app's own pool, and creates or migrates the ledger's schema in its database.
    pub async fn from_pool(pool: Pool<Postgres>) -> Result<Self, LedgerError> {
        let server = describe(&pool.connect_options());
        Self::with_pool(pool, server).await
    }

    async fn with_pool(pool: Pool<Postgres>, server: String) -> Result<Self, LedgerError> {
        // sqlx takes an advisory lock while it migrates: keepers starting together wait for
        // one another.
        sql::migrator(MIGRATIONS)
            .await?
            .run(&pool)
            .await
            .map_err(|e| {
                LedgerError::backend(format!("cannot migrate the ledger's schema at {server}"), e)
            })?;
        Ok(Self { pool, server })
    }

    /// The pool, for statements of the app's own.
    pub fn pool(&self) -> &Pool<Postgres> {
        &self.pool
    }

    /// Closes the pool's connections (waiting for those in use).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// `lock_batch`: the batch's advisory lock, on a connection the guard keeps.
    async fn take_batch_lock(&self, batch: &str) -> Result<Option<BatchLock>, LedgerError> {
        let options = self.pool.connect_options();
        let mut connection = PgConnection::connect_with(&options).await.map_err(|e| {
            LedgerError::backend(
                format!(
                    "cannot connect to PostgreSQL at {} to lock a batch",
                    self.server
                ),
                e,
            )
        })?;
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(batch_lock_key(batch))
            .fetch_one(&mut connection)
            .await
            .map_err(|e| crate::sql_error("PostgreSQL", e))?;
        if !taken {
            connection.close().await.ok();
            return Ok(None);
        }
        Ok(Some(BatchLock::new(HeldConnection(Some(connection)))))
    }
}

/// The advisory lock key of `batch`'s runs: the first 8 bytes of the SHA-256 of
/// `"feishu-vc-ledger batch " + batch`, as a big-endian `i64`.
pub fn batch_lock_key(batch: &str) -> i64 {
    let digest = feishu_vc_ledger::batch_digest(&format!("feishu-vc-ledger batch {batch}"));
    // 16 hex digits: always a u64.
    u64::from_str_radix(&digest, 16).unwrap_or_default() as i64
}

/// The connection holding a batch's advisory lock. Dropped, it is closed (gracefully when a
/// runtime is at hand, else its socket is dropped), and the server releases the lock.
struct HeldConnection(Option<PgConnection>);

impl Drop for HeldConnection {
    fn drop(&mut self) {
        let Some(connection) = self.0.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    connection.close().await.ok();
                });
            }
            Err(_) => drop(connection),
        }
    }
}

/// `user@host:port/database`: where the options point, without the password.
fn describe(options: &PgConnectOptions) -> String {
    let host = match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => options.get_host().to_owned(),
    };
    format!(
        "{}@{host}:{}/{}",
        options.get_username(),
        options.get_port(),
        options.get_database().unwrap_or(options.get_username())
    )
}

sql::ledger_store!(
    PostgresLedger,
    Postgres,
    "PostgreSQL",
    " FOR UPDATE SKIP LOCKED"
);
