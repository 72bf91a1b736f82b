//! The baseline: a trivial axum handler answering fixed bodies, and the emulator, each served on
//! a runtime of its own.

use std::hint::black_box;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use feishu_vc_emulator::Emulator;
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::*;

/// The schema's example `example` of the 200 response of `method` on `path`, compact.
pub(crate) fn schema_example(path: &str, method: &str, example: &str) -> Bytes {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/schema/vc-reserve.openapi.json"
    );
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("read {file}: {e}"));
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    let value = &schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]["examples"]
        [example]["value"];
    assert!(
        value.is_object(),
        "no example {example} for {method} {path}"
    );
    Bytes::from(serde_json::to_vec(value).expect("serialize"))
}

pub(crate) fn fixed(body: Bytes) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                HeaderName::from_static("x-tt-logid"),
                HeaderValue::from_static(FIXED_LOG_ID),
            ),
        ],
        body,
    )
        .into_response()
}

/// A running server of either kind, on its own runtime.
pub(crate) struct Server {
    pub(crate) name: &'static str,
    pub(crate) runtime: Runtime,
    pub(crate) emulator: Option<Emulator>,
    pub(crate) base_url: String,
}

impl Server {
    pub(crate) fn baseline() -> Self {
        let name = "srv-baseline";
        let runtime = server_runtime(name);
        let apply_body = schema_example("/open-apis/vc/v1/reserves/apply", "post", "seed");
        let get_body = schema_example(
            "/open-apis/vc/v1/reserves/{reserve_id}",
            "get",
            "full_reserve",
        );
        let app = Router::new()
            .route(
                APPLY_PATH,
                post(move |body: Bytes| {
                    let answer = apply_body.clone();
                    async move {
                        black_box(body);
                        fixed(answer)
                    }
                }),
            )
            .route(
                RESERVE_PATH,
                get(move || {
                    let answer = get_body.clone();
                    async move { fixed(answer) }
                }),
            );
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind the baseline");
        let addr = listener.local_addr().expect("baseline address");
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            name,
            runtime,
            emulator: None,
            base_url: format!("http://{addr}"),
        }
    }

    pub(crate) fn emulator() -> Self {
        let name = "srv-emulator";
        let runtime = server_runtime(name);
        let emulator = runtime
            .block_on(Emulator::builder().rate_limit(false).start())
            .expect("start the emulator");
        assert!(emulator.state_file().is_none());
        let base_url = emulator.base_url().to_owned();
        Self {
            name,
            runtime,
            emulator: Some(emulator),
            base_url,
        }
    }

    pub(crate) fn label(&self) -> &'static str {
        if self.emulator.is_some() {
            "emulator"
        } else {
            "baseline"
        }
    }

    pub(crate) fn stop(self) {
        if let Some(emulator) = self.emulator {
            let stopped = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), emulator.shutdown()).await
            });
            match stopped {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("emulator shutdown: {e}"),
                Err(_) => eprintln!("emulator shutdown: timed out"),
            }
        }
        self.runtime.shutdown_timeout(Duration::from_secs(2));
    }
}
