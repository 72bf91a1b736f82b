//! `feishu-vc emulator [reset]`: the emulator served on its own for any SDK, or the state of
//! `--emulator` emptied.

use std::path::{Path, PathBuf};

use feishu_vc_emulator::Emulator;

use crate::args::{EmulatorAction, EmulatorArgs};
use crate::in_process::{DEMO_APP_ID, DEMO_APP_SECRET, lock_state, state_path};
use crate::outcome::Failure;
use crate::output::{Effect, emit};
use crate::term::{interrupted, note};

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
pub(crate) async fn run(args: &EmulatorArgs) -> Result<(), Failure> {
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
