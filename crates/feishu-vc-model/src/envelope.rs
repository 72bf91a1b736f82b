//! The `{code, msg, data, error}` envelope every reserve response comes in.

use serde::{Deserialize, Serialize};

use crate::{ErrorCode, ErrorInfo};

/// A response of the Open Platform: `code` 0 means success, whatever the HTTP status; any other
/// code is an error, and business errors arrive with HTTP 200, 400, 403, 404 or 500 alike.
///
/// Generic over `data`; unknown fields are ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApiResponse<T> {
    /// 0 on success, an error code otherwise.
    pub code: i64,
    /// A short message (`"success"` on success).
    #[serde(default)]
    pub msg: String,
    /// The operation's result.
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    /// Details of an error: log id, troubleshooter link, violations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> ApiResponse<T> {
    /// A successful response carrying `data`.
    pub fn success(data: T) -> Self {
        Self {
            code: 0,
            msg: "success".to_owned(),
            data: Some(data),
            error: None,
        }
    }

    /// An error response.
    pub fn error(code: i64, msg: impl Into<String>, error: Option<ErrorInfo>) -> Self {
        Self {
            code,
            msg: msg.into(),
            data: None,
            error,
        }
    }

    /// Whether `code` is 0.
    pub fn is_success(&self) -> bool {
        self.code == 0
    }

    /// The code as a known [`ErrorCode`] (or an unknown one); `None` on success.
    pub fn error_code(&self) -> Option<ErrorCode> {
        (self.code != 0).then(|| ErrorCode::from_code(self.code))
    }
}
