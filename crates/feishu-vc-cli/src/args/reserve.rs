//! The flags of `reserve` and `keep`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use feishu_vc::model::Password;

use super::connection::Connection;
use feishu_vc::when::FORMS;

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
    /// The meetings a reservation of the ledger held: when, who came and for how long, and
    /// each recording's link.
    Report {
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

    /// Also put the meeting on a calendar: an event from --starts to the reservation's end time
    /// whose video meeting is its join link, moved when it is renewed and deleted with it. Without
    /// ID, the primary calendar of whoever books (the app's own, with app credentials).
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "", conflicts_with = "batch")]
    pub(crate) calendar: Option<String>,

    /// With --calendar: a user to invite (an id of the --user-id-type kind); repeat for more. The
    /// owner is invited too.
    #[arg(long, value_name = "ID", requires = "calendar")]
    pub(crate) attendee: Vec<String>,

    /// With --calendar: when the event starts (unix seconds, RFC 3339 or `+30m`) [default: now].
    #[arg(long, value_name = "WHEN", requires = "calendar")]
    pub(crate) starts: Option<String>,

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

/// The flags of `mcp`.
#[derive(Debug, Args)]
pub(crate) struct McpArgs {
    #[command(flatten)]
    pub(crate) connection: Connection,

    /// Expose only the tools that read (active_meeting, get_reservation, list_reservations,
    /// meeting_report).
    #[arg(long)]
    pub(crate) read_only: bool,

    /// Serve Streamable HTTP at http://ADDR/mcp (a loopback address such as 127.0.0.1:8750)
    /// instead of stdio.
    #[arg(long, value_name = "ADDR")]
    pub(crate) http: Option<std::net::SocketAddr>,
}
