//! `feishu-vc reserve report` as a real process, against an emulator served in-process on a
//! free loopback port whose meetings the test drives through its control methods.

use std::time::Duration;

use feishu_vc_emulator::{
    DEMO_USER_ALICE, DEMO_USER_BOB, DEMO_USER_CAROL, Emulator, LeaveReason, MeetingSpec,
    ParticipantSpec,
};
use serde_json::Value;

use super::{TempDir, code, command, reserve_id, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_shows_who_came_for_how_long_and_the_recording() {
    let emulator = Emulator::start_default().await.unwrap();
    let home = TempDir::new("report");
    let run = |args: &[&str]| {
        command(home.path())
            .env("FEISHU_BASE_URL", emulator.base_url())
            .env("FEISHU_APP_ID", emulator.app_id())
            .env("FEISHU_APP_SECRET", emulator.app_secret())
            .args(args)
            .output()
            .unwrap()
    };
    let booked = run(&[
        "reserve",
        "apply",
        "--topic",
        "Panel",
        "--end-time",
        "+1d",
        "--owner",
        DEMO_USER_ALICE,
        "-o",
        "json",
    ]);
    assert_eq!(code(&booked), 0, "{}", text(&booked.stderr));
    let id = reserve_id(&booked);

    emulator
        .start_meeting(&id, MeetingSpec::new().participant(DEMO_USER_BOB))
        .await
        .unwrap();
    emulator
        .join_meeting(&id, ParticipantSpec::new(DEMO_USER_CAROL))
        .await
        .unwrap();
    emulator.start_recording(&id, None).await.unwrap();
    emulator.advance(Duration::from_secs(900)).await.unwrap();
    emulator
        .leave_meeting(&id, DEMO_USER_CAROL, LeaveReason::Left)
        .await
        .unwrap();
    emulator.advance(Duration::from_secs(900)).await.unwrap();
    emulator.end_meeting(&id).await.unwrap();
    let file = emulator.recording_ready(&id, None).await.unwrap();

    let out = run(&["reserve", "report", &id, "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let meetings = report["meetings"].as_array().unwrap();
    assert_eq!(meetings.len(), 1, "{report}");
    assert_eq!(meetings[0]["duration_seconds"], 1800);
    assert_eq!(meetings[0]["recording"]["status"], "ready");
    assert_eq!(meetings[0]["recording"]["url"], file.url.as_str());
    let mut seen: Vec<(String, i64)> = meetings[0]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["user_id"].as_str().unwrap().to_owned(),
                p["seconds_in_meeting"].as_i64().unwrap(),
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![
        (DEMO_USER_ALICE.to_owned(), 1800),
        (DEMO_USER_BOB.to_owned(), 1800),
        (DEMO_USER_CAROL.to_owned(), 900),
    ];
    expected.sort();
    assert_eq!(seen, expected);

    let table = run(&["reserve", "report", &id, "-o", "table"]);
    assert_eq!(code(&table), 0, "{}", text(&table.stderr));
    let shown = text(&table.stdout);
    assert!(
        shown.contains(&file.url) && shown.contains("15m00s"),
        "{shown}"
    );

    // A reservation the ledger does not have is a usage error that names it.
    let unknown = run(&["reserve", "report", "6911188411932033028"]);
    assert_eq!(code(&unknown), 2, "{}", text(&unknown.stderr));
    assert!(text(&unknown.stderr).contains("6911188411932033028"));
    emulator.shutdown().await.unwrap();
}
