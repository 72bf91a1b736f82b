//! What the ledger records for each intended booking: its key and intent, its state, the
//! outcome of sending it, and the filters and claims that select records.

use std::fmt;

use feishu_vc_events::OwnerId;
use feishu_vc_model::{MeetingNo, ReserveId, Timestamp};

/// The stable name of one intended booking: for a batch, the batch's name and the row's key; for
/// a single booking, whatever the caller uses to recognise a retry of the same booking.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IntentKey(String);

impl IntentKey {
    /// The key `key`.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IntentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the app intends to book, written *before* the apply is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Intent {
    /// Its stable name.
    pub key: IntentKey,
    /// A fingerprint (hex SHA-256) of the request as it will be sent, the meeting password left
    /// out: the same key with another fingerprint is another booking, refused as a conflict.
    pub fingerprint: String,
    /// The owner the request names, when it names one.
    pub owner: Option<OwnerId>,
    /// The meeting's topic, when it has one.
    pub topic: Option<String>,
    /// When the reservation is to expire.
    pub end_time: Timestamp,
    /// Whether to keep the reservation alive (renew it before it expires).
    pub keep: bool,
    /// The batch it belongs to, when it came from one.
    pub batch: Option<String>,
    /// The apply request as JSON, the meeting password left out, so the intent can be sent (or
    /// re-sent, when told to) by another process.
    pub request: String,
    /// When the intent was written.
    pub created_at: Timestamp,
}

impl Intent {
    /// An intent with the required parts; the rest empty (`keep` false, no batch).
    pub fn new(
        key: IntentKey,
        fingerprint: impl Into<String>,
        end_time: Timestamp,
        request: impl Into<String>,
        created_at: Timestamp,
    ) -> Self {
        Self {
            key,
            fingerprint: fingerprint.into(),
            owner: None,
            topic: None,
            end_time,
            keep: false,
            batch: None,
            request: request.into(),
            created_at,
        }
    }

    /// With its owner.
    pub fn with_owner(mut self, owner: OwnerId) -> Self {
        self.owner = Some(owner);
        self
    }

    /// With its topic.
    pub fn with_topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// Kept alive or not.
    pub fn with_keep(mut self, keep: bool) -> Self {
        self.keep = keep;
        self
    }

    /// Part of the batch `batch`.
    pub fn with_batch(mut self, batch: impl Into<String>) -> Self {
        self.batch = Some(batch.into());
        self
    }
}

/// Where a record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// The intent is written and was never sent: safe to send.
    Pending,
    /// A worker is sending it. A record left here by a worker that died is *interrupted*: whether
    /// Feishu booked it is unknown (see [`LedgerStore::settle_interrupted`](crate::LedgerStore::settle_interrupted)).
    Sending,
    /// Booked: the reservation id and meeting number are known.
    Booked,
    /// Sent, but whether Feishu booked it is not known (no answer, or the sender died while the
    /// request was in flight). Never sent again unless [reopened](crate::LedgerStore::reopen).
    Unknown,
    /// Refused (by Feishu, or before sending): nothing was booked.
    Refused,
    /// Deleted through the ledger.
    Deleted,
    /// Its end time passed without a renewal: Feishu released its meeting number.
    Expired,
    /// Feishu no longer knows it (121004): deleted elsewhere.
    Gone,
}

impl State {
    /// Every state, in declaration order.
    pub const ALL: [State; 8] = [
        State::Pending,
        State::Sending,
        State::Booked,
        State::Unknown,
        State::Refused,
        State::Deleted,
        State::Expired,
        State::Gone,
    ];

    /// The state's stable name, as stored and printed: `pending`, `sending`, `booked`,
    /// `unknown`, `refused`, `deleted`, `expired`, `gone`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Sending => "sending",
            State::Booked => "booked",
            State::Unknown => "unknown",
            State::Refused => "refused",
            State::Deleted => "deleted",
            State::Expired => "expired",
            State::Gone => "gone",
        }
    }

    /// The state named `name` (see [`State::as_str`]).
    pub fn from_name(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the reservation ended (deleted, expired or gone): its meeting number is no longer
    /// its own after [`Record::ended_at`].
    pub fn is_ended(self) -> bool {
        matches!(self, State::Deleted | State::Expired | State::Gone)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a booking was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Feishu's (or local validation's) error code, when there is one.
    pub code: Option<i64>,
    /// What was wrong, secrets scrubbed.
    pub message: String,
}

/// How a sent booking ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Feishu booked it.
    Booked {
        /// The reservation.
        reserve_id: ReserveId,
        /// Its meeting number.
        meeting_no: MeetingNo,
        /// Its meeting URL, when Feishu gave one.
        url: Option<String>,
        /// When it expires.
        end_time: Timestamp,
        /// Feishu's log id of the answer.
        log_id: Option<String>,
        /// When the answer came.
        at: Timestamp,
    },
    /// Whether Feishu booked it is not known.
    Unknown {
        /// Feishu's log id, when an answer (or part of one) came.
        log_id: Option<String>,
        /// What happened, secrets scrubbed.
        detail: String,
        /// When the attempt ended.
        at: Timestamp,
    },
    /// Refused: nothing was booked, and sending the same request again would be refused again.
    Refused {
        /// Why.
        refusal: Refusal,
        /// Feishu's log id of the answer.
        log_id: Option<String>,
        /// When the answer came.
        at: Timestamp,
    },
    /// Not booked, and may be sent again: the request never reached Feishu (no connection, no
    /// access token) or Feishu turned it away for now (rate limited) without carrying it out.
    /// The record goes back to pending, its attempts kept and the error in its refusal.
    NotBooked {
        /// What kept it from being booked.
        refusal: Refusal,
        /// Feishu's log id of the answer, when one came.
        log_id: Option<String>,
        /// When the attempt ended.
        at: Timestamp,
    },
}

/// Where a booked reservation was put on a Feishu calendar: the calendar, and the event on it
/// that shows the reservation. The ledger keeps it so that the event can be moved when the
/// reservation is renewed and deleted when the reservation is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CalendarPlacement {
    /// The calendar's id (calendar v4 `calendar_id`).
    pub calendar_id: String,
    /// The event's id on that calendar (calendar v4 `event_id`).
    pub event_id: String,
}

impl CalendarPlacement {
    /// The event `event_id` on the calendar `calendar_id`.
    pub fn new(calendar_id: impl Into<String>, event_id: impl Into<String>) -> Self {
        Self {
            calendar_id: calendar_id.into(),
            event_id: event_id.into(),
        }
    }
}

/// What the ledger knows of one intended booking.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// The intent, as written before sending.
    pub intent: Intent,
    /// Where it stands.
    pub state: State,
    /// How many times it was marked for sending.
    pub attempts: u32,
    /// The reservation, once booked.
    pub reserve_id: Option<ReserveId>,
    /// Its meeting number, once booked.
    pub meeting_no: Option<MeetingNo>,
    /// Its meeting URL, when known.
    pub url: Option<String>,
    /// When it expires: the intent's end time until booked, then the last one Feishu confirmed.
    pub end_time: Timestamp,
    /// When it was booked.
    pub booked_at: Option<Timestamp>,
    /// When it ended (deleted, expired, gone).
    pub ended_at: Option<Timestamp>,
    /// Feishu's log id of the last answer about it.
    pub log_id: Option<String>,
    /// Why it was refused, what made its outcome unknown, or (pending again) what kept its last
    /// attempt from being booked.
    pub refusal: Option<Refusal>,
    /// When this record last changed.
    pub updated_at: Timestamp,
    /// When its state was last read from Feishu (booking, renewal or refresh).
    pub checked_at: Option<Timestamp>,
    /// The calendar event that shows this reservation, when it was placed on one through
    /// feishu-vc (see [`LedgerStore::set_calendar`](crate::LedgerStore::set_calendar)).
    pub calendar: Option<CalendarPlacement>,
}

impl Record {
    /// The fresh record of an intent just written: pending, never sent.
    pub fn pending(intent: Intent) -> Self {
        Self {
            state: State::Pending,
            attempts: 0,
            reserve_id: None,
            meeting_no: None,
            url: None,
            end_time: intent.end_time,
            booked_at: None,
            ended_at: None,
            log_id: None,
            refusal: None,
            updated_at: intent.created_at,
            checked_at: None,
            calendar: None,
            intent,
        }
    }

    /// The key of its intent.
    pub fn key(&self) -> &IntentKey {
        &self.intent.key
    }

    /// Whether the reservation, with the meeting number `meeting_no`, owned that number at `at`:
    /// booked at or before `at` and not yet ended (end time, or deletion) at `at`.
    pub fn held_number_at(&self, meeting_no: &MeetingNo, at: Timestamp) -> bool {
        let Some(booked_at) = self.booked_at else {
            return false;
        };
        if self.meeting_no.as_ref() != Some(meeting_no) || at < booked_at {
            return false;
        }
        let end = match self.ended_at {
            Some(ended) => ended.min(self.end_time),
            None => self.end_time,
        };
        at <= end
    }
}

/// A worker's claim on a kept reservation while it renews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Who claims it (unique per keeper process).
    pub worker: String,
    /// Until when; past it another keeper may claim the reservation again.
    pub until: Timestamp,
}

/// Which records [`LedgerStore::list`](crate::LedgerStore::list) returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordFilter {
    /// Only those of this batch.
    pub batch: Option<String>,
    /// Only those in these states (all when empty).
    pub states: Vec<State>,
    /// Only those marked to keep.
    pub kept_only: bool,
}

impl RecordFilter {
    /// Every record.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only the batch `batch`'s.
    pub fn batch(mut self, batch: impl Into<String>) -> Self {
        self.batch = Some(batch.into());
        self
    }

    /// Only those in `states`.
    pub fn states(mut self, states: impl IntoIterator<Item = State>) -> Self {
        self.states = states.into_iter().collect();
        self
    }

    /// Only those marked to keep.
    pub fn kept_only(mut self) -> Self {
        self.kept_only = true;
        self
    }

    /// Whether `record` passes the filter.
    pub fn matches(&self, record: &Record) -> bool {
        self.batch
            .as_ref()
            .is_none_or(|b| record.intent.batch.as_ref() == Some(b))
            && (self.states.is_empty() || self.states.contains(&record.state))
            && (!self.kept_only || record.intent.keep)
    }
}
