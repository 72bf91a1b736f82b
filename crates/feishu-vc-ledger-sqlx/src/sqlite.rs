//! The embedded store: one SQLite file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use feishu_vc_ledger::{BatchLock, LedgerError, LocalBatchLocks};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite};

use crate::sql::{self, Embedded};

/// The schema's migrations, oldest first: each upgrades a database the ones before it made.
const MIGRATIONS: Embedded = Embedded(&[
    (
        20261130000001,
        "ledger",
        include_str!("../migrations/sqlite/20261130000001_ledger.sql"),
    ),
    (
        20261206000001,
        "calendar",
        include_str!("../migrations/sqlite/20261206000001_calendar.sql"),
    ),
]);

/// How long a writer waits for another (process or connection) to finish before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A [`LedgerStore`](feishu_vc_ledger::LedgerStore) in one SQLite file (or in memory, for tests).
///
/// The file is created with mode 0600 (it holds what the app booked, and the requests), in WAL
/// mode with `synchronous = FULL`: each committed change, notably the mark that a request is
/// about to be sent, is on disk before the call returns, so it survives `kill -9` of the process
/// and a power loss alike. Several processes may open the same file; SQLite serialises their
/// writes (waiting up to 30 s for one another).
///
/// A batch's lock ([`LedgerStore::lock_batch`](feishu_vc_ledger::LedgerStore::lock_batch)) is
/// an exclusive lock (`flock`) on a file beside the database,
/// `<database file>.batch-<batch_digest(batch)>.lock` (mode 0600, left in place): every process
/// opening the same database sees it, and the system releases it when the holder dies. An
/// in-memory ledger's batch locks are its own.
#[derive(Clone)]
pub struct SqliteLedger {
    pool: Pool<Sqlite>,
    path: Option<PathBuf>,
    batch_locks: LocalBatchLocks,
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
        // Processes creating the file at once race to switch it to WAL, which SQLite answers
        // with "busy" at once rather than through the busy timeout: try again until it passes.
        let deadline = Instant::now() + BUSY_TIMEOUT;
        let pool = loop {
            let opened = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options.clone())
                .await;
            match opened {
                Err(e) if is_busy(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(10 + fastrand::u64(0..40))).await;
                }
                opened => {
                    break opened.map_err(|e| {
                        LedgerError::backend(format!("cannot open the SQLite ledger {shown}"), e)
                    })?;
                }
            }
        };
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

    /// Creates or migrates the schema under SQLite's write lock (`BEGIN IMMEDIATE`), so that
    /// processes opening a new file at once wait for the first one's schema instead of all
    /// creating it (sqlx's migration lock is PostgreSQL's advisory lock; SQLite has none).
    async fn migrate(pool: Pool<Sqlite>, path: Option<PathBuf>) -> Result<Self, LedgerError> {
        let failed = |e| LedgerError::backend("cannot migrate the SQLite ledger's schema", e);
        let migrator = sql::migrator(MIGRATIONS).await?;
        let mut locked = pool.begin_with("BEGIN IMMEDIATE").await.map_err(|e| {
            LedgerError::backend("cannot lock the SQLite ledger to migrate its schema", e)
        })?;
        migrator.run_direct(&mut *locked).await.map_err(failed)?;
        locked
            .commit()
            .await
            .map_err(|e| LedgerError::backend("cannot commit the SQLite ledger's schema", e))?;
        Ok(Self {
            pool,
            path,
            batch_locks: LocalBatchLocks::default(),
        })
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

    /// The lock file of `batch`'s runs, when the ledger is in a file.
    pub fn batch_lock_path(&self, batch: &str) -> Option<PathBuf> {
        let path = self.path.as_ref()?;
        let mut name = path.as_os_str().to_owned();
        name.push(format!(
            ".batch-{}.lock",
            feishu_vc_ledger::batch_digest(batch)
        ));
        Some(PathBuf::from(name))
    }

    /// `lock_batch`: the batch's lock file locked exclusively, or (in memory) this ledger's own
    /// set of held batches.
    async fn take_batch_lock(&self, batch: &str) -> Result<Option<BatchLock>, LedgerError> {
        use fs4::fs_std::FileExt as _;

        let Some(lock_path) = self.batch_lock_path(batch) else {
            return Ok(self.batch_locks.try_lock(batch));
        };
        let failed = |e| {
            LedgerError::backend(
                format!("cannot lock the batch's lock file {}", lock_path.display()),
                e,
            )
        };
        let file = open_private(&lock_path).map_err(failed)?;
        if !file.try_lock_exclusive().map_err(failed)? {
            return Ok(None);
        }
        // Closing the file (on drop, or when the process dies) releases the lock.
        Ok(Some(BatchLock::new(file)))
    }
}

/// Whether SQLite said the database is busy or locked (by another connection or process).
fn is_busy(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
}

/// Creates `path` (mode 0600) and its missing parent directories (mode 0700) when missing, and
/// makes an existing file private too.
fn create_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    use std::os::unix::fs::DirBuilderExt;

    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut dirs = std::fs::DirBuilder::new();
        dirs.recursive(true);
        #[cfg(unix)]
        dirs.mode(0o700);
        dirs.create(parent)?;
    }
    open_private(path)?;
    Ok(())
}

/// Opens `path` for appending, creating it with mode 0600 when missing, and makes an existing
/// file private too.
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    let mut file = std::fs::OpenOptions::new();
    file.create(true).append(true);
    #[cfg(unix)]
    file.mode(0o600);
    let file = file.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

sql::ledger_store!(SqliteLedger, Sqlite, "SQLite", "");
