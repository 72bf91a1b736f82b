//! The rules of the calendar operations that the schema cannot say: ids that must not be empty,
//! an event time that is a timestamp or a date (never both, never neither), an end not before
//! its start, the video-meeting kinds Calendar only ever answers, and attendees that name whom
//! they invite. Calendar answers 190002 for each of them.

use feishu_vc_model::{
    CalendarAttendeeType, CalendarEventAttendee, CalendarTimeInfo, CalendarVchat,
    CalendarVchatType, CreateCalendarEventAttendeesRequest, CreateCalendarEventRequest,
    DeleteCalendarEventRequest, ErrorCode, PatchCalendarEventRequest, PrimaryCalendarRequest,
    TokenKind, UserIdType,
};

use crate::flatten::{schema_rules, sort};
use crate::{Context, Validate, Violation};

const INVALID: ErrorCode = ErrorCode::CalendarInvalidParams;

fn not_empty(path: &str, value: &str, what: &str, out: &mut Vec<Violation>) {
    if value.is_empty() {
        out.push(Violation::new(
            path,
            format!("must not be empty: {what}"),
            INVALID,
        ));
    }
}

fn calendar_rule(calendar_id: &str, out: &mut Vec<Violation>) {
    not_empty(
        "calendar_id",
        calendar_id,
        "the calendar's id (from calendars/primary, or a shared calendar's)",
        out,
    );
}

fn event_rule(event_id: &str, out: &mut Vec<Violation>) {
    not_empty("event_id", event_id, "the id events.create answered", out);
}

/// A time given is exactly one of a timestamp or a date (all-day).
fn time_rule(path: &str, time: &CalendarTimeInfo, out: &mut Vec<Violation>) {
    match (&time.timestamp, &time.date) {
        (Some(_), Some(_)) => out.push(Violation::new(
            path,
            "must have a timestamp or a date (all-day), not both",
            INVALID,
        )),
        (None, None) => out.push(Violation::new(
            format!("{path}.timestamp"),
            "is required (or a date, for an all-day event)",
            INVALID,
        )),
        _ => {}
    }
}

/// The end is not before the start, when both are timestamps (or both dates).
fn order_rule(start: &CalendarTimeInfo, end: &CalendarTimeInfo, out: &mut Vec<Violation>) {
    let backwards = match (&start.timestamp, &end.timestamp, &start.date, &end.date) {
        (Some(s), Some(e), _, _) => e < s,
        (None, None, Some(s), Some(e)) => e < s,
        _ => false,
    };
    if backwards {
        out.push(Violation::new(
            "end_time",
            "must not be before start_time",
            INVALID,
        ));
    }
}

fn vchat_rule(vchat: &CalendarVchat, out: &mut Vec<Violation>) {
    match &vchat.vc_type {
        Some(CalendarVchatType::LarkLive | CalendarVchatType::Unspecified) => {
            out.push(Violation::new(
                "vchat.vc_type",
                "lark_live and unknown are only ever answered, never accepted: use third_party, vc or no_meeting",
                INVALID,
            ));
        }
        Some(CalendarVchatType::ThirdParty)
            if vchat.meeting_url.as_deref().is_none_or(str::is_empty) =>
        {
            out.push(Violation::new(
                "vchat.meeting_url",
                "is required for a third_party meeting: the link attendees join by",
                INVALID,
            ));
        }
        _ => {}
    }
}

fn attendee_rule(i: usize, attendee: &CalendarEventAttendee, out: &mut Vec<Violation>) {
    let path = |field: &str| format!("attendees[{i}].{field}");
    let Some(kind) = &attendee.r#type else {
        out.push(Violation::new(
            path("type"),
            "is required: user, chat, resource or third_party",
            INVALID,
        ));
        return;
    };
    let (field, value) = match kind {
        CalendarAttendeeType::User => ("user_id", &attendee.user_id),
        CalendarAttendeeType::Chat => ("chat_id", &attendee.chat_id),
        CalendarAttendeeType::Resource => ("room_id", &attendee.room_id),
        CalendarAttendeeType::ThirdParty => ("third_party_email", &attendee.third_party_email),
        _ => return,
    };
    if value.as_deref().is_none_or(str::is_empty) {
        out.push(Violation::new(
            path(field),
            format!("is required for an attendee of type {}", kind.as_str()),
            INVALID,
        ));
    }
}

impl Validate for PrimaryCalendarRequest {
    fn violations(&self, ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        if ctx.token() == TokenKind::Tenant && self.user_id_type == Some(UserIdType::UserId) {
            out.push(Violation::new(
                "user_id_type",
                "must not be user_id with a tenant_access_token (the app's own calendar)",
                INVALID,
            ));
        }
        out
    }
}

impl Validate for CreateCalendarEventRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        calendar_rule(&self.calendar_id, &mut out);
        schema_rules(&self.body, "", &mut out);
        time_rule("start_time", &self.body.start_time, &mut out);
        time_rule("end_time", &self.body.end_time, &mut out);
        order_rule(&self.body.start_time, &self.body.end_time, &mut out);
        if let Some(vchat) = &self.body.vchat {
            vchat_rule(vchat, &mut out);
        }
        sort(&mut out);
        out
    }
}

impl Validate for PatchCalendarEventRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        calendar_rule(&self.calendar_id, &mut out);
        event_rule(&self.event_id, &mut out);
        schema_rules(&self.body, "", &mut out);
        if let Some(start) = &self.body.start_time {
            time_rule("start_time", start, &mut out);
        }
        if let Some(end) = &self.body.end_time {
            time_rule("end_time", end, &mut out);
        }
        if let (Some(start), Some(end)) = (&self.body.start_time, &self.body.end_time) {
            order_rule(start, end, &mut out);
        }
        if let Some(vchat) = &self.body.vchat {
            vchat_rule(vchat, &mut out);
        }
        sort(&mut out);
        out
    }
}

impl Validate for DeleteCalendarEventRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        calendar_rule(&self.calendar_id, &mut out);
        event_rule(&self.event_id, &mut out);
        out
    }
}

impl Validate for CreateCalendarEventAttendeesRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        calendar_rule(&self.calendar_id, &mut out);
        event_rule(&self.event_id, &mut out);
        schema_rules(&self.body, "", &mut out);
        for (i, attendee) in self.body.attendees.iter().enumerate() {
            attendee_rule(i, attendee, &mut out);
        }
        sort(&mut out);
        out
    }
}
