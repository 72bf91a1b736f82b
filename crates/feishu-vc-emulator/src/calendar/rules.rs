//! The calendar operations: whose calendar a caller may write (its own primary calendar: the
//! app's bot calendar with a tenant token, the user's with a user token), events created once
//! per idempotency key, patched and deleted by their organizer, and attendees of the organizer's
//! tenant. The answers are the model's types, as Calendar gives them.

use feishu_vc_model::{
    Calendar, CalendarAttendeeAbility, CalendarAttendeeType, CalendarEvent, CalendarEventAttendee,
    CalendarEventStatus, CalendarEventVisibility, CalendarFreeBusyStatus, CalendarPermissions,
    CalendarRole, CalendarRsvpStatus, CalendarTimeInfo, CalendarType, CalendarVchat,
    CalendarVchatIconType, CalendarVchatType, CreateCalendarEventAttendeesData,
    CreateCalendarEventAttendeesRequest, CreateCalendarEventData, CreateCalendarEventRequest,
    DeleteCalendarEventData, DeleteCalendarEventRequest, ErrorCode, PatchCalendarEventData,
    PatchCalendarEventRequest, PrimaryCalendarData, Timestamp, UserCalendar, UserIdType,
};

use crate::answer::{Failure, Outcome, data};
use crate::auth::state::Caller;
use crate::calendar::state::{Attendee, Owner, StoredEvent};
use crate::shared::Shared;
use crate::store::memory::State;

/// How many attendees an event may have in all (Lark's attendees page).
const MAX_ATTENDEES: usize = 3000;
/// The time zone of timed events that name none.
const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";

/// 190002, Calendar's answer to a malformed request.
pub(crate) fn invalid(detail: impl std::fmt::Display) -> Failure {
    Failure::new(
        ErrorCode::CalendarInvalidParams,
        format!("invalid parameters in request: {detail}"),
    )
}

/// A failure of the shared query readers (121003) as Calendar answers it (190002).
pub(crate) fn as_calendar(mut failure: Failure) -> Failure {
    if failure.code == ErrorCode::ParamError {
        failure.code = ErrorCode::CalendarInvalidParams;
    }
    failure
}

/// Calendar ids look like `<local>@group.calendar.<domain>`; anything else is 191001.
fn well_formed_calendar(calendar_id: &str) -> Result<(), Failure> {
    let ok = calendar_id
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.starts_with("group.calendar."));
    if ok {
        Ok(())
    } else {
        Err(Failure::new(
            ErrorCode::CalendarIdInvalid,
            "invalid calendar_id",
        ))
    }
}

/// Event ids look like `<uid>_<instance>`; anything else is 193000.
fn well_formed_event(event_id: &str) -> Result<(), Failure> {
    let ok = event_id.rsplit_once('_').is_some_and(|(uid, n)| {
        !uid.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(Failure::new(ErrorCode::EventIdInvalid, "invalid event_id"))
    }
}

/// A new event id: a random UUID-shaped uid, instance 0.
fn fresh_event_id(state: &State) -> String {
    loop {
        let hex = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let id = format!(
            "{}-{}-{}-{}-{}_0",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        );
        if !state.events.contains_key(&id) {
            return id;
        }
    }
}

/// The event `event_id` on `calendar_id`: 193001 when there is none, 193003 once deleted.
fn live_event<'s>(
    state: &'s State,
    calendar_id: &str,
    event_id: &str,
) -> Result<&'s StoredEvent, Failure> {
    match state
        .events
        .get(event_id)
        .filter(|e| e.calendar_id == calendar_id)
    {
        None => Err(Failure::new(ErrorCode::EventNotFound, "event not found")),
        Some(e) if e.deleted => Err(Failure::new(ErrorCode::EventDeleted, "event is deleted")),
        Some(e) => Ok(e),
    }
}

/// Whether `end` is before `start` (both timestamps, or both dates).
fn backwards(start: &CalendarTimeInfo, end: &CalendarTimeInfo) -> bool {
    match (&start.timestamp, &end.timestamp, &start.date, &end.date) {
        (Some(s), Some(e), _, _) => e < s,
        (None, None, Some(s), Some(e)) => e < s,
        _ => false,
    }
}

/// The video meeting as Calendar keeps it: a third-party link keeps its link, icon and text; no
/// meeting keeps nothing else; a Feishu meeting gets its link.
fn kept_vchat(
    vchat: Option<&CalendarVchat>,
    vc_url: impl FnOnce() -> String,
) -> Option<CalendarVchat> {
    let vchat = vchat?;
    let kept = match vchat.vc_type.as_ref()? {
        CalendarVchatType::ThirdParty => {
            let mut kept = CalendarVchat::default().set_vc_type(CalendarVchatType::ThirdParty);
            kept.icon_type = Some(
                vchat
                    .icon_type
                    .clone()
                    .unwrap_or(CalendarVchatIconType::Default),
            );
            kept.description = vchat.description.clone();
            kept.meeting_url = vchat.meeting_url.clone();
            kept
        }
        CalendarVchatType::Vc => CalendarVchat::default()
            .set_vc_type(CalendarVchatType::Vc)
            .set_meeting_url(vc_url()),
        other => CalendarVchat::default().set_vc_type(other.clone()),
    };
    Some(kept)
}

impl Shared {
    /// The identity a caller acts as on calendars: the app (its bot) with a tenant token, the
    /// user with a user token (195100 when they are not a user of the tenant).
    fn calendar_identity(&self, caller: &Caller) -> Result<Owner, Failure> {
        let tenant_key = caller.tenant_key.clone();
        match &caller.user {
            Some(open_id) => {
                let known = self
                    .directory
                    .find(UserIdType::OpenId, open_id)
                    .is_some_and(|u| u.tenant_key() == tenant_key);
                if !known {
                    return Err(Failure::new(
                        ErrorCode::CalendarUserGone,
                        "user is dismiss or not exist in the tenant",
                    ));
                }
                Ok(Owner::User {
                    open_id: open_id.clone(),
                    tenant_key,
                })
            }
            None => Ok(Owner::App {
                app_id: caller.app_id.clone(),
                tenant_key,
            }),
        }
    }

    /// Whose calendar `calendar_id` is: a primary calendar of an app (in each tenant it is in)
    /// or of a user this emulator knows. 191001 when malformed, 191000 when there is none.
    fn calendar_owner(&self, calendar_id: &str) -> Result<Owner, Failure> {
        well_formed_calendar(calendar_id)?;
        let apps = self.apps.iter().map(|a| Owner::App {
            app_id: a.app_id.clone(),
            tenant_key: a.tenant_key.clone(),
        });
        let store_apps = self.store_apps.apps.iter().flat_map(|a| {
            a.tenants.iter().map(|t| Owner::App {
                app_id: a.app_id.clone(),
                tenant_key: t.clone(),
            })
        });
        let users = self.directory.users().map(|u| Owner::User {
            open_id: u.id(UserIdType::OpenId).to_owned(),
            tenant_key: u.tenant_key().to_owned(),
        });
        apps.chain(store_apps)
            .chain(users)
            .find(|o| o.calendar_id() == calendar_id)
            .ok_or_else(|| Failure::new(ErrorCode::CalendarNotFound, "calendar not found"))
    }

    /// The owner of `calendar_id`, which must be the caller (191002 otherwise: only the owner
    /// writes a primary calendar).
    fn writable(&self, caller: &Caller, calendar_id: &str) -> Result<Owner, Failure> {
        let me = self.calendar_identity(caller)?;
        let owner = self.calendar_owner(calendar_id)?;
        if owner != me {
            return Err(Failure::new(
                ErrorCode::CalendarNoAccess,
                "no calendar access_role",
            ));
        }
        Ok(owner)
    }

    /// A Feishu meeting link, as Calendar makes one for an event.
    fn event_vc_url(&self) -> String {
        format!(
            "{}/j/{:09}",
            self.hosts.vc,
            fastrand::u32(100_000_000..1_000_000_000)
        )
    }

    /// An event as Calendar answers it.
    fn event_view(&self, e: &StoredEvent) -> CalendarEvent {
        let zoned = |t: &CalendarTimeInfo| {
            let mut t = t.clone();
            if t.timestamp.is_some() && t.timezone.is_none() {
                t.timezone = Some(DEFAULT_TIMEZONE.to_owned());
            }
            t
        };
        let start = e.start_time.timestamp.map_or(0, Timestamp::unix_seconds);
        let key = e.id.rsplit_once('_').map_or(e.id.as_str(), |(uid, _)| uid);
        let mut view = CalendarEvent::default()
            .set_event_id(e.id.clone())
            .set_organizer_calendar_id(e.calendar_id.clone())
            .set_start_time(zoned(&e.start_time))
            .set_end_time(zoned(&e.end_time))
            .set_visibility(e.visibility.clone())
            .set_attendee_ability(e.attendee_ability.clone())
            .set_free_busy_status(e.free_busy_status.clone())
            .set_need_notification(e.need_notification)
            .set_create_time(Timestamp::from_unix_seconds(e.create_time))
            .set_status(if e.deleted {
                CalendarEventStatus::Cancelled
            } else {
                CalendarEventStatus::Confirmed
            })
            .set_app_link(format!(
                "{}/client/calendar/event/detail?calendarId={}&key={key}&originalTime=0&startTime={start}",
                self.hosts.applink, e.calendar_id
            ));
        view.summary = e.summary.clone();
        view.description = e.description.clone();
        view.vchat = e.vchat.clone();
        view
    }

    /// An attendee as Calendar answers it, users' ids written as `kind`.
    fn attendee_view(&self, a: &Attendee, kind: UserIdType) -> CalendarEventAttendee {
        let mut view = CalendarEventAttendee::default()
            .set_type(a.kind.clone())
            .set_attendee_id(a.attendee_id.clone())
            .set_is_optional(a.is_optional)
            .set_is_organizer(false)
            .set_is_external(false)
            .set_rsvp_status(CalendarRsvpStatus::NeedsAction);
        match a.kind {
            CalendarAttendeeType::User => {
                view.user_id = Some(self.directory.show(&a.id, kind).as_str().to_owned());
            }
            CalendarAttendeeType::Chat => view.chat_id = Some(a.id.clone()),
            CalendarAttendeeType::Resource => view.room_id = Some(a.id.clone()),
            _ => view.third_party_email = Some(a.id.clone()),
        }
        view
    }

    /// calendars/primary: the caller's own primary calendar.
    pub(crate) fn primary_calendar(&self, caller: &Caller, kind: UserIdType) -> Outcome {
        let me = self.calendar_identity(caller)?;
        let mut calendar = Calendar::default()
            .set_calendar_id(me.calendar_id())
            .set_type(CalendarType::Primary)
            .set_role(CalendarRole::Owner)
            .set_permissions(CalendarPermissions::Private)
            .set_color(-1)
            .set_is_deleted(false)
            .set_is_third_party(false);
        let mut entry = UserCalendar::default();
        match &me {
            Owner::App { app_id, .. } => {
                calendar = calendar.set_summary(format!("{app_id} (bot)"));
            }
            Owner::User { open_id, .. } => {
                calendar = calendar.set_summary(open_id.clone());
                entry = entry.set_user_id(self.directory.show(open_id, kind).as_str());
            }
        }
        data(PrimaryCalendarData::default().set_calendars([entry.set_calendar(calendar)]))
    }

    /// events.create: a new event on the caller's calendar, or the one an earlier call with the
    /// same idempotency key (of this app, on this calendar) created.
    pub(crate) async fn create_event(
        &self,
        caller: &Caller,
        request: &CreateCalendarEventRequest,
    ) -> Outcome {
        let organizer = self.writable(caller, &request.calendar_id)?;
        let now = self.now().unix_seconds();
        let body = &request.body;
        let (version, view) = {
            let mut state = self.lock();
            if let Some(key) = &request.idempotency_key {
                let earlier = state.events.values().find(|e| {
                    e.calendar_id == request.calendar_id
                        && e.app_id == caller.app_id
                        && e.idempotency_key.as_deref() == Some(key.as_str())
                });
                if let Some(e) = earlier {
                    return data(CreateCalendarEventData::default().set_event(self.event_view(e)));
                }
            }
            let event = StoredEvent {
                id: fresh_event_id(&state),
                calendar_id: request.calendar_id.clone(),
                organizer,
                app_id: caller.app_id.clone(),
                idempotency_key: request.idempotency_key.clone(),
                summary: body.summary.clone(),
                description: body.description.clone(),
                start_time: body.start_time.clone(),
                end_time: body.end_time.clone(),
                vchat: kept_vchat(body.vchat.as_ref(), || self.event_vc_url()),
                visibility: body
                    .visibility
                    .clone()
                    .unwrap_or(CalendarEventVisibility::Default),
                attendee_ability: body
                    .attendee_ability
                    .clone()
                    .unwrap_or(CalendarAttendeeAbility::None),
                free_busy_status: body
                    .free_busy_status
                    .clone()
                    .unwrap_or(CalendarFreeBusyStatus::Busy),
                need_notification: body.need_notification.unwrap_or(true),
                attendees: Vec::new(),
                create_time: now,
                updates: 0,
                deleted: false,
            };
            let view = self.event_view(&event);
            state.insert_event(event);
            (state.touch(), view)
        };
        self.commit(version).await?;
        data(CreateCalendarEventData::default().set_event(view))
    }

    /// events.patch: the fields given replace the event's; the end may not end up before the
    /// start.
    pub(crate) async fn patch_event(
        &self,
        caller: &Caller,
        request: &PatchCalendarEventRequest,
    ) -> Outcome {
        well_formed_event(&request.event_id)?;
        self.writable(caller, &request.calendar_id)?;
        let body = &request.body;
        let (version, view) = {
            let mut state = self.lock();
            let e = live_event(&state, &request.calendar_id, &request.event_id)?;
            let start = body.start_time.as_ref().unwrap_or(&e.start_time);
            let end = body.end_time.as_ref().unwrap_or(&e.end_time);
            if backwards(start, end) {
                return Err(invalid("end_time: must not be before start_time"));
            }
            let vchat = body
                .vchat
                .as_ref()
                .map(|v| kept_vchat(Some(v), || self.event_vc_url()));
            let Some(e) = state.event_mut(&request.event_id) else {
                return Err(Failure::new(ErrorCode::EventNotFound, "event not found"));
            };
            if let Some(t) = &body.start_time {
                e.start_time = t.clone();
            }
            if let Some(t) = &body.end_time {
                e.end_time = t.clone();
            }
            if let Some(vchat) = vchat {
                e.vchat = vchat;
            }
            if body.summary.is_some() {
                e.summary = body.summary.clone();
            }
            if body.description.is_some() {
                e.description = body.description.clone();
            }
            if let Some(v) = &body.visibility {
                e.visibility = v.clone();
            }
            if let Some(a) = &body.attendee_ability {
                e.attendee_ability = a.clone();
            }
            if let Some(f) = &body.free_busy_status {
                e.free_busy_status = f.clone();
            }
            if let Some(n) = body.need_notification {
                e.need_notification = n;
            }
            e.updates += 1;
            let view = self.event_view(e);
            (state.touch(), view)
        };
        self.commit(version).await?;
        data(PatchCalendarEventData::default().set_event(view))
    }

    /// events.delete: the event is deleted (kept as deleted: a second delete is 193003).
    pub(crate) async fn delete_event(
        &self,
        caller: &Caller,
        request: &DeleteCalendarEventRequest,
    ) -> Outcome {
        well_formed_event(&request.event_id)?;
        self.writable(caller, &request.calendar_id)?;
        let version = {
            let mut state = self.lock();
            live_event(&state, &request.calendar_id, &request.event_id)?;
            if let Some(e) = state.event_mut(&request.event_id) {
                e.deleted = true;
            }
            state.touch()
        };
        self.commit(version).await?;
        data(DeleteCalendarEventData::default())
    }

    /// attendees.create: users of the organizer's tenant (195100 otherwise), chats, rooms and
    /// e-mail addresses, each once; answers every attendee of the event. An event with no video
    /// meeting gets a Feishu meeting with its first attendee, as Calendar does.
    pub(crate) async fn add_attendees(
        &self,
        caller: &Caller,
        request: &CreateCalendarEventAttendeesRequest,
        kind: UserIdType,
    ) -> Outcome {
        well_formed_event(&request.event_id)?;
        let organizer = self.writable(caller, &request.calendar_id)?;
        let mut wanted = Vec::new();
        for (i, a) in request.body.attendees.iter().enumerate() {
            let given = |v: &Option<String>| v.clone().unwrap_or_default();
            let (attendee_kind, id) = match &a.r#type {
                Some(CalendarAttendeeType::User) => {
                    let user = a
                        .user_id
                        .as_deref()
                        .and_then(|id| self.directory.find(kind, id))
                        .filter(|u| u.tenant_key() == organizer.tenant_key())
                        .ok_or_else(|| {
                            Failure::new(
                                ErrorCode::CalendarUserGone,
                                format!(
                                    "user is dismiss or not exist in the tenant: attendees[{i}].user_id"
                                ),
                            )
                        })?;
                    (
                        CalendarAttendeeType::User,
                        user.id(UserIdType::OpenId).to_owned(),
                    )
                }
                Some(CalendarAttendeeType::Chat) => (CalendarAttendeeType::Chat, given(&a.chat_id)),
                Some(CalendarAttendeeType::Resource) => {
                    (CalendarAttendeeType::Resource, given(&a.room_id))
                }
                Some(CalendarAttendeeType::ThirdParty) => (
                    CalendarAttendeeType::ThirdParty,
                    given(&a.third_party_email),
                ),
                _ => {
                    return Err(Failure::new(
                        ErrorCode::AttendeeTypeInvalid,
                        format!("invalid attendee type: attendees[{i}].type"),
                    ));
                }
            };
            wanted.push((attendee_kind, id, a.is_optional.unwrap_or(false)));
        }
        let (version, views) = {
            let mut state = self.lock();
            live_event(&state, &request.calendar_id, &request.event_id)?;
            let vc_url = self.event_vc_url();
            let Some(e) = state.event_mut(&request.event_id) else {
                return Err(Failure::new(ErrorCode::EventNotFound, "event not found"));
            };
            for (attendee_kind, id, is_optional) in wanted {
                if e.invites(&attendee_kind, &id) {
                    continue;
                }
                if e.attendees.len() >= MAX_ATTENDEES {
                    return Err(invalid(format!(
                        "attendees: an event has at most {MAX_ATTENDEES}"
                    )));
                }
                let attendee_id = format!("{}_{}", attendee_kind.as_str(), e.attendees.len() + 1);
                e.attendees.push(Attendee {
                    attendee_id,
                    kind: attendee_kind,
                    id,
                    is_optional,
                });
            }
            if e.vchat.as_ref().is_none_or(|v| v.vc_type.is_none()) && !e.attendees.is_empty() {
                e.vchat = Some(
                    CalendarVchat::default()
                        .set_vc_type(CalendarVchatType::Vc)
                        .set_meeting_url(vc_url),
                );
            }
            let views: Vec<CalendarEventAttendee> = e
                .attendees
                .iter()
                .map(|a| self.attendee_view(a, kind))
                .collect();
            (state.touch(), views)
        };
        self.commit(version).await?;
        data(CreateCalendarEventAttendeesData::default().set_attendees(views))
    }
}
