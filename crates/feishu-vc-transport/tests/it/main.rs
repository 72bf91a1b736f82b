//! Transport-level tests against a local mock Feishu (wiremock, loopback only): raw calls, the
//! token cache, retries, decoding and errors.

mod before_send;
mod bodies;
mod decode;
mod log_ids;
mod network;
mod raw;
mod raw_server;
mod retries;
mod secret_checks;
mod secrets;
mod shared;
mod store_apps;
mod support;
mod tokens;
mod tracing_spans;
mod urls;
mod user_tokens;
