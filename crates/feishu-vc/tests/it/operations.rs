//! Each operation puts exactly the documented method, path, query, token and JSON body on the wire.

use feishu_vc::model::{
    ApplyReserveRequest, MeetingStatus, ReserveAssignHost, ReserveMeetingSetting,
    UpdateReserveBody, UserIdType,
};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, Request};

use crate::support::*;

#[tokio::test]
async fn apply_sends_the_seed_body_exactly_with_bearer_token() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    let (body, wire) = seed_apply_body();
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .and(|r: &Request| r.url.query().is_none())
        .and(bearer("t-1"))
        .and(wiremock::matchers::header(
            "content-type",
            "application/json; charset=utf-8",
        ))
        .and(body_json(&wire))
        .respond_with(ok(seed_apply_response()["data"].clone()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client(&server);
    let booked = client
        .reserves()
        .apply(ApplyReserveRequest::from_body(body))
        .await
        .unwrap();
    assert_eq!(booked.data.reserve_id, RESERVE_ID);
    assert_eq!(booked.data.meeting_no, "112000358");
    let reserve = booked.data.reserve;
    assert_eq!(reserve.password.unwrap().expose_secret(), "971024");
    assert_eq!(booked.http_status, 200);
}

#[tokio::test]
async fn apply_set_user_id_type_sends_it_in_the_query() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    let request = valid_apply();
    let wire = serde_json::to_value(&request.body).unwrap();
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .and(|r: &Request| r.url.query() == Some("user_id_type=user_id"))
        .and(bearer("t-1"))
        .and(body_json(&wire))
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    client(&server)
        .reserves()
        .apply(request)
        .set_user_id_type(UserIdType::UserId)
        .await
        .unwrap();
}

#[tokio::test]
async fn get_sends_get_on_the_reserve_path_without_body_or_query() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("GET"))
        .and(path(reserve_path(RESERVE_ID)))
        .and(|r: &Request| r.url.query().is_none())
        .and(bearer("t-1"))
        .and(no_body)
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let got = client(&server).reserves().get(RESERVE_ID).await.unwrap();
    assert_eq!(got.data.reserve.unwrap().id.unwrap(), RESERVE_ID);
    assert_eq!(got.log_id.as_deref(), Some("log-ok"));
}

#[tokio::test]
async fn update_renews_end_time_sending_only_end_time() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    let renewed = in_one_hour()
        .checked_add(std::time::Duration::from_secs(86_400))
        .unwrap();
    Mock::given(method("PUT"))
        .and(path(reserve_path(RESERVE_ID)))
        .and(|r: &Request| r.url.query() == Some("user_id_type=open_id"))
        .and(bearer("t-1"))
        .and(body_json(json!({"end_time": renewed.to_string()})))
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    client(&server)
        .reserves()
        .update(
            RESERVE_ID,
            UpdateReserveBody::default().set_end_time(renewed),
        )
        .set_user_id_type(UserIdType::OpenId)
        .await
        .unwrap();
}

#[tokio::test]
async fn update_clearing_hosts_sends_an_empty_list() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    let end = in_one_hour();
    Mock::given(method("PUT"))
        .and(path(reserve_path(RESERVE_ID)))
        .and(|r: &Request| r.url.query().is_none())
        .and(bearer("t-1"))
        .and(body_json(json!({
            "end_time": end.to_string(),
            "meeting_settings": {"assign_host_list": []}
        })))
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let changes = UpdateReserveBody::default()
        .set_end_time(end)
        .set_meeting_settings(
            ReserveMeetingSetting::default().set_assign_host_list(Vec::<ReserveAssignHost>::new()),
        );
    client(&server)
        .reserves()
        .update(RESERVE_ID, changes)
        .await
        .unwrap();
}

#[tokio::test]
async fn delete_sends_delete_without_body_and_accepts_empty_data() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("DELETE"))
        .and(path(reserve_path(RESERVE_ID)))
        .and(|r: &Request| r.url.query().is_none())
        .and(bearer("t-1"))
        .and(no_body)
        .respond_with(ok(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let deleted = client(&server).reserves().delete(RESERVE_ID).await.unwrap();
    assert_eq!(deleted.http_status, 200);
}

#[tokio::test]
async fn get_active_meeting_sends_with_participants_and_user_id_type() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{}/get_active_meeting",
            reserve_path(RESERVE_ID)
        )))
        .and(|r: &Request| r.url.query() == Some("with_participants=true&user_id_type=union_id"))
        .and(bearer("t-1"))
        .and(no_body)
        .respond_with(ok(json!({"meeting": {
            "id": "6911188411932033028",
            "topic": "my meeting",
            "meeting_no": "112000358",
            "status": 2,
            "participants": [{"id": "on_1", "is_host": true}]
        }})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let active = client(&server)
        .reserves()
        .get_active_meeting(RESERVE_ID)
        .set_with_participants(true)
        .set_user_id_type(UserIdType::UnionId)
        .await
        .unwrap();
    let meeting = active.data.meeting.unwrap();
    assert_eq!(meeting.status, Some(MeetingStatus::from_value(2)));
    assert_eq!(meeting.participants.unwrap().len(), 1);
}

#[tokio::test]
async fn reserve_ids_are_percent_encoded_in_the_path() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("GET"))
        .and(|r: &Request| r.url.path() == "/open-apis/vc/v1/reserves/a%2Fb%3Fc")
        .and(|r: &Request| r.url.query().is_none())
        .and(bearer("t-1"))
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    client(&server).reserves().get("a/b?c").await.unwrap();
}
