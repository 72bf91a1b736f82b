//! Store (marketplace) apps: each installed in several tenants, its `app_ticket` pushed as a
//! schema 1.0 event on a schedule and on resend, the store `app_access_token` (10012 for a bad or
//! missing ticket) and one tenant token per tenant, acting only for that tenant.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::config::{App, StoreApp};
use crate::shared::Shared;

/// The store apps, their valid tickets and their app tokens (in memory only).
#[derive(Debug, Default)]
pub(crate) struct StoreApps {
    pub(crate) apps: Vec<StoreApp>,
    /// The tickets pushed per app: the newest and the one before stay valid.
    tickets: Mutex<HashMap<String, Vec<String>>>,
    /// App access token → (app id, expiry in token time).
    app_tokens: Mutex<HashMap<String, (String, i64)>>,
}

impl StoreApps {
    pub(crate) fn new(apps: Vec<StoreApp>) -> Self {
        Self {
            apps,
            ..Self::default()
        }
    }

    fn app(&self, app_id: &str) -> Option<&StoreApp> {
        self.apps.iter().find(|a| a.app_id == app_id)
    }

    /// A new ticket for `app_id`; the one before it stays valid too.
    fn new_ticket(&self, app_id: &str) -> String {
        let ticket = crate::ids::token("ticket-");
        let mut tickets = self
            .tickets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let valid = tickets.entry(app_id.to_owned()).or_default();
        valid.push(ticket.clone());
        if valid.len() > 2 {
            valid.remove(0);
        }
        ticket
    }

    fn ticket_valid(&self, app_id: &str, ticket: &str) -> bool {
        self.tickets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(app_id)
            .is_some_and(|valid| valid.iter().any(|t| t == ticket))
    }
}

/// Pushes a fresh ticket of `app_id` to every webhook callback (schema 1.0).
fn push_ticket(shared: &Shared, app_id: &str) {
    let ticket = shared.store_apps.new_ticket(app_id);
    shared.events.push_v1(json!({
        "app_id": app_id,
        "app_ticket": ticket,
        "type": "app_ticket",
    }));
}

/// Pushes every store app's ticket every `interval` until the emulator is gone.
pub(crate) fn schedule(shared: Weak<Shared>, interval: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let ids: Vec<String> = shared
                .store_apps
                .apps
                .iter()
                .map(|a| a.app_id.clone())
                .collect();
            for id in ids {
                push_ticket(&shared, &id);
            }
        }
    });
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
