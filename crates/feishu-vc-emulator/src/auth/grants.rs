//! OAuth codes and refresh tokens issued (in memory only); what is done with them is in
//! `auth/rules.rs` (authorize, issue) and `auth/http.rs` (the token endpoint).

use std::collections::HashMap;
use std::sync::Mutex;

/// Codes and refresh tokens issued, by value. Kept in memory only: a restarted emulator forgets
/// them, and its users must authorize again.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    inner: Mutex<GrantsInner>,
}

#[derive(Debug, Default)]
pub(crate) struct GrantsInner {
    pub(crate) codes: HashMap<String, Grant>,
    pub(crate) refresh: HashMap<String, RefreshGrant>,
}

#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) app_id: String,
    pub(crate) user_id: String,
    pub(crate) expires_at: i64,
}

#[derive(Debug)]
pub(crate) struct RefreshGrant {
    pub(crate) grant: Grant,
    pub(crate) used: bool,
}

impl Grants {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, GrantsInner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
