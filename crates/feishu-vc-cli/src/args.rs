//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use feishu_vc::model::UserIdType;

use crate::when::FORMS;

/// Book, read, renew and cancel Feishu / Lark meeting reservations (预约会议).
///
/// Prints the answer's `data` as JSON on stdout; errors go to stderr as one line. Exit codes: 0
/// success, 2 usage or local validation (nothing sent), 3 API error, 4 network, timeout or outcome
/// unknown, 5 credentials or token.
#[derive(Debug, Parser)]
#[command(name = "feishu-vc", version, propagate_version = true)]
pub(crate) struct Cli {
    /// Which Open Platform to call.
    #[arg(long, global = true, value_enum, default_value_t = BrandArg::Feishu)]
    pub(crate) brand: BrandArg,

    /// A base URL instead of the brand's (a gateway, an emulator).
    #[arg(long, global = true, env = "FEISHU_BASE_URL")]
    pub(crate) base_url: Option<String>,

    /// The self-built app's id.
    #[arg(long, global = true, env = "FEISHU_APP_ID")]
    pub(crate) app_id: Option<String>,

    /// The self-built app's secret (prefer the environment variable: arguments show in `ps`).
    #[arg(long, global = true, env = "FEISHU_APP_SECRET", hide_env_values = true)]
    pub(crate) app_secret: Option<String>,

    /// Act as a user with this user_access_token instead of as the app.
    #[arg(
        long,
        global = true,
        env = "FEISHU_USER_ACCESS_TOKEN",
        hide_env_values = true
    )]
    pub(crate) user_access_token: Option<String>,

    /// How user ids are read and written: open_id (default), union_id or user_id.
    #[arg(long, global = true, value_parser = parse_user_id_type)]
    pub(crate) user_id_type: Option<UserIdType>,

    /// Timeout of each attempt, in seconds.
    #[arg(long, global = true, value_name = "SECS")]
    pub(crate) timeout: Option<f64>,

    /// Run against a built-in emulator started for this command, with demo credentials: nothing is
    /// booked on Feishu.
    #[arg(long, global = true)]
    pub(crate) emulator: bool,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum BrandArg {
    /// open.feishu.cn
    Feishu,
    /// open.larksuite.com
    Lark,
}

fn parse_user_id_type(text: &str) -> Result<UserIdType, String> {
    text.parse()
        .map_err(|e: feishu_vc::model::ParseEnumError| e.to_string())
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Meeting reservations.
    #[command(subcommand)]
    Reserve(Reserve),
    /// Serve the emulator of the reserve API until interrupted; prints its base URL first.
    Emulator(EmulatorArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum Reserve {
    /// Book a meeting.
    Apply(ApplyArgs),
    /// Read a reservation.
    Get {
        /// The reservation id.
        id: String,
    },
    /// Change or renew a reservation; only what is given changes.
    Update(UpdateArgs),
    /// Delete a reservation for good.
    Delete {
        /// The reservation id.
        id: String,
    },
    /// The meeting in progress for a reservation, if any.
    Active {
        /// The reservation id.
        id: String,
        /// Include the participants.
        #[arg(long)]
        with_participants: bool,
    },
}

/// Settings shared by apply and update.
#[derive(Debug, Args)]
pub(crate) struct Settings {
    /// The meeting's topic.
    #[arg(long)]
    pub(crate) topic: Option<String>,

    #[arg(long, value_name = "WHEN", help = format!("When the reservation expires: {FORMS}; at most 30 days ahead"))]
    pub(crate) end_time: Option<String>,

    /// A meeting password of 4 to 9 digits.
    #[arg(long, value_name = "DIGITS", conflicts_with = "no_password")]
    pub(crate) password: Option<String>,

    /// No password at all (otherwise the owner's settings decide).
    #[arg(long)]
    pub(crate) no_password: bool,

    /// An assigned host (a user id, per --user-id-type); repeat for more, at most 10.
    #[arg(long = "host", value_name = "ID")]
    pub(crate) hosts: Vec<String>,

    /// Record automatically (not for 1-to-1 calls).
    #[arg(long)]
    pub(crate) auto_record: bool,

    /// Make it a 1-to-1 call to this phone number: +86- followed by its digits.
    #[arg(long, value_name = "+86-NUMBER")]
    pub(crate) call: Option<String>,

    /// A nickname for the called number.
    #[arg(long, requires = "call")]
    pub(crate) nickname: Option<String>,

    /// The full JSON request body, from a file or `-` for stdin, for settings the flags do not
    /// cover; flags given as well override it.
    #[arg(long, value_name = "FILE|-")]
    pub(crate) body: Option<PathBuf>,

    /// Print the method, URL and JSON body that would be sent, and send nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// The meeting's owner (required with app credentials: a user of the tenant).
    #[arg(long, value_name = "ID")]
    pub(crate) owner: Option<String>,

    #[command(flatten)]
    pub(crate) settings: Settings,
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// The reservation id.
    pub(crate) id: String,

    /// Remove every assigned host.
    #[arg(long, conflicts_with = "hosts")]
    pub(crate) clear_hosts: bool,

    #[command(flatten)]
    pub(crate) settings: Settings,
}

#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: String,

    /// The port (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,

    /// Persist every change to this JSON file, and load it at start.
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Option<PathBuf>,
}
