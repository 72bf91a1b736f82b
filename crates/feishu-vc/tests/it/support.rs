//! Shared helpers: the mock Feishu (wiremock, loopback only), a tiny TCP server that drops
//! connections, the schema's seed examples, and secret checks.

pub(crate) use crate::secret_checks::{assert_debug_hides, assert_hides};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use feishu_vc::model::{ApplyReserveBody, ApplyReserveRequest, ReserveMeetingSetting, Timestamp};
use feishu_vc::{Client, ClientBuilder, RetryPolicy};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{any, body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub(crate) const TOKEN_PATH: &str = "/open-apis/auth/v3/tenant_access_token/internal";
pub(crate) const APPLY_PATH: &str = "/open-apis/vc/v1/reserves/apply";
pub(crate) const APP_ID: &str = "cli_test_app";
pub(crate) const APP_SECRET: &str = "app-secret-Zq8Wx3";
pub(crate) const RESERVE_ID: &str = "6911188411934973028";
pub(crate) const OWNER: &str = "ou_3ec3f6a28a0d08c45d895276e8e5e19b";

const SCHEMA: &str = include_str!("../../../../docs/schema/vc-reserve.openapi.json");

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
pub(crate) fn token_endpoint() -> wiremock::MockBuilder {
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
        .respond_with(token_answer(token, 7200))
        .named(format!("token endpoint -> {token}"))
        .expect(times)
        .mount(server)
        .await;
}

/// A successful token answer.
pub(crate) fn token_answer(token: &str, expire: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(
        json!({"code": 0, "msg": "ok", "tenant_access_token": token, "expire": expire}),
    )
}

/// Hands out `t-1`, `t-2`, … in order, after `delay`, each living `expire` seconds.
pub(crate) struct TokenSeq {
    issued: AtomicUsize,
    expire: i64,
    delay: Duration,
}

impl TokenSeq {
    pub(crate) fn new(expire: i64) -> Self {
        Self {
            issued: AtomicUsize::new(0),
            expire,
            delay: Duration::ZERO,
        }
    }

    pub(crate) fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

impl Respond for TokenSeq {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        token_answer(&format!("t-{n}"), self.expire).set_delay(self.delay)
    }
}

/// Matches `Authorization: Bearer <token>`.
pub(crate) fn bearer(token: &str) -> wiremock::matchers::HeaderExactMatcher {
    header("authorization", format!("Bearer {token}").as_str())
}

/// Matches a request without a body.
pub(crate) fn no_body(r: &Request) -> bool {
    r.body.is_empty()
}

/// A successful envelope around `data`, with a log id.
pub(crate) fn ok(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-tt-logid", "log-ok")
        .set_body_json(json!({"code": 0, "msg": "success", "data": data}))
}

/// `{"reserve": {...}}` with the seed's reservation.
pub(crate) fn reserve_data() -> Value {
    json!({"reserve": {"id": RESERVE_ID, "meeting_no": "112000358", "url": "https://vc.feishu.cn/j/337736498"}})
}

/// Retries on, with short backoffs.
pub(crate) fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(20))
}

/// A builder for a client of the test app against `base`, retrying fast.
pub(crate) fn builder(base: &str) -> ClientBuilder {
    Client::builder()
        .app_credentials(APP_ID, APP_SECRET)
        .base_url(base)
        .retry(fast_retry())
}

/// A client of the test app against `server`.
pub(crate) fn client(server: &MockServer) -> Client {
    builder(&server.uri()).build().unwrap()
}

/// An hour from now, truncated to the second.
pub(crate) fn in_one_hour() -> Timestamp {
    Timestamp::now()
        .checked_add(Duration::from_secs(3600))
        .unwrap()
}

/// A valid booking for a tenant token.
pub(crate) fn valid_apply() -> ApplyReserveRequest {
    ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("weekly sync"))
        .set_end_time(in_one_hour())
        .set_owner_id(OWNER)
}

fn schema() -> Value {
    serde_json::from_str(SCHEMA).unwrap()
}

/// The seed request body of Lark's apply page, as JSON.
pub(crate) fn seed_apply_json() -> Value {
    schema()
        .pointer("/paths/~1open-apis~1vc~1v1~1reserves~1apply/post/requestBody/content/application~1json/examples/seed/value")
        .cloned()
        .expect("the schema has the seed request")
}

/// The seed request body decoded into the model, `end_time` moved into the next hour; and the JSON
/// that must reach the wire for it.
pub(crate) fn seed_apply_body() -> (ApplyReserveBody, Value) {
    let mut wire = seed_apply_json();
    let end = in_one_hour();
    wire["end_time"] = json!(end.to_string());
    let body: ApplyReserveBody = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(body.end_time, Some(end));
    (body, wire)
}

/// The seed 200 response of Lark's apply page (it holds the meeting password).
pub(crate) fn seed_apply_response() -> Value {
    schema()
        .pointer("/paths/~1open-apis~1vc~1v1~1reserves~1apply/post/responses/200/content/application~1json/examples/seed/value")
        .cloned()
        .expect("the schema has the seed response")
}

/// The token [`DroppingServer`] hands out.
pub(crate) const DROPPING_SERVER_TOKEN: &str = "t-dropping-server-secret";

/// A raw HTTP/1.1 server on 127.0.0.1 for what wiremock cannot do: it answers the token endpoint
/// normally (closing the connection after each answer) and, for every other request, reads the
/// whole request and then drops the connection without a byte of answer.
pub(crate) struct DroppingServer {
    pub(crate) addr: SocketAddr,
    tokens: Arc<AtomicUsize>,
    dropped: Arc<std::sync::Mutex<Vec<String>>>,
}

impl DroppingServer {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let tokens = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (t, d) = (tokens.clone(), dropped.clone());
        // The task ends with the test's runtime.
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (t, d) = (t.clone(), d.clone());
                tokio::spawn(async move {
                    let Some((request_line, _body)) = read_request(&stream).await else {
                        return;
                    };
                    if request_line.starts_with(&format!("POST {TOKEN_PATH} ")) {
                        t.fetch_add(1, Ordering::SeqCst);
                        let body = json!({"code": 0, "msg": "ok", "tenant_access_token": DROPPING_SERVER_TOKEN, "expire": 7200}).to_string();
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        write_all(&stream, answer.as_bytes()).await;
                    } else {
                        d.lock().unwrap().push(request_line);
                    }
                    // Dropping the stream closes the connection.
                });
            }
        });
        Self {
            addr,
            tokens,
            dropped,
        }
    }

    pub(crate) fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many token requests were answered.
    pub(crate) fn token_requests(&self) -> usize {
        self.tokens.load(Ordering::SeqCst)
    }

    /// The request lines (`METHOD /path HTTP/1.1`) of the requests read in full and then dropped.
    pub(crate) fn dropped(&self) -> Vec<String> {
        self.dropped.lock().unwrap().clone()
    }
}

/// Reads one request (head and `content-length` body); `None` if the peer went away first.
async fn read_request(stream: &TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        read_some(stream, &mut buf).await?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        read_some(stream, &mut buf).await?;
    }
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    Some((request_line, buf[head_end..head_end + length].to_vec()))
}

async fn read_some(stream: &TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    loop {
        stream.readable().await.ok()?;
        match stream.try_read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Some(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return None,
        }
    }
}

async fn write_all(stream: &TcpStream, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        if stream.writable().await.is_err() {
            return;
        }
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return,
        }
    }
}
