//! The command line: every flag, as clap reads it. `connection` holds the flags and environment
//! variables that say where and as whom to call; the others, each command's own flags.

mod auth;
mod connection;
mod meeting;
mod reserve;
mod serve;

use clap::{CommandFactory, Parser, Subcommand};

pub(crate) use auth::*;
pub(crate) use connection::*;
pub(crate) use meeting::*;
pub(crate) use reserve::*;
pub(crate) use serve::*;

/// Book, read, renew and cancel Feishu / Lark meeting reservations (预约会议).
///
/// Prints the answer's `data` on stdout: JSON when stdout is not a terminal (scripts), a table with
/// local times when it is (`-o` chooses). Errors go to stderr as one line. `-v` or `RUST_LOG` shows
/// each call on stderr.
#[derive(Debug, Parser)]
#[command(
    name = "feishu-vc",
    version,
    propagate_version = true,
    after_help = EXIT_CODES
)]
pub(crate) struct Cli {
    /// Show what happens on stderr: `-v` each call (operation, status, code, log id, latency),
    /// `-vv` more; `RUST_LOG` (such as `feishu_vc=debug`) overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    #[command(flatten)]
    pub(crate) connection: Connection,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The exit codes, for `--help` (the README lists the same).
pub(crate) const EXIT_CODES: &str = "Exit codes:
  0  success
  2  usage or local validation: nothing was sent
  3  the API answered with an error
  4  network, timeout, or outcome unknown
  5  credentials or token
  6  done, output lost: the change was made but stdout could not be written; the reservation
     id and meeting number are on stderr (do not book again)
  7  not all done: rows of a batch refused, with an unknown outcome, or not sent this time
     (no connection, no token, rate limited: run again to send them), or reservations `keep`
     could not renew or found already expired (the summary lists them), or a batch stopped
     by Ctrl-C or SIGTERM (the answers in flight recorded; run again to send the rest)
  8  busy: another run of the same batch is in progress; nothing was sent";

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Meeting reservations.
    Reserve(Box<ReserveCommand>),
    /// Serve the emulator of the reserve API until interrupted; prints its base URL first, then
    /// its demo app and users on stderr. `reset` empties the state that --emulator keeps.
    Emulator(EmulatorArgs),
    /// Renew the reservations marked to keep (`reserve apply --keep`) before they expire, keeping
    /// their meeting numbers: one pass (for cron or a timer), or `--watch` to stay running. Reports
    /// those renewed, those found already expired (number lost), deleted elsewhere (gone), and
    /// failures. Several keepers may share one PostgreSQL ledger: each reservation is renewed once.
    Keep(Box<KeepArgs>),
    /// Serve the reservation tools to an AI agent over MCP on stdin / stdout (what agent hosts
    /// launch): book (validated, idempotent by key, through the ledger), get, renew, cancel, list.
    /// Protocol messages only on stdout; notes and logs on stderr.
    Mcp(Box<McpArgs>),
    /// Meetings held under reservations: one by id, or a meeting number's in a window.
    Meeting(Box<MeetingCommand>),
    /// Meeting recordings.
    Recording(Box<RecordingCommand>),
    /// Meeting events (vc.meeting.*): what happens to booked meetings.
    Events {
        #[command(subcommand)]
        action: EventsAction,
    },
    /// Log a user in (OAuth) to act as them with --as-user; list or remove logged-in users.
    Auth(Box<AuthCommand>),
    /// Print a completion script for a shell, such as `feishu-vc completions bash >
    /// ~/.local/share/bash-completion/completions/feishu-vc`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// The command line, with the flags of `reserve` and `auth` accepted after the operation as well.
pub(crate) fn command() -> clap::Command {
    let after = |command: clap::Command| {
        command.mut_args(|arg| {
            if arg.is_positional() {
                arg
            } else {
                arg.global(true)
            }
        })
    };
    // Flags only reserve commands use stay out of `auth --help` (auth refuses the ones that would
    // change something).
    let reserve_only = [
        "dry_run",
        "user_id_type",
        "emulator_state",
        "user_access_token",
        "as_user",
    ];
    Cli::command()
        .mut_subcommand("reserve", after)
        .mut_subcommand("keep", after)
        .mut_subcommand("mcp", after)
        .mut_subcommand("meeting", after)
        .mut_subcommand("recording", after)
        .mut_subcommand("auth", |auth| {
            after(auth).mut_args(|arg| {
                let hide = reserve_only.contains(&arg.get_id().as_str());
                arg.hide(hide)
            })
        })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn debug_never_shows_a_secret_or_password() {
        let cli = Cli::try_parse_from([
            "feishu-vc",
            "--app-id",
            "cli_x",
            "--app-secret",
            "s3cret-value",
            "--user-access-token",
            "u-token-value",
            "reserve",
            "apply",
            "--password",
            "971024",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        assert!(shown.contains("cli_x"), "{shown}");
        for secret in ["s3cret-value", "u-token-value", "971024"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        let cli = Cli::try_parse_from([
            "feishu-vc",
            "emulator",
            "--app-id",
            "cli_y",
            "--app-secret",
            "emu-secret",
        ])
        .unwrap();
        assert!(!format!("{cli:?}").contains("emu-secret"));
    }
}
