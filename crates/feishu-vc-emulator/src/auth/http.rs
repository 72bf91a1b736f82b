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
use serde::Deserialize;
use serde_json::json;

use crate::answer::Failure;
use crate::apps::{App, StoreApp};
use crate::auth::rules::push_ticket;
use crate::http::envelope::{LogId, failure_response, json_response, log_of};
use crate::shared::Shared;

type Shr = State<Arc<Shared>>;

/// The token endpoints.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    const TOKEN: &str = "/open-apis/auth/v3/tenant_access_token/internal";
    Router::new()
        .route(TOKEN, post(tenant_token))
        .route(&format!("{TOKEN}/"), post(tenant_token))
        .route(feishu_vc_transport::OAUTH_TOKEN_PATH, post(token))
        .route(feishu_vc_transport::OAUTH_V3_TOKEN_PATH, post(v3_token))
        .route(feishu_vc_transport::APP_TICKET_RESEND_PATH, post(resend))
        .route(
            feishu_vc_transport::APP_ACCESS_TOKEN_PATH,
            post(app_access_token),
        )
        .route(
            feishu_vc_transport::STORE_TENANT_TOKEN_PATH,
            post(tenant_access_token),
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

/// A token request's body: the grant, the client, and the grant's code or refresh token.
#[derive(Deserialize)]
struct TokenBody {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    refresh_token: String,
}

/// An OAuth failure: HTTP status, code and the RFC 6749 error, fields at the top level.
fn refuse(status: u16, code: i64, error: &str, description: &str) -> Response {
    crate::http::envelope::json(
        status,
        &json!({"code": code, "error": error, "error_description": description}),
    )
}

/// The app a token request names, if its secret is right; else the code and description of
/// the `invalid_client` refusal.
fn client_app<'a>(
    shared: &'a Shared,
    client_id: &str,
    secret: &str,
) -> Result<&'a App, (i64, &'static str)> {
    let app = shared
        .app(client_id)
        .ok_or((20048, "The app does not exist."))?;
    if secret.is_empty() || app.app_secret != secret {
        return Err((20002, "The client secret is invalid."));
    }
    Ok(app)
}

/// `POST /open-apis/authen/v2/oauth/token`: the `authorization_code` and `refresh_token` grants
/// (JSON body). A refresh token works once: reused, it is refused with 20073.
pub(crate) async fn token(State(shared): State<std::sync::Arc<Shared>>, body: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<TokenBody>(&body) else {
        return refuse(400, 20063, "invalid_request", "The request is malformed.");
    };
    let app = match client_app(&shared, &body.client_id, &body.client_secret) {
        Ok(app) => app,
        Err((code, why)) => return refuse(400, code, "invalid_client", why),
    };
    let now = shared.token_now();
    let grant = match body.grant_type.as_str() {
        "authorization_code" => match shared.oauth.lock().codes.remove(&body.code) {
            Some(g) if g.app_id != app.app_id => {
                return refuse(
                    400,
                    20024,
                    "invalid_grant",
                    "The code does not match the app.",
                );
            }
            Some(g) if g.expires_at > now => g,
            _ => {
                return refuse(
                    400,
                    20024,
                    "invalid_grant",
                    "The code is invalid or expired.",
                );
            }
        },
        "refresh_token" => {
            let mut grants = shared.oauth.lock();
            let Some(r) = grants.refresh.get_mut(&body.refresh_token) else {
                return refuse(400, 20026, "invalid_grant", "The refresh token is invalid.");
            };
            if r.grant.app_id != app.app_id {
                return refuse(
                    400,
                    20024,
                    "invalid_grant",
                    "The refresh token does not match the app.",
                );
            }
            if r.used {
                return refuse(
                    400,
                    20073,
                    "invalid_grant",
                    "The refresh token has been used.",
                );
            }
            if r.grant.expires_at <= now {
                return refuse(
                    400,
                    20037,
                    "invalid_grant",
                    "The refresh token has expired.",
                );
            }
            r.used = true;
            r.grant.clone()
        }
        _ => {
            return refuse(
                400,
                20036,
                "unsupported_grant_type",
                "The grant type is not supported.",
            );
        }
    };
    match shared.issue(&grant).await {
        Ok(answer) => crate::http::envelope::json(200, &answer),
        Err(_) => refuse(500, 20050, "server_error", "Please retry your request."),
    }
}

/// `POST /oauth/v3/token` (`grant_type=client_credentials`, `client_secret_post` in a JSON body):
/// the app's tenant token as `access_token`, with `expires_in`.
pub(crate) async fn v3_token(
    State(shared): State<std::sync::Arc<Shared>>,
    body: Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<TokenBody>(&body) else {
        return refuse(400, 20063, "invalid_request", "The request is malformed.");
    };
    if body.grant_type != "client_credentials" {
        return refuse(
            400,
            20036,
            "unsupported_grant_type",
            "The grant type is not supported.",
        );
    }
    let app = match client_app(&shared, &body.client_id, &body.client_secret) {
        Ok(app) => app.clone(),
        Err((code, why)) => return refuse(400, code, "invalid_client", why),
    };
    match shared.tenant_token(&app).await {
        Ok((token, expire)) => crate::http::envelope::json(
            200,
            &json!({"code": 0, "access_token": token, "expires_in": expire, "token_type": "Bearer"}),
        ),
        Err(_) => refuse(500, 20050, "server_error", "Please retry your request."),
    }
}

/// A top-level answer (no envelope), HTTP 200 even on failure, as Feishu's token endpoints give.
fn answer(body: serde_json::Value) -> Response {
    axum::response::IntoResponse::into_response(axum::Json(body))
}

fn fail(code: i64, msg: &str) -> Response {
    answer(json!({"code": code, "msg": msg}))
}

#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    app_id: String,
    #[serde(default)]
    app_secret: String,
    #[serde(default)]
    app_ticket: String,
}

/// The store app with these credentials, or the code and message to fail with.
fn check<'a>(
    shared: &'a Shared,
    body: &[u8],
) -> Result<(&'a StoreApp, Credentials), (i64, &'static str)> {
    let Ok(c) = serde_json::from_slice::<Credentials>(body) else {
        return Err((10003, "invalid param"));
    };
    let Some(app) = shared.store_apps.app(&c.app_id) else {
        return Err((10003, "invalid param"));
    };
    if app.app_secret != c.app_secret {
        return Err((10014, "app secret invalid"));
    }
    Ok((app, c))
}

/// `POST /open-apis/auth/v3/app_ticket/resend`: the ticket comes later as an event.
pub(crate) async fn resend(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match check(&shared, &body) {
        Ok((app, _)) => {
            let app_id = app.app_id.clone();
            push_ticket(&shared, &app_id);
            answer(json!({"code": 0, "msg": "success"}))
        }
        Err((code, msg)) => fail(code, msg),
    }
}

/// `POST /open-apis/auth/v3/app_access_token` for a store app.
pub(crate) async fn app_access_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let (app, c) = match check(&shared, &body) {
        Ok(ok) => ok,
        Err((code, msg)) => return fail(code, msg),
    };
    if !shared.store_apps.ticket_valid(&app.app_id, &c.app_ticket) {
        return fail(10012, "app_ticket is invalid");
    }
    let lifetime = crate::config::TOKEN_LIFETIME.as_secs() as i64;
    let token = crate::ids::token("a-");
    let expires_at = shared.token_now().saturating_add(lifetime);
    shared
        .store_apps
        .app_tokens
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(token.clone(), (app.app_id.clone(), expires_at));
    answer(json!({"code": 0, "msg": "success", "app_access_token": token, "expire": lifetime}))
}

#[derive(Deserialize)]
struct TenantTokenBody {
    #[serde(default)]
    app_access_token: String,
    #[serde(default)]
    tenant_key: String,
}

/// `POST /open-apis/auth/v3/tenant_access_token`: a store app's token for one of its tenants.
pub(crate) async fn tenant_access_token(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<TenantTokenBody>(&body) else {
        return fail(10003, "invalid param");
    };
    let now = shared.token_now();
    let app_id = shared
        .store_apps
        .app_tokens
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&request.app_access_token)
        .filter(|(_, expires_at)| *expires_at > now)
        .map(|(app_id, _)| app_id.clone());
    let Some(app) = app_id.and_then(|id| shared.store_apps.app(&id)) else {
        return fail(99991664, "invalid app access token");
    };
    if !app.tenants.contains(&request.tenant_key) {
        return fail(
            10003,
            "invalid param: the app is not installed in this tenant",
        );
    }
    let installed = App {
        app_id: app.app_id.clone(),
        app_secret: app.app_secret.clone(),
        tenant_key: request.tenant_key,
    };
    match shared.tenant_token(&installed).await {
        Ok((token, expire)) => answer(json!({
            "code": 0, "msg": "success", "tenant_access_token": token, "expire": expire
        })),
        Err(e) => fail(1, &format!("internal error: {e}")),
    }
}
