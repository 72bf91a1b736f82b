//! get_meeting, list_meetings_by_no and get_recording over meetings driven through the control
//! API: who came and for how long, every meeting of a number once and in order, the recording
//! once ready.

use std::time::Duration;

use feishu_vc::model::{ErrorCode, MeetingStatus, ParticipantStatus, Timestamp};
use feishu_vc_emulator::{
    DEMO_USER_ALICE, DEMO_USER_BOB, DEMO_USER_CAROL, Emulator, LeaveReason, ManualClock,
    MeetingSpec, ParticipantSpec,
};
use futures_util::StreamExt;

use crate::{alice_meeting, book, client};

/// An emulator whose time moves only when the test advances it, so durations are exact (on the
/// system clock a second can tick between two steps).
async fn frozen() -> Emulator {
    let clock = ManualClock::new(Timestamp::now());
    Emulator::builder().clock(clock).start().await.unwrap()
}

#[tokio::test]
async fn an_ended_meeting_shows_everyone_with_their_time_and_its_recording() {
    let emulator = frozen().await;
    let client = client(&emulator);
    let booked = client
        .reserves()
        .apply(alice_meeting(&emulator, "Interview"))
        .await
        .unwrap()
        .data;
    let id = booked.reserve_id.as_str().to_owned();
    let started = emulator
        .start_meeting(&id, MeetingSpec::new().participant(DEMO_USER_BOB))
        .await
        .unwrap();
    let meeting_id = started.id.unwrap();
    emulator.advance(Duration::from_secs(300)).await.unwrap();
    emulator
        .join_meeting(&id, ParticipantSpec::new(DEMO_USER_CAROL))
        .await
        .unwrap();
    emulator.start_recording(&id, None).await.unwrap();
    emulator.advance(Duration::from_secs(600)).await.unwrap();
    emulator
        .leave_meeting(&id, DEMO_USER_BOB, LeaveReason::Left)
        .await
        .unwrap();
    // In progress: get_meeting shows who is in it now.
    let live = client
        .meetings()
        .get(meeting_id.clone())
        .set_with_participants(true)
        .await
        .unwrap()
        .data;
    assert_eq!(live.status, Some(MeetingStatus::OnTheCall));
    assert_eq!(live.participants.unwrap().len(), 2);
    let processing = client
        .recordings()
        .get(meeting_id.clone())
        .await
        .unwrap_err();
    assert_eq!(processing.code(), Some(ErrorCode::RecordProcessing));

    emulator.advance(Duration::from_secs(900)).await.unwrap();
    emulator.end_meeting(&id).await.unwrap();
    let file = emulator.recording_ready(&id, None).await.unwrap();

    let ended = client
        .meetings()
        .get(meeting_id.clone())
        .set_with_participants(true)
        .await
        .unwrap()
        .data;
    assert_eq!(ended.status, Some(MeetingStatus::Ended));
    let start = ended.start_time.unwrap().unix_seconds();
    assert_eq!(ended.end_time.unwrap().unix_seconds() - start, 1800);
    let people = ended.participants.unwrap();
    let time_of = |who: &str| {
        let p = people
            .iter()
            .find(|p| p.id.as_ref().is_some_and(|i| i.as_str() == who))
            .unwrap_or_else(|| panic!("{who} is not listed"));
        assert_eq!(p.status, Some(ParticipantStatus::Idle));
        (
            p.first_join_time.unwrap().unix_seconds() - start,
            p.final_leave_time.unwrap().unix_seconds() - start,
            p.in_meeting_duration.unwrap(),
        )
    };
    assert_eq!(time_of(DEMO_USER_ALICE), (0, 1800, 1800));
    assert_eq!(time_of(DEMO_USER_BOB), (0, 900, 900));
    assert_eq!(time_of(DEMO_USER_CAROL), (300, 1800, 1500));

    let recording = client.recordings().get(meeting_id).await.unwrap().data;
    assert_eq!(recording.url.as_deref(), Some(file.url.as_str()));
    assert_eq!(recording.duration, Some(file.duration_ms));
    assert_eq!(file.duration_ms, 1_500_000);
}

#[tokio::test]
async fn someone_who_comes_back_keeps_their_first_join_and_adds_their_time() {
    let emulator = frozen().await;
    let client = client(&emulator);
    let id = book(&client, &emulator, "Drop-in").await;
    let started = emulator
        .start_meeting(id.as_str(), MeetingSpec::new().participant(DEMO_USER_BOB))
        .await
        .unwrap();
    emulator.advance(Duration::from_secs(100)).await.unwrap();
    emulator
        .leave_meeting(id.as_str(), DEMO_USER_BOB, LeaveReason::Left)
        .await
        .unwrap();
    emulator.advance(Duration::from_secs(100)).await.unwrap();
    emulator
        .join_meeting(id.as_str(), ParticipantSpec::new(DEMO_USER_BOB))
        .await
        .unwrap();
    emulator.advance(Duration::from_secs(50)).await.unwrap();
    emulator.end_meeting(id.as_str()).await.unwrap();
    let ended = client
        .meetings()
        .get(started.id.unwrap())
        .set_with_participants(true)
        .await
        .unwrap()
        .data;
    let bob = ended
        .participants
        .unwrap()
        .into_iter()
        .find(|p| p.id.as_ref().is_some_and(|i| i.as_str() == DEMO_USER_BOB))
        .unwrap();
    assert_eq!(bob.in_meeting_duration, Some(150));
    assert_eq!(bob.first_join_time, ended.start_time);
    assert_eq!(ended.participant_count_accumulated, Some(2));
}

#[tokio::test]
async fn list_by_no_gives_250_meetings_in_pages_of_20_once_each_in_order() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let booked = client
        .reserves()
        .apply(alice_meeting(&emulator, "Office hours"))
        .await
        .unwrap()
        .data;
    let id = booked.reserve_id.as_str().to_owned();
    let from = emulator.now();
    let mut held = Vec::new();
    for _ in 0..250 {
        let m = emulator
            .start_meeting(&id, MeetingSpec::new())
            .await
            .unwrap();
        held.push(m.id.unwrap());
        emulator.advance(Duration::from_secs(5)).await.unwrap();
        emulator.end_meeting(&id).await.unwrap();
    }
    let to = Timestamp::from_unix_seconds(emulator.now().unix_seconds() + 1);
    let listed: Vec<_> = client
        .meetings()
        .list_by_no(booked.meeting_no.clone(), from, to)
        .set_page_size(20)
        .into_stream()
        .map(|m| m.unwrap().id.unwrap())
        .collect()
        .await;
    assert_eq!(listed, held);

    // A window that holds none of them lists nothing; a made-up page token is refused.
    let before = Timestamp::from_unix_seconds(from.unix_seconds() - 10);
    let none = client
        .meetings()
        .list_by_no(booked.meeting_no.clone(), before, before)
        .await
        .unwrap()
        .data;
    assert_eq!(none.meeting_briefs.unwrap_or_default().len(), 0);
    assert_eq!(none.has_more, Some(false));
    let refused = client
        .meetings()
        .list_by_no(booked.meeting_no, from, to)
        .set_page_token("not-a-token")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::ParamError), "{refused}");
}

#[tokio::test]
async fn unknown_meetings_and_recordings_never_made_are_their_documented_codes() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let unknown = client
        .meetings()
        .get("6911188411932033028")
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Some(ErrorCode::MeetingNotExist));
    let unknown = client
        .recordings()
        .get("6911188411932033028")
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Some(ErrorCode::MeetingNotExist));

    let id = book(&client, &emulator, "Never recorded").await;
    let m = emulator
        .start_meeting(id.as_str(), MeetingSpec::new())
        .await
        .unwrap();
    emulator.end_meeting(id.as_str()).await.unwrap();
    let none = client.recordings().get(m.id.unwrap()).await.unwrap_err();
    assert_eq!(none.code(), Some(ErrorCode::DataNotExist));
}

/// The documented code of a call that must fail.
fn code<T: std::fmt::Debug>(answer: feishu_vc::Result<T>) -> Option<ErrorCode> {
    answer.unwrap_err().code()
}

#[tokio::test]
async fn the_host_records_with_a_user_token_and_the_owner_shares_it_once_ready() {
    use feishu_vc::model::{
        RecordingPermissionLevel, RecordingPermissionObject, RecordingPermissionType,
        SetRecordingPermissionBody,
    };
    let emulator = frozen().await;
    let client = client(&emulator);
    let id = book(&client, &emulator, "Recorded").await;
    let m = emulator
        .start_meeting(id.as_str(), MeetingSpec::new().participant(DEMO_USER_BOB))
        .await
        .unwrap();
    let meeting_id = m.id.unwrap();
    let alice = emulator.mint_user_token(DEMO_USER_ALICE).await.unwrap();
    let bob = emulator.mint_user_token(DEMO_USER_BOB).await.unwrap();
    let recordings = client.recordings();
    let start = |token: &feishu_vc::model::SecretString| {
        recordings
            .start(meeting_id.clone())
            .with_user_access_token(token.expose_secret().to_owned())
    };

    // Someone in the meeting who does not host it, and the app's own token, are refused.
    assert_eq!(
        code(start(&bob).await),
        Some(ErrorCode::OperatorNotInMeeting)
    );
    // The app's own token: refused before sending.
    let local = recordings.start(meeting_id.clone()).await.unwrap_err();
    assert!(local.to_string().contains("nothing was sent"), "{local}");
    let tenant = emulator.mint_tenant_token().await.unwrap();
    let sent = crate::raw(
        reqwest::Method::PATCH,
        format!(
            "{}/open-apis/vc/v1/meetings/{}/recording/start",
            emulator.base_url(),
            meeting_id.as_str()
        ),
        Some(tenant.expose_secret()),
        None,
    )
    .await;
    assert_eq!(sent.body["code"], 121005, "{:?}", sent.body);
    start(&alice).await.unwrap();
    assert_eq!(
        code(start(&alice).await),
        Some(ErrorCode::MeetingStatusUnexpected)
    );
    emulator.advance(Duration::from_secs(120)).await.unwrap();
    let stop = || {
        recordings
            .stop(meeting_id.clone())
            .with_user_access_token(alice.expose_secret().to_owned())
    };
    stop().await.unwrap();
    assert_eq!(code(stop().await), Some(ErrorCode::MeetingStatusUnexpected));

    let share = |token: &feishu_vc::model::SecretString| {
        let everyone = SetRecordingPermissionBody::new([RecordingPermissionObject::new(
            RecordingPermissionLevel::View,
            RecordingPermissionType::Tenant,
        )]);
        recordings
            .set_permission(meeting_id.clone(), everyone)
            .with_user_access_token(token.expose_secret().to_owned())
    };
    assert_eq!(code(share(&alice).await), Some(ErrorCode::RecordProcessing));
    emulator.end_meeting(id.as_str()).await.unwrap();
    let file = emulator.recording_ready(id.as_str(), None).await.unwrap();
    assert_eq!(file.duration_ms, 120_000);
    assert_eq!(code(share(&bob).await), Some(ErrorCode::NoPermission));
    share(&alice).await.unwrap();
    // A meeting that ended cannot be recorded any more.
    assert_eq!(
        code(start(&alice).await),
        Some(ErrorCode::MeetingStatusUnexpected)
    );
}
