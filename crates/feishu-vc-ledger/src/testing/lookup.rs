//! Finding records: `list` and its filter, `by_meeting_no`.

use feishu_vc_model::{MeetingNo, ReserveId};

use crate::record::{IntentKey, RecordFilter, State};
use crate::testing::fixtures::{Store, at, book, intent, keys};

pub(super) async fn list_filters_and_orders_oldest_intent_first(store: Store) {
    // Written out of order: "c" first, though its intent is the newest.
    store.begin(intent("c", 3).with_batch("x")).await.unwrap();
    store
        .begin(intent("a", 1).with_batch("x").with_keep(true))
        .await
        .unwrap();
    store.begin(intent("b", 2).with_batch("y")).await.unwrap();
    store.begin(intent("d", 3).with_keep(true)).await.unwrap();
    store
        .mark_sending(&IntentKey::new("b"), at(4))
        .await
        .unwrap();
    book(&store, intent("e", 5).with_keep(true), "r-e", "5", 99).await;

    let list = |filter: RecordFilter| {
        let store = store.clone();
        async move { keys(&store.list(&filter).await.unwrap()) }
    };
    assert_eq!(list(RecordFilter::all()).await, ["a", "b", "c", "d", "e"]);
    assert_eq!(list(RecordFilter::all().batch("x")).await, ["a", "c"]);
    assert_eq!(list(RecordFilter::all().kept_only()).await, ["a", "d", "e"]);
    assert_eq!(
        list(RecordFilter::all().states([State::Sending, State::Booked])).await,
        ["b", "e"]
    );
    assert_eq!(
        list(RecordFilter::all().states([State::Pending]).kept_only()).await,
        ["a", "d"]
    );
    assert_eq!(
        list(
            RecordFilter::all()
                .batch("x")
                .kept_only()
                .states([State::Pending])
        )
        .await,
        ["a"]
    );
    assert!(list(RecordFilter::all().batch("none")).await.is_empty());
    let all = store.list(&RecordFilter::all()).await.unwrap();
    assert_eq!(
        all[0],
        store.get(&IntentKey::new("a")).await.unwrap().unwrap()
    );
}

pub(super) async fn by_meeting_no_follows_number_reuse_and_deletion(store: Store) {
    let number = MeetingNo::new("123");
    let find = |no: &str, when: i64| {
        let store = store.clone();
        let no = MeetingNo::new(no);
        async move { keys(&store.by_meeting_no(&no, at(when)).await.unwrap()) }
    };
    // "old" held 123 from 10 until it expired at 100; "new" got it at 150.
    let old = book(&store, intent("old", 10), "r-old", "123", 100).await;
    store
        .set_ended(old.reserve_id.as_ref().unwrap(), State::Expired, at(100))
        .await
        .unwrap();
    book(&store, intent("new", 150), "r-new", "123", 300).await;
    assert!(find("123", 5).await.is_empty(), "before any booking");
    assert_eq!(find("123", 50).await, ["old"]);
    assert_eq!(find("123", 100).await, ["old"], "up to its end");
    assert!(find("123", 120).await.is_empty(), "between the two");
    assert_eq!(find("123", 200).await, ["new"]);
    assert!(find("123", 301).await.is_empty(), "after the last end");

    // Deleted at 60, before its end time: no longer its number after 60.
    let deleted = book(&store, intent("deleted", 10), "r-del", "456", 500).await;
    store
        .set_ended(deleted.reserve_id.as_ref().unwrap(), State::Deleted, at(60))
        .await
        .unwrap();
    assert_eq!(find("456", 50).await, ["deleted"]);
    assert!(find("456", 70).await.is_empty());

    // Two that overlap: the most recently booked first.
    book(&store, intent("first", 10), "r-a", "789", 1000).await;
    book(&store, intent("second", 20), "r-b", "789", 1000).await;
    assert_eq!(find("789", 30).await, ["second", "first"]);
    store.begin(intent("pending", 1)).await.unwrap();
    assert!(find("000", 30).await.is_empty());
    let records = store.by_meeting_no(&number, at(200)).await.unwrap();
    assert_eq!(records[0].reserve_id, Some(ReserveId::new("r-new")));
}
