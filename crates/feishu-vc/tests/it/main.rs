//! End-to-end tests of the facade against a local mock Feishu (wiremock, loopback only).

mod config;
mod operations;
mod outcome;
mod raw;
mod responses;
mod secrets;
mod smoke;
mod support;
mod tokens;
mod validation;
mod warnings;
