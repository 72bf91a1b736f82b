//! `feishu-vc reserve apply --calendar --attendee`, end to end over HTTP against an emulator on a
//! free loopback port: the booking on the calendar, the meeting held and reported, the event's
//! end moved by a renewal and the event deleted with the reservation.

use feishu_vc_emulator::{DEMO_USER_ALICE, DEMO_USER_BOB, DEMO_USER_CAROL, Emulator, MeetingSpec};
use serde_json::Value;

use super::after_meeting::{assert_attended, hold, runner};
use super::{TempDir, code, reserve_id, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_on_the_calendar_is_held_reported_renewed_and_deleted() {
    let emulator = Emulator::start_default().await.unwrap();
    let home = TempDir::new("calendar");
    let run = runner(&emulator, &home);
    let booked = run(&[
        "reserve",
        "apply",
        "--topic",
        "Interview",
        "--end-time",
        "+1d",
        "--owner",
        DEMO_USER_ALICE,
        "--calendar",
        "--attendee",
        DEMO_USER_BOB,
        "--attendee",
        DEMO_USER_CAROL,
        "-o",
        "json",
    ]);
    assert_eq!(code(&booked), 0, "{}", text(&booked.stderr));
    let id = reserve_id(&booked);
    let answer: Value = serde_json::from_slice(&booked.stdout).unwrap();
    let event_id = answer["calendar"]["event_id"].as_str().unwrap().to_owned();
    let state = emulator.state();
    let reservation = state.reservation(&id).unwrap();
    let event = state.calendar_event(&event_id).unwrap();
    assert_eq!(
        answer["calendar"]["calendar_id"],
        event.calendar_id.as_str()
    );
    assert_eq!(event.summary.as_deref(), Some("Interview"));
    assert_eq!(
        event.meeting_url.as_deref(),
        answer["reserve"]["url"].as_str()
    );
    assert!(event.meeting_url.is_some());
    assert_eq!(event.end_time, Some(reservation.end_time));
    // The owner is invited with the two attendees.
    assert_eq!(
        event.attendees,
        [DEMO_USER_ALICE, DEMO_USER_BOB, DEMO_USER_CAROL]
    );

    // Bob hosts, Carol joins and leaves after ten minutes, Bob stays for thirty.
    let file = hold(
        &emulator,
        &id,
        MeetingSpec::new().host(DEMO_USER_BOB),
        600,
        1200,
    )
    .await;

    let out = run(&["reserve", "report", &id, "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let meetings = report["meetings"].as_array().unwrap();
    assert_eq!(meetings.len(), 1, "{report}");
    assert_eq!(meetings[0]["recording"]["url"], file.url.as_str());
    assert_attended(
        &meetings[0],
        &[(DEMO_USER_BOB, 1800), (DEMO_USER_CAROL, 600)],
    );

    // Renewing moves the event's end to the reservation's new end.
    let renewed = run(&["reserve", "update", &id, "--end-time", "+3d", "-o", "json"]);
    assert_eq!(code(&renewed), 0, "{}", text(&renewed.stderr));
    let state = emulator.state();
    let new_end = state.reservation(&id).unwrap().end_time;
    assert!(new_end > reservation.end_time);
    let event = state.calendar_event(&event_id).unwrap();
    assert_eq!((event.end_time, event.updates), (Some(new_end), 1));

    // Deleting the reservation deletes the event.
    let deleted = run(&["reserve", "delete", &id, "--yes"]);
    assert_eq!(code(&deleted), 0, "{}", text(&deleted.stderr));
    let state = emulator.state();
    assert!(state.reservation(&id).is_none(), "the reservation is gone");
    assert!(state.calendar_event(&event_id).unwrap().deleted);
    drop(run);
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_flags_that_cannot_work_are_refused_before_booking() {
    let emulator = Emulator::start_default().await.unwrap();
    let home = TempDir::new("calendar-refused");
    let run = runner(&emulator, &home);
    let apply = |extra: &[&str]| {
        let mut args = vec![
            "reserve",
            "apply",
            "--topic",
            "T",
            "--end-time",
            "+1d",
            "--owner",
            DEMO_USER_ALICE,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    // --attendee without --calendar: a usage error naming both.
    let stray = apply(&["--attendee", DEMO_USER_BOB]);
    assert_eq!(code(&stray), 2, "{}", text(&stray.stderr));
    assert!(
        text(&stray.stderr).contains("--calendar"),
        "{}",
        text(&stray.stderr)
    );
    // An event that would end before it starts.
    let backwards = apply(&["--calendar", "--starts", "+2d"]);
    assert_eq!(code(&backwards), 2, "{}", text(&backwards.stderr));
    assert!(
        text(&backwards.stderr).contains("--starts"),
        "{}",
        text(&backwards.stderr)
    );
    let empty = apply(&["--calendar", "--attendee", " "]);
    assert_eq!(code(&empty), 2, "{}", text(&empty.stderr));
    let state = emulator.state();
    assert!(state.reservations.is_empty(), "nothing was booked");
    assert!(state.calendar_events.is_empty());

    // Calendar refuses an unknown calendar: the meeting is booked, the message says so and how
    // to place it; doing that (a second later: the relative --end-time is replaced by the end
    // it named) does not book it again.
    let unknown = "feishu.cn_0@group.calendar.feishu.cn";
    let first = apply(&["--calendar", unknown, "--key", "k1"]);
    assert_ne!(code(&first), 0);
    let why = text(&first.stderr);
    assert!(why.contains("booked as"), "{why}");
    let retry = why
        .split("run the same command with ")
        .nth(1)
        .and_then(|rest| rest.split(" to place it").next())
        .unwrap_or_else(|| panic!("no command to run: {why}"));
    let retry: Vec<&str> = retry.split(' ').collect();
    assert_eq!(retry[..3], ["--key", "k1", "--end-time"], "{why}");
    assert_eq!(emulator.state().reservations.len(), 1);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut args = vec![
        "reserve",
        "apply",
        "--topic",
        "T",
        "--owner",
        DEMO_USER_ALICE,
    ];
    args.extend_from_slice(&retry);
    args.extend_from_slice(&["--calendar", "-o", "table"]);
    let again = run(&args);
    assert_eq!(code(&again), 0, "{}", text(&again.stderr));
    let state = emulator.state();
    assert_eq!(state.reservations.len(), 1, "booked once");
    assert_eq!(state.calendar_events.len(), 1);
    let shown = text(&again.stdout);
    assert!(
        shown.contains("CALENDAR EVENT") && shown.contains(&state.calendar_events[0].event_id),
        "{shown}"
    );
    drop(run);
    emulator.shutdown().await.unwrap();
}
