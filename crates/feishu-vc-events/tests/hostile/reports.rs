//! B: endpoint failures (503, a retryable code) and repeated dial refusals are reported as they
//! happen, and a throttle makes one line per kind of them, not one per failure.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use feishu_vc_events::longconn::{FailureKind, Status, StatusThrottle};
use serde_json::json;

use crate::harness::{Case, serial};
use crate::server::{Endpoint, Ws, eager};

#[tokio::test]
async fn b_an_endpoint_answering_503_or_a_busy_code_is_reported_at_once() {
    let serial = serial().await;
    let busy = Endpoint::Json(json!({"code": 1, "msg": "system busy"}));
    for (endpoint, expected) in [
        (Endpoint::Status(503), "HTTP 503 Service Unavailable"),
        (busy, "code 1: system busy"),
    ] {
        let (_, outcome) = Case::new(endpoint, Ws::Silent)
            .run(&serial, |w| !w.statuses().is_empty())
            .await;
        assert!(outcome.elapsed < Duration::from_secs(2), "{outcome:?}");
        let failures = outcome.failures(FailureKind::Endpoint);
        let Some((message, retry_in)) = failures.first() else {
            panic!("no failure reported: {outcome:?}");
        };
        assert_eq!(message, expected);
        // No config came, so the SDKs' default interval applies.
        assert_eq!(*retry_in, Some(Duration::from_secs(120)));
        let line = StatusThrottle::default().admit(&outcome.statuses[0], Instant::now());
        assert_eq!(
            line.unwrap(),
            format!("long connection: the endpoint request failed: {expected}; retrying in 120 s")
        );
    }
}

#[tokio::test]
async fn b_repeated_failures_make_one_line_per_kind() {
    let serial = serial().await;
    let (_, outcome) = Case::new(Endpoint::Url(eager()), Ws::refuse(400, 514, "auth failed"))
        .run(&serial, |w| w.statuses().len() >= 10)
        .await;
    let dials = outcome.failures(FailureKind::Dial);
    assert!(dials.len() >= 10, "{outcome:?}");
    assert!(dials[0].0.contains("status 514"), "{dials:?}");

    let mut throttle = StatusThrottle::default();
    let now = Instant::now();
    let lines: Vec<String> = outcome
        .statuses
        .iter()
        .filter_map(|s| throttle.admit(s, now))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("long connection: connecting failed: handshake refused"),
        "{lines:?}"
    );
    // The observer form does the same for a printer, and says when the connection is back.
    let printed = Arc::new(Mutex::new(Vec::new()));
    let sink = printed.clone();
    let observer =
        StatusThrottle::default().observer(move |line| sink.lock().unwrap().push(line.to_owned()));
    outcome.statuses.iter().for_each(&observer);
    observer(&Status::Connected);
    assert_eq!(
        printed.lock().unwrap()[1..],
        ["long connection established".to_owned()]
    );
}
