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
}
