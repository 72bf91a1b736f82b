//! The tool list and its schemas against a checked-in snapshot, and the tools' behaviour on the
//! emulator.

use std::sync::Arc;

use std::sync::atomic::{AtomicI64, Ordering};

use feishu_vc::model::Timestamp;
use feishu_vc_emulator::{DEMO_USER_BOB, Emulator, MeetingSpec};
use feishu_vc_ledger::{InMemoryLedger, Ledger};
use feishu_vc_mcp::{BookArgs, MeetingArgs, MeetingView, UpdateArgs, VcTools};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;

fn tools_on(base_url: &str) -> VcTools {
    tools_with(base_url, |ledger| ledger)
}

fn tools_with(base_url: &str, configure: impl FnOnce(Ledger) -> Ledger) -> VcTools {
    let client = feishu_vc::Client::builder()
        .base_url(base_url)
        .app_credentials(
            feishu_vc_emulator::DEMO_APP_ID,
            feishu_vc_emulator::DEMO_APP_SECRET,
        )
        .build()
        .unwrap();
    let ledger = configure(Ledger::new(client, Arc::new(InMemoryLedger::new())));
    VcTools::new(ledger, Some(feishu_vc_emulator::DEMO_USER_ALICE.to_owned()))
}

/// `UPDATE_SNAPSHOT=1 cargo test -p feishu-vc-mcp` rewrites tests/tools.json.
#[test]
fn the_tool_list_and_schemas_match_the_snapshot() {
    let tools = tools_on("http://127.0.0.1:9").tool_list();
    let shown = serde_json::to_string_pretty(&tools).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools.json");
    if std::env::var_os("UPDATE_SNAPSHOT").is_some() {
        std::fs::write(path, &shown).unwrap();
    }
    let recorded = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        recorded == shown,
        "the tool list changed; review it and run UPDATE_SNAPSHOT=1 cargo test -p feishu-vc-mcp:\n{shown}"
    );
}

#[test]
fn read_only_lists_only_reading_tools() {
    let names: Vec<String> = tools_on("http://127.0.0.1:9")
        .read_only()
        .tool_list()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "active_meeting",
            "get_reservation",
            "list_reservations",
            "meeting_report"
        ]
    );
}

fn book(key: &str) -> BookArgs {
    serde_json::from_value(serde_json::json!({ "key": key, "topic": "Review", "end_time": "+2h" }))
        .unwrap()
}

#[tokio::test]
async fn a_repeated_key_books_once_and_a_bad_password_names_its_field() {
    let emulator = feishu_vc_emulator::Emulator::start_default().await.unwrap();
    let tools = tools_on(emulator.base_url());
    let first = tools.book_meeting(Parameters(book("k1"))).await.unwrap().0;
    let again = tools.book_meeting(Parameters(book("k1"))).await.unwrap().0;
    let id = first.reservation.unwrap().reserve_id.unwrap();
    assert_eq!(again.reservation.unwrap().reserve_id.unwrap(), id);
    assert_eq!(emulator.state().applies, 1);

    let mut bad = book("k2");
    bad.password = Some("12ab".to_owned());
    let Err(refused) = tools.book_meeting(Parameters(bad)).await else {
        panic!("a bad password was booked");
    };
    assert_eq!(refused.is_error, Some(true));
    let text = serde_json::to_string(&refused.content).unwrap();
    assert!(text.contains("meeting_settings.password"), "{text}");

    let mut dry = book("k3");
    dry.dry_run = true;
    assert!(tools.book_meeting(Parameters(dry)).await.unwrap().0.dry_run);
    assert_eq!(emulator.state().applies, 1);
}

fn refusal_text(refused: &CallToolResult) -> String {
    assert_eq!(refused.is_error, Some(true));
    serde_json::to_string(&refused.content).unwrap()
}

#[tokio::test]
async fn a_repeated_call_with_a_relative_time_or_no_key_books_once() {
    let emulator = Emulator::start_default().await.unwrap();
    let now = Arc::new(AtomicI64::new(emulator.now().unix_seconds()));
    let clock = Arc::clone(&now);
    let tools = tools_with(emulator.base_url(), move |ledger| {
        ledger.with_clock(move || Timestamp::from_unix_seconds(clock.load(Ordering::SeqCst)))
    });
    let first = tools.book_meeting(Parameters(book("k1"))).await.unwrap().0;
    // The agent retries a minute later: `+2h` is read as of the first call.
    now.fetch_add(60, Ordering::SeqCst);
    let again = tools.book_meeting(Parameters(book("k1"))).await.unwrap().0;
    assert_eq!(
        again.reservation.unwrap().reserve_id,
        first.reservation.unwrap().reserve_id
    );

    let mut unkeyed: BookArgs =
        serde_json::from_value(serde_json::json!({ "topic": "Retro", "end_time": "+3h" })).unwrap();
    let derived = tools
        .book_meeting(Parameters(unkeyed.clone()))
        .await
        .unwrap()
        .0;
    assert!(derived.key.starts_with("mcp-"), "{}", derived.key);
    now.fetch_add(5, Ordering::SeqCst);
    let repeated = tools
        .book_meeting(Parameters(unkeyed.clone()))
        .await
        .unwrap()
        .0;
    assert_eq!(repeated.key, derived.key);
    assert_eq!(emulator.state().applies, 2);

    // Another topic is another meeting.
    unkeyed.topic = Some("Planning".to_owned());
    let other = tools.book_meeting(Parameters(unkeyed)).await.unwrap().0;
    assert_ne!(other.key, derived.key);
    assert_eq!(emulator.state().applies, 3);
}

fn update(reserve_id: &str, change: serde_json::Value) -> UpdateArgs {
    let mut args = serde_json::json!({ "reserve_id": reserve_id });
    args.as_object_mut()
        .unwrap()
        .extend(change.as_object().unwrap().clone());
    serde_json::from_value(args).unwrap()
}

#[tokio::test]
async fn update_reservation_changes_what_is_given_and_names_a_bad_field() {
    let emulator = Emulator::start_default().await.unwrap();
    let tools = tools_on(emulator.base_url());
    let booked = tools.book_meeting(Parameters(book("u1"))).await.unwrap().0;
    let id = booked.reservation.unwrap().reserve_id.unwrap();

    let updated = tools
        .update_reservation(Parameters(update(
            &id,
            serde_json::json!({ "topic": "Design review", "end_time": "+1d" }),
        )))
        .await
        .unwrap()
        .0;
    let on_feishu = emulator.state().reservation(&id).cloned().unwrap();
    assert_eq!(on_feishu.topic.as_deref(), Some("Design review"));
    assert_eq!(on_feishu.updates, 1);
    assert_eq!(updated.end_time, on_feishu.end_time.unix_seconds());

    let Err(refused) = tools
        .update_reservation(Parameters(update(
            &id,
            serde_json::json!({ "password": "12ab" }),
        )))
        .await
    else {
        panic!("a bad password was sent");
    };
    let text = refusal_text(&refused);
    assert!(text.contains("meeting_settings.password"), "{text}");
    assert!(!text.contains("12ab"), "the password is echoed: {text}");

    let Err(empty) = tools
        .update_reservation(Parameters(update(&id, serde_json::json!({}))))
        .await
    else {
        panic!("an empty update was sent");
    };
    assert!(refusal_text(&empty).contains("nothing to change"));

    let dry = tools
        .update_reservation(Parameters(update(
            &id,
            serde_json::json!({ "topic": "Never sent", "dry_run": true }),
        )))
        .await
        .unwrap()
        .0;
    assert_eq!(dry.reserve_id.as_deref(), Some(id.as_str()));
    let after = emulator.state().reservation(&id).cloned().unwrap();
    assert_eq!(
        (after.updates, after.topic.as_deref()),
        (1, Some("Design review"))
    );
}

async fn active(tools: &VcTools, id: &str, with_participants: bool) -> Option<MeetingView> {
    let args = MeetingArgs {
        reserve_id: id.to_owned(),
        with_participants,
    };
    tools
        .active_meeting(Parameters(args))
        .await
        .unwrap()
        .0
        .meeting
}

#[tokio::test]
async fn active_meeting_shows_the_meeting_in_progress_without_its_password() {
    let emulator = Emulator::start_default().await.unwrap();
    let tools = tools_on(emulator.base_url());
    let mut args = book("m1");
    args.password = Some("48213".to_owned());
    let booked = tools.book_meeting(Parameters(args)).await.unwrap().0;
    let reservation = booked.reservation.unwrap();
    let id = reservation.reserve_id.unwrap();
    assert!(active(&tools, &id, false).await.is_none());

    emulator
        .start_meeting(&id, MeetingSpec::new().participant(DEMO_USER_BOB))
        .await
        .unwrap();
    let meeting = active(&tools, &id, true).await.unwrap();
    assert_eq!(meeting.status.as_deref(), Some("OnTheCall"));
    assert_eq!(meeting.meeting_no, reservation.meeting_no);
    assert_eq!(meeting.participant_count, Some(2));
    let mut ids: Vec<String> = meeting
        .participants
        .clone()
        .unwrap()
        .into_iter()
        .filter_map(|p| p.id)
        .collect();
    ids.sort();
    let mut expected = vec![
        feishu_vc_emulator::DEMO_USER_ALICE.to_owned(),
        DEMO_USER_BOB.to_owned(),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    let without = active(&tools, &id, false).await.unwrap();
    assert!(without.participants.is_none());

    // Feishu's answer carries the password; the tool's does not.
    let client = feishu_vc::Client::builder()
        .base_url(emulator.base_url())
        .app_credentials(
            feishu_vc_emulator::DEMO_APP_ID,
            feishu_vc_emulator::DEMO_APP_SECRET,
        )
        .build()
        .unwrap();
    let answer = client
        .reserves()
        .get_active_meeting(id.clone())
        .await
        .unwrap();
    assert!(answer.data.meeting.unwrap().password.is_some());
    let json = serde_json::to_string(&meeting).unwrap();
    assert!(!json.contains("48213"), "the password is shown: {json}");

    let Err(unknown) = tools
        .active_meeting(Parameters(MeetingArgs {
            reserve_id: "6911188411932033028".to_owned(),
            with_participants: false,
        }))
        .await
    else {
        panic!("an unknown reservation has a meeting");
    };
    assert!(refusal_text(&unknown).contains("121004"));
}

#[tokio::test]
async fn meeting_report_gives_who_came_for_how_long_and_the_recording() {
    let emulator = Emulator::start_default().await.unwrap();
    let tools = tools_with(emulator.base_url(), |ledger| ledger);
    let booked = tools.book_meeting(Parameters(book("r1"))).await.unwrap().0;
    let id = booked.reservation.unwrap().reserve_id.unwrap();
    emulator
        .start_meeting(&id, MeetingSpec::new().participant(DEMO_USER_BOB))
        .await
        .unwrap();
    emulator.start_recording(&id, None).await.unwrap();
    emulator.end_meeting(&id).await.unwrap();
    let file = emulator.recording_ready(&id, None).await.unwrap();
    let report = tools
        .meeting_report(Parameters(feishu_vc_mcp::ReportArgs {
            reserve_id: id.clone(),
        }))
        .await
        .unwrap()
        .0;
    assert_eq!(report.meetings.len(), 1);
    let held = &report.meetings[0];
    assert_eq!(held.recording, "ready");
    assert_eq!(held.recording_url.as_deref(), Some(file.url.as_str()));
    assert_eq!(held.participants.len(), 2);
    assert!(
        held.participants
            .iter()
            .all(|p| p.final_leave_time.is_some())
    );

    let Err(unknown) = tools
        .meeting_report(Parameters(feishu_vc_mcp::ReportArgs {
            reserve_id: "6911188411932033028".to_owned(),
        }))
        .await
    else {
        panic!("a reservation not in the ledger has a report");
    };
    let text = refusal_text(&unknown);
    assert!(text.contains("6911188411932033028"), "{text}");
}
