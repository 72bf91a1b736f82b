//! `PostgresLedger` on a real server each test starts (`testing::PostgresServer`) and stops.

use std::collections::BTreeSet;
use std::error::Error as _;
use std::sync::Arc;

use feishu_vc_ledger::testing::{at, book, conformance, intent};
use feishu_vc_ledger::{Claim, IntentKey, LedgerStore, State};
use feishu_vc_ledger_sqlx::PostgresLedger;
use feishu_vc_ledger_sqlx::testing::PostgresServer;

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
    let mut keepers = Vec::new();
    for w in 0..4 {
        let ledger = PostgresLedger::connect(&url).await.unwrap();
        keepers.push(tokio::spawn(async move {
            let claim = Claim {
                worker: format!("keeper-{w}"),
                until: at(10_000),
            };
            let mut mine = Vec::new();
            loop {
                let got = ledger
                    .claim_due(at(1000), at(100), &claim, 4)
                    .await
                    .unwrap();
                if got.is_empty() {
                    break mine;
                }
                mine.extend(got.into_iter().map(|r| r.key().to_string()));
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
    let store: Arc<dyn LedgerStore> = Arc::new(ledger.clone());
    let booked = book(&store, intent("a", 1).with_keep(true), "r1", "111", 99).await;
    store.begin(intent("b", 2)).await.unwrap();
    assert!(
        store
            .mark_sending(&IntentKey::new("b"), at(3))
            .await
            .unwrap()
    );
    ledger.close().await;

    // Another process's own pool.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let again = PostgresLedger::from_pool(pool).await.unwrap();
    assert_eq!(again.get(booked.key()).await.unwrap(), Some(booked));
    let b = again.get(&IntentKey::new("b")).await.unwrap().unwrap();
    assert_eq!(b.state, State::Sending);
    let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(again.pool())
        .await
        .unwrap();
    assert_eq!(versions, 1);
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
