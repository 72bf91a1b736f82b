use std::sync::Arc;
use std::time::{Duration, SystemTime};

use feishu_vc_events::{Accepted, DEFAULT_WINDOW, DedupStore, InMemoryDedup, Receiver};

use crate::support::{KEY, as_pairs, decoder, encrypt, meeting_started, signed_headers};

fn t(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds)
}

#[tokio::test]
async fn the_same_delivery_twice_gives_one_event() {
    let receiver = Receiver::new(decoder());
    let body = encrypt(
        KEY,
        meeting_started("ev-dup", "235812466", 1_700_000_000).as_bytes(),
    );
    let headers = signed_headers(KEY, body.as_bytes());
    let first = receiver
        .accept(as_pairs(&headers).as_slice(), body.as_bytes(), t(0))
        .await
        .unwrap();
    assert!(matches!(first, Accepted::Event(_)), "{first:?}");
    // Feishu's last retry comes ~7.1 h later; re-encrypted bodies differ, the event id does not.
    let again = encrypt(
        KEY,
        meeting_started("ev-dup", "235812466", 1_700_000_000).as_bytes(),
    );
    let headers = signed_headers(KEY, again.as_bytes());
    let second = receiver
        .accept(
            as_pairs(&headers).as_slice(),
            again.as_bytes(),
            t(7 * 3600 + 360),
        )
        .await
        .unwrap();
    assert_eq!(second, Accepted::Duplicate("ev-dup".to_owned()));
}

#[test]
fn the_default_window_covers_feishus_retry_schedule() {
    // Retries at 15 s, 5 min, 1 h and 6 h after failures: about 7.1 h from the first attempt.
    let schedule = Duration::from_secs(15 + 5 * 60 + 3600 + 6 * 3600);
    assert!(DEFAULT_WINDOW >= schedule);
    assert_eq!(DEFAULT_WINDOW, Duration::from_secs(24 * 3600));
    let store = InMemoryDedup::default();
    assert!(store.insert("a", t(0)));
    for retry in [15, 315, 3915, 25515] {
        assert!(
            !store.insert("a", t(retry)),
            "retry at {retry} s was let through"
        );
    }
    assert!(!store.insert("a", t(24 * 3600 - 1)));
}

#[test]
fn ids_are_forgotten_after_the_window() {
    let store = InMemoryDedup::new(Duration::from_secs(60), 10);
    assert!(store.insert("a", t(0)));
    assert!(!store.insert("a", t(59)));
    assert!(store.insert("a", t(61)));
}

#[test]
fn memory_is_bounded_by_the_capacity() {
    let store = InMemoryDedup::new(DEFAULT_WINDOW, 100);
    for i in 0..10_000 {
        assert!(store.insert(&format!("ev-{i}"), t(i)));
        assert!(store.len() <= 100, "{} ids kept", store.len());
    }
    assert_eq!(store.len(), 100);
    // The newest are remembered, the oldest evicted.
    assert!(!store.insert("ev-9999", t(10_000)));
    assert!(store.insert("ev-0", t(10_001)));
}

#[tokio::test]
async fn a_custom_store_is_used() {
    let store = Arc::new(InMemoryDedup::new(DEFAULT_WINDOW, 10));
    let receiver = Receiver::new(decoder()).dedup_store(store.clone());
    let body = encrypt(KEY, meeting_started("ev-x", "1", 1).as_bytes());
    let headers = signed_headers(KEY, body.as_bytes());
    receiver
        .accept(as_pairs(&headers).as_slice(), body.as_bytes(), t(0))
        .await
        .unwrap();
    assert!(!store.first_sighting("ev-x", t(1)).await.unwrap());
}
