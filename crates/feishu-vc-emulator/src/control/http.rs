//! The control API's routes (`/_emulator/*`, moto's `moto_api`): clock, tokens, authorize,
//! meeting steps, event callbacks, state and faults. Errors are `{"error": "…"}` with the
//! `Error`'s HTTP status.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::control::types::{LeaveReason, MeetingSpec, ParticipantSpec};
use crate::error::Error;
use crate::http::envelope::json_response;
use crate::shared::Shared;

type Shr = State<Arc<Shared>>;

/// Every control route.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
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
}

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
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    seconds: u64,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantTokenBody {
    #[serde(default)]
    app_id: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
struct LeaveBody {
    user_id: String,
    #[serde(default)]
    leave_reason: Option<i64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ByBody {
    #[serde(default)]
    user_id: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadyBody {
    #[serde(default)]
    url: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
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
