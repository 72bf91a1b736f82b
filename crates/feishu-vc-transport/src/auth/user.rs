//! User tokens (OAuth): the authorization URL, the v2 code exchange and refresh, and a source of
//! user_access_tokens that refreshes each user's token once, however many calls need it.
//!
//! A refresh token works once: the moment Feishu answers a refresh, the old one is void. So the
//! source refreshes each user's token single-flight within the process, under the store's lock
//! across processes ([`UserTokenStore::try_lock`]), re-reads the store after taking the lock, and
//! saves the new tokens ([`UserTokenStore::save`], then the `on_refresh` hook) before any call
//! uses the new access token.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use feishu_vc_model::{Method, SecretString, TokenKind};
use serde::Deserialize;

use crate::BoxFuture;
use crate::auth::oauth::{
    OAUTH_TOKEN_PATH, OAuthApp, OnRefresh, UserTokenError, UserTokenStore, UserTokens, now_secs,
};
use crate::auth::{ProvidedToken, TokenProvider};
use crate::call::execute::{Auth, Spec};
use crate::client::Transport;
use crate::error::{Error, TokenError};

/// How long before its expiry a user's access token is refreshed, by default.
const DEFAULT_MARGIN: Duration = Duration::from_secs(300);

/// How long a process may hold a user's refresh lock.
const LOCK_LEASE: Duration = Duration::from_secs(15);

/// How often a process waiting for another's refresh looks again.
const LOCK_POLL: Duration = Duration::from_millis(25);

/// The v2 token endpoint's answer, fields at the top level.
#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    code: i64,
    access_token: Option<SecretString>,
    expires_in: Option<u64>,
    refresh_token: Option<SecretString>,
    refresh_token_expires_in: Option<u64>,
    #[serde(default)]
    scope: String,
}

/// Users' tokens for one app: code exchange, refresh before expiry, single-flight per user.
///
/// Hand [`UserTokenSource::for_user`] to a client as its token provider, and its calls act as that
/// user; an answer of 99991677 or 99991668 makes the source refresh once and the call replay once.
///
/// ```no_run
/// use std::sync::Arc;
/// use feishu_vc_model::GetReserveRequest;
/// use feishu_vc_transport::{
///     Brand, CallOptions, InMemoryUserTokenStore, OAuthApp, Transport, UserTokenSource,
/// };
///
/// # async fn run(code_from_redirect: String) -> Result<(), Box<dyn std::error::Error>> {
/// let app = OAuthApp::new("cli_a1b2c3", "app-secret", "https://example.com/oauth/callback");
/// // 1. Send the user here; Feishu redirects back with `?code=…&state=…` (check the state).
/// let url = app.authorize_url(Brand::Feishu, &["vc:reserve", "offline_access"], "csrf-state");
/// println!("open {url}");
///
/// // 2. Exchange the code; the tokens are saved in the store.
/// let source = UserTokenSource::new(
///     Transport::builder().build()?,
///     app,
///     Arc::new(InMemoryUserTokenStore::new()),
/// )
/// .on_refresh(|user, _tokens| println!("new tokens saved for {user}"));
/// source.log_in("ou_alice", code_from_redirect).await?;
///
/// // 3. Calls act as the user; the token is refreshed when due, once however many calls wait.
/// let as_alice = Transport::builder().token_provider(source.for_user("ou_alice")).build()?;
/// let reply = as_alice
///     .send(&GetReserveRequest::new("6911188411934973028"), &CallOptions::new())
///     .await;
/// if let Err(feishu_vc_transport::Error::Token(e)) = &reply
///     && e.reauthorization_required()
/// {
///     println!("ask the user to log in again");
/// }
/// # Ok(()) }
/// ```
pub struct UserTokenSource {
    inner: Arc<SourceInner>,
}

struct SourceInner {
    transport: Transport,
    app: OAuthApp,
    store: Arc<dyn UserTokenStore>,
    margin: Duration,
    on_refresh: Option<OnRefresh>,
    /// Per user: the refresh lock within the process.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Per user: the access token the API last refused, never handed out again.
    refused: Mutex<HashMap<String, SecretString>>,
}

impl fmt::Debug for UserTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserTokenSource")
            .field("app", &self.inner.app)
            .field("store", &self.inner.store)
            .field("margin", &self.inner.margin)
            .finish_non_exhaustive()
    }
}

impl Clone for UserTokenSource {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl UserTokenSource {
    /// A source for `app`'s users, reaching the token endpoint through `transport` (its base URL
    /// and retry settings; it needs no credentials) and keeping tokens in `store`.
    pub fn new(transport: Transport, app: OAuthApp, store: Arc<dyn UserTokenStore>) -> Self {
        Self {
            inner: Arc::new(SourceInner {
                transport,
                app,
                store,
                margin: DEFAULT_MARGIN,
                on_refresh: None,
                locks: Mutex::new(HashMap::new()),
                refused: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The settings to change. Configure a source before cloning it: configuring a clone makes a
    /// separate source (same store, its own in-process refresh locks).
    fn inner_mut(&mut self) -> &mut SourceInner {
        if Arc::get_mut(&mut self.inner).is_none() {
            let shared = &self.inner;
            self.inner = Arc::new(SourceInner {
                transport: shared.transport.clone(),
                app: shared.app.clone(),
                store: shared.store.clone(),
                margin: shared.margin,
                on_refresh: shared.on_refresh.clone(),
                locks: Mutex::new(HashMap::new()),
                refused: Mutex::new(HashMap::new()),
            });
        }
        Arc::get_mut(&mut self.inner).expect("a source just made is not shared")
    }

    /// Refresh an access token this long before it expires (5 minutes unless set). Set it before
    /// cloning the source or calling [`UserTokenSource::for_user`].
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.inner_mut().margin = margin;
        self
    }

    /// Calls `hook` with each user's new tokens once they are saved, before they are used: for
    /// users who keep tokens in storage of their own.
    pub fn on_refresh(mut self, hook: impl Fn(&str, &UserTokens) + Send + Sync + 'static) -> Self {
        self.inner_mut().on_refresh = Some(Arc::new(hook));
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn UserTokenStore> {
        &self.inner.store
    }

    /// Exchanges the `code` the user came back with (the v2 `authorization_code` grant) and saves
    /// the tokens as `user`'s.
    pub async fn log_in(
        &self,
        user: &str,
        code: impl Into<SecretString>,
    ) -> Result<UserTokens, UserTokenError> {
        let code = code.into();
        let mut form = self.client_fields("authorization_code");
        form.push(("code", code.expose_secret().to_owned()));
        form.push(("redirect_uri", self.inner.app.redirect_uri.clone()));
        let tokens = self.grant(user, form, &code).await?;
        self.persist(user, &tokens).await?;
        Ok(tokens)
    }

    /// A usable access token for `user`: the stored one, or a new one from a refresh.
    pub async fn access_token(&self, user: &str) -> Result<SecretString, UserTokenError> {
        if let Some(tokens) = self.usable_stored(user).await? {
            return Ok(tokens.access_token);
        }
        let lock = self.lock_of(user);
        let _held = lock.lock().await;
        // Another call of this process may have refreshed while this one waited.
        if let Some(tokens) = self.usable_stored(user).await? {
            return Ok(tokens.access_token);
        }
        self.refresh_across_processes(user).await
    }

    /// A token provider whose calls act as `user`.
    pub fn for_user(&self, user: impl Into<String>) -> Arc<dyn TokenProvider> {
        Arc::new(UserTokenProvider {
            source: self.clone(),
            user: user.into(),
        })
    }

    fn lock_of(&self, user: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .inner
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        locks.entry(user.to_owned()).or_default().clone()
    }

    /// The stored tokens if their access token is usable and not the one last refused.
    async fn usable_stored(&self, user: &str) -> Result<Option<UserTokens>, UserTokenError> {
        let stored = self
            .inner
            .store
            .load(user)
            .await
            .map_err(UserTokenError::Store)?;
        let refused = self
            .inner
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(user)
            .cloned();
        Ok(stored
            .filter(|t| t.usable(self.inner.margin) && refused.as_ref() != Some(&t.access_token)))
    }

    /// Refreshes under the store's lock, unless another process refreshed meanwhile.
    async fn refresh_across_processes(&self, user: &str) -> Result<SecretString, UserTokenError> {
        let give_up_at = tokio::time::Instant::now() + LOCK_LEASE;
        let holder = loop {
            match self.inner.store.try_lock(user, LOCK_LEASE).await {
                Ok(Some(holder)) => break Some(holder),
                Ok(None) if tokio::time::Instant::now() < give_up_at => {
                    tokio::time::sleep(LOCK_POLL).await;
                    if let Some(tokens) = self.usable_stored(user).await? {
                        return Ok(tokens.access_token);
                    }
                }
                Ok(None) => break None,
                Err(e) => {
                    tracing::warn!(error = %e, "the user-token store's lock is unreachable; refreshing under this process's lock only");
                    break None;
                }
            }
        };
        let result = match self.usable_stored(user).await? {
            Some(tokens) => Ok(tokens.access_token),
            None => self.refresh(user).await,
        };
        if let Some(holder) = holder
            && let Err(e) = self.inner.store.unlock(user, &holder).await
        {
            tracing::warn!(error = %e, "the user-token store's lock could not be released");
        }
        result
    }

    /// One refresh of `user`'s token with the stored refresh token; saved before it is returned.
    async fn refresh(&self, user: &str) -> Result<SecretString, UserTokenError> {
        let stored = self
            .inner
            .store
            .load(user)
            .await
            .map_err(UserTokenError::Store)?;
        let Some(refresh_token) = stored.and_then(|t| t.refresh_token) else {
            return Err(UserTokenError::ReauthorizationRequired {
                user: user.to_owned(),
                code: None,
                log_id: None,
            });
        };
        let mut form = self.client_fields("refresh_token");
        form.push(("refresh_token", refresh_token.expose_secret().to_owned()));
        let tokens = self.grant(user, form, &refresh_token).await?;
        self.persist(user, &tokens).await?;
        Ok(tokens.access_token)
    }

    /// Saves new tokens, then tells the hook; until both are done no call uses them.
    async fn persist(&self, user: &str, tokens: &UserTokens) -> Result<(), UserTokenError> {
        self.inner
            .store
            .save(user, tokens)
            .await
            .map_err(UserTokenError::Store)?;
        if let Some(hook) = &self.inner.on_refresh {
            hook(user, tokens);
        }
        Ok(())
    }

    fn client_fields(&self, grant_type: &str) -> Vec<(&'static str, String)> {
        vec![
            ("grant_type", grant_type.to_owned()),
            ("client_id", self.inner.app.app_id.clone()),
            (
                "client_secret",
                self.inner.app.client_secret.expose_secret().to_owned(),
            ),
        ]
    }

    /// Posts a grant carrying `grant_secret` (the code or the refresh token); 20050 and 20072 are
    /// tried once more, other 200xx codes mean the user must authorize again.
    async fn grant(
        &self,
        user: &str,
        form: Vec<(&'static str, String)>,
        grant_secret: &SecretString,
    ) -> Result<UserTokens, UserTokenError> {
        let secrets = [self.inner.app.client_secret.clone(), grant_secret.clone()];
        let body: serde_json::Map<String, serde_json::Value> = form
            .into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
            .collect();
        let body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
        let mut tried = false;
        loop {
            match self.post_grant(body.clone(), &secrets).await {
                Ok(tokens) => return Ok(tokens),
                Err(GrantFailure::Code { code, log_id }) => {
                    if matches!(code, 20050 | 20072) {
                        if !tried {
                            tried = true;
                            continue;
                        }
                        return Err(UserTokenError::Temporary { code, log_id });
                    }
                    return Err(UserTokenError::ReauthorizationRequired {
                        user: user.to_owned(),
                        code: Some(code),
                        log_id,
                    });
                }
                Err(GrantFailure::Other(e)) => return Err(UserTokenError::Transport(e)),
            }
        }
    }

    async fn post_grant(
        &self,
        body: Bytes,
        secrets: &[SecretString],
    ) -> Result<UserTokens, GrantFailure> {
        let transport = &self.inner.transport;
        let answer = transport
            .execute(Spec {
                operation: "oauth_token",
                method: Method::Post,
                path: OAUTH_TOKEN_PATH,
                fixed: false,
                query: &[],
                body: Some(body),
                // A refresh token works once: never re-sent by the transport.
                idempotent: false,
                auth: Auth::None(secrets),
                timeout: None,
                on: None,
                oauth: true,
                carried: None,
            })
            .await
            .map_err(GrantFailure::from)?;
        let parsed: TokenAnswer = transport
            .decode(&answer, &[], None)
            .map_err(GrantFailure::Other)?;
        let now = now_secs();
        match (parsed.access_token, parsed.expires_in) {
            (Some(access_token), Some(expires_in)) if parsed.code == 0 => Ok(UserTokens {
                access_token,
                access_expires_at: now + expires_in,
                refresh_token: parsed.refresh_token,
                refresh_expires_at: parsed.refresh_token_expires_in.map(|s| now + s),
                scope: parsed.scope,
            }),
            _ => Err(GrantFailure::Code {
                code: parsed.code,
                log_id: answer.log_id,
            }),
        }
    }
}

enum GrantFailure {
    Code { code: i64, log_id: Option<String> },
    Other(Error),
}

impl From<Error> for GrantFailure {
    fn from(e: Error) -> Self {
        // An error code at HTTP 5xx comes wrapped as "outcome unknown": a grant is never re-sent
        // by the transport, and its code says what happened.
        let e = match e {
            Error::OutcomeUnknown(inner) if matches!(*inner, Error::Api(_)) => *inner,
            other => other,
        };
        match e {
            Error::Api(api) => Self::Code {
                code: api.code.code(),
                log_id: api.log_id,
            },
            other => Self::Other(other),
        }
    }
}

/// One user's tokens, as a client's [`TokenProvider`].
struct UserTokenProvider {
    source: UserTokenSource,
    user: String,
}

impl fmt::Debug for UserTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserTokenProvider")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl TokenProvider for UserTokenProvider {
    fn token<'a>(
        &'a self,
        _tenant_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ProvidedToken, TokenError>> {
        Box::pin(async move {
            match self.source.access_token(&self.user).await {
                Ok(token) => Ok(ProvidedToken::new(token)),
                Err(e) => Err(TokenError::from_user_token(e)),
            }
        })
    }

    fn reject(&self, token: &SecretString, _tenant_key: Option<&str>) {
        self.source
            .inner
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(self.user.clone(), token.clone());
    }

    fn kind(&self) -> TokenKind {
        TokenKind::User
    }
}
