//! End-to-end tests of the facade against a local mock Feishu (wiremock, loopback only).

mod calendars;
mod config;
mod meetings;
mod observer;
mod operations;
mod outcome;
mod raw;
mod responses;
mod results;
/// The secret checks live with the transport's tests; both crates use the same ones.
#[path = "../../../feishu-vc-transport/tests/it/secret_checks.rs"]
mod secret_checks;
mod secrets;
mod smoke;
mod support;
mod timestamps;
mod tokens;
mod validation;
mod warnings;
