//! Invalid requests are refused before anything is sent: no API request and no token request.

use feishu_vc::model::{
    ApplyReserveRequest, ErrorCode, Password, ReserveAssignHost, ReserveMeetingSetting,
    UpdateReserveBody,
};
use feishu_vc::{Error, Warning};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::support::*;

/// A server that expects nothing at all: the token endpoint is mounted with `.expect(0)` and
/// everything else falls to the catch-all.
async fn silent_server() -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 0).await;
    catch_all(&server).await;
    server
}

/// The (path, code) pairs of a local refusal.
fn violations(err: &Error) -> Vec<(String, ErrorCode)> {
    assert!(err.is_invalid_request(), "{err:?}");
    err.violations()
        .unwrap_or_else(|| panic!("no violations in {err:?}"))
        .iter()
        .map(|v| (v.path().to_owned(), v.code()))
        .collect()
}

#[tokio::test]
async fn bad_password_is_refused_before_sending() {
    let server = silent_server().await;
    let request = valid_apply().set_meeting_settings(
        ReserveMeetingSetting::default()
            .set_topic("t")
            .set_password(Password::digits("12")),
    );
    let err = client(&server).reserves().apply(request).await.unwrap_err();
    assert_eq!(
        violations(&err),
        [(
            "meeting_settings.password".to_owned(),
            ErrorCode::InvalidPassword
        )]
    );
    assert_eq!(
        err.violations().unwrap().code(),
        Some(ErrorCode::InvalidPassword)
    );
}

#[tokio::test]
async fn eleven_hosts_are_refused_before_sending() {
    let server = silent_server().await;
    let hosts: Vec<ReserveAssignHost> = (0..11)
        .map(|i| ReserveAssignHost::default().set_id(format!("ou_{i}")))
        .collect();
    let request = valid_apply()
        .set_meeting_settings(ReserveMeetingSetting::default().set_assign_host_list(hosts));
    let err = client(&server).reserves().apply(request).await.unwrap_err();
    assert_eq!(
        violations(&err),
        [(
            "meeting_settings.assign_host_list".to_owned(),
            ErrorCode::AssignHostExceedMaxLimit
        )]
    );

    // The same rule holds on update.
    let changes = UpdateReserveBody::default().set_meeting_settings(
        ReserveMeetingSetting::default().set_assign_host_list(
            (0..11).map(|i| ReserveAssignHost::default().set_id(format!("ou_{i}"))),
        ),
    );
    let err = client(&server)
        .reserves()
        .update(RESERVE_ID, changes)
        .await
        .unwrap_err();
    assert_eq!(
        violations(&err),
        [(
            "meeting_settings.assign_host_list".to_owned(),
            ErrorCode::AssignHostExceedMaxLimit
        )]
    );
}

#[tokio::test]
async fn missing_owner_id_with_tenant_token_is_refused_before_sending() {
    let server = silent_server().await;
    let request = ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("t"))
        .set_end_time(in_one_hour());
    // With the client's app credentials (tenant tokens) …
    let err = client(&server)
        .reserves()
        .apply(request.clone())
        .await
        .unwrap_err();
    assert_eq!(
        violations(&err),
        [("owner_id".to_owned(), ErrorCode::ParamError)]
    );
    // … and with a tenant token given for the call.
    let err = client(&server)
        .reserves()
        .apply(request)
        .with_tenant_access_token("t-caller")
        .await
        .unwrap_err();
    assert_eq!(
        violations(&err),
        [("owner_id".to_owned(), ErrorCode::ParamError)]
    );
}

#[tokio::test]
async fn owner_id_with_user_token_is_sent_and_flagged_as_ignored() {
    // Feishu ignores owner_id when a user token is used (the user owns the meeting): the request
    // goes out, without a tenant token, and the caller is told the field had no effect.
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 0).await;
    Mock::given(method("POST"))
        .and(path("/open-apis/vc/v1/reserves/apply"))
        .and(bearer("u-caller"))
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let booked = client(&server)
        .reserves()
        .apply(valid_apply())
        .with_user_access_token("u-caller")
        .await
        .unwrap();
    assert_eq!(booked.warnings.len(), 1, "{:?}", booked.warnings);
    let Warning::Ignored { path, reason } = &booked.warnings[0] else {
        panic!("{:?}", booked.warnings)
    };
    assert_eq!(path, "owner_id");
    assert!(reason.contains("user_access_token"), "{reason}");
}

#[tokio::test]
async fn empty_reserve_id_is_refused_before_sending() {
    let server = silent_server().await;
    let client = client(&server);
    let expected = [("reserve_id".to_owned(), ErrorCode::ParamError)];
    let reserves = client.reserves();
    assert_eq!(violations(&reserves.get("").await.unwrap_err()), expected);
    assert_eq!(
        violations(&reserves.delete("").await.unwrap_err()),
        expected
    );
    assert_eq!(
        violations(&reserves.get_active_meeting("").await.unwrap_err()),
        expected
    );
    let renew = UpdateReserveBody::default().set_end_time(in_one_hour());
    assert_eq!(
        violations(&reserves.update("", renew).await.unwrap_err()),
        expected
    );
}

#[tokio::test]
async fn empty_reserve_id_is_refused_even_with_validation_off() {
    let server = silent_server().await;
    let client = builder(&server.uri()).validation(false).build().unwrap();
    for err in [
        client.reserves().get("").await.unwrap_err(),
        client.reserves().delete("").await.unwrap_err(),
    ] {
        assert!(err.is_invalid_request(), "{err:?}");
        assert!(err.to_string().contains("reserve_id"), "{err}");
    }
}

#[tokio::test]
async fn dot_segment_reserve_ids_are_refused_before_sending() {
    // `..` or `.` as a reservation id would otherwise address another resource once the URL is
    // normalised (DELETE /open-apis/vc/v1/reserves/ or /open-apis/vc/v1/).
    let server = silent_server().await;
    let client = client(&server);
    for id in ["..", "."] {
        let err = client.reserves().delete(id).await.unwrap_err();
        assert!(err.is_invalid_request(), "{id}: {err:?}");
        let err = client.reserves().get(id).await.unwrap_err();
        assert!(err.is_invalid_request(), "{id}: {err:?}");
    }
}

#[tokio::test]
async fn validation_checks_end_time_against_the_injected_clock() {
    // A clock 40 days behind the system's: an end_time an hour from (real) now is more than 30
    // days after it, so the request is refused locally.
    let server = silent_server().await;
    let forty_days_ago = feishu_vc::model::Timestamp::now()
        .checked_sub(std::time::Duration::from_secs(40 * 24 * 3600))
        .unwrap();
    let client = builder(&server.uri())
        .validation_clock(move || forty_days_ago)
        .build()
        .unwrap();
    let err = client.reserves().apply(valid_apply()).await.unwrap_err();
    assert_eq!(
        violations(&err),
        [("end_time".to_owned(), ErrorCode::ParamError)]
    );
}
