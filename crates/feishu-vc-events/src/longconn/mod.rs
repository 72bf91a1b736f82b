//! Events over Feishu's long connection (长连接): the app dials out over WebSocket, so no public
//! URL is needed. [`frame`] is the protocol, sans I/O (feature `frames`); [`LongConnection`] is
//! the client (feature `long-connection`, on by default), [`Status`] what it goes through.
//!
//! The client holds its ground against a broken or hostile server. The server's config is clamped
//! ([`MIN_PING_INTERVAL`] to [`MAX_PING_INTERVAL`], a `ReconnectInterval` of at most
//! [`MAX_RECONNECT_INTERVAL`] and at least the client's least time between endpoint calls, a
//! `ReconnectNonce` of at most [`MAX_RECONNECT_NONCE`]); endpoint calls are at least
//! [`DEFAULT_MIN_ENDPOINT_INTERVAL`] apart (at most 60 a minute); the endpoint's answer is read up
//! to [`DEFAULT_MAX_ENDPOINT_ANSWER`]; the dial ends within [`DEFAULT_DIAL_TIMEOUT`]; WebSocket
//! messages are refused past the reassembly limits and partial messages share
//! [`frame::DEFAULT_PENDING_BUDGET`]. Each default has its builder method on [`LongConnection`].

#[cfg(feature = "long-connection")]
mod bounds;
#[cfg(feature = "long-connection")]
mod client;
#[cfg(feature = "long-connection")]
mod dial;
#[cfg(feature = "long-connection")]
mod endpoint;
#[cfg(feature = "long-connection")]
mod error;
pub mod frame;
#[cfg(feature = "long-connection")]
mod scrub;
#[cfg(feature = "long-connection")]
mod status;

#[cfg(feature = "long-connection")]
pub use bounds::{
    DEFAULT_DIAL_TIMEOUT, DEFAULT_ENDPOINT_TIMEOUT, DEFAULT_MAX_ENDPOINT_ANSWER,
    DEFAULT_MIN_ENDPOINT_INTERVAL, MAX_PING_INTERVAL, MAX_RECONNECT_INTERVAL, MAX_RECONNECT_NONCE,
    MIN_ENDPOINT_INTERVAL_FLOOR, MIN_PING_INTERVAL,
};
#[cfg(feature = "long-connection")]
pub use client::LongConnection;
#[cfg(feature = "long-connection")]
pub use error::LongConnectionError;
#[cfg(feature = "long-connection")]
pub use status::{DEFAULT_REPORT_INTERVAL, FailureKind, Status, StatusThrottle};
