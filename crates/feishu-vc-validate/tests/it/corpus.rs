//! Invalid requests, each with the exact `(path, code)` pairs it must produce: no fewer, no more.

use feishu_vc_model::{
    AssignHostUserType, CheckField, CheckMode, DeleteReserveRequest, GetActiveMeetingRequest,
    GetReserveRequest, MeetingInitialType, MeetingPermission, Password, PstnSipInfo,
    ReserveActionPermission, ReserveAssignHost, ReserveCallSetting, ReserveCallee,
    ReserveMeetingSetting, ReservePermissionChecker, Timestamp, UpdateReserveBody,
    UpdateReserveRequest, UserType,
};
use feishu_vc_validate::TokenKind;
use serde_json::{Value, json};

use crate::{
    NOW, OWNER, Req, THIRTY_DAYS, apply_from_json, at, ctx, describe, pairs, seed, seed_json,
    seed_with,
};

pub(crate) const PARAM: i64 = 121_003;
pub(crate) const RECORD: i64 = 123_002;
pub(crate) const HOST_LIMIT: i64 = 123_003;
pub(crate) const HOST: i64 = 123_004;
pub(crate) const PASSWORD: i64 = 123_006;

pub(crate) const RESERVE_ID: &str = "6911188411934973028";

const PW: &str = "meeting_settings.password";
const HOSTS: &str = "meeting_settings.assign_host_list";
const AUTO_RECORD: &str = "meeting_settings.auto_record";
const INITIAL_TYPE: &str = "meeting_settings.meeting_initial_type";
const CONNECT: &str = "meeting_settings.meeting_connect";
const CALLEE: &str = "meeting_settings.call_setting.callee";
const CALLEE_TYPE: &str = "meeting_settings.call_setting.callee.user_type";
const MAIN_ADDRESS: &str = "meeting_settings.call_setting.callee.pstn_sip_info.main_address";
const PERMISSION: &str = "meeting_settings.action_permissions[0].permission";
const CHECKERS: &str = "meeting_settings.action_permissions[0].permission_checkers";
const CHECK_FIELD: &str =
    "meeting_settings.action_permissions[0].permission_checkers[0].check_field";
const CHECK_MODE: &str = "meeting_settings.action_permissions[0].permission_checkers[0].check_mode";
const CHECK_LIST: &str = "meeting_settings.action_permissions[0].permission_checkers[0].check_list";

/// One invalid request and what it must produce.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) build: fn() -> Req,
    pub(crate) token: TokenKind,
    pub(crate) expected: &'static [(&'static str, i64)],
}

fn row(
    name: &'static str,
    build: fn() -> Req,
    token: TokenKind,
    expected: &'static [(&'static str, i64)],
) -> Row {
    Row {
        name,
        build,
        token,
        expected,
    }
}

// ---- builders ------------------------------------------------------------------------------

/// A valid assigned host.
fn host(i: usize) -> ReserveAssignHost {
    ReserveAssignHost::default()
        .set_id(format!("ou_host_{i}"))
        .set_user_type(AssignHostUserType::LarkUser)
}

/// `n` valid assigned hosts.
pub(crate) fn hosts(n: usize) -> Vec<ReserveAssignHost> {
    (0..n).map(host).collect()
}

/// The seed request with its settings changed by `edit`, through the typed setters.
fn seed_settings(edit: impl FnOnce(ReserveMeetingSetting) -> ReserveMeetingSetting) -> Req {
    let request = seed();
    let settings = edit(request.body.meeting_settings.clone());
    request.set_meeting_settings(settings).into()
}

/// The seed request with `meeting_settings.password` set to `digits`.
fn seed_password(digits: &str) -> Req {
    seed_settings(|s| s.set_password(Password::digits(digits)))
}

/// The seed request with `end_time` at `NOW + seconds`.
fn seed_end(seconds: i64) -> Req {
    seed().set_end_time(at(seconds)).into()
}

/// Edits the seed JSON's `meeting_settings`.
fn settings_json(edit: impl FnOnce(&mut Value)) -> Req {
    seed_with(|v| edit(&mut v["meeting_settings"])).into()
}

/// Edits the seed JSON's first permission checker.
fn checker_json(edit: impl FnOnce(&mut Value)) -> Req {
    settings_json(|s| edit(&mut s["action_permissions"][0]["permission_checkers"][0]))
}

/// Removes `key` from a JSON object.
fn remove(value: &mut Value, key: &str) {
    value.as_object_mut().expect("an object").remove(key);
}

/// A valid PSTN callee.
pub(crate) fn pstn_callee() -> ReserveCallee {
    ReserveCallee::new(UserType::PstnUser).set_pstn_sip_info(PstnSipInfo::new("+86-13800138000"))
}

/// Valid settings of a 1-to-1 call to a phone number.
pub(crate) fn call_settings() -> ReserveMeetingSetting {
    ReserveMeetingSetting::default()
        .set_topic("call")
        .set_meeting_initial_type(MeetingInitialType::Call)
        .set_call_setting(ReserveCallSetting::new(pstn_callee()))
}

/// A 1-to-1 call booked with a tenant token (no `end_time`: not needed for a call).
fn call(edit: impl FnOnce(ReserveMeetingSetting) -> ReserveMeetingSetting) -> Req {
    feishu_vc_model::ApplyReserveRequest::new(edit(call_settings()))
        .set_owner_id(OWNER)
        .into()
}

/// A 1-to-1 call whose callee is changed by `edit`.
fn call_with_callee(edit: impl FnOnce(ReserveCallee) -> ReserveCallee) -> Req {
    call(|s| s.set_call_setting(ReserveCallSetting::new(edit(pstn_callee()))))
}

/// A 1-to-1 call decoded from JSON, with `callee` as given.
fn call_json(callee: Value) -> Req {
    apply_from_json(json!({
        "owner_id": OWNER,
        "meeting_settings": {
            "meeting_initial_type": 2,
            "call_setting": { "callee": callee }
        }
    }))
    .into()
}

/// An update of the reservation [`RESERVE_ID`] with these settings.
fn update_settings(settings: ReserveMeetingSetting) -> Req {
    UpdateReserveRequest::new(RESERVE_ID)
        .set_meeting_settings(settings)
        .into()
}

/// An update decoded from a JSON body.
fn update_json(id: &str, body: Value) -> Req {
    let body: UpdateReserveBody = serde_json::from_value(body).expect("the body decodes");
    UpdateReserveRequest::from_body(id, body).into()
}

/// A check_list of user-type strings under check_field 2.
fn user_type_checker(values: &[&str]) -> ReservePermissionChecker {
    ReservePermissionChecker::new(
        CheckField::UserType,
        values.iter().copied(),
        CheckMode::Within,
    )
}

// ---- the corpus ----------------------------------------------------------------------------

pub(crate) fn corpus() -> Vec<Row> {
    use TokenKind::{Tenant, User};
    vec![
        // -- password: empty or 4 to 9 ASCII digits (123006) ------------------------------
        row(
            "password_3_digits",
            || seed_password("123"),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "password_10_digits",
            || seed_password("1234567890"),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "password_1_digit",
            || seed_password("7"),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "password_letters",
            || seed_password("abcd"),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "password_digit_and_letter",
            || seed_password("12a4567"),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "password_fullwidth_digits",
            || seed_password("１２３４"),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "password_arabic_indic_digits",
            || seed_password("١٢٣٤"),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "password_space_inside",
            || seed_password("12 34"),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "password_trailing_newline",
            || seed_password("1234\n"),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "password_negative_sign",
            || seed_password("-1234"),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "password_whitespace_only",
            || seed_password(" "),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "password_3_digits_via_json",
            || settings_json(|s| s["password"] = json!("971")),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        // -- assigned hosts: at most 10 (123003); each needs a non-empty id and user_type 1 --
        row(
            "hosts_11",
            || seed_settings(|s| s.set_assign_host_list(hosts(11))),
            Tenant,
            &[(HOSTS, HOST_LIMIT)],
        ),
        row(
            "hosts_11_last_with_empty_id",
            || {
                seed_settings(|s| {
                    let mut list = hosts(10);
                    list.push(ReserveAssignHost::default().set_id("").set_user_type(1_i64));
                    s.set_assign_host_list(list)
                })
            },
            Tenant,
            &[
                (HOSTS, HOST_LIMIT),
                ("meeting_settings.assign_host_list[10].id", HOST),
            ],
        ),
        row(
            "hosts_12_with_bad_entries_at_2_and_10",
            || {
                seed_settings(|s| {
                    let mut list = hosts(12);
                    list[2].id = None;
                    list[10].user_type = Some(AssignHostUserType::from_value(3));
                    s.set_assign_host_list(list)
                })
            },
            Tenant,
            &[
                (HOSTS, HOST_LIMIT),
                ("meeting_settings.assign_host_list[2].id", HOST),
                ("meeting_settings.assign_host_list[10].user_type", HOST),
            ],
        ),
        row(
            "host_empty_id_via_json",
            || settings_json(|s| s["assign_host_list"][0]["id"] = json!("")),
            Tenant,
            &[("meeting_settings.assign_host_list[0].id", HOST)],
        ),
        row(
            "host_missing_id_via_json",
            || settings_json(|s| remove(&mut s["assign_host_list"][0], "id")),
            Tenant,
            &[("meeting_settings.assign_host_list[0].id", HOST)],
        ),
        row(
            "host_user_type_2_via_json",
            || settings_json(|s| s["assign_host_list"][0]["user_type"] = json!(2)),
            Tenant,
            &[("meeting_settings.assign_host_list[0].user_type", HOST)],
        ),
        row(
            "host_user_type_6_at_index_2",
            || {
                seed_settings(|s| {
                    let mut list = hosts(3);
                    list[2] = list[2]
                        .clone()
                        .set_user_type(AssignHostUserType::from_value(6));
                    s.set_assign_host_list(list)
                })
            },
            Tenant,
            &[("meeting_settings.assign_host_list[2].user_type", HOST)],
        ),
        row(
            "host_without_id_or_user_type",
            || seed_settings(|s| s.set_assign_host_list([ReserveAssignHost::default()])),
            Tenant,
            &[("meeting_settings.assign_host_list[0].id", HOST)],
        ),
        // -- auto_record with a 1-to-1 call (123002) ---------------------------------------
        row(
            "call_with_auto_record",
            || call(|s| s.set_auto_record(true)),
            Tenant,
            &[(AUTO_RECORD, RECORD)],
        ),
        // -- end_time: required for a group meeting; now < end_time <= now + 30 days -----------
        row(
            "end_time_missing_group_meeting",
            || seed_with(|v| remove(v, "end_time")).into(),
            Tenant,
            &[("end_time", PARAM)],
        ),
        row(
            "end_time_missing_initial_type_absent",
            || {
                seed_with(|v| {
                    remove(v, "end_time");
                    remove(&mut v["meeting_settings"], "meeting_initial_type");
                })
                .into()
            },
            Tenant,
            &[("end_time", PARAM)],
        ),
        row(
            "end_time_equal_to_now",
            || seed_end(0),
            Tenant,
            &[("end_time", PARAM)],
        ),
        row(
            "end_time_one_second_ago",
            || seed_end(-1),
            Tenant,
            &[("end_time", PARAM)],
        ),
        row(
            "end_time_30_days_plus_1s",
            || seed_end(THIRTY_DAYS + 1),
            Tenant,
            &[("end_time", PARAM)],
        ),
        row(
            "end_time_a_year_ahead",
            || seed_end(365 * 86_400),
            Tenant,
            &[("end_time", PARAM)],
        ),
        row(
            "end_time_negative",
            || seed().set_end_time(Timestamp::from_unix_seconds(-1)).into(),
            Tenant,
            &[("end_time", PARAM)],
        ),
        row(
            "end_time_i64_max",
            || {
                seed()
                    .set_end_time(Timestamp::from_unix_seconds(i64::MAX))
                    .into()
            },
            Tenant,
            &[("end_time", PARAM)],
        ),
        row(
            "end_time_the_seed_doc_value",
            || seed_with(|v| v["end_time"] = json!("1608888867")).into(),
            Tenant,
            &[("end_time", PARAM)],
        ),
        row(
            "end_time_now_as_json_integer",
            || seed_with(|v| v["end_time"] = json!(NOW)).into(),
            Tenant,
            &[("end_time", PARAM)],
        ),
        // -- owner_id and the token kind ------------------------------------------------
        row(
            "owner_missing_tenant_token",
            || seed_with(|v| remove(v, "owner_id")).into(),
            Tenant,
            &[("owner_id", PARAM)],
        ),
        row(
            "owner_empty_tenant_token",
            || seed().set_owner_id("").into(),
            Tenant,
            &[("owner_id", PARAM)],
        ),
        row(
            "owner_given_user_token",
            || seed().into(),
            User,
            &[("owner_id", PARAM)],
        ),
        row(
            "owner_empty_user_token",
            || seed().set_owner_id("").into(),
            User,
            &[("owner_id", PARAM)],
        ),
        row(
            "nothing_but_empty_settings",
            || feishu_vc_model::ApplyReserveRequest::new(ReserveMeetingSetting::default()).into(),
            Tenant,
            &[("end_time", PARAM), ("owner_id", PARAM)],
        ),
        // -- 1-to-1 call: PSTN callee only ---------------------------------------------
        row(
            "call_without_call_setting",
            || {
                call(|mut s| {
                    s.call_setting = None;
                    s
                })
            },
            Tenant,
            &[(CALLEE, PARAM)],
        ),
        row(
            "call_setting_without_callee",
            || {
                settings_json(|s| {
                    s["meeting_initial_type"] = json!(2);
                    s["auto_record"] = json!(false);
                    s["call_setting"] = json!({});
                })
            },
            Tenant,
            &[(CALLEE, PARAM)],
        ),
        row(
            "call_callee_lark_user",
            || call_with_callee(|c| c.set_user_type(UserType::LarkUser)),
            Tenant,
            &[(CALLEE_TYPE, PARAM)],
        ),
        row(
            "call_callee_sip_user",
            || call_with_callee(|c| c.set_user_type(UserType::SipUser)),
            Tenant,
            &[(CALLEE_TYPE, PARAM)],
        ),
        row(
            "call_callee_user_type_missing",
            || call_json(json!({"pstn_sip_info": {"main_address": "+86-13800138000"}})),
            Tenant,
            &[(CALLEE_TYPE, PARAM)],
        ),
        row(
            "call_without_pstn_sip_info",
            || call_json(json!({"user_type": 6})),
            Tenant,
            &[(MAIN_ADDRESS, PARAM)],
        ),
        row(
            "call_pstn_sip_info_without_main_address",
            || call_json(json!({"user_type": 6, "pstn_sip_info": {"nickname": "dodo"}})),
            Tenant,
            &[(MAIN_ADDRESS, PARAM)],
        ),
        row(
            "call_main_address_without_country_code",
            || call_with_callee(|c| c.set_pstn_sip_info(PstnSipInfo::new("13800138000"))),
            Tenant,
            &[(MAIN_ADDRESS, PARAM)],
        ),
        row(
            "call_main_address_other_country",
            || call_with_callee(|c| c.set_pstn_sip_info(PstnSipInfo::new("+1-5551234567"))),
            Tenant,
            &[(MAIN_ADDRESS, PARAM)],
        ),
        row(
            "call_main_address_no_digits",
            || call_with_callee(|c| c.set_pstn_sip_info(PstnSipInfo::new("+86-"))),
            Tenant,
            &[(MAIN_ADDRESS, PARAM)],
        ),
        row(
            "call_main_address_with_spaces",
            || call_with_callee(|c| c.set_pstn_sip_info(PstnSipInfo::new("+86-138 0013 8000"))),
            Tenant,
            &[(MAIN_ADDRESS, PARAM)],
        ),
        row(
            "call_main_address_fullwidth_digits",
            || {
                call_with_callee(|c| {
                    c.set_pstn_sip_info(PstnSipInfo::new("+86-１３８００１３８０００"))
                })
            },
            Tenant,
            &[(MAIN_ADDRESS, PARAM)],
        ),
        row(
            "call_main_address_empty",
            || call_with_callee(|c| c.set_pstn_sip_info(PstnSipInfo::new(""))),
            Tenant,
            &[(MAIN_ADDRESS, PARAM)],
        ),
        row(
            "call_recorded_to_lark_user_without_number",
            || {
                call(|s| {
                    s.set_auto_record(true)
                        .set_call_setting(ReserveCallSetting::new(ReserveCallee::new(
                            UserType::LarkUser,
                        )))
                })
            },
            Tenant,
            &[
                (AUTO_RECORD, RECORD),
                (CALLEE_TYPE, PARAM),
                (MAIN_ADDRESS, PARAM),
            ],
        ),
        row(
            "group_meeting_callee_bad_main_address",
            || {
                settings_json(|s| {
                    s["call_setting"]["callee"]["pstn_sip_info"]["main_address"] =
                        json!("021-87654321")
                })
            },
            Tenant,
            &[(MAIN_ADDRESS, PARAM)],
        ),
        // -- enum values the schema does not list ----------------------------------------
        row(
            "meeting_initial_type_5",
            || seed_settings(|s| s.set_meeting_initial_type(MeetingInitialType::from_value(5))),
            Tenant,
            &[(INITIAL_TYPE, PARAM)],
        ),
        row(
            "meeting_initial_type_0_via_json",
            || settings_json(|s| s["meeting_initial_type"] = json!(0)),
            Tenant,
            &[(INITIAL_TYPE, PARAM)],
        ),
        row(
            "permission_9",
            || settings_json(|s| s["action_permissions"][0]["permission"] = json!(9)),
            Tenant,
            &[(PERMISSION, PARAM)],
        ),
        row(
            "check_field_4",
            || checker_json(|c| c["check_field"] = json!(4)),
            Tenant,
            &[(CHECK_FIELD, PARAM)],
        ),
        row(
            "check_mode_3",
            || checker_json(|c| c["check_mode"] = json!(3)),
            Tenant,
            &[(CHECK_MODE, PARAM)],
        ),
        row(
            "callee_user_type_8_group_meeting",
            || settings_json(|s| s["call_setting"]["callee"]["user_type"] = json!(8)),
            Tenant,
            &[(CALLEE_TYPE, PARAM)],
        ),
        // -- required fields of nested structs -----------------------------------------
        row(
            "permission_missing",
            || settings_json(|s| remove(&mut s["action_permissions"][0], "permission")),
            Tenant,
            &[(PERMISSION, PARAM)],
        ),
        row(
            "permission_checkers_missing",
            || settings_json(|s| remove(&mut s["action_permissions"][0], "permission_checkers")),
            Tenant,
            &[(CHECKERS, PARAM)],
        ),
        row(
            "permission_checkers_empty",
            || settings_json(|s| s["action_permissions"][0]["permission_checkers"] = json!([])),
            Tenant,
            &[(CHECKERS, PARAM)],
        ),
        row(
            "check_field_missing",
            || checker_json(|c| remove(c, "check_field")),
            Tenant,
            &[(CHECK_FIELD, PARAM)],
        ),
        row(
            "check_mode_missing",
            || checker_json(|c| remove(c, "check_mode")),
            Tenant,
            &[(CHECK_MODE, PARAM)],
        ),
        row(
            "check_list_missing",
            || checker_json(|c| remove(c, "check_list")),
            Tenant,
            &[(CHECK_LIST, PARAM)],
        ),
        row(
            "check_list_empty",
            || checker_json(|c| c["check_list"] = json!([])),
            Tenant,
            &[(CHECK_LIST, PARAM)],
        ),
        row(
            "checker_empty_object",
            || checker_json(|c| *c = json!({})),
            Tenant,
            &[
                (CHECK_FIELD, PARAM),
                (CHECK_LIST, PARAM),
                (CHECK_MODE, PARAM),
            ],
        ),
        row(
            "callee_user_type_missing_group_meeting",
            || settings_json(|s| remove(&mut s["call_setting"]["callee"], "user_type")),
            Tenant,
            &[(CALLEE_TYPE, PARAM)],
        ),
        row(
            "call_setting_empty_group_meeting",
            || settings_json(|s| s["call_setting"] = json!({})),
            Tenant,
            &[(CALLEE, PARAM)],
        ),
        // -- check_list under check_field 2 holds "1", "2", "6" or "7" ----------------------
        row(
            "check_list_user_types_3_and_8",
            || {
                seed_settings(|s| {
                    s.set_action_permissions([ReserveActionPermission::new(
                        MeetingPermission::CanJoin,
                        [user_type_checker(&["1", "3", "6", "8"])],
                    )])
                })
            },
            Tenant,
            &[
                (
                    "meeting_settings.action_permissions[0].permission_checkers[0].check_list[1]",
                    PARAM,
                ),
                (
                    "meeting_settings.action_permissions[0].permission_checkers[0].check_list[3]",
                    PARAM,
                ),
            ],
        ),
        row(
            "check_list_user_type_fullwidth_and_padded",
            || {
                checker_json(|c| {
                    c["check_field"] = json!(2);
                    c["check_list"] = json!(["１", " 2", "7"]);
                })
            },
            Tenant,
            &[
                (
                    "meeting_settings.action_permissions[0].permission_checkers[0].check_list[0]",
                    PARAM,
                ),
                (
                    "meeting_settings.action_permissions[0].permission_checkers[0].check_list[1]",
                    PARAM,
                ),
            ],
        ),
        row(
            "check_list_user_type_in_second_permission_second_checker",
            || {
                seed_settings(|s| {
                    let ok = user_type_checker(&["1", "2", "6", "7"]);
                    let bad = user_type_checker(&["7", "ou_3ec3f6a28a0d08c45d895276e8e5e19b"]);
                    s.set_action_permissions([
                        ReserveActionPermission::new(MeetingPermission::CanBeHost, [ok.clone()]),
                        ReserveActionPermission::new(MeetingPermission::CanInvite, [ok, bad]),
                    ])
                })
            },
            Tenant,
            &[(
                "meeting_settings.action_permissions[1].permission_checkers[1].check_list[1]",
                PARAM,
            )],
        ),
        // -- update ----------------------------------------------------------------------
        row(
            "update_meeting_connect_true",
            || update_settings(ReserveMeetingSetting::default().set_meeting_connect(true)),
            Tenant,
            &[(CONNECT, PARAM)],
        ),
        row(
            "update_meeting_connect_false",
            || {
                update_json(
                    RESERVE_ID,
                    json!({"meeting_settings": {"meeting_connect": false}}),
                )
            },
            User,
            &[(CONNECT, PARAM)],
        ),
        row(
            "update_end_time_now",
            || {
                UpdateReserveRequest::new(RESERVE_ID)
                    .set_end_time(at(0))
                    .into()
            },
            Tenant,
            &[("end_time", PARAM)],
        ),
        row(
            "update_end_time_30_days_plus_1s",
            || {
                UpdateReserveRequest::new(RESERVE_ID)
                    .set_end_time(at(THIRTY_DAYS + 1))
                    .into()
            },
            Tenant,
            &[("end_time", PARAM)],
        ),
        row(
            "update_password_10_digits",
            || update_settings(ReserveMeetingSetting::default().set_password("1234567890")),
            Tenant,
            &[(PW, PASSWORD)],
        ),
        row(
            "update_hosts_11",
            || update_settings(ReserveMeetingSetting::default().set_assign_host_list(hosts(11))),
            Tenant,
            &[(HOSTS, HOST_LIMIT)],
        ),
        row(
            "update_host_empty_id_via_json",
            || {
                update_json(
                    RESERVE_ID,
                    json!({"meeting_settings": {"assign_host_list": [{"id": "", "user_type": 1}]}}),
                )
            },
            Tenant,
            &[("meeting_settings.assign_host_list[0].id", HOST)],
        ),
        row(
            "call_to_unknown_user_type_reported_once",
            || call_with_callee(|c| c.set_user_type(UserType::from_value(8))),
            Tenant,
            &[(CALLEE_TYPE, PARAM)],
        ),
        row(
            "update_call_with_auto_record",
            || update_settings(call_settings().set_auto_record(true)),
            Tenant,
            &[(AUTO_RECORD, RECORD)],
        ),
        row(
            "update_call_to_lark_user",
            || {
                update_settings(call_settings().set_call_setting(ReserveCallSetting::new(
                    ReserveCallee::new(UserType::LarkUser),
                )))
            },
            Tenant,
            &[(CALLEE_TYPE, PARAM), (MAIN_ADDRESS, PARAM)],
        ),
        row(
            "update_permission_checkers_empty",
            || {
                update_json(
                    RESERVE_ID,
                    json!({"meeting_settings": {"action_permissions": [{"permission": 3, "permission_checkers": []}]}}),
                )
            },
            Tenant,
            &[(CHECKERS, PARAM)],
        ),
        row(
            "update_empty_reserve_id",
            || UpdateReserveRequest::new("").set_end_time(at(3600)).into(),
            Tenant,
            &[("reserve_id", PARAM)],
        ),
        row(
            "update_everything_wrong",
            || {
                update_json(
                    "",
                    json!({
                        "end_time": (NOW - 60).to_string(),
                        "meeting_settings": {
                            "meeting_connect": true,
                            "password": "12345678901",
                            "meeting_initial_type": 7
                        }
                    }),
                )
            },
            Tenant,
            &[
                ("end_time", PARAM),
                (CONNECT, PARAM),
                (INITIAL_TYPE, PARAM),
                (PW, PASSWORD),
                ("reserve_id", PARAM),
            ],
        ),
        // -- operations with a path parameter ---------------------------------------------
        row(
            "get_empty_reserve_id",
            || GetReserveRequest::new("").into(),
            Tenant,
            &[("reserve_id", PARAM)],
        ),
        row(
            "delete_empty_reserve_id",
            || DeleteReserveRequest::new("").into(),
            User,
            &[("reserve_id", PARAM)],
        ),
        row(
            "get_active_meeting_empty_reserve_id",
            || {
                GetActiveMeetingRequest::new("")
                    .set_with_participants(true)
                    .into()
            },
            Tenant,
            &[("reserve_id", PARAM)],
        ),
        // -- many rules at once ---------------------------------------------------------
        row(
            "apply_everything_wrong_via_json",
            || {
                let mut v = seed_json();
                v["end_time"] = json!((NOW + THIRTY_DAYS + 1).to_string());
                v["owner_id"] = json!("");
                let s = &mut v["meeting_settings"];
                s["password"] = json!("123");
                s["assign_host_list"][0]["user_type"] = json!(0);
                s["action_permissions"][0]["permission"] = json!(4);
                s["action_permissions"][0]["permission_checkers"][0]["check_list"] = json!([]);
                s["call_setting"]["callee"]["pstn_sip_info"]["main_address"] = json!("+86-1-2");
                apply_from_json(v).into()
            },
            Tenant,
            &[
                ("end_time", PARAM),
                ("meeting_settings.action_permissions[0].permission", PARAM),
                (CHECK_LIST, PARAM),
                ("meeting_settings.assign_host_list[0].user_type", HOST),
                (MAIN_ADDRESS, PARAM),
                (PW, PASSWORD),
                ("owner_id", PARAM),
            ],
        ),
    ]
}

/// `(path, code)` pairs, sorted, so that two lists compare as multisets.
fn sorted(mut list: Vec<(String, i64)>) -> Vec<(String, i64)> {
    list.sort();
    list
}

#[test]
fn corpus_is_large_and_names_are_unique() {
    let rows = corpus();
    assert!(rows.len() >= 45, "only {} rows", rows.len());
    let mut names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate row names");
    for r in &rows {
        assert!(
            !r.expected.is_empty(),
            "{}: a corpus row must expect a violation",
            r.name
        );
    }
}

#[test]
fn corpus_produces_exactly_the_expected_violations() {
    let mut failures = Vec::new();
    for r in corpus() {
        let request = (r.build)();
        let found = request.violations(&ctx(r.token));
        let actual = sorted(pairs(&found));
        let expected = sorted(r.expected.iter().map(|&(p, c)| (p.to_owned(), c)).collect());
        if actual != expected {
            failures.push(format!(
                "{} ({:?} token)\n expected: {:?}\n actual:\n{}",
                r.name,
                r.token,
                expected,
                describe(&found)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus rows failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn corpus_validate_agrees_with_violations() {
    for r in corpus() {
        let request = (r.build)();
        let ctx = ctx(r.token);
        let found = request.violations(&ctx);
        let (errors, warnings): (Vec<_>, Vec<_>) =
            found.iter().cloned().partition(|v| v.is_error());
        if errors.is_empty() {
            // Only values Feishu ignores: the request may be sent, and the warnings come back.
            assert_eq!(
                request.validate(&ctx).expect(r.name),
                warnings,
                "{}",
                r.name
            );
            continue;
        }
        let err = request.validate(&ctx).expect_err(r.name);
        assert_eq!(err.as_slice(), errors.as_slice(), "{}", r.name);
        assert!(!err.is_empty(), "{}", r.name);
        assert_eq!(err.code(), errors.first().map(|v| v.code()), "{}", r.name);
    }
}
