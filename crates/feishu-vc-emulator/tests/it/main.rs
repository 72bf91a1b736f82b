//! End-to-end tests of the emulator: through the `feishu-vc` facade and raw HTTP, loopback only.

mod brand;
mod calendar;
mod concurrency;
mod connections;
mod errors;
mod events;
mod expiry;
mod faults;
mod hardening;
mod held_meetings;
mod kill;
mod longconn;
mod meetings;
mod oauth;
mod ownership;
mod persistence;
mod rate_limit;
mod reserves;
mod store_apps;
mod subscription;
mod tokens;

use std::path::PathBuf;
use std::time::Duration;

use feishu_vc::model::{ApplyReserveRequest, ReserveId, ReserveMeetingSetting, Timestamp};
use feishu_vc::{Client, RetryPolicy};
use feishu_vc_emulator::{DEMO_USER_ALICE, Emulator};
use serde_json::Value;

/// A client of the emulator's main app, validating locally as usual.
pub(crate) fn client(emulator: &Emulator) -> Client {
    builder(emulator).build().unwrap()
}

/// A client that sends what it is given: the emulator's answer is what gets tested.
pub(crate) fn unchecked_client(emulator: &Emulator) -> Client {
    builder(emulator).validation(false).build().unwrap()
}

pub(crate) fn builder(emulator: &Emulator) -> feishu_vc::ClientBuilder {
    Client::builder()
        .app_credentials(emulator.app_id(), emulator.app_secret())
        .base_url(emulator.base_url())
        .retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(10)))
}

/// The emulator's time plus `seconds`.
pub(crate) fn later(emulator: &Emulator, seconds: u64) -> Timestamp {
    emulator
        .now()
        .checked_add(Duration::from_secs(seconds))
        .unwrap()
}

/// A one-hour meeting owned by Alice, for a tenant token.
pub(crate) fn alice_meeting(emulator: &Emulator, topic: &str) -> ApplyReserveRequest {
    ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic(topic))
        .set_end_time(later(emulator, 3600))
        .set_owner_id(DEMO_USER_ALICE)
}

/// Books [`alice_meeting`] through `client` and returns its reservation id.
pub(crate) async fn book(client: &Client, emulator: &Emulator, topic: &str) -> ReserveId {
    client
        .reserves()
        .apply(alice_meeting(emulator, topic))
        .await
        .unwrap()
        .data
        .reserve_id
}

/// A raw answer: status, log id header, JSON body.
pub(crate) struct Raw {
    pub(crate) status: u16,
    pub(crate) log_id: Option<String>,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

/// A plain HTTP client. reqwest may be built with rustls and no crypto provider of its own
/// (feishu-vc's `rustls` feature): install one first, as a program would.
pub(crate) fn http() -> reqwest::Client {
    feishu_vc::transport::install_rustls_provider();
    reqwest::Client::new()
}

/// Sends a raw request; `token` goes in `Authorization: Bearer`.
pub(crate) async fn raw(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> Raw {
    let mut request = crate::http().request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    Raw::read(request.send().await.unwrap()).await
}

impl Raw {
    /// Reads a response.
    pub(crate) async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let log_id = headers
            .get("x-tt-logid")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Self {
            status,
            log_id,
            headers,
            body,
        }
    }
}

/// A fresh, empty directory for a test's files.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "feishu-vc-emulator-{name}-{}-{}",
        std::process::id(),
        fastrand_suffix()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fastrand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}
