//! One module per command (cargo's `commands/`, gh's `pkg/cmd/<noun>/<verb>`): each takes its
//! flags from [`crate::args`] and, when it calls Feishu, the [`Session`]. Commands never import
//! each other; what two of them share lives below them (`session`, `settings`, `records`,
//! `output`, `outcome`...).

mod auth;
mod completions;
mod emulator;
mod events;
mod keep;
mod mcp;
mod meeting;
mod recording;
mod reserve;

use crate::args::{
    Cli, Command, EventsAction, KeepArgs, McpArgs, MeetingCommand, RecordingCommand, ReserveCommand,
};
use crate::clock::Clock;
use crate::in_process;
use crate::ledger;
use crate::outcome::Failure;
use crate::session::Session;
use crate::users;

/// Runs the command `cli` names; `offset` is the local time zone, read before any thread started.
pub(crate) async fn run(cli: Cli, offset: time::UtcOffset) -> Result<(), Failure> {
    let reserve = match cli.command {
        Command::Emulator(args) => return emulator::run(&args).await,
        Command::Events {
            action: EventsAction::Listen(args),
        } => return events::run(&args).await,
        Command::Completions { shell } => return completions::run(shell),
        Command::Auth(auth) => {
            return auth::run(&cli.connection.merged(&auth.connection), &auth.action).await;
        }
        Command::Reserve(reserve) => Work::Reserve(reserve),
        Command::Keep(keep) => Work::Keep(keep),
        Command::Mcp(mcp) => Work::Mcp(mcp),
        Command::Meeting(meeting) => Work::Meeting(meeting),
        Command::Recording(recording) => Work::Recording(recording),
    };
    let connection = match &reserve {
        Work::Reserve(r) => cli.connection.merged(&r.connection),
        Work::Keep(k) => cli.connection.merged(&k.connection),
        Work::Mcp(m) => cli.connection.merged(&m.connection),
        Work::Meeting(m) => cli.connection.merged(&m.connection),
        Work::Recording(r) => cli.connection.merged(&r.connection),
    };
    if connection.as_user.is_some() {
        if connection.emulator {
            return Err(Failure::usage(users::NOT_WITH_EMULATOR));
        }
        if connection.user_access_token.is_some() {
            return Err(Failure::usage(
                "--as-user and --user-access-token (FEISHU_USER_ACCESS_TOKEN) each choose the user; give one",
            ));
        }
    }
    // The emulator lives as long as this command; its reservations stay in its state file.
    let emulator_state = if connection.emulator {
        Some(in_process::state_path(
            connection.emulator_state.as_deref(),
        )?)
    } else {
        None
    };
    let emulator = match &emulator_state {
        Some(state) if !connection.dry_run => Some(in_process::start_in_process(state).await?),
        _ => None,
    };
    let clock = match (&emulator, &connection.base_url) {
        (Some(emulator), _) => emulator.clock(),
        (None, Some(url)) if connection.emulator_clock == Some(true) => {
            Clock::of_emulator(url).await?
        }
        _ => Clock::default(),
    };
    let ledger_at = ledger::Location::resolve(
        connection
            .ledger
            .as_ref()
            .map(feishu_vc::model::SecretString::expose_secret),
        emulator_state.as_deref(),
    );
    let result = match Session::new(&connection, emulator.as_ref(), offset, clock, ledger_at) {
        Ok(session) => match &reserve {
            Work::Reserve(r) => reserve::run(&session, &r.op).await,
            Work::Keep(k) => keep::run(&session, k).await,
            Work::Mcp(m) => mcp::run(&session, m).await,
            Work::Meeting(m) => meeting::run(&session, &m.op).await,
            Work::Recording(r) => recording::run(&session, &r.op).await,
        },
        Err(failure) => Err(failure),
    };
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    result
}

/// What a command with a connection does.
enum Work {
    Reserve(Box<ReserveCommand>),
    Keep(Box<KeepArgs>),
    Mcp(Box<McpArgs>),
    Meeting(Box<MeetingCommand>),
    Recording(Box<RecordingCommand>),
}
