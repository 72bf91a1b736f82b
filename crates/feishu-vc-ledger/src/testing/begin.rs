//! The store writes intents: `begin` and `begin_many`.

use crate::error::LedgerError;
use crate::record::{Intent, IntentKey, Record, RecordFilter, State};
use crate::testing::fixtures::{Store, assert_conflict, at, intent, keys};

pub(super) async fn begin_is_idempotent_and_refuses_conflicts(store: Store) {
    let written = intent("a", 1).with_keep(true).with_batch("batch-1");
    let first = store.begin(written.clone()).await.unwrap();
    assert_eq!(
        first,
        Record::pending(written.clone()),
        "a new intent is pending"
    );
    assert_eq!(store.get(&written.key).await.unwrap(), Some(first.clone()));

    let again = store.begin(written.clone()).await.unwrap();
    assert_eq!(again, first, "the same intent again returns the record");

    let mut other = written.clone();
    other.fingerprint = "fp-other".to_owned();
    match store.begin(other).await {
        Err(LedgerError::Conflict {
            key,
            recorded,
            given,
        }) => {
            assert_eq!(key, written.key);
            assert_eq!(recorded, "fp-a");
            assert_eq!(given, "fp-other");
        }
        other => panic!("another fingerprint under the same key is a conflict, got {other:?}"),
    }
    assert_eq!(store.get(&written.key).await.unwrap(), Some(first));

    // Once sent, the same intent returns the record as it now stands.
    assert!(store.mark_sending(&written.key, at(2)).await.unwrap());
    let sending = store.begin(written.clone()).await.unwrap();
    assert_eq!(sending.state, State::Sending);

    let bare = Intent::new(IntentKey::new("bare"), "fp", at(9), "{}", at(3));
    let record = store.begin(bare.clone()).await.unwrap();
    assert_eq!(
        record,
        Record::pending(bare),
        "an intent without its optional parts"
    );
    assert_eq!(store.get(&IntentKey::new("missing")).await.unwrap(), None);
}

pub(super) async fn begin_many_gives_each_intent_its_own_result(store: Store) {
    assert!(store.begin_many(Vec::new()).await.unwrap().is_empty());

    // Recorded before: one pending, one being sent, one with a fingerprint the call contradicts.
    let earlier = intent("earlier", 1).with_batch("rooms");
    let sent = intent("sent", 2).with_batch("rooms");
    let taken = intent("taken", 3).with_batch("rooms");
    for written in [&earlier, &sent, &taken] {
        store.begin(written.clone()).await.unwrap();
    }
    assert!(store.mark_sending(&sent.key, at(4)).await.unwrap());

    let fresh = intent("fresh", 5).with_batch("rooms").with_keep(true);
    let mut contradicts = taken.clone();
    contradicts.fingerprint = "fp-other".to_owned();
    let twice = intent("twice", 6).with_batch("rooms");
    let mut twice_other = twice.clone();
    twice_other.fingerprint = "fp-twice-other".to_owned();
    let results = store
        .begin_many(vec![
            fresh.clone(),
            earlier.clone(),
            contradicts,
            sent.clone(),
            twice.clone(),
            twice.clone(),
            twice_other,
        ])
        .await
        .unwrap();
    assert_eq!(results.len(), 7, "one result per intent, in order");
    let pending = [
        (0, &fresh, "a new intent is written pending"),
        (1, &earlier, "a recorded intent is returned as it stands"),
        (4, &twice, "the first of a key given twice is written"),
        (5, &twice, "the second gets the record the first wrote"),
    ];
    for (i, written, why) in pending {
        let expected = Record::pending(written.clone());
        assert_eq!(results[i].as_ref().unwrap(), &expected, "{why}");
    }
    assert_conflict(&results[2], "taken", "fp-taken", "fp-other");
    let sending = results[3].as_ref().unwrap();
    assert_eq!((sending.state, sending.attempts), (State::Sending, 1));
    assert_conflict(&results[6], "twice", "fp-twice", "fp-twice-other");

    // What the call wrote is what the store holds; the conflicts changed nothing.
    assert_eq!(
        store.get(&fresh.key).await.unwrap(),
        Some(Record::pending(fresh))
    );
    assert_eq!(
        store.get(&taken.key).await.unwrap(),
        Some(Record::pending(taken))
    );
    let all = store
        .list(&RecordFilter::all().batch("rooms"))
        .await
        .unwrap();
    assert_eq!(keys(&all), ["earlier", "sent", "taken", "fresh", "twice"]);
}

pub(super) async fn begin_many_twice_changes_nothing(store: Store) {
    let intents: Vec<Intent> = (0..50)
        .map(|n| intent(&format!("row-{n:02}"), n).with_batch("again"))
        .collect();
    let first: Vec<Record> = store
        .begin_many(intents.clone())
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let expected: Vec<Record> = intents.iter().cloned().map(Record::pending).collect();
    assert_eq!(first, expected, "every intent written, in order");
    // One row sent meanwhile, as a run that crashed after sending it would leave it.
    assert!(store.mark_sending(&intents[7].key, at(60)).await.unwrap());
    let before = store.list(&RecordFilter::all()).await.unwrap();

    let again: Vec<Record> = store
        .begin_many(intents)
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(again, before, "a re-run returns each record as it stands");
    assert_eq!(
        store.list(&RecordFilter::all()).await.unwrap(),
        before,
        "and writes nothing"
    );
}
