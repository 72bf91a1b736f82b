//! What the checks share: the store under test, the suite's clock, and records made to order.

use std::sync::Arc;

use feishu_vc_events::OwnerId;
use feishu_vc_model::{MeetingNo, ReserveId, Timestamp, UserIdType};

use crate::error::LedgerError;
use crate::record::{Claim, Intent, IntentKey, Outcome, Record};
use crate::store::LedgerStore;

/// A store under test.
pub type Store = Arc<dyn LedgerStore>;

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

pub(super) fn keys(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| r.key().to_string()).collect()
}

pub(super) fn claim(worker: &str, until: i64) -> Claim {
    Claim {
        worker: worker.to_owned(),
        until: at(until),
    }
}

/// A conflict `result` for `key`: recorded `recorded`, given `given`.
pub(super) fn assert_conflict<T: std::fmt::Debug>(
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
