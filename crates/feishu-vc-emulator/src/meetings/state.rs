//! A reservation's meeting as stored: who is in it, what is shared or recorded.

use serde::{Deserialize, Serialize};

/// A participant of a meeting in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Participant {
    /// An open id for directory users, else the id as given.
    pub(crate) id: String,
    pub(crate) user_type: i64,
    pub(crate) is_host: bool,
    pub(crate) is_cohost: bool,
    pub(crate) first_join_time: i64,
}

/// The meeting in progress of a reservation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ActiveMeeting {
    pub(crate) id: String,
    pub(crate) start_time: i64,
    pub(crate) participants: Vec<Participant>,
    /// Who shares their screen now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sharer: Option<String>,
    /// Whether anyone has shared their screen in this meeting.
    #[serde(default)]
    pub(crate) shared: bool,
    /// Since when it is being recorded, by the emulator's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) recording_since: Option<i64>,
    /// Seconds recorded so far (recordings that have ended).
    #[serde(default)]
    pub(crate) recorded_seconds: i64,
    /// Whether a recording has ended, so that a recording can become ready.
    #[serde(default)]
    pub(crate) recorded: bool,
    /// How many people have been in the meeting, counting each once.
    #[serde(default)]
    pub(crate) accumulated: usize,
    /// When it ended (for the last meeting of a reservation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) end_time: Option<i64>,
}

impl ActiveMeeting {
    /// A meeting starting now with these participants.
    pub(crate) fn new(id: String, start_time: i64, participants: Vec<Participant>) -> Self {
        Self {
            id,
            start_time,
            accumulated: participants.len(),
            participants,
            sharer: None,
            shared: false,
            recording_since: None,
            recorded_seconds: 0,
            recorded: false,
            end_time: None,
        }
    }

    /// The participant with this (stored) id.
    pub(crate) fn participant(&self, id: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.id == id)
    }
}
