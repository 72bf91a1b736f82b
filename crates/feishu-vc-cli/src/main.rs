//! `feishu-vc`: meeting reservations from a shell. See `feishu-vc --help`, the README's section on
//! the command line, and `docs/architecture.md` for the map of these modules: `main` parses and
//! dispatches, [`commands`] holds one module per command, and the modules below them (session,
//! settings, records, output, outcome, term, files, env...) import nothing from the commands.

mod args;
mod clock;
mod commands;
mod env;
mod files;
mod in_process;
mod input;
mod ledger;
mod outcome;
mod output;
mod records;
mod session;
mod settings;
mod term;
mod token_file;
mod users;

use std::process::ExitCode;

use clap::FromArgMatches;
use clap::parser::ValueSource;

use crate::args::{Cli, Command, Connection, command};
use crate::outcome::Failure;
use crate::term::note;

fn main() -> ExitCode {
    // Read while this is the only thread: the local offset cannot be read safely later.
    let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let matches = match command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return clap_exit(&e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    if let Some(own) = own_flags_command(&cli.command) {
        // The emulator and events commands take what they need from their own flags; reserve
        // flags given before them would be ignored, so they are refused. (Their environment
        // variables are simply not read.)
        let connection = <Connection as clap::Args>::augment_args(clap::Command::new("reserve"));
        if let Some(flag) = connection
            .get_arguments()
            .map(|a| a.get_id().as_str())
            .find(|id| matches.value_source(id) == Some(ValueSource::CommandLine))
        {
            return Failure::usage(format!(
                "--{} is for reserve commands; see `feishu-vc {own} --help` for its own flags",
                flag.replace('_', "-")
            ))
            .report();
        }
    }
    init_tracing(cli.verbose);
    // Events are printed in the order they were acknowledged: on one thread, the router's
    // handler tasks run in the order it spawned them.
    let mut runtime = match &cli.command {
        Command::Events { .. } => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match runtime.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return Failure::usage(format!("could not start the async runtime: {e}")).report();
        }
    };
    match runtime.block_on(commands::run(cli, offset)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// The commands that refuse the reserve commands' connection flags, by name.
fn own_flags_command(command: &Command) -> Option<&'static str> {
    match command {
        Command::Emulator(_) => Some("emulator"),
        Command::Events { .. } => Some("events"),
        Command::Reserve(_)
        | Command::Auth(_)
        | Command::Keep(_)
        | Command::Mcp(_)
        | Command::Meeting(_)
        | Command::Recording(_)
        | Command::Completions { .. } => None,
    }
}

/// Prints clap's help, version or usage error (a closed stream is no reason to panic) and gives
/// its exit code (0 for help and version, 2 for usage).
fn clap_exit(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(outcome::USAGE))
}

/// `-v` / `RUST_LOG`: the SDK's spans and events on stderr. Without either, nothing is installed.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::fmt::format::FmtSpan;

    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let directives = match (from_env, verbose) {
        (Some(directives), _) => directives,
        (None, 0) => return,
        (None, 1) => "feishu_vc=debug".to_owned(),
        (None, _) => "feishu_vc=trace".to_owned(),
    };
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|e| {
        note(&format!(
            "feishu-vc: warning: RUST_LOG `{directives}` not understood ({e}); using feishu_vc=debug"
        ));
        EnvFilter::new("feishu_vc=debug")
    });
    // The call span closes once per call, carrying operation, attempt, status, code, log id and
    // latency: one line per call.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .log_internal_errors(false)
        .try_init();
}
