//! The OAuth v2 user-token endpoint: authorization codes issued for tests, the code exchange, and
//! refresh with single-use refresh tokens.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::config::App;
use crate::error::Error;
use crate::ids;
use crate::shared::Shared;

/// How long an authorization code may be exchanged (5 minutes, as Feishu's).
const CODE_LIFETIME: i64 = 300;

/// How long a refresh token lives (Feishu's example `refresh_token_expires_in`: 7 days).
const REFRESH_LIFETIME: i64 = 604_800;

/// Codes and refresh tokens issued, by value. Kept in memory only: a restarted emulator forgets
/// them, and its users must authorize again.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    inner: Mutex<GrantsInner>,
}

#[derive(Debug, Default)]
struct GrantsInner {
    codes: HashMap<String, Grant>,
    refresh: HashMap<String, RefreshGrant>,
}

#[derive(Debug, Clone)]
struct Grant {
    app_id: String,
    user_id: String,
    expires_at: i64,
}

#[derive(Debug)]
struct RefreshGrant {
    grant: Grant,
    used: bool,
}

impl Grants {
    fn lock(&self) -> std::sync::MutexGuard<'_, GrantsInner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Shared {
    /// The authorize step, for tests: a code for the directory user `user_id` and the app
    /// `app_id` (the main app unless given), as if the user had consented.
    pub(crate) fn authorize(&self, user_id: &str, app_id: Option<&str>) -> Result<String, Error> {
        if self.directory.find_any(user_id).is_none() {
            return Err(Error::UnknownUser(user_id.to_owned()));
        }
        let app_id = match app_id {
            Some(id) => self
                .app(id)
                .ok_or_else(|| Error::UnknownApp(id.to_owned()))?
                .app_id
                .clone(),
            None => self.apps[0].app_id.clone(),
        };
        let code = ids::token("");
        let grant = Grant {
            app_id,
            user_id: user_id.to_owned(),
            expires_at: self.token_now() + CODE_LIFETIME,
        };
        self.oauth.lock().codes.insert(code.clone(), grant);
        Ok(code)
    }

    /// A new access token and refresh token for `grant`.
    async fn issue(&self, grant: &Grant) -> Result<serde_json::Value, Error> {
        let (access, expire) = self.user_token(&grant.user_id, Some(&grant.app_id)).await?;
        let refresh = ids::token("");
        let now = self.token_now();
        self.oauth.lock().refresh.insert(
            refresh.clone(),
            RefreshGrant {
                grant: Grant {
                    expires_at: now + REFRESH_LIFETIME,
                    ..grant.clone()
                },
                used: false,
            },
        );
        Ok(json!({
            "code": 0,
            "access_token": access,
            "expires_in": expire,
            "refresh_token": refresh,
            "refresh_token_expires_in": REFRESH_LIFETIME,
            "token_type": "Bearer",
            "scope": "vc:reserve offline_access",
        }))
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
