//! The wire conventions: absent versus empty, open enums, lenient responses, error codes.

use feishu_vc_model::*;
use serde_json::{Value, json};

#[test]
fn absent_and_empty_lists_stay_apart() {
    let absent =
        UpdateReserveBody::default().set_meeting_settings(ReserveMeetingSetting::default());
    assert_eq!(
        serde_json::to_value(&absent).unwrap(),
        json!({"meeting_settings": {}})
    );
    let cleared = UpdateReserveBody::default().set_meeting_settings(
        ReserveMeetingSetting::default().set_assign_host_list(Vec::<ReserveAssignHost>::new()),
    );
    assert_eq!(
        serde_json::to_value(&cleared).unwrap(),
        json!({"meeting_settings": {"assign_host_list": []}})
    );
    let back: UpdateReserveBody =
        serde_json::from_value(json!({"meeting_settings": {"assign_host_list": []}})).unwrap();
    assert_eq!(
        back.meeting_settings.unwrap().assign_host_list,
        Some(vec![])
    );
}

#[test]
fn password_tri_state_reaches_the_wire() {
    let settings = |p: Option<Password>| {
        let mut s = ReserveMeetingSetting::default();
        s.password = p;
        serde_json::to_value(s).unwrap()
    };
    assert_eq!(settings(None), json!({}));
    assert_eq!(
        settings(Some(Password::no_password())),
        json!({"password": ""})
    );
    assert_eq!(
        settings(Some(Password::digits("1234"))),
        json!({"password": "1234"})
    );
}

#[test]
fn unknown_enum_values_round_trip() {
    let json = json!({"permission": 9, "permission_checkers": [{"check_field": 7, "check_mode": 1, "check_list": ["x"]}]});
    let p: ReserveActionPermission = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(p.permission.unwrap().value(), 9);
    assert!(!p.permission.unwrap().is_known());
    assert_eq!(
        p.permission_checkers.as_ref().unwrap()[0].check_mode,
        Some(CheckMode::Within)
    );
    assert_eq!(serde_json::to_value(&p).unwrap(), json);
    assert_eq!(MeetingStatus::from_value(3), MeetingStatus::Ended);
    assert_eq!(i64::from(UserType::PstnUser), 6);
    assert_eq!(
        format!("{:?}", MeetingStatus::from_value(42)),
        "Unknown(42)"
    );
}

#[test]
fn responses_ignore_unknown_fields_and_accept_numbers_for_strings() {
    let json = json!({
        "code": 0, "msg": "success", "brand_new_top_level": true,
        "data": {"meeting": {
            "id": 6911188411934433028_u64, "meeting_no": "112000358", "start_time": 1608883899,
            "participant_count": 3, "status": 4, "a_field_from_2030": {"x": 1},
            "participants": [{"id": "ou_1", "in_meeting_duration": "1000", "status": 9}]
        }}
    });
    let r: GetActiveMeetingResponse = serde_json::from_value(json).unwrap();
    let m = r.data.unwrap().meeting.unwrap();
    assert_eq!(m.id.unwrap(), "6911188411934433028");
    assert_eq!(m.start_time.unwrap().unix_seconds(), 1_608_883_899);
    assert_eq!(m.participant_count, Some(3));
    assert_eq!(m.status.unwrap().value(), 4);
    let p = &m.participants.unwrap()[0];
    assert_eq!(p.in_meeting_duration, Some(1000));
    assert_eq!(p.status.unwrap().value(), 9);
}

#[test]
fn counts_are_written_as_strings() {
    let mut m: Meeting = serde_json::from_value(json!({})).unwrap();
    m.participant_count = Some(12);
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"participant_count": "12"})
    );
    assert!(serde_json::from_value::<Meeting>(json!({"participant_count": "twelve"})).is_err());
}

#[test]
fn error_codes_are_known_with_meaning_and_unknown_ones_kept() {
    let code = ErrorCode::from_code(123_006);
    assert_eq!(code, ErrorCode::InvalidPassword);
    assert_eq!(code.http_status(), Some(400));
    assert_eq!(code.msg(), Some("invalid password"));
    assert!(code.advice().unwrap().contains("4～9"));
    assert_eq!(code.to_string(), "123006 (invalid password)");
    assert!(ErrorCode::from_code(99_991_663).is_token_rejected());
    assert!(ErrorCode::from_code(99_991_400).is_rate_limited());
    let unknown = ErrorCode::from_code(555);
    assert_eq!(unknown.code(), 555);
    assert_eq!(unknown.msg(), None);
    for code in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_code(code.code()), *code);
    }
    let v: Value = serde_json::to_value(ErrorCode::NoPermission).unwrap();
    assert_eq!(v, json!(121005));
}

#[test]
fn user_id_type_parses_and_defaults_to_open_id() {
    assert_eq!(UserIdType::default(), UserIdType::OpenId);
    assert_eq!(
        "union_id".parse::<UserIdType>().unwrap(),
        UserIdType::UnionId
    );
    let err = "email".parse::<UserIdType>().unwrap_err();
    assert!(err.to_string().contains("`open_id`"), "{err}");
}

#[test]
fn string_enums_in_answers_keep_values_they_do_not_know_and_write_them_back() {
    let event: CalendarEvent = serde_json::from_value(serde_json::json!({
        "vchat": {"vc_type": "third_party_meeting", "icon_type": "vc"},
        "status": "confirmed"
    }))
    .unwrap();
    let vchat = event.vchat.clone().unwrap();
    let kind = vchat.vc_type.unwrap();
    assert!(!kind.is_known());
    assert_eq!(kind.as_str(), "third_party_meeting");
    assert_eq!(vchat.icon_type, Some(CalendarVchatIconType::Vc));
    assert_eq!(event.status, Some(CalendarEventStatus::Confirmed));
    let back = serde_json::to_value(&event).unwrap();
    assert_eq!(back["vchat"]["vc_type"], "third_party_meeting");
    // Parsing (for input) still takes only the listed values.
    assert!("third_party_meeting".parse::<CalendarVchatType>().is_err());
    assert_eq!(
        "third_party".parse::<CalendarVchatType>(),
        Ok(CalendarVchatType::ThirdParty)
    );
}
