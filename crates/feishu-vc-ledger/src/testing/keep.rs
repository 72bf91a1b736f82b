//! Booked reservations: `set_end_time`, `set_ended`, `set_keep`, and the keepers' claims
//! (`claim_due`, `release`), raced.

use std::collections::BTreeSet;

use feishu_vc_model::ReserveId;

use crate::error::LedgerError;
use crate::record::{IntentKey, Outcome, Refusal, State};
use crate::testing::fixtures::{Store, at, book, claim, intent, keys};

pub(super) async fn booked_reservations_change_end_time_end_and_keep(store: Store) {
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

pub(super) async fn claim_due_takes_due_kept_booked_unclaimed_records(store: Store) {
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

pub(super) async fn claims_lapse_and_release(store: Store) {
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

pub(super) async fn racing_keepers_never_claim_the_same_record(store: Store) {
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
