//! The embedded store: one SQLite file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use feishu_vc_ledger::LedgerError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite};

use crate::sql::{self, Embedded};

const MIGRATIONS: Embedded = Embedded(&[(
    20261130000001,
    "ledger",
    include_str!("../migrations/sqlite/20261130000001_ledger.sql"),
)]);

/// How long a writer waits for another (process or connection) to finish before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A [`LedgerStore`](feishu_vc_ledger::LedgerStore) in one SQLite file (or in memory, for tests).
///
/// The file is created with mode 0600 (it holds what the app booked, and the requests), in WAL
/// mode with `synchronous = FULL`: each committed change, notably the mark that a request is
/// about to be sent, is on disk before the call returns, so it survives `kill -9` of the process
/// and a power loss alike. Several processes may open the same file; SQLite serialises their
/// writes (waiting up to 30 s for one another).
#[derive(Clone)]
pub struct SqliteLedger {
    pool: Pool<Sqlite>,
    path: Option<PathBuf>,
}

impl fmt::Debug for SqliteLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteLedger")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteLedger {
    /// Opens the ledger in the file at `path`, creating it (and its parent directories) when
    /// missing, and creates or migrates its schema.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, LedgerError> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        create_private(&path).map_err(|e| {
            LedgerError::backend(format!("cannot create the SQLite ledger {shown}"), e)
        })?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| {
                LedgerError::backend(format!("cannot open the SQLite ledger {shown}"), e)
            })?;
        Self::migrate(pool, Some(path)).await
    }

    /// A ledger in memory, lost with the value: for tests.
    pub async fn in_memory() -> Result<Self, LedgerError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| LedgerError::backend("cannot open an in-memory SQLite ledger", e))?;
        // One connection that never closes: each connection to `:memory:` is its own database.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| LedgerError::backend("cannot open an in-memory SQLite ledger", e))?;
        Self::migrate(pool, None).await
    }

    async fn migrate(pool: Pool<Sqlite>, path: Option<PathBuf>) -> Result<Self, LedgerError> {
        sql::migrator(MIGRATIONS)
            .await?
            .run(&pool)
            .await
            .map_err(|e| LedgerError::backend("cannot migrate the SQLite ledger's schema", e))?;
        Ok(Self { pool, path })
    }

    /// The file, when the ledger is in one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The pool, for statements of the app's own.
    pub fn pool(&self) -> &Pool<Sqlite> {
        &self.pool
    }

    /// Closes the pool's connections (waiting for those in use).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates `path` (mode 0600) and its missing parent directories (mode 0700) when missing, and
/// makes an existing file private too.
fn create_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut dirs = std::fs::DirBuilder::new();
        dirs.recursive(true);
        #[cfg(unix)]
        dirs.mode(0o700);
        dirs.create(parent)?;
    }
    let mut file = std::fs::OpenOptions::new();
    file.create(true).append(true);
    #[cfg(unix)]
    file.mode(0o600);
    let file = file.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

sql::ledger_store!(SqliteLedger, Sqlite, "SQLite", "");
