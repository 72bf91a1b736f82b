//! Refused before anything was sent: the request breaks a rule, or the client's configuration
//! cannot be used.

use std::fmt;

use feishu_vc_model::BuildError;
use feishu_vc_validate::Violations;

use crate::BoxError;

/// Why a request was refused before sending.
#[derive(Debug)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// It breaks documented rules; each violation names its field and the server's code.
    Violations(Violations),
    /// It could not be built (an empty path parameter, say).
    Build(BuildError),
    /// The operation does not accept the kind of token the call would use.
    TokenNotAccepted {
        /// The operation's id.
        operation: &'static str,
    },
    /// The path cannot be sent: a raw request's path does not start with `/open-apis/`, or a
    /// path has a `.` or `..` segment that would make it address another resource.
    Path {
        /// Why.
        reason: &'static str,
    },
    /// The caller's [`BeforeSend`](crate::BeforeSend) step withheld it; its reason is the
    /// `source()`.
    Withheld(BoxError),
}

impl fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Violations(v) => v.fmt(f),
            Self::Build(b) => b.fmt(f),
            Self::TokenNotAccepted { operation } => {
                write!(f, "{operation} does not accept this kind of access token")
            }
            Self::Path { reason } => f.write_str(reason),
            Self::Withheld(_) => f.write_str("the caller withheld it just before sending"),
        }
    }
}

/// An unusable configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub(crate) message: String,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
