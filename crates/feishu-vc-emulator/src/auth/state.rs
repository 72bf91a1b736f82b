//! Who calls: the access tokens the emulator issued, as stored, and the caller a token stands for.

use feishu_vc_model::TokenKind;
use serde::{Deserialize, Serialize};

/// Which kind of token, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Tenant,
    User,
}

/// An access token the emulator issued.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct TokenRecord {
    pub(crate) kind: Kind,
    pub(crate) app_id: String,
    pub(crate) tenant_key: String,
    /// The user's open id, for a user token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<String>,
    pub(crate) expires_at: i64,
}

/// Who is calling, from the access token.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) kind: TokenKind,
    pub(crate) app_id: String,
    pub(crate) tenant_key: String,
    /// The user's open id, with a user token.
    pub(crate) user: Option<String>,
}
