//! A row's meaning: the values `settle` writes for an outcome, the record a row reads back as,
//! and the errors of a change that matched no row.

use feishu_vc_events::OwnerId;
use feishu_vc_ledger::{
    CalendarPlacement, Intent, IntentKey, LedgerError, Outcome, Record, Refusal, State,
};
use feishu_vc_model::{MeetingNo, ReserveId, Timestamp, UserIdType};

/// The values [`settle`](super::statements::settle) writes for an outcome.
pub(crate) struct Settled {
    pub(crate) state: &'static str,
    pub(crate) reserve_id: Option<String>,
    pub(crate) meeting_no: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) end_time: Option<i64>,
    pub(crate) booked_at: Option<i64>,
    pub(crate) log_id: Option<String>,
    pub(crate) refusal_code: Option<i64>,
    pub(crate) refusal_message: Option<String>,
    pub(crate) updated_at: i64,
    pub(crate) checked_at: Option<i64>,
}

impl Settled {
    pub(crate) fn new(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Booked {
                reserve_id,
                meeting_no,
                url,
                end_time,
                log_id,
                at,
            } => Self {
                state: State::Booked.as_str(),
                reserve_id: Some(reserve_id.as_str().to_owned()),
                meeting_no: Some(meeting_no.as_str().to_owned()),
                url,
                end_time: Some(end_time.unix_seconds()),
                booked_at: Some(at.unix_seconds()),
                log_id,
                refusal_code: None,
                refusal_message: None,
                updated_at: at.unix_seconds(),
                checked_at: Some(at.unix_seconds()),
            },
            Outcome::Unknown { log_id, detail, at } => {
                Self::unsettled(State::Unknown, log_id, None, detail, at)
            }
            Outcome::Refused {
                refusal,
                log_id,
                at,
            } => Self::unsettled(State::Refused, log_id, refusal.code, refusal.message, at),
            // Not booked: pending again, sent by the next run; attempts are kept.
            Outcome::NotBooked {
                refusal,
                log_id,
                at,
            } => Self::unsettled(State::Pending, log_id, refusal.code, refusal.message, at),
            // `Outcome` is non-exhaustive: a new kind of outcome is recorded as unknown rather
            // than lost, so the record is never sent again without the user saying so.
            _ => Self::unsettled(
                State::Unknown,
                None,
                None,
                "an outcome this store does not know".to_owned(),
                Timestamp::now(),
            ),
        }
    }

    fn unsettled(
        state: State,
        log_id: Option<String>,
        code: Option<i64>,
        message: String,
        at: Timestamp,
    ) -> Self {
        Self {
            state: state.as_str(),
            reserve_id: None,
            meeting_no: None,
            url: None,
            end_time: None,
            booked_at: None,
            log_id,
            refusal_code: code,
            refusal_message: Some(message),
            updated_at: at.unix_seconds(),
            checked_at: None,
        }
    }
}

/// The calendar columns (`calendar_id`, `calendar_event_id`) of a placement, or of none.
pub(crate) fn calendar_columns(
    calendar: Option<CalendarPlacement>,
) -> (Option<String>, Option<String>) {
    match calendar {
        Some(placement) => (Some(placement.calendar_id), Some(placement.event_id)),
        None => (None, None),
    }
}

/// The owner's columns (`owner_kind`, `owner_id`) of an intent.
pub(crate) fn owner_columns(intent: &Intent) -> (Option<&'static str>, Option<&str>) {
    match &intent.owner {
        Some(owner) => (Some(owner.kind.as_str()), Some(owner.id.as_str())),
        None => (None, None),
    }
}

/// One row, as read (see [`COLUMNS`](super::statements::COLUMNS)).
pub(crate) struct Row {
    pub(crate) seq: i64,
    pub(crate) key: String,
    pub(crate) fingerprint: String,
    pub(crate) owner_kind: Option<String>,
    pub(crate) owner_id: Option<String>,
    pub(crate) topic: Option<String>,
    pub(crate) intent_end_time: i64,
    pub(crate) keep: bool,
    pub(crate) batch: Option<String>,
    pub(crate) request: String,
    pub(crate) created_at: i64,
    pub(crate) state: String,
    pub(crate) attempts: i64,
    pub(crate) reserve_id: Option<String>,
    pub(crate) meeting_no: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) end_time: i64,
    pub(crate) booked_at: Option<i64>,
    pub(crate) ended_at: Option<i64>,
    pub(crate) log_id: Option<String>,
    pub(crate) refusal_code: Option<i64>,
    pub(crate) refusal_message: Option<String>,
    pub(crate) updated_at: i64,
    pub(crate) checked_at: Option<i64>,
    pub(crate) calendar_id: Option<String>,
    pub(crate) calendar_event_id: Option<String>,
}

impl Row {
    /// The record this row holds; a row that no record can come from is a backend failure.
    pub(crate) fn into_record(self) -> Result<Record, LedgerError> {
        let corrupt = |what: String| LedgerError::Backend {
            message: format!("ledger row {} ({}): {what}", self.seq, self.key),
            source: None,
        };
        let state = State::from_name(&self.state)
            .ok_or_else(|| corrupt(format!("unknown state `{}`", self.state)))?;
        let attempts = u32::try_from(self.attempts)
            .map_err(|_| corrupt(format!("attempts out of range: {}", self.attempts)))?;
        let owner = match (&self.owner_kind, &self.owner_id) {
            (Some(kind), Some(id)) => {
                let kind = UserIdType::ALL
                    .iter()
                    .copied()
                    .find(|k| k.as_str() == kind)
                    .ok_or_else(|| corrupt(format!("unknown owner id kind `{kind}`")))?;
                Some(OwnerId::new(kind, id.clone()))
            }
            _ => None,
        };
        let mut intent = Intent::new(
            IntentKey::new(self.key),
            self.fingerprint,
            Timestamp::from_unix_seconds(self.intent_end_time),
            self.request,
            Timestamp::from_unix_seconds(self.created_at),
        )
        .with_keep(self.keep);
        intent.owner = owner;
        intent.topic = self.topic;
        intent.batch = self.batch;
        let mut record = Record::pending(intent);
        record.state = state;
        record.attempts = attempts;
        record.reserve_id = self.reserve_id.map(ReserveId::new);
        record.meeting_no = self.meeting_no.map(MeetingNo::new);
        record.url = self.url;
        record.end_time = Timestamp::from_unix_seconds(self.end_time);
        record.booked_at = self.booked_at.map(Timestamp::from_unix_seconds);
        record.ended_at = self.ended_at.map(Timestamp::from_unix_seconds);
        record.log_id = self.log_id;
        record.refusal = self.refusal_message.map(|message| Refusal {
            code: self.refusal_code,
            message,
        });
        record.updated_at = Timestamp::from_unix_seconds(self.updated_at);
        record.checked_at = self.checked_at.map(Timestamp::from_unix_seconds);
        // Written together by `set_calendar`: one without the other is no placement.
        record.calendar = match (self.calendar_id, self.calendar_event_id) {
            (Some(calendar_id), Some(event_id)) => {
                Some(CalendarPlacement::new(calendar_id, event_id))
            }
            _ => None,
        };
        Ok(record)
    }
}

/// The error for a change that matched no row: the record is missing, or in another state.
pub(crate) fn no_change(
    key: &IntentKey,
    found: Option<Record>,
    expected: &'static str,
) -> LedgerError {
    match found {
        None => LedgerError::NotFound(format!("intent `{key}`")),
        Some(record) => LedgerError::WrongState {
            key: key.clone(),
            state: record.state,
            expected,
        },
    }
}

/// The error for a reservation the ledger does not hold.
pub(crate) fn no_reservation(reserve_id: &ReserveId) -> LedgerError {
    LedgerError::NotFound(format!("reservation `{reserve_id}`"))
}

/// The error for a `begin` whose key is recorded for another request.
pub(crate) fn conflict(intent: Intent, recorded: &Record) -> LedgerError {
    LedgerError::Conflict {
        key: intent.key,
        recorded: recorded.intent.fingerprint.clone(),
        given: intent.fingerprint,
    }
}
