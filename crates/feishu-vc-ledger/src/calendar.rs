//! A booked reservation on a calendar: placing it (an event from its start to the reservation's
//! end, its video meeting the reservation's link), then keeping the event in step: its end moves
//! when the reservation is renewed through the ledger, and it is deleted when the reservation is.
//!
//! Every calendar call carries the ledger client's own token, so the identity that places the
//! event (the app with a tenant token, whose bot calendar it goes on) is the one that later moves
//! and deletes it; it must be the event's organizer.

use feishu_vc::model::{
    CalendarTimeInfo, ErrorCode, PatchCalendarEventBody, ReserveId, Timestamp, UserIdType,
};
use feishu_vc::{CallOptions, Placed, Placement};

use crate::ledger::{BookError, Ledger, reserve_id_of};
use crate::record::{CalendarPlacement, Record, State};

/// What [`Ledger::place_on_calendar`] puts on which calendar. The event ends when the
/// reservation does, and moves with it.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CalendarRequest {
    /// The calendar; the calling identity's primary calendar when `None`.
    pub calendar_id: Option<String>,
    /// When the event starts; now when `None`.
    pub start: Option<Timestamp>,
    /// The event's title; the reservation's topic when `None`.
    pub summary: Option<String>,
    /// Users to add as attendees (per `user_id_type`).
    pub attendees: Vec<String>,
    /// How the attendees' ids are written (`open_id` unless set).
    pub user_id_type: Option<UserIdType>,
    /// Whether the bot tells the attendees (true unless set).
    pub need_notification: Option<bool>,
    /// Options the placement's calls carry (a tenant key, a timeout, ...).
    pub options: CallOptions,
}

impl CalendarRequest {
    /// On the primary calendar, starting now, no attendees.
    pub fn new() -> Self {
        Self::default()
    }

    /// On `calendar_id`.
    pub fn calendar(mut self, calendar_id: impl Into<String>) -> Self {
        self.calendar_id = Some(calendar_id.into());
        self
    }

    /// Starting at `start`.
    pub fn start(mut self, start: Timestamp) -> Self {
        self.start = Some(start);
        self
    }

    /// With this title.
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// With the user `user_id` as an attendee.
    pub fn attendee(mut self, user_id: impl Into<String>) -> Self {
        self.attendees.push(user_id.into());
        self
    }

    /// Attendee ids written as `kind`.
    pub fn user_id_type(mut self, kind: UserIdType) -> Self {
        self.user_id_type = Some(kind);
        self
    }

    /// Whether the bot tells the attendees.
    pub fn need_notification(mut self, notify: bool) -> Self {
        self.need_notification = Some(notify);
        self
    }
}

impl Ledger {
    /// Puts a booked reservation on a calendar and records where: an event from
    /// `request.start` (now) to the reservation's end time whose video meeting is the
    /// reservation's URL, with the attendees. Placing it again gives the same event (the
    /// create's idempotency key is derived from the reservation id) and adds any new attendees.
    ///
    /// [`BookError::Ledger`] when the reservation is not booked in the ledger or has no URL;
    /// [`BookError::Sdk`] when Calendar refused (nothing is recorded then).
    pub async fn place_on_calendar(
        &self,
        reserve_id: &ReserveId,
        request: CalendarRequest,
    ) -> Result<(Record, Placed), BookError> {
        let record = self.recorded(reserve_id).await?;
        if record.state != State::Booked {
            return Err(crate::LedgerError::WrongState {
                key: record.intent.key.clone(),
                state: record.state,
                expected: "booked",
            }
            .into());
        }
        let url = record
            .url
            .clone()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                crate::LedgerError::NotFound(format!(
                    "the meeting URL of reservation `{reserve_id}`"
                ))
            })?;
        let start = request.start.unwrap_or_else(|| self.now());
        let mut placement = Placement::of_reservation(reserve_id, url, start, record.end_time)
            .with_options(request.options);
        if let Some(id) = request.calendar_id {
            placement = placement.calendar(id);
        }
        if let Some(summary) = request.summary.or_else(|| record.intent.topic.clone()) {
            placement = placement.summary(summary);
        }
        if let Some(kind) = request.user_id_type {
            placement = placement.user_id_type(kind);
        }
        if let Some(notify) = request.need_notification {
            placement = placement.need_notification(notify);
        }
        for attendee in request.attendees {
            placement = placement.attendee(attendee);
        }
        let placed = self.client().calendars().place(placement).await?;
        let calendar = CalendarPlacement::new(placed.calendar_id.clone(), placed.event_id.clone());
        let record = self
            .store()
            .set_calendar(reserve_id, Some(calendar))
            .await?;
        Ok((record, placed))
    }

    /// Moves the end of the reservation's calendar event to the end time the ledger holds for
    /// it (after a renewal made outside the ledger, or to retry one whose event did not follow);
    /// a reservation on no calendar is returned as it stands.
    pub async fn follow_calendar(&self, reserve_id: &ReserveId) -> Result<Record, BookError> {
        let record = self.recorded(reserve_id).await?;
        match self.move_calendar_event(&record).await {
            Ok(()) => Ok(record),
            Err(error) => Err(BookError::CalendarNotFollowed {
                record: Box::new(record),
                error: Box::new(error),
            }),
        }
    }

    /// Deletes the reservation's calendar event and forgets it (after a deletion made outside
    /// the ledger, or to retry one whose event was not deleted); an event already gone counts
    /// as deleted, and a reservation on no calendar is returned as it stands.
    pub async fn remove_from_calendar(&self, reserve_id: &ReserveId) -> Result<Record, BookError> {
        let record = self.recorded(reserve_id).await?;
        self.delete_calendar_event(record).await
    }

    /// Moves the end of `record`'s calendar event to its end time, when it has one.
    pub(crate) async fn move_calendar_event(
        &self,
        record: &Record,
    ) -> Result<(), feishu_vc::Error> {
        let Some(placement) = &record.calendar else {
            return Ok(());
        };
        let changes = PatchCalendarEventBody::default()
            .set_end_time(CalendarTimeInfo::default().set_timestamp(record.end_time));
        self.client()
            .calendars()
            .patch_event(&placement.calendar_id, &placement.event_id, changes)
            .await?;
        Ok(())
    }

    /// Deletes `record`'s calendar event, when it has one, and forgets it; an event already
    /// gone (193001, 193003) counts as deleted.
    pub(crate) async fn delete_calendar_event(&self, record: Record) -> Result<Record, BookError> {
        let Some(placement) = record.calendar.clone() else {
            return Ok(record);
        };
        let answer = self
            .client()
            .calendars()
            .delete_event(&placement.calendar_id, &placement.event_id)
            .await;
        match answer {
            Ok(_) => {}
            Err(error)
                if matches!(
                    error.code(),
                    Some(ErrorCode::EventNotFound | ErrorCode::EventDeleted)
                ) => {}
            Err(error) => {
                return Err(BookError::CalendarNotFollowed {
                    record: Box::new(record),
                    error: Box::new(error),
                });
            }
        }
        let reserve_id = reserve_id_of(&record)?;
        Ok(self.store().set_calendar(reserve_id, None).await?)
    }
}
