//! Answers larger than the client reads are refused early, with a typed error.

use std::sync::atomic::Ordering;

use feishu_vc_transport::{BodyTooLarge, CallOptions, Error, Transport};
use serde_json::json;
use wiremock::MockServer;

use crate::support::*;

const LIMIT: usize = 64 << 10;
const PAGE: &[u8] = b"<html><body><h1>502 Bad Gateway</h1><p>upstream failed</p></body></html>\n";

/// A transport aimed at `base` with a per-call token (no token endpoint), reading at most
/// [`LIMIT`] bytes.
fn limited(base: &str) -> Transport {
    builder(base).max_body_bytes(LIMIT).build().unwrap()
}

fn with_token() -> CallOptions {
    CallOptions::new().with_tenant_access_token("t-bodies-token")
}

/// A `get` answered with `head` and `body_len` bytes of [`PAGE`]: its error, the too-large part
/// of it, and how many requests the server saw.
async fn get_answered(head: &str, body_len: u64) -> (Error, BodyTooLarge, usize) {
    let (base, requests) = raw_server(head.into(), PAGE, body_len).await;
    let err = limited(&base)
        .send(&get(RESERVE_ID), &with_token())
        .await
        .unwrap_err();
    let Error::BodyTooLarge(e) = &err else {
        panic!("{err:?}")
    };
    let e = e.clone();
    (err, e, requests.load(Ordering::SeqCst))
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_refused_without_reading() {
    // It announces 1 GiB and sends 1 MiB: waiting for the rest would hang the call.
    let (err, e, requests) = get_answered(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nx-tt-logid: log-huge\r\ncontent-length: 1073741824\r\n",
        1 << 20,
    )
    .await;
    assert_eq!(e.announced, Some(1 << 30));
    assert_eq!(e.limit, LIMIT);
    assert_eq!(e.http_status, 200);
    assert_eq!(err.log_id(), Some("log-huge"));
    assert!(e.excerpt.is_empty(), "{}", e.excerpt);
    let shown = err.to_string();
    assert!(
        shown.contains("65536-byte limit") && shown.contains("1073741824"),
        "{shown}"
    );
    // A 200 too large to read is not worth reading again.
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_body_without_length_is_cut_off_at_the_limit() {
    // No Content-Length: the body ends when the server closes, 8 MiB later.
    let (_, e, requests) = get_answered(
        "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\nconnection: close\r\n",
        8 << 20,
    )
    .await;
    assert_eq!(e.announced, None);
    assert_eq!(e.http_status, 502);
    assert!(
        e.excerpt.starts_with("<html><body><h1>502 Bad Gateway"),
        "{}",
        e.excerpt
    );
    assert!(
        e.excerpt.len() <= 512 + '…'.len_utf8(),
        "{}",
        e.excerpt.len()
    );
    // A 502 on a read is retried like any server error (3 attempts).
    assert_eq!(requests, 3);
}

#[tokio::test]
async fn a_booking_with_a_body_over_the_limit_is_outcome_unknown_and_not_resent() {
    let (base, requests) = raw_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n".into(),
        br#"{"code":0,"msg":"success","data":{"reserve":{"id":"1"}}}"#,
        1 << 20,
    )
    .await;
    let err = limited(&base)
        .send(&apply(), &with_token())
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(err.is_body_too_large(), "{err:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn answers_up_to_the_limit_are_read_whole() {
    let server = MockServer::start().await;
    // A reservation whose topic brings the answer close to the limit, in more than one chunk.
    let topic = "t".repeat(LIMIT - 200);
    get_reserve(RESERVE_ID)
        .respond_with(ok(
            json!({"reserve": {"id": RESERVE_ID, "meeting_settings": {"topic": topic}}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reply = limited(&server.uri())
        .send(&get(RESERVE_ID), &with_token())
        .await
        .unwrap();
    let reserve = reply.data.reserve.unwrap();
    let settings = reserve.meeting_settings.unwrap();
    assert_eq!(settings.topic.as_deref().map(str::len), Some(LIMIT - 200));
}

#[test]
fn the_default_limit_is_a_few_mib() {
    assert_eq!(feishu_vc_transport::DEFAULT_MAX_BODY_BYTES, 4 << 20);
    let transport = Transport::builder().build().unwrap();
    assert!(format!("{transport:?}").contains("max_body_bytes: 4194304"));
}
