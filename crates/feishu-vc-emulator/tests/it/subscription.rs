//! One subscription mode per app, as on the Developer Console: an event reaches a program once,
//! over the webhook or over the long connection, never both. And app ids have the shape of real
//! ones, which the official SDKs check.

use std::time::Duration;

use feishu_vc_emulator::{
    DEMO_APP_ID, DEMO_TENANT_KEY, Emulator, EmulatorBuilder, Error, MeetingSpec, SubscriptionMode,
    is_app_id,
};
use feishu_vc_events::longconn::frame::{METHOD_DATA, Reassembler};
use futures_util::StreamExt as _;
use tokio_tungstenite::tungstenite::Message;

use crate::events::Receiver;
use crate::longconn::{endpoint, next_event};
use crate::{book, client};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A long connection of the demo app, dialled as an SDK dials it.
async fn dial(emulator: &Emulator) -> Socket {
    let answer = endpoint(emulator.base_url(), emulator.app_secret()).await;
    let url = answer["data"]["URL"].as_str().unwrap().to_owned();
    tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap()
        .0
}

/// Books a meeting and starts it: two events (meeting started, the host joined).
async fn start_a_meeting(emulator: &Emulator) {
    let id = book(&client(emulator), emulator, "one mode").await;
    emulator
        .start_meeting(id.as_str(), MeetingSpec::new())
        .await
        .unwrap();
}

/// Whether an event frame arrives on `socket` within `wait`.
async fn any_event_within(socket: &mut Socket, wait: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) | Ok(None) => return false,
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                let frame = feishu_vc_events::longconn::frame::Frame::decode_bytes(&bytes).unwrap();
                if frame.method == METHOD_DATA {
                    return true;
                }
            }
            Ok(Some(_)) => {}
        }
    }
}

#[tokio::test]
async fn with_a_callback_and_no_mode_set_events_go_to_the_webhook_only() {
    let receiver = Receiver::start(None, true, 0).await;
    let emulator = EmulatorBuilder::default()
        .event_callback(&receiver.url)
        .start()
        .await
        .unwrap();
    let mut socket = dial(&emulator).await;
    start_a_meeting(&emulator).await;
    assert_eq!(receiver.events(2).await.len(), 2);
    assert!(
        !any_event_within(&mut socket, Duration::from_millis(700)).await,
        "the same event also came over the long connection"
    );
}

#[tokio::test]
async fn an_app_set_to_the_long_connection_gets_nothing_on_the_webhook() {
    let receiver = Receiver::start(None, true, 0).await;
    let emulator = EmulatorBuilder::default()
        .event_callback(&receiver.url)
        .event_subscription(DEMO_APP_ID, SubscriptionMode::LongConnection)
        .start()
        .await
        .unwrap();
    let mut socket = dial(&emulator).await;
    start_a_meeting(&emulator).await;
    let mut reassembler = Reassembler::default();
    let (first, _) = next_event(&mut socket, &mut reassembler).await;
    assert_eq!(
        first["header"]["event_type"],
        "vc.meeting.meeting_started_v1"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        receiver.events(0).await.is_empty(),
        "the webhook got an event too"
    );
}

#[tokio::test]
async fn app_ids_of_another_shape_and_modes_of_unknown_apps_are_refused() {
    assert!(is_app_id(DEMO_APP_ID), "{DEMO_APP_ID}");
    for bad in [
        "cli_demo",
        "cli_a1b2c3d4e5f6071",
        "cli_a1b2c3d4e5f607182",
        "app_a1b2c3d4e5f60718",
        "cli_g1b2c3d4e5f60718",
    ] {
        assert!(!is_app_id(bad), "{bad}");
        let refused = EmulatorBuilder::default()
            .app_credentials(bad, "secret")
            .start()
            .await;
        match refused {
            Err(Error::Config(why)) => {
                assert!(why.contains(bad) && why.contains("16 hex digits"), "{why}")
            }
            other => panic!("app id {bad} was accepted: {other:?}"),
        }
    }
    let refused = EmulatorBuilder::default()
        .add_store_app("cli_store", "secret", [DEMO_TENANT_KEY])
        .start()
        .await;
    assert!(
        matches!(&refused, Err(Error::Config(why)) if why.contains("cli_store")),
        "{refused:?}"
    );
    let refused = EmulatorBuilder::default()
        .event_subscription("cli_0000000000000001", SubscriptionMode::Webhook)
        .start()
        .await;
    assert!(
        matches!(&refused, Err(Error::Config(why)) if why.contains("cli_0000000000000001") && why.contains("not configured")),
        "{refused:?}"
    );
}
