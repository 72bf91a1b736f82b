//! `client.meetings()` and `client.recordings()` on the wire: what each puts there, what a
//! documented error code becomes, and that fields and enum values this version does not know are
//! read, not refused.

use std::sync::Mutex;

use feishu_vc::model::{
    ErrorCode, MeetingStatus, RecordingPermissionLevel, RecordingPermissionObject,
    RecordingPermissionType, SetRecordingPermissionBody,
};
use futures_util::StreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::*;

const MEETING_ID: &str = "6911188411932033028";
const MEETING_NO: &str = "112000358";

fn meeting_path(suffix: &str) -> String {
    format!("/open-apis/vc/v1/meetings/{MEETING_ID}{suffix}")
}

fn refused(code: i64, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({"code": code, "msg": msg}))
}

fn query_of(r: &Request) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
    pairs.sort();
    pairs
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    pairs.sort();
    pairs
}

#[tokio::test]
async fn get_meeting_reads_participants_and_tolerates_what_it_does_not_know() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    let expected = pairs(&[("with_participants", "true"), ("user_id_type", "open_id")]);
    Mock::given(method("GET"))
        .and(path(meeting_path("")))
        .and(bearer("t-1"))
        .and(move |r: &Request| query_of(r) == expected)
        .respond_with(ok(json!({"meeting": {
            "id": MEETING_ID, "topic": "Review", "meeting_no": MEETING_NO,
            "start_time": "1764000000", "end_time": "1764003600", "status": 9,
            "participant_count": "2", "a_field_added_later": {"x": 1},
            "participants": [
                {"id": OWNER, "first_join_time": "1764000000", "final_leave_time": "1764003600",
                 "in_meeting_duration": "3600", "is_host": true, "status": 2},
                {"id": "ou_b", "first_join_time": "1764000600", "final_leave_time": "1764001800",
                 "in_meeting_duration": "1200", "is_host": false, "status": 7}
            ]
        }})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let meeting = client(&server)
        .meetings()
        .get(MEETING_ID)
        .set_with_participants(true)
        .set_user_id_type(feishu_vc::model::UserIdType::OpenId)
        .await
        .unwrap()
        .data;
    assert_eq!(meeting.topic.as_deref(), Some("Review"));
    let status = meeting.status.unwrap();
    assert!(matches!(status, MeetingStatus::Unknown(_)));
    assert_eq!(status.value(), 9);
    let people = meeting.participants.unwrap();
    assert_eq!(people.len(), 2);
    assert_eq!(people[1].in_meeting_duration, Some(1200));
    assert_eq!(people[1].status.unwrap().value(), 7);
    assert_eq!(
        people[0].final_leave_time.unwrap().unix_seconds(),
        1_764_003_600
    );
}

#[tokio::test]
async fn get_meeting_of_an_unknown_id_is_its_documented_code_and_not_retried() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("GET"))
        .and(path(meeting_path("")))
        .respond_with(refused(122002, "meeting not exist"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let error = client(&server)
        .meetings()
        .get(MEETING_ID)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::MeetingNotExist), "{error}");
}

#[tokio::test]
async fn get_meeting_refuses_an_empty_id_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let error = client(&server).meetings().get("").await.unwrap_err();
    let violations = error.violations().expect("a validation error");
    assert!(
        violations.iter().any(|v| v.path() == "meeting_id"),
        "{error}"
    );
}

/// list_by_no over `total` meetings, `page_size` a page, with the page token an offset.
struct Listing {
    total: usize,
    seen: Mutex<Vec<Option<String>>>,
}

impl Respond for Listing {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let query: std::collections::HashMap<String, String> =
            r.url.query_pairs().into_owned().collect();
        let token = query.get("page_token").cloned();
        self.seen.lock().unwrap().push(token.clone());
        let from: usize = token.map_or(0, |t| t.trim_start_matches("p").parse().unwrap());
        let size: usize = query["page_size"].parse().unwrap();
        let to = (from + size).min(self.total);
        let briefs: Vec<Value> = (from..to)
            .map(|i| {
                json!({"id": format!("m-{i:03}"), "meeting_no": MEETING_NO,
                            "start_time": (1_764_000_000 + i * 60).to_string()})
            })
            .collect();
        let more = to < self.total;
        let mut data = json!({"has_more": more, "meeting_briefs": briefs});
        if more {
            data["page_token"] = json!(format!("p{to}"));
        }
        ok(data)
    }
}

#[tokio::test]
async fn list_by_no_streams_every_meeting_once_in_order_over_all_pages() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    let listing = Listing {
        total: 250,
        seen: Mutex::new(Vec::new()),
    };
    Mock::given(method("GET"))
        .and(path("/open-apis/vc/v1/meetings/list_by_no"))
        .and(|r: &Request| {
            let q: std::collections::HashMap<String, String> =
                r.url.query_pairs().into_owned().collect();
            q.get("meeting_no").map(String::as_str) == Some(MEETING_NO)
                && q.get("start_time").map(String::as_str) == Some("1764000000")
                && q.get("end_time").map(String::as_str) == Some("1764086400")
        })
        .respond_with(listing)
        .expect(13)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client(&server);
    let ids: Vec<String> = client
        .meetings()
        .list_by_no(
            MEETING_NO,
            feishu_vc::model::Timestamp::from_unix_seconds(1_764_000_000),
            feishu_vc::model::Timestamp::from_unix_seconds(1_764_086_400),
        )
        .set_page_size(20)
        .into_stream()
        .map(|m| m.unwrap().id.unwrap().as_str().to_owned())
        .collect()
        .await;
    let expected: Vec<String> = (0..250).map(|i| format!("m-{i:03}")).collect();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn a_page_that_says_more_without_a_token_ends_the_stream_with_an_error() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("GET"))
        .and(path("/open-apis/vc/v1/meetings/list_by_no"))
        .respond_with(ok(
            json!({"has_more": true, "meeting_briefs": [{"id": "m-1"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server);
    let items: Vec<_> = client
        .meetings()
        .list_by_no(
            MEETING_NO,
            feishu_vc::model::Timestamp::from_unix_seconds(1_764_000_000),
            feishu_vc::model::Timestamp::from_unix_seconds(1_764_086_400),
        )
        .into_stream()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    let error = items[1].as_ref().unwrap_err();
    assert!(matches!(error, feishu_vc::Error::Decode(_)), "{error}");
    // The cause names the field that is missing.
    let mut chain = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        chain.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    assert!(chain.contains("page_token"), "{chain}");
}

#[tokio::test]
async fn list_by_no_refuses_a_bad_number_or_window_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let error = client(&server)
        .meetings()
        .list_by_no(
            "12345",
            feishu_vc::model::Timestamp::from_unix_seconds(1_764_086_400),
            feishu_vc::model::Timestamp::from_unix_seconds(1_764_000_000),
        )
        .set_page_size(51)
        .await
        .unwrap_err();
    let paths: Vec<String> = error
        .violations()
        .expect("a validation error")
        .iter()
        .map(|v| v.path().to_string())
        .collect();
    for field in ["meeting_no", "end_time", "page_size"] {
        assert!(paths.iter().any(|p| p == field), "{field} in {paths:?}");
    }
}

#[tokio::test]
async fn a_recording_is_read_and_one_still_processing_is_its_documented_code() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("GET"))
        .and(path(meeting_path("/recording")))
        .respond_with(ok(json!({"recording": {
            "url": "https://meetings.feishu.cn/minutes/obcn1", "duration": "30000",
            "a_field_added_later": true}})))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(meeting_path("/recording")))
        .respond_with(refused(124002, "record processing"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server);
    let recording = client.recordings().get(MEETING_ID).await.unwrap().data;
    assert_eq!(recording.duration, Some(30_000));
    assert_eq!(
        recording.url.as_deref(),
        Some("https://meetings.feishu.cn/minutes/obcn1")
    );
    let error = client.recordings().get(MEETING_ID).await.unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::RecordProcessing), "{error}");
}

#[tokio::test]
async fn recording_permission_start_and_stop_send_their_documented_bodies() {
    let server = MockServer::start().await;
    let user = "u-host-token";
    Mock::given(method("PATCH"))
        .and(path(meeting_path("/recording/set_permission")))
        .and(bearer(user))
        .and(body_json(json!({"permission_objects": [
            {"id": "ou_b", "type": 1, "permission": 1}, {"type": 3, "permission": 1}]})))
        .respond_with(ok(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(meeting_path("/recording/start")))
        .and(bearer(user))
        .and(body_json(json!({"timezone": 8})))
        .respond_with(ok(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(meeting_path("/recording/stop")))
        .and(bearer(user))
        .respond_with(refused(122001, "meeting status unexpected"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server);
    let grantees = SetRecordingPermissionBody::new([
        RecordingPermissionObject::new(
            RecordingPermissionLevel::View,
            RecordingPermissionType::User,
        )
        .set_id("ou_b"),
        RecordingPermissionObject::new(
            RecordingPermissionLevel::View,
            RecordingPermissionType::Tenant,
        ),
    ]);
    client
        .recordings()
        .set_permission(MEETING_ID, grantees)
        .with_user_access_token(user)
        .await
        .unwrap();
    client
        .recordings()
        .start(MEETING_ID)
        .set_timezone(8)
        .with_user_access_token(user)
        .await
        .unwrap();
    let error = client
        .recordings()
        .stop(MEETING_ID)
        .with_user_access_token(user)
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        Some(ErrorCode::MeetingStatusUnexpected),
        "{error}"
    );
}

#[tokio::test]
async fn a_grantee_without_an_id_or_a_bad_time_zone_is_refused_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);
    let nobody = SetRecordingPermissionBody::new([RecordingPermissionObject::new(
        RecordingPermissionLevel::View,
        RecordingPermissionType::User,
    )]);
    let error = client
        .recordings()
        .set_permission(MEETING_ID, nobody)
        .with_user_access_token("u-1")
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("permission_objects[0].id"), "{text}");
    let error = client
        .recordings()
        .start(MEETING_ID)
        .set_timezone(14)
        .with_user_access_token("u-1")
        .await
        .unwrap_err();
    assert!(
        error
            .violations()
            .is_some_and(|v| v.iter().any(|v| v.path() == "timezone"))
    );
}
