//! The conformance suite every [`LedgerStore`] passes: one check per rule of the store's
//! contract, run against a fresh store each.
//!
//! ```no_run
//! # async fn run() {
//! use std::sync::Arc;
//! use feishu_vc_ledger::{InMemoryLedger, LedgerStore};
//!
//! feishu_vc_ledger::testing::conformance(|| async {
//!     Arc::new(InMemoryLedger::new()) as Arc<dyn LedgerStore>
//! })
//! .await;
//! # }
//! ```
//!
//! The checks spawn tasks to race two workers: run the suite on a multi-threaded tokio runtime
//! (`#[tokio::test(flavor = "multi_thread")]`).

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;

use feishu_vc_events::OwnerId;
use feishu_vc_model::{MeetingNo, ReserveId, Timestamp, UserIdType};

use crate::error::LedgerError;
use crate::record::{Claim, Intent, IntentKey, Outcome, Record, RecordFilter, Refusal, State};
use crate::store::LedgerStore;

/// A store under test.
pub type Store = Arc<dyn LedgerStore>;

/// Runs every check, each on a store `make` returns fresh (empty); panics naming the first
/// check that fails.
pub async fn conformance<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Store>,
{
    macro_rules! run {
        ($($check:ident),* $(,)?) => {$(
            eprintln!("ledger conformance: {}", stringify!($check));
            $check(make().await).await;
        )*};
    }
    run!(
        begin_is_idempotent_and_refuses_conflicts,
        begin_many_gives_each_intent_its_own_result,
        begin_many_twice_changes_nothing,
        mark_sending_takes_a_pending_record_once,
        mark_sending_races_have_one_winner,
        mark_sending_new_writes_a_new_key_sending_or_marks_its_pending_record,
        mark_sending_new_races_have_one_winner,
        settle_records_each_outcome_only_from_sending,
        not_booked_returns_a_sending_record_to_pending,
        settle_interrupted_takes_only_old_sending_records_of_the_batch,
        reopen_moves_only_unknown_back_to_pending,
        list_filters_and_orders_oldest_intent_first,
        booked_reservations_change_end_time_end_and_keep,
        claim_due_takes_due_kept_booked_unclaimed_records,
        claims_lapse_and_release,
        racing_keepers_never_claim_the_same_record,
        by_meeting_no_follows_number_reuse_and_deletion,
        a_batch_lock_excludes_other_runs_of_that_batch_only,
    );
}

/// `base + seconds`: the suite's clock.
pub fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_800_000_000 + seconds)
}

/// An intent named `key`, written at `at(created)`, with every optional part set.
pub fn intent(key: &str, created: i64) -> Intent {
    Intent::new(
        IntentKey::new(key),
        format!("fp-{key}"),
        at(created + 3600),
        format!(
            r#"{{"end_time":"{}","key":"{key}"}}"#,
            at(created + 3600).unix_seconds()
        ),
        at(created),
    )
    .with_owner(OwnerId::new(UserIdType::OpenId, "ou_conformance"))
    .with_topic(format!("topic {key}"))
}

/// What a booked outcome records: reservation `id`, meeting number `no`.
pub fn booked(id: &str, no: &str, end: i64, when: i64) -> Outcome {
    Outcome::Booked {
        reserve_id: ReserveId::new(id),
        meeting_no: MeetingNo::new(no),
        url: Some(format!("https://vc.example/j/{no}")),
        end_time: at(end),
        log_id: Some(format!("log-{id}")),
        at: at(when),
    }
}

/// Writes `intent`, sends it and books it as reservation `id` with number `no`.
pub async fn book(store: &Store, intent: Intent, id: &str, no: &str, end: i64) -> Record {
    let key = intent.key.clone();
    let when = intent.created_at.unix_seconds() - at(0).unix_seconds();
    store.begin(intent).await.unwrap();
    assert!(store.mark_sending(&key, at(when)).await.unwrap());
    store.settle(&key, booked(id, no, end, when)).await.unwrap()
}

fn keys(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| r.key().to_string()).collect()
}

fn claim(worker: &str, until: i64) -> Claim {
    Claim {
        worker: worker.to_owned(),
        until: at(until),
    }
}

async fn begin_is_idempotent_and_refuses_conflicts(store: Store) {
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

/// A conflict `result` for `key`: recorded `recorded`, given `given`.
fn assert_conflict<T: std::fmt::Debug>(
    result: &Result<T, LedgerError>,
    key: &str,
    recorded: &str,
    given: &str,
) {
    match result {
        Err(LedgerError::Conflict {
            key: k,
            recorded: r,
            given: g,
        }) => assert_eq!(
            (k.as_str(), r.as_str(), g.as_str()),
            (key, recorded, given),
            "the conflict names the key and both fingerprints"
        ),
        other => panic!("`{key}` with another fingerprint is a conflict, got {other:?}"),
    }
}

async fn begin_many_gives_each_intent_its_own_result(store: Store) {
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

async fn begin_many_twice_changes_nothing(store: Store) {
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

async fn mark_sending_takes_a_pending_record_once(store: Store) {
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

async fn mark_sending_races_have_one_winner(store: Store) {
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

async fn mark_sending_new_writes_a_new_key_sending_or_marks_its_pending_record(store: Store) {
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

async fn mark_sending_new_races_have_one_winner(store: Store) {
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

async fn settle_records_each_outcome_only_from_sending(store: Store) {
    for key in ["booked", "unknown", "refused"] {
        store.begin(intent(key, 1)).await.unwrap();
    }
    let key = IntentKey::new("booked");
    match store.settle(&key, booked("r1", "111", 50, 2)).await {
        Err(LedgerError::WrongState {
            state, expected, ..
        }) => assert_eq!((state, expected), (State::Pending, "sending")),
        other => panic!("settling a pending record is refused, got {other:?}"),
    }
    assert!(matches!(
        store
            .settle(&IntentKey::new("missing"), booked("r", "1", 5, 5))
            .await,
        Err(LedgerError::NotFound(_))
    ));

    assert!(store.mark_sending(&key, at(2)).await.unwrap());
    let record = store
        .settle(&key, booked("r1", "111", 50, 3))
        .await
        .unwrap();
    assert_eq!(record.state, State::Booked);
    assert_eq!(record.reserve_id, Some(ReserveId::new("r1")));
    assert_eq!(record.meeting_no, Some(MeetingNo::new("111")));
    assert_eq!(record.url.as_deref(), Some("https://vc.example/j/111"));
    assert_eq!(record.end_time, at(50));
    assert_eq!(
        record.intent.end_time,
        at(3601),
        "the intent is kept as written"
    );
    assert_eq!(record.booked_at, Some(at(3)));
    assert_eq!(record.checked_at, Some(at(3)));
    assert_eq!(record.updated_at, at(3));
    assert_eq!(record.log_id.as_deref(), Some("log-r1"));
    assert_eq!(record.refusal, None);
    assert_eq!(store.get(&key).await.unwrap(), Some(record.clone()));
    assert_eq!(
        store.by_reserve_id(&ReserveId::new("r1")).await.unwrap(),
        Some(record)
    );
    assert_eq!(
        store.by_reserve_id(&ReserveId::new("r9")).await.unwrap(),
        None
    );
    match store.settle(&key, booked("r2", "222", 50, 4)).await {
        Err(LedgerError::WrongState { state, .. }) => assert_eq!(state, State::Booked),
        other => panic!("a booked record cannot be settled again, got {other:?}"),
    }

    let key = IntentKey::new("unknown");
    assert!(store.mark_sending(&key, at(2)).await.unwrap());
    let outcome = Outcome::Unknown {
        log_id: Some("log-u".to_owned()),
        detail: "no answer".to_owned(),
        at: at(4),
    };
    let record = store.settle(&key, outcome).await.unwrap();
    assert_eq!(record.state, State::Unknown);
    assert_eq!(record.log_id.as_deref(), Some("log-u"));
    let refusal = Refusal {
        code: None,
        message: "no answer".to_owned(),
    };
    assert_eq!(record.refusal, Some(refusal));
    assert_eq!((record.reserve_id.clone(), record.booked_at), (None, None));
    assert_eq!(record.updated_at, at(4));
    assert_eq!(store.get(&key).await.unwrap(), Some(record));

    let key = IntentKey::new("refused");
    assert!(store.mark_sending(&key, at(2)).await.unwrap());
    let refusal = Refusal {
        code: Some(121001),
        message: "end_time too late".to_owned(),
    };
    let outcome = Outcome::Refused {
        refusal: refusal.clone(),
        log_id: Some("log-f".to_owned()),
        at: at(5),
    };
    let record = store.settle(&key, outcome).await.unwrap();
    assert_eq!(record.state, State::Refused);
    assert_eq!(record.refusal, Some(refusal));
    assert_eq!(record.log_id.as_deref(), Some("log-f"));
    assert_eq!(store.get(&key).await.unwrap(), Some(record));
}

/// An outcome "not booked, may be sent again" at `at(when)`, with code `code`.
fn not_booked(code: Option<i64>, when: i64) -> Outcome {
    Outcome::NotBooked {
        refusal: Refusal {
            code,
            message: "rate limited (HTTP 429)".to_owned(),
        },
        log_id: Some(format!("log-nb-{when}")),
        at: at(when),
    }
}

async fn not_booked_returns_a_sending_record_to_pending(store: Store) {
    let key = IntentKey::new("later");
    store.begin(intent("later", 1)).await.unwrap();
    match store.settle(&key, not_booked(Some(99991400), 2)).await {
        Err(LedgerError::WrongState { state, .. }) => assert_eq!(state, State::Pending),
        other => panic!("only a sending record can be settled, got {other:?}"),
    }
    assert!(store.mark_sending(&key, at(2)).await.unwrap());
    let record = store
        .settle(&key, not_booked(Some(99991400), 3))
        .await
        .unwrap();
    assert_eq!(record.state, State::Pending, "not booked: pending again");
    assert_eq!(record.attempts, 1, "its attempt is counted");
    let refusal = Refusal {
        code: Some(99991400),
        message: "rate limited (HTTP 429)".to_owned(),
    };
    assert_eq!(record.refusal, Some(refusal), "its last error is kept");
    assert_eq!(record.log_id.as_deref(), Some("log-nb-3"));
    assert_eq!((record.reserve_id.clone(), record.booked_at), (None, None));
    assert_eq!(record.updated_at, at(3));
    assert_eq!(store.get(&key).await.unwrap(), Some(record));
    // Sendable again, by exactly one worker, and bookable.
    assert!(store.mark_sending(&key, at(4)).await.unwrap());
    assert!(!store.mark_sending(&key, at(4)).await.unwrap());
    let record = store
        .settle(&key, booked("r1", "111", 50, 5))
        .await
        .unwrap();
    assert_eq!((record.state, record.attempts), (State::Booked, 2));
    assert_eq!(record.refusal, None);
    // A settled record is never moved back to pending.
    match store.settle(&key, not_booked(None, 6)).await {
        Err(LedgerError::WrongState { state, .. }) => assert_eq!(state, State::Booked),
        other => panic!("a booked record cannot become pending, got {other:?}"),
    }
    for (name, outcome) in [
        (
            "refused",
            Outcome::Refused {
                refusal: Refusal {
                    code: Some(121005),
                    message: "no permission".to_owned(),
                },
                log_id: None,
                at: at(7),
            },
        ),
        (
            "unknown",
            Outcome::Unknown {
                log_id: None,
                detail: "no answer".to_owned(),
                at: at(7),
            },
        ),
    ] {
        let key = IntentKey::new(name);
        store.begin(intent(name, 1)).await.unwrap();
        assert!(store.mark_sending(&key, at(7)).await.unwrap());
        let settled = store.settle(&key, outcome).await.unwrap();
        match store.settle(&key, not_booked(None, 8)).await {
            Err(LedgerError::WrongState { state, .. }) => assert_eq!(state, settled.state),
            other => panic!("a {name} record cannot become pending, got {other:?}"),
        }
        assert!(!store.mark_sending(&key, at(8)).await.unwrap());
        assert_eq!(store.get(&key).await.unwrap(), Some(settled));
    }
}

async fn a_batch_lock_excludes_other_runs_of_that_batch_only(store: Store) {
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

async fn settle_interrupted_takes_only_old_sending_records_of_the_batch(store: Store) {
    let cases = [
        ("a-old", "a", Some(10)),
        ("a-new", "a", Some(20)),
        ("a-edge", "a", Some(15)),
        ("b-old", "b", Some(10)),
        ("a-pending", "a", None),
    ];
    for (n, (key, batch, sent)) in cases.into_iter().enumerate() {
        store
            .begin(intent(key, n as i64).with_batch(batch))
            .await
            .unwrap();
        if let Some(sent) = sent {
            assert!(
                store
                    .mark_sending(&IntentKey::new(key), at(sent))
                    .await
                    .unwrap()
            );
        }
    }
    store
        .begin(intent("a-booked", 9).with_batch("a"))
        .await
        .unwrap();
    store
        .mark_sending(&IntentKey::new("a-booked"), at(1))
        .await
        .unwrap();
    store
        .settle(&IntentKey::new("a-booked"), booked("r", "1", 99, 2))
        .await
        .unwrap();

    let settled = store.settle_interrupted(Some("a"), at(15)).await.unwrap();
    assert_eq!(
        keys(&settled),
        ["a-old"],
        "only batch a's, sending since before 15"
    );
    let record = &settled[0];
    assert_eq!(record.state, State::Unknown);
    assert_eq!(record.refusal.as_ref().and_then(|r| r.code), None);
    assert!(record.refusal.is_some(), "says it was interrupted");
    assert_eq!(
        store.get(record.key()).await.unwrap().as_ref(),
        Some(record)
    );
    for (key, state) in [
        ("a-new", State::Sending),
        ("a-edge", State::Sending),
        ("b-old", State::Sending),
        ("a-pending", State::Pending),
        ("a-booked", State::Booked),
    ] {
        let record = store.get(&IntentKey::new(key)).await.unwrap().unwrap();
        assert_eq!(record.state, state, "{key} is left alone");
    }

    let settled = store.settle_interrupted(None, at(30)).await.unwrap();
    assert_eq!(
        keys(&settled),
        ["a-new", "a-edge", "b-old"],
        "every batch's, oldest intent first"
    );
    assert!(settled.iter().all(|r| r.state == State::Unknown));
    assert!(
        store
            .settle_interrupted(None, at(99))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn reopen_moves_only_unknown_back_to_pending(store: Store) {
    let key = IntentKey::new("a");
    store.begin(intent("a", 1)).await.unwrap();
    match store.reopen(&key).await {
        Err(LedgerError::WrongState {
            state, expected, ..
        }) => assert_eq!((state, expected), (State::Pending, "unknown")),
        other => panic!("only an unknown record can be reopened, got {other:?}"),
    }
    assert!(matches!(
        store.reopen(&IntentKey::new("missing")).await,
        Err(LedgerError::NotFound(_))
    ));
    store.mark_sending(&key, at(2)).await.unwrap();
    store.settle_interrupted(None, at(3)).await.unwrap();
    let record = store.reopen(&key).await.unwrap();
    assert_eq!(record.state, State::Pending);
    assert_eq!(
        store.get(&key).await.unwrap().unwrap().state,
        State::Pending
    );
    assert!(
        store.mark_sending(&key, at(4)).await.unwrap(),
        "sendable again"
    );
    assert_eq!(store.get(&key).await.unwrap().unwrap().attempts, 2);
}

async fn list_filters_and_orders_oldest_intent_first(store: Store) {
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

async fn booked_reservations_change_end_time_end_and_keep(store: Store) {
    let id = ReserveId::new("r1");
    let missing = ReserveId::new("missing");
    book(&store, intent("a", 1), "r1", "111", 100).await;

    let record = store.set_end_time(&id, at(500), at(40)).await.unwrap();
    assert_eq!(record.end_time, at(500));
    assert_eq!(record.checked_at, Some(at(40)));
    assert_eq!(record.updated_at, at(40));
    assert_eq!(record.state, State::Booked);
    assert!(matches!(
        store.set_end_time(&missing, at(5), at(5)).await,
        Err(LedgerError::NotFound(_))
    ));

    let record = store.set_keep(&id, true).await.unwrap();
    assert!(record.intent.keep);
    assert!(!store.set_keep(&id, false).await.unwrap().intent.keep);
    assert!(
        store
            .get(record.key())
            .await
            .unwrap()
            .is_some_and(|r| !r.intent.keep)
    );
    assert!(matches!(
        store.set_keep(&missing, true).await,
        Err(LedgerError::NotFound(_))
    ));

    match store.set_ended(&id, State::Booked, at(50)).await {
        Err(LedgerError::WrongState { .. }) => {}
        other => panic!("booked is not an end, got {other:?}"),
    }
    assert!(matches!(
        store.set_ended(&missing, State::Deleted, at(5)).await,
        Err(LedgerError::NotFound(_))
    ));
    for state in [State::Deleted, State::Expired, State::Gone] {
        let record = store.set_ended(&id, state, at(60)).await.unwrap();
        assert_eq!(record.state, state);
        assert_eq!(record.ended_at, Some(at(60)));
        assert_eq!(record.checked_at, Some(at(60)));
        assert_eq!(store.by_reserve_id(&id).await.unwrap(), Some(record));
    }
}

async fn claim_due_takes_due_kept_booked_unclaimed_records(store: Store) {
    book(&store, intent("k100", 1).with_keep(true), "r100", "1", 100).await;
    book(&store, intent("k200", 2).with_keep(true), "r200", "2", 200).await;
    book(&store, intent("k300", 3).with_keep(true), "r300", "3", 300).await;
    book(&store, intent("not-kept", 4), "r4", "4", 100).await;
    let ended = book(&store, intent("ended", 5).with_keep(true), "r5", "5", 100).await;
    store
        .set_ended(ended.reserve_id.as_ref().unwrap(), State::Deleted, at(6))
        .await
        .unwrap();
    store
        .begin(intent("pending", 6).with_keep(true))
        .await
        .unwrap();
    store
        .begin(intent("refused", 7).with_keep(true))
        .await
        .unwrap();
    store
        .mark_sending(&IntentKey::new("refused"), at(7))
        .await
        .unwrap();
    let refusal = Refusal {
        code: Some(1),
        message: "no".to_owned(),
    };
    let outcome = Outcome::Refused {
        refusal,
        log_id: None,
        at: at(7),
    };
    store
        .settle(&IntentKey::new("refused"), outcome)
        .await
        .unwrap();

    let w1 = claim("w1", 50);
    let first = store.claim_due(at(300), at(10), &w1, 1).await.unwrap();
    assert_eq!(first.len(), 1, "at most the limit");
    let rest = store.claim_due(at(300), at(10), &w1, 10).await.unwrap();
    let mut got = keys(&first);
    got.extend(keys(&rest));
    got.sort();
    assert_eq!(
        got,
        ["k100", "k200"],
        "kept and booked, end time before due (300 is not before 300)"
    );
    assert_eq!(rest[0].state, State::Booked);
    assert!(
        store
            .claim_due(at(300), at(10), &w1, 10)
            .await
            .unwrap()
            .is_empty(),
        "held"
    );
    let w2 = claim("w2", 60);
    assert!(
        store
            .claim_due(at(300), at(49), &w2, 10)
            .await
            .unwrap()
            .is_empty(),
        "another worker waits for the claim to lapse"
    );
    let late = store.claim_due(at(301), at(49), &w2, 10).await.unwrap();
    assert_eq!(keys(&late), ["k300"], "due now, and free");
}

async fn claims_lapse_and_release(store: Store) {
    let r1 = ReserveId::new("r1");
    let r2 = ReserveId::new("r2");
    book(&store, intent("k1", 1).with_keep(true), "r1", "1", 100).await;
    book(&store, intent("k2", 2).with_keep(true), "r2", "2", 100).await;
    let due = at(1000);

    assert_eq!(
        store
            .claim_due(due, at(10), &claim("w1", 50), 10)
            .await
            .unwrap()
            .len(),
        2
    );
    let lapsed = store
        .claim_due(due, at(50), &claim("w2", 90), 10)
        .await
        .unwrap();
    assert_eq!(keys(&lapsed), ["k1", "k2"], "a claim lapses at its end");

    store.release(&r1, "w1").await.unwrap();
    assert!(
        store
            .claim_due(due, at(60), &claim("w3", 99), 10)
            .await
            .unwrap()
            .is_empty(),
        "releasing another worker's claim does nothing"
    );
    store.release(&r1, "w2").await.unwrap();
    let released = store
        .claim_due(due, at(60), &claim("w3", 99), 10)
        .await
        .unwrap();
    assert_eq!(
        keys(&released),
        ["k1"],
        "a released record is claimable at once"
    );
    store
        .release(&ReserveId::new("missing"), "w3")
        .await
        .unwrap();

    // Renewed past `due`: no longer due, whoever held it.
    store.set_end_time(&r2, at(2000), at(95)).await.unwrap();
    store.release(&r2, "w2").await.unwrap();
    assert!(
        store
            .claim_due(due, at(200), &claim("w4", 300), 10)
            .await
            .unwrap()
            .len()
            == 1
    );
}

async fn racing_keepers_never_claim_the_same_record(store: Store) {
    for n in 0..40 {
        let key = format!("k{n}");
        let id = format!("r{n}");
        book(
            &store,
            intent(&key, n).with_keep(true),
            &id,
            &n.to_string(),
            100 + n,
        )
        .await;
    }
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let claim = claim(&format!("w{w}"), 10_000);
                let mut mine = Vec::new();
                loop {
                    let got = store.claim_due(at(1000), at(50), &claim, 3).await.unwrap();
                    if got.is_empty() {
                        break mine;
                    }
                    mine.extend(keys(&got));
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), distinct.len(), "a record claimed twice: {all:?}");
    assert_eq!(distinct.len(), 40, "every due record claimed");
}

async fn by_meeting_no_follows_number_reuse_and_deletion(store: Store) {
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
