//! Meeting events: every documented example decodes through `Event::from_json` and
//! `EventEnvelope::from_json` and encodes back to the same JSON; unknown event types and unlisted
//! enum values are kept, not refused; the verification token never shows in Debug output.

use feishu_vc_model::events::*;
use feishu_vc_model::{IntEnum, MeetingNo};
use serde_json::{Value, json};

const SCHEMA: &str = include_str!("../../../../docs/schema/vc-reserve.openapi.json");

/// The event types of the reference's catalogue (events-and-auth.md §1.1).
const CATALOGUE: &[&str] = &[
    "vc.meeting.meeting_started_v1",
    "vc.meeting.meeting_ended_v1",
    "vc.meeting.join_meeting_v1",
    "vc.meeting.leave_meeting_v1",
    "vc.meeting.recording_started_v1",
    "vc.meeting.recording_ended_v1",
    "vc.meeting.recording_ready_v1",
    "vc.meeting.share_started_v1",
    "vc.meeting.share_ended_v1",
    "vc.meeting.all_meeting_started_v1",
    "vc.meeting.all_meeting_ended_v1",
    "vc.meeting.participant_meeting_started_v1",
    "vc.meeting.participant_meeting_joined_v1",
    "vc.meeting.participant_meeting_ended_v1",
    "vc.meeting.send_meeting_im_v1",
];

/// Every `(event type, x-rust-name, example envelope)` of the schema's `webhooks`.
fn documented_examples() -> Vec<(String, String, Value)> {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let mut out = Vec::new();
    for (event_type, item) in schema["webhooks"].as_object().unwrap() {
        let post = &item["post"];
        let rust_name = post["x-rust-name"].as_str().unwrap().to_owned();
        if let Some(examples) = post
            .pointer("/requestBody/content/application~1json/examples")
            .and_then(Value::as_object)
        {
            for e in examples.values() {
                out.push((event_type.clone(), rust_name.clone(), e["value"].clone()));
            }
        }
    }
    out
}

#[test]
fn every_event_type_of_the_catalogue_is_known() {
    let mut known = Event::KNOWN_TYPES.to_vec();
    known.sort_unstable();
    let mut catalogue = CATALOGUE.to_vec();
    catalogue.sort_unstable();
    assert_eq!(known, catalogue);
    for t in CATALOGUE {
        let event = Event::from_json(t, "{}").unwrap();
        assert!(!matches!(event, Event::Other(_)), "{t} fell to Other");
        assert_eq!(event.event_type(), *t);
    }
}

#[test]
fn every_documented_example_decodes_with_its_header_and_round_trips() {
    let examples = documented_examples();
    // §1.3 documents twelve: started, ended, the two all_meeting_*, join, both share, both
    // recording started/ended, participant_meeting_ended, leave and recording_ready.
    assert_eq!(
        examples.len(),
        12,
        "{:?}",
        examples.iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    for (event_type, rust_name, example) in &examples {
        let header: EventHeader = serde_json::from_value(example["header"].clone()).unwrap();
        assert_eq!(&header.event_type, event_type);
        assert_eq!(header.event_id, "5e3702a84e847582be8db7fb73283c02");
        assert_eq!(header.create_time.as_deref(), Some("1608725989000"));
        assert_eq!(
            header.token.as_ref().map(|t| t.expose_secret()),
            Some("rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV")
        );
        assert_eq!(header.app_id.as_deref(), Some("cli_9f5343c580712544"));
        assert_eq!(header.tenant_key.as_deref(), Some("2ca1d211f64f6438"));

        let event = Event::from_json(&header.event_type, &example["event"].to_string())
            .unwrap_or_else(|e| panic!("{event_type}: {e}"));
        assert!(
            format!("{event:?}").starts_with(&format!("{rust_name}(")),
            "{event_type} decoded as {event:?}"
        );
        assert_eq!(event.event_type(), event_type);
        let meeting = event
            .meeting()
            .expect("every documented event has a meeting");
        assert_eq!(meeting.meeting_no, Some(MeetingNo::from("235812466")));
        assert_eq!(
            meeting.id.as_ref().map(|id| id.as_str()),
            Some("6911188411934433028")
        );
        assert_eq!(meeting.meeting_source, Some(MeetingSource::Calendar));
        let security = meeting.security_setting.as_ref().unwrap();
        assert_eq!(security.security_level, Some(MeetingSecurityLevel::Public));
        assert_eq!(security.has_set_security_contacts_and_group, Some(true));
        assert_eq!(security.user_ids.as_ref().map(Vec::len), Some(1));
        assert_eq!(
            meeting.webinar_setting.as_ref().unwrap().webinar_type,
            Some(WebinarType::Ordinary)
        );
        assert_eq!(
            event.to_json(),
            example["event"],
            "{event_type}: event round trip"
        );

        let delivery = EventEnvelope::from_json(&example.to_string()).unwrap();
        assert_eq!(delivery.header, header);
        assert_eq!(delivery.event, event);
        assert_eq!(
            &delivery.to_json(),
            example,
            "{event_type}: envelope round trip"
        );
    }
}

#[test]
fn the_event_specific_fields_of_the_examples_are_typed() {
    let examples = documented_examples();
    let find = |t: &str| {
        let (_, _, v) = examples.iter().find(|(e, _, _)| e == t).unwrap();
        EventEnvelope::from_json(&v.to_string()).unwrap().event
    };
    let Event::LeaveMeeting(leave) = find("vc.meeting.leave_meeting_v1") else {
        panic!("leave_meeting is not LeaveMeeting");
    };
    assert_eq!(leave.leave_reason, Some(LeaveReason::Left));
    let left = leave.leave_user.unwrap();
    assert_eq!(left.user_role, Some(MeetingEventUserRole::Participant));
    assert_eq!(left.user_type, Some(MeetingEventUserType::LarkUser));
    assert_eq!(leave.meeting.unwrap().calendar_event_id, None);

    let Event::RecordingReady(ready) = find("vc.meeting.recording_ready_v1") else {
        panic!("recording_ready is not RecordingReady");
    };
    assert_eq!(ready.duration.as_deref(), Some("30000"));
    let meeting = ready.meeting.unwrap();
    assert_eq!(meeting.start_time, None);
    assert_eq!(
        meeting.owner.unwrap().id.unwrap().open_id.as_deref(),
        Some("ou_84aad35d084aa403a838cf73ee18467")
    );

    let Event::ParticipantMeetingEnded(ended) = find("vc.meeting.participant_meeting_ended_v1")
    else {
        panic!("participant_meeting_ended is not ParticipantMeetingEnded");
    };
    assert_eq!(ended.subscriber_ids.map(|s| s.len()), Some(1));
    let meeting = ended.meeting.unwrap();
    assert_eq!(
        meeting.start_time.map(|t| t.unix_seconds()),
        Some(1_608_883_322)
    );
    assert_eq!(
        meeting.meeting_sub_type,
        Some(MeetingSubType::PreMeetingScreenCast)
    );
    assert_eq!(
        meeting.calendar_event_id.as_deref(),
        Some("efa67a98-06a8-4df5-8559-746c8f4477ef_0")
    );
}

#[test]
fn an_unknown_event_type_reaches_the_catch_all_with_its_header_and_raw_json() {
    // The decrypted plaintext of the Java SDK's test vector (events-and-auth.md §2.4, vector 2).
    let body = r#"{"schema":"2.0","header":{"event_id":"f7984f25108f8137722bb63cee927e66","event_type":"contact.user.created_v3","app_id":"cli_xxxxxxxx","tenant_key":"xxxxxxx","create_time":"1603977298000000","token":"v"},"event":{"object":{"open_id":"ou_7dab8a3d3cdcc9da365777c7ad535d62","union_id":"on_576833b917gda3d939b9a3c2d53e72c8","user_id":"e33ggbyz","name":"张三","employee_no":"employee_no"}},"challenge":"1212","type":"url_verification1"}"#;
    let raw: Value = serde_json::from_str(body).unwrap();
    let delivery = EventEnvelope::from_json(body).unwrap();
    assert_eq!(delivery.header.event_id, "f7984f25108f8137722bb63cee927e66");
    assert_eq!(
        delivery.header.create_time.as_deref(),
        Some("1603977298000000")
    );
    let Event::Other(other) = &delivery.event else {
        panic!("an unknown type must reach Other: {:?}", delivery.event);
    };
    assert_eq!(other.event_type, "contact.user.created_v3");
    assert_eq!(other.event, raw["event"]);
    assert_eq!(delivery.event.event_type(), "contact.user.created_v3");
    assert_eq!(delivery.event.meeting(), None);
    assert_eq!(delivery.event.to_json(), raw["event"]);

    // A future vc.meeting event too, through the contract's entry point.
    let future =
        Event::from_json("vc.meeting.meeting_paused_v9", r#"{"meeting":{"x":[1,2]}}"#).unwrap();
    assert_eq!(future.event_type(), "vc.meeting.meeting_paused_v9");
    assert_eq!(future.to_json(), json!({"meeting": {"x": [1, 2]}}));
}

#[test]
fn unlisted_enum_values_and_unknown_fields_are_kept_or_ignored_not_refused() {
    let event = Event::from_json(
        "vc.meeting.leave_meeting_v1",
        r#"{"meeting":{"meeting_no":"235812466","meeting_source":42,"meeting_sub_type":77,
            "security_setting":{"security_level":9},"webinar_setting":{"webinar_type":3},
            "a_field_added_later":true},
            "leave_reason":8,"leave_user":{"user_role":6,"user_type":12}}"#,
    )
    .unwrap();
    let Event::LeaveMeeting(leave) = &event else {
        panic!("{event:?}");
    };
    assert_eq!(leave.leave_reason.map(|r| r.value()), Some(8));
    assert!(!leave.leave_reason.unwrap().is_known());
    let user = leave.leave_user.as_ref().unwrap();
    assert_eq!(user.user_role.map(|r| r.value()), Some(6));
    assert_eq!(user.user_type.map(|t| t.value()), Some(12));
    let meeting = event.meeting().unwrap();
    assert_eq!(meeting.meeting_source.map(|s| s.value()), Some(42));
    let json = event.to_json();
    assert_eq!(json["leave_reason"], 8);
    assert_eq!(json["meeting"]["meeting_source"], 42);
    assert_eq!(json["meeting"]["meeting_sub_type"], 77);
    assert_eq!(json["meeting"]["security_setting"]["security_level"], 9);
    assert_eq!(json["meeting"]["webinar_setting"]["webinar_type"], 3);
    assert_eq!(json["leave_user"]["user_type"], 12);
}

#[test]
fn a_known_event_whose_body_does_not_fit_is_an_error_naming_the_field() {
    let err = Event::from_json(
        "vc.meeting.meeting_started_v1",
        r#"{"meeting":{"meeting_source":"calendar"}}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("meeting.meeting_source: "),
        "{err}"
    );
    let err = EventEnvelope::from_json(r#"{"schema":"2.0","header":{"event_id":"1"},"event":{}}"#)
        .unwrap_err();
    assert!(err.to_string().contains("event_type"), "{err}");
}

#[test]
fn the_verification_token_never_shows_in_debug_output() {
    let (_, _, example) = documented_examples().remove(0);
    let delivery = EventEnvelope::from_json(&example.to_string()).unwrap();
    let debug = format!("{delivery:?} {:?}", delivery.header);
    assert!(
        !debug.contains("rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV"),
        "{debug}"
    );
    assert!(
        debug.contains("5e3702a84e847582be8db7fb73283c02"),
        "{debug}"
    );
}

#[test]
fn an_envelope_built_in_code_carries_its_events_type() {
    let event = Event::MeetingEnded(
        MeetingOperatorEvent::default().set_meeting(
            MeetingEventMeeting::default()
                .set_meeting_no("235812466")
                .set_meeting_source(MeetingSource::OpenPlatform),
        ),
    );
    let header = EventHeader::new("e1", "").set_token("vt");
    let delivery = EventEnvelope::new(header, event);
    assert_eq!(delivery.header.event_type, "vc.meeting.meeting_ended_v1");
    let json = delivery.to_json();
    assert_eq!(json["schema"], "2.0");
    assert_eq!(json["header"]["token"], "vt");
    assert_eq!(json["event"]["meeting"]["meeting_source"], 4);
    assert_eq!(
        EventEnvelope::from_json(&json.to_string()).unwrap(),
        delivery
    );
}

#[test]
fn a_schema_1_0_envelope_reads_its_type_from_the_event() {
    // The app_ticket example of the docs (events-and-auth.md §4.1).
    let body = r#"{"ts":"1502199207.7171419","uuid":"bc447199585340d1f3728d26b1c0297a","token":"41a9425ea7df4536a7623e38fa321bae","type":"event_callback","event":{"app_id":"cli_xxx","app_ticket":"xxx","type":"app_ticket"}}"#;
    let v1: EventV1Envelope = serde_json::from_str(body).unwrap();
    assert_eq!(v1.uuid, "bc447199585340d1f3728d26b1c0297a");
    assert_eq!(v1.event_type(), Some("app_ticket"));
    assert_eq!(v1.ts.as_deref(), Some("1502199207.7171419"));
    assert!(!format!("{v1:?}").contains("41a9425ea7df4536a7623e38fa321bae"));
    assert_eq!(
        serde_json::to_value(&v1).unwrap(),
        serde_json::from_str::<Value>(body).unwrap()
    );
}
