//! The token endpoints: the tenant token (internal), OAuth v2 user tokens and v3 client
//! credentials, and the store apps' ticket resend, app token and tenant tokens. Their answers are
//! top level, as Feishu's token endpoints answer.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use feishu_vc_model::{TenantAccessTokenInternalBody, TenantAccessTokenInternalResponse};

use crate::answer::Failure;
use crate::http::envelope::{LogId, failure_response, json_response, log_of};
use crate::shared::Shared;

type Shr = State<Arc<Shared>>;

/// The token endpoints.
pub(crate) fn routes() -> Router<Arc<Shared>> {
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
}

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
