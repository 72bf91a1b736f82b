//! Faults a test asks for, and the counters that show what the emulator did.

use std::time::Duration;

use feishu_vc::model::UpdateReserveBody;
use feishu_vc_emulator::Emulator;
use serde_json::json;

use crate::{alice_meeting, book, client, later, raw, temp_dir};

#[tokio::test]
async fn a_dropped_answer_books_the_reservation_but_the_client_gets_no_answer() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    emulator.drop_next_apply_answers(1);

    let err = client
        .reserves()
        .apply(alice_meeting(&emulator, "dropped"))
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    // It was booked all the same, once (apply is never retried).
    let state = emulator.state();
    assert_eq!(state.applies, 1);
    assert_eq!(state.reservations.len(), 1);
    assert_eq!(state.reservations[0].topic.as_deref(), Some("dropped"));

    // Only the next apply was hit: the following one is answered.
    book(&client, &emulator, "answered").await;
    assert_eq!(emulator.state().applies, 2);
}

#[tokio::test]
async fn the_control_api_drops_as_many_answers_as_asked() {
    let emulator = Emulator::start_default().await.unwrap();
    let url = format!("{}/_emulator/faults", emulator.base_url());
    let set = raw(
        reqwest::Method::POST,
        url.clone(),
        None,
        Some(json!({"drop_apply_answers": 2})),
    )
    .await;
    assert_eq!(set.status, 200);
    assert_eq!(set.body, json!({"drop_apply_answers": 2}));
    let bad = raw(
        reqwest::Method::POST,
        url.clone(),
        None,
        Some(json!({"drop_answers": 2})),
    )
    .await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);

    let client = client(&emulator);
    for topic in ["one", "two"] {
        let err = client
            .reserves()
            .apply(alice_meeting(&emulator, topic))
            .await
            .unwrap_err();
        assert!(err.is_outcome_unknown(), "{err}");
    }
    let left = raw(reqwest::Method::GET, url, None, None).await;
    assert_eq!(left.body, json!({"drop_apply_answers": 0}));
    book(&client, &emulator, "three").await;
    assert_eq!(emulator.state().reservations.len(), 3);
}

#[tokio::test]
async fn updates_and_applies_are_counted_and_kept_across_restarts() {
    let dir = temp_dir("counters");
    let file = dir.join("state.db");
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let client = client(&emulator);
    let renewed = book(&client, &emulator, "renewed").await;
    let untouched = book(&client, &emulator, "untouched").await;
    for hours in [2, 3] {
        client
            .reserves()
            .update(
                renewed.clone(),
                UpdateReserveBody::default().set_end_time(later(&emulator, hours * 3600)),
            )
            .await
            .unwrap();
    }
    let state = emulator.state();
    assert_eq!(state.applies, 2);
    assert_eq!(state.reservation(renewed.as_str()).unwrap().updates, 2);
    assert_eq!(state.reservation(untouched.as_str()).unwrap().updates, 0);
    // The control API shows the same.
    let shown = raw(
        reqwest::Method::GET,
        format!("{}/_emulator/state", emulator.base_url()),
        None,
        None,
    )
    .await;
    assert_eq!(shown.body["applies"], 2);
    let row = shown.body["reservations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == renewed.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["updates"], 2);

    // A deleted reservation still counts as applied; both counts survive a restart.
    client.reserves().delete(untouched).await.unwrap();
    emulator.shutdown().await.unwrap();
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let state = emulator.state();
    assert_eq!(state.applies, 2);
    assert_eq!(state.reservation(renewed.as_str()).unwrap().updates, 2);
    emulator.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_apply_whose_client_went_away_is_still_booked() {
    // A client that sends a whole apply and disconnects before the answer: the reservation is
    // booked all the same, as a server cannot know the sender went away.
    use tokio::io::AsyncWriteExt;
    let emulator = Emulator::start_default().await.unwrap();
    let token = emulator.mint_tenant_token().await.unwrap();
    let body = serde_json::to_string(&json!({
        "end_time": later(&emulator, 3600),
        "owner_id": feishu_vc_emulator::DEMO_USER_ALICE,
        "meeting_settings": {"topic": "gone"},
    }))
    .unwrap();
    let request = format!(
        "POST /open-apis/vc/v1/reserves/apply HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        token.expose_secret(),
        body.len()
    );
    let mut socket = tokio::net::TcpStream::connect(emulator.local_addr())
        .await
        .unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    drop(socket);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while emulator.state().applies == 0 {
        assert!(tokio::time::Instant::now() < deadline, "never booked");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        emulator.state().reservations[0].topic.as_deref(),
        Some("gone")
    );
}
