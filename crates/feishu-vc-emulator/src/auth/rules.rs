//! Auth on the hub: who a bearer token stands for, issuing tenant and user tokens, the OAuth
//! authorize step and token issue, and pushing the store apps' tickets.

use std::sync::Weak;
use std::time::Duration;

use feishu_vc_model::{ErrorCode, TokenKind};
use serde_json::json;

use crate::answer::Failure;
use crate::apps::App;
use crate::auth::grants::{Grant, RefreshGrant};
use crate::auth::state::{Caller, Kind, TokenRecord};
use crate::config::TOKEN_LIFETIME;
use crate::error::Error;
use crate::ids;
use crate::shared::Shared;

/// A tenant token with at least this long to live is handed out again rather than replaced:
/// Feishu issues a new one only when less than 30 minutes are left.
const REUSE_TENANT_TOKEN_FOR: i64 = 30 * 60;

/// How user tokens begin (`t-` for tenant tokens), as Feishu's legacy tokens do.
const USER_TOKEN_PREFIX: &str = "u-";

/// How long an authorization code may be exchanged (5 minutes, as Feishu's).
const CODE_LIFETIME: i64 = 300;

/// How long a refresh token lives (Feishu's example `refresh_token_expires_in`: 7 days).
const REFRESH_LIFETIME: i64 = 604_800;

impl Shared {
    // ---- tokens ----

    /// The caller behind an `Authorization: Bearer <token>` header.
    pub(crate) fn authenticate(&self, authorization: Option<&str>) -> Result<Caller, Failure> {
        let token = authorization
            .and_then(|h| {
                let (scheme, rest) = h.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Failure::new(
                    ErrorCode::AuthorizationMissing,
                    "Missing access token for authorization. Please make a request with token attached.",
                )
            })?;
        let now = self.token_now();
        let state = self.lock();
        match state.tokens.get(token) {
            Some(t) if t.expires_at > now => Ok(Caller {
                kind: match t.kind {
                    Kind::Tenant => TokenKind::Tenant,
                    Kind::User => TokenKind::User,
                },
                app_id: t.app_id.clone(),
                tenant_key: t.tenant_key.clone(),
                user: t.user.clone(),
            }),
            // Feishu tells an expired user token (99991677, refresh it) from an invalid one
            // (99991668); tenant tokens and tokens of no known kind are 99991663.
            Some(t) if t.kind == Kind::User => Err(Failure::new(
                ErrorCode::UserAccessTokenExpired,
                "Authentication token expired. Please refresh the user_access_token.",
            )),
            None if token.starts_with(USER_TOKEN_PREFIX) => Err(Failure::new(
                ErrorCode::UserAccessTokenInvalid,
                "Invalid access token for authorization. Please make a request with token attached.",
            )),
            _ => Err(Failure::new(
                ErrorCode::AccessTokenInvalid,
                "Invalid access token for authorization. Please make a request with token attached.",
            )),
        }
    }

    /// A tenant token for `app` in its tenant: the current one while it has 30 minutes or more to live, else a
    /// new one (the old one stays valid until it expires). Returns the token and its seconds left.
    pub(crate) async fn tenant_token(&self, app: &App) -> Result<(String, i64), Error> {
        let now = self.token_now();
        let (version, token, expire) = {
            let mut state = self.lock();
            let current = state
                .tokens
                .iter()
                .filter(|(_, t)| {
                    t.kind == Kind::Tenant
                        && t.app_id == app.app_id
                        && t.tenant_key == app.tenant_key
                })
                .max_by_key(|(_, t)| t.expires_at)
                .filter(|(_, t)| t.expires_at - now >= REUSE_TENANT_TOKEN_FOR)
                .map(|(token, t)| (token.clone(), t.expires_at - now));
            if let Some((token, left)) = current {
                return Ok((token, left));
            }
            state.purge_tokens(now);
            let token = ids::token("t-");
            let lifetime = TOKEN_LIFETIME.as_secs() as i64;
            state.insert_token(
                token.clone(),
                TokenRecord {
                    kind: Kind::Tenant,
                    app_id: app.app_id.clone(),
                    tenant_key: app.tenant_key.clone(),
                    user: None,
                    expires_at: now.saturating_add(lifetime),
                },
            );
            (state.touch(), token, lifetime)
        };
        self.commit_control(version).await?;
        Ok((token, expire))
    }

    /// A user token for the directory user with this id (of any kind), issued to `app_id` (the
    /// main app unless given).
    pub(crate) async fn user_token(
        &self,
        user_id: &str,
        app_id: Option<&str>,
    ) -> Result<(String, i64), Error> {
        let user = self
            .directory
            .find_any(user_id)
            .ok_or_else(|| Error::UnknownUser(user_id.to_owned()))?;
        let app = match app_id {
            Some(id) => self
                .app(id)
                .ok_or_else(|| Error::UnknownApp(id.to_owned()))?,
            None => &self.apps[0],
        };
        let now = self.token_now();
        let lifetime = TOKEN_LIFETIME.as_secs() as i64;
        let token = ids::token(USER_TOKEN_PREFIX);
        let version = {
            let mut state = self.lock();
            state.purge_tokens(now);
            state.insert_token(
                token.clone(),
                TokenRecord {
                    kind: Kind::User,
                    app_id: app.app_id.clone(),
                    tenant_key: user.tenant_key().to_owned(),
                    user: Some(user.open_id().to_owned()),
                    expires_at: now.saturating_add(lifetime),
                },
            );
            state.touch()
        };
        self.commit_control(version).await?;
        Ok((token, lifetime))
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
    pub(crate) async fn issue(&self, grant: &Grant) -> Result<serde_json::Value, Error> {
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

/// Pushes a fresh ticket of `app_id` to every webhook callback (schema 1.0).
pub(crate) fn push_ticket(shared: &Shared, app_id: &str) {
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
