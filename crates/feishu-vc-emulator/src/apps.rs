//! The apps the emulator knows: self-built apps and store apps with their credentials, the shape
//! every app id must have, and how each app receives its events. A leaf: it names no other module.

/// An app the token endpoint accepts.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) app_id: String,
    pub(crate) app_secret: String,
    pub(crate) tenant_key: String,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("app_id", &self.app_id)
            .field("app_secret", &feishu_vc_model::REDACTED)
            .field("tenant_key", &self.tenant_key)
            .finish()
    }
}

/// A store app the emulator knows: its credentials and the tenants it is installed in.
#[derive(Clone)]
pub(crate) struct StoreApp {
    pub(crate) app_id: String,
    pub(crate) app_secret: String,
    pub(crate) tenants: Vec<String>,
}

impl std::fmt::Debug for StoreApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreApp")
            .field("app_id", &self.app_id)
            .field("app_secret", &feishu_vc_model::REDACTED)
            .field("tenants", &self.tenants)
            .finish()
    }
}

/// How an app receives its events: one mode per app, as the Developer Console sets it
/// ("Events and callbacks", subscription mode). An event goes out in its app's mode only, so a
/// program never gets the same event twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SubscriptionMode {
    /// "Send events to developer's server": pushed to the request URLs (the event callbacks).
    Webhook,
    /// "Receive events through persistent connection": sent to the app's long connections.
    LongConnection,
}

/// Whether `app_id` has the shape of a Feishu app id: `cli_` and 16 hex digits. The Node SDK's
/// long-connection client checks exactly this before it dials, and gives up otherwise.
pub fn is_app_id(app_id: &str) -> bool {
    app_id
        .strip_prefix("cli_")
        .is_some_and(|hex| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}
