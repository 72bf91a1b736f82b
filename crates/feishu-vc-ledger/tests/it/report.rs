//! The attendance report of a reservation, over meetings driven on the emulator.

use std::sync::Arc;
use std::time::Duration;

use feishu_vc::model::Timestamp;

use feishu_vc_emulator::{
    DEMO_USER_ALICE, DEMO_USER_BOB, DEMO_USER_CAROL, Emulator, LeaveReason, ManualClock,
    MeetingSpec,
};
use feishu_vc_ledger::{BookError, LedgerError, RecordingStatus};

use crate::support::{book_one, emulator_with, ledger};

/// An emulator whose time moves only when the test advances it, so durations are exact (on the
/// system clock a second can tick between two steps, or during the report's own calls).
async fn frozen() -> Arc<Emulator> {
    let clock = ManualClock::new(Timestamp::now());
    emulator_with(Emulator::builder().clock(clock)).await
}

#[tokio::test]
async fn the_report_gives_each_meeting_who_came_for_how_long_and_the_recording() {
    let emulator = frozen().await;
    let ledger = ledger(&emulator);
    let id = book_one(&ledger, &emulator, "interview").await;
    let reserve = id.as_str();
    emulator.advance(Duration::from_secs(60)).await.unwrap();
    emulator
        .start_meeting(
            reserve,
            MeetingSpec::new()
                .participant(DEMO_USER_BOB)
                .participant(DEMO_USER_CAROL),
        )
        .await
        .unwrap();
    emulator.start_recording(reserve, None).await.unwrap();
    emulator.advance(Duration::from_secs(600)).await.unwrap();
    emulator
        .leave_meeting(reserve, DEMO_USER_CAROL, LeaveReason::Left)
        .await
        .unwrap();
    emulator.advance(Duration::from_secs(1200)).await.unwrap();
    emulator.end_meeting(reserve).await.unwrap();
    let file = emulator.recording_ready(reserve, None).await.unwrap();
    emulator.advance(Duration::from_secs(60)).await.unwrap();
    emulator
        .start_meeting(reserve, MeetingSpec::new())
        .await
        .unwrap();
    emulator.advance(Duration::from_secs(30)).await.unwrap();

    let report = ledger.report(&id).await.unwrap();
    assert_eq!(report.reserve_id, reserve);
    assert_eq!(report.meetings.len(), 2, "{report:#?}");
    let first = &report.meetings[0];
    assert_eq!(first.duration_seconds, Some(1800));
    let mut times: Vec<(String, Option<i64>)> = first
        .participants
        .iter()
        .map(|p| (p.user_id.clone().unwrap(), p.seconds_in_meeting))
        .collect();
    times.sort();
    let mut expected = vec![
        (DEMO_USER_ALICE.to_owned(), Some(1800)),
        (DEMO_USER_BOB.to_owned(), Some(1800)),
        (DEMO_USER_CAROL.to_owned(), Some(600)),
    ];
    expected.sort();
    assert_eq!(times, expected);
    assert!(
        first
            .participants
            .iter()
            .all(|p| p.final_leave_time.is_some())
    );
    assert_eq!(
        first.recording,
        RecordingStatus::Ready {
            url: file.url,
            duration_ms: Some(1_800_000)
        }
    );

    // The meeting in progress: no end, its length so far, nobody left, not recorded.
    let second = &report.meetings[1];
    assert_eq!(second.end_time, None);
    assert_eq!(second.duration_seconds, Some(30));
    assert_eq!(second.participants.len(), 1);
    assert!(second.participants[0].is_host);
    assert_eq!(second.recording, RecordingStatus::None);
}

#[tokio::test]
async fn a_reservation_not_in_the_ledger_has_no_report() {
    let emulator = frozen().await;
    let ledger = ledger(&emulator);
    let error = ledger
        .report(&"6911188411932033028".into())
        .await
        .unwrap_err();
    assert!(
        matches!(error, BookError::Ledger(LedgerError::NotFound(_))),
        "{error}"
    );
}

#[tokio::test]
async fn the_report_of_meetings_already_seen_reads_those_and_only_those() {
    let emulator = frozen().await;
    let ledger = ledger(&emulator);
    let id = book_one(&ledger, &emulator, "seen").await;
    let reserve = id.as_str();
    let mut held = Vec::new();
    for seconds in [300, 900] {
        let meeting = emulator
            .start_meeting(reserve, MeetingSpec::new().participant(DEMO_USER_BOB))
            .await
            .unwrap();
        emulator
            .advance(Duration::from_secs(seconds))
            .await
            .unwrap();
        emulator.end_meeting(reserve).await.unwrap();
        emulator.advance(Duration::from_secs(60)).await.unwrap();
        held.push(meeting.id.unwrap());
    }
    // As an event handler would have them: the second meeting's id, twice (a redelivery).
    let seen = vec![held[1].clone(), held[1].clone()];
    let report = ledger.report_of_meetings(&id, seen).await.unwrap();
    assert_eq!(report.meetings.len(), 1, "{report:#?}");
    assert_eq!(report.meetings[0].meeting_id, held[1].as_str());
    assert_eq!(report.meetings[0].duration_seconds, Some(900));
    // With nothing seen, list_by_no finds both.
    let all = ledger.report_of_meetings(&id, Vec::new()).await.unwrap();
    let ids: Vec<&str> = all.meetings.iter().map(|m| m.meeting_id.as_str()).collect();
    assert_eq!(ids, [held[0].as_str(), held[1].as_str()]);
}
