//! The meeting and recording routes of the Open API (`/open-apis/vc/v1/meetings/...`): the
//! caller from the token, the rate limit, the query read strictly, validation by
//! `feishu-vc-validate`, then the read in `meetings/lookup.rs`, answered in Feishu's envelope.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::{get, patch};
use feishu_vc_model::{
    ApiRequest, GetMeetingRequest, GetRecordingRequest, ListMeetingsByNoRequest,
    SetRecordingPermissionBody, SetRecordingPermissionRequest, StartRecordingBody,
    StartRecordingRequest, StopRecordingRequest, Timestamp,
};
use feishu_vc_validate::{Context, Validate};

use crate::answer::{Failure, first_violation};
use crate::http::decode::decode;
use crate::http::envelope::{LogId, log_of, reply};
use crate::http::query::{flag, query, required, user_id_type};
use crate::reserves::http::admit;
use crate::shared::Shared;

type Shr = State<Arc<Shared>>;

/// The meeting reads.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/open-apis/vc/v1/meetings/list_by_no", get(list_by_no))
        .route("/open-apis/vc/v1/meetings/{meeting_id}", get(get_meeting))
        .route(
            "/open-apis/vc/v1/meetings/{meeting_id}/recording",
            get(get_recording),
        )
        .route(
            "/open-apis/vc/v1/meetings/{meeting_id}/recording/start",
            patch(start_recording),
        )
        .route(
            "/open-apis/vc/v1/meetings/{meeting_id}/recording/stop",
            patch(stop_recording),
        )
        .route(
            "/open-apis/vc/v1/meetings/{meeting_id}/recording/set_permission",
            patch(set_permission),
        )
}

fn seconds(q: &HashMap<String, String>, name: &str) -> Result<Timestamp, Failure> {
    required(q, name)?
        .parse()
        .map(Timestamp::from_unix_seconds)
        .map_err(|_| Failure::field(name, "must be unix seconds"))
}

async fn get_meeting(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path(meeting_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let outcome = (|| {
        let caller = admit(&shared, &headers, GetMeetingRequest::OPERATION.id)?;
        let q = query(&uri)?;
        let kind = user_id_type(&q)?;
        let with_participants = flag(&q, "with_participants")?;
        let request = GetMeetingRequest::new(meeting_id)
            .set_user_id_type(kind)
            .set_with_participants(with_participants)
            .set_with_meeting_ability(flag(&q, "with_meeting_ability")?);
        let now = shared.now();
        first_violation(request.violations(&Context::new(caller.kind).at(now)))?;
        shared.get_meeting(
            &caller,
            request.meeting_id.as_str(),
            kind,
            with_participants,
            now.unix_seconds(),
        )
    })();
    reply(outcome, &log_of(log))
}

async fn list_by_no(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let outcome = (|| {
        let caller = admit(&shared, &headers, ListMeetingsByNoRequest::OPERATION.id)?;
        let q = query(&uri)?;
        let mut request = ListMeetingsByNoRequest::new(
            required(&q, "meeting_no")?,
            seconds(&q, "start_time")?,
            seconds(&q, "end_time")?,
        );
        if let Some(token) = q.get("page_token") {
            request = request.set_page_token(token.clone());
        }
        if let Some(size) = q.get("page_size") {
            let size: i64 = size
                .parse()
                .map_err(|_| Failure::field("page_size", "must be an integer"))?;
            request = request.set_page_size(size);
        }
        let now = shared.now();
        first_violation(request.violations(&Context::new(caller.kind).at(now)))?;
        shared.list_meetings_by_no(&caller, &request)
    })();
    reply(outcome, &log_of(log))
}

async fn get_recording(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path(meeting_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let outcome = (|| {
        let caller = admit(&shared, &headers, GetRecordingRequest::OPERATION.id)?;
        let request = GetRecordingRequest::new(meeting_id);
        first_violation(request.violations(&Context::new(caller.kind).at(shared.now())))?;
        shared.get_recording(&caller, request.meeting_id.as_str())
    })();
    reply(outcome, &log_of(log))
}

/// The body of a PATCH that may come empty (recording.stop sends none; start's is optional).
fn body_or_default<T: serde::de::DeserializeOwned + serde::Serialize + Default>(
    bytes: &[u8],
) -> Result<T, Failure> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        decode(bytes)
    }
}

async fn start_recording(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path(meeting_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = async {
        let caller = admit(&shared, &headers, StartRecordingRequest::OPERATION.id)?;
        let body: StartRecordingBody = body_or_default(&body)?;
        let request = StartRecordingRequest::from_body(meeting_id, body);
        first_violation(request.violations(&Context::new(caller.kind).at(shared.now())))?;
        shared
            .api_start_recording(&caller, request.meeting_id.as_str())
            .await
    }
    .await;
    reply(outcome, &log_of(log))
}

async fn stop_recording(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path(meeting_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let outcome = async {
        let caller = admit(&shared, &headers, StopRecordingRequest::OPERATION.id)?;
        let request = StopRecordingRequest::new(meeting_id);
        first_violation(request.violations(&Context::new(caller.kind).at(shared.now())))?;
        shared
            .api_stop_recording(&caller, request.meeting_id.as_str())
            .await
    }
    .await;
    reply(outcome, &log_of(log))
}

async fn set_permission(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path(meeting_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let outcome = async {
        let caller = admit(
            &shared,
            &headers,
            SetRecordingPermissionRequest::OPERATION.id,
        )?;
        let kind = user_id_type(&query(&uri)?)?;
        let body: SetRecordingPermissionBody = decode(&body)?;
        let request =
            SetRecordingPermissionRequest::from_body(meeting_id, body).set_user_id_type(kind);
        first_violation(request.violations(&Context::new(caller.kind).at(shared.now())))?;
        shared
            .api_set_recording_permission(&caller, request.meeting_id.as_str())
            .await
    }
    .await;
    reply(outcome, &log_of(log))
}
