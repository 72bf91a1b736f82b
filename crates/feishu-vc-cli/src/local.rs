//! The built-in emulator: in-process for `--emulator`, or served by `feishu-vc emulator`.

use std::path::{Path, PathBuf};

use feishu_vc_emulator::Emulator;

use crate::args::{EmulatorAction, EmulatorArgs, STATE_ENV};
use crate::outcome::Failure;
use crate::output::{Effect, emit, note};

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
    pub(crate) fn clock(&self) -> crate::ledger::Clock {
        let system = feishu_vc::model::Timestamp::now().unix_seconds();
        crate::ledger::Clock::offset(self.emulator.now().unix_seconds() - system)
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
async fn lock_state(state: &Path) -> Result<std::fs::File, Failure> {
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

/// Creates `dir` and its parents; the last one only the user can enter (the state holds tokens
/// and meeting passwords, the user-token file tokens).
pub(crate) fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// `feishu-vc emulator reset`: deletes the state file (and the files a database keeps beside it),
/// once no `--emulator` command is using it.
async fn reset(state: Option<&Path>) -> Result<(), Failure> {
    let path = state_path(state)?;
    if !path.exists() {
        note(&format!(
            "feishu-vc: the emulator's state {} was already empty",
            path.display()
        ));
        return Ok(());
    }
    let _lock = lock_state(&path).await?;
    let mut removed = false;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.clone().into_os_string();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Ok(()) => removed = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Failure::usage(format!(
                    "could not delete {}: {e}",
                    PathBuf::from(name).display()
                )));
            }
        }
    }
    if removed {
        note(&format!(
            "feishu-vc: emptied the emulator's state {}",
            path.display()
        ));
    }
    Ok(())
}

/// `feishu-vc emulator`: prints the base URL as the first line on stdout and its app and users on
/// stderr, then serves until interrupted (Ctrl-C or SIGTERM). `feishu-vc emulator reset` empties
/// the state of `--emulator` instead.
pub(crate) async fn serve(args: &EmulatorArgs) -> Result<(), Failure> {
    if let Some(EmulatorAction::Reset { state }) = &args.action {
        return reset(state.as_deref()).await;
    }
    let mut builder = Emulator::builder().host(args.host.clone()).port(args.port);
    if let (Some(id), Some(secret)) = (&args.app_id, &args.app_secret) {
        builder = builder.app_credentials(id.clone(), secret.expose_secret());
    }
    if let Some(path) = &args.state {
        builder = builder.state_file(path.clone());
    }
    for url in &args.event_callbacks {
        builder = builder.event_callback(url.clone());
    }
    if let Some(key) = &args.encrypt_key {
        builder = builder.encrypt_key(key.expose_secret());
    }
    if let Some(token) = &args.verification_token {
        builder = builder.verification_token(token.expose_secret());
    }
    if args.rate_limit {
        builder = builder.rate_limit(true);
    }
    let emulator = builder
        .start()
        .await
        .map_err(|e| Failure::usage(format!("could not start the emulator: {e}")))?;
    let stop = interrupted();
    // The first line is what scripts wait for; with nobody reading it, serving is pointless.
    emit(
        &format!("{}\n", emulator.base_url()),
        Effect::Read,
        String::new,
    )?;
    note(&format!(
        "feishu-vc: emulator serving at {}; Ctrl-C to stop",
        emulator.base_url()
    ));
    if args.app_id.is_some() {
        note(&format!(
            "  app: {} (the secret you gave)",
            emulator.app_id()
        ));
    } else {
        note(&format!(
            "  demo app: --app-id {DEMO_APP_ID} --app-secret {DEMO_APP_SECRET}"
        ));
    }
    for url in emulator.event_callbacks() {
        note(&format!("  meeting events to: {url}"));
    }
    note("  users (open_id / union_id / user_id, tenant):");
    for user in feishu_vc_emulator::demo_directory() {
        note(&format!(
            "    {} / {} / {}, {}",
            user.open_id(),
            user.union_id(),
            user.user_id(),
            user.tenant_key()
        ));
    }
    emulator
        .run_until(stop)
        .await
        .map_err(|e| Failure::network(format!("the emulator stopped: {e}")))
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one. The signals are caught from this call
/// on (not from the first poll): call it before saying the command is ready, so that a Ctrl-C
/// right after that stops it cleanly instead of killing it.
pub(crate) fn interrupted() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let caught = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        );
        async move {
            match caught {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
