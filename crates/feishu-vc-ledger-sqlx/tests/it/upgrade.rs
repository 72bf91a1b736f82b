//! A database made by the first version of the schema (before calendar placements) is upgraded
//! when a ledger opens it: its records read back as they were, on no calendar, and can be
//! placed on one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use feishu_vc_ledger::testing::{at, book, intent};
use feishu_vc_ledger::{
    CalendarPlacement, InMemoryLedger, IntentKey, LedgerStore, Record, RecordFilter,
};
use feishu_vc_ledger_sqlx::testing::PostgresServer;
use feishu_vc_ledger_sqlx::{PostgresLedger, SqliteLedger};
use feishu_vc_model::ReserveId;
use sqlx::migrate::Migrator;

use crate::support::TempDir;

/// The schema's first migration, the only one the first version of the ledger knew.
const FIRST: &str = "20261130000001_ledger.sql";

/// How many migrations the ledger has now.
const MIGRATIONS: i64 = 2;

/// A migrator of `backend`'s first migration only, as the first version of the ledger ran it
/// (the same file, so the same checksum), from a copy in `dir`.
async fn first_version(dir: &TempDir, backend: &str) -> Migrator {
    let source: PathBuf = [env!("CARGO_MANIFEST_DIR"), "migrations", backend, FIRST]
        .iter()
        .collect();
    let migrations = dir.path().join(format!("{backend}-migrations"));
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::copy(&source, migrations.join(FIRST)).unwrap();
    Migrator::new(Path::new(&migrations)).await.unwrap()
}

/// What the first version recorded: a booked reservation, kept, and an intent still pending.
async fn records_of_the_first_version() -> Vec<Record> {
    let store: Arc<dyn LedgerStore> = Arc::new(InMemoryLedger::new());
    book(&store, intent("a", 1).with_keep(true), "r1", "111", 99).await;
    store
        .begin(intent("b", 2).with_batch("rooms"))
        .await
        .unwrap();
    store.list(&RecordFilter::all()).await.unwrap()
}

/// `value` as an SQL string literal, or NULL.
fn text(value: Option<&str>) -> String {
    value.map_or("NULL".to_owned(), |v| {
        format!("'{}'", v.replace('\'', "''"))
    })
}

/// `value` as an SQL number, or NULL.
fn number(value: Option<i64>) -> String {
    value.map_or("NULL".to_owned(), |v| v.to_string())
}

/// The `INSERT` of `record` into the first version's table (its columns only).
fn insert_into_the_first_schema(record: &Record) -> String {
    let intent = &record.intent;
    let seconds = |t: Option<feishu_vc_model::Timestamp>| number(t.map(|t| t.unix_seconds()));
    let values = [
        text(Some(intent.key.as_str())),
        text(Some(&intent.fingerprint)),
        text(intent.owner.as_ref().map(|o| o.kind.as_str())),
        text(intent.owner.as_ref().map(|o| o.id.as_str())),
        text(intent.topic.as_deref()),
        intent.end_time.unix_seconds().to_string(),
        if intent.keep { "TRUE" } else { "FALSE" }.to_owned(),
        text(intent.batch.as_deref()),
        text(Some(&intent.request)),
        intent.created_at.unix_seconds().to_string(),
        text(Some(record.state.as_str())),
        record.attempts.to_string(),
        text(record.reserve_id.as_ref().map(|r| r.as_str())),
        text(record.meeting_no.as_ref().map(|m| m.as_str())),
        text(record.url.as_deref()),
        record.end_time.unix_seconds().to_string(),
        seconds(record.booked_at),
        seconds(record.ended_at),
        text(record.log_id.as_deref()),
        number(record.refusal.as_ref().and_then(|r| r.code)),
        text(record.refusal.as_ref().map(|r| r.message.as_str())),
        record.updated_at.unix_seconds().to_string(),
        seconds(record.checked_at),
    ];
    format!(
        "INSERT INTO feishu_vc_ledger (key, fingerprint, owner_kind, owner_id, topic, \
         intent_end_time, keep, batch, request, created_at, state, attempts, reserve_id, \
         meeting_no, url, end_time, booked_at, ended_at, log_id, refusal_code, refusal_message, \
         updated_at, checked_at) VALUES ({})",
        values.join(", ")
    )
}

/// `store`, opened on the first version's database, holds `before` as it was (on no calendar),
/// places the booked one on a calendar and still sends the pending one.
async fn assert_upgraded(store: &dyn LedgerStore, before: Vec<Record>) {
    assert_eq!(store.list(&RecordFilter::all()).await.unwrap(), before);
    assert!(before.iter().all(|r| r.calendar.is_none()));

    let id = ReserveId::new("r1");
    let placement = CalendarPlacement::new("feishu.cn_rooms@group.calendar.feishu.cn", "ev_1");
    let placed = store
        .set_calendar(&id, Some(placement.clone()))
        .await
        .unwrap();
    let mut expected = before[0].clone();
    expected.calendar = Some(placement);
    assert_eq!(placed, expected);
    assert_eq!(store.by_reserve_id(&id).await.unwrap(), Some(expected));
    assert!(
        store
            .mark_sending(&IntentKey::new("b"), at(5))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_sqlite_file_of_the_first_schema_is_upgraded_and_keeps_its_records() {
    let dir = TempDir::new("upgrade");
    let path = dir.path().join("ledger.sqlite3");
    let before = records_of_the_first_version().await;
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    first_version(&dir, "sqlite")
        .await
        .run(&pool)
        .await
        .unwrap();
    for record in &before {
        sqlx::query(&insert_into_the_first_schema(record))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    let ledger = SqliteLedger::open(&path).await.unwrap();
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(ledger.pool())
        .await
        .unwrap();
    assert_eq!(versions.len() as i64, MIGRATIONS, "{versions:?}");
    assert_upgraded(&ledger, before).await;
    ledger.close().await;

    // Opened again: nothing is migrated twice, the placement is kept.
    let again = SqliteLedger::open(&path).await.unwrap();
    let placed = again.by_reserve_id(&ReserveId::new("r1")).await.unwrap();
    assert!(placed.is_some_and(|r| r.calendar.is_some()));
}

#[tokio::test]
async fn a_postgres_database_of_the_first_schema_is_upgraded_and_keeps_its_records() {
    let dir = TempDir::new("upgrade-pg");
    let server = PostgresServer::start();
    let url = server.fresh_database().await;
    let before = records_of_the_first_version().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    first_version(&dir, "postgres")
        .await
        .run(&pool)
        .await
        .unwrap();
    for record in &before {
        sqlx::query(&insert_into_the_first_schema(record))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    let ledger = PostgresLedger::connect(&url).await.unwrap();
    let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(ledger.pool())
        .await
        .unwrap();
    assert_eq!(versions, MIGRATIONS);
    assert_upgraded(&ledger, before).await;
}
