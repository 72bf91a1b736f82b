//! Two webhook receivers sharing Redis handle a delivery once.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use feishu_vc_events::{Accepted, Decoder, DedupStore, Receiver};
use feishu_vc_redis::RedisDedup;

use crate::support::RedisServer;

const TOKEN: &str = "verification-token-Qw8";

fn delivery(event_id: &str) -> Vec<u8> {
    serde_json::json!({
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": "vc.meeting.meeting_started_v1",
            "create_time": "1608725989000",
            "token": TOKEN,
            "app_id": "cli_9f5343c580712544",
            "tenant_key": "2ca1d211f64f6438"
        },
        "event": {"meeting": {
            "id": "6911188411934433028",
            "topic": "my meeting",
            "meeting_no": "235812466",
            "start_time": "1608883322",
            "end_time": "1608883899"
        }}
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn the_same_event_id_at_two_receivers_sharing_redis_gives_one_event() {
    let server = RedisServer::start();
    // Two instances of the webhook: each its own connection, one Redis.
    let receivers: Vec<Receiver> = (0..2)
        .map(|_| {
            Receiver::new(Decoder::new().verification_token(TOKEN))
                .dedup_store(Arc::new(server.handle("dedup-test").dedup()))
        })
        .collect();
    let no_headers: [(&str, &str); 0] = [];
    let now = SystemTime::now();
    let first = receivers[0]
        .accept(&no_headers[..], &delivery("ev-shared"), now)
        .await
        .unwrap();
    assert!(matches!(first, Accepted::Event(_)), "{first:?}");
    // Feishu retries the delivery; it lands on the other instance.
    let second = receivers[1]
        .accept(&no_headers[..], &delivery("ev-shared"), now)
        .await
        .unwrap();
    assert_eq!(second, Accepted::Duplicate("ev-shared".to_owned()));
    // Another event is new to both.
    let other = receivers[1]
        .accept(&no_headers[..], &delivery("ev-other"), now)
        .await
        .unwrap();
    assert!(matches!(other, Accepted::Event(_)), "{other:?}");
}

#[tokio::test]
async fn concurrent_sightings_of_one_id_let_exactly_one_through() {
    let server = RedisServer::start();
    let stores: Vec<Arc<RedisDedup>> = (0..8)
        .map(|_| Arc::new(server.handle("dedup-race").dedup()))
        .collect();
    let tasks: Vec<_> = stores
        .iter()
        .map(|store| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .first_sighting("ev-race", SystemTime::now())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut firsts = 0;
    for task in tasks {
        firsts += usize::from(task.await.unwrap());
    }
    assert_eq!(firsts, 1);
}

#[tokio::test]
async fn ids_expire_after_the_window() {
    let server = RedisServer::start();
    let store = RedisDedup::new(server.handle("dedup-window"), Duration::from_millis(200));
    let fresh = RedisDedup::new(server.handle("dedup-window"), Duration::from_millis(200));
    assert!(
        store
            .first_sighting("ev-w", SystemTime::now())
            .await
            .unwrap()
    );
    assert!(
        !fresh
            .first_sighting("ev-w", SystemTime::now())
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Past the window both Redis and the memory have forgotten it.
    let later = SystemTime::now();
    assert!(fresh.first_sighting("ev-w", later).await.unwrap());
}
