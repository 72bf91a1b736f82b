//! The state file: written before each answer, atomically, and loaded on start.

use std::time::Duration;

use feishu_vc::model::UpdateReserveBody;
use feishu_vc_emulator::{DEMO_USER_BOB, Emulator, Error, MeetingSpec};

use crate::{alice_meeting, client, later, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restart_on_the_same_state_file_loses_nothing() {
    const N: usize = 1000;
    let dir = temp_dir("restart");
    let file = dir.join("state.json");

    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let client = client(&emulator);
    let calls: Vec<_> = (0..N)
        .map(|i| {
            let client = client.clone();
            let request = alice_meeting(&emulator, &format!("meeting {i}"));
            tokio::spawn(async move { client.reserves().apply(request).await })
        })
        .collect();
    let mut booked = Vec::with_capacity(N);
    for call in calls {
        let reserve = call.await.unwrap().unwrap().data.reserve;
        booked.push((reserve.id.unwrap(), reserve.meeting_no.unwrap()));
    }
    // More kinds of change: a renewal, a deletion, a meeting, a user token, a clock advance.
    let renewed_end = later(&emulator, 86_400);
    client
        .reserves()
        .update(
            booked[0].0.clone(),
            UpdateReserveBody::default().set_end_time(renewed_end),
        )
        .await
        .unwrap();
    let (deleted, _) = booked.pop().unwrap();
    client.reserves().delete(deleted.clone()).await.unwrap();
    let meeting = emulator
        .start_meeting(
            booked[1].0.as_str(),
            MeetingSpec::new().participant(DEMO_USER_BOB),
        )
        .await
        .unwrap();
    let bob = emulator.mint_user_token(DEMO_USER_BOB).await.unwrap();
    emulator.advance(Duration::from_secs(60)).await.unwrap();
    let port = emulator.local_addr().port();
    emulator.shutdown().await.unwrap();
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["state.json"], "no temporary file is left behind");

    // Same file, same port: the old client (and its cached token) carries on.
    let emulator = Emulator::builder()
        .state_file(&file)
        .port(port)
        .start()
        .await
        .unwrap();
    assert_eq!(emulator.state().clock_offset_seconds, 60);
    assert_eq!(emulator.state().reservations.len(), N - 1);
    for (id, no) in &booked {
        let got = client.reserves().get(id.clone()).await.unwrap();
        assert_eq!(got.data.reserve.unwrap().meeting_no.as_ref(), Some(no));
    }
    let err = client.reserves().get(deleted).await.unwrap_err();
    assert_eq!(err.code(), Some(feishu_vc::model::ErrorCode::DataNotExist));
    let renewed = client.reserves().get(booked[0].0.clone()).await.unwrap();
    assert_eq!(renewed.data.reserve.unwrap().end_time, Some(renewed_end));
    let active = client
        .reserves()
        .get_active_meeting(booked[1].0.clone())
        .await
        .unwrap();
    assert_eq!(active.data.meeting.unwrap().id, meeting.id);
    // Bob's token survived too: he is not the owner, so he is refused, not unauthenticated.
    let err = client
        .reserves()
        .get(booked[2].0.clone())
        .with_user_access_token(bob)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(feishu_vc::model::ErrorCode::NoPermission));
    emulator.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn each_change_is_on_disk_before_it_is_answered() {
    let dir = temp_dir("durable");
    let file = dir.join("state.json");
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let client = client(&emulator);
    for i in 0..5 {
        let id = client
            .reserves()
            .apply(alice_meeting(&emulator, &format!("m{i}")))
            .await
            .unwrap()
            .data
            .reserve
            .id
            .unwrap();
        // Read the file while the emulator runs, before anything else happens.
        let on_disk: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert!(
            on_disk["reservations"].get(id.as_str()).is_some(),
            "reservation {id} is on disk when its answer arrives"
        );
    }
    // A dropped emulator (no shutdown) loses nothing either.
    drop(emulator);
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    assert_eq!(emulator.state().reservations.len(), 5);
    emulator.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_file_that_is_not_a_state_file_is_refused() {
    let dir = temp_dir("corrupt");
    let file = dir.join("state.json");
    std::fs::write(&file, b"{ not json").unwrap();
    let err = Emulator::builder()
        .state_file(&file)
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StateFormat { .. }), "{err}");
    // It is left as it was.
    assert_eq!(std::fs::read(&file).unwrap(), b"{ not json");
    let _ = std::fs::remove_dir_all(dir);
}
