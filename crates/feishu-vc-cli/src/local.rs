//! The built-in emulator: in-process for `--emulator`, or served by `feishu-vc emulator`.

use std::io::Write;

use feishu_vc_emulator::Emulator;

use crate::args::EmulatorArgs;
use crate::outcome::Failure;

pub(crate) use feishu_vc_emulator::{DEMO_APP_ID, DEMO_APP_SECRET};

/// Who owns what `--emulator` books when `--owner` is not given: a user of the demo directory.
pub(crate) const DEMO_OWNER: &str = feishu_vc_emulator::DEMO_USER_ALICE;

/// An emulator running inside this command.
pub(crate) struct InProcess(Emulator);

impl InProcess {
    pub(crate) fn base_url(&self) -> &str {
        self.0.base_url()
    }

    pub(crate) async fn shutdown(self) {
        // The command's answer is already printed; a failing shutdown changes nothing for it.
        let _ = self.0.shutdown().await;
    }
}

/// Starts an emulator on a free loopback port, with the demo app and directory.
pub(crate) async fn start_in_process() -> Result<InProcess, Failure> {
    let emulator = Emulator::start_default()
        .await
        .map_err(|e| Failure::network(format!("could not start the built-in emulator: {e}")))?;
    eprintln!(
        "feishu-vc: using the built-in emulator at {} (demo app {DEMO_APP_ID}, owner {DEMO_OWNER}); nothing is booked on Feishu",
        emulator.base_url()
    );
    Ok(InProcess(emulator))
}

/// `feishu-vc emulator`: prints the base URL as the first line on stdout, then serves until
/// interrupted (Ctrl-C or SIGTERM).
pub(crate) async fn serve(
    args: &EmulatorArgs,
    app_id: Option<&str>,
    app_secret: Option<&str>,
) -> Result<(), Failure> {
    let mut builder = Emulator::builder().host(args.host.clone()).port(args.port);
    match (app_id, app_secret) {
        (Some(id), Some(secret)) => builder = builder.app_credentials(id, secret),
        (None, None) => {}
        _ => {
            return Err(Failure::usage(
                "give both --app-id and --app-secret, or neither for the demo app",
            ));
        }
    }
    if let Some(path) = &args.state {
        builder = builder.state_file(path.clone());
    }
    let emulator = builder
        .start()
        .await
        .map_err(|e| Failure::usage(format!("could not start the emulator: {e}")))?;
    println!("{}", emulator.base_url());
    let _ = std::io::stdout().flush();
    eprintln!(
        "feishu-vc: emulator serving at {} for app {}; Ctrl-C to stop",
        emulator.base_url(),
        emulator.app_id()
    );
    emulator
        .run_until(interrupted())
        .await
        .map_err(|e| Failure::network(format!("the emulator stopped: {e}")))
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn interrupted() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
