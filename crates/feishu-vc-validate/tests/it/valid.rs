//! Requests that break no rule: `violations` is empty and `validate` is `Ok`.

use feishu_vc_model::{
    ApplyReserveRequest, CheckField, CheckMode, DeleteReserveRequest, GetActiveMeetingRequest,
    GetReserveRequest, MeetingPermission, Password, ReserveActionPermission, ReserveAssignHost,
    ReserveMeetingSetting, ReservePermissionChecker, UpdateReserveBody, UpdateReserveRequest,
};
use feishu_vc_validate::TokenKind::{self, Tenant, User};
use feishu_vc_validate::Validate;
use serde_json::json;

use crate::corpus::{RESERVE_ID, call_settings, hosts};
use crate::{OWNER, Req, THIRTY_DAYS, at, ctx, describe, seed, seed_with};

/// A valid request, checked with each of `tokens`.
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) request: Req,
    tokens: &'static [TokenKind],
}

fn case(name: &'static str, request: impl Into<Req>, tokens: &'static [TokenKind]) -> Case {
    Case {
        name,
        request: request.into(),
        tokens,
    }
}

/// The seed request with a changed password.
fn seed_password(password: Password) -> ApplyReserveRequest {
    let request = seed();
    let settings = request.body.meeting_settings.clone().set_password(password);
    request.set_meeting_settings(settings)
}

fn seed_settings(
    edit: impl FnOnce(ReserveMeetingSetting) -> ReserveMeetingSetting,
) -> ApplyReserveRequest {
    let request = seed();
    let settings = edit(request.body.meeting_settings.clone());
    request.set_meeting_settings(settings)
}

fn update(body: serde_json::Value) -> UpdateReserveRequest {
    let body: UpdateReserveBody = serde_json::from_value(body).expect("the body decodes");
    UpdateReserveRequest::from_body(RESERVE_ID, body)
}

pub(crate) fn cases() -> Vec<Case> {
    const BOTH: &[TokenKind] = &[Tenant, User];
    vec![
        case("seed", seed(), &[Tenant]),
        case(
            "minimal_group_meeting",
            ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("Weekly sync"))
                .set_end_time(at(2 * 3600))
                .set_owner_id(OWNER),
            &[Tenant],
        ),
        case(
            "user_token_without_owner",
            seed_with(|v| {
                v.as_object_mut().unwrap().remove("owner_id");
            }),
            &[User],
        ),
        case(
            "user_token_minimal",
            ApplyReserveRequest::new(ReserveMeetingSetting::default()).set_end_time(at(60)),
            &[User],
        ),
        case(
            "pstn_call_without_end_time",
            ApplyReserveRequest::new(call_settings()).set_owner_id(OWNER),
            &[Tenant],
        ),
        case(
            "pstn_call_with_end_time_and_auto_record_false",
            ApplyReserveRequest::new(call_settings().set_auto_record(false))
                .set_owner_id(OWNER)
                .set_end_time(at(600)),
            &[Tenant],
        ),
        case(
            "pstn_call_user_token",
            ApplyReserveRequest::new(call_settings()),
            &[User],
        ),
        case(
            "password_empty_means_none",
            seed_password(Password::no_password()),
            &[Tenant],
        ),
        case(
            "password_empty_string_via_json",
            seed_with(|v| v["meeting_settings"]["password"] = json!("")),
            &[Tenant],
        ),
        case(
            "password_absent",
            seed_with(|v| {
                v["meeting_settings"]
                    .as_object_mut()
                    .unwrap()
                    .remove("password");
            }),
            &[Tenant],
        ),
        case(
            "password_4_digits",
            seed_password(Password::digits("1234")),
            &[Tenant],
        ),
        case(
            "password_9_digits",
            seed_password(Password::digits("123456789")),
            &[Tenant],
        ),
        case(
            "password_leading_zeros",
            seed_password(Password::digits("0000")),
            &[Tenant],
        ),
        case(
            "hosts_exactly_10",
            seed_settings(|s| s.set_assign_host_list(hosts(10))),
            &[Tenant],
        ),
        case(
            "host_without_user_type",
            seed_settings(|s| s.set_assign_host_list([ReserveAssignHost::default().set_id(OWNER)])),
            &[Tenant],
        ),
        case(
            "hosts_empty_list",
            seed_settings(|s| s.set_assign_host_list(hosts(0))),
            &[Tenant],
        ),
        case(
            "end_time_now_plus_1s",
            seed().set_end_time(at(1)),
            &[Tenant],
        ),
        case(
            "end_time_exactly_30_days",
            seed().set_end_time(at(THIRTY_DAYS)),
            &[Tenant],
        ),
        case(
            "meeting_initial_type_absent",
            seed_with(|v| {
                v["meeting_settings"]
                    .as_object_mut()
                    .unwrap()
                    .remove("meeting_initial_type");
            }),
            &[Tenant],
        ),
        case(
            "check_list_all_user_types",
            seed_settings(|s| {
                s.set_action_permissions([ReserveActionPermission::new(
                    MeetingPermission::CanJoin,
                    [ReservePermissionChecker::new(
                        CheckField::UserType,
                        ["1", "2", "6", "7"],
                        CheckMode::Without,
                    )],
                )])
            }),
            &[Tenant],
        ),
        case(
            "check_list_of_user_ids_is_not_checked_as_user_types",
            seed_settings(|s| {
                s.set_action_permissions([ReserveActionPermission::new(
                    MeetingPermission::CanInvite,
                    [ReservePermissionChecker::new(
                        CheckField::UserId,
                        ["3", "8", OWNER],
                        CheckMode::Within,
                    )],
                )])
            }),
            &[Tenant],
        ),
        case(
            "check_list_of_tenant_keys",
            seed_settings(|s| {
                s.set_action_permissions([ReserveActionPermission::new(
                    MeetingPermission::CanBeHost,
                    [ReservePermissionChecker::new(
                        CheckField::TenantId,
                        ["736588c9260f175d"],
                        CheckMode::Within,
                    )],
                )])
            }),
            &[Tenant],
        ),
        case(
            "update_renew_end_time_only",
            UpdateReserveRequest::new(RESERVE_ID).set_end_time(at(7 * 86_400)),
            BOTH,
        ),
        case(
            "update_renew_exactly_30_days",
            UpdateReserveRequest::new(RESERVE_ID).set_end_time(at(THIRTY_DAYS)),
            BOTH,
        ),
        case(
            "update_clear_hosts",
            update(json!({"meeting_settings": {"assign_host_list": []}})),
            BOTH,
        ),
        case(
            "update_no_password",
            update(json!({"meeting_settings": {"password": ""}})),
            BOTH,
        ),
        case(
            "update_empty_body",
            UpdateReserveRequest::new(RESERVE_ID),
            BOTH,
        ),
        case(
            "update_topic_and_hosts",
            UpdateReserveRequest::new(RESERVE_ID).set_meeting_settings(
                ReserveMeetingSetting::default()
                    .set_topic("renamed")
                    .set_assign_host_list(hosts(10)),
            ),
            BOTH,
        ),
        case(
            "update_to_pstn_call",
            UpdateReserveRequest::new(RESERVE_ID).set_meeting_settings(call_settings()),
            BOTH,
        ),
        case(
            "update_only_the_meeting_type_keeps_the_booked_callee",
            UpdateReserveRequest::new(RESERVE_ID).set_meeting_settings(
                ReserveMeetingSetting::default()
                    .set_meeting_initial_type(feishu_vc_model::MeetingInitialType::Call),
            ),
            BOTH,
        ),
        case("get", GetReserveRequest::new(RESERVE_ID), BOTH),
        case("delete", DeleteReserveRequest::new(RESERVE_ID), BOTH),
        case(
            "get_active_meeting",
            GetActiveMeetingRequest::new(RESERVE_ID).set_with_participants(true),
            BOTH,
        ),
    ]
}

#[test]
fn valid_requests_have_no_violation() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for c in cases() {
        for &token in c.tokens {
            checked += 1;
            let found = c.request.violations(&ctx(token));
            if !found.is_empty() {
                failures.push(format!(
                    "{} ({token:?} token):\n{}",
                    c.name,
                    describe(&found)
                ));
            }
            if c.request.validate(&ctx(token)).is_err() {
                failures.push(format!("{} ({token:?} token): validate() is Err", c.name));
            }
        }
    }
    assert!(checked >= 30, "only {checked} checks");
    assert!(
        failures.is_empty(),
        "valid requests were refused:\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn seed_is_valid_with_a_tenant_token() {
    let request = seed();
    assert_eq!(request.body.end_time, Some(at(3600)));
    assert_eq!(
        request.body.owner_id.as_ref().map(|o| o.as_str()),
        Some(OWNER)
    );
    assert_eq!(
        request
            .body
            .meeting_settings
            .password
            .as_ref()
            .map(Password::expose_secret),
        Some("971024")
    );
    assert_eq!(
        request
            .body
            .meeting_settings
            .assign_host_list
            .as_ref()
            .map(Vec::len),
        Some(1)
    );
    let found = request.violations(&crate::tenant());
    assert!(
        found.is_empty(),
        "the seed was refused:\n{}",
        describe(&found)
    );
    assert!(request.validate(&crate::tenant()).is_ok());
}
