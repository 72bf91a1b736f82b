//! What both bench binaries share: the seed-like apply request, its JSON twin, the schema's seed
//! response, and small statistics helpers.
// Each bench binary uses a part of this module.
#![allow(dead_code)]

use std::time::Duration;

use feishu_vc::model::{
    ApplyReserveRequest, AssignHostUserType, CheckField, CheckMode, MeetingInitialType,
    MeetingPermission, Password, PstnSipInfo, ReserveActionPermission, ReserveAssignHost,
    ReserveCallSetting, ReserveCallee, ReserveMeetingSetting, ReservePermissionChecker, Timestamp,
    UserType,
};
use serde_json::{Value, json};

/// The owner, host, checker and callee id of Lark's request example.
pub(crate) const OWNER: &str = "ou_3ec3f6a28a0d08c45d895276e8e5e19b";

/// Lark's request example for apply (`docs/schema/vc-reserve.openapi.json`, example `seed`), with
/// `end_time` moved into the booking window.
pub(crate) fn seed_request(end_time: Timestamp) -> ApplyReserveRequest {
    ApplyReserveRequest::new(
        ReserveMeetingSetting::default()
            .set_topic("my meeting")
            .set_action_permissions([ReserveActionPermission::new(
                MeetingPermission::CanBeHost,
                [ReservePermissionChecker::new(
                    CheckField::UserId,
                    [OWNER],
                    CheckMode::Within,
                )],
            )])
            .set_meeting_initial_type(MeetingInitialType::GroupMeeting)
            .set_meeting_connect(true)
            .set_call_setting(ReserveCallSetting::new(
                ReserveCallee::new(UserType::LarkUser)
                    .set_id(OWNER)
                    .set_pstn_sip_info(PstnSipInfo::new("+86-02187654321").set_nickname("dodo")),
            ))
            .set_auto_record(true)
            .set_assign_host_list([ReserveAssignHost::default()
                .set_user_type(AssignHostUserType::LarkUser)
                .set_id(OWNER)])
            .set_password(Password::digits("971024")),
    )
    .set_end_time(end_time)
    .set_owner_id(OWNER)
}

/// The same body as [`seed_request`], as a `serde_json::Value`.
pub(crate) fn seed_json(end_time: Timestamp) -> Value {
    json!({
        "end_time": end_time.unix_seconds().to_string(),
        "owner_id": OWNER,
        "meeting_settings": {
            "topic": "my meeting",
            "action_permissions": [{
                "permission": 1,
                "permission_checkers": [{
                    "check_field": 1,
                    "check_mode": 1,
                    "check_list": [OWNER]
                }]
            }],
            "meeting_initial_type": 1,
            "meeting_connect": true,
            "call_setting": {
                "callee": {
                    "id": OWNER,
                    "user_type": 1,
                    "pstn_sip_info": {"nickname": "dodo", "main_address": "+86-02187654321"}
                }
            },
            "auto_record": true,
            "assign_host_list": [{"user_type": 1, "id": OWNER}],
            "password": "971024"
        }
    })
}

/// The schema's seed example of `name` under an operation's success response or request body.
pub(crate) fn schema_seed(path: &str, response: bool) -> Value {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/schema/vc-reserve.openapi.json"
    );
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("read {file}: {e}"));
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    let operation = &schema["paths"][path]["post"];
    let content = if response {
        &operation["responses"]["200"]["content"]["application/json"]
    } else {
        &operation["requestBody"]["content"]["application/json"]
    };
    let seed = &content["examples"]["seed"]["value"];
    assert!(seed.is_object(), "no seed example for {path}");
    seed.clone()
}

/// The median of `values` (the mean of the middle two for an even count).
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

/// The smallest and largest of `values`.
pub(crate) fn range(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        })
}

/// A positive integer from the environment, or `default`.
pub(crate) fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or_else(|| panic!("{name} must be a positive integer, not {v:?}")),
        Err(_) => default,
    }
}

/// Seconds from the environment, or `default`.
pub(crate) fn env_secs(name: &str, default: u64) -> Duration {
    Duration::from_secs(env_usize(name, default as usize) as u64)
}
