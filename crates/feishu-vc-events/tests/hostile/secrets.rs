//! A: a server echoing the app secret and the URL's ticket, in the endpoint's `msg`, the
//! handshake's message, a frame header and an event: no error, status or log line shows them.

use feishu_vc_events::longconn::frame::{ClientConfig, Frame, HEADER_SUM};
use feishu_vc_events::longconn::{FailureKind, LongConnectionError, Status};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{Case, Outcome, serial};
use crate::server::{
    ACCESS_KEY, APP_SECRET, Endpoint, SERVICE, TICKET, Ws, drain, eager, script, send, small_event,
};

/// What a client that has not yet had a URL knows.
fn echo_secret() -> String {
    format!("app secret {APP_SECRET} is invalid")
}

/// What a client that has had the URL knows.
fn echo() -> String {
    format!("app secret {APP_SECRET} is invalid (ticket {TICKET}, key {ACCESS_KEY})")
}

/// The message of the refusal the client ended with.
fn refusal(outcome: &Outcome) -> &str {
    match &outcome.ended {
        Some(Err(
            LongConnectionError::Rejected { msg, .. } | LongConnectionError::Forbidden { msg },
        )) => msg,
        _ => panic!("expected a refusal: {outcome:?}"),
    }
}

#[tokio::test]
async fn a_the_app_secret_echoed_in_the_endpoints_refusal_is_not_shown() {
    let serial = serial().await;
    let refused = Endpoint::Json(json!({"code": 10014, "msg": echo_secret()}));
    let (_, outcome) = Case::new(refused, Ws::Silent).until_it_ends(&serial).await;
    assert!(
        matches!(
            &outcome.ended,
            Some(Err(LongConnectionError::Rejected { code: 10014, .. }))
        ),
        "{outcome:?}"
    );
    assert_eq!(refusal(&outcome), "app secret [redacted] is invalid");
}

#[tokio::test]
async fn a_the_app_secret_echoed_in_a_retryable_answer_is_not_shown() {
    let serial = serial().await;
    let busy = Endpoint::Json(json!({"code": 1, "msg": echo_secret()}));
    let (_, outcome) = Case::new(busy, Ws::Silent)
        .run(&serial, |w| !w.statuses().is_empty())
        .await;
    let failures = outcome.failures(FailureKind::Endpoint);
    assert!(
        failures
            .iter()
            .any(|(m, _)| m == "code 1: app secret [redacted] is invalid"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_the_tickets_of_an_earlier_connection_echoed_by_the_endpoint_are_not_shown() {
    let serial = serial().await;
    let endpoint = Endpoint::Sequence(vec![
        Endpoint::Url(eager()),
        Endpoint::Json(json!({"code": 10014, "msg": echo()})),
    ]);
    let closing = script(|_, ws| async move { drop(ws) });
    let (_, outcome) = Case::new(endpoint, closing).until_it_ends(&serial).await;
    assert!(outcome.statuses.contains(&Status::Connected), "{outcome:?}");
    assert_eq!(
        refusal(&outcome),
        "app secret [redacted] is invalid (ticket [redacted], key [redacted])"
    );
}

#[tokio::test]
async fn a_secrets_echoed_in_a_forbidding_handshake_are_not_shown() {
    let serial = serial().await;
    let forbidding = Ws::refuse(403, 403, &echo());
    let (_, outcome) = Case::new(Endpoint::Url(eager()), forbidding)
        .until_it_ends(&serial)
        .await;
    assert!(refusal(&outcome).contains("[redacted]"), "{outcome:?}");
}

#[tokio::test]
async fn a_secrets_in_a_retryable_handshake_refusal_frames_and_events_are_not_shown() {
    let serial = serial().await;
    let twice = Endpoint::Url(ClientConfig {
        reconnect_count: 2,
        ..eager()
    });
    let (_, outcome) = Case::new(twice, Ws::refuse(400, 514, &echo()))
        .until_it_ends(&serial)
        .await;
    let Some(Err(LongConnectionError::GaveUp { last, .. })) = &outcome.ended else {
        panic!("expected the client to give up: {outcome:?}");
    };
    assert!(
        last.contains("status 514, code 0: app secret [redacted]"),
        "{last}"
    );

    // Connected: a fragment header holding the secret, then an event that does not decode and
    // quotes it, then a good event to show the client carried on.
    let playing = script(|_, mut ws| async move {
        let mut frame =
            Frame::event_fragments(SERVICE, 1, TICKET, APP_SECRET, b"{}", 1 << 20).remove(0);
        for h in &mut frame.headers {
            if h.key == HEADER_SUM {
                h.value = APP_SECRET.to_owned();
            }
        }
        send(&mut ws, Message::Binary(frame.to_bytes().into())).await;
        let bad = json!({
            "schema": "2.0",
            "header": {"event_id": "bad-1", "event_type": "vc.meeting.meeting_started_v1"},
            "event": {"meeting": {"meeting_source": APP_SECRET}},
        })
        .to_string();
        let frames = Frame::event_fragments(SERVICE, 2, "m2", TICKET, bad.as_bytes(), 1 << 20);
        send(&mut ws, Message::Binary(frames[0].to_bytes().into())).await;
        send(&mut ws, small_event("good")).await;
        drain(ws).await;
    });
    let (_, outcome) = Case::new(Endpoint::Url(eager()), playing)
        .run(&serial, |w| w.heard() == 1)
        .await;
    assert_eq!(outcome.heard, 1, "{outcome:?}");
    let frames = outcome.failures(FailureKind::Frame);
    assert!(
        frames
            .iter()
            .any(|(m, _)| m.contains("`[redacted]` is not a number")),
        "{outcome:?}"
    );
    let events = outcome.failures(FailureKind::Event);
    assert_eq!(events.len(), 1, "{outcome:?}");
    assert!(events[0].0.contains("[redacted]"), "{events:?}");
}
