//! Shared helpers: the mock Feishu (wiremock, loopback only), transports aimed at it, and secret
//! checks.

pub(crate) use crate::secret_checks::{assert_debug_hides, assert_hides};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use feishu_vc_model::{ApplyReserveRequest, GetReserveRequest, ReserveMeetingSetting, Timestamp};
use feishu_vc_transport::{RetryPolicy, Transport, TransportBuilder};
use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, Respond, ResponseTemplate};

pub(crate) const TOKEN_PATH: &str = "/open-apis/auth/v3/tenant_access_token/internal";
pub(crate) const APPLY_PATH: &str = "/open-apis/vc/v1/reserves/apply";
pub(crate) const APP_ID: &str = "cli_transport_app";
pub(crate) const APP_SECRET: &str = "app-secret-Kp4Lm9";
pub(crate) const RESERVE_ID: &str = "6911188411934973028";

/// The path of one reservation.
pub(crate) fn reserve_path(id: &str) -> String {
    format!("/open-apis/vc/v1/reserves/{id}")
}

/// Answers anything no other mock matched with 599 "unexpected route", and expects nothing to get
/// there. Mount it last.
pub(crate) async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(599)
                .set_body_string("unexpected route: no mock of this test matches the request"),
        )
        .with_priority(u8::MAX)
        .named("catch-all: unexpected route")
        .expect(0)
        .mount(server)
        .await;
}

/// The token endpoint, for [`APP_ID`] / [`APP_SECRET`], asked without any Authorization header.
pub(crate) fn token_endpoint() -> MockBuilder {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_json(
            json!({"app_id": APP_ID, "app_secret": APP_SECRET}),
        ))
        .and(|r: &Request| !r.headers.contains_key("authorization"))
}

/// Mounts the token endpoint answering `token` (lifetime 2 h), expected `times` times.
pub(crate) async fn mount_token(server: &MockServer, token: &str, times: u64) {
    token_endpoint()
        .respond_with(token_answer(token))
        .named(format!("token endpoint -> {token}"))
        .expect(times)
        .mount(server)
        .await;
}

/// A successful token answer living 2 h.
pub(crate) fn token_answer(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(
        json!({"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}),
    )
}

/// Hands out `t-1`, `t-2`, … in order.
#[derive(Default)]
pub(crate) struct TokenSeq {
    issued: AtomicUsize,
}

impl Respond for TokenSeq {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        token_answer(&format!("t-{n}"))
    }
}

/// Matches `Authorization: Bearer <token>`.
pub(crate) fn bearer(token: &str) -> wiremock::matchers::HeaderExactMatcher {
    header("authorization", format!("Bearer {token}").as_str())
}

/// `GET /open-apis/vc/v1/reserves/{id}`.
pub(crate) fn get_reserve(id: &str) -> MockBuilder {
    Mock::given(method("GET")).and(path(reserve_path(id)))
}

/// A successful envelope around `data`, with a log id.
pub(crate) fn ok(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-tt-logid", "log-ok")
        .set_body_json(json!({"code": 0, "msg": "success", "data": data}))
}

/// `{"reserve": {...}}`.
pub(crate) fn reserve_data() -> Value {
    json!({"reserve": {"id": RESERVE_ID, "meeting_no": "112000358"}})
}

/// Retries on (3 attempts), with short backoffs.
pub(crate) fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(20))
}

/// A builder for a transport of the test app against `base`, retrying fast.
pub(crate) fn builder(base: &str) -> TransportBuilder {
    Transport::builder()
        .app_credentials(APP_ID, APP_SECRET)
        .base_url(base)
        .retry(fast_retry())
}

/// A transport of the test app against `server`, retrying fast.
pub(crate) fn transport(server: &MockServer) -> Transport {
    builder(&server.uri()).build().unwrap()
}

/// A transport of the test app against `server` that never retries.
pub(crate) fn transport_without_retries(server: &MockServer) -> Transport {
    builder(&server.uri())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// `get` of [`RESERVE_ID`] (or another id).
pub(crate) fn get(id: &str) -> GetReserveRequest {
    GetReserveRequest::new(id)
}

/// A booking (not validated by the transport).
pub(crate) fn apply() -> ApplyReserveRequest {
    ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("t"))
        .set_end_time(
            Timestamp::now()
                .checked_add(Duration::from_secs(3600))
                .unwrap(),
        )
        .set_owner_id("ou_1")
}

/// A loopback port with nothing listening on it.
pub(crate) async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// A loopback HTTP server written by hand, for answers wiremock cannot give: bodies far larger
/// than any test should hold in memory, a `Content-Length` that announces more than is sent.
///
/// Each connection's request is read (head and `Content-Length` body), then `head` is written
/// (status line and headers, without the blank line), then `body_len` bytes cycling through
/// `fill`, then the connection is closed. Returns the base URL and the count of requests.
pub(crate) async fn raw_server(
    head: String,
    fill: &'static [u8],
    body_len: u64,
) -> (String, std::sync::Arc<AtomicUsize>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = std::sync::Arc::new(AtomicUsize::new(0));
    let count = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            let head = head.clone();
            tokio::spawn(async move {
                if read_request(&mut stream).await.is_err() {
                    return;
                }
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(b"\r\n").await;
                // A buffer of a few KiB, written again and again: the server holds no large body.
                let chunk: Vec<u8> = fill.iter().copied().cycle().take(64 << 10).collect();
                let mut left = body_len;
                while left > 0 {
                    let n = left.min(chunk.len() as u64) as usize;
                    if stream.write_all(&chunk[..n]).await.is_err() {
                        return;
                    }
                    left -= n as u64;
                }
                let _ = stream.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), requests)
}

/// Reads one request: its head up to the blank line, then its `Content-Length` body.
async fn read_request(stream: &mut tokio::net::TcpStream) -> std::io::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    let end = loop {
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&byte[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut have = buf.len() - end;
    while have < length {
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            break;
        }
        have += n;
    }
    Ok(())
}

/// Mounts `mock` answering `answer`, expected once, and the catch-all: the only route of a test.
pub(crate) async fn mount_only(server: &MockServer, mock: MockBuilder, answer: ResponseTemplate) {
    mock.respond_with(answer).expect(1).mount(server).await;
    catch_all(server).await;
}

/// The error of a `get` of [`RESERVE_ID`] that is expected to fail.
pub(crate) async fn get_error(
    transport: &Transport,
    opts: &feishu_vc_transport::CallOptions,
) -> feishu_vc_transport::Error {
    transport.send(&get(RESERVE_ID), opts).await.unwrap_err()
}
