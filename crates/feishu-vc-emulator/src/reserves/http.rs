//! The five reserve routes (`/open-apis/vc/v1/reserves/...`): the caller from the token, the rate
//! limit, the query and the body read strictly, validation by `feishu-vc-validate`, then the
//! operation in `reserves/rules.rs`, answered in Feishu's envelope.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use feishu_vc_model::{
    ApiRequest, ApplyReserveBody, ApplyReserveRequest, DeleteReserveRequest,
    GetActiveMeetingRequest, GetReserveRequest, UpdateReserveBody, UpdateReserveRequest,
    UserIdType,
};
use feishu_vc_validate::{Context, Validate};

use crate::answer::{Failure, Outcome, first_violation};
use crate::auth::state::Caller;
use crate::http::decode::decode;
use crate::http::envelope::{LogId, log_of, reply};
use crate::http::query::query_bool;
use crate::http::serve::Cut;
use crate::shared::Shared;

type Shr = State<Arc<Shared>>;

/// The five reserve operations.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/open-apis/vc/v1/reserves/apply", post(apply))
        .route(
            "/open-apis/vc/v1/reserves/{reserve_id}",
            get(get_reserve).put(update).delete(delete),
        )
        .route(
            "/open-apis/vc/v1/reserves/{reserve_id}/get_active_meeting",
            get(get_active_meeting),
        )
}

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

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// The caller, after the rate limit.
pub(crate) fn admit(
    shared: &Shared,
    headers: &HeaderMap,
    operation: &'static str,
) -> Result<Caller, Failure> {
    let caller = shared.authenticate(authorization(headers))?;
    shared.throttle(&caller, operation)?;
    Ok(caller)
}

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
    let delay = shared.faults.apply_answer_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
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
