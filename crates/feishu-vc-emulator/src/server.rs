//! HTTP: routes, Feishu's envelopes and status codes, the log id header, the control API.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use feishu_vc_model::{
    ApiRequest, ApiResponse, ApplyReserveBody, ApplyReserveRequest, DeleteReserveRequest,
    ErrorInfo, GetActiveMeetingRequest, GetReserveRequest, TenantAccessTokenInternalBody,
    TenantAccessTokenInternalResponse, UpdateReserveBody, UpdateReserveRequest, UserIdType,
};
use feishu_vc_validate::{Context, Validate};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::answer::{Answer, Failure, Outcome, first_violation};
use crate::auth::state::Caller;
use crate::control::types::{LeaveReason, MeetingSpec, ParticipantSpec};
use crate::error::Error;
use crate::ids;
use crate::shared::Shared;

/// The header that carries the log id. Header names are case-insensitive, but some SDKs look this
/// one up as Feishu writes it, `X-Tt-Logid`: the server writes names in that case (see [`serve`]).
const LOG_ID_HEADER: &str = "x-tt-logid";

/// The log id of the request being answered, and the Open Platform its troubleshooter link
/// points to.
#[derive(Clone, Debug)]
struct LogId {
    id: String,
    open: &'static str,
}

type Shr = State<Arc<Shared>>;

/// Every route of the emulator.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    const TOKEN: &str = "/open-apis/auth/v3/tenant_access_token/internal";
    Router::new()
        .route(TOKEN, post(tenant_token))
        .route(&format!("{TOKEN}/"), post(tenant_token))
        .route(
            feishu_vc_transport::OAUTH_TOKEN_PATH,
            post(crate::oauth::token),
        )
        .route(
            feishu_vc_transport::OAUTH_V3_TOKEN_PATH,
            post(crate::oauth::v3_token),
        )
        .route(
            feishu_vc_transport::APP_TICKET_RESEND_PATH,
            post(crate::store_apps::resend),
        )
        .route(
            feishu_vc_transport::APP_ACCESS_TOKEN_PATH,
            post(crate::store_apps::app_access_token),
        )
        .route(
            feishu_vc_transport::STORE_TENANT_TOKEN_PATH,
            post(crate::store_apps::tenant_access_token),
        )
        .route("/open-apis/vc/v1/reserves/apply", post(apply))
        .route(
            "/open-apis/vc/v1/reserves/{reserve_id}",
            get(get_reserve).put(update).delete(delete),
        )
        .route(
            "/open-apis/vc/v1/reserves/{reserve_id}/get_active_meeting",
            get(get_active_meeting),
        )
        .route(
            feishu_vc_events::longconn::frame::ENDPOINT_PATH,
            post(crate::events::http::endpoint),
        )
        .route("/ws", get(crate::events::http::upgrade))
        .route("/_emulator/clock", get(clock))
        .route("/_emulator/clock/advance", post(advance))
        .route("/_emulator/tenant_access_token", post(control_tenant_token))
        .route("/_emulator/user_access_token", post(control_user_token))
        .route("/_emulator/authorize", post(control_authorize))
        .route(
            "/_emulator/reserves/{reserve_id}/meeting",
            post(start_meeting).delete(end_meeting),
        )
        .route(
            "/_emulator/reserves/{reserve_id}/meeting/participants",
            post(join_meeting),
        )
        .route(
            "/_emulator/reserves/{reserve_id}/meeting/leave",
            post(leave_meeting),
        )
        .route(
            "/_emulator/reserves/{reserve_id}/meeting/screen_share",
            post(start_screen_share).delete(end_screen_share),
        )
        .route(
            "/_emulator/reserves/{reserve_id}/meeting/recording",
            post(start_recording).delete(end_recording),
        )
        .route(
            "/_emulator/reserves/{reserve_id}/meeting/recording/ready",
            post(recording_ready),
        )
        .route(
            "/_emulator/event_callbacks",
            get(event_callbacks).post(add_event_callback),
        )
        .route("/_emulator/state", get(state))
        .route("/_emulator/faults", get(faults).post(set_faults))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), stamp))
        .with_state(shared)
}

/// Gives every response a fresh `X-Tt-Logid`.
async fn stamp(State(shared): Shr, mut request: Request, next: Next) -> Response {
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
async fn not_found() -> Response {
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

/// How connections are served: bounds that keep slow or idle clients from holding the server.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionLimits {
    /// The longest a connection may take to send a request's headers, counted from when the
    /// server starts waiting for them: it bounds slow senders and idle keep-alive connections.
    pub(crate) header_read_timeout: Duration,
}

/// Accepts connections and serves `app` on each until `stop` resolves, then lets the requests
/// under way finish and returns.
///
/// Served with hyper's HTTP/1 connection builder rather than `axum::serve`, for what that hides:
/// response header names in Feishu's case (`X-Tt-Logid`, which some SDKs look up
/// case-sensitively) and a header-read timeout that also closes idle keep-alive connections.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .title_case_headers(true)
        .keep_alive(true);
    // Graceful shutdown by hand: hyper-util's `GracefulShutdown` does not take connections that
    // may upgrade (the long connection's WebSocket). `stopping` tells every connection to finish
    // its request and close; each holds a clone of `live`, so `all_closed` ends when they have.
    let (stopping, _) = tokio::sync::watch::channel(false);
    let (live, mut all_closed) = tokio::sync::mpsc::channel::<()>(1);
    tokio::pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "the emulator could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let cut = Cut::default();
        let service = {
            let cut = cut.clone();
            tower::util::MapRequest::new(app.clone(), move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(cut.clone());
                request
            })
        };
        let connection = http
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            // The long connection's WebSocket upgrade.
            .with_upgrades();
        let mut stopping = stopping.subscribe();
        let live = live.clone();
        tokio::spawn(async move {
            let _live = live;
            tokio::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                // Closed without an answer: dropping the connection drops its socket.
                () = cut.0.notified() => Ok(()),
                () = async { let _ = stopping.wait_for(|stop| *stop).await; } => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = outcome {
                tracing::debug!(error = %e, "emulator connection closed");
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    drop(live);
    let _ = all_closed.recv().await;
    Ok(())
}

/// A connection's switch to close it at once, without answering the request under way (the
/// dropped-answer fault).
#[derive(Clone, Debug, Default)]
struct Cut(Arc<tokio::sync::Notify>);

fn log_of(request_log: Option<axum::Extension<LogId>>) -> LogId {
    request_log.map_or_else(
        || LogId {
            id: String::new(),
            open: crate::hosts::Hosts::FEISHU.open,
        },
        |l| l.0,
    )
}

// ---- envelopes ----

fn json_response(status: u16, body: &impl Serialize) -> Response {
    json(status, body)
}

/// A JSON answer with this status.
pub(crate) fn json(status: u16, body: &impl Serialize) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

/// `{code: 0, msg: "success", data}` or `{code, msg, error: {log_id, troubleshooter, …}}`.
fn reply(outcome: Outcome, log: &LogId) -> Response {
    match outcome {
        Ok(Answer(body)) => ([(CONTENT_TYPE, "application/json")], body).into_response(),
        Err(failure) => failure_response(failure, log),
    }
}

fn failure_response(failure: Failure, log: &LogId) -> Response {
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

// ---- request parts ----

/// The query parameters of the reserve operations.
struct Params {
    user_id_type: UserIdType,
    with_participants: bool,
}

impl Params {
    fn parse(uri: &Uri) -> Result<Self, Failure> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map_err(|_| Failure::param("the query string cannot be read"))?;
        let mut params = Self {
            user_id_type: UserIdType::OpenId,
            with_participants: false,
        };
        for (name, value) in pairs {
            match name.as_str() {
                "user_id_type" => {
                    params.user_id_type = value
                        .parse()
                        .map_err(|e| Failure::param(format!("user_id_type: {e}")))?;
                }
                "with_participants" => {
                    params.with_participants = query_bool(&value).ok_or_else(|| {
                        Failure::param("with_participants: must be true or false")
                    })?;
                }
                // Other parameters are ignored, as Feishu does.
                _ => {}
            }
        }
        Ok(params)
    }
}

/// A boolean in a query string, in the forms the official SDKs write: `true`/`false` (Go, Java,
/// Node.js) and `True`/`False` (the Python SDK formats values with `str()`). Anything else is
/// refused.
fn query_bool(value: &str) -> Option<bool> {
    match value {
        "true" | "True" => Some(true),
        "false" | "False" => Some(false),
        _ => None,
    }
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// Decodes a body into the model's type: not JSON, a wrong type or a field the API does not have
/// (Feishu answers 121003 for unknown fields) is a param error. Messages never echo values, which
/// may be passwords.
///
/// A body that is a JSON object of known fields only, the usual case, is read once, straight into
/// its type. Any other body (not JSON, not an object, a wrong type, a field the type ignores) is
/// read again by [`decode_checked`], which names what is wrong.
fn decode<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, Failure> {
    let is_object = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    if is_object {
        let mut ignored = false;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let typed = serde_ignored::deserialize(&mut de, |_| ignored = true)
            .and_then(|typed: T| de.end().map(|()| typed));
        if let Ok(typed) = typed
            && !ignored
        {
            return Ok(typed);
        }
    }
    decode_checked(bytes)
}

/// [`decode`] of a body that is not a JSON object of known fields: parsed as JSON, then into the
/// type, whose fields are compared with the body's to find one the type dropped (a field given
/// as `null` is not refused).
fn decode_checked<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, Failure> {
    let raw: Value = serde_json::from_slice(bytes).map_err(|e| {
        Failure::param(format!(
            "the body is not JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if !raw.is_object() {
        return Err(Failure::param("the body must be a JSON object"));
    }
    let typed: T = serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        if text.starts_with("missing field") || text.starts_with("duplicate field") {
            Failure::param(format!("the body {text}"))
        } else {
            Failure::param(format!(
                "the body does not match the schema (line {}, column {})",
                e.line(),
                e.column()
            ))
        }
    })?;
    let back = serde_json::to_value(&typed).map_err(Failure::internal)?;
    if let Some(path) = unknown_field(&raw, &back, "") {
        return Err(Failure::param(format!("{path}: unknown field")));
    }
    Ok(typed)
}

/// The path of the first non-null value of `raw` that the typed value dropped.
fn unknown_field(raw: &Value, typed: &Value, path: &str) -> Option<String> {
    match (raw, typed) {
        (Value::Object(raw), Value::Object(typed)) => raw.iter().find_map(|(key, value)| {
            if value.is_null() {
                return None;
            }
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match typed.get(key) {
                None => Some(here),
                Some(t) => unknown_field(value, t, &here),
            }
        }),
        (Value::Array(raw), Value::Array(typed)) => raw
            .iter()
            .zip(typed)
            .enumerate()
            .find_map(|(i, (r, t))| unknown_field(r, t, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// The caller, after the rate limit.
fn admit(shared: &Shared, headers: &HeaderMap, operation: &'static str) -> Result<Caller, Failure> {
    let caller = shared.authenticate(authorization(headers))?;
    shared.throttle(&caller, operation)?;
    Ok(caller)
}

// ---- the token endpoint ----

/// `POST /open-apis/auth/v3/tenant_access_token/internal`. Its answers are top level (no
/// envelope) and come with HTTP 200 even on failure, as Feishu's do.
async fn tenant_token(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    body: Bytes,
) -> Response {
    let fail = |code: i64, msg: &str| {
        json_response(
            200,
            &TenantAccessTokenInternalResponse::default()
                .set_code(code)
                .set_msg(msg),
        )
    };
    let Ok(request) = serde_json::from_slice::<TenantAccessTokenInternalBody>(&body) else {
        return fail(10003, "invalid param");
    };
    let Some(app) = shared
        .app(&request.app_id)
        .filter(|_| !request.app_secret.is_empty())
    else {
        return fail(10003, "invalid param");
    };
    if app.app_secret != request.app_secret.expose_secret() {
        return fail(10014, "app secret invalid");
    }
    let app = app.clone();
    match shared.tenant_token(&app).await {
        Ok((token, expire)) => json_response(
            200,
            &TenantAccessTokenInternalResponse::default()
                .set_code(0)
                .set_msg("ok")
                .set_tenant_access_token(token)
                .set_expire(expire),
        ),
        Err(e) => failure_response(Failure::internal(e), &log_of(log)),
    }
}

// ---- the five reserve operations ----

async fn apply(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    cut: Option<axum::Extension<Cut>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    // A request received whole is carried out whole, even when its client goes away meanwhile
    // (as a server does: the client cannot take back what it sent). The body is in hand, and the
    // booking changes the state in the same poll, with no await in between; what is awaited after
    // it (the state file catching up) goes on without this future.
    let outcome = apply_inner(&shared, &headers, &uri, &body).await;
    if outcome.is_ok()
        && let Some(axum::Extension(cut)) = cut
        && shared.faults.take_apply_answer()
    {
        cut.0.notify_one();
        std::future::pending::<()>().await;
    }
    reply(outcome, &log_of(log))
}

async fn apply_inner(shared: &Shared, headers: &HeaderMap, uri: &Uri, body: &[u8]) -> Outcome {
    let caller = admit(shared, headers, ApplyReserveRequest::OPERATION.id)?;
    let params = Params::parse(uri)?;
    let body: ApplyReserveBody = decode(body)?;
    let now = shared.now();
    let request = ApplyReserveRequest::from_body(body).set_user_id_type(params.user_id_type);
    first_violation(request.violations(&Context::new(caller.kind).at(now)))?;
    shared.apply(&caller, request, now).await
}

async fn update(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path(reserve_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let outcome = update_inner(&shared, &headers, &uri, reserve_id, &body).await;
    reply(outcome, &log_of(log))
}

async fn update_inner(
    shared: &Shared,
    headers: &HeaderMap,
    uri: &Uri,
    reserve_id: String,
    body: &[u8],
) -> Outcome {
    let caller = admit(shared, headers, UpdateReserveRequest::OPERATION.id)?;
    let params = Params::parse(uri)?;
    let body: UpdateReserveBody = decode(body)?;
    let now = shared.now();
    let request =
        UpdateReserveRequest::from_body(reserve_id, body).set_user_id_type(params.user_id_type);
    first_violation(request.violations(&Context::new(caller.kind).at(now)))?;
    shared.update(&caller, request, now).await
}

async fn get_reserve(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path(reserve_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let outcome = (|| {
        let caller = admit(&shared, &headers, GetReserveRequest::OPERATION.id)?;
        let params = Params::parse(&uri)?;
        let now = shared.now();
        let request = GetReserveRequest::new(reserve_id).set_user_id_type(params.user_id_type);
        first_violation(request.violations(&Context::new(caller.kind).at(now)))?;
        shared.get(
            &caller,
            request.reserve_id.as_str(),
            params.user_id_type,
            now,
        )
    })();
    reply(outcome, &log_of(log))
}

async fn delete(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path(reserve_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    reply(
        delete_inner(&shared, &headers, reserve_id).await,
        &log_of(log),
    )
}

async fn delete_inner(shared: &Shared, headers: &HeaderMap, reserve_id: String) -> Outcome {
    let caller = admit(shared, headers, DeleteReserveRequest::OPERATION.id)?;
    let now = shared.now();
    let request = DeleteReserveRequest::new(reserve_id);
    first_violation(request.violations(&Context::new(caller.kind).at(now)))?;
    shared.delete(&caller, request.reserve_id.as_str()).await
}

async fn get_active_meeting(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path(reserve_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let outcome = (|| {
        let caller = admit(&shared, &headers, GetActiveMeetingRequest::OPERATION.id)?;
        let params = Params::parse(&uri)?;
        let now = shared.now();
        let request = GetActiveMeetingRequest::new(reserve_id)
            .set_user_id_type(params.user_id_type)
            .set_with_participants(params.with_participants);
        first_violation(request.violations(&Context::new(caller.kind).at(now)))?;
        shared.get_active_meeting(
            &caller,
            request.reserve_id.as_str(),
            params.user_id_type,
            params.with_participants,
            now,
        )
    })();
    reply(outcome, &log_of(log))
}

// ---- the control API ----

fn control(result: Result<Value, Error>) -> Response {
    match result {
        Ok(value) => json_response(200, &value),
        Err(e) => json_response(e.http_status(), &json!({ "error": e.to_string() })),
    }
}

/// A control request's JSON body; an empty body reads as `{}`.
fn control_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| Error::BadRequest(e.to_string()))
}

#[derive(serde::Deserialize)]
struct AdvanceBody {
    seconds: u64,
}

#[derive(serde::Deserialize)]
struct TenantTokenBody {
    #[serde(default)]
    app_id: Option<String>,
}

#[derive(serde::Deserialize)]
struct UserTokenBody {
    user_id: String,
    #[serde(default)]
    app_id: Option<String>,
}

async fn clock(State(shared): Shr) -> Response {
    control(Ok(json!({
        "now": shared.now(),
        "offset_seconds": shared.clock_offset(),
    })))
}

async fn advance(State(shared): Shr, body: Bytes) -> Response {
    let result = async {
        let body: AdvanceBody = control_body(&body)?;
        let now = shared.advance(body.seconds).await?;
        Ok(json!({ "now": now }))
    };
    control(result.await)
}

async fn control_tenant_token(State(shared): Shr, body: Bytes) -> Response {
    let result = async {
        let body: TenantTokenBody = control_body(&body)?;
        let app = match body.app_id {
            Some(id) => shared.app(&id).cloned().ok_or(Error::UnknownApp(id))?,
            None => shared.apps[0].clone(),
        };
        let (token, expire) = shared.tenant_token(&app).await?;
        Ok(json!({ "tenant_access_token": token, "expire": expire }))
    };
    control(result.await)
}

async fn control_user_token(State(shared): Shr, body: Bytes) -> Response {
    let result = async {
        let body: UserTokenBody = control_body(&body)?;
        let (token, expire) = shared
            .user_token(&body.user_id, body.app_id.as_deref())
            .await?;
        Ok(json!({ "user_access_token": token, "expire": expire }))
    };
    control(result.await)
}

async fn control_authorize(State(shared): Shr, body: Bytes) -> Response {
    let result = control_body::<UserTokenBody>(&body)
        .and_then(|body| shared.authorize(&body.user_id, body.app_id.as_deref()))
        .map(|code| json!({ "code": code }));
    control(result)
}

async fn start_meeting(
    State(shared): Shr,
    Path(reserve_id): Path<String>,
    body: Bytes,
) -> Response {
    let result = async {
        let spec: MeetingSpec = control_body(&body)?;
        let meeting = shared.start_meeting(&reserve_id, &spec).await?;
        Ok(json!({ "meeting": meeting }))
    };
    control(result.await)
}

async fn end_meeting(State(shared): Shr, Path(reserve_id): Path<String>) -> Response {
    let result = async {
        shared.end_meeting(&reserve_id).await?;
        Ok(json!({}))
    };
    control(result.await)
}

#[derive(serde::Deserialize)]
struct LeaveBody {
    user_id: String,
    #[serde(default)]
    leave_reason: Option<i64>,
}

#[derive(serde::Deserialize)]
struct ByBody {
    #[serde(default)]
    user_id: Option<String>,
}

#[derive(serde::Deserialize)]
struct ReadyBody {
    #[serde(default)]
    url: Option<String>,
}

#[derive(serde::Deserialize)]
struct CallbackBody {
    url: String,
}

/// The answer of a meeting step: the meeting as it is now.
fn meeting_now(meeting: feishu_vc_model::Meeting) -> Value {
    json!({ "meeting": meeting })
}

/// A control call with a JSON body: reads it as `B` and answers what `then` makes of it.
async fn with_body<B, F>(body: &[u8], then: impl FnOnce(B) -> F) -> Response
where
    B: DeserializeOwned,
    F: Future<Output = Result<Value, Error>>,
{
    let result = async { then(control_body(body)?).await };
    control(result.await)
}

async fn join_meeting(State(shared): Shr, Path(reserve_id): Path<String>, body: Bytes) -> Response {
    with_body(&body, |spec: ParticipantSpec| async move {
        Ok(meeting_now(shared.join_meeting(&reserve_id, &spec).await?))
    })
    .await
}

async fn leave_meeting(
    State(shared): Shr,
    Path(reserve_id): Path<String>,
    body: Bytes,
) -> Response {
    with_body(&body, |body: LeaveBody| async move {
        let reason = match body.leave_reason {
            None => LeaveReason::Left,
            Some(n) => LeaveReason::from_value(n).ok_or_else(|| {
                Error::BadRequest(format!("leave_reason: {n} is not 1 (left) or 3 (removed)"))
            })?,
        };
        let meeting = shared
            .leave_meeting(&reserve_id, &body.user_id, reason)
            .await?;
        Ok(meeting_now(meeting))
    })
    .await
}

async fn start_screen_share(
    State(shared): Shr,
    Path(reserve_id): Path<String>,
    body: Bytes,
) -> Response {
    with_body(&body, |body: ByBody| async move {
        let user = body
            .user_id
            .ok_or_else(|| Error::BadRequest("user_id: who shares is required".to_owned()))?;
        Ok(meeting_now(
            shared.start_screen_share(&reserve_id, &user).await?,
        ))
    })
    .await
}

async fn end_screen_share(State(shared): Shr, Path(reserve_id): Path<String>) -> Response {
    control(shared.end_screen_share(&reserve_id).await.map(meeting_now))
}

async fn start_recording(
    State(shared): Shr,
    Path(reserve_id): Path<String>,
    body: Bytes,
) -> Response {
    with_body(&body, |body: ByBody| async move {
        let by = body.user_id.as_deref();
        Ok(meeting_now(shared.start_recording(&reserve_id, by).await?))
    })
    .await
}

async fn end_recording(State(shared): Shr, Path(reserve_id): Path<String>) -> Response {
    control(shared.end_recording(&reserve_id).await.map(meeting_now))
}

async fn recording_ready(
    State(shared): Shr,
    Path(reserve_id): Path<String>,
    body: Bytes,
) -> Response {
    with_body(&body, |body: ReadyBody| async move {
        let file = shared.recording_ready(&reserve_id, body.url).await?;
        serde_json::to_value(file).map_err(|e| Error::BadRequest(e.to_string()))
    })
    .await
}

async fn event_callbacks(State(shared): Shr) -> Response {
    control(Ok(json!({ "callbacks": shared.events.callbacks() })))
}

async fn add_event_callback(State(shared): Shr, body: Bytes) -> Response {
    with_body(&body, |body: CallbackBody| async move {
        shared.events.register(&body.url).await?;
        Ok(json!({ "callbacks": shared.events.callbacks() }))
    })
    .await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsBody {
    drop_apply_answers: u32,
}

fn faults_now(shared: &Shared) -> Value {
    json!({ "drop_apply_answers": shared.faults.apply_answers_to_drop() })
}

async fn faults(State(shared): Shr) -> Response {
    control(Ok(faults_now(&shared)))
}

async fn set_faults(State(shared): Shr, body: Bytes) -> Response {
    let result = control_body::<FaultsBody>(&body).map(|body| {
        shared.faults.drop_apply_answers(body.drop_apply_answers);
        faults_now(&shared)
    });
    control(result)
}

async fn state(State(shared): Shr) -> Response {
    control(serde_json::to_value(shared.snapshot()).map_err(|e| Error::BadRequest(e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_found_and_nulls_ignored() {
        let raw = json!({"meeting_settings": {"topic": "t", "invitees": ["x"]}, "owner_id": null});
        let typed = json!({"meeting_settings": {"topic": "t"}});
        assert_eq!(
            unknown_field(&raw, &typed, "").as_deref(),
            Some("meeting_settings.invitees")
        );
        let raw = json!({"a": [{"b": 1}, {"b": 1, "c": 2}]});
        let typed = json!({"a": [{"b": 1}, {"b": 1}]});
        assert_eq!(unknown_field(&raw, &typed, "").as_deref(), Some("a[1].c"));
    }

    fn decoded(body: &str) -> Result<ApplyReserveBody, String> {
        decode::<ApplyReserveBody>(body.as_bytes()).map_err(|f| f.msg)
    }

    #[test]
    fn a_body_of_known_fields_is_decoded_into_its_type() {
        let body = decoded(
            r#" {"end_time":"1700000000","owner_id":"ou_a","meeting_settings":{"topic":"t",
                "action_permissions":[{"permission":1,"permission_checkers":[{"check_field":1,
                "check_mode":1,"check_list":["ou_b"]}]}]},"unknown_but_null":null}"#,
        )
        .unwrap();
        assert_eq!(body.meeting_settings.topic.as_deref(), Some("t"));
        assert_eq!(body.owner_id.as_ref().map(|o| o.as_str()), Some("ou_a"));
    }

    #[test]
    fn every_body_the_type_does_not_fully_take_is_refused_with_its_reason() {
        let cases = [
            (
                r#"{"meeting_settings":{"topic":"t","invitees":["x"]}}"#,
                "meeting_settings.invitees: unknown field",
            ),
            (
                r#"{"meeting_settings":{"action_permissions":[{"permission":1,"extra":2}]}}"#,
                "meeting_settings.action_permissions[0].extra: unknown field",
            ),
            // A struct can be read from an array in field order; the API takes objects only.
            (r#"[{"topic":"t"}]"#, "the body must be a JSON object"),
            (
                r#"{"meeting_settings":{}} x"#,
                "the body is not JSON (line 1, column 25)",
            ),
            (
                r#"{"meeting_settings":{"topic":5}}"#,
                "the body does not match the schema (line 1, column 30)",
            ),
            (
                "{}",
                "the body missing field `meeting_settings` at line 1 column 2",
            ),
        ];
        for (body, msg) in cases {
            assert_eq!(
                decoded(body).unwrap_err(),
                format!("param error: {msg}"),
                "{body}"
            );
        }
    }
}
