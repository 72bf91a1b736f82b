//! What can be wrong with a delivery, and with the stores behind a receiver.

use std::time::Duration;

/// Why a delivery was refused. No variant carries a secret or the body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// An Encrypt Key is configured but the request lacks `X-Lark-Request-Timestamp`,
    /// `X-Lark-Request-Nonce` or `X-Lark-Signature` (named here).
    #[error("missing signature header `{0}`")]
    MissingSignature(&'static str),
    /// The `X-Lark-Signature` does not match the body: it was tampered with, or signed with
    /// another Encrypt Key.
    #[error("bad signature: `X-Lark-Signature` does not match the body")]
    BadSignature,
    /// `X-Lark-Request-Timestamp` is further from now than the configured skew allows, or is not
    /// a number.
    #[error("stale or unreadable timestamp `X-Lark-Request-Timestamp` (allowed skew {max_skew:?})")]
    StaleTimestamp {
        /// The configured maximum skew.
        max_skew: Duration,
    },
    /// The verification token in the body is missing or is not the configured one.
    #[error("wrong verification token (`header.token` or `token`)")]
    WrongToken,
    /// The body is encrypted (`{"encrypt":…}`) but no Encrypt Key is configured.
    #[error("the body is encrypted (`encrypt`) but no Encrypt Key is configured")]
    EncryptedWithoutKey,
    /// The `encrypt` field could not be decrypted.
    #[error("undecryptable `encrypt` field: {0}")]
    Undecryptable(#[source] Undecryptable),
    /// The body (or the decrypted plaintext) is not a JSON object.
    #[error("malformed delivery: the {0} is not a JSON object")]
    NotJson(&'static str),
    /// The envelope is JSON but a field is missing or has the wrong shape.
    #[error("malformed delivery: field `{field}`: {reason}")]
    Malformed {
        /// The field, as a path (`header.event_id`, `event`, `uuid`...).
        field: &'static str,
        /// Why it does not fit.
        reason: String,
    },
}

impl DecodeError {
    /// Whether the request failed authentication (signature, timestamp or token): someone other
    /// than Feishu, or a misconfigured key.
    pub fn is_unauthenticated(&self) -> bool {
        matches!(
            self,
            Self::MissingSignature(_)
                | Self::BadSignature
                | Self::StaleTimestamp { .. }
                | Self::WrongToken
        )
    }
}

/// Why the `encrypt` field could not be decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Undecryptable {
    /// Not standard, padded base64.
    #[error("not base64")]
    Base64,
    /// The decoded length (given) is not an IV plus a whole number of 16-byte blocks.
    #[error("{0} bytes is not an IV plus whole AES blocks")]
    Length(usize),
    /// The PKCS#7 padding is wrong: a wrong key, or a damaged ciphertext.
    #[error("bad PKCS#7 padding (wrong Encrypt Key or damaged ciphertext)")]
    Padding,
    /// The plaintext is not UTF-8.
    #[error("the plaintext is not UTF-8")]
    Utf8,
}

/// A store (deduplication, reservation lookup) failed. The delivery is not acknowledged, so
/// Feishu sends it again.
#[derive(Debug, thiserror::Error)]
#[error("{store} store failed: {message}")]
pub struct StoreError {
    store: &'static str,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// A failure of the named store (`"dedup"`, `"reservation lookup"`), with what went wrong and
    /// the backend's own error if any.
    pub fn new(
        store: &'static str,
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            store,
            message: message.into(),
            source,
        }
    }

    /// Which store failed.
    pub fn store(&self) -> &'static str {
        self.store
    }
}

/// Why [`Receiver::accept`](crate::Receiver::accept) did not accept a delivery.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The delivery itself is wrong: answer 4xx.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A store failed: answer 5xx so Feishu retries.
    #[error(transparent)]
    Store(#[from] StoreError),
}
