//! The keeper and restart tests on PostgreSQL: a real server each test starts on a free loopback
//! port and stops (`feishu_vc_ledger_sqlx::testing::PostgresServer`).

use std::sync::Arc;

use feishu_vc_ledger::LedgerStore;
use feishu_vc_ledger_sqlx::PostgresLedger;
use feishu_vc_ledger_sqlx::testing::PostgresServer;

use crate::events::{events_are_matched_after_a_restart, store_lookup};
use crate::keep::keepers_renew_each_reservation_once;

async fn connect(url: &str) -> Arc<dyn LedgerStore> {
    Arc::new(PostgresLedger::connect(url).await.unwrap())
}

/// Four keepers, each with its own connection pool (as four processes would have), on one
/// PostgreSQL ledger at once: the emulator counts one update per reservation.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_keepers_on_one_postgres_ledger_renew_each_reservation_once() {
    let server = PostgresServer::start();
    let url = server.fresh_database().await;
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(connect(&url).await);
    }
    keepers_renew_each_reservation_once(stores).await;
}

#[tokio::test]
async fn events_are_matched_by_a_lookup_over_a_new_postgres_connection() {
    let server = PostgresServer::start();
    let url = server.fresh_database().await;
    let before = connect(&url).await;
    let reopen = async move || connect(&url).await;
    events_are_matched_after_a_restart(before, reopen, store_lookup).await;
}
