//! Documented error codes for documented bad inputs, as the emulator answers them (the client's
//! local validation is off, so the request reaches the emulator).

use feishu_vc::model::{
    ApplyReserveRequest, ErrorCode, MeetingInitialType, Password, PstnSipInfo, ReserveAssignHost,
    ReserveCallSetting, ReserveCallee, ReserveMeetingSetting, UpdateReserveBody, UserType,
};
use feishu_vc_emulator::{DEMO_USER_ALICE, DEMO_USER_BOB, Emulator};
use reqwest::Method;
use serde_json::json;

use crate::{alice_meeting, client, later, raw, unchecked_client};

fn call_to_a_phone() -> ReserveMeetingSetting {
    ReserveMeetingSetting::default()
        .set_meeting_initial_type(MeetingInitialType::Call)
        .set_call_setting(ReserveCallSetting::new(
            ReserveCallee::new(UserType::PstnUser)
                .set_pstn_sip_info(PstnSipInfo::new("+86-13800000000")),
        ))
}

async fn expect_code(
    result: feishu_vc::Result<impl std::fmt::Debug>,
    code: ErrorCode,
    status: u16,
) -> String {
    let err = result.unwrap_err();
    let api = err
        .api()
        .unwrap_or_else(|| panic!("an API error, got {err}"));
    assert_eq!(api.code, code, "{err}");
    assert_eq!(api.http_status, status, "{err}");
    assert!(api.log_id.is_some());
    api.msg.clone()
}

#[tokio::test]
async fn bad_password_is_123006() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = unchecked_client(&emulator);
    for bad in ["97", "0987654321", "abcd"] {
        let result = client
            .reserves()
            .apply(alice_meeting(&emulator, "x").set_meeting_settings(
                ReserveMeetingSetting::default().set_password(Password::digits(bad)),
            ))
            .await;
        let msg = expect_code(result, ErrorCode::InvalidPassword, 400).await;
        assert!(msg.contains("meeting_settings.password"), "{msg}");
        assert!(!msg.contains(bad), "the password is not echoed: {msg}");
    }
    assert!(emulator.state().reservations.is_empty());
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn eleven_hosts_is_123003() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = unchecked_client(&emulator);
    let hosts: Vec<ReserveAssignHost> = (0..11)
        .map(|_| {
            ReserveAssignHost::default()
                .set_id(DEMO_USER_BOB)
                .set_user_type(1)
        })
        .collect();
    let result = client
        .reserves()
        .apply(
            alice_meeting(&emulator, "x")
                .set_meeting_settings(ReserveMeetingSetting::default().set_assign_host_list(hosts)),
        )
        .await;
    expect_code(result, ErrorCode::AssignHostExceedMaxLimit, 400).await;
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn auto_record_on_a_call_is_123002() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = unchecked_client(&emulator);
    let result = client
        .reserves()
        .apply(
            ApplyReserveRequest::new(call_to_a_phone().set_auto_record(true))
                .set_owner_id(DEMO_USER_ALICE),
        )
        .await;
    expect_code(result, ErrorCode::RecordParamError, 400).await;

    // The same call without recording books; without end_time it lives 30 days.
    let earliest = later(&emulator, 30 * 86_400);
    let booked = client
        .reserves()
        .apply(ApplyReserveRequest::new(call_to_a_phone()).set_owner_id(DEMO_USER_ALICE))
        .await
        .unwrap();
    let r = booked.data.reserve;
    let end = r.end_time.unwrap();
    assert!(
        earliest <= end && end <= later(&emulator, 30 * 86_400),
        "{end:?}"
    );

    // An update cannot make it record either: the settings as they would be are checked.
    let result = client
        .reserves()
        .update(
            r.id.unwrap(),
            UpdateReserveBody::default()
                .set_meeting_settings(ReserveMeetingSetting::default().set_auto_record(true)),
        )
        .await;
    expect_code(result, ErrorCode::RecordParamError, 400).await;
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn meeting_connect_on_update_is_121003() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = unchecked_client(&emulator);
    let id = client
        .reserves()
        .apply(alice_meeting(&emulator, "x"))
        .await
        .unwrap()
        .data
        .reserve
        .id
        .unwrap();
    let result = client
        .reserves()
        .update(
            id.clone(),
            UpdateReserveBody::default()
                .set_meeting_settings(ReserveMeetingSetting::default().set_meeting_connect(true)),
        )
        .await;
    let msg = expect_code(result, ErrorCode::ParamError, 400).await;
    assert!(msg.contains("meeting_settings.meeting_connect"), "{msg}");

    // The same body, raw: the envelope lists the violation.
    let token = emulator.mint_tenant_token().await.unwrap();
    let answer = raw(
        Method::PUT,
        format!("{}/open-apis/vc/v1/reserves/{id}", emulator.base_url()),
        Some(token.expose_secret()),
        Some(json!({"meeting_settings": {"meeting_connect": false}})),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["code"], 121003);
    assert_eq!(
        answer.body["error"]["field_violations"][0]["field"],
        "meeting_settings.meeting_connect"
    );
    assert!(answer.body.get("data").is_none());
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_reservation_is_121004() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let id = "6911188411934973028";
    expect_code(
        client.reserves().get(id).await,
        ErrorCode::DataNotExist,
        404,
    )
    .await;
    expect_code(
        client
            .reserves()
            .update(
                id,
                UpdateReserveBody::default().set_end_time(later(&emulator, 60)),
            )
            .await,
        ErrorCode::DataNotExist,
        404,
    )
    .await;
    expect_code(
        client.reserves().delete(id).await,
        ErrorCode::DataNotExist,
        404,
    )
    .await;
    expect_code(
        client.reserves().get_active_meeting(id).await,
        ErrorCode::DataNotExist,
        404,
    )
    .await;
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn malformed_bodies_and_queries_are_121003() {
    let emulator = Emulator::start_default().await.unwrap();
    let secret = emulator.mint_tenant_token().await.unwrap();
    let token = Some(secret.expose_secret());
    let apply = format!("{}/open-apis/vc/v1/reserves/apply", emulator.base_url());
    let end = later(&emulator, 3600).to_string();
    let cases = [
        // A field the API does not have (Feishu answers 121003).
        json!({"end_time": end, "owner_id": DEMO_USER_ALICE, "meeting_settings": {"invitees": ["x"]}}),
        // A wrong type.
        json!({"end_time": end, "owner_id": DEMO_USER_ALICE, "meeting_settings": {"topic": 5}}),
        // No meeting_settings.
        json!({"end_time": end, "owner_id": DEMO_USER_ALICE}),
        // A group meeting without end_time (validation).
        json!({"owner_id": DEMO_USER_ALICE, "meeting_settings": {}}),
        // No owner_id with a tenant token (validation).
        json!({"end_time": end, "meeting_settings": {}}),
        // end_time more than 30 days ahead (validation, by the emulator's clock).
        json!({"end_time": later(&emulator, 31 * 86_400).to_string(), "owner_id": DEMO_USER_ALICE, "meeting_settings": {}}),
    ];
    for body in cases {
        let answer = raw(Method::POST, apply.clone(), token, Some(body.clone())).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.body["code"], 121003, "{body}: {}", answer.body);
    }
    let answer = raw(
        Method::POST,
        format!("{apply}?user_id_type=email"),
        token,
        Some(json!({})),
    )
    .await;
    assert_eq!(answer.body["code"], 121003);
    let not_json = crate::http()
        .post(apply)
        .bearer_auth(secret.expose_secret())
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 400);
    let body: serde_json::Value = not_json.json().await.unwrap();
    assert_eq!(body["code"], 121003);
    assert!(emulator.state().reservations.is_empty());
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_first_violation_is_answered_and_all_are_listed() {
    let emulator = Emulator::start_default().await.unwrap();
    let token = emulator.mint_tenant_token().await.unwrap();
    // Breaks two rules: the password (123006) and the missing owner (121003). In path order
    // "meeting_settings.password" comes first.
    let answer = raw(
        Method::POST,
        format!("{}/open-apis/vc/v1/reserves/apply", emulator.base_url()),
        Some(token.expose_secret()),
        Some(json!({"end_time": later(&emulator, 60).to_string(), "meeting_settings": {"password": "12"}})),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["code"], 123006);
    let msg = answer.body["msg"].as_str().unwrap();
    assert!(
        msg.starts_with("invalid password: meeting_settings.password"),
        "{msg}"
    );
    let fields: Vec<&str> = answer.body["error"]["field_violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["meeting_settings.password", "owner_id"]);
    emulator.shutdown().await.unwrap();
}
