//! Access tokens: the kinds a call carries and the contract of their sources.
//!
//! Here: a token given for one call ([`AccessToken`]), the [`TokenProvider`] contract and what it
//! yields ([`ProvidedToken`]), and `Credential`, a token with its `Authorization` header. The
//! sources are children that import this file, never imported by it:
//!
//! - `tenant.rs`: a self-built app's credentials and its tenant-token cache (single-flight,
//!   shared with a fleet through a [`crate::TokenCache`]);
//! - `oauth.rs`, `user.rs`: users' tokens over OAuth v2 ([`crate::UserTokenSource`]);
//! - `store_app.rs`: marketplace apps ([`crate::StoreAppTokenSource`]).

pub(crate) mod oauth;
pub(crate) mod source;
pub(crate) mod store_app;
pub(crate) mod tenant;
pub(crate) mod user;

use std::fmt;

use feishu_vc_model::{SecretString, TokenKind};

use crate::BoxFuture;
use crate::error::TokenError;

/// An access token given for one call. It is used as given, never cached and never evicted.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    kind: TokenKind,
    value: SecretString,
}

impl AccessToken {
    /// A `tenant_access_token`.
    pub fn tenant(token: impl Into<SecretString>) -> Self {
        Self {
            kind: TokenKind::Tenant,
            value: token.into(),
        }
    }

    /// A `user_access_token`: the call acts as that user.
    pub fn user(token: impl Into<SecretString>) -> Self {
        Self {
            kind: TokenKind::User,
            value: token.into(),
        }
    }

    /// Which kind of token this is.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The token itself.
    pub fn secret(&self) -> &SecretString {
        &self.value
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("kind", &self.kind)
            .field("value", &self.value)
            .finish()
    }
}

/// A token from a provider.
#[derive(Clone, Debug)]
pub struct ProvidedToken {
    /// The token.
    pub value: SecretString,
}

impl ProvidedToken {
    /// Wraps a token.
    pub fn new(value: impl Into<SecretString>) -> Self {
        Self {
            value: value.into(),
        }
    }
}

/// A source of access tokens for calls that bring none: a cache shared between processes, the v3
/// OAuth endpoint, a marketplace app's tenant tokens keyed by `tenant_key`.
///
/// The built-in source for self-built apps (`app_credentials`) needs no provider.
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A token for a call; `tenant_key` is the per-call option of marketplace apps.
    fn token<'a>(
        &'a self,
        tenant_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ProvidedToken, TokenError>>;

    /// The API rejected `token` (99991663, 99991664, 99991671). Drop it if it is still the one in
    /// use; the call is then replayed once with a fresh [`TokenProvider::token`].
    fn reject(&self, token: &SecretString, tenant_key: Option<&str>);

    /// The kind of token this provider yields (tenant tokens unless it says otherwise); local
    /// validation uses it to apply the right `owner_id` rule.
    fn kind(&self) -> TokenKind {
        TokenKind::Tenant
    }
}

/// A token with its `Authorization` header value, built once per token rather than per call.
pub(crate) struct Credential {
    pub(crate) value: SecretString,
    pub(crate) header: reqwest::header::HeaderValue,
}

impl Credential {
    pub(crate) fn new(value: SecretString) -> Result<Self, TokenError> {
        let mut header =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", value.expose_secret()))
                .map_err(|_| {
                    TokenError::new("the access token has characters that cannot go in a header")
                })?;
        header.set_sensitive(true);
        Ok(Self { value, header })
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}
