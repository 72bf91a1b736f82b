//! [`LedgerError`]: what went wrong with the ledger's store.

use crate::record::{IntentKey, State};

/// What went wrong with the ledger. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The key is already recorded for another request (another fingerprint).
    #[error(
        "intent `{key}` is already recorded for another request (fingerprint {recorded}, not {given})"
    )]
    Conflict {
        /// The key.
        key: IntentKey,
        /// The fingerprint recorded.
        recorded: String,
        /// The fingerprint given.
        given: String,
    },
    /// No record has this key or reservation id.
    #[error("no ledger record for {0}")]
    NotFound(String),
    /// The record is not in a state that allows the change.
    #[error("ledger record `{key}` is {state}, not {expected}")]
    WrongState {
        /// The record.
        key: IntentKey,
        /// Its state.
        state: State,
        /// What the change needs.
        expected: &'static str,
    },
    /// Another live run of the batch holds its lock (see [`LedgerStore::lock_batch`](crate::LedgerStore::lock_batch)): nothing
    /// was sent and nothing settled.
    #[error("another run of the batch `{batch}` is in progress")]
    BatchBusy {
        /// The batch.
        batch: String,
    },
    /// Rows named to be sent again ([`BatchOptions::resend_unknown`](crate::BatchOptions)) are
    /// not rows of the batch whose outcome is unknown: nothing was sent.
    #[error(
        "rows named to send again are not unknown rows of the batch: {}",
        list(rows)
    )]
    NotResendable {
        /// Each such row's key, and why it cannot be sent again (booked, refused, pending, not a
        /// row of the batch).
        rows: Vec<(String, String)>,
    },
    /// The backend failed (connection, query, migration, corrupt row).
    #[error("ledger store failed: {message}")]
    Backend {
        /// What failed.
        message: String,
        /// The backend's own error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// `key (why), ...`.
fn list(rows: &[(String, String)]) -> String {
    let rows: Vec<String> = rows
        .iter()
        .map(|(k, why)| format!("`{k}` ({why})"))
        .collect();
    rows.join(", ")
}

impl LedgerError {
    /// A backend failure with its cause.
    pub fn backend(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Backend {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}
