//! `PostgresLedger` on a real server each test starts (`testing::PostgresServer`) and stops.

use std::collections::BTreeSet;
use std::error::Error as _;
use std::sync::Arc;

use feishu_vc_ledger::testing::{at, book, conformance, intent};
use feishu_vc_ledger::{Claim, IntentKey, LedgerStore};
use feishu_vc_ledger_sqlx::PostgresLedger;
use feishu_vc_ledger_sqlx::testing::PostgresServer;

use crate::support::{
    POISON, assert_still_booked_and_sending, begin_many_is_one_transaction, open_four_at_once,
    write_booked_and_sending,
};

#[tokio::test]
async fn begin_many_writes_postgres_in_one_transaction() {
    let server = PostgresServer::start();
    let ledger = server.fresh_ledger().await;
    sqlx::query(&format!(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         IF NEW.key = '{POISON}' THEN RAISE EXCEPTION 'refused by the test'; END IF; \
         RETURN NEW; END $$"
    ))
    .execute(ledger.pool())
    .await
    .unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON feishu_vc_ledger \
         FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
    )
    .execute(ledger.pool())
    .await
    .unwrap();
    begin_many_is_one_transaction(Arc::new(ledger)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_passes_the_conformance_suite() {
    let server = PostgresServer::start();
    conformance(|| async { Arc::new(server.fresh_ledger().await) as Arc<dyn LedgerStore> }).await;
}

/// Four keepers, each with its own pool (as four processes would), claim from one ledger at
/// once: every due reservation is claimed, none by two of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_keepers_with_their_own_connections_never_claim_the_same_reservation() {
    let server = PostgresServer::start();
    let url = server.fresh_database().await;
    let first: Arc<dyn LedgerStore> = Arc::new(PostgresLedger::connect(&url).await.unwrap());
    for n in 0..120 {
        let keep = intent(&format!("k{n}"), n).with_keep(true);
        book(&first, keep, &format!("r{n}"), &n.to_string(), 500 + n).await;
    }
    // Connected first, then let go together; each renewal takes a moment, as a call would.
    let mut ledgers = Vec::new();
    for _ in 0..4 {
        ledgers.push(PostgresLedger::connect(&url).await.unwrap());
    }
    let start = Arc::new(tokio::sync::Barrier::new(4));
    let mut keepers = Vec::new();
    for (w, ledger) in ledgers.into_iter().enumerate() {
        let start = start.clone();
        keepers.push(tokio::spawn(async move {
            let claim = Claim {
                worker: format!("keeper-{w}"),
                until: at(10_000),
            };
            let mut mine = Vec::new();
            start.wait().await;
            loop {
                let got = ledger
                    .claim_due(at(1000), at(100), &claim, 4)
                    .await
                    .unwrap();
                if got.is_empty() {
                    break mine;
                }
                mine.extend(got.into_iter().map(|r| r.key().to_string()));
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }));
    }
    let mut claimed = Vec::new();
    let mut busy = 0;
    for keeper in keepers {
        let mine = keeper.await.unwrap();
        busy += usize::from(!mine.is_empty());
        claimed.extend(mine);
    }
    let distinct: BTreeSet<_> = claimed.iter().collect();
    assert_eq!(claimed.len(), distinct.len(), "claimed twice: {claimed:?}");
    assert_eq!(distinct.len(), 120);
    assert!(busy >= 2, "the keepers shared the work ({busy} got any)");
}

#[tokio::test]
async fn a_password_in_the_url_is_never_shown() {
    let server = PostgresServer::start();
    // Nothing listens on this port: the connection fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://app:s3cret-pass@127.0.0.1:{closed}/ledger");
    let error = PostgresLedger::connect(&url).await.unwrap_err();
    let mut shown = format!("{error} {error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        shown.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    assert!(
        shown.contains("cannot connect to PostgreSQL at app@127.0.0.1"),
        "{shown}"
    );
    assert!(!shown.contains("s3cret-pass"), "{shown}");
    assert!(shown.contains("refused"), "the cause is told: {shown}");

    let bad = PostgresLedger::connect("postgres://app:s3cret-pass@127.0.0.1:notaport/x")
        .await
        .unwrap_err();
    assert!(!format!("{bad} {bad:?}").contains("s3cret-pass"));

    // The test server trusts loopback and ignores the password; the handle still hides it.
    let database = server.fresh_database().await;
    let with_password = database.replace("postgres@", "postgres:s3cret-pass@");
    let ledger = PostgresLedger::connect(&with_password).await.unwrap();
    let debug = format!("{ledger:?}");
    assert!(debug.contains("postgres@127.0.0.1"), "{debug}");
    assert!(!debug.contains("s3cret-pass"), "{debug}");
}

#[tokio::test]
async fn records_outlive_the_connection_and_migrations_run_once() {
    let server = PostgresServer::start();
    let url = server.fresh_database().await;
    let ledger = PostgresLedger::connect(&url).await.unwrap();
    let booked = write_booked_and_sending(Arc::new(ledger.clone())).await;
    ledger.close().await;

    // Another process's own pool.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let again = PostgresLedger::from_pool(pool).await.unwrap();
    assert_still_booked_and_sending(&again, booked).await;
    let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(again.pool())
        .await
        .unwrap();
    assert_eq!(versions, 2, "every migration once");
}

#[tokio::test]
async fn the_test_server_stops_and_removes_its_directory_on_drop() {
    let server = PostgresServer::start();
    let port = server.port();
    let ledger = server.fresh_ledger().await;
    assert!(ledger.get(&IntentKey::new("x")).await.unwrap().is_none());
    ledger.close().await;
    let dir = std::env::temp_dir().join(format!(
        "feishu-vc-postgres-test-{}-{port}",
        std::process::id()
    ));
    assert!(dir.join("data").is_dir());
    drop(server);
    assert!(!dir.exists(), "its directory is removed");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on its port"
    );
}

/// Feature `rustls`: a URL that requires TLS connects over TLS.
#[tokio::test]
async fn a_url_requiring_tls_connects_over_tls() {
    let server = PostgresServer::start_tls();
    let url = format!("{}?sslmode=require", server.fresh_database().await);
    let ledger = PostgresLedger::connect(&url).await.unwrap();
    let tls: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(ledger.pool())
        .await
        .unwrap();
    assert!(tls, "the connection is encrypted");
    ledger.begin(intent("a", 1)).await.unwrap();
    assert!(ledger.get(&IntentKey::new("a")).await.unwrap().is_some());
}

/// Keepers started together on a new database all connect: sqlx's advisory lock lets one of
/// them create the schema while the others wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keepers_connecting_to_a_new_database_at_once_all_get_the_ledger() {
    let server = PostgresServer::start();
    for _ in 0..3 {
        let url = server.fresh_database().await;
        open_four_at_once(|| {
            let url = url.clone();
            async move { PostgresLedger::connect(&url).await }
        })
        .await;
    }
}

/// The batch lock is held by a connection of its own: dropping the guard releases it, and so
/// does the server when that connection is gone (its process died).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_lock_goes_with_its_connection() {
    let server = PostgresServer::start();
    let url = server.fresh_database().await;
    let one = PostgresLedger::connect(&url).await.unwrap();
    let other = PostgresLedger::connect(&url).await.unwrap();
    let batch = "/data/rooms.csv";
    let held_by = |ledger: &PostgresLedger| {
        let pool = ledger.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
                 AND (classid::bigint << 32) | objid::bigint = $1",
            )
            .bind(feishu_vc_ledger_sqlx::batch_lock_key(batch))
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let wait_until_free = async |ledger: &PostgresLedger| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(lock) = ledger.lock_batch(batch).await.unwrap() {
                return lock;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the lock was not released"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };

    // Dropped guard: released.
    let guard = one.lock_batch(batch).await.unwrap().expect("a free batch");
    assert_eq!(held_by(&one).await, 1);
    assert!(other.lock_batch(batch).await.unwrap().is_none());
    drop(guard);
    let guard = wait_until_free(&other).await;
    assert!(one.lock_batch(batch).await.unwrap().is_none());

    // The holder's connection is cut (as when its process is killed): released by the server.
    let terminated: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_locks \
         WHERE locktype = 'advisory' AND granted",
    )
    .fetch_one(one.pool())
    .await
    .unwrap();
    assert_eq!(terminated, 1);
    let _taken = wait_until_free(&one).await;
    assert_eq!(held_by(&one).await, 1);
    drop(guard);
}
