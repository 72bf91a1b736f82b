//! Calendar v4 on the emulator: the app's bot calendar and a user's own, events created once per
//! idempotency key, moved, deleted and kept as deleted, attendees of the organizer's tenant, each
//! refusal with Calendar's own code, and events kept across a restart.

use feishu_vc::Placement;
use feishu_vc::model::{
    CalendarAttendeeType, CalendarEventAttendee, CalendarEventStatus, CalendarTimeInfo,
    CalendarVchatType, ErrorCode, PatchCalendarEventBody, Timestamp,
};
use feishu_vc_emulator::{
    DEMO_USER_ALICE, DEMO_USER_BOB, DEMO_USER_CAROL, Emulator, OTHER_TENANT_USER,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{client, later, raw, temp_dir, unchecked_client};

const URL: &str = "https://vc.feishu.cn/j/123456789";

fn calendars(emulator: &Emulator) -> String {
    format!("{}/open-apis/calendar/v4/calendars", emulator.base_url())
}

fn at(end: Timestamp) -> CalendarTimeInfo {
    CalendarTimeInfo::default().set_timestamp(end)
}

#[tokio::test]
async fn an_app_places_an_event_once_per_key_then_moves_and_deletes_it() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let (start, end) = (later(&emulator, 600), later(&emulator, 4200));
    let placement = Placement::new(URL, start, end, "reserve-6911188411934433028")
        .summary("Interview")
        .attendee(DEMO_USER_BOB)
        .attendee(DEMO_USER_CAROL);
    let placed = client.calendars().place(placement.clone()).await.unwrap();
    assert!(
        placed.calendar_id.ends_with("@group.calendar.feishu.cn"),
        "{}",
        placed.calendar_id
    );
    let vchat = placed.event.vchat.clone().unwrap();
    assert_eq!(vchat.vc_type, Some(CalendarVchatType::ThirdParty));
    assert_eq!(vchat.meeting_url.as_deref(), Some(URL));
    assert_eq!(placed.event.status, Some(CalendarEventStatus::Confirmed));
    let invited: Vec<_> = placed.attendees.iter().map(|a| a.user_id.clone()).collect();
    assert_eq!(
        invited,
        [
            Some(DEMO_USER_BOB.to_owned()),
            Some(DEMO_USER_CAROL.to_owned())
        ]
    );

    // Placed again with the same key: the same event, nobody invited twice; the primary
    // calendar is the same calendar every time.
    let again = client.calendars().place(placement).await.unwrap();
    assert_eq!(again.event_id, placed.event_id);
    assert_eq!(again.calendar_id, placed.calendar_id);
    assert_eq!(again.attendees.len(), 2);
    let state = emulator.state();
    assert_eq!(state.calendar_events.len(), 1);
    let stored = state.calendar_event(&placed.event_id).unwrap();
    assert_eq!(stored.attendees, [DEMO_USER_BOB, DEMO_USER_CAROL]);
    assert_eq!(stored.end_time, Some(end));

    let moved_to = later(&emulator, 7800);
    let moved = client
        .calendars()
        .patch_event(
            &placed.calendar_id,
            &placed.event_id,
            PatchCalendarEventBody::default().set_end_time(at(moved_to)),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(moved.end_time.unwrap().timestamp, Some(moved_to));
    assert_eq!(moved.start_time.unwrap().timestamp, Some(start));
    let stored = emulator
        .state()
        .calendar_event(&placed.event_id)
        .cloned()
        .unwrap();
    assert_eq!((stored.end_time, stored.updates), (Some(moved_to), 1));

    client
        .calendars()
        .delete_event(&placed.calendar_id, &placed.event_id)
        .await
        .unwrap();
    assert!(
        emulator
            .state()
            .calendar_event(&placed.event_id)
            .unwrap()
            .deleted
    );
    let twice = client
        .calendars()
        .delete_event(&placed.calendar_id, &placed.event_id)
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Some(ErrorCode::EventDeleted), "{twice}");
    let patched = client
        .calendars()
        .patch_event(
            &placed.calendar_id,
            &placed.event_id,
            PatchCalendarEventBody::default().set_end_time(at(moved_to)),
        )
        .await
        .unwrap_err();
    assert_eq!(patched.code(), Some(ErrorCode::EventDeleted), "{patched}");
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_user_token_writes_the_users_own_calendar_and_not_the_apps() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let app_calendar = client.calendars().primary().await.unwrap().data;
    let token = emulator.mint_user_token(DEMO_USER_ALICE).await.unwrap();
    let alices = client
        .calendars()
        .primary()
        .with_user_access_token(token.clone())
        .await
        .unwrap()
        .data;
    assert_ne!(alices.calendar_id, app_calendar.calendar_id);
    let owner = raw(
        Method::POST,
        format!("{}/primary", calendars(&emulator)),
        Some(token.expose_secret()),
        None,
    )
    .await;
    assert_eq!(
        owner.body["data"]["calendars"][0]["user_id"].as_str(),
        Some(DEMO_USER_ALICE),
        "{}",
        owner.body
    );

    let placement = Placement::new(URL, later(&emulator, 60), later(&emulator, 120), "k-alice")
        .calendar(alices.calendar_id.clone().unwrap());
    let placed = client
        .calendars()
        .place(
            placement
                .clone()
                .with_options(feishu_vc::CallOptions::new().with_user_access_token(token.clone())),
        )
        .await
        .unwrap();
    assert_eq!(
        placed.event.organizer_calendar_id,
        alices.calendar_id.clone()
    );
    // The app (tenant token) has no access to Alice's calendar.
    let refused = client.calendars().place(placement).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Some(ErrorCode::CalendarNoAccess),
        "{refused}"
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn each_refusal_is_calendars_own_code() {
    let emulator = Emulator::start_default().await.unwrap();
    let secret = emulator.mint_tenant_token().await.unwrap();
    let token = Some(secret.expose_secret());
    let base = calendars(&emulator);
    let event = |start: i64, end: i64| {
        json!({"start_time": {"timestamp": start.to_string()},
               "end_time": {"timestamp": end.to_string()},
               "location": {"name": "Room 1"}, "reminders": [{"minutes": 5}]})
    };
    let code = |r: &crate::Raw| r.body["code"].as_i64().unwrap();

    let primary = raw(Method::POST, format!("{base}/primary"), token, None).await;
    assert_eq!(
        (primary.status, code(&primary)),
        (200, 0),
        "{}",
        primary.body
    );
    let calendar = primary.body["data"]["calendars"][0]["calendar"]["calendar_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_user_id = raw(
        Method::POST,
        format!("{base}/primary?user_id_type=user_id"),
        token,
        None,
    )
    .await;
    assert_eq!(code(&by_user_id), 190002, "{}", by_user_id.body);

    // Fields Calendar has and feishu-vc does not model (location, reminders) are taken.
    let now = emulator.now().unix_seconds();
    let created = raw(
        Method::POST,
        format!("{base}/{calendar}/events"),
        token,
        Some(event(now, now + 60)),
    )
    .await;
    assert_eq!(code(&created), 0, "{}", created.body);
    let event_id = created.body["data"]["event"]["event_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let cases: Vec<(Method, String, Option<Value>, u16, i64)> = vec![
        (
            Method::POST,
            format!("{base}/not-a-calendar/events"),
            Some(event(now, now + 60)),
            400,
            191001,
        ),
        (
            Method::POST,
            format!("{base}/feishu.cn_0@group.calendar.feishu.cn/events"),
            Some(event(now, now + 60)),
            404,
            191000,
        ),
        (
            Method::POST,
            format!("{base}/{calendar}/events"),
            Some(event(now + 60, now)),
            400,
            190002,
        ),
        (
            Method::POST,
            format!("{base}/{calendar}/events"),
            Some(json!({"summary": "no times"})),
            400,
            190002,
        ),
        (
            Method::PATCH,
            format!("{base}/{calendar}/events/{event_id}"),
            Some(json!({"end_time": {"timestamp": (now - 60).to_string()}})),
            400,
            190002,
        ),
        (
            Method::PATCH,
            format!("{base}/{calendar}/events/0badc0de-0000-0000-0000-000000000000_0"),
            Some(json!({})),
            404,
            193001,
        ),
        (
            Method::DELETE,
            format!("{base}/{calendar}/events/no-instance"),
            None,
            400,
            193000,
        ),
        (
            Method::POST,
            format!("{base}/{calendar}/events/{event_id}/attendees"),
            Some(json!({"attendees": [{"type": "user", "user_id": OTHER_TENANT_USER}]})),
            404,
            195100,
        ),
        (
            Method::POST,
            format!("{base}/{calendar}/events/{event_id}/attendees"),
            Some(json!({"attendees": [{"type": "robot", "user_id": DEMO_USER_BOB}]})),
            400,
            194004,
        ),
        (
            Method::POST,
            format!("{base}/{calendar}/events/{event_id}/attendees"),
            Some(json!({"attendees": [{"type": "user"}]})),
            400,
            190002,
        ),
    ];
    for (method, url, body, status, expected) in cases {
        let answer = raw(method.clone(), url.clone(), token, body).await;
        assert_eq!(
            (answer.status, code(&answer)),
            (status, expected),
            "{method} {url}: {}",
            answer.body
        );
    }

    // An event created with no video meeting gets a Feishu one with its first attendee.
    let added = raw(
        Method::POST,
        format!("{base}/{calendar}/events/{event_id}/attendees?user_id_type=user_id"),
        token,
        Some(json!({"attendees": [{"type": "user", "user_id": "bob"},
                                  {"type": "third_party", "third_party_email": "x@example.com"}]})),
    )
    .await;
    assert_eq!(code(&added), 0, "{}", added.body);
    let attendees = added.body["data"]["attendees"].as_array().unwrap();
    assert_eq!(attendees[0]["user_id"], "bob");
    assert_eq!(attendees[0]["rsvp_status"], "needs_action");
    assert_eq!(attendees[1]["third_party_email"], "x@example.com");
    let stored = emulator.state().calendar_event(&event_id).cloned().unwrap();
    assert_eq!(stored.vc_type.as_deref(), Some("vc"));
    assert!(
        stored
            .meeting_url
            .unwrap()
            .starts_with("https://vc.feishu.cn/j/")
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_client_refuses_what_calendar_would_before_sending() {
    let emulator = Emulator::start_default().await.unwrap();
    let unchecked = unchecked_client(&emulator);
    let checked = client(&emulator);
    let backwards = Placement::new(URL, later(&emulator, 600), later(&emulator, 60), "k-back");
    let local = checked
        .calendars()
        .place(backwards.clone())
        .await
        .unwrap_err();
    let remote = unchecked.calendars().place(backwards).await.unwrap_err();
    let violations = local.violations().expect("refused locally");
    assert_eq!(
        violations.code(),
        Some(ErrorCode::CalendarInvalidParams),
        "{local}"
    );
    assert_eq!(violations.as_slice()[0].path(), "end_time", "{local}");
    assert_eq!(
        remote.code(),
        Some(ErrorCode::CalendarInvalidParams),
        "{remote}"
    );
    assert!(emulator.state().calendar_events.is_empty());
    let nobody = CalendarEventAttendee::default().set_type(CalendarAttendeeType::User);
    let calendar = checked.calendars().primary().await.unwrap().data;
    let refused = unchecked
        .calendars()
        .add_attendees(calendar.calendar_id.unwrap(), "e_0", [nobody])
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        Some(ErrorCode::CalendarInvalidParams),
        "{refused}"
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn events_are_kept_across_a_restart_deleted_ones_as_deleted() {
    let dir = temp_dir("calendar");
    let file = dir.join("state.db");
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let client = client(&emulator);
    let end = later(&emulator, 3600);
    let kept = client
        .calendars()
        .place(Placement::new(URL, later(&emulator, 60), end, "k-kept").attendee(DEMO_USER_BOB))
        .await
        .unwrap();
    let gone = client
        .calendars()
        .place(Placement::new(URL, later(&emulator, 60), end, "k-gone"))
        .await
        .unwrap();
    client
        .calendars()
        .delete_event(&gone.calendar_id, &gone.event_id)
        .await
        .unwrap();
    emulator.shutdown().await.unwrap();

    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let client = crate::client(&emulator);
    let state = emulator.state();
    let stored = state.calendar_event(&kept.event_id).unwrap();
    assert_eq!((stored.end_time, stored.deleted), (Some(end), false));
    assert_eq!(stored.attendees, [DEMO_USER_BOB]);
    // The same calendar id after the restart, and the same event for the same key.
    let again = client
        .calendars()
        .place(Placement::new(URL, later(&emulator, 60), end, "k-kept"))
        .await
        .unwrap();
    assert_eq!(
        (again.calendar_id, again.event_id),
        (kept.calendar_id, kept.event_id)
    );
    let deleted = client
        .calendars()
        .delete_event(&gone.calendar_id, &gone.event_id)
        .await
        .unwrap_err();
    assert_eq!(deleted.code(), Some(ErrorCode::EventDeleted), "{deleted}");
    emulator.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
