//! Hosts Feishu rejected: a warning by default, an error in strict mode.

use feishu_vc::Error;
use feishu_vc::Warning;
use feishu_vc::model::{ReserveAssignHost, ReserveMeetingSetting, UpdateReserveBody, UserId};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

fn rejected_hosts_answer() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-tt-logid", "log-hosts")
        .set_body_json(json!({"code": 0, "msg": "success", "data": {
            "reserve": {"id": RESERVE_ID, "meeting_no": "112000358"},
            "reserve_correction_check_info": {"invalid_host_id_list": ["ou_x"]}
        }}))
}

fn with_hosts() -> feishu_vc::model::ApplyReserveRequest {
    valid_apply().set_meeting_settings(
        ReserveMeetingSetting::default()
            .set_topic("t")
            .set_assign_host_list([ReserveAssignHost::default().set_id("ou_x")]),
    )
}

#[tokio::test]
async fn rejected_hosts_on_apply_are_a_warning() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(rejected_hosts_answer())
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let booked = client(&server)
        .reserves()
        .apply(with_hosts())
        .await
        .unwrap();
    assert_eq!(
        booked.warnings,
        [Warning::InvalidHostIds(vec![UserId::from("ou_x")])]
    );
    assert!(booked.warnings[0].to_string().contains("ou_x"));
    assert_eq!(booked.data.reserve_id, RESERVE_ID);
}

#[tokio::test]
async fn rejected_hosts_on_update_are_a_warning() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("PUT"))
        .and(path(reserve_path(RESERVE_ID)))
        .respond_with(rejected_hosts_answer())
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let changes = UpdateReserveBody::default().set_meeting_settings(
        ReserveMeetingSetting::default()
            .set_assign_host_list([ReserveAssignHost::default().set_id("ou_x")]),
    );
    let updated = client(&server)
        .reserves()
        .update(RESERVE_ID, changes)
        .await
        .unwrap();
    assert_eq!(
        updated.warnings,
        [Warning::InvalidHostIds(vec![UserId::from("ou_x")])]
    );
}

#[tokio::test]
async fn rejected_hosts_in_strict_mode_are_an_error_with_the_reserve_id() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(rejected_hosts_answer())
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = builder(&server.uri())
        .strict_host_check(true)
        .build()
        .unwrap();
    let err = client.reserves().apply(with_hosts()).await.unwrap_err();
    let Error::HostsRejected(rejected) = &err else {
        panic!("expected HostsRejected, got {err:?}");
    };
    assert_eq!(rejected.invalid_host_ids, [UserId::from("ou_x")]);
    assert_eq!(rejected.reserve_id.as_ref().unwrap(), RESERVE_ID);
    assert_eq!(rejected.meeting_no.as_ref().unwrap(), "112000358");
    assert_eq!(err.log_id(), Some("log-hosts"));
    assert!(err.to_string().contains(RESERVE_ID), "{err}");
}

#[tokio::test]
async fn strict_mode_without_rejected_hosts_succeeds_without_warnings() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(ok(json!({
            "reserve": {"id": RESERVE_ID, "meeting_no": "112000358"},
            "reserve_correction_check_info": {"invalid_host_id_list": []}
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = builder(&server.uri())
        .strict_host_check(true)
        .build()
        .unwrap();
    let booked = client.reserves().apply(with_hosts()).await.unwrap();
    assert!(booked.warnings.is_empty());
}
