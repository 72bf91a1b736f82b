//! A booking is never sent twice once it may have reached Feishu: a server error, a timeout or a
//! lost connection is "outcome unknown". A throttled booking was not processed, so it is retried.

use std::time::{Duration, Instant};

use feishu_vc::Error;
use feishu_vc::model::ErrorCode;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

#[tokio::test]
async fn apply_answered_500_is_sent_once_and_outcome_unknown() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("x-tt-logid", "log-500")
                .set_body_json(json!({"code": 121001, "msg": "internal error"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = client(&server)
        .reserves()
        .apply(valid_apply())
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::InternalError));
    assert_eq!(err.code().unwrap().code(), 121_001);
    assert_eq!(err.log_id(), Some("log-500"));
    assert_eq!(err.http_status(), Some(500));
    assert_eq!(err.api().unwrap().msg, "internal error");
}

#[tokio::test]
async fn apply_timing_out_is_sent_once_and_outcome_unknown() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(ok(reserve_data()).set_delay(Duration::from_secs(2)))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let started = Instant::now();
    let err = client(&server)
        .reserves()
        .apply(valid_apply())
        .with_timeout(Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(err.is_timeout(), "{err:?}");
    assert_hides(&err, &[APP_SECRET, "t-1"]);
    assert!(matches!(&err, Error::OutcomeUnknown(inner) if matches!(**inner, Error::Timeout(_))));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the per-call timeout was not applied"
    );
}

#[tokio::test]
async fn apply_on_a_connection_closed_after_the_request_is_sent_once_and_outcome_unknown() {
    let server = DroppingServer::start().await;
    let client = builder(&server.uri()).build().unwrap();
    let err = client.reserves().apply(valid_apply()).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(
        matches!(&err, Error::OutcomeUnknown(inner) if matches!(**inner, Error::Network(_))),
        "{err:?}"
    );
    assert_hides(&err, &[APP_SECRET, DROPPING_SERVER_TOKEN]);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(
        server.dropped(),
        [format!("POST {APPLY_PATH} HTTP/1.1")],
        "exactly one apply must have been sent"
    );
}

#[tokio::test]
async fn get_on_a_connection_closed_after_the_request_is_retried() {
    // The same failure on a read is safe to repeat: retried up to the policy's 3 attempts.
    let server = DroppingServer::start().await;
    let client = builder(&server.uri()).build().unwrap();
    let err = client.reserves().get(RESERVE_ID).await.unwrap_err();
    assert!(!err.is_outcome_unknown(), "{err:?}");
    match &err {
        Error::Network(failure) => assert_eq!(failure.attempts(), 3),
        other => panic!("expected a network error, got {other:?}"),
    }
    assert_hides(&err, &[APP_SECRET, DROPPING_SERVER_TOKEN]);
    let line = format!("GET {} HTTP/1.1", reserve_path(RESERVE_ID));
    assert_eq!(server.dropped(), [line.clone(), line.clone(), line]);
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn rate_limited_apply_waits_for_reset_and_is_retried() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    let request = valid_apply();
    let wire = serde_json::to_value(&request.body).unwrap();
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-ogw-ratelimit-reset", "1")
                .insert_header("x-ogw-ratelimit-limit", "50")
                .set_body_json(json!({"code": 99991400, "msg": "request trigger frequency limit"})),
        )
        .up_to_n_times(1)
        .named("apply throttled once")
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .and(bearer("t-1"))
        .and(wiremock::matchers::body_json(&wire))
        .respond_with(ok(reserve_data()))
        .named("apply booked")
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client(&server);
    let started = Instant::now();
    let booked = client.reserves().apply(request).await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "waited only {waited:?}"
    );
    assert_eq!(booked.data.reserve_id, RESERVE_ID);
}
