//! Writing the state file: atomically, and before a change is acknowledged.
//!
//! One writer task per emulator. A handler changes the state under the mutex (which bumps the
//! state's version), wakes the writer and waits until a write that includes its version is on
//! disk. Changes that arrive while a write is under way are coalesced into the next write, so
//! under load one fsync acknowledges many changes, and every response still waits for a write
//! that includes its own change.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, watch};

use crate::Shared;

/// How far the file has got.
#[derive(Clone, Debug, Default)]
pub(crate) struct Progress {
    /// Every change up to this version is on disk.
    pub(crate) done: u64,
    /// The last failed write: the version it tried to write, and why it failed.
    pub(crate) failed: Option<(u64, String)>,
}

/// The state file and its writer's signals.
#[derive(Debug)]
pub(crate) struct Persister {
    pub(crate) path: PathBuf,
    wake: Notify,
    stop: AtomicBool,
    progress: watch::Sender<Progress>,
}

impl Persister {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            wake: Notify::new(),
            stop: AtomicBool::new(false),
            progress: watch::Sender::new(Progress::default()),
        }
    }

    /// Waits until every change up to `version` is on disk.
    pub(crate) async fn wait(&self, version: u64) -> Result<(), String> {
        self.wake.notify_one();
        let mut rx = self.progress.subscribe();
        let progress = rx
            .wait_for(|p| p.done >= version || p.failed.as_ref().is_some_and(|f| f.0 >= version))
            .await
            .map_err(|_| "the state writer has stopped".to_owned())?;
        if progress.done >= version {
            Ok(())
        } else {
            Err(progress
                .failed
                .as_ref()
                .map(|f| f.1.clone())
                .unwrap_or_default())
        }
    }

    /// Asks the writer to write what is left and stop.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

/// The writer task: writes whenever woken, until stopped.
pub(crate) async fn run(shared: Arc<Shared>) {
    let Some(persister) = shared.persister.as_ref() else {
        return;
    };
    loop {
        flush(&shared, persister).await;
        if persister.stop.load(Ordering::SeqCst) {
            flush(&shared, persister).await;
            return;
        }
        persister.wake.notified().await;
    }
}

/// Writes until the file holds the latest version (or a write fails).
async fn flush(shared: &Shared, persister: &Persister) {
    loop {
        let done = persister.progress.borrow().done;
        let (version, snapshot) = {
            let state = shared.lock();
            if state.version <= done {
                return;
            }
            (state.version, state.for_disk(shared.clock_offset()))
        };
        let path = persister.path.clone();
        let written =
            tokio::task::spawn_blocking(move || write_atomically(&path, &snapshot.to_bytes()))
                .await
                .unwrap_or_else(|e| Err(io::Error::other(e.to_string())));
        match written {
            Ok(()) => persister.progress.send_modify(|p| p.done = version),
            Err(e) => {
                tracing::error!(path = %persister.path.display(), error = %e, "could not write the state file");
                persister
                    .progress
                    .send_modify(|p| p.failed = Some((version, e.to_string())));
                return;
            }
        }
    }
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or the new file: a temporary
/// file in the same directory is written and fsynced, renamed over `path`, and the directory is
/// fsynced so that the rename itself is durable.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the state file has no name"))?;
    let tmp = dir.join(format!(
        ".{}.{}-{:08x}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        fastrand::u32(..)
    ));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    // Directories cannot be opened for syncing here; the rename is as durable as the OS makes it.
    Ok(())
}
