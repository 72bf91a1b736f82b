//! The calendar routes of the Open API (`/open-apis/calendar/v4/calendars/...`): the caller from
//! the token, the rate limit, the query and body read (fields Calendar has and feishu-vc does not
//! model are read and ignored, as Calendar takes them), validation by `feishu-vc-validate`, then
//! the operation in `calendar/rules.rs`. A malformed request is 190002, Calendar's code for it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::{patch, post};
use feishu_vc_model::{
    ApiRequest, CreateCalendarEventAttendeesBody, CreateCalendarEventAttendeesRequest,
    CreateCalendarEventBody, CreateCalendarEventRequest, DeleteCalendarEventRequest,
    PatchCalendarEventBody, PatchCalendarEventRequest, PrimaryCalendarRequest, UserIdType,
};
use feishu_vc_validate::{Context, Validate};
use serde::de::DeserializeOwned;

use crate::answer::{Failure, first_violation};
use crate::auth::state::Caller;
use crate::calendar::rules::{as_calendar, invalid};
use crate::http::envelope::{LogId, log_of, reply};
use crate::http::query::{flag_or, query, user_id_type};
use crate::reserves::http::admit;
use crate::shared::Shared;

type Shr = State<Arc<Shared>>;

/// The calendar operations.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/open-apis/calendar/v4/calendars/primary", post(primary))
        .route(
            "/open-apis/calendar/v4/calendars/{calendar_id}/events",
            post(create_event),
        )
        .route(
            "/open-apis/calendar/v4/calendars/{calendar_id}/events/{event_id}",
            patch(patch_event).delete(delete_event),
        )
        .route(
            "/open-apis/calendar/v4/calendars/{calendar_id}/events/{event_id}/attendees",
            post(add_attendees),
        )
}

/// A calendar body: JSON of the operation's type, fields it does not model ignored.
fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        if text.starts_with("missing field") {
            invalid(format!(
                "the body has a {}",
                text.split(" at line").next().unwrap_or(&text)
            ))
        } else {
            invalid(format!(
                "the body does not match the schema (line {}, column {})",
                e.line(),
                e.column()
            ))
        }
    })
}

/// The query, and the `user_id_type` it names, with Calendar's code for a malformed one.
fn calendar_query(uri: &Uri) -> Result<(HashMap<String, String>, UserIdType), Failure> {
    let q = query(uri).map_err(as_calendar)?;
    let kind = user_id_type(&q).map_err(as_calendar)?;
    Ok((q, kind))
}

/// The request checked by the rules both ends share.
fn checked<R: Validate>(shared: &Shared, caller: &Caller, request: &R) -> Result<(), Failure> {
    first_violation(request.violations(&Context::new(caller.kind).at(shared.now())))
}

async fn primary(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let outcome = (|| {
        let caller = admit(&shared, &headers, PrimaryCalendarRequest::OPERATION.id)?;
        let (_, kind) = calendar_query(&uri)?;
        let request = PrimaryCalendarRequest::new().set_user_id_type(kind);
        checked(&shared, &caller, &request)?;
        shared.primary_calendar(&caller, kind)
    })();
    reply(outcome, &log_of(log))
}

async fn create_event(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path(calendar_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    let outcome = async {
        let caller = admit(&shared, &headers, CreateCalendarEventRequest::OPERATION.id)?;
        let (q, kind) = calendar_query(&uri)?;
        let event: CreateCalendarEventBody = body(&bytes)?;
        let mut request =
            CreateCalendarEventRequest::from_body(calendar_id, event).set_user_id_type(kind);
        if let Some(key) = q.get("idempotency_key") {
            request = request.set_idempotency_key(key.clone());
        }
        checked(&shared, &caller, &request)?;
        shared.create_event(&caller, &request).await
    }
    .await;
    reply(outcome, &log_of(log))
}

async fn patch_event(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path((calendar_id, event_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    let outcome = async {
        let caller = admit(&shared, &headers, PatchCalendarEventRequest::OPERATION.id)?;
        let (_, kind) = calendar_query(&uri)?;
        let changes: PatchCalendarEventBody = body(&bytes)?;
        let request = PatchCalendarEventRequest::from_body(calendar_id, event_id, changes)
            .set_user_id_type(kind);
        checked(&shared, &caller, &request)?;
        shared.patch_event(&caller, &request).await
    }
    .await;
    reply(outcome, &log_of(log))
}

async fn delete_event(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path((calendar_id, event_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let outcome = async {
        let caller = admit(&shared, &headers, DeleteCalendarEventRequest::OPERATION.id)?;
        let q = query(&uri).map_err(as_calendar)?;
        let notify = flag_or(&q, "need_notification", true).map_err(as_calendar)?;
        let request =
            DeleteCalendarEventRequest::new(calendar_id, event_id).set_need_notification(notify);
        checked(&shared, &caller, &request)?;
        shared.delete_event(&caller, &request).await
    }
    .await;
    reply(outcome, &log_of(log))
}

async fn add_attendees(
    State(shared): Shr,
    log: Option<axum::Extension<LogId>>,
    Path((calendar_id, event_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    let outcome = async {
        let caller = admit(
            &shared,
            &headers,
            CreateCalendarEventAttendeesRequest::OPERATION.id,
        )?;
        let (_, kind) = calendar_query(&uri)?;
        let attendees: CreateCalendarEventAttendeesBody = body(&bytes)?;
        let request =
            CreateCalendarEventAttendeesRequest::from_body(calendar_id, event_id, attendees)
                .set_user_id_type(kind);
        checked(&shared, &caller, &request)?;
        shared.add_attendees(&caller, &request, kind).await
    }
    .await;
    reply(outcome, &log_of(log))
}
