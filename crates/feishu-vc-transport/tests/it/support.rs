//! Shared helpers: the mock Feishu (wiremock, loopback only), transports aimed at it, and secret
//! checks.

pub(crate) use crate::raw_server::raw_server;
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
