//! The `feishu_vc.call` span: what it records, and that no secret reaches it.

use std::io::Write;
use std::sync::{Arc, Mutex};

use feishu_vc_model::{Password, ReserveMeetingSetting};
use feishu_vc_transport::CallOptions;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

/// Everything the subscriber writes.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    /// Captures every span and event of this thread until the guard is dropped (test runtimes
    /// have one thread, so the default subscriber sees every span of a call).
    pub(crate) fn start() -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(captured.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    /// Everything written so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn spans_record_the_call_and_never_a_secret() {
    let (captured, _guard) = Captured::start();

    let server = MockServer::start().await;
    mount_token(&server, "t-secret-token-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-tt-logid", "log-traced")
                .set_body_json(json!({"code": 0, "msg": "success", "data": {"reserve": {"id": RESERVE_ID, "password": "97102468"}}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(reserve_path(RESERVE_ID)))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-tt-logid", "log-missing")
                .set_body_json(json!({"code": 121004, "msg": "data not exist"})),
        )
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let transport = transport(&server);
    let request = apply().set_meeting_settings(
        ReserveMeetingSetting::default().set_password(Password::digits("97102468")),
    );
    transport.send(&request, &CallOptions::new()).await.unwrap();
    transport
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    transport
        .send(
            &get(RESERVE_ID),
            &CallOptions::new().with_user_access_token("u-secret-user-token"),
        )
        .await
        .unwrap_err();

    let out = captured.text();
    // The calls are recorded: operation, path, status, code, log id, attempt, latency.
    assert!(out.contains("feishu_vc.call"), "{out}");
    assert!(
        out.contains("apply_reserve") && out.contains("get_reserve"),
        "{out}"
    );
    assert!(
        out.contains("tenant_access_token_internal"),
        "the token fetch is a call too: {out}"
    );
    assert!(
        out.contains("log-traced") && out.contains("log-missing"),
        "{out}"
    );
    assert!(
        out.contains("121004") && out.contains("status=404"),
        "{out}"
    );
    assert!(out.contains("latency_ms"), "{out}");
    // Never a secret, a token or a meeting password.
    for secret in [
        APP_SECRET,
        "t-secret-token-1",
        "u-secret-user-token",
        "97102468",
    ] {
        assert!(
            !out.contains(secret),
            "`{secret}` reached the trace:\n{out}"
        );
    }
}
