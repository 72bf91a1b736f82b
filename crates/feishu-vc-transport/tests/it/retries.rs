//! Retries: throttled calls wait as told, reads retry server errors and broken connections, and
//! nothing is retried past the policy.

use std::time::{Duration, Instant};

use feishu_vc_model::ErrorCode;
use feishu_vc_transport::{CallOptions, Error, RetryPolicy, Transport};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

fn throttled(reset: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("x-ogw-ratelimit-reset", reset)
        .insert_header("x-ogw-ratelimit-limit", "50")
        .insert_header("x-tt-logid", "log-throttled")
        .set_body_json(json!({"code": 99991400, "msg": "request trigger frequency limit"}))
}

#[tokio::test]
async fn rate_limited_get_waits_for_reset_then_succeeds() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(throttled("1"))
        .up_to_n_times(1)
        .named("throttled once")
        .expect(1)
        .mount(&server)
        .await;
    get_reserve(RESERVE_ID)
        .and(bearer("t-1"))
        .respond_with(ok(reserve_data()))
        .named("then answered")
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let started = Instant::now();
    let got = transport(&server)
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
    assert_eq!(got.data.reserve.unwrap().id.unwrap(), RESERVE_ID);
}

#[tokio::test]
async fn rate_limited_apply_is_retried_because_it_was_not_processed() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(throttled("1"))
        .up_to_n_times(1)
        .named("throttled once")
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(ok(reserve_data()))
        .named("then booked")
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let started = Instant::now();
    transport(&server)
        .send(&apply(), &CallOptions::new())
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn rate_limit_without_retries_is_an_error_with_retry_after() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(throttled("1"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let started = Instant::now();
    let err = transport_without_retries(&server)
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(900), "it waited");
    assert!(err.is_rate_limited(), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(err.code(), Some(ErrorCode::RateLimited));
    assert_eq!(err.http_status(), Some(429));
    assert_eq!(err.log_id(), Some("log-throttled"));
    let Error::RateLimited(limited) = &err else {
        unreachable!()
    };
    assert_eq!(limited.limit, Some(50));
}

#[tokio::test]
async fn rate_limit_code_with_http_400_is_recognised() {
    // Some older APIs throttle with HTTP 400 and code 99991400.
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-ogw-ratelimit-reset", "2")
                .set_body_json(json!({"code": 99991400, "msg": "request trigger frequency limit"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport_without_retries(&server)
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(err.http_status(), Some(400));
}

#[tokio::test]
async fn rate_limit_wait_longer_than_allowed_fails_at_once() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(throttled("120"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let started = Instant::now();
    let err = transport(&server)
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(err.is_rate_limited(), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
}

#[tokio::test]
async fn get_answered_500_then_200_is_retried_and_succeeds() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"code": 121001, "msg": "internal error"})),
        )
        .up_to_n_times(1)
        .named("500 once")
        .expect(1)
        .mount(&server)
        .await;
    get_reserve(RESERVE_ID)
        .and(bearer("t-1"))
        .respond_with(ok(reserve_data()))
        .named("then 200")
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let transport = builder(&server.uri())
        .retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    let got = transport
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(got.http_status, 200);
}

#[tokio::test]
async fn get_answered_500_every_time_fails_after_max_attempts() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("x-tt-logid", "log-500")
                .set_body_json(json!({"code": 121001, "msg": "internal error"})),
        )
        .expect(4)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let transport = builder(&server.uri())
        .retry(fast_retry().with_max_attempts(4))
        .build()
        .unwrap();
    let err = transport
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_api(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::InternalError));
    assert_eq!(err.log_id(), Some("log-500"));
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"code": 121004, "msg": "data not exist"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::DataNotExist));
    assert_eq!(err.http_status(), Some(404));
}

#[tokio::test]
async fn get_timing_out_is_retried_then_fails_with_timeout() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(ok(reserve_data()).set_delay(Duration::from_secs(2)))
        .expect(3)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .send(
            &get(RESERVE_ID),
            &CallOptions::new().with_timeout(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(!err.is_outcome_unknown(), "{err:?}");
    let Error::Timeout(failure) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(failure.attempts(), 3);
}

/// A transport aimed at a loopback port nobody listens on, with `attempts` attempts.
async fn refused(attempts: u32) -> Transport {
    let addr = closed_port().await;
    Transport::builder()
        .base_url(format!("http://{addr}"))
        .retry(fast_retry().with_max_attempts(attempts))
        .build()
        .unwrap()
}

#[tokio::test]
async fn connection_refused_get_is_retried_up_to_max_attempts() {
    for attempts in [3, 5] {
        let err = refused(attempts)
            .await
            .send(
                &get(RESERVE_ID),
                &CallOptions::new().with_tenant_access_token("t-given"),
            )
            .await
            .unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        let Error::Connect(failure) = &err else {
            unreachable!()
        };
        assert_eq!(failure.attempts(), attempts);
        assert_eq!(
            failure.target(),
            format!("GET {}", reserve_path(RESERVE_ID))
        );
        assert_eq!(err.http_status(), None);
        assert_hides(&err, &["t-given"]);
    }
}

#[tokio::test]
async fn connection_refused_apply_is_retried_because_nothing_was_sent() {
    let err = refused(3)
        .await
        .send(
            &apply(),
            &CallOptions::new().with_tenant_access_token("t-given"),
        )
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(!err.is_outcome_unknown());
    let Error::Connect(failure) = &err else {
        unreachable!()
    };
    assert_eq!(failure.attempts(), 3);
}

#[tokio::test]
async fn deadline_stops_retries() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(throttled("1"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    // The server asks for a 1 s wait, which would pass the 500 ms deadline: no second attempt.
    let transport = builder(&server.uri())
        .retry(fast_retry().with_deadline(Some(Duration::from_millis(500))))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = transport
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[tokio::test]
async fn connection_refused_during_the_token_fetch_is_a_token_error_caused_by_connect() {
    // With app credentials the token request is the first to fail; it is retried like any call,
    // and the error says no token could be had, with the connect failure as its source.
    let addr = closed_port().await;
    let transport = Transport::builder()
        .app_credentials(APP_ID, APP_SECRET)
        .base_url(format!("http://{addr}"))
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = transport
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_token(), "{err:?}");
    assert!(!err.is_connect(), "{err:?}");
    let cause = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<Error>())
        .unwrap_or_else(|| panic!("no transport error as the source of {err:?}"));
    let Error::Connect(failure) = cause else {
        panic!("{cause:?}")
    };
    assert_eq!(failure.attempts(), 3);
    assert!(
        failure.target().ends_with(TOKEN_PATH),
        "{}",
        failure.target()
    );
    assert_hides(&err, &[APP_SECRET]);
}
