//! The optional rate limit, and how the client handles it.

use std::time::{Duration, Instant};

use feishu_vc::RetryPolicy;
use feishu_vc::model::{ErrorCode, RateLimit};
use feishu_vc_emulator::Emulator;
use reqwest::Method;

use crate::{alice_meeting, builder, client, raw};

fn one_a_second() -> RateLimit {
    RateLimit {
        per_second: 1,
        per_minute: 1000,
    }
}

#[tokio::test]
async fn client_waits_out_the_rate_limit_and_succeeds() {
    let emulator = Emulator::builder()
        .rate_limit_with(one_a_second())
        .start()
        .await
        .unwrap();
    let client = client(&emulator);
    let id = client
        .reserves()
        .apply(alice_meeting(&emulator, "x"))
        .await
        .unwrap()
        .data
        .reserve
        .id
        .unwrap();
    client.reserves().get(id.clone()).await.unwrap();
    let started = Instant::now();
    // Throttled (1 get a second), told to wait 1 s, waits, retries, succeeds.
    let got = client.reserves().get(id).await.unwrap();
    assert!(got.data.reserve.is_some());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn rate_limit_surfaces_with_retries_off() {
    let emulator = Emulator::builder()
        .rate_limit_with(one_a_second())
        .start()
        .await
        .unwrap();
    let client = builder(&emulator)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    client
        .reserves()
        .get("1234567890123456789")
        .await
        .unwrap_err();
    let err = client
        .reserves()
        .get("1234567890123456789")
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(err.code(), Some(ErrorCode::RateLimited));
    assert_eq!(err.http_status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));

    // Raw: status, body and headers.
    let token = emulator.mint_tenant_token().await.unwrap();
    let url = format!("{}/open-apis/vc/v1/reserves/1", emulator.base_url());
    let first = raw(
        Method::DELETE,
        url.clone(),
        Some(token.expose_secret()),
        None,
    )
    .await;
    assert_eq!(first.body["code"], 121004);
    let second = raw(Method::DELETE, url, Some(token.expose_secret()), None).await;
    assert_eq!(second.status, 429);
    assert_eq!(second.body["code"], 99991400);
    assert_eq!(second.body["msg"], "request trigger frequency limit");
    assert_eq!(second.headers["x-ogw-ratelimit-limit"], "1");
    assert_eq!(second.headers["x-ogw-ratelimit-reset"], "1");
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn documented_limit_is_50_calls_a_second() {
    let emulator = Emulator::builder().rate_limit(true).start().await.unwrap();
    let token = emulator.mint_tenant_token().await.unwrap();
    let url = format!("{}/open-apis/vc/v1/reserves/1", emulator.base_url());
    let calls = (0..120).map(|_| {
        let url = url.clone();
        let token = token.expose_secret().to_owned();
        tokio::spawn(async move { raw(Method::GET, url, Some(&token), None).await })
    });
    let mut throttled = 0;
    for call in calls.collect::<Vec<_>>() {
        let answer = call.await.unwrap();
        if answer.status == 429 {
            throttled += 1;
            assert_eq!(answer.headers["x-ogw-ratelimit-limit"], "50");
        } else {
            assert_eq!(answer.body["code"], 121004);
        }
    }
    assert!(throttled >= 20, "{throttled} of 120 throttled");

    // Off by default.
    let free = Emulator::start_default().await.unwrap();
    let token = free.mint_tenant_token().await.unwrap();
    let url = format!("{}/open-apis/vc/v1/reserves/1", free.base_url());
    for _ in 0..60 {
        let answer = raw(Method::GET, url.clone(), Some(token.expose_secret()), None).await;
        assert_eq!(answer.status, 404);
    }
    free.shutdown().await.unwrap();
    emulator.shutdown().await.unwrap();
}
