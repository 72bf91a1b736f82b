//! Tokens on the hub: who a bearer token stands for, and issuing tenant and user tokens.

use feishu_vc_model::{ErrorCode, TokenKind};

use crate::answer::Failure;
use crate::auth::state::{Caller, Kind, TokenRecord};
use crate::config::{App, TOKEN_LIFETIME};
use crate::error::Error;
use crate::ids;
use crate::shared::Shared;

/// A tenant token with at least this long to live is handed out again rather than replaced:
/// Feishu issues a new one only when less than 30 minutes are left.
const REUSE_TENANT_TOKEN_FOR: i64 = 30 * 60;

/// How user tokens begin (`t-` for tenant tokens), as Feishu's legacy tokens do.
const USER_TOKEN_PREFIX: &str = "u-";

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
