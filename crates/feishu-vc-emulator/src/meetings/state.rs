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
    /// When the current stay began, for someone who left and came back (else first_join_time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rejoined_at: Option<i64>,
    /// Seconds in the meeting before the current stay.
    #[serde(default)]
    pub(crate) seconds_before: i64,
    /// When they last left; `None` while they are in the meeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) left_at: Option<i64>,
}

impl Participant {
    /// Someone joining now for the first time.
    pub(crate) fn joining(
        id: String,
        user_type: i64,
        is_host: bool,
        is_cohost: bool,
        now: i64,
    ) -> Self {
        Self {
            id,
            user_type,
            is_host,
            is_cohost,
            first_join_time: now,
            rejoined_at: None,
            seconds_before: 0,
            left_at: None,
        }
    }

    /// Seconds in the meeting, up to `now` while they are in it.
    pub(crate) fn seconds_in(&self, now: i64) -> i64 {
        let stay = match self.left_at {
            Some(_) => 0,
            None => (now - self.rejoined_at.unwrap_or(self.first_join_time)).max(0),
        };
        self.seconds_before + stay
    }

    /// They leave now: the stay is added to their time.
    pub(crate) fn leave(&mut self, now: i64) {
        self.seconds_before = self.seconds_in(now);
        self.left_at = Some(now);
    }

    /// They come back now.
    pub(crate) fn rejoin(&mut self, now: i64) {
        self.left_at = None;
        self.rejoined_at = Some(now);
    }
}

/// A recording that became ready.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ReadyRecording {
    pub(crate) url: String,
    pub(crate) duration_ms: i64,
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
    /// Those who were in it and left, with when and for how long; everyone, once it ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) departed: Vec<Participant>,
    /// Its recording, once ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) recording: Option<ReadyRecording>,
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
            departed: Vec::new(),
            recording: None,
        }
    }

    /// Everyone who has been in it: those in it now, then those who left, by first join.
    pub(crate) fn everyone(&self) -> Vec<&Participant> {
        let mut all: Vec<&Participant> = self.participants.iter().chain(&self.departed).collect();
        all.sort_by_key(|p| p.first_join_time);
        all
    }

    /// The participant with this (stored) id.
    pub(crate) fn participant(&self, id: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.id == id)
    }
}
