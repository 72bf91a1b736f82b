//! The flags of `meeting` and `recording`.

use clap::{Args, Subcommand};
use feishu_vc::when::FORMS;

use super::connection::Connection;

/// `feishu-vc meeting ...`: the connection flags may also come after the operation.
#[derive(Debug, Args)]
pub(crate) struct MeetingCommand {
    #[command(flatten)]
    pub(crate) connection: Connection,

    #[command(subcommand)]
    pub(crate) op: Meeting,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Meeting {
    /// One meeting by its id (not its 9-digit number): times, host, status, counts.
    Get {
        /// The meeting id.
        id: String,
        /// Include the participants (when each joined and left, and for how long).
        #[arg(long)]
        with_participants: bool,
    },
    /// The meetings held under a meeting number that started in a window, every page.
    List {
        /// The 9-digit meeting number.
        #[arg(long, value_name = "NO")]
        meeting_no: String,
        /// The window's start.
        #[arg(long, value_name = "WHEN", help = format!("The window's start: {FORMS}"))]
        from: String,
        /// The window's end (now unless given).
        #[arg(long, value_name = "WHEN", help = format!("The window's end (now unless given): {FORMS}"))]
        to: Option<String>,
        /// Meetings per page asked for (20 unless given, at most 50).
        #[arg(long, value_name = "N")]
        page_size: Option<i64>,
    },
}

/// `feishu-vc recording ...`.
#[derive(Debug, Args)]
pub(crate) struct RecordingCommand {
    #[command(flatten)]
    pub(crate) connection: Connection,

    #[command(subcommand)]
    pub(crate) op: Recording,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Recording {
    /// The recording of an ended meeting once ready: its link and length (exit 3 with 124002
    /// while it is being generated).
    Get {
        /// The meeting id.
        meeting_id: String,
    },
    /// Start recording a meeting in progress: its host, with a user token (--as-user or
    /// --user-access-token).
    Start {
        /// The meeting id.
        meeting_id: String,
        /// The UTC offset in hours (-12 to 12) of the times shown in the recording.
        #[arg(long, value_name = "HOURS", allow_hyphen_values = true)]
        timezone: Option<i64>,
    },
    /// Stop the recording of a meeting in progress: its host, with a user token.
    Stop {
        /// The meeting id.
        meeting_id: String,
    },
    /// Share (or, with --revoke, stop sharing) a ready recording: the meeting's owner, with a
    /// user token. Name at least one grantee.
    Permission(PermissionArgs),
}

/// `recording permission MEETING_ID ...`.
#[derive(Debug, Args)]
pub(crate) struct PermissionArgs {
    /// The meeting id.
    pub(crate) meeting_id: String,
    /// A user who may view it (a user id of --user-id-type); repeat for more.
    #[arg(long = "user", value_name = "ID")]
    pub(crate) users: Vec<String>,
    /// A group (open_chat_id) whose members may view it; repeat for more.
    #[arg(long = "group", value_name = "CHAT_ID")]
    pub(crate) groups: Vec<String>,
    /// Everyone in the tenant may view it.
    #[arg(long)]
    pub(crate) tenant: bool,
    /// Anyone on the internet with the link may view it.
    #[arg(long)]
    pub(crate) public: bool,
    /// Take the permission away instead of granting it.
    #[arg(long)]
    pub(crate) revoke: bool,
}
