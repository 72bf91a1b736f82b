//! Events: each meeting event goes out in its app's subscription mode, to the webhook callbacks
//! (`notifier.rs`, sealed by `seal.rs`) or to the app's long-connection clients (`longconn.rs`,
//! whose routes are in `http.rs`); store-app tickets go to the webhooks.

pub(crate) mod http;
pub(crate) mod longconn;
pub(crate) mod notifier;
pub(crate) mod seal;
