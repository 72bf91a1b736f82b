//! The restart tests on the SQLite store: what one process wrote to the file, the next one (a
//! store opened again on the same file) reads.

use std::path::PathBuf;
use std::sync::Arc;

use feishu_vc_ledger::LedgerStore;
use feishu_vc_ledger_sqlx::SqliteLedger;
use tempfile::TempDir;

use crate::batch::rows_left_sending_by_a_dead_run_are_reported_and_not_resent;
use crate::events::{LookupOf, events_are_matched_after_a_restart, ledger_lookup, store_lookup};
use crate::keep::keepers_renew_each_reservation_once;

/// A ledger file in a directory of its own, removed with it.
fn file() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    (dir, path)
}

async fn open(path: &PathBuf) -> Arc<dyn LedgerStore> {
    Arc::new(SqliteLedger::open(path).await.unwrap())
}

/// The store `before` closed (as its process ended), then the file opened again.
async fn closed_and_reopened(before: Arc<dyn LedgerStore>, path: PathBuf) -> Arc<dyn LedgerStore> {
    drop(before);
    open(&path).await
}

/// Events matched by a lookup (`lookup_of`) over the ledger file reopened after booking.
async fn events_after_reopening_the_file(lookup_of: LookupOf) {
    let (_dir, path) = file();
    let before = open(&path).await;
    let handle = before.clone();
    let reopen = async move || closed_and_reopened(handle, path).await;
    events_are_matched_after_a_restart(before, reopen, lookup_of).await;
}

#[tokio::test]
async fn events_are_matched_by_a_new_ledger_over_the_reopened_sqlite_file() {
    events_after_reopening_the_file(ledger_lookup).await;
}

#[tokio::test]
async fn events_are_matched_by_a_store_only_lookup_over_the_reopened_sqlite_file() {
    events_after_reopening_the_file(store_lookup).await;
}

#[tokio::test]
async fn rows_left_sending_in_a_sqlite_file_by_a_dead_run_are_not_resent() {
    let (_dir, path) = file();
    let before = open(&path).await;
    let handle = before.clone();
    rows_left_sending_by_a_dead_run_are_reported_and_not_resent(before, async move || {
        closed_and_reopened(handle, path).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_keepers_on_one_sqlite_file_renew_each_reservation_once() {
    let (_dir, path) = file();
    // Two handles on the file, as two keeper processes would have.
    keepers_renew_each_reservation_once(vec![open(&path).await, open(&path).await]).await;
}
