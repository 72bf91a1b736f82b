//! User tokens (OAuth): an app's OAuth settings and the authorization URL, the tokens a user
//! holds ([`UserTokens`]), where they are kept ([`UserTokenStore`]) and why they could not be
//! had ([`UserTokenError`]). The source that exchanges and refreshes them is `user.rs`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use feishu_vc_model::SecretString;

use crate::config::Brand;
use crate::error::{Error, TokenError};
use crate::{BoxError, BoxFuture};

/// The v2 token endpoint: code exchange and refresh.
pub const OAUTH_TOKEN_PATH: &str = "/open-apis/authen/v2/oauth/token";

/// An app's OAuth settings: its id, its secret and the redirect URL registered for it.
#[derive(Clone)]
pub struct OAuthApp {
    pub(super) app_id: String,
    pub(super) client_secret: SecretString,
    pub(super) redirect_uri: String,
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("app_id", &self.app_id)
            .field("client_secret", &self.client_secret)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

impl OAuthApp {
    /// An app's id (`client_id`), secret and registered redirect URL.
    pub fn new(
        app_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            app_id: app_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
        }
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The page to send a user to: `https://accounts.feishu.cn/open-apis/authen/v1/authorize`
    /// (or Lark's) with `client_id`, `response_type=code`, `redirect_uri`, `scope` (space-separated;
    /// add `offline_access` to get a refresh token) and `state` (check it when the user comes back).
    pub fn authorize_url(&self, brand: Brand, scopes: &[&str], state: &str) -> String {
        let host = match brand {
            Brand::Feishu => "https://accounts.feishu.cn",
            Brand::Lark => "https://accounts.larksuite.com",
        };
        self.authorize_url_at(host, scopes, state)
    }

    /// [`OAuthApp::authorize_url`] on another accounts host (an emulator, say).
    pub fn authorize_url_at(&self, accounts_base: &str, scopes: &[&str], state: &str) -> String {
        let base = format!(
            "{}/open-apis/authen/v1/authorize",
            accounts_base.trim_end_matches('/')
        );
        let scope = scopes.join(" ");
        let mut params = vec![
            ("client_id", self.app_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", self.redirect_uri.as_str()),
        ];
        if !scope.is_empty() {
            params.push(("scope", scope.as_str()));
        }
        if !state.is_empty() {
            params.push(("state", state));
        }
        match reqwest::Url::parse_with_params(&base, &params) {
            Ok(url) => url.into(),
            Err(_) => base,
        }
    }
}

/// A user's tokens, as saved in a [`UserTokenStore`]. Times are wall-clock seconds since the Unix
/// epoch, so that another process can read them.
#[derive(Clone, PartialEq, Eq)]
pub struct UserTokens {
    /// The user_access_token (a JWT of any length, or a legacy `u-…`).
    pub access_token: SecretString,
    /// When the access token expires.
    pub access_expires_at: u64,
    /// The refresh token (single use), when the user granted `offline_access`.
    pub refresh_token: Option<SecretString>,
    /// When the refresh token expires, when Feishu said.
    pub refresh_expires_at: Option<u64>,
    /// The scopes granted, space-separated.
    pub scope: String,
}

impl fmt::Debug for UserTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserTokens")
            .field("access_token", &self.access_token)
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_token", &self.refresh_token)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

impl UserTokens {
    /// Whether the access token is still usable `margin` from now.
    pub(super) fn usable(&self, margin: Duration) -> bool {
        now_secs() + margin.as_secs() < self.access_expires_at
    }
}

pub(super) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Why a user's token could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserTokenError {
    /// The user must authorize the app again: the refresh token is used, revoked or expired, the
    /// user never logged in, or Feishu refused the grant for good (200xx codes other than 20050 and
    /// 20072). The stored tokens are no use any more.
    #[error("re-authorization required for user {user}{}", code_note(*.code))]
    ReauthorizationRequired {
        /// The user.
        user: String,
        /// Feishu's code, when it answered (20064, 20073, 20037 …); `None` when nothing is stored.
        code: Option<i64>,
        /// The log id, when Feishu answered.
        log_id: Option<String>,
    },
    /// Feishu failed for now (20050, 20072) even after one retry; try again later.
    #[error("the token endpoint is unavailable for now{}", code_note(Some(*.code)))]
    Temporary {
        /// 20050 or 20072.
        code: i64,
        /// The log id.
        log_id: Option<String>,
    },
    /// The new tokens could not be saved; they are kept in this process only.
    #[error("the user's new tokens could not be saved")]
    Store(#[source] BoxError),
    /// The token endpoint could not be reached or answered something unreadable.
    #[error("the token endpoint failed")]
    Transport(#[source] Error),
}

fn code_note(code: Option<i64>) -> String {
    code.map(|c| format!(" (code {c})")).unwrap_or_default()
}

impl UserTokenError {
    /// Whether the user must log in again.
    pub fn reauthorization_required(&self) -> bool {
        matches!(self, Self::ReauthorizationRequired { .. })
    }
}

impl TokenError {
    /// A user's token could not be had; [`TokenError::user_token_error`] gives the cause back.
    pub(crate) fn from_user_token(e: UserTokenError) -> Self {
        let (code, log_id) = match &e {
            UserTokenError::ReauthorizationRequired { code, log_id, .. } => (*code, log_id.clone()),
            UserTokenError::Temporary { code, log_id } => (Some(*code), log_id.clone()),
            _ => (None, None),
        };
        Self {
            code,
            msg: e.to_string(),
            http_status: None,
            log_id,
            source: Some(std::sync::Arc::new(e)),
        }
    }

    /// Why a user's token could not be had, when the client's tokens come from a
    /// [`UserTokenSource`](crate::UserTokenSource).
    pub fn user_token_error(&self) -> Option<&UserTokenError> {
        self.source.as_deref()?.downcast_ref()
    }

    /// Whether the user must authorize the app again (the refresh token is used, revoked or
    /// expired).
    pub fn reauthorization_required(&self) -> bool {
        self.user_token_error()
            .is_some_and(UserTokenError::reauthorization_required)
    }
}

/// Where users' tokens are kept between refreshes and between processes.
///
/// [`InMemoryUserTokenStore`] keeps them in the process; `feishu-vc-redis` shares them (and the
/// refresh lock) with a fleet. A store holds bearer credentials and must be protected as such.
pub trait UserTokenStore: Send + Sync + fmt::Debug {
    /// The tokens saved for `user`, if any.
    fn load<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<Option<UserTokens>, BoxError>>;

    /// Saves `tokens` for `user`, replacing what was there.
    fn save<'a>(
        &'a self,
        user: &'a str,
        tokens: &'a UserTokens,
    ) -> BoxFuture<'a, Result<(), BoxError>>;

    /// Takes `user`'s refresh lock for at most `lease` across processes: `Some(holder)` when taken,
    /// `None` while another holds it. A store for one process needs no lock (the source already
    /// refreshes once per user within a process) and keeps this default, which always succeeds.
    fn try_lock<'a>(
        &'a self,
        _user: &'a str,
        _lease: Duration,
    ) -> BoxFuture<'a, Result<Option<String>, BoxError>> {
        Box::pin(async { Ok(Some(String::new())) })
    }

    /// Gives `user`'s refresh lock back, if `holder` still holds it.
    fn unlock<'a>(
        &'a self,
        _user: &'a str,
        _holder: &'a str,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async { Ok(()) })
    }
}

/// A [`UserTokenStore`] in this process's memory.
#[derive(Default)]
pub struct InMemoryUserTokenStore {
    tokens: Mutex<HashMap<String, UserTokens>>,
}

impl fmt::Debug for InMemoryUserTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryUserTokenStore")
            .finish_non_exhaustive()
    }
}

impl InMemoryUserTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, UserTokens>> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl UserTokenStore for InMemoryUserTokenStore {
    fn load<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<Option<UserTokens>, BoxError>> {
        let found = self.map().get(user).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn save<'a>(
        &'a self,
        user: &'a str,
        tokens: &'a UserTokens,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        self.map().insert(user.to_owned(), tokens.clone());
        Box::pin(async { Ok(()) })
    }
}

/// Called with each user's new tokens after they are saved and before they are used.
pub type OnRefresh = Arc<dyn Fn(&str, &UserTokens) + Send + Sync>;
