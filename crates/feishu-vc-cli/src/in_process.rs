//! The built-in emulator inside one command (`--emulator`): its state file, kept between
//! commands under a lock, and the demo app and owner it books with.

use std::path::{Path, PathBuf};

use feishu_vc_emulator::Emulator;

use crate::clock::Clock;
use crate::env::STATE_ENV;
use crate::files::private_dir;
use crate::outcome::Failure;
use crate::term::note;

pub(crate) use feishu_vc_emulator::{DEMO_APP_ID, DEMO_APP_SECRET};

/// Who owns what `--emulator` books when `--owner` is not given: a user of the demo directory.
pub(crate) const DEMO_OWNER: &str = feishu_vc_emulator::DEMO_USER_ALICE;

/// An emulator running inside this command, and the lock that keeps other `--emulator` commands
/// off its state file until it has stopped.
pub(crate) struct InProcess {
    emulator: Emulator,
    _lock: std::fs::File,
}

impl InProcess {
    pub(crate) fn base_url(&self) -> &str {
        self.emulator.base_url()
    }

    /// The emulator's time, as a clock for the ledger and local validation.
    pub(crate) fn clock(&self) -> Clock {
        let system = feishu_vc::model::Timestamp::now().unix_seconds();
        Clock::offset(self.emulator.now().unix_seconds() - system)
    }

    pub(crate) async fn shutdown(self) {
        // The command's answer is already printed; a failing shutdown changes nothing for it.
        let _ = self.emulator.shutdown().await;
    }
}

/// Takes the lock of the state file `state` (the file `state.lock` beside it), waiting while
/// another command holds it: the emulator reads its state when it starts and writes it whole, so
/// two at once would lose each other's changes. Released when the returned file is dropped, or
/// by the system when the process ends however it ends.
pub(crate) async fn lock_state(state: &Path) -> Result<std::fs::File, Failure> {
    use fs4::fs_std::FileExt;
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let failed =
        |e: std::io::Error| Failure::usage(format!("could not lock {}: {e}", path.display()));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(failed)?;
    if FileExt::try_lock_exclusive(&file).map_err(failed)? {
        return Ok(file);
    }
    note("feishu-vc: waiting for another --emulator command to finish with the state");
    tokio::task::spawn_blocking(move || FileExt::lock_exclusive(&file).map(|()| file))
        .await
        .map_err(|e| Failure::usage(format!("could not lock {}: {e}", path.display())))?
        .map_err(failed)
}

/// The state file `--emulator` keeps between commands: `--emulator-state` or its environment
/// variable, else `feishu-vc/emulator-state` in the user's data directory.
pub(crate) fn state_path(given: Option<&Path>) -> Result<PathBuf, Failure> {
    match given {
        Some(path) => Ok(path.to_owned()),
        None => dirs::data_dir()
            .map(|dir| dir.join("feishu-vc").join("emulator-state"))
            .ok_or_else(|| {
                Failure::usage(format!(
                    "no user data directory for the emulator's state; give --emulator-state FILE or set {STATE_ENV}"
                ))
            }),
    }
}

/// Starts an emulator on a free loopback port, with the demo app and directory, keeping its
/// reservations in `state` (created, readable by this user only, if it does not exist).
pub(crate) async fn start_in_process(state: &Path) -> Result<InProcess, Failure> {
    if let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir).map_err(|e| {
            Failure::usage(format!(
                "could not create {} for the emulator's state: {e}",
                dir.display()
            ))
        })?;
    }
    let lock = lock_state(state).await?;
    let emulator = Emulator::builder()
        .state_file(state)
        .start()
        .await
        .map_err(|e| {
            Failure::usage(format!(
                "could not start the built-in emulator on its state {}: {e} (`feishu-vc emulator reset` empties it)",
                state.display()
            ))
        })?;
    note(&format!(
        "feishu-vc: using the built-in emulator (demo app {DEMO_APP_ID}, owner {DEMO_OWNER}, state {}); nothing is booked on Feishu",
        state.display()
    ));
    Ok(InProcess {
        emulator,
        _lock: lock,
    })
}
