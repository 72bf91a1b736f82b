//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use feishu_vc::model::{Password, SecretString, UserIdType};

use crate::when::FORMS;

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
     could not renew or found already expired (the summary lists them)
  8  busy: another run of the same batch is in progress; nothing was sent";

/// Where and as whom reserve commands call; given before `reserve` or after the operation.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connection and output")]
pub(crate) struct Connection {
    /// Which Open Platform to call [default: feishu].
    #[arg(long, value_enum)]
    pub(crate) brand: Option<BrandArg>,

    /// A base URL instead of the brand's (a gateway, an emulator).
    #[arg(long, env = "FEISHU_BASE_URL")]
    pub(crate) base_url: Option<String>,

    /// Accept a plain-http --base-url on a host that is not loopback (tokens then travel in clear).
    #[arg(long)]
    pub(crate) allow_http: bool,

    /// The self-built app's id.
    #[arg(long, env = "FEISHU_APP_ID")]
    pub(crate) app_id: Option<String>,

    /// The self-built app's secret (prefer the environment variable: arguments show in `ps`).
    #[arg(long, env = "FEISHU_APP_SECRET", hide_env_values = true)]
    pub(crate) app_secret: Option<SecretString>,

    /// Act as a user with this user_access_token instead of as the app.
    #[arg(long, env = "FEISHU_USER_ACCESS_TOKEN", hide_env_values = true)]
    pub(crate) user_access_token: Option<SecretString>,

    /// Act as a user logged in with `feishu-vc auth login`: `--as-user` for the only one stored,
    /// `--as-user=NAME` to choose. Their token is refreshed when due and the new one saved; the
    /// user owns what is booked, so --owner is not needed.
    #[arg(
        long,
        value_name = "NAME",
        num_args = 0..=1,
        require_equals = true
    )]
    pub(crate) as_user: Option<Option<String>>,

    /// The file where `auth login` keeps users' tokens [default: the user data directory's
    /// feishu-vc/users/<app id>.json, such as ~/.local/share/feishu-vc/users/cli_xxx.json].
    #[arg(long, value_name = "FILE", env = crate::token_file::TOKENS_ENV)]
    pub(crate) user_tokens: Option<PathBuf>,

    /// How user ids are read and written: open_id (default), union_id or user_id.
    #[arg(long, value_parser = parse_user_id_type)]
    pub(crate) user_id_type: Option<UserIdType>,

    /// Timeout of each attempt, in seconds.
    #[arg(long, value_name = "SECS")]
    pub(crate) timeout: Option<f64>,

    /// Run against the built-in emulator with demo credentials: nothing is booked on Feishu. Its
    /// reservations are kept between commands in a per-user state file (see --emulator-state);
    /// `feishu-vc emulator reset` empties it.
    #[arg(long)]
    pub(crate) emulator: bool,

    /// The built-in emulator's state file [default: the user data directory's
    /// feishu-vc/emulator-state, such as ~/.local/share/feishu-vc/emulator-state].
    #[arg(long, value_name = "FILE", env = STATE_ENV)]
    pub(crate) emulator_state: Option<PathBuf>,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(short, long, value_enum)]
    pub(crate) output: Option<OutputFormat>,

    /// Print the method, URL and JSON body that would be sent, and send nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// The ledger of what was booked: a SQLite file, or a postgres:// URL for several machines
    /// [default: the user data directory's feishu-vc/ledger.sqlite3; with --emulator, a file
    /// beside the emulator's state].
    #[arg(long, value_name = "FILE|URL", env = crate::ledger::LEDGER_ENV, hide_env_values = true)]
    pub(crate) ledger: Option<SecretString>,

    /// Run by a served emulator's clock (read once from `GET <base-url>/_emulator/clock`), for
    /// tests against an emulator whose time was advanced.
    #[arg(long, hide = true, env = "FEISHU_VC_EMULATOR_CLOCK", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub(crate) emulator_clock: Option<bool>,
}

/// The environment variable that points `--emulator` at another state file.
pub(crate) const STATE_ENV: &str = "FEISHU_VC_EMULATOR_STATE";

impl Connection {
    /// These flags with `inner`'s (given after the operation) taking precedence.
    pub(crate) fn merged(&self, inner: &Connection) -> Connection {
        let c = inner.clone();
        Connection {
            brand: c.brand.or(self.brand),
            base_url: c.base_url.or_else(|| self.base_url.clone()),
            allow_http: c.allow_http || self.allow_http,
            app_id: c.app_id.or_else(|| self.app_id.clone()),
            app_secret: c.app_secret.or_else(|| self.app_secret.clone()),
            user_access_token: c
                .user_access_token
                .or_else(|| self.user_access_token.clone()),
            as_user: c.as_user.or_else(|| self.as_user.clone()),
            user_tokens: c.user_tokens.or_else(|| self.user_tokens.clone()),
            user_id_type: c.user_id_type.or(self.user_id_type),
            timeout: c.timeout.or(self.timeout),
            emulator: c.emulator || self.emulator,
            emulator_state: c.emulator_state.or_else(|| self.emulator_state.clone()),
            output: c.output.or(self.output),
            dry_run: c.dry_run || self.dry_run,
            ledger: c.ledger.or_else(|| self.ledger.clone()),
            emulator_clock: c.emulator_clock.or(self.emulator_clock),
        }
    }
}

/// How answers are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// The answer's `data`, as JSON.
    Json,
    /// The fields a person reads, times in local time.
    Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
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
    Reserve(Box<ReserveCommand>),
    /// Serve the emulator of the reserve API until interrupted; prints its base URL first, then
    /// its demo app and users on stderr. `reset` empties the state that --emulator keeps.
    Emulator(EmulatorArgs),
    /// Renew the reservations marked to keep (`reserve apply --keep`) before they expire, keeping
    /// their meeting numbers: one pass (for cron or a timer), or `--watch` to stay running. Reports
    /// those renewed, those found already expired (number lost), deleted elsewhere (gone), and
    /// failures. Several keepers may share one PostgreSQL ledger: each reservation is renewed once.
    Keep(Box<KeepArgs>),
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

/// `feishu-vc reserve ...`: the connection flags may also come after the operation.
#[derive(Debug, Args)]
pub(crate) struct ReserveCommand {
    #[command(flatten)]
    pub(crate) connection: Connection,

    #[command(subcommand)]
    pub(crate) op: Reserve,
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
    /// Delete a reservation for good. Asks first when stdin is a terminal, unless --yes; a script
    /// (stdin not a terminal) is not asked.
    Delete {
        /// The reservation id.
        id: String,
        /// Do not ask for confirmation.
        #[arg(short, long)]
        yes: bool,
    },
    /// The reservations in the ledger (what was booked through this command): id, meeting
    /// number, topic, owner, end time and time left, kept or not, and state.
    List(ListArgs),
    /// The meeting in progress for a reservation, if any.
    Active {
        /// The reservation id.
        id: String,
        /// Include the participants.
        #[arg(long)]
        with_participants: bool,
    },
}

/// `feishu-vc auth ...`: the connection flags may also come after the action.
#[derive(Debug, Args)]
pub(crate) struct AuthCommand {
    #[command(flatten)]
    pub(crate) connection: Connection,

    #[command(subcommand)]
    pub(crate) action: AuthAction,
}

/// The user name `auth login` stores tokens under when --user is not given.
pub(crate) const DEFAULT_USER: &str = "default";

#[derive(Debug, Subcommand)]
pub(crate) enum AuthAction {
    /// Log a user in: prints the authorization page's address, reads the code Feishu sends back
    /// (--code, or one line on stdin: the code or the whole address the browser was sent to),
    /// exchanges it, and saves the user's tokens in a file only you can read. Prints who is
    /// logged in and until when, never a token.
    Login(LoginArgs),
    /// List the logged-in users, with when their access and refresh tokens expire.
    Status,
    /// Forget a logged-in user's tokens.
    Logout {
        /// The user [default: the only one stored].
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The name to keep the user's tokens under, for --as-user=NAME.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_USER)]
    pub(crate) user: String,

    /// The authorization code (or the whole address the browser was sent to); without it, it is
    /// read from stdin. Codes work once, for five minutes.
    #[arg(long, value_name = "CODE")]
    pub(crate) code: Option<SecretString>,

    /// The redirect URL registered for the app (its Security settings); Feishu sends the user
    /// there with the code.
    #[arg(long, value_name = "URL", env = "FEISHU_REDIRECT_URI")]
    pub(crate) redirect_uri: Option<String>,

    /// A scope to ask for; repeat for more. `offline_access` (for refreshing) is always added.
    #[arg(long = "scope", value_name = "SCOPE", default_values = ["vc:reserve", "vc:reserve:readonly"])]
    pub(crate) scopes: Vec<String>,
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
    pub(crate) password: Option<Password>,

    /// No password at all. Without --password or --no-password, apply leaves it to the owner's
    /// settings and update leaves the password as it is.
    #[arg(long)]
    pub(crate) no_password: bool,

    /// An assigned host (a user id, per --user-id-type); repeat for more, at most 10.
    #[arg(long = "host", value_name = "ID")]
    pub(crate) hosts: Vec<String>,

    /// Record automatically (not for 1-to-1 calls): `--auto-record` or `--auto-record=true` turns
    /// it on, `--auto-record=false` off.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub(crate) auto_record: Option<bool>,

    /// Make it a 1-to-1 call to this phone number: +86- followed by its digits.
    #[arg(long, value_name = "+86-NUMBER")]
    pub(crate) call: Option<String>,

    /// A nickname for the called number.
    #[arg(long, requires = "call")]
    pub(crate) nickname: Option<String>,

    /// The full JSON request body, from a file or `-` for stdin, for settings the flags do not
    /// cover; flags given as well override it. A field the API does not know is refused.
    #[arg(long, value_name = "FILE|-")]
    pub(crate) body: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// The meeting's owner (required with app credentials: a user of the tenant). With --batch,
    /// the owner of rows that name none.
    #[arg(long, value_name = "ID")]
    pub(crate) owner: Option<String>,

    /// The booking's name in the ledger: the same key again returns what was booked instead of
    /// booking twice [default: a fresh one].
    #[arg(long, value_name = "KEY", conflicts_with = "batch")]
    pub(crate) key: Option<String>,

    /// Keep the reservation alive: `feishu-vc keep` renews it before it expires.
    #[arg(long, conflicts_with = "batch")]
    pub(crate) keep: bool,

    /// Book every meeting of a file: CSV with a header row (.csv) or JSON lines (.jsonl,
    /// .ndjson), one meeting a row, with the fields topic, end_time, owner_id, password,
    /// no_password, hosts (`;`-separated in CSV, an array in JSON), auto_record, call, nickname,
    /// keep and key (the row's name; its data row number when absent). Every row is checked
    /// before anything is sent. Run it again after a failure: booked rows are not booked again,
    /// and a row whose outcome is unknown is not sent again unless named in --resend-unknown.
    #[arg(long, value_name = "FILE")]
    pub(crate) batch: Option<PathBuf>,

    /// With --batch: how many applies may be in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, requires = "batch", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) concurrency: u16,

    /// With --batch: send these rows again (by key) although their outcome is unknown; only when
    /// you know their meeting was not booked.
    #[arg(
        long,
        value_name = "KEY[,KEY]",
        value_delimiter = ',',
        requires = "batch"
    )]
    pub(crate) resend_unknown: Vec<String>,

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
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct EmulatorArgs {
    #[command(subcommand)]
    pub(crate) action: Option<EmulatorAction>,

    /// The app the token endpoint accepts [default: the demo app, printed at start].
    #[arg(long, requires = "app_secret")]
    pub(crate) app_id: Option<String>,

    /// That app's secret.
    #[arg(long, requires = "app_id")]
    pub(crate) app_secret: Option<SecretString>,

    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: String,

    /// The port (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,

    /// Persist every change to this file, and load it at start.
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Option<PathBuf>,

    /// Push meeting events (vc.meeting.*) to this URL, as Feishu pushes them to an app's request
    /// URL; repeatable. Each URL must answer the URL-verification challenge at start.
    #[arg(long = "event-callback", value_name = "URL")]
    pub(crate) event_callbacks: Vec<String>,

    /// Encrypt (AES-256-CBC) and sign every pushed event and challenge with this Encrypt Key.
    #[arg(long, value_name = "KEY")]
    pub(crate) encrypt_key: Option<SecretString>,

    /// The Verification Token sent in every pushed event and challenge.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) verification_token: Option<SecretString>,

    /// Throttle as Feishu does: each app may call each operation 50 times a second and 1000
    /// times a minute per tenant; past that, HTTP 429 with code 99991400.
    #[arg(long)]
    pub(crate) rate_limit: bool,
}

/// `feishu-vc reserve list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Read each live reservation from Feishu first and record what it says (end time, expired,
    /// deleted elsewhere).
    #[arg(long)]
    pub(crate) refresh: bool,

    /// Only the reservations of this batch (the batch file's path, as `apply --batch` took it).
    #[arg(long, value_name = "NAME")]
    pub(crate) batch: Option<String>,
}

/// `feishu-vc keep`.
#[derive(Debug, Args)]
pub(crate) struct KeepArgs {
    #[command(flatten)]
    pub(crate) connection: Connection,

    /// Stay running: a pass every --interval until Ctrl-C.
    #[arg(long)]
    pub(crate) watch: bool,

    /// With --watch, the time between passes (such as 30m, 1h).
    #[arg(long, value_name = "DUR", default_value = "1h", value_parser = parse_duration, requires = "watch")]
    pub(crate) interval: std::time::Duration,

    /// Renew a kept reservation when it would expire within this (such as 7d, 36h).
    #[arg(long, value_name = "DUR", default_value = "7d", value_parser = parse_duration)]
    pub(crate) margin: std::time::Duration,
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration like 30m, 12h or 7d: {e}"))?;
    if d.is_zero() {
        return Err("must be more than zero".to_owned());
    }
    Ok(d)
}

/// `feishu-vc events ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum EventsAction {
    /// Receive meeting events and print one JSON line per event on stdout (its envelope's header
    /// without the verification token, the event, and `reserve_id` when known) until Ctrl-C.
    /// By default over Feishu's long connection with the app's credentials: the command dials
    /// out, no public URL needed. With --webhook, refused deliveries are answered as Feishu
    /// expects and reported on stderr.
    Listen(ListenArgs),
}

/// How `feishu-vc events listen` receives events.
///
/// Without --webhook or --emulator it opens Feishu's long connection with the app's credentials:
/// the command dials out, so no public URL is needed.
#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// Serve the app's request URL on this address, such as 0.0.0.0:8080: Feishu POSTs each event
    /// to `/` there. With --emulator: run the demo over webhooks served there (such as
    /// 127.0.0.1:0) instead of over the long connection.
    #[arg(long, value_name = "ADDR")]
    pub(crate) webhook: Option<String>,

    /// A local demo instead: an in-memory emulator books a meeting, starts it, a participant joins
    /// and leaves, the meeting ends; the events come over the long connection (or --webhook) and
    /// are printed as they arrive, and the command ends after the meeting-ended event.
    #[arg(long)]
    pub(crate) emulator: bool,

    /// The self-built app's id, for the long connection.
    #[arg(long, env = "FEISHU_APP_ID")]
    pub(crate) app_id: Option<String>,

    /// The self-built app's secret, for the long connection (prefer the environment variable:
    /// arguments show in `ps`).
    #[arg(long, env = "FEISHU_APP_SECRET", hide_env_values = true)]
    pub(crate) app_secret: Option<SecretString>,

    /// Which Open Platform the long connection is opened on [default: feishu].
    #[arg(long, value_enum)]
    pub(crate) brand: Option<BrandArg>,

    /// A base URL instead of the brand's, for the long connection (a gateway, an emulator).
    #[arg(long, env = "FEISHU_BASE_URL")]
    pub(crate) base_url: Option<String>,

    /// The app's Encrypt Key: deliveries must then be signed and are decrypted (prefer the
    /// environment variable: arguments show in `ps`).
    #[arg(
        long,
        value_name = "KEY",
        env = "FEISHU_ENCRYPT_KEY",
        hide_env_values = true
    )]
    pub(crate) encrypt_key: Option<SecretString>,

    /// The app's Verification Token: every delivery must carry it.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "FEISHU_VERIFICATION_TOKEN",
        hide_env_values = true
    )]
    pub(crate) verification_token: Option<SecretString>,
}

/// What `feishu-vc emulator` does instead of serving.
#[derive(Debug, Subcommand)]
pub(crate) enum EmulatorAction {
    /// Empty the state that `--emulator` keeps between commands (delete its state file).
    Reset {
        /// The state file [default: as for --emulator-state].
        #[arg(long, value_name = "FILE", env = STATE_ENV)]
        state: Option<PathBuf>,
    },
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
