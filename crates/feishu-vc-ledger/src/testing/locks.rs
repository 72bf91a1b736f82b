//! A batch's lock: `lock_batch`.

use crate::testing::fixtures::Store;

pub(super) async fn a_batch_lock_excludes_other_runs_of_that_batch_only(store: Store) {
    let first = store.lock_batch("rooms.csv").await.unwrap();
    assert!(first.is_some(), "a free batch is locked");
    assert!(
        store.lock_batch("rooms.csv").await.unwrap().is_none(),
        "a second run of a locked batch is refused"
    );
    let other = store.lock_batch("other.csv").await.unwrap();
    assert!(other.is_some(), "another batch is not blocked");
    drop(first);
    // A server may take a moment to see the holder's connection close.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let again = loop {
        if let Some(lock) = store.lock_batch("rooms.csv").await.unwrap() {
            break lock;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the batch's lock is granted again once its holder drops it"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(store.lock_batch("rooms.csv").await.unwrap().is_none());
    drop((again, other));
}
