//! Keys: namespaced under the prefix, and never holding the app secret.

use feishu_vc_emulator::Emulator;

use crate::support::{RedisServer, booking, client, keys};

#[tokio::test]
async fn every_key_is_under_the_prefix_and_none_holds_the_secret() {
    let server = RedisServer::start();
    let emulator = Emulator::builder().start().await.unwrap();
    let redis = server.handle("tenant-a:feishu");
    let client = client(
        emulator.base_url(),
        emulator.app_id(),
        emulator.app_secret(),
        Some(&redis),
    );
    client.reserves().apply(booking("keys-1")).await.unwrap();

    let keys = keys(&server.url(), "*").await;
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(key.starts_with("tenant-a:feishu:"), "{key}");
        assert!(!key.contains(emulator.app_secret()), "{key}");
    }
    let token_key = keys
        .iter()
        .find(|k| k.starts_with("tenant-a:feishu:tenant_token:"))
        .expect("the tenant token is cached");
    assert!(token_key.contains(emulator.app_id()));
    assert!(
        keys.iter()
            .any(|k| k.contains(":rate:{") && k.contains("apply_reserve")),
        "{keys:?}"
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn debug_output_never_shows_the_redis_password() {
    let redis = feishu_vc_redis::Redis::builder("redis://:hunter2-pass@127.0.0.1:1/")
        .prefix("p")
        .build()
        .unwrap();
    let shown = format!(
        "{redis:?} {:?} {:?} {:?}",
        redis.token_cache(),
        redis.rate_limiter(),
        redis.dedup()
    );
    assert!(shown.contains("prefix"), "{shown}");
    assert!(!shown.contains("hunter2-pass"), "{shown}");
}
