//! The rules of the meeting and recording operations that the schema cannot say: ids that must
//! not be empty, the list window, page sizes, grantees that need an id, the recording time zone,
//! and what a user token makes Feishu ignore.

use feishu_vc_model::{
    ErrorCode, GetMeetingRequest, GetRecordingRequest, ListMeetingsByNoRequest, MeetingId,
    RecordingPermissionType, SetRecordingPermissionRequest, StartRecordingRequest,
    StopRecordingRequest, TokenKind,
};

use crate::flatten::{schema_rules, sort};
use crate::{Context, Validate, Violation};

/// The largest page list_by_no answers (默认值20，最大50).
pub const MAX_PAGE_SIZE: i64 = 50;

/// The time zones recording.start accepts, in hours from UTC.
const TIMEZONES: std::ops::RangeInclusive<i64> = -12..=12;

fn meeting_id_rule(id: &MeetingId, out: &mut Vec<Violation>) {
    if id.is_empty() {
        out.push(Violation::new(
            "meeting_id",
            "must not be empty: the meeting's long id (not its 9-digit number)",
            ErrorCode::ParamError,
        ));
    }
}

impl Validate for GetMeetingRequest {
    fn violations(&self, ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        meeting_id_rule(&self.meeting_id, &mut out);
        if self.with_meeting_ability == Some(true) && ctx.token() == TokenKind::User {
            out.push(Violation::ignored(
                "with_meeting_ability",
                "is honoured with a tenant_access_token only (仅限tenant_access_token)",
            ));
        }
        out
    }
}

impl Validate for ListMeetingsByNoRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        let no = self.meeting_no.as_str();
        if no.len() != 9 || !no.bytes().all(|b| b.is_ascii_digit()) {
            out.push(Violation::new(
                "meeting_no",
                "must be the 9-digit meeting number",
                ErrorCode::ParamError,
            ));
        }
        if self.end_time < self.start_time {
            out.push(Violation::new(
                "end_time",
                "must not be before start_time",
                ErrorCode::ParamError,
            ));
        }
        if let Some(size) = self.page_size
            && !(1..=MAX_PAGE_SIZE).contains(&size)
        {
            out.push(Violation::new(
                "page_size",
                "must be between 1 and 50 (最大50)",
                ErrorCode::ParamError,
            ));
        }
        out
    }
}

impl Validate for GetRecordingRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        meeting_id_rule(&self.meeting_id, &mut out);
        out
    }
}

impl Validate for SetRecordingPermissionRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        meeting_id_rule(&self.meeting_id, &mut out);
        schema_rules(&self.body, "", &mut out);
        for (i, grantee) in self.body.permission_objects.iter().enumerate() {
            let needs_id = matches!(
                grantee.r#type,
                RecordingPermissionType::User | RecordingPermissionType::Group
            );
            if needs_id && grantee.id.as_deref().is_none_or(str::is_empty) {
                out.push(Violation::new(
                    format!("permission_objects[{i}].id"),
                    "is required for a user (type 1) or a group (type 2): name the grantee",
                    ErrorCode::ParamError,
                ));
            }
        }
        sort(&mut out);
        out
    }
}

impl Validate for StartRecordingRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        meeting_id_rule(&self.meeting_id, &mut out);
        if let Some(tz) = self.body.timezone
            && !TIMEZONES.contains(&tz)
        {
            out.push(Violation::new(
                "timezone",
                "must be an offset from UTC in hours, from -12 to 12",
                ErrorCode::ParamError,
            ));
        }
        out
    }
}

impl Validate for StopRecordingRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        meeting_id_rule(&self.meeting_id, &mut out);
        out
    }
}
