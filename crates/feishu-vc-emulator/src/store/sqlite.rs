//! The state store: an SQLite database in WAL mode, written before a change is acknowledged.
//!
//! The emulator keeps its state in memory; the database is its durable log. A table `log` holds
//! one row per change of a reservation, a token or a calendar event (its JSON, or nothing once deleted), in the
//! order of the changes; reading the log in that order at start rebuilds the state.
//!
//! One writer task per emulator (`store/writer.rs`). A handler changes the state under the mutex (which bumps the
//! state's version and records which rows changed), wakes the writer and waits until a write that
//! includes its version is on disk. The writer takes the rows changed since its last write and
//! appends them in one transaction (`synchronous=FULL`: the commit is fsynced before it returns).
//! Changes that arrive while a write is under way go into the next one, so under load one fsync
//! acknowledges many changes, and every response still waits for a write that includes its own
//! change. Appending touches the last pages of the log only, so a write costs what changed, not
//! what is stored. When the log has grown past twice what is live (plus some slack), the next
//! write replaces it with the live rows: a cost in proportion to what is stored, once every as
//! many changes, so constant per change on average.
//!
//! The database is opened (created `0600` if missing) and written once when the emulator starts,
//! so an unusable location fails then. A JSON state file of an earlier version is migrated: its
//! content goes into a new database, and the JSON is kept beside it as `<file>.v1.json`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction};
use serde::Deserialize;
use tokio::sync::{Notify, watch};

use crate::auth::state::TokenRecord;
use crate::calendar::state::StoredEvent;
use crate::clock::MAX_CLOCK_OFFSET;
use crate::error::Error;
use crate::reserves::state::Reservation;
use crate::store::memory::{Batch, State};

/// The format number kept in the database's `meta` table: 3 since the log has calendar events.
const STORE_FORMAT: i64 = 3;
/// The format before calendar events: its log is read as it is, then marked as this format.
const STORE_FORMAT_BEFORE_EVENTS: i64 = 2;
/// The format number of the JSON state files of earlier versions.
const LEGACY_FORMAT: u32 = 1;
/// How every SQLite database file begins.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// How long opening waits for another emulator on the same file to let go of it.
const LOCK_WAIT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS log (
        seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT
    );
";
/// `log.kind` of a reservation's row.
const RESERVATION: &str = "reservation";
/// `log.kind` of a token's row.
const TOKEN: &str = "token";
/// `log.kind` of a calendar event's row.
const EVENT: &str = "calendar_event";

/// How far the store has got.
#[derive(Clone, Debug, Default)]
pub(crate) struct Progress {
    /// Every change up to this version is on disk.
    pub(crate) done: u64,
    /// The last failed write: the version it tried to write, and why it failed.
    pub(crate) failed: Option<(u64, String)>,
}

/// The store and its writer's signals.
#[derive(Debug)]
pub(crate) struct Persister {
    pub(crate) path: PathBuf,
    /// `None` once the writer has stopped: the database is closed and its lock released.
    pub(crate) connection: Mutex<Option<Connection>>,
    /// Rows in the log table.
    pub(crate) log_rows: AtomicU64,
    pub(crate) wake: Notify,
    pub(crate) stop: AtomicBool,
    pub(crate) progress: watch::Sender<Progress>,
}

/// What [`open`] found.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) persister: Persister,
    pub(crate) state: State,
    pub(crate) clock_offset: i64,
}

impl Persister {
    /// Waits until every change up to `version` is on disk.
    pub(crate) async fn wait(&self, version: u64) -> Result<(), String> {
        self.wake.notify_one();
        let mut rx = self.progress.subscribe();
        let progress = rx
            .wait_for(|p| p.done >= version || p.failed.as_ref().is_some_and(|f| f.0 >= version))
            .await
            .map_err(|_| "the state writer has stopped".to_owned())?;
        if progress.done >= version {
            Ok(())
        } else {
            Err(progress
                .failed
                .as_ref()
                .map(|f| f.1.clone())
                .unwrap_or_default())
        }
    }

    pub(crate) fn lock_connection(&self) -> MutexGuard<'_, Option<Connection>> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the writer to write what is left and stop.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

/// Writes a batch in one transaction: appends its rows to the log, or replaces the log with
/// them when the batch holds every live row.
pub(crate) fn write(connection: &mut Connection, batch: &Batch) -> rusqlite::Result<()> {
    let tx = connection.transaction()?;
    if batch.full {
        tx.execute("DELETE FROM log", [])?;
    }
    let reservations = batch.reservations.iter();
    append(
        &tx,
        RESERVATION,
        reservations.map(|(id, r)| (id.as_str(), r.as_deref())),
    )?;
    let tokens = batch.tokens.iter();
    append(&tx, TOKEN, tokens.map(|(t, r)| (t.as_str(), r.as_ref())))?;
    let events = batch.events.iter();
    append(
        &tx,
        EVENT,
        events.map(|(id, e)| (id.as_str(), e.as_deref())),
    )?;
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('clock_offset', ?1)",
        [batch.clock_offset],
    )?;
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('applies', ?1)",
        [i64::try_from(batch.applies).unwrap_or(i64::MAX)],
    )?;
    tx.commit()
}

/// Appends rows of `kind` to the log, as JSON (`None`: deleted).
fn append<'a, V: serde::Serialize + 'a>(
    tx: &Transaction<'_>,
    kind: &str,
    rows: impl IntoIterator<Item = (&'a str, Option<&'a V>)>,
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached("INSERT INTO log (kind, key, body) VALUES (?1, ?2, ?3)")?;
    for (key, value) in rows {
        let body = value
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        insert.execute((kind, key, body))?;
    }
    Ok(())
}

/// Opens the store at `path` (creating it, or migrating a JSON state file of an earlier version)
/// and reads it. Blocking.
pub(crate) fn open(path: &Path) -> Result<Opened, Error> {
    let open_error = |source: io::Error| Error::OpenState {
        path: path.to_owned(),
        source,
    };
    let sqlite_error = |e: rusqlite::Error| open_error(io::Error::other(e.to_string()));
    if let Some(legacy) = read_legacy(path)? {
        migrate(path, legacy)?;
    }
    create_private(path).map_err(open_error)?;
    let mut connection = Connection::open(path).map_err(sqlite_error)?;
    // An emulator on this file that is still closing holds its lock a moment longer.
    connection.busy_timeout(LOCK_WAIT).map_err(sqlite_error)?;
    // One emulator per store: a second one on the same file fails at start ("database is
    // locked") instead of overwriting the first one's changes.
    connection
        .pragma_update(None, "locking_mode", "EXCLUSIVE")
        .map_err(sqlite_error)?;
    let mode: String = connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(sqlite_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(open_error(io::Error::other(format!(
            "SQLite could not use WAL mode here (it chose {mode})"
        ))));
    }
    connection
        .pragma_update(None, "synchronous", "FULL")
        .map_err(sqlite_error)?;
    // The first write, now: a store that cannot be written fails at start.
    let tx = connection.transaction().map_err(sqlite_error)?;
    tx.execute_batch(SCHEMA).map_err(sqlite_error)?;
    let format: Option<i64> = tx
        .query_row("SELECT value FROM meta WHERE key = 'format'", [], |row| {
            row.get(0)
        })
        .optional()
        .map_err(sqlite_error)?;
    match format {
        Some(STORE_FORMAT) => {}
        Some(STORE_FORMAT_BEFORE_EVENTS) => {
            tx.execute(
                "UPDATE meta SET value = ?1 WHERE key = 'format'",
                [STORE_FORMAT],
            )
            .map_err(sqlite_error)?;
        }
        Some(other) => {
            return Err(Error::StateFormat {
                path: path.to_owned(),
                reason: format!("store format {other} (expected {STORE_FORMAT})"),
            });
        }
        None => {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('format', ?1)",
                [STORE_FORMAT],
            )
            .map_err(sqlite_error)?;
        }
    }
    tx.commit().map_err(sqlite_error)?;
    let (state, clock_offset, log_rows) = read(&connection, path)?;
    Ok(Opened {
        persister: Persister {
            path: path.to_owned(),
            connection: Mutex::new(Some(connection)),
            log_rows: AtomicU64::new(log_rows),
            wake: Notify::new(),
            stop: AtomicBool::new(false),
            progress: watch::Sender::new(Progress::default()),
        },
        state,
        clock_offset,
    })
}

/// Everything the store holds, and how many rows its log has.
fn read(connection: &Connection, path: &Path) -> Result<(State, i64, u64), Error> {
    let bad = |reason: String| Error::StateFormat {
        path: path.to_owned(),
        reason,
    };
    // The last row of each key wins.
    let mut reservations: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut tokens: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut events: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut log_rows = 0u64;
    let mut query = connection
        .prepare("SELECT kind, key, body FROM log ORDER BY seq")
        .map_err(|e| bad(e.to_string()))?;
    let mut rows = query.query([]).map_err(|e| bad(e.to_string()))?;
    while let Some(row) = rows.next().map_err(|e| bad(e.to_string()))? {
        let read = |i| {
            row.get::<_, Option<String>>(i)
                .map_err(|e| bad(e.to_string()))
        };
        let (kind, key, body) = (read(0)?, read(1)?, read(2)?);
        let key = key.unwrap_or_default();
        match kind.as_deref() {
            Some(RESERVATION) => reservations.insert(key, body),
            Some(TOKEN) => tokens.insert(key, body),
            Some(EVENT) => events.insert(key, body),
            _ => return Err(bad(format!("a log row of unknown kind {kind:?}"))),
        };
        log_rows += 1;
    }
    let mut live_reservations = Vec::new();
    for (id, body) in reservations {
        if let Some(body) = body {
            let r: Reservation = serde_json::from_str(&body)
                .map_err(|e| bad(format!("reservation {id}: {}", e.classify_text())))?;
            live_reservations.push(r);
        }
    }
    let mut live_tokens = BTreeMap::new();
    for (token, body) in tokens {
        if let Some(body) = body {
            let t: TokenRecord = serde_json::from_str(&body)
                .map_err(|e| bad(format!("a token: {}", e.classify_text())))?;
            live_tokens.insert(token, t);
        }
    }
    let mut live_events = Vec::new();
    for (id, body) in events {
        if let Some(body) = body {
            let e: StoredEvent = serde_json::from_str(&body)
                .map_err(|e| bad(format!("calendar event {id}: {}", e.classify_text())))?;
            live_events.push(e);
        }
    }
    let offset: i64 = connection
        .query_row(
            "SELECT value FROM meta WHERE key = 'clock_offset'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| bad(e.to_string()))?
        .unwrap_or(0);
    check_offset(offset).map_err(bad)?;
    let applies: i64 = connection
        .query_row("SELECT value FROM meta WHERE key = 'applies'", [], |row| {
            row.get(0)
        })
        .optional()
        .map_err(|e| bad(e.to_string()))?
        .unwrap_or(0);
    let applies = u64::try_from(applies).map_err(|_| bad(format!("applies {applies}")))?;
    Ok((
        State::loaded(live_reservations, live_tokens, live_events, applies, true),
        offset,
        log_rows,
    ))
}

fn check_offset(offset: i64) -> Result<(), String> {
    if (0..=MAX_CLOCK_OFFSET).contains(&offset) {
        Ok(())
    } else {
        Err(format!(
            "clock offset {offset} s is outside 0..={MAX_CLOCK_OFFSET}"
        ))
    }
}

/// Creates `path` readable and writable by its owner only, or makes an existing file so (it
/// holds tokens and meeting passwords). Fails with the OS's reason when the location is unusable.
fn create_private(path: &Path) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    options.open(path)?;
    Ok(())
}

/// The JSON state file of earlier versions.
#[derive(Deserialize)]
struct LegacyDocument {
    format: u32,
    #[serde(default)]
    clock_offset: i64,
    #[serde(default)]
    reservations: BTreeMap<String, Reservation>,
    #[serde(default)]
    tokens: BTreeMap<String, TokenRecord>,
}

/// The JSON state file at `path`, if that is what it is; an error if it is neither that, a
/// database, nothing nor an empty file.
fn read_legacy(path: &Path) -> Result<Option<LegacyDocument>, Error> {
    let read_error = |source| Error::ReadState {
        path: path.to_owned(),
        source,
    };
    // A file that cannot be opened is not migrated: opening the store then says why.
    let Ok(mut file) = File::open(path) else {
        return Ok(None);
    };
    let mut head = [0u8; 16];
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]).map_err(read_error)? {
            0 => break,
            n => got += n,
        }
    }
    if got == 0 || head[..got] == SQLITE_HEADER[..got] {
        return Ok(None);
    }
    let bad = |reason: String| Error::StateFormat {
        path: path.to_owned(),
        reason,
    };
    if head[..got].iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(bad(
            "neither an emulator database nor a JSON state file of an earlier version".to_owned(),
        ));
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    let doc: LegacyDocument = serde_json::from_slice(&bytes).map_err(|e| {
        bad(format!(
            "a JSON state file of an earlier version? line {}, column {}: {}",
            e.line(),
            e.column(),
            e.classify_text()
        ))
    })?;
    if doc.format != LEGACY_FORMAT {
        return Err(bad(format!(
            "JSON state format {} (expected {LEGACY_FORMAT})",
            doc.format
        )));
    }
    check_offset(doc.clock_offset).map_err(bad)?;
    Ok(Some(doc))
}

/// Replaces the JSON state file at `path` with a database of the same content; the JSON is kept
/// as `<file>.v1.json`. The database is built under a temporary name and renamed into place, so
/// a failure leaves the JSON file where it was.
fn migrate(path: &Path, doc: LegacyDocument) -> Result<(), Error> {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".v1.json");
    let backup = path.with_file_name(name);
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".migrating");
    let temporary = path.with_file_name(name);
    let open_error = |source: io::Error| Error::OpenState {
        path: path.to_owned(),
        source,
    };
    let built = (|| -> rusqlite::Result<()> {
        let _ = std::fs::remove_file(&temporary);
        create_private(&temporary)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
        let mut connection = Connection::open(&temporary)?;
        let tx = connection.transaction()?;
        tx.execute_batch(SCHEMA)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('format', ?1)",
            [STORE_FORMAT],
        )?;
        let reservations = doc.reservations.values();
        append(
            &tx,
            RESERVATION,
            reservations.map(|r| (r.id.as_str(), Some(r))),
        )?;
        let tokens = doc.tokens.iter();
        append(&tx, TOKEN, tokens.map(|(t, r)| (t.as_str(), Some(r))))?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('clock_offset', ?1)",
            [doc.clock_offset],
        )?;
        tx.commit()?;
        connection.close().map_err(|(_, e)| e)
    })();
    if let Err(e) = built {
        let _ = std::fs::remove_file(&temporary);
        return Err(open_error(io::Error::other(e.to_string())));
    }
    std::fs::rename(path, &backup).map_err(open_error)?;
    std::fs::rename(&temporary, path).map_err(open_error)?;
    tracing::info!(path = %path.display(), backup = %backup.display(), "migrated a JSON state file to the state database");
    Ok(())
}

trait ClassifyText {
    fn classify_text(&self) -> &'static str;
}

impl ClassifyText for serde_json::Error {
    fn classify_text(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "could not be read",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "not the expected content",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}
