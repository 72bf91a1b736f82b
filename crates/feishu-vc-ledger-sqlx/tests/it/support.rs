//! A temporary directory of the test's own, removed on drop; records written before a store is
//! closed and checked after it is opened again.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use feishu_vc_ledger::testing::{at, book, intent};
use feishu_vc_ledger::{IntentKey, LedgerError, LedgerStore, Record, RecordFilter, State};
use std::sync::atomic::{AtomicUsize, Ordering};

pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "feishu-vc-ledger-sqlx-{name}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Books `a` (kept) and leaves `b` sending; returns `a`'s record.
pub(crate) async fn write_booked_and_sending(store: Arc<dyn LedgerStore>) -> Record {
    let booked = book(&store, intent("a", 1).with_keep(true), "r1", "111", 99).await;
    store.begin(intent("b", 2)).await.unwrap();
    assert!(
        store
            .mark_sending(&IntentKey::new("b"), at(3))
            .await
            .unwrap()
    );
    booked
}

/// `store`, opened again, holds what [`write_booked_and_sending`] wrote.
pub(crate) async fn assert_still_booked_and_sending(store: &dyn LedgerStore, booked: Record) {
    assert_eq!(store.get(booked.key()).await.unwrap(), Some(booked));
    let b = store.get(&IntentKey::new("b")).await.unwrap().unwrap();
    assert_eq!(b.state, State::Sending);
}

/// Opens four handles with `open` at once (as four processes starting together would) and
/// writes through each; all four records are there after.
pub(crate) async fn open_four_at_once<S, F, Fut>(open: F)
where
    S: LedgerStore + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<S, LedgerError>> + Send + 'static,
{
    let opening: Vec<_> = (0..4).map(|_| tokio::spawn(open())).collect();
    let mut handles = Vec::new();
    for (n, handle) in opening.into_iter().enumerate() {
        let ledger = handle.await.unwrap().unwrap();
        ledger
            .begin(intent(&format!("k{n}"), n as i64))
            .await
            .unwrap();
        handles.push(ledger);
    }
    let all = handles[0].list(&RecordFilter::all()).await.unwrap();
    assert_eq!(all.len(), 4);
}

/// The key a test's trigger refuses to insert (see [`begin_many_is_one_transaction`]).
pub(crate) const POISON: &str = "poison";

/// `store` refuses (by a trigger the test installed) to insert the intent [`POISON`]: a
/// `begin_many` whose fourth intent fails writes none of the others, and the same call without
/// it writes them all.
pub(crate) async fn begin_many_is_one_transaction(store: Arc<dyn LedgerStore>) {
    let earlier = store.begin(intent("earlier", 1)).await.unwrap();
    let rows = |poisoned: bool| {
        let mut rows = vec![intent("a", 2), intent("earlier", 1), intent("b", 3)];
        if poisoned {
            rows.push(intent(POISON, 4));
        }
        rows.push(intent("c", 5));
        rows
    };
    match store.begin_many(rows(true)).await {
        Err(LedgerError::Backend { .. }) => {}
        other => panic!("a failing insert fails the whole call, got {other:?}"),
    }
    let all = store.list(&RecordFilter::all()).await.unwrap();
    assert_eq!(all, [earlier], "none of the call's intents is written");

    let written = store.begin_many(rows(false)).await.unwrap();
    assert!(written.iter().all(Result::is_ok));
    let all = store.list(&RecordFilter::all()).await.unwrap();
    let keys: Vec<&str> = all.iter().map(|r| r.key().as_str()).collect();
    assert_eq!(keys, ["earlier", "a", "b", "c"]);
}
