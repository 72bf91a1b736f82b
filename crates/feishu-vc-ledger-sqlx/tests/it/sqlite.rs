//! `SqliteLedger`: the conformance suite in memory and in files, and what the file promises.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use feishu_vc_ledger::testing::{at, conformance, intent};
use feishu_vc_ledger::{IntentKey, LedgerStore, RecordFilter, State};
use feishu_vc_ledger_sqlx::SqliteLedger;

use crate::support::{
    POISON, TempDir, assert_still_booked_and_sending, begin_many_is_one_transaction,
    open_four_at_once, write_booked_and_sending,
};

#[tokio::test]
async fn begin_many_writes_a_sqlite_file_in_one_transaction() {
    let dir = TempDir::new("begin-many");
    let ledger = SqliteLedger::open(dir.path().join("ledger.sqlite3"))
        .await
        .unwrap();
    sqlx::query(&format!(
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON feishu_vc_ledger \
         WHEN NEW.key = '{POISON}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    ))
    .execute(ledger.pool())
    .await
    .unwrap();
    begin_many_is_one_transaction(Arc::new(ledger)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_sqlite_passes_the_conformance_suite() {
    conformance(|| async {
        Arc::new(SqliteLedger::in_memory().await.unwrap()) as Arc<dyn LedgerStore>
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_files_pass_the_conformance_suite() {
    let dir = TempDir::new("conformance");
    let next = std::sync::atomic::AtomicUsize::new(0);
    conformance(|| {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = dir.path().join(format!("ledger-{n}.sqlite3"));
        async move { Arc::new(SqliteLedger::open(path).await.unwrap()) as Arc<dyn LedgerStore> }
    })
    .await;
}

#[tokio::test]
async fn open_creates_a_private_file_in_new_directories_in_wal_mode_with_full_sync() {
    let dir = TempDir::new("open");
    let path = dir.path().join("a/b/ledger.sqlite3");
    let ledger = SqliteLedger::open(&path).await.unwrap();
    assert_eq!(ledger.path(), Some(path.as_path()));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the ledger file is readable by its owner only");
    let parent = std::fs::metadata(path.parent().unwrap()).unwrap();
    assert_eq!(parent.permissions().mode() & 0o777, 0o700);

    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(ledger.pool())
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    // 2 = FULL: a commit is on disk before it returns.
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(ledger.pool())
        .await
        .unwrap();
    assert_eq!(synchronous, 2);
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(ledger.pool())
        .await
        .unwrap();
    assert!(busy >= 10_000, "writers wait for one another, {busy} ms");

    // The write-ahead log made by a write is private too.
    ledger.begin(intent("a", 1)).await.unwrap();
    let wal = path.with_file_name("ledger.sqlite3-wal");
    let mode = std::fs::metadata(&wal).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(format!("{ledger:?}").contains("ledger.sqlite3"));
}

#[tokio::test]
async fn an_existing_file_is_made_private() {
    let dir = TempDir::new("chmod");
    let path = dir.path().join("ledger.sqlite3");
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    SqliteLedger::open(&path).await.unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn records_outlive_the_process_and_a_reopen_migrates_nothing_twice() {
    let dir = TempDir::new("reopen");
    let path = dir.path().join("ledger.sqlite3");
    let ledger = SqliteLedger::open(&path).await.unwrap();
    let booked = write_booked_and_sending(Arc::new(ledger.clone())).await;
    ledger.close().await;

    let again = SqliteLedger::open(&path).await.unwrap();
    assert_still_booked_and_sending(&again, booked).await;
    let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(again.pool())
        .await
        .unwrap();
    assert_eq!(versions, 2, "every migration once");
}

/// What a process killed with SIGKILL leaves: the database file and its write-ahead log as they
/// are on disk, with no close, checkpoint or cleanup. A copy of them opens with every committed
/// change, notably the mark that a request was about to be sent.
#[tokio::test]
async fn a_committed_mark_sending_is_on_disk_without_a_clean_close() {
    let dir = TempDir::new("crash");
    let path = dir.path().join("ledger.sqlite3");
    let ledger = SqliteLedger::open(&path).await.unwrap();
    for n in 0..5 {
        ledger
            .begin(intent(&format!("row-{n}"), n).with_batch("batch"))
            .await
            .unwrap();
    }
    assert!(
        ledger
            .mark_sending(&IntentKey::new("row-3"), at(9))
            .await
            .unwrap()
    );

    let crashed = dir.path().join("crashed");
    std::fs::create_dir(&crashed).unwrap();
    for suffix in ["", "-wal"] {
        std::fs::copy(
            format!("{}{suffix}", path.display()),
            crashed.join(format!("ledger.sqlite3{suffix}")),
        )
        .unwrap();
    }
    std::mem::forget(ledger);

    let after = SqliteLedger::open(crashed.join("ledger.sqlite3"))
        .await
        .unwrap();
    let interrupted = after
        .settle_interrupted(Some("batch"), at(10))
        .await
        .unwrap();
    assert_eq!(
        interrupted.len(),
        1,
        "the row being sent is found interrupted"
    );
    assert_eq!(interrupted[0].key().as_str(), "row-3");
    let pending = after
        .list(&RecordFilter::all().states([State::Pending]))
        .await
        .unwrap();
    assert_eq!(pending.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_on_one_file_send_each_record_once() {
    let dir = TempDir::new("two");
    let path = dir.path().join("ledger.sqlite3");
    let one = Arc::new(SqliteLedger::open(&path).await.unwrap());
    let two = Arc::new(SqliteLedger::open(&path).await.unwrap());
    for n in 0..30 {
        one.begin(intent(&format!("k{n}"), n)).await.unwrap();
    }
    let race = |store: Arc<SqliteLedger>| {
        tokio::spawn(async move {
            let mut mine = 0;
            for n in 0..30 {
                if store
                    .mark_sending(&IntentKey::new(format!("k{n}")), at(50))
                    .await
                    .unwrap()
                {
                    mine += 1;
                }
            }
            mine
        })
    };
    let (a, b) = (race(one.clone()), race(two.clone()));
    assert_eq!(a.await.unwrap() + b.await.unwrap(), 30);
    let sending = two
        .list(&RecordFilter::all().states([State::Sending]))
        .await
        .unwrap();
    assert!(sending.iter().all(|r| r.attempts == 1));
    assert_eq!(sending.len(), 30);
}

#[tokio::test]
async fn a_path_that_cannot_be_created_is_a_clear_error() {
    let dir = TempDir::new("bad");
    let file = dir.path().join("file");
    std::fs::write(&file, b"").unwrap();
    let error = SqliteLedger::open(file.join("ledger.sqlite3"))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("cannot create the SQLite ledger"),
        "{message}"
    );
    assert!(message.contains("file/ledger.sqlite3"), "{message}");
    assert!(std::error::Error::source(&error).is_some());
}

/// Processes that start together on a new file (a batch and a keeper on first use) all open it:
/// the schema is made once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn handles_opening_a_new_file_at_once_all_get_the_ledger() {
    for attempt in 0..10 {
        let dir = TempDir::new("together");
        let path = dir.path().join(format!("ledger-{attempt}.sqlite3"));
        open_four_at_once(|| SqliteLedger::open(path.clone())).await;
    }
}

#[tokio::test]
async fn a_batch_lock_is_a_private_file_beside_the_database_seen_by_every_handle() {
    let dir = TempDir::new("batch-lock");
    let path = dir.path().join("ledger.sqlite3");
    let one = SqliteLedger::open(&path).await.unwrap();
    let other = SqliteLedger::open(&path).await.unwrap();
    let batch = "/data/rooms.csv";

    let held = one.lock_batch(batch).await.unwrap().expect("a free batch");
    let lock_file = one.batch_lock_path(batch).unwrap();
    let expected = format!(
        "ledger.sqlite3.batch-{}.lock",
        feishu_vc_ledger::batch_digest(batch)
    );
    assert_eq!(lock_file, dir.path().join(expected));
    let mode = std::fs::metadata(&lock_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Another handle on the file (as another process would open it) sees the lock.
    assert!(other.lock_batch(batch).await.unwrap().is_none());
    assert!(other.lock_batch("/data/other.csv").await.unwrap().is_some());
    drop(held);
    assert!(other.lock_batch(batch).await.unwrap().is_some());
}
