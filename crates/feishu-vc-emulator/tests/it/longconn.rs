//! The long-connection server with a bare WebSocket client that can withhold acknowledgements:
//! the endpoint, fragments, redelivery of what is not acknowledged, pongs, ticket reuse.

use std::time::Duration;

use feishu_vc_emulator::{ClientConfig, DEMO_APP_ID, EmulatorBuilder, MeetingSpec};
use feishu_vc_events::longconn::frame::{Frame, METHOD_DATA, Reassembler};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{book, client};

/// `POST /callback/ws/endpoint` with the demo app; the answer's `data`.
pub(crate) async fn endpoint(base: &str, secret: &str) -> Value {
    endpoint_with(
        base,
        json!({"AppID": DEMO_APP_ID, "AppSecret": secret}).to_string(),
    )
    .await
}

/// `POST /callback/ws/endpoint` with this body; the answer.
async fn endpoint_with(base: &str, body: String) -> Value {
    crate::http()
        .post(format!("{base}/callback/ws/endpoint"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The next whole event on `socket`: its reassembled JSON and the frame that completed it.
pub(crate) async fn next_event<S>(socket: &mut S, reassembler: &mut Reassembler) -> (Value, Frame)
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        let Message::Binary(bytes) = message else {
            continue;
        };
        let frame = Frame::decode_bytes(&bytes).unwrap();
        if frame.method != METHOD_DATA {
            continue;
        }
        if let Some(whole) = reassembler.push(&frame, std::time::Instant::now()).unwrap() {
            return (serde_json::from_slice(&whole).unwrap(), frame);
        }
    }
}

#[tokio::test]
async fn a_refused_endpoint_call_answers_data_as_an_object_as_feishu_does() {
    // The official SDKs read `data.URL` before `code`: the Node SDK crashes on `"data": null`
    // and retries forever instead of reporting the refusal.
    let emulator = EmulatorBuilder::default().start().await.unwrap();
    let wrong_secret = endpoint(emulator.base_url(), "wrong").await;
    assert_eq!(wrong_secret["code"], 10014, "{wrong_secret}");
    assert_eq!(wrong_secret["data"], json!({}), "{wrong_secret}");
    let not_json = endpoint_with(emulator.base_url(), "not json".to_owned()).await;
    assert_eq!(not_json["code"], 10003, "{not_json}");
    assert_eq!(not_json["data"], json!({}), "{not_json}");
}

#[tokio::test]
async fn an_unacknowledged_event_comes_again_fragmented_and_an_acknowledged_one_does_not() {
    let emulator = EmulatorBuilder::default()
        .long_connection_fragment_size(100)
        .long_connection_ack_timeout(Duration::from_millis(300))
        .long_connection_client_config(ClientConfig {
            ping_interval: 7,
            ..ClientConfig::default()
        })
        .start()
        .await
        .unwrap();
    let refused = endpoint(emulator.base_url(), "wrong").await;
    assert_eq!(refused["code"], 10014, "{refused}");
    let answer = endpoint(emulator.base_url(), emulator.app_secret()).await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(answer["data"]["ClientConfig"]["PingInterval"], 7);
    let url = answer["data"]["URL"].as_str().unwrap().to_owned();
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    // A ticket serves once.
    assert!(
        tokio_tungstenite::connect_async(url.as_str())
            .await
            .is_err()
    );

    // A ping gets a pong carrying the config.
    let ping = Frame::ping(1).to_bytes();
    socket.send(Message::Binary(ping.into())).await.unwrap();

    let reserve_id = book(&client(&emulator), &emulator, "long connection").await;
    emulator
        .start_meeting(reserve_id.as_str(), MeetingSpec::new())
        .await
        .unwrap();
    let mut reassembler = Reassembler::default();
    // Two events (meeting started, the host's join), none acknowledged: after the 300 ms
    // acknowledgement timeout both come again, with the same event ids.
    let mut seen: Vec<(Value, Frame)> = Vec::new();
    while seen.len() < 4 {
        seen.push(next_event(&mut socket, &mut reassembler).await);
    }
    let ids: Vec<&str> = seen
        .iter()
        .map(|(e, _)| e["header"]["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        seen[0].0["header"]["event_type"],
        "vc.meeting.meeting_started_v1"
    );
    assert_eq!(&ids[2..], &ids[..2], "the same two events again, in order");
    assert_ne!(ids[0], ids[1]);
    assert!(
        seen[0].1.header("sum").unwrap().parse::<usize>().unwrap() > 1,
        "fragmented"
    );
    // Acknowledge the second sending of each: settled, nothing more comes.
    for (_, frame) in &seen[2..] {
        let ack = frame.ack(200, Duration::from_millis(1)).to_bytes();
        socket.send(Message::Binary(ack.into())).await.unwrap();
    }
    let mut stats = emulator.long_connection_stats();
    for _ in 0..100 {
        if stats.pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        stats = emulator.long_connection_stats();
    }
    assert_eq!(stats.acknowledged, ids[..2]);
    assert!(stats.redeliveries >= 2, "{stats:?}");
    assert!(stats.pongs >= 1, "{stats:?}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let later = emulator.long_connection_stats();
    assert_eq!(
        later.redeliveries, stats.redeliveries,
        "acknowledged events stay settled"
    );
}
