//! The rules that need context: the clock, the token kind, or other fields of the request.
//! Single-field rules come from the schema (see `flatten::schema_rules`).

use feishu_vc_model::{
    ApplyReserveRequest, CheckField, DeleteReserveRequest, ErrorCode, GetActiveMeetingRequest,
    GetReserveRequest, IntEnum, MeetingInitialType, ReserveId, ReserveMeetingSetting, Timestamp,
    TokenKind, UpdateReserveRequest, UserType,
};

use crate::flatten::{join, schema_rules, sort};
use crate::{Context, MAX_AHEAD, Validate, Violation};

/// The `check_list` values allowed when `check_field` is 2 (user type): Lark users, rooms users,
/// PSTN users and SIP users.
const USER_TYPE_CHECK_VALUES: [&str; 4] = ["1", "2", "6", "7"];

impl Validate for ApplyReserveRequest {
    fn violations(&self, ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        schema_rules(&self.body, "", &mut out);
        let settings = &self.body.meeting_settings;

        // end_time: required for a multi-person meeting (type 1, or absent, which the server treats
        // as a group meeting); when given, within the booking window.
        let group_meeting = matches!(
            settings.meeting_initial_type,
            None | Some(MeetingInitialType::GroupMeeting)
        );
        match self.body.end_time {
            Some(end) => end_time_window(end, ctx, "end_time", &mut out),
            None if group_meeting => out.push(Violation::new(
                "end_time",
                "is required for a multi-person meeting (meeting_initial_type 1 or absent)",
                ErrorCode::ParamError,
            )),
            None => {}
        }

        // owner_id: required and honoured with a tenant token; ignored with a user token.
        match (ctx.token(), &self.body.owner_id) {
            (TokenKind::User, Some(_)) => out.push(Violation::ignored(
                "owner_id",
                "is ignored with a user_access_token (the calling user owns the meeting); leave it out",
            )),
            (TokenKind::User, None) => {}
            (_, None) => out.push(Violation::new(
                "owner_id",
                "is required with a tenant_access_token: name the meeting's owner",
                ErrorCode::ParamError,
            )),
            (_, Some(owner)) if owner.is_empty() => {
                out.push(Violation::new("owner_id", "must not be empty", ErrorCode::ParamError));
            }
            (_, Some(_)) => {}
        }

        settings_rules(settings, "meeting_settings", Presence::Required, &mut out);
        sort(&mut out);
        out
    }
}

impl Validate for UpdateReserveRequest {
    fn violations(&self, ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        reserve_id_rule(&self.reserve_id, &mut out);
        schema_rules(&self.body, "", &mut out);
        if let Some(end) = self.body.end_time {
            end_time_window(end, ctx, "end_time", &mut out);
        }
        if let Some(settings) = &self.body.meeting_settings {
            let prefix = "meeting_settings";
            if settings.meeting_connect.is_some() {
                out.push(Violation::new(
                    join(prefix, "meeting_connect"),
                    "cannot be updated (不支持更新); leave it out",
                    ErrorCode::ParamError,
                ));
            }
            // An update changes only what it sends: a callee booked earlier stays.
            settings_rules(settings, prefix, Presence::IfSent, &mut out);
        }
        sort(&mut out);
        out
    }
}

impl Validate for GetReserveRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        reserve_id_rule(&self.reserve_id, &mut out);
        out
    }
}

impl Validate for DeleteReserveRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        reserve_id_rule(&self.reserve_id, &mut out);
        out
    }
}

impl Validate for GetActiveMeetingRequest {
    fn violations(&self, _ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        reserve_id_rule(&self.reserve_id, &mut out);
        out
    }
}

fn reserve_id_rule(id: &ReserveId, out: &mut Vec<Violation>) {
    if id.is_empty() {
        out.push(Violation::new(
            "reserve_id",
            "must not be empty",
            ErrorCode::ParamError,
        ));
    }
}

/// `end_time` must be after now and at most [`MAX_AHEAD`] after it (both ends documented on
/// [`Context`]).
fn end_time_window(end: Timestamp, ctx: &Context, path: &str, out: &mut Vec<Violation>) {
    let now = ctx.now();
    if end <= now {
        out.push(Violation::new(
            path,
            "must be in the future (unix seconds)",
            ErrorCode::ParamError,
        ));
    } else if now
        .checked_add(MAX_AHEAD)
        .is_some_and(|latest| end > latest)
    {
        out.push(Violation::new(
            path,
            "must be at most 30 days from now (预约到期时间距离当前时间不超过30天)",
            ErrorCode::ParamError,
        ));
    }
}

/// Whether a 1-to-1 call's callee must be in the request (apply) or is checked only when sent
/// (update, which keeps what it does not send).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Presence {
    Required,
    IfSent,
}

/// Rules across fields of the meeting settings, on apply and on update alike.
fn settings_rules(
    settings: &ReserveMeetingSetting,
    prefix: &str,
    presence: Presence,
    out: &mut Vec<Violation>,
) {
    // Assigned hosts need an id (its emptiness is a schema rule).
    for (i, host) in settings.assign_host_list.iter().flatten().enumerate() {
        if host.id.is_none() {
            out.push(Violation::new(
                format!("{prefix}.assign_host_list[{i}].id"),
                "is required: name the host",
                ErrorCode::AssignHostError,
            ));
        }
    }

    // With check_field 2 (user type), check_list holds user types as strings.
    for (i, permission) in settings.action_permissions.iter().flatten().enumerate() {
        for (j, checker) in permission.permission_checkers.iter().flatten().enumerate() {
            if checker.check_field != Some(CheckField::UserType) {
                continue;
            }
            for (k, value) in checker.check_list.iter().flatten().enumerate() {
                if !USER_TYPE_CHECK_VALUES.contains(&value.as_str()) {
                    out.push(Violation::new(
                        format!("{prefix}.action_permissions[{i}].permission_checkers[{j}].check_list[{k}]"),
                        "must be one of \"1\" (Lark user), \"2\" (rooms user), \"6\" (PSTN user), \"7\" (SIP user) when check_field is 2",
                        ErrorCode::ParamError,
                    ));
                }
            }
        }
    }

    if settings.meeting_initial_type == Some(MeetingInitialType::Call) {
        call_rules(settings, prefix, presence, out);
    }
}

/// A 1-to-1 call (meeting_initial_type 2) may only call a PSTN number, and cannot be recorded.
fn call_rules(
    settings: &ReserveMeetingSetting,
    prefix: &str,
    presence: Presence,
    out: &mut Vec<Violation>,
) {
    if settings.auto_record == Some(true) {
        out.push(Violation::new(
            join(prefix, "auto_record"),
            "must not be true for a 1-to-1 call (1v1呼叫暂不支持自动录制)",
            ErrorCode::RecordParamError,
        ));
    }
    let callee_path = || join(prefix, "call_setting.callee");
    let Some(call) = &settings.call_setting else {
        if presence == Presence::Required {
            out.push(Violation::new(
                callee_path(),
                "is required for a 1-to-1 call",
                ErrorCode::ParamError,
            ));
        }
        return;
    };
    // A call setting without a callee is reported by the schema's `required` rule.
    let Some(callee) = &call.callee else { return };
    // An unlisted value is already reported by the schema's enum rule.
    if let Some(kind) = callee
        .user_type
        .filter(|k| k.is_known() && *k != UserType::PstnUser)
    {
        out.push(Violation::new(
            join(&callee_path(), "user_type"),
            format!(
                "must be 6 (PSTN user), not {}: a 1-to-1 call can only be booked to a phone number",
                kind.value()
            ),
            ErrorCode::ParamError,
        ));
    }
    if callee.pstn_sip_info.is_none() {
        out.push(Violation::new(
            join(&callee_path(), "pstn_sip_info.main_address"),
            "is required for a 1-to-1 call: the number to call, as +86-<digits>",
            ErrorCode::ParamError,
        ));
    }
}
