//! The token each attempt of a call carries: the call's own, the client's tenant token
//! (cached; fetched through the call loop when due) or its provider's. The loop
//! (`call/execute.rs`) asks through `Transport::cached_bearer` and `Transport::bearer`, and
//! reports a rejected token through `Transport::reject`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use feishu_vc_model::{
    ApiRequest, SecretString, TenantAccessTokenInternalRequest, TenantAccessTokenInternalResponse,
};

use crate::BoxFuture;
use crate::auth::Credential;
use crate::auth::tenant::AppCredentials;
use crate::call::CallOptions;
use crate::call::execute::{Auth, Bearer, Spec};
use crate::client::{TokenSource, Transport};
use crate::config::TenantTokenEndpoint;
use crate::error::{Error, Result, TokenError, token_error};

/// The v3 OAuth token endpoint, on the accounts host.
pub const OAUTH_V3_TOKEN_PATH: &str = "/oauth/v3/token";

impl Transport {
    /// The client's cached tenant token when it is fresh and the call brings none: taken without
    /// the boxed future [`Transport::bearer`] needs to fetch one.
    pub(crate) fn cached_bearer(&self, opts: &CallOptions) -> Option<Bearer> {
        match (&opts.token, &self.inner.tokens) {
            (None, TokenSource::App(cache)) => cache.fresh().map(|token| Bearer {
                credential: token.credential.clone(),
                from_source: true,
            }),
            _ => None,
        }
    }

    /// The token for a call: the call's own, else the client's source. Boxed, with its `Send`
    /// bound spelled out: fetching a token is itself a call through `execute`.
    pub(crate) fn bearer<'a>(&'a self, opts: &'a CallOptions) -> BoxFuture<'a, Result<Bearer>> {
        Box::pin(async move {
            if let Some(t) = &opts.token {
                let credential = Credential::new(t.secret().clone()).map_err(Error::Token)?;
                return Ok(Bearer {
                    credential: Arc::new(credential),
                    from_source: false,
                });
            }
            match &self.inner.tokens {
                TokenSource::App(cache) => {
                    let token = cache
                        .get(|| self.fetch_tenant_token(&cache.credentials))
                        .await
                        .map_err(|e| Error::Token((*e).clone()))?;
                    Ok(Bearer {
                        credential: token.credential.clone(),
                        from_source: true,
                    })
                }
                TokenSource::Provider(p) => {
                    let token = p
                        .token(opts.tenant_key.as_deref())
                        .await
                        .map_err(Error::Token)?;
                    let credential = Credential::new(token.value).map_err(Error::Token)?;
                    Ok(Bearer {
                        credential: Arc::new(credential),
                        from_source: true,
                    })
                }
                TokenSource::None => Err(Error::Token(TokenError::new(
                    "the client has no app credentials or token provider, and the call brought no token",
                ))),
            }
        })
    }

    /// The API rejected `token`, which the client's source gave: drop it there (and from the
    /// fleet's cache), so that the replay carries a fresh one.
    pub(crate) async fn reject(&self, token: &SecretString, opts: &CallOptions) {
        match &self.inner.tokens {
            TokenSource::App(cache) => {
                cache.reject(token);
                cache.reject_shared(token).await;
            }
            TokenSource::Provider(p) => p.reject(token, opts.tenant_key.as_deref()),
            TokenSource::None => {}
        }
    }

    /// Fetches a tenant token for the app from the configured endpoint.
    async fn fetch_tenant_token(
        &self,
        credentials: &AppCredentials,
    ) -> std::result::Result<(SecretString, Duration), TokenError> {
        match self.inner.token_endpoint {
            TenantTokenEndpoint::Internal => self.fetch_internal_token(credentials).await,
            TenantTokenEndpoint::OAuthV3 => self.fetch_v3_token(credentials).await,
        }
    }

    /// `/oauth/v3/token` with `client_credentials` (`client_secret_post`, JSON body); the token is
    /// `access_token`, its lifetime `expires_in`.
    async fn fetch_v3_token(
        &self,
        credentials: &AppCredentials,
    ) -> std::result::Result<(SecretString, Duration), TokenError> {
        #[derive(serde::Deserialize)]
        struct V3Answer {
            #[serde(default)]
            code: i64,
            access_token: Option<SecretString>,
            expires_in: Option<u64>,
        }
        let body = serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": credentials.app_id,
            "client_secret": credentials.app_secret.expose_secret(),
        });
        let answer = self
            .execute(Spec {
                operation: "oauth_v3_token",
                method: feishu_vc_model::Method::Post,
                path: OAUTH_V3_TOKEN_PATH,
                fixed: false,
                query: &[],
                body: Some(Bytes::from(body.to_string())),
                idempotent: true,
                auth: Auth::None(&[]),
                timeout: None,
                on: Some(&self.inner.accounts_url),
                oauth: true,
                carried: None,
            })
            .await
            .map_err(token_error)?;
        let parsed: V3Answer = self.decode(&answer, &[], None).map_err(token_error)?;
        let token = parsed.access_token.filter(|t| !t.is_empty());
        match (token, parsed.expires_in.filter(|e| *e > 0)) {
            (Some(token), Some(expires_in)) => Ok((token, Duration::from_secs(expires_in))),
            _ => Err(TokenError::no_token_in_answer(
                parsed.code,
                Some(answer.http_status),
                answer.log_id,
            )),
        }
    }

    /// Fetches a tenant token for the app; the answer's lifetime comes from `expire`.
    async fn fetch_internal_token(
        &self,
        credentials: &AppCredentials,
    ) -> std::result::Result<(SecretString, Duration), TokenError> {
        let request = TenantAccessTokenInternalRequest::new(
            credentials.app_id.clone(),
            credentials.app_secret.clone(),
        );
        let http = request
            .to_http()
            .map_err(|e| TokenError::new("the token request could not be built").with_source(e))?;
        let answer = self
            .execute(Spec {
                operation: <TenantAccessTokenInternalRequest as ApiRequest>::OPERATION.id,
                method: http.method,
                path: &http.path,
                fixed: true,
                query: &[],
                body: http.body.map(Bytes::from),
                // Asking for a token twice is harmless.
                idempotent: true,
                auth: Auth::None(&[]),
                timeout: None,
                on: None,
                oauth: false,
                carried: None,
            })
            .await
            .map_err(token_error)?;
        let body: TenantAccessTokenInternalResponse =
            self.decode(&answer, &[], None).map_err(token_error)?;
        let token = body.tenant_access_token.filter(|t| !t.is_empty());
        let expire = body.expire.filter(|e| *e > 0);
        match (token, expire) {
            (Some(token), Some(expire)) => Ok((token, Duration::from_secs(expire.unsigned_abs()))),
            _ => Err(TokenError::no_token_in_answer(
                body.code.unwrap_or_default(),
                Some(answer.http_status),
                answer.log_id,
            )),
        }
    }
}
