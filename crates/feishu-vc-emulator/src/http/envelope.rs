//! The answer layer every route shares: the fresh `X-Tt-Logid` of each response, Feishu's
//! envelopes (`{code, msg, data}` / `{code, msg, error}`) and their HTTP status, the plain-text
//! 404 of unknown routes, and axum's own rejections turned into envelopes.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use feishu_vc_model::{ApiResponse, ErrorInfo};
use serde::Serialize;
use serde_json::Value;

use crate::answer::{Answer, Failure, Outcome};
use crate::ids;
use crate::shared::Shared;

/// The header that carries the log id. Header names are case-insensitive, but some SDKs look this
/// one up as Feishu writes it, `X-Tt-Logid`: the server writes names in that case
/// (see `http/serve.rs`).
const LOG_ID_HEADER: &str = "x-tt-logid";

/// The log id of the request being answered, and the Open Platform its troubleshooter link
/// points to.
#[derive(Clone, Debug)]
pub(crate) struct LogId {
    id: String,
    open: &'static str,
}

type Shr = State<Arc<Shared>>;

/// Gives every response a fresh `X-Tt-Logid`.
pub(crate) async fn stamp(State(shared): Shr, mut request: Request, next: Next) -> Response {
    let log = LogId {
        id: ids::log_id(shared.now().unix_seconds()),
        open: shared.hosts.open,
    };
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    request.extensions_mut().insert(log.clone());
    let mut response = next.run(request).await;
    if path.starts_with("/open-apis/") {
        response = envelope_rejection(response, &log).await;
    }
    if let Ok(value) = HeaderValue::from_str(&log.id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(LOG_ID_HEADER), value);
    }
    tracing::debug!(%method, path, status = response.status().as_u16(), log_id = %log.id, "emulator request");
    response
}

/// Feishu's gateway answers unknown paths and methods with a plain-text 404.
pub(crate) async fn not_found() -> Response {
    let mut response = (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        "404 page not found",
    )
        .into_response();
    response.extensions_mut().insert(GatewayAnswer);
    response
}

/// Marks an answer that is Feishu's gateway's own, not an Open API route's: left as it is.
#[derive(Clone, Copy, Debug)]
struct GatewayAnswer;

/// The longest rejection text (axum's own, a few dozen bytes) carried into an envelope.
const REJECTION_TEXT_LIMIT: usize = 1024;

/// An answer of an Open API route that is not JSON (axum's rejections: a body over the limit, a
/// path that is not UTF-8, a body that cannot be read) becomes Feishu's envelope with the same
/// HTTP status: 121003 for the client's errors, 121001 for the server's.
async fn envelope_rejection(response: Response, log: &LogId) -> Response {
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || response.extensions().get::<GatewayAnswer>().is_some() {
        return response;
    }
    let status = response.status();
    let text = match axum::body::to_bytes(response.into_body(), REJECTION_TEXT_LIMIT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => status.canonical_reason().unwrap_or_default().to_owned(),
    };
    let failure = if status.is_server_error() {
        Failure::internal(text)
    } else {
        Failure::param(text)
    };
    let mut enveloped = failure_response(failure, log);
    *enveloped.status_mut() = status;
    enveloped
}

/// The log id of the request being answered (none outside the log-id layer).
pub(crate) fn log_of(request_log: Option<axum::Extension<LogId>>) -> LogId {
    request_log.map_or_else(
        || LogId {
            id: String::new(),
            open: crate::hosts::Hosts::FEISHU.open,
        },
        |l| l.0,
    )
}

// ---- envelopes ----

pub(crate) fn json_response(status: u16, body: &impl Serialize) -> Response {
    json(status, body)
}

/// A JSON answer with this status.
pub(crate) fn json(status: u16, body: &impl Serialize) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

/// `{code: 0, msg: "success", data}` or `{code, msg, error: {log_id, troubleshooter, …}}`.
pub(crate) fn reply(outcome: Outcome, log: &LogId) -> Response {
    match outcome {
        Ok(Answer(body)) => ([(CONTENT_TYPE, "application/json")], body).into_response(),
        Err(failure) => failure_response(failure, log),
    }
}

/// A failure in Feishu's envelope, with its HTTP status and throttling headers.
pub(crate) fn failure_response(failure: Failure, log: &LogId) -> Response {
    let status = failure.http_status();
    let code = failure.code.code();
    let LogId { id, open } = log;
    let mut info = ErrorInfo::default()
        .set_log_id(id.as_str())
        .set_troubleshooter(format!(
            "{open}/search?from=openapi&log_id={id}&code={code}"
        ));
    if !failure.violations.is_empty() {
        info = info.set_field_violations(failure.violations);
    }
    let body = ApiResponse::<Value>::error(code, failure.msg, Some(info));
    let mut response = json_response(status, &body);
    if let Some(t) = failure.throttled {
        let headers = response.headers_mut();
        headers.insert(
            HeaderName::from_static("x-ogw-ratelimit-limit"),
            HeaderValue::from(t.limit),
        );
        headers.insert(
            HeaderName::from_static("x-ogw-ratelimit-reset"),
            HeaderValue::from(t.reset_secs),
        );
    }
    response
}
