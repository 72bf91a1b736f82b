//! `feishu-vc reserve report`, `meeting` and `recording` as real processes, against an emulator served in-process on a
//! free loopback port whose meetings the test drives through its control methods.

use std::time::Duration;

use feishu_vc_emulator::{
    DEMO_USER_ALICE, DEMO_USER_BOB, DEMO_USER_CAROL, Emulator, LeaveReason, MeetingSpec,
    ParticipantSpec, RecordingFile,
};
use serde_json::Value;

use super::{TempDir, code, command, reserve_id, text};

/// The command pointed at `emulator` with its demo credentials in the environment.
pub(super) fn runner<'a>(
    emulator: &'a Emulator,
    home: &'a TempDir,
) -> impl Fn(&[&str]) -> std::process::Output + 'a {
    move |args: &[&str]| {
        command(home.path())
            .env("FEISHU_BASE_URL", emulator.base_url())
            .env("FEISHU_APP_ID", emulator.app_id())
            .env("FEISHU_APP_SECRET", emulator.app_secret())
            .args(args)
            .output()
            .unwrap()
    }
}

/// Books a day-long meeting of Alice's through the command; its id and the answer.
fn book(run: &impl Fn(&[&str]) -> std::process::Output, topic: &str) -> (String, Value) {
    let booked = run(&[
        "reserve",
        "apply",
        "--topic",
        topic,
        "--end-time",
        "+1d",
        "--owner",
        DEMO_USER_ALICE,
        "-o",
        "json",
    ]);
    assert_eq!(code(&booked), 0, "{}", text(&booked.stderr));
    (
        reserve_id(&booked),
        serde_json::from_slice(&booked.stdout).unwrap(),
    )
}

/// Holds a meeting of reservation `id` as `spec` starts it: Carol joins, the host records, Carol
/// leaves after `carol_stays` seconds and the meeting ends `then` seconds later; the recording
/// is then ready, and returned.
pub(super) async fn hold(
    emulator: &Emulator,
    id: &str,
    spec: MeetingSpec,
    carol_stays: u64,
    then: u64,
) -> RecordingFile {
    emulator.start_meeting(id, spec).await.unwrap();
    emulator
        .join_meeting(id, ParticipantSpec::new(DEMO_USER_CAROL))
        .await
        .unwrap();
    emulator.start_recording(id, None).await.unwrap();
    emulator
        .advance(Duration::from_secs(carol_stays))
        .await
        .unwrap();
    emulator
        .leave_meeting(id, DEMO_USER_CAROL, LeaveReason::Left)
        .await
        .unwrap();
    emulator.advance(Duration::from_secs(then)).await.unwrap();
    emulator.end_meeting(id).await.unwrap();
    emulator.recording_ready(id, None).await.unwrap()
}

/// Asserts that a meeting of a JSON report lists exactly `expected` (user id, seconds in the
/// meeting), each within a second: the emulator's time is the system clock's plus its advances,
/// and a second may tick between two steps.
pub(super) fn assert_attended(meeting: &Value, expected: &[(&str, i64)]) {
    let mut seen: Vec<(String, i64)> = meeting["participants"]
        .as_array()
        .expect("a participants array")
        .iter()
        .map(|p| {
            let user = p["user_id"].as_str().expect("a user id").to_owned();
            (user, p["seconds_in_meeting"].as_i64().expect("seconds"))
        })
        .collect();
    seen.sort();
    let mut expected = expected.to_vec();
    expected.sort();
    let users: Vec<&str> = seen.iter().map(|(u, _)| u.as_str()).collect();
    let wanted: Vec<&str> = expected.iter().map(|(u, _)| *u).collect();
    assert_eq!(users, wanted, "exactly those who came: {meeting}");
    for ((user, seconds), (_, want)) in seen.iter().zip(&expected) {
        assert!(
            (seconds - want).abs() <= 1,
            "{user}: {seconds} s, not {want}: {meeting}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_shows_who_came_for_how_long_and_the_recording() {
    let emulator = Emulator::start_default().await.unwrap();
    let home = TempDir::new("report");
    let run = runner(&emulator, &home);
    let (id, _) = book(&run, "Panel");

    let spec = MeetingSpec::new().participant(DEMO_USER_BOB);
    let file = hold(&emulator, &id, spec, 900, 900).await;

    let out = run(&["reserve", "report", &id, "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let meetings = report["meetings"].as_array().unwrap();
    assert_eq!(meetings.len(), 1, "{report}");
    let length = meetings[0]["duration_seconds"].as_i64().unwrap();
    assert!((length - 1800).abs() <= 1, "{report}");
    assert_eq!(meetings[0]["recording"]["status"], "ready");
    assert_eq!(meetings[0]["recording"]["url"], file.url.as_str());
    assert_attended(
        &meetings[0],
        &[
            (DEMO_USER_ALICE, 1800),
            (DEMO_USER_BOB, 1800),
            (DEMO_USER_CAROL, 900),
        ],
    );

    let table = run(&["reserve", "report", &id, "-o", "table"]);
    assert_eq!(code(&table), 0, "{}", text(&table.stderr));
    let shown = text(&table.stdout);
    let carol = shown
        .lines()
        .find(|l| l.starts_with(DEMO_USER_CAROL))
        .unwrap_or_else(|| panic!("no line for Carol: {shown}"));
    assert!(
        shown.contains(&file.url)
            && ["14m59s", "15m00s", "15m01s"]
                .iter()
                .any(|t| carol.contains(t)),
        "{shown}"
    );

    // A reservation the ledger does not have is a usage error that names it.
    let unknown = run(&["reserve", "report", "6911188411932033028"]);
    assert_eq!(code(&unknown), 2, "{}", text(&unknown.stderr));
    assert!(text(&unknown.stderr).contains("6911188411932033028"));
    drop(run);
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meeting_get_and_list_and_recording_get_read_what_was_held() {
    let emulator = Emulator::start_default().await.unwrap();
    let home = TempDir::new("meetings");
    let run = runner(&emulator, &home);
    let (id, booked) = book(&run, "Sync");
    let number = booked["reserve"]["meeting_no"].as_str().unwrap().to_owned();
    let mut held = Vec::new();
    for _ in 0..3 {
        let m = emulator
            .start_meeting(&id, MeetingSpec::new())
            .await
            .unwrap();
        held.push(m.id.unwrap().as_str().to_owned());
        emulator.start_recording(&id, None).await.unwrap();
        emulator.advance(Duration::from_secs(60)).await.unwrap();
        emulator.end_meeting(&id).await.unwrap();
    }
    emulator.recording_ready(&id, None).await.unwrap();

    let from = (emulator.now().unix_seconds() - 3600).to_string();
    let to = (emulator.now().unix_seconds() + 60).to_string();
    let listed = run(&[
        "meeting",
        "list",
        "--meeting-no",
        &number,
        "--from",
        &from,
        "--to",
        &to,
        "--page-size",
        "2",
        "-o",
        "json",
    ]);
    assert_eq!(code(&listed), 0, "{}", text(&listed.stderr));
    let ids: Vec<String> = serde_json::from_slice::<Value>(&listed.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, held);

    let got = run(&[
        "meeting",
        "get",
        &held[2],
        "--with-participants",
        "-o",
        "json",
    ]);
    assert_eq!(code(&got), 0, "{}", text(&got.stderr));
    let meeting: Value = serde_json::from_slice(&got.stdout).unwrap();
    assert_eq!(meeting["status"], 3);
    assert_eq!(meeting["participants"][0]["in_meeting_duration"], "60");

    let recording = run(&["recording", "get", &held[2], "-o", "json"]);
    assert_eq!(code(&recording), 0, "{}", text(&recording.stderr));
    assert_eq!(
        serde_json::from_slice::<Value>(&recording.stdout).unwrap()["duration"],
        "60000"
    );
    // The first meeting's recording never became ready (only the last one's did).
    let processing = run(&["recording", "get", &held[0]]);
    assert_eq!(code(&processing), 3, "{}", text(&processing.stderr));
    assert!(
        text(&processing.stderr).contains("124002"),
        "{}",
        text(&processing.stderr)
    );

    // Checked before sending: the flag is named, exit 2; a dry run shows the request only.
    let bad = run(&["meeting", "list", "--meeting-no", "12345", "--from", &from]);
    assert_eq!(code(&bad), 2, "{}", text(&bad.stderr));
    assert!(
        text(&bad.stderr).contains("--meeting-no"),
        "{}",
        text(&bad.stderr)
    );
    let dry = run(&[
        "meeting",
        "list",
        "--meeting-no",
        &number,
        "--from",
        &from,
        "--dry-run",
    ]);
    assert_eq!(code(&dry), 0, "{}", text(&dry.stderr));
    assert!(
        text(&dry.stdout).starts_with("GET "),
        "{}",
        text(&dry.stdout)
    );
    assert!(
        text(&dry.stdout).contains("list_by_no"),
        "{}",
        text(&dry.stdout)
    );
    drop(run);
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_records_and_the_owner_shares_with_their_user_token() {
    let emulator = Emulator::start_default().await.unwrap();
    let home = TempDir::new("recording");
    let run = runner(&emulator, &home);
    let (id, _) = book(&run, "Recorded");
    let meeting = emulator
        .start_meeting(&id, MeetingSpec::new().participant(DEMO_USER_BOB))
        .await
        .unwrap();
    let meeting_id = meeting.id.unwrap().as_str().to_owned();
    let alice = emulator.mint_user_token(DEMO_USER_ALICE).await.unwrap();
    let bob = emulator.mint_user_token(DEMO_USER_BOB).await.unwrap();
    let as_user = |token: &feishu_vc::model::SecretString, args: &[&str]| {
        command(home.path())
            .env("FEISHU_BASE_URL", emulator.base_url())
            .env("FEISHU_APP_ID", emulator.app_id())
            .env("FEISHU_APP_SECRET", emulator.app_secret())
            .env("FEISHU_USER_ACCESS_TOKEN", token.expose_secret())
            .args(args)
            .output()
            .unwrap()
    };

    // The app's token cannot record: refused before sending.
    let tenant = run(&["recording", "start", &meeting_id]);
    assert_eq!(code(&tenant), 2, "{}", text(&tenant.stderr));
    let not_host = as_user(&bob, &["recording", "start", &meeting_id]);
    assert_eq!(code(&not_host), 3, "{}", text(&not_host.stderr));
    assert!(
        text(&not_host.stderr).contains("122003"),
        "{}",
        text(&not_host.stderr)
    );
    let dry = as_user(
        &alice,
        &[
            "recording",
            "start",
            &meeting_id,
            "--timezone",
            "8",
            "--dry-run",
        ],
    );
    assert_eq!(code(&dry), 0, "{}", text(&dry.stderr));
    assert!(
        text(&dry.stdout).starts_with("PATCH "),
        "{}",
        text(&dry.stdout)
    );
    assert!(
        text(&dry.stdout).contains("\"timezone\": 8"),
        "{}",
        text(&dry.stdout)
    );
    let bad_zone = as_user(
        &alice,
        &["recording", "start", &meeting_id, "--timezone", "14"],
    );
    assert_eq!(code(&bad_zone), 2, "{}", text(&bad_zone.stderr));
    assert!(
        text(&bad_zone.stderr).contains("--timezone"),
        "{}",
        text(&bad_zone.stderr)
    );

    // The emulator's time is the system's plus its advances: the commands' own seconds count.
    let real = std::time::Instant::now();
    let started = as_user(
        &alice,
        &["recording", "start", &meeting_id, "--timezone", "8"],
    );
    assert_eq!(code(&started), 0, "{}", text(&started.stderr));
    let again = as_user(&alice, &["recording", "start", &meeting_id]);
    assert_eq!(code(&again), 3, "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("122001"),
        "{}",
        text(&again.stderr)
    );
    emulator.advance(Duration::from_secs(90)).await.unwrap();
    let stopped = as_user(&alice, &["recording", "stop", &meeting_id]);
    assert_eq!(code(&stopped), 0, "{}", text(&stopped.stderr));
    let passed_ms = i64::try_from(real.elapsed().as_millis()).unwrap() + 1000;

    let nobody = as_user(&alice, &["recording", "permission", &meeting_id]);
    assert_eq!(code(&nobody), 2, "{}", text(&nobody.stderr));
    let early = as_user(
        &alice,
        &["recording", "permission", &meeting_id, "--tenant"],
    );
    assert_eq!(code(&early), 3, "{}", text(&early.stderr));
    assert!(
        text(&early.stderr).contains("124002"),
        "{}",
        text(&early.stderr)
    );
    emulator.end_meeting(&id).await.unwrap();
    let file = emulator.recording_ready(&id, None).await.unwrap();
    assert!(
        (90_000..=90_000 + passed_ms).contains(&file.duration_ms),
        "{} ms recorded",
        file.duration_ms
    );
    let shared = as_user(
        &alice,
        &[
            "recording",
            "permission",
            &meeting_id,
            "--tenant",
            "--user",
            DEMO_USER_BOB,
        ],
    );
    assert_eq!(code(&shared), 0, "{}", text(&shared.stderr));
    let by_bob = as_user(&bob, &["recording", "permission", &meeting_id, "--tenant"]);
    assert_eq!(code(&by_bob), 3, "{}", text(&by_bob.stderr));
    for out in [&started, &stopped, &shared, &not_host] {
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(!all.contains(alice.expose_secret()) && !all.contains(bob.expose_secret()));
    }
    drop(run);
    emulator.shutdown().await.unwrap();
}
