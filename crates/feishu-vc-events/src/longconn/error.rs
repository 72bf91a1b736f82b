//! Why the long-connection client stopped for good ([`LongConnectionError`]), and why one attempt
//! to connect failed.

use super::frame;
use super::status::FailureKind;

/// Why [`LongConnection::run`](super::LongConnection::run) stopped for good. None of these carries
/// the app secret or the connection URL's credentials, even when the server echoes them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LongConnectionError {
    /// A setting is missing or wrong; nothing was sent.
    #[error("long connection: `{field}` {reason}")]
    InvalidConfig {
        /// The setting.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The endpoint refused the app's credentials (or answered another non-retryable code).
    #[error("the long-connection endpoint refused the app (code {code}): {msg}")]
    Rejected {
        /// Feishu's code.
        code: i64,
        /// Feishu's message.
        msg: String,
    },
    /// The app already holds its maximum of long connections (Feishu: 50; code 1000040350).
    #[error(
        "the app already holds its maximum number of long connections (code {}): {msg}",
        frame::CODE_EXCEED_CONN_LIMIT
    )]
    ConnectionLimit {
        /// Feishu's message.
        msg: String,
    },
    /// The app is banned or forbidden (handshake status 403).
    #[error("the long connection is forbidden to this app: {msg}")]
    Forbidden {
        /// Feishu's message.
        msg: String,
    },
    /// The server-given reconnect count ran out.
    #[error("long connection: gave up after {attempts} attempts; last failure: {last}")]
    GaveUp {
        /// Attempts made.
        attempts: u64,
        /// The last failure.
        last: String,
    },
}

/// Why one attempt to connect failed: for good, or worth retrying (its message scrubbed).
#[derive(Debug)]
pub(crate) enum Failed {
    Fatal(LongConnectionError),
    Retry(FailureKind, String),
}
