use std::time::Duration;

use axum::body::Body;
use feishu_vc_events::{Delivery, HandlerError, Receiver, router};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use tower::ServiceExt;

use crate::support::{KEY, TOKEN, decoder, encrypt, meeting_started, signed_headers};

fn request(body: String, headers: &[(&'static str, String)]) -> Request<Body> {
    let mut builder = Request::post("/").header("content-type", "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    builder.body(Body::from(body)).unwrap()
}

async fn body_of(response: axum::response::Response) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A router whose handler reports each event id it starts on, then sleeps 10 s (real time).
fn sleeping_router() -> (axum::Router, mpsc::UnboundedReceiver<String>) {
    let (started, started_rx) = mpsc::unbounded_channel();
    let app = router(Receiver::new(decoder()), move |delivery: Delivery| {
        let started = started.clone();
        async move {
            let _ = started.send(delivery.header.event_id.clone());
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok::<(), HandlerError>(())
        }
    });
    (app, started_rx)
}

/// The handler sleeps 10 s (real time); the answer comes back at once, the handler has started,
/// and the test does not wait for it.
#[tokio::test]
async fn the_answer_does_not_wait_for_a_slow_handler() {
    let (app, mut started_rx) = sleeping_router();
    let body = encrypt(
        KEY,
        meeting_started("ev-slow", "235812466", 1_700_000_000).as_bytes(),
    );
    let headers = signed_headers(KEY, body.as_bytes());
    let response =
        tokio::time::timeout(Duration::from_secs(1), app.oneshot(request(body, &headers)))
            .await
            .expect("the answer must not wait for the handler")
            .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_of(response).await, r#"{"msg":"success"}"#);
    let id = tokio::time::timeout(Duration::from_secs(1), started_rx.recv())
        .await
        .unwrap();
    assert_eq!(id.as_deref(), Some("ev-slow"));
}

#[tokio::test]
async fn a_failing_handler_still_gets_a_200_and_a_duplicate_is_not_handled_twice() {
    let (seen, mut seen_rx) = mpsc::unbounded_channel();
    let app = router(Receiver::new(decoder()), move |delivery: Delivery| {
        let seen = seen.clone();
        async move {
            let _ = seen.send(delivery.header.event_id.clone());
            Err::<(), HandlerError>("the handler failed".into())
        }
    });
    for _ in 0..2 {
        let body = encrypt(KEY, meeting_started("ev-fail", "235812466", 1).as_bytes());
        let headers = signed_headers(KEY, body.as_bytes());
        let response = app.clone().oneshot(request(body, &headers)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(seen_rx.recv().await.as_deref(), Some("ev-fail"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        seen_rx.try_recv().is_err(),
        "the duplicate reached the handler"
    );
}

#[tokio::test]
async fn unknown_types_reach_the_catch_all_and_get_a_200() {
    let (seen, mut seen_rx) = mpsc::unbounded_channel();
    let app = router(Receiver::new(decoder()), move |delivery: Delivery| {
        let seen = seen.clone();
        async move {
            if let feishu_vc_model::events::Event::Other(other) = delivery.event {
                let _ = seen.send(other.event_type);
            }
            Ok::<(), HandlerError>(())
        }
    });
    let plain = meeting_started("ev-new", "1", 1).replace(
        "vc.meeting.meeting_started_v1",
        "vc.meeting.something_new_v9",
    );
    let body = encrypt(KEY, plain.as_bytes());
    let headers = signed_headers(KEY, body.as_bytes());
    let response = app.oneshot(request(body, &headers)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        seen_rx.recv().await.as_deref(),
        Some("vc.meeting.something_new_v9")
    );
}

#[tokio::test]
async fn the_challenge_is_answered_in_plain_json_and_bad_requests_are_refused() {
    let app = router(Receiver::new(decoder()), |_: Delivery| async {
        Ok::<(), HandlerError>(())
    });
    let plain = format!(r#"{{"challenge":"abc","type":"url_verification","token":"{TOKEN}"}}"#);
    let body = encrypt(KEY, plain.as_bytes());
    let response = app.clone().oneshot(request(body, &[])).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_of(response).await, r#"{"challenge":"abc"}"#);

    let body = encrypt(KEY, meeting_started("ev-1", "1", 1).as_bytes());
    let mut headers = signed_headers(KEY, body.as_bytes());
    headers[2].1 = "f".repeat(64);
    let response = app.clone().oneshot(request(body, &headers)).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let text = body_of(response).await;
    assert!(text.contains("bad signature"), "{text}");
    assert!(!text.contains(KEY));

    let response = app.oneshot(request("nope".to_owned(), &[])).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// A dedup store that fails, or never answers.
#[derive(Debug)]
enum BrokenStore {
    Failing,
    Hanging,
}

impl feishu_vc_events::DedupStore for BrokenStore {
    fn first_sighting<'a>(
        &'a self,
        _event_id: &'a str,
        _now: std::time::SystemTime,
    ) -> feishu_vc_events::BoxFuture<'a, Result<bool, feishu_vc_events::StoreError>> {
        match self {
            Self::Failing => Box::pin(std::future::ready(Err(feishu_vc_events::StoreError::new(
                "dedup",
                "connection refused",
                None,
            )))),
            Self::Hanging => Box::pin(std::future::pending()),
        }
    }
}

/// A store that fails or hangs makes the router answer 503 (Feishu retries, nothing is lost),
/// within the accept deadline, and the handler does not run.
#[tokio::test(start_paused = true)]
async fn a_broken_dedup_store_answers_503_in_time_and_runs_no_handler() {
    for store in [BrokenStore::Failing, BrokenStore::Hanging] {
        let (seen, mut seen_rx) = mpsc::unbounded_channel();
        let receiver = Receiver::new(decoder()).dedup_store(std::sync::Arc::new(store));
        let app = router(receiver, move |delivery: Delivery| {
            let seen = seen.clone();
            async move {
                let _ = seen.send(delivery.header.event_id);
                Ok::<(), HandlerError>(())
            }
        });
        let body = encrypt(KEY, meeting_started("ev-store", "1", 1).as_bytes());
        let headers = signed_headers(KEY, body.as_bytes());
        let started = tokio::time::Instant::now();
        let response = app.oneshot(request(body, &headers)).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(started.elapsed() <= feishu_vc_events::ACCEPT_DEADLINE);
        assert!(feishu_vc_events::ACCEPT_DEADLINE < Duration::from_secs(3));
        assert!(seen_rx.try_recv().is_err());
    }
}

/// The same over real HTTP on loopback: the client's answer comes back while the handler still
/// sleeps its 10 s.
#[tokio::test]
async fn over_http_the_answer_comes_back_while_the_handler_sleeps() {
    let (app, mut started_rx) = sleeping_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let body = encrypt(KEY, meeting_started("ev-http", "235812466", 1).as_bytes());
    let headers = signed_headers(KEY, body.as_bytes());
    // reqwest may be built with rustls and no crypto provider of its own (feishu-vc's `rustls`).
    feishu_vc_transport::install_rustls_provider();
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/"))
        .timeout(Duration::from_secs(2))
        .body(body);
    for (name, value) in &headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("answered within 2 s");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(
        started_rx.recv().await.as_deref(),
        Some("ev-http"),
        "the handler was started"
    );
}
