//! Calendar v4, as far as a reservation needs it: the calling identity's primary calendar, an
//! event whose video meeting is the reservation's join link, its attendees, and moving or
//! deleting that event. [`Calendars::place`] is the whole recipe in one call.
//!
//! Which calendar: with a `tenant_access_token` the calls act as the app, whose bot has a
//! calendar of its own (the app needs the bot capability, or Calendar answers 190007); with a
//! user's `user_access_token` they act as that user, on the user's calendar. Scopes:
//! `calendar:calendar:read` (or `:readonly`) for the primary calendar, `calendar:calendar` (or
//! `calendar:calendar.event:create` / `:update` / `:delete`) for events and attendees.

use feishu_vc_model::{
    Calendar, CalendarAttendeeType, CalendarEvent, CalendarEventAttendee, CalendarTimeInfo,
    CalendarVchat, CalendarVchatIconType, CalendarVchatType, CreateCalendarEventAttendeesBody,
    CreateCalendarEventAttendeesData, CreateCalendarEventAttendeesRequest, CreateCalendarEventBody,
    CreateCalendarEventData, CreateCalendarEventRequest, DeleteCalendarEventData,
    DeleteCalendarEventRequest, IncompleteResponse, PatchCalendarEventBody, PatchCalendarEventData,
    PatchCalendarEventRequest, PrimaryCalendarData, PrimaryCalendarRequest, ReserveId, Timestamp,
    UserIdType,
};
use feishu_vc_transport::{CallOptions, DecodeError};

use crate::call::{sealed, user_id_type};
use crate::{Call, CallOperation, Client, Result};

/// Calendars, from [`Client::calendars`].
#[derive(Clone, Copy, Debug)]
pub struct Calendars<'c> {
    client: &'c Client,
}

impl<'c> Calendars<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    /// The calling identity's primary calendar
    /// (`POST /open-apis/calendar/v4/calendars/primary`): the app's with a tenant token, the
    /// user's with a user token.
    pub fn primary(&self) -> Call<'c, PrimaryCalendarRequest> {
        Call::new(self.client, PrimaryCalendarRequest::new())
    }

    /// Creates an event on `calendar_id`
    /// (`POST /open-apis/calendar/v4/calendars/{calendar_id}/events`); it has no attendees
    /// until [`add_attendees`](Self::add_attendees). Give it an idempotency key
    /// ([`Call::set_idempotency_key`]) so that a retried create answers the same event.
    pub fn create_event(
        &self,
        calendar_id: impl Into<String>,
        event: CreateCalendarEventBody,
    ) -> Call<'c, CreateCalendarEventRequest> {
        Call::new(
            self.client,
            CreateCalendarEventRequest::from_body(calendar_id, event),
        )
    }

    /// Changes an event's fields; what `changes` leaves out stays
    /// (`PATCH /open-apis/calendar/v4/calendars/{calendar_id}/events/{event_id}`).
    pub fn patch_event(
        &self,
        calendar_id: impl Into<String>,
        event_id: impl Into<String>,
        changes: PatchCalendarEventBody,
    ) -> Call<'c, PatchCalendarEventRequest> {
        Call::new(
            self.client,
            PatchCalendarEventRequest::from_body(calendar_id, event_id, changes),
        )
    }

    /// Deletes an event, as its organizer
    /// (`DELETE /open-apis/calendar/v4/calendars/{calendar_id}/events/{event_id}`). One deleted
    /// already is 193003 (`ErrorCode::EventDeleted`).
    pub fn delete_event(
        &self,
        calendar_id: impl Into<String>,
        event_id: impl Into<String>,
    ) -> Call<'c, DeleteCalendarEventRequest> {
        Call::new(
            self.client,
            DeleteCalendarEventRequest::new(calendar_id, event_id),
        )
    }

    /// Adds attendees to an event, as its organizer
    /// (`POST /open-apis/calendar/v4/calendars/{calendar_id}/events/{event_id}/attendees`);
    /// gives every attendee the event now has. From 1 to 1000 per call, of the organizer's
    /// tenant.
    pub fn add_attendees(
        &self,
        calendar_id: impl Into<String>,
        event_id: impl Into<String>,
        attendees: impl IntoIterator<Item = CalendarEventAttendee>,
    ) -> Call<'c, CreateCalendarEventAttendeesRequest> {
        let body = CreateCalendarEventAttendeesBody::new(attendees.into_iter().collect::<Vec<_>>());
        Call::new(
            self.client,
            CreateCalendarEventAttendeesRequest::from_body(calendar_id, event_id, body),
        )
    }

    /// Puts a meeting on a calendar: finds the primary calendar unless `placement` names one,
    /// creates the event (its video meeting the join link, as a third-party link so that
    /// Calendar makes no second meeting), then adds the attendees. Every call carries
    /// `placement`'s options and is validated first.
    ///
    /// Safe to repeat: the create carries the placement's idempotency key, so a second `place`
    /// (after a failure adding the attendees, say) answers the same event and adds the
    /// attendees again, never a second event.
    pub async fn place(&self, placement: Placement) -> Result<Placed> {
        let Placement {
            calendar_id,
            event,
            attendees,
            idempotency_key,
            user_id_type,
            options,
        } = placement;
        let calendar_id = match calendar_id {
            Some(id) => id,
            None => {
                let mut call = self.primary().with_options(options.clone());
                if let Some(kind) = user_id_type {
                    call = call.set_user_id_type(kind);
                }
                let primary = call.await?;
                match primary.data.calendar_id.filter(|id| !id.is_empty()) {
                    Some(id) => id,
                    None => {
                        return Err(crate::Error::Decode(DecodeError::incomplete(
                            primary.http_status,
                            primary.log_id,
                            IncompleteResponse::missing("data.calendars[0].calendar.calendar_id"),
                        )));
                    }
                }
            }
        };
        let mut create = self
            .create_event(calendar_id.clone(), event)
            .set_idempotency_key(idempotency_key)
            .with_options(options.clone());
        if let Some(kind) = user_id_type {
            create = create.set_user_id_type(kind);
        }
        let event = create.await?.data;
        let event_id = event.event_id.clone().unwrap_or_default();
        let attendees = if attendees.is_empty() {
            Vec::new()
        } else {
            let mut add = self
                .add_attendees(calendar_id.clone(), event_id.clone(), attendees)
                .with_options(options);
            if let Some(kind) = user_id_type {
                add = add.set_user_id_type(kind);
            }
            add.await?.data
        };
        Ok(Placed {
            calendar_id,
            event_id,
            event,
            attendees,
        })
    }
}

/// What [`Calendars::place`] puts where: the event (its times, title and join link), the
/// attendees, the calendar (the primary one unless named) and the idempotency key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Placement {
    /// The calendar; the calling identity's primary calendar when `None`.
    pub calendar_id: Option<String>,
    /// The event as it will be created.
    pub event: CreateCalendarEventBody,
    /// The attendees to add.
    pub attendees: Vec<CalendarEventAttendee>,
    /// The create's idempotency key.
    pub idempotency_key: String,
    /// How the attendees' user ids are written (`open_id` unless set).
    pub user_id_type: Option<UserIdType>,
    /// The options every call of the placement carries (a user token, a tenant key, ...).
    pub options: CallOptions,
}

impl Placement {
    /// An event from `start` to `end` whose video meeting is `meeting_url`, on the primary
    /// calendar, no attendees, with the idempotency key `idempotency_key`.
    pub fn new(
        meeting_url: impl Into<String>,
        start: Timestamp,
        end: Timestamp,
        idempotency_key: impl Into<String>,
    ) -> Self {
        let vchat = CalendarVchat::default()
            .set_vc_type(CalendarVchatType::ThirdParty)
            .set_icon_type(CalendarVchatIconType::Vc)
            .set_meeting_url(meeting_url);
        let event = CreateCalendarEventBody::new(
            CalendarTimeInfo::default().set_timestamp(end),
            CalendarTimeInfo::default().set_timestamp(start),
        )
        .set_vchat(vchat);
        Self {
            calendar_id: None,
            event,
            attendees: Vec::new(),
            idempotency_key: idempotency_key.into(),
            user_id_type: None,
            options: CallOptions::new(),
        }
    }

    /// The placement of a reservation: [`Placement::new`] with the idempotency key
    /// [`reservation_event_key`] of `reserve_id`, so each reservation gets one event per
    /// calendar however often it is placed.
    pub fn of_reservation(
        reserve_id: &ReserveId,
        meeting_url: impl Into<String>,
        start: Timestamp,
        end: Timestamp,
    ) -> Self {
        Self::new(meeting_url, start, end, reservation_event_key(reserve_id))
    }

    /// On `calendar_id` instead of the primary calendar.
    pub fn calendar(mut self, calendar_id: impl Into<String>) -> Self {
        self.calendar_id = Some(calendar_id.into());
        self
    }

    /// With this title.
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.event = self.event.set_summary(summary);
        self
    }

    /// With this description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.event = self.event.set_description(description);
        self
    }

    /// Adds the user `user_id` (per [`Placement::user_id_type`]) as an attendee, once.
    pub fn attendee(mut self, user_id: impl Into<String>) -> Self {
        let user_id = user_id.into();
        let known = self
            .attendees
            .iter()
            .any(|a| a.user_id.as_deref() == Some(user_id.as_str()));
        if !known {
            self.attendees.push(
                CalendarEventAttendee::default()
                    .set_type(CalendarAttendeeType::User)
                    .set_user_id(user_id),
            );
        }
        self
    }

    /// How user ids are written.
    pub fn user_id_type(mut self, kind: UserIdType) -> Self {
        self.user_id_type = Some(kind);
        self
    }

    /// Whether the bot tells the attendees (true unless set).
    pub fn need_notification(mut self, notify: bool) -> Self {
        self.event = self.event.set_need_notification(notify);
        self
    }

    /// The options every call of the placement carries.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }
}

/// The idempotency key of a reservation's event: `feishu-vc-reserve-<reserve id>`, the same
/// for every placement of that reservation (unique per app and calendar, as Calendar wants).
pub fn reservation_event_key(reserve_id: &ReserveId) -> String {
    format!("feishu-vc-reserve-{reserve_id}")
}

/// Where [`Calendars::place`] put the meeting.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Placed {
    /// The calendar.
    pub calendar_id: String,
    /// The event.
    pub event_id: String,
    /// The event as Calendar answered it.
    pub event: CalendarEvent,
    /// Every attendee the event has (none when none were asked for).
    pub attendees: Vec<CalendarEventAttendee>,
}

user_id_type!(
    PrimaryCalendarRequest,
    CreateCalendarEventRequest,
    PatchCalendarEventRequest,
    CreateCalendarEventAttendeesRequest
);

impl Call<'_, CreateCalendarEventRequest> {
    /// Sets the request's `idempotency_key`: a repeated create with the same key (same app,
    /// same calendar) answers the event the first one made.
    pub fn set_idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.request = self.request.set_idempotency_key(key);
        self
    }
}

impl Call<'_, DeleteCalendarEventRequest> {
    /// Sets the request's `need_notification`: whether the attendees are told (true unless
    /// set).
    pub fn set_need_notification(mut self, notify: bool) -> Self {
        self.request = self.request.set_need_notification(notify);
        self
    }
}

impl sealed::Sealed for PrimaryCalendarRequest {}
impl sealed::Sealed for CreateCalendarEventRequest {}
impl sealed::Sealed for PatchCalendarEventRequest {}
impl sealed::Sealed for DeleteCalendarEventRequest {}
impl sealed::Sealed for CreateCalendarEventAttendeesRequest {}

impl CallOperation for PrimaryCalendarRequest {
    type Data = PrimaryCalendarData;
    type Output = Calendar;

    fn output(data: Self::Data) -> std::result::Result<Calendar, IncompleteResponse> {
        data.calendars
            .unwrap_or_default()
            .into_iter()
            .find_map(|c| c.calendar)
            .ok_or(IncompleteResponse::missing("data.calendars[0].calendar"))
    }
}

impl CallOperation for CreateCalendarEventRequest {
    type Data = CreateCalendarEventData;
    type Output = CalendarEvent;

    fn output(data: Self::Data) -> std::result::Result<CalendarEvent, IncompleteResponse> {
        data.event
            .filter(|e| e.event_id.as_deref().is_some_and(|id| !id.is_empty()))
            .ok_or(IncompleteResponse::missing("data.event.event_id"))
    }
}

impl CallOperation for PatchCalendarEventRequest {
    type Data = PatchCalendarEventData;
    type Output = CalendarEvent;

    fn output(data: Self::Data) -> std::result::Result<CalendarEvent, IncompleteResponse> {
        data.event.ok_or(IncompleteResponse::missing("data.event"))
    }
}

impl CallOperation for DeleteCalendarEventRequest {
    type Data = DeleteCalendarEventData;
    type Output = DeleteCalendarEventData;

    fn output(data: Self::Data) -> std::result::Result<Self::Output, IncompleteResponse> {
        Ok(data)
    }
}

impl CallOperation for CreateCalendarEventAttendeesRequest {
    type Data = CreateCalendarEventAttendeesData;
    type Output = Vec<CalendarEventAttendee>;

    fn output(
        data: Self::Data,
    ) -> std::result::Result<Vec<CalendarEventAttendee>, IncompleteResponse> {
        Ok(data.attendees.unwrap_or_default())
    }
}
