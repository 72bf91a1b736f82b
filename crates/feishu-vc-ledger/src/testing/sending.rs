//! A pending record is sent once: `mark_sending` and `mark_sending_new`, raced.

use crate::error::LedgerError;
use crate::record::{IntentKey, Record, State};
use crate::testing::fixtures::{Store, assert_conflict, at, booked, intent, keys};

pub(super) async fn mark_sending_takes_a_pending_record_once(store: Store) {
    let key = IntentKey::new("a");
    store.begin(intent("a", 1)).await.unwrap();
    assert!(store.mark_sending(&key, at(5)).await.unwrap());
    let record = store.get(&key).await.unwrap().unwrap();
    assert_eq!(record.state, State::Sending);
    assert_eq!(record.attempts, 1);
    assert_eq!(record.updated_at, at(5));
    assert!(
        !store.mark_sending(&key, at(6)).await.unwrap(),
        "sending already"
    );
    assert_eq!(store.get(&key).await.unwrap().unwrap().attempts, 1);

    store.settle(&key, booked("r", "1", 99, 7)).await.unwrap();
    assert!(!store.mark_sending(&key, at(8)).await.unwrap(), "booked");
    assert!(matches!(
        store.mark_sending(&IntentKey::new("missing"), at(8)).await,
        Err(LedgerError::NotFound(_))
    ));
}

pub(super) async fn mark_sending_races_have_one_winner(store: Store) {
    for n in 0..20 {
        let key = IntentKey::new(format!("race-{n}"));
        store.begin(intent(key.as_str(), n)).await.unwrap();
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (store, key) = (store.clone(), key.clone());
                tokio::spawn(async move { store.mark_sending(&key, at(n)).await.unwrap() })
            })
            .collect();
        let mut won = 0;
        for racer in racers {
            won += usize::from(racer.await.unwrap());
        }
        assert_eq!(won, 1, "exactly one of two racing senders takes {key}");
        assert_eq!(store.get(&key).await.unwrap().unwrap().attempts, 1);
    }
}

pub(super) async fn mark_sending_new_writes_a_new_key_sending_or_marks_its_pending_record(
    store: Store,
) {
    let new = intent("new", 1).with_batch("rooms").with_keep(true);
    assert!(store.mark_sending_new(new.clone(), at(5)).await.unwrap());
    let mut expected = Record::pending(new.clone());
    expected.state = State::Sending;
    expected.attempts = 1;
    expected.updated_at = at(5);
    assert_eq!(
        store.get(&new.key).await.unwrap(),
        Some(expected),
        "a new key is written, already sending"
    );
    assert!(
        !store.mark_sending_new(new.clone(), at(6)).await.unwrap(),
        "sending already: not sent again"
    );
    assert_eq!(store.get(&new.key).await.unwrap().unwrap().attempts, 1);

    let pending = intent("pending", 2);
    store.begin(pending.clone()).await.unwrap();
    assert!(
        store
            .mark_sending_new(pending.clone(), at(7))
            .await
            .unwrap()
    );
    let marked = store.get(&pending.key).await.unwrap().unwrap();
    assert_eq!((marked.state, marked.attempts), (State::Sending, 1));

    let waiting = intent("waiting", 3);
    store.begin(waiting.clone()).await.unwrap();
    let mut other = waiting.clone();
    other.fingerprint = "fp-other".to_owned();
    assert_conflict(
        &store.mark_sending_new(other, at(8)).await,
        "waiting",
        "fp-waiting",
        "fp-other",
    );
    assert_eq!(
        store.get(&waiting.key).await.unwrap(),
        Some(Record::pending(waiting)),
        "a conflict changes nothing"
    );

    // Its sending time is recorded: a sender that dies now leaves it interrupted.
    let interrupted = store
        .settle_interrupted(Some("rooms"), at(6))
        .await
        .unwrap();
    assert_eq!(keys(&interrupted), ["new"]);
}

pub(super) async fn mark_sending_new_races_have_one_winner(store: Store) {
    for n in 0..20 {
        let written = intent(&format!("race-{n}"), n);
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (store, written) = (store.clone(), written.clone());
                tokio::spawn(async move { store.mark_sending_new(written, at(n)).await.unwrap() })
            })
            .collect();
        let mut won = 0;
        for racer in racers {
            won += usize::from(racer.await.unwrap());
        }
        let key = &written.key;
        assert_eq!(won, 1, "exactly one of two racing senders writes {key}");
        assert_eq!(store.get(key).await.unwrap().unwrap().attempts, 1);
    }
}
