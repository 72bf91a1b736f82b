//! End-to-end tests of the facade against a local mock Feishu (wiremock, loopback only).

mod smoke;
