//! Requests describe themselves without I/O: method, path, query and body.

use feishu_vc_model::*;
use serde_json::{Value, json};

fn body_json(http: &HttpRequest) -> Value {
    serde_json::from_slice(http.body.as_ref().expect("a body")).unwrap()
}

#[test]
fn apply_builds_post_with_query_and_body() {
    let request =
        ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("my meeting"))
            .set_end_time(Timestamp::from_unix_seconds(1_608_888_867))
            .set_owner_id("ou_1")
            .set_user_id_type(UserIdType::UnionId);
    let http = request.to_http().unwrap();
    assert_eq!(http.method, Method::Post);
    assert_eq!(http.path, "/open-apis/vc/v1/reserves/apply");
    assert_eq!(http.query, [("user_id_type", "union_id".to_owned())]);
    assert_eq!(
        body_json(&http),
        json!({"end_time": "1608888867", "owner_id": "ou_1", "meeting_settings": {"topic": "my meeting"}})
    );
}

#[test]
fn each_operation_has_its_method_and_path() {
    let get = GetReserveRequest::new("6911188411932033028")
        .to_http()
        .unwrap();
    assert_eq!(
        (get.method, get.path.as_str()),
        (Method::Get, "/open-apis/vc/v1/reserves/6911188411932033028")
    );
    assert!(get.body.is_none() && get.query.is_empty());

    let update = UpdateReserveRequest::new("6911188411932033028")
        .set_end_time(Timestamp::from_unix_seconds(1_608_888_867))
        .to_http()
        .unwrap();
    assert_eq!(
        (update.method, update.path.as_str()),
        (Method::Put, "/open-apis/vc/v1/reserves/6911188411932033028")
    );
    assert_eq!(body_json(&update), json!({"end_time": "1608888867"}));

    let delete = DeleteReserveRequest::new("42").to_http().unwrap();
    assert_eq!(
        (delete.method, delete.path.as_str()),
        (Method::Delete, "/open-apis/vc/v1/reserves/42")
    );
    assert!(delete.body.is_none());

    let active = GetActiveMeetingRequest::new("42")
        .set_with_participants(true)
        .set_user_id_type(UserIdType::UserId)
        .to_http()
        .unwrap();
    assert_eq!(active.method, Method::Get);
    assert_eq!(
        active.path,
        "/open-apis/vc/v1/reserves/42/get_active_meeting"
    );
    assert_eq!(
        active.query,
        [
            ("with_participants", "true".to_owned()),
            ("user_id_type", "user_id".to_owned())
        ]
    );

    let token = TenantAccessTokenInternalRequest::new("cli_a", SecretString::new("s3cret"))
        .to_http()
        .unwrap();
    assert_eq!(
        (token.method, token.path.as_str()),
        (
            Method::Post,
            "/open-apis/auth/v3/tenant_access_token/internal"
        )
    );
    assert_eq!(
        body_json(&token),
        json!({"app_id": "cli_a", "app_secret": "s3cret"})
    );
}

#[test]
fn path_parameters_are_percent_encoded_and_never_empty() {
    let http = GetReserveRequest::new("a/../b?c#d").to_http().unwrap();
    assert_eq!(http.path, "/open-apis/vc/v1/reserves/a%2F..%2Fb%3Fc%23d");
    for err in [
        GetReserveRequest::new("").to_http().unwrap_err(),
        DeleteReserveRequest::new("").to_http().unwrap_err(),
        UpdateReserveRequest::new("").to_http().unwrap_err(),
        GetActiveMeetingRequest::new("").to_http().unwrap_err(),
    ] {
        assert!(
            matches!(err, BuildError::EmptyPathParameter { name: "reserve_id" }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "path parameter `reserve_id` must not be empty"
        );
    }
}

#[test]
fn operation_table_matches_the_requests() {
    assert_eq!(OPERATIONS.len(), 17);
    let delete_event = <DeleteCalendarEventRequest as ApiRequest>::OPERATION;
    assert_eq!(
        delete_event.path_template,
        "/open-apis/calendar/v4/calendars/{calendar_id}/events/{event_id}"
    );
    assert!(delete_event.accepts(TokenKind::Tenant) && delete_event.accepts(TokenKind::User));
    assert!(delete_event.error_codes.contains(&ErrorCode::EventDeleted));
    let apply = <ApplyReserveRequest as ApiRequest>::OPERATION;
    assert_eq!(apply.id, "apply_reserve");
    assert_eq!(apply.path_template, "/open-apis/vc/v1/reserves/apply");
    assert!(apply.accepts(TokenKind::Tenant) && apply.accepts(TokenKind::User));
    assert_eq!(apply.scopes, ["vc:reserve"]);
    assert_eq!(
        apply.rate_limit,
        Some(RateLimit {
            per_second: 50,
            per_minute: 1000
        })
    );
    assert!(apply.error_codes.contains(&ErrorCode::InvalidPassword));
    assert!(apply.enveloped);
    let get = <GetReserveRequest as ApiRequest>::OPERATION;
    assert_eq!(get.scopes, ["vc:reserve:readonly"]);
    assert!(get.error_codes.contains(&ErrorCode::DataNotExist));
    assert!(
        !apply.error_codes.contains(&ErrorCode::DataNotExist),
        "apply documents no 121004"
    );
    let token = <TenantAccessTokenInternalRequest as ApiRequest>::OPERATION;
    assert!(token.token_kinds.is_empty());
    assert!(!token.enveloped);
    for op in OPERATIONS {
        assert!(op.path_template.starts_with("/open-apis/"), "{}", op.id);
    }
}

#[test]
fn debug_of_requests_hides_passwords_and_secrets() {
    let apply = ApplyReserveRequest::new(
        ReserveMeetingSetting::default().set_password(Password::digits("971024")),
    );
    let token = TenantAccessTokenInternalRequest::new("cli_a", SecretString::new("app-secret-xyz"));
    let shown = format!(
        "{apply:?} {token:?} {:?} {:?}",
        apply.to_http().unwrap(),
        token.to_http().unwrap()
    );
    assert!(!shown.contains("971024"), "{shown}");
    assert!(!shown.contains("app-secret-xyz"), "{shown}");
    assert!(shown.contains("cli_a"));
}

#[test]
fn meeting_and_recording_requests_build_their_paths_and_queries() {
    let list = ListMeetingsByNoRequest::new(
        "123456789",
        Timestamp::from_unix_seconds(1_608_888_867),
        Timestamp::from_unix_seconds(1_608_888_966),
    )
    .set_page_size(20)
    .set_page_token("5")
    .to_http()
    .unwrap();
    assert_eq!(list.method, Method::Get);
    assert_eq!(list.path, "/open-apis/vc/v1/meetings/list_by_no");
    assert_eq!(
        list.query,
        [
            ("meeting_no", "123456789".to_owned()),
            ("start_time", "1608888867".to_owned()),
            ("end_time", "1608888966".to_owned()),
            ("page_token", "5".to_owned()),
            ("page_size", "20".to_owned()),
        ]
    );
    let get = GetMeetingRequest::new("6911188411934433028")
        .set_with_participants(true)
        .set_with_meeting_ability(true)
        .to_http()
        .unwrap();
    assert_eq!(get.path, "/open-apis/vc/v1/meetings/6911188411934433028");
    assert_eq!(
        get.query,
        [
            ("with_participants", "true".to_owned()),
            ("with_meeting_ability", "true".to_owned()),
        ]
    );
    let grant = SetRecordingPermissionRequest::new(
        "6911188411934433028",
        [RecordingPermissionObject::new(
            RecordingPermissionLevel::View,
            RecordingPermissionType::Tenant,
        )],
    )
    .to_http()
    .unwrap();
    assert_eq!(grant.method, Method::Patch);
    assert_eq!(
        grant.path,
        "/open-apis/vc/v1/meetings/6911188411934433028/recording/set_permission"
    );
    assert_eq!(
        body_json(&grant),
        json!({"permission_objects": [{"type": 3, "permission": 1}]})
    );
    let stop = StopRecordingRequest::new("6911188411934433028")
        .to_http()
        .unwrap();
    assert_eq!(stop.method, Method::Patch);
    assert!(stop.body.is_none());
    // Recording control and grants take a user token only; reading takes either.
    for op in [
        <SetRecordingPermissionRequest as ApiRequest>::OPERATION,
        <StartRecordingRequest as ApiRequest>::OPERATION,
        <StopRecordingRequest as ApiRequest>::OPERATION,
    ] {
        assert!(
            op.accepts(TokenKind::User) && !op.accepts(TokenKind::Tenant),
            "{}",
            op.id
        );
    }
    let read = <GetRecordingRequest as ApiRequest>::OPERATION;
    assert!(read.accepts(TokenKind::Tenant) && read.accepts(TokenKind::User));
    assert_eq!(read.scopes, ["vc:record:readonly"]);
    assert!(read.error_codes.contains(&ErrorCode::RecordProcessing));
}
