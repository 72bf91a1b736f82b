//! Store apps' `app_ticket` events: saved into the ticket store through the webhook router, other
//! events handed on.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use feishu_vc::{AppTicketStore, InMemoryAppTicketStore};
use feishu_vc_events::{AppTickets, Delivery, HandlerError, Receiver, router};
use http::{Request, StatusCode};
use tokio::sync::mpsc;
use tower::ServiceExt;

use crate::support::{KEY, TOKEN, decoder, encrypt, meeting_started, signed_headers};

fn signed_request(plaintext: &str) -> Request<Body> {
    let body = encrypt(KEY, plaintext.as_bytes());
    let mut builder = Request::post("/").header("content-type", "application/json");
    for (name, value) in signed_headers(KEY, body.as_bytes()) {
        builder = builder.header(name, value);
    }
    builder.body(Body::from(body)).unwrap()
}

#[tokio::test]
async fn an_app_ticket_event_is_stored_and_other_events_reach_the_handler() {
    let tickets = Arc::new(InMemoryAppTicketStore::new());
    let (seen, mut seen_rx) = mpsc::unbounded_channel();
    let handler = AppTickets::new(tickets.clone(), move |delivery: Delivery| {
        let seen = seen.clone();
        async move {
            let _ = seen.send(delivery.header.event_id.clone());
            Ok::<(), HandlerError>(())
        }
    });
    let app = router(Receiver::new(decoder()), handler);
    let ticket_event = format!(
        r#"{{"uuid":"u-ticket-1","token":"{TOKEN}","ts":"1502199207.7171419","type":"event_callback","event":{{"type":"app_ticket","app_id":"cli_store","app_ticket":"ticket-Pq81"}}}}"#
    );
    let response = app
        .clone()
        .oneshot(signed_request(&ticket_event))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .oneshot(signed_request(&meeting_started(
            "ev-meeting",
            "235812466",
            1,
        )))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // The inner handler sees the meeting event only.
    let first = tokio::time::timeout(Duration::from_secs(2), seen_rx.recv())
        .await
        .unwrap();
    assert_eq!(first.as_deref(), Some("ev-meeting"));
    // Handlers run in the background: wait for the ticket to land.
    let mut stored = None;
    for _ in 0..100 {
        stored = tickets.load("cli_store").await.unwrap();
        if stored.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        stored.expect("the ticket is stored").expose_secret(),
        "ticket-Pq81"
    );
    assert!(
        seen_rx.try_recv().is_err(),
        "the ticket event went to the inner handler"
    );
}
