//! Events over Feishu's long connection (长连接): the app dials out over WebSocket, so no public
//! URL is needed. [`frame`] is the protocol, sans I/O (feature `frames`); [`LongConnection`] is
//! the client (feature `long-connection`, on by default).

#[cfg(feature = "long-connection")]
mod client;
pub mod frame;

#[cfg(feature = "long-connection")]
pub use client::{LongConnection, LongConnectionError};
