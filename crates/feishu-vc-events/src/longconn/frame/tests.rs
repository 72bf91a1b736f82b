//! Unit tests of the frame codec and the reassembler, against the reference encodings.

use super::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const PING: &str = "0800100018f681801020002a0c0a0474797065120470696e67";
const ACK: &str = "0800100018f681801020012a0d0a047479706512056576656e742a100a0a6d6573736167655f696412026d312a080a0373756d1201312a080a037365711201302a0e0a0874726163655f6964120274312a0b0a0662697a5f7274120135420c7b22636f6465223a3230307d";

#[test]
fn ping_encodes_to_the_reference_bytes_and_back() {
    let ping = Frame::ping(33_554_678);
    assert_eq!(hex(&ping.to_bytes()), PING);
    let decoded = Frame::decode_bytes(&unhex(PING)).unwrap();
    assert_eq!(decoded, ping);
    assert_eq!(decoded.kind(), "ping");
    assert_eq!(decoded.method, METHOD_CONTROL);
}

#[test]
fn go_style_ping_with_empty_optionals_decodes_too() {
    let go = unhex(&format!("{PING}32003a004a00"));
    let decoded = Frame::decode_bytes(&go).unwrap();
    assert_eq!(decoded.kind(), "ping");
    assert_eq!(decoded.service, 33_554_678);
    assert_eq!(decoded.payload_encoding.as_deref(), Some(""));
}

#[test]
fn ack_encodes_to_the_reference_bytes_and_back() {
    let received = Frame {
        service: 33_554_678,
        method: METHOD_DATA,
        headers: vec![
            header("type", "event"),
            header("message_id", "m1"),
            header("sum", "1"),
            header("seq", "0"),
            header("trace_id", "t1"),
        ],
        payload: Some(br#"{"schema":"2.0"}"#.to_vec()),
        ..Frame::default()
    };
    let ack = received.ack(200, Duration::from_millis(5));
    assert_eq!(hex(&ack.to_bytes()), ACK);
    let decoded = Frame::decode_bytes(&unhex(ACK)).unwrap();
    assert_eq!(decoded.ack_code(), Some(200));
    assert_eq!(decoded.header(HEADER_BIZ_RT), Some("5"));
    assert_eq!(decoded.header(HEADER_MESSAGE_ID), Some("m1"));
}

#[test]
fn garbage_is_a_typed_error() {
    assert!(matches!(
        Frame::decode_bytes(b"\xff\xff\xff"),
        Err(FrameError::Undecodable(_))
    ));
}

#[test]
fn fragments_in_any_order_reassemble_once() {
    let payload: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let mut frames = Frame::event_fragments(1, 7, "m", "t", &payload, 300);
    assert_eq!(frames.len(), 4);
    frames.reverse();
    let mut r = Reassembler::default();
    let now = Instant::now();
    for f in &frames[..3] {
        assert_eq!(r.push(f, now).unwrap(), None);
    }
    assert_eq!(r.push(&frames[3], now).unwrap(), Some(payload));
    assert_eq!(r.pending(), 0);
}

#[test]
fn partial_messages_expire_and_bounds_hold() {
    let frames = Frame::event_fragments(1, 7, "m", "t", &[1; 10], 4);
    let mut r = Reassembler::default();
    let start = Instant::now();
    r.push(&frames[0], start).unwrap();
    assert_eq!(r.pending(), 1);
    r.push(&frames[1], start + Duration::from_secs(6)).unwrap();
    // The first fragment expired, so the set cannot complete.
    assert_eq!(
        r.push(&frames[2], start + Duration::from_secs(6)).unwrap(),
        None
    );

    let mut small = Reassembler::new(ReassemblyLimits {
        max_message_bytes: 5,
        ..ReassemblyLimits::default()
    });
    assert!(small.push(&frames[0], start).unwrap().is_none());
    assert!(matches!(
        small.push(&frames[1], start),
        Err(FrameError::BadFragment { field: "sum", .. })
    ));
    let mut out_of_range = frames[0].clone();
    out_of_range.headers[3].value = "9".into();
    assert!(matches!(
        Reassembler::default().push(&out_of_range, start),
        Err(FrameError::BadFragment { field: "seq", .. })
    ));
}

#[test]
fn url_params_and_config_json() {
    let url = "ws://h/ws?device_id=d1&service_id=42&ticket=t";
    assert_eq!(url_param(url, "service_id"), Some("42"));
    assert_eq!(url_param(url, "missing"), None);
    let c: ClientConfig =
        serde_json::from_str(r#"{"PingInterval":90,"ReconnectNonce":25}"#).unwrap();
    assert_eq!(c.ping_interval, 90);
    assert_eq!(c.reconnect_count, -1);
    let data = EndpointData {
        url: url.into(),
        client_config: None,
    };
    assert!(!format!("{data:?}").contains("ticket"));
}

#[test]
fn partial_messages_share_one_budget_the_oldest_going_first() {
    let now = Instant::now();
    let half = |id: &str| Frame::event_fragments(1, 7, id, "t", &[1; 200], 100).remove(0);
    // The budget is never below the per-message bound: both small here.
    let limits = ReassemblyLimits {
        max_message_bytes: 200,
        ..ReassemblyLimits::default()
    };
    let mut r = Reassembler::new(limits).pending_budget(350);
    r.push(&half("a"), now).unwrap();
    r.push(&half("b"), now + Duration::from_millis(1)).unwrap();
    let two = r.pending_bytes();
    assert_eq!(two, 2 * (1 + 2 * SLOT_COST + 100));
    // A third would pass the budget: the oldest ("a") goes.
    r.push(&half("c"), now + Duration::from_millis(2)).unwrap();
    assert_eq!((r.pending(), r.pending_bytes()), (2, two));
    let mut rest_of_a = Frame::event_fragments(1, 7, "a", "t", &[1; 200], 100).remove(1);
    assert_eq!(r.take_fragment(&mut rest_of_a, now).unwrap(), None);
    assert_eq!(rest_of_a.payload, None, "taken, not copied");
    let rest_of_b = Frame::event_fragments(1, 7, "b", "t", &[1; 200], 100).remove(1);
    // "b" went to make room for "a", and comes back at "a"'s expense.
    assert_eq!(r.push(&rest_of_b, now).unwrap(), None);
    // Completing "c" frees its share.
    let rest_of_c = Frame::event_fragments(1, 7, "c", "t", &[1; 200], 100).remove(1);
    assert_eq!(r.push(&rest_of_c, now).unwrap(), Some(vec![1; 200]));
    assert!(r.pending_bytes() <= 350);

    // A message that alone is over the budget (here, the per-message bound) is refused whole.
    let mut small = Reassembler::new(ReassemblyLimits {
        max_message_bytes: 150,
        ..ReassemblyLimits::default()
    })
    .pending_budget(0);
    assert_eq!(small.push(&half("d"), now).unwrap(), None);
    let rest_of_d = Frame::event_fragments(1, 7, "d", "t", &[1; 200], 100).remove(1);
    assert!(matches!(
        small.push(&rest_of_d, now),
        Err(FrameError::BadFragment { field: "sum", .. })
    ));
    assert_eq!((small.pending(), small.pending_bytes()), (0, 0));
}
