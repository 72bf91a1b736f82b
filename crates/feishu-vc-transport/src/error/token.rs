//! No access token could be obtained: the token endpoint's answer, or a provider's reason.

use std::fmt;

use crate::BoxError;
use crate::error::answered::write_log_id;

/// No access token could be obtained.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenError {
    /// The token endpoint's code, when it answered (10003, 10014, 99991543 …).
    pub code: Option<i64>,
    /// The token endpoint's msg, or what went wrong.
    pub msg: String,
    /// The HTTP status, when the endpoint answered.
    pub http_status: Option<u16>,
    /// The log id, when the endpoint answered.
    pub log_id: Option<String>,
    pub(crate) source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TokenError {
    /// A token error with a message and no answer from an endpoint; for [`crate::TokenProvider`]s.
    pub fn new(msg: impl Into<String>) -> Self {
        Self {
            code: None,
            msg: msg.into(),
            http_status: None,
            log_id: None,
            source: None,
        }
    }

    /// The token endpoint answered without a token or its lifetime.
    pub(crate) fn no_token_in_answer(
        code: i64,
        http_status: Option<u16>,
        log_id: Option<String>,
    ) -> Self {
        Self {
            code: Some(code),
            msg: "the token endpoint answered without a token or its lifetime".to_owned(),
            http_status,
            log_id,
            source: None,
        }
    }

    /// The same error, caused by `source`.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(std::sync::Arc::from(source.into()));
        self
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no access token")?;
        if let Some(code) = self.code {
            write!(f, ": token endpoint answered {code}")?;
        }
        write!(f, ": {}", self.msg)?;
        write_log_id(f, self.log_id.as_deref())
    }
}
