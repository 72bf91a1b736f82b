//! The emulator's own errors (starting, persisting, the control API); API errors are answered to
//! clients in Feishu's envelope instead.

use std::io;
use std::path::PathBuf;

/// Why the emulator could not start, persist, or do what a test asked of it.
///
/// `Display` says what failed; the cause, if any, is the `source()`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The builder's configuration cannot be used.
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// The address could not be bound.
    #[error("could not listen on {address}")]
    Bind {
        /// `host:port` as configured.
        address: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The state file exists but could not be read.
    #[error("could not read the state file {}", path.display())]
    ReadState {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The state store could not be opened, created or written at start (the location is not
    /// writable, another emulator holds it, ...).
    #[error("could not open the state store {}", path.display())]
    OpenState {
        /// The file.
        path: PathBuf,
        /// Why: the OS's reason, or SQLite's.
        #[source]
        source: io::Error,
    },
    /// The state file is not one this emulator wrote.
    #[error("{} is not an emulator state file ({reason})", path.display())]
    StateFormat {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A change could not be written to the state file; it was not acknowledged.
    #[error("could not write the state file: {0}")]
    Persist(String),
    /// The HTTP server stopped with an error.
    #[error("the emulator's server failed")]
    Server(#[source] io::Error),
    /// No user of the directory has this id (of any kind).
    #[error("no user `{0}` in the emulator's directory")]
    UnknownUser(String),
    /// No app has this id.
    #[error("no app `{0}` in the emulator")]
    UnknownApp(String),
    /// No reservation has this id.
    #[error("no reservation `{0}`")]
    UnknownReservation(String),
    /// The reservation has expired: its meeting number cannot be joined.
    #[error("reservation `{0}` has expired")]
    ReservationExpired(String),
    /// The reservation already has a meeting in progress (at most one is).
    #[error("reservation `{0}` already has a meeting in progress")]
    MeetingInProgress(String),
    /// The reservation has no meeting in progress.
    #[error("reservation `{0}` has no meeting in progress")]
    NoMeetingInProgress(String),
    /// The emulator's time cannot be moved that far ahead.
    #[error(
        "cannot advance the emulator's clock by {seconds} s: it may run at most {max_offset_seconds} s (100 years) ahead of its clock"
    )]
    ClockOutOfRange {
        /// The advance asked for.
        seconds: u64,
        /// The furthest the emulator's time may run ahead of its clock.
        max_offset_seconds: i64,
    },
    /// An event callback did not pass URL verification: the challenge could not be delivered,
    /// or its answer was not HTTP 200 with the challenge echoed.
    #[error("event callback {url} was not verified: {reason}")]
    CallbackRejected {
        /// The callback URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A meeting step cannot be taken in the meeting's present state (the user is already in
    /// the meeting or not in it, nobody is sharing, a recording is already running, ...).
    #[error("reservation `{reserve_id}`: {reason}")]
    MeetingStep {
        /// The reservation.
        reserve_id: String,
        /// Why the step cannot be taken.
        reason: String,
    },
    /// A control request could not be read.
    #[error("invalid control request: {0}")]
    BadRequest(String),
}

impl Error {
    /// The HTTP status the control API answers this error with.
    pub(crate) fn http_status(&self) -> u16 {
        match self {
            Self::UnknownUser(_) | Self::UnknownApp(_) | Self::UnknownReservation(_) => 404,
            Self::ReservationExpired(_)
            | Self::MeetingInProgress(_)
            | Self::NoMeetingInProgress(_)
            | Self::MeetingStep { .. } => 409,
            Self::CallbackRejected { .. } => 502,
            Self::BadRequest(_) | Self::Config(_) | Self::ClockOutOfRange { .. } => 400,
            _ => 500,
        }
    }
}
