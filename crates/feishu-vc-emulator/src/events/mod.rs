//! Events: every meeting event and store-app ticket goes out to the webhook callbacks
//! (`notifier.rs`, sealed by `seal.rs`) and to the long-connection clients (`longconn.rs`, whose
//! routes are in `http.rs`).

pub(crate) mod http;
pub(crate) mod longconn;
pub(crate) mod notifier;
pub(crate) mod seal;
