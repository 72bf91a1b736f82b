//! Batch locks: the guard a store's [`LedgerStore::lock_batch`](crate::LedgerStore::lock_batch)
//! returns, the in-process set of held locks every store may use, and the short name of a
//! batch for lock files and keys.

use std::fmt;

/// The lock of one run of a batch ([`LedgerStore::lock_batch`](crate::LedgerStore::lock_batch)): released when dropped.
pub struct BatchLock {
    /// What holds the lock (a locked file, a database connection, an entry in a set); dropping
    /// it releases the lock.
    _held: Box<dyn Send + Sync>,
}

impl BatchLock {
    /// A lock held as long as `held` lives: dropping `held` must release it.
    pub fn new(held: impl Send + Sync + 'static) -> Self {
        Self {
            _held: Box::new(held),
        }
    }
}

impl fmt::Debug for BatchLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchLock").finish_non_exhaustive()
    }
}

/// Batch locks held in this process: a set of batch names, each in it while its
/// [`BatchLock`] lives. Clones share the set. For stores no other process uses.
#[derive(Debug, Clone, Default)]
pub struct LocalBatchLocks {
    held: HeldSet,
}

impl LocalBatchLocks {
    /// The lock of `batch`, unless it is held.
    pub fn try_lock(&self, batch: &str) -> Option<BatchLock> {
        if !lock_set(&self.held).insert(batch.to_owned()) {
            return None;
        }
        Some(BatchLock::new(LocalHeld {
            held: self.held.clone(),
            batch: batch.to_owned(),
        }))
    }
}

type HeldSet = std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>;

fn lock_set(set: &HeldSet) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
    set.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One batch's entry in a [`LocalBatchLocks`] set, removed on drop.
struct LocalHeld {
    held: HeldSet,
    batch: String,
}

impl Drop for LocalHeld {
    fn drop(&mut self) {
        lock_set(&self.held).remove(&self.batch);
    }
}

/// A short, stable name of a batch for lock files and lock keys: the first 16 hex digits of the
/// SHA-256 of its name.
pub fn batch_digest(batch: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(batch.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
