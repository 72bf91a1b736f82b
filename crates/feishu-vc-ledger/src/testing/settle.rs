//! What sending came to: `settle` (not booked included), `settle_interrupted`, `reopen`.

use feishu_vc_model::{MeetingNo, ReserveId};

use crate::error::LedgerError;
use crate::record::{IntentKey, Outcome, Refusal, State};
use crate::testing::fixtures::{Store, at, booked, intent, keys};

pub(super) async fn settle_records_each_outcome_only_from_sending(store: Store) {
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

pub(super) async fn not_booked_returns_a_sending_record_to_pending(store: Store) {
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

pub(super) async fn settle_interrupted_takes_only_old_sending_records_of_the_batch(store: Store) {
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

pub(super) async fn reopen_moves_only_unknown_back_to_pending(store: Store) {
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
