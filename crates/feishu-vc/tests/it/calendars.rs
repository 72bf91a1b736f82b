//! `client.calendars()` on the wire: the placement recipe (primary calendar, event with the
//! reservation's link as a third-party meeting, attendees), moving and deleting the event, what
//! documented Calendar codes become, what is refused before sending, and that fields and enum
//! values this version does not know are read, not refused.

use feishu_vc::model::{
    CalendarEventStatus, CalendarTimeInfo, CalendarVchatType, ErrorCode, PatchCalendarEventBody,
    ReserveId, Timestamp,
};
use feishu_vc::{Placement, reservation_event_key};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::*;

const CALENDAR: &str = "feishu.cn_app0001@group.calendar.feishu.cn";
const EVENT: &str = "0d3c5e8a-1b2c-4d5e-8f90-a1b2c3d4e5f6_0";
const URL: &str = "https://vc.feishu.cn/j/337736498";

/// The path as sent: the calendar id's `@` percent-encoded, like every byte outside RFC 3986's
/// unreserved set.
fn events_path(suffix: &str) -> String {
    let calendar = CALENDAR.replace('@', "%40");
    format!("/open-apis/calendar/v4/calendars/{calendar}/events{suffix}")
}

fn refused(status: u16, code: i64, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"code": code, "msg": msg}))
}

fn event_answer(end: i64) -> Value {
    json!({"event": {
        "event_id": EVENT, "organizer_calendar_id": CALENDAR, "summary": "Interview",
        "start_time": {"timestamp": "1764000000", "timezone": "Asia/Shanghai"},
        "end_time": {"timestamp": end.to_string(), "timezone": "Asia/Shanghai"},
        "vchat": {"vc_type": "third_party_meeting", "meeting_url": URL},
        "status": "rescheduled", "a_field_added_later": {"x": 1}
    }})
}

#[tokio::test]
async fn place_finds_the_primary_calendar_creates_the_event_once_and_adds_the_attendees() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path("/open-apis/calendar/v4/calendars/primary"))
        .and(bearer("t-1"))
        .respond_with(ok(json!({"calendars": [{"calendar": {
            "calendar_id": CALENDAR, "type": "primary", "role": "owner",
            "permissions": "private", "a_field_added_later": true
        }, "user_id": ""}]})))
        .expect(1)
        .mount(&server)
        .await;
    let reserve_id = ReserveId::from(RESERVE_ID);
    let key = reservation_event_key(&reserve_id);
    Mock::given(method("POST"))
        .and(path(events_path("")))
        .and(query_param("idempotency_key", key.as_str()))
        .and(body_json(json!({
            "summary": "Interview",
            "start_time": {"timestamp": "1764000000"},
            "end_time": {"timestamp": "1764003600"},
            "vchat": {"vc_type": "third_party", "icon_type": "vc", "meeting_url": URL}
        })))
        .respond_with(ok(event_answer(1_764_003_600)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(events_path(&format!("/{EVENT}/attendees"))))
        .and(body_json(json!({"attendees": [
            {"type": "user", "user_id": OWNER},
            {"type": "user", "user_id": "ou_b"}
        ]})))
        .respond_with(ok(json!({"attendees": [
            {"type": "user", "attendee_id": "user_1", "rsvp_status": "needs_action", "user_id": OWNER},
            {"type": "user", "attendee_id": "user_2", "rsvp_status": "maybe_later", "user_id": "ou_b"}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let placement = Placement::of_reservation(
        &reserve_id,
        URL,
        Timestamp::from_unix_seconds(1_764_000_000),
        Timestamp::from_unix_seconds(1_764_003_600),
    )
    .summary("Interview")
    .attendee(OWNER)
    .attendee("ou_b")
    .attendee(OWNER);
    let placed = client(&server).calendars().place(placement).await.unwrap();
    assert_eq!(placed.calendar_id, CALENDAR);
    assert_eq!(placed.event_id, EVENT);
    assert!(key.len() >= 32, "{key}");
    let vchat = placed.event.vchat.unwrap();
    assert!(matches!(vchat.vc_type, Some(CalendarVchatType::Unknown(_))));
    assert!(matches!(
        placed.event.status,
        Some(CalendarEventStatus::Unknown(_))
    ));
    assert_eq!(placed.attendees.len(), 2);
    assert_eq!(
        placed.attendees[1].rsvp_status.as_ref().unwrap().as_str(),
        "maybe_later"
    );
}

#[tokio::test]
async fn place_on_a_named_calendar_skips_the_primary_lookup_and_its_refusal_is_typed() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(events_path("")))
        .respond_with(refused(403, 191002, "no calendar access_role"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let placement = Placement::new(
        URL,
        Timestamp::from_unix_seconds(1_764_000_000),
        Timestamp::from_unix_seconds(1_764_003_600),
        "feishu-vc-reserve-a-key-of-at-least-32-chars",
    )
    .calendar(CALENDAR)
    .attendee(OWNER);
    let error = client(&server)
        .calendars()
        .place(placement)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::CalendarNoAccess), "{error}");
}

#[tokio::test]
async fn patch_event_sends_only_the_new_end_and_reads_the_event() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("PATCH"))
        .and(path(events_path(&format!("/{EVENT}"))))
        .and(body_json(json!({"end_time": {"timestamp": "1764007200"}})))
        .respond_with(ok(event_answer(1_764_007_200)))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let changes = PatchCalendarEventBody::default().set_end_time(
        CalendarTimeInfo::default().set_timestamp(Timestamp::from_unix_seconds(1_764_007_200)),
    );
    let event = client(&server)
        .calendars()
        .patch_event(CALENDAR, EVENT, changes)
        .await
        .unwrap()
        .data;
    let end = event.end_time.unwrap().timestamp.unwrap();
    assert_eq!(end.unix_seconds(), 1_764_007_200);
}

#[tokio::test]
async fn delete_event_sends_need_notification_and_a_deleted_event_is_its_code() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("DELETE"))
        .and(path(events_path(&format!("/{EVENT}"))))
        .and(query_param("need_notification", "false"))
        .and(no_body)
        .respond_with(ok(json!({"a_field_added_later": 1})))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(events_path(&format!("/{EVENT}"))))
        .respond_with(refused(403, 193003, "event is deleted"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server);
    client
        .calendars()
        .delete_event(CALENDAR, EVENT)
        .set_need_notification(false)
        .await
        .unwrap();
    let again = client
        .calendars()
        .delete_event(CALENDAR, EVENT)
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some(ErrorCode::EventDeleted), "{again}");
}

#[tokio::test]
async fn bad_events_and_attendees_are_refused_before_sending_with_the_field_and_code() {
    let server = MockServer::start().await;
    // Nothing may reach the server: no token, no call.
    Mock::given(|_: &Request| true)
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let client = client(&server);
    let backwards = Placement::new(
        "",
        Timestamp::from_unix_seconds(1_764_003_600),
        Timestamp::from_unix_seconds(1_764_000_000),
        "feishu-vc-reserve-a-key-of-at-least-32-chars",
    )
    .calendar(CALENDAR);
    let error = client.calendars().place(backwards).await.unwrap_err();
    let found: Vec<(String, ErrorCode)> = error
        .violations()
        .expect("a validation error")
        .iter()
        .map(|v| (v.path().to_owned(), v.code()))
        .collect();
    assert_eq!(
        found,
        [
            ("end_time".to_owned(), ErrorCode::CalendarInvalidParams),
            (
                "vchat.meeting_url".to_owned(),
                ErrorCode::CalendarInvalidParams
            ),
        ]
    );

    let nobody = feishu_vc::model::CalendarEventAttendee::default()
        .set_type(feishu_vc::model::CalendarAttendeeType::User);
    let error = client
        .calendars()
        .add_attendees(CALENDAR, EVENT, [nobody])
        .await
        .unwrap_err();
    let paths: Vec<&str> = error
        .violations()
        .unwrap()
        .iter()
        .map(|v| v.path())
        .collect();
    assert_eq!(paths, ["attendees[0].user_id"]);

    let error = client
        .calendars()
        .add_attendees(CALENDAR, EVENT, [])
        .await
        .unwrap_err();
    let v = error.violations().unwrap().iter().next().unwrap().clone();
    assert_eq!(
        (v.path(), v.code()),
        ("attendees", ErrorCode::CalendarInvalidParams)
    );

    let error = client
        .calendars()
        .delete_event(CALENDAR, "")
        .await
        .unwrap_err();
    assert_eq!(
        error.violations().unwrap().iter().next().unwrap().path(),
        "event_id"
    );
}
