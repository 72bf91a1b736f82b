//! The state store's writer task: takes what changed from the state under the hub's lock and
//! writes it to the database (`store/sqlite.rs`), one transaction for every change that arrived
//! meanwhile, so that under load one fsync acknowledges many changes.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use rusqlite::Connection;

use crate::shared::Shared;
use crate::store::sqlite::{Persister, write};

/// Rows the log may hold beyond twice the live ones before it is compacted.
const COMPACT_SLACK: u64 = 4096;

/// The writer task: writes whenever woken, until stopped.
pub(crate) async fn run(shared: Arc<Shared>) {
    let Some(persister) = shared.persister.as_ref() else {
        return;
    };
    loop {
        flush(&shared).await;
        if persister.stop.load(Ordering::SeqCst) {
            flush(&shared).await;
            let connection = persister.lock_connection().take();
            if let Some(Err((_, e))) = connection.map(Connection::close) {
                tracing::warn!(path = %persister.path.display(), error = %e, "could not close the state store cleanly");
            }
            return;
        }
        persister.wake.notified().await;
    }
}

/// Writes until the store holds the latest version (or a write fails).
async fn flush(shared: &Arc<Shared>) {
    let Some(persister) = shared.persister.as_ref() else {
        return;
    };
    loop {
        let done = persister.progress.borrow().done;
        let batch = {
            let mut state = shared.lock();
            if state.version <= done {
                return;
            }
            let live = state.rows();
            let compact = persister.log_rows.load(Ordering::SeqCst) > 2 * live + COMPACT_SLACK;
            state.take_batch(shared.clock_offset(), compact)
        };
        let version = batch.version;
        let writer = shared.clone();
        let written = tokio::task::spawn_blocking(move || {
            let result = match writer.persister.as_ref().map(Persister::lock_connection) {
                Some(mut connection) => match connection.as_mut() {
                    Some(connection) => write(connection, &batch),
                    None => Err(rusqlite::Error::InvalidQuery),
                },
                None => Ok(()),
            };
            (batch, result)
        })
        .await;
        let error = match written {
            Ok((batch, Ok(()))) => {
                let rows = batch.rows();
                if batch.full {
                    persister.log_rows.store(rows, Ordering::SeqCst);
                } else {
                    persister.log_rows.fetch_add(rows, Ordering::SeqCst);
                }
                persister.progress.send_modify(|p| p.done = version);
                continue;
            }
            Ok((batch, Err(e))) => {
                // The rows go into the next write, as they are then.
                shared.lock().requeue(batch);
                e.to_string()
            }
            Err(e) => e.to_string(),
        };
        tracing::error!(path = %persister.path.display(), error = %error, "could not write the state store");
        persister
            .progress
            .send_modify(|p| p.failed = Some((version, error)));
        return;
    }
}
