//! C, D, H: memory a server can make the client hold. Unfinished fragments share one budget (C),
//! a WebSocket message over the client's limit is refused before it is buffered whole (D), and
//! the endpoint's answer is read within a cap (H).

use std::time::{Duration, Instant};

use feishu_vc_events::longconn::FailureKind;
use feishu_vc_events::longconn::frame::{
    DEFAULT_PENDING_BUDGET, Frame, HEADER_SEQ, HEADER_SUM, Reassembler,
};
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{Case, MEMORY_CAP, serial};
use crate::server::{
    Endpoint, SERVICE, Ws, drain, eager, frame_prefix, raw_message, script, send, small_event,
};

const FRAGMENT: usize = 2 << 20;
const UNFINISHED: usize = 64;

/// The first of two fragments of message `id`, `FRAGMENT` bytes long.
fn first_half(id: &str) -> Frame {
    Frame::event_fragments(SERVICE, 1, id, "t", &vec![b'{'; 2 * FRAGMENT], FRAGMENT).remove(0)
}

#[tokio::test]
async fn c_unfinished_fragmented_messages_share_one_memory_budget() {
    let serial = serial().await;
    // 64 messages of which only the first 2 MiB half comes, then one whole event the client must
    // still hear.
    let unfinished = script(|_, mut ws| async move {
        for i in 0..UNFINISHED {
            let bytes = first_half(&format!("m{i}")).to_bytes();
            send(&mut ws, Message::Binary(bytes.into())).await;
        }
        send(&mut ws, small_event("after")).await;
        drain(ws).await;
    });
    let (_, outcome) = Case::new(Endpoint::Url(eager()), unfinished)
        .max(Duration::from_secs(20))
        .run(&serial, |w| w.heard() == 1)
        .await;
    assert_eq!(outcome.heard, 1, "{outcome:?}");
    // 128 MiB came; the client kept at most its budget of it.
    assert!(
        outcome.heap_peak < DEFAULT_PENDING_BUDGET as u64 + (24 << 20),
        "heap grew by {} MiB",
        outcome.heap_peak >> 20
    );

    // And the library's own accounting of the same: never more than the budget held.
    let mut reassembler = Reassembler::default();
    let now = Instant::now();
    for i in 0..UNFINISHED {
        let frame = first_half(&format!("m{i}"));
        assert_eq!(frame.header(HEADER_SUM), Some("2"));
        assert_eq!(frame.header(HEADER_SEQ), Some("0"));
        assert_eq!(reassembler.push(&frame, now).unwrap(), None);
        assert!(
            reassembler.pending_bytes() <= DEFAULT_PENDING_BUDGET,
            "{} bytes pending after {} messages",
            reassembler.pending_bytes(),
            i + 1
        );
    }
    assert!(reassembler.pending() < UNFINISHED);
}

#[tokio::test]
async fn d_a_websocket_message_over_the_clients_limit_is_refused_before_it_is_buffered() {
    let serial = serial().await;
    // A well-formed frame whose payload is 50 MB, in four WebSocket frames of 12.5 MB (each under
    // tungstenite's default frame limit); once reconnected, a small event.
    const PAYLOAD: usize = 50_000_000;
    let oversized = script(|index, mut ws| async move {
        if index == 0 {
            raw_message(&mut ws, &frame_prefix(PAYLOAD), PAYLOAD, 4).await;
        } else {
            send(&mut ws, small_event("after")).await;
        }
        drain(ws).await;
    });
    let (server, outcome) = Case::new(Endpoint::Url(eager()), oversized)
        .max(Duration::from_secs(20))
        .run(&serial, |w| w.heard() == 1)
        .await;
    assert_eq!(outcome.heard, 1, "{outcome:?}");
    let dropped = outcome.failures(FailureKind::Dropped);
    assert!(
        dropped.iter().any(|(m, _)| m.contains("too long")),
        "{outcome:?}"
    );
    assert_eq!(server.upgrades(), 2);
}

#[test]
fn d_the_raw_message_is_a_well_formed_frame() {
    let payload = vec![b'x'; 300];
    let mut bytes = frame_prefix(payload.len());
    bytes.extend_from_slice(&payload);
    let frame = Frame::decode_bytes(&bytes).unwrap();
    assert_eq!(frame.payload.as_deref(), Some(payload.as_slice()));
    assert_eq!(frame.kind(), "event");
}

#[tokio::test]
async fn h_an_endpoint_answer_over_its_cap_is_not_read_on() {
    let serial = serial().await;
    for declared in [false, true] {
        let garbage = Endpoint::Garbage {
            bytes: 64 << 20,
            declared,
        };
        let (_, outcome) = Case::new(garbage, Ws::Silent)
            .max(Duration::from_secs(20))
            .run(&serial, |w| !w.statuses().is_empty())
            .await;
        let failures = outcome.failures(FailureKind::Endpoint);
        assert!(
            failures
                .first()
                .is_some_and(|(m, _)| m == "the answer is over its 65536-byte cap"),
            "declared {declared}: {outcome:?}"
        );
        assert!(outcome.heap_peak < MEMORY_CAP / 8, "{outcome:?}");
    }
}
