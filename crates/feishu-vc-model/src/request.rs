//! How a request describes itself without any I/O: method, path, query, JSON body.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::ErrorCode;

/// An HTTP method used by the Open Platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name, as on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of access token a call is made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// `tenant_access_token`: the app acts for a tenant; `owner_id` names the meeting's owner.
    Tenant,
    /// `user_access_token`: the app acts as a user, who owns what it books.
    User,
}

impl TokenKind {
    /// The token's name in Lark's docs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Tenant => "tenant_access_token",
            Self::User => "user_access_token",
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A documented rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls per second.
    pub per_second: u32,
    /// Calls per minute.
    pub per_minute: u32,
}

/// What the schema says of one operation.
#[derive(Debug)]
#[non_exhaustive]
pub struct Operation {
    /// The schema's `operationId`, such as `apply_reserve`.
    pub id: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template, with `{name}` for each path parameter.
    pub path_template: &'static str,
    /// The token kinds the operation accepts; empty for the token endpoint itself.
    pub token_kinds: &'static [TokenKind],
    /// The scopes the app needs.
    pub scopes: &'static [&'static str],
    /// The documented rate limit, if any.
    pub rate_limit: Option<RateLimit>,
    /// The error codes documented for the operation.
    pub error_codes: &'static [ErrorCode],
    /// Whether the response is the `{code, msg, data, error}` envelope ([`crate::ApiResponse`]).
    pub enveloped: bool,
}

impl Operation {
    /// Whether the operation accepts this kind of token.
    pub fn accepts(&self, kind: TokenKind) -> bool {
        self.token_kinds.contains(&kind)
    }
}

/// A request ready to send: everything the transport needs, computed without I/O.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path, path parameters percent-encoded, starting with `/open-apis/`.
    pub path: String,
    /// Query pairs, not yet encoded.
    pub query: Vec<(&'static str, String)>,
    /// The JSON body, if the operation has one.
    pub body: Option<Vec<u8>>,
}

impl fmt::Debug for HttpRequest {
    // The body can hold a meeting password or an app secret: show its size only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// Why a request could not be built. Nothing was sent.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// A path parameter was empty; an empty `reserve_id` would address another resource.
    EmptyPathParameter {
        /// The parameter's name, such as `reserve_id`.
        name: &'static str,
    },
    /// The body could not be serialized.
    Serialize(serde_json::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyPathParameter { name } => {
                write!(f, "path parameter `{name}` must not be empty")
            }
            Self::Serialize(_) => f.write_str("the request body could not be serialized"),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Serialize(e) => Some(e),
            Self::EmptyPathParameter { .. } => None,
        }
    }
}

/// Implemented by the request type of every operation.
pub trait ApiRequest {
    /// What a successful answer decodes into.
    type Response: DeserializeOwned;

    /// What the schema says of the operation.
    const OPERATION: &'static Operation;

    /// Method, path, query and body, computed without I/O.
    fn to_http(&self) -> Result<HttpRequest, BuildError>;
}

/// Formats a path parameter for the path, refusing an empty one.
pub(crate) fn path_parameter(name: &'static str, value: &str) -> Result<String, BuildError> {
    if value.is_empty() {
        return Err(BuildError::EmptyPathParameter { name });
    }
    Ok(crate::wire::encode_path_segment(value))
}

/// Serializes a body.
pub(crate) fn json_body<T: serde::Serialize>(body: &T) -> Result<Option<Vec<u8>>, BuildError> {
    serde_json::to_vec(body)
        .map(Some)
        .map_err(BuildError::Serialize)
}
