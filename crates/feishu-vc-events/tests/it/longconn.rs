//! The long-connection client against the emulator's long-connection server, end to end over
//! loopback: the facade books, the emulator drives the meeting, the client hears it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{book_an_hour, booking_client};
use feishu_vc::model::ReserveId;
use feishu_vc_emulator::{
    ClientConfig, DEMO_USER_BOB, DEMO_USER_CAROL, Emulator, EmulatorBuilder, MeetingSpec,
    ParticipantSpec,
};
use feishu_vc_events::longconn::{LongConnection, LongConnectionError};
use feishu_vc_events::{
    Decoder, Delivery, EventHandler, HandlerError, InMemoryDedup, InMemoryReservations, Receiver,
};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The events driving one meeting as below produces, in order.
const MEETING: [&str; 8] = [
    "vc.meeting.meeting_started_v1",
    "vc.meeting.join_meeting_v1",
    "vc.meeting.join_meeting_v1",
    "vc.meeting.join_meeting_v1",
    "vc.meeting.leave_meeting_v1",
    "vc.meeting.leave_meeting_v1",
    "vc.meeting.leave_meeting_v1",
    "vc.meeting.meeting_ended_v1",
];

/// Quick reconnects, for tests.
fn quick() -> ClientConfig {
    ClientConfig {
        reconnect_count: -1,
        reconnect_interval: 0,
        reconnect_nonce: 0,
        ping_interval: 30,
    }
}

/// Books one reservation through the facade, its booking hook filling `ledger`.
async fn book(emulator: &Emulator, ledger: &Arc<InMemoryReservations>) -> ReserveId {
    let client = booking_client(emulator, ledger);
    book_an_hour(&client, emulator).await.reserve_id
}

/// Start with Bob, Carol joins, end: the eight events of [`MEETING`].
async fn drive(emulator: &Emulator, reserve_id: &ReserveId) {
    let r = reserve_id.as_str();
    emulator
        .start_meeting(r, MeetingSpec::new().participant(DEMO_USER_BOB))
        .await
        .unwrap();
    emulator
        .join_meeting(r, ParticipantSpec::new(DEMO_USER_CAROL))
        .await
        .unwrap();
    emulator.end_meeting(r).await.unwrap();
}

type Heard = Arc<Mutex<Vec<Delivery>>>;

/// A running client: what its handler heard, how to stop it, its outcome.
struct Running {
    heard: Heard,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), LongConnectionError>>,
}

/// Records what it hears.
struct Recorder(Heard);

impl EventHandler for Recorder {
    async fn handle(&self, delivery: Delivery) -> Result<(), HandlerError> {
        self.0.lock().unwrap().push(delivery);
        Ok(())
    }
}

fn run(connection: LongConnection) -> Running {
    let heard = Heard::default();
    let handler = Recorder(heard.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        connection
            .run(handler, async move {
                let _ = stopped.await;
            })
            .await
    });
    Running { heard, stop, task }
}

/// Books a reservation through the facade and connects a client whose receiver looks
/// reservations up in the facade's ledger.
async fn booked_and_listening(emulator: &Emulator) -> (ReserveId, Running) {
    let ledger = Arc::new(InMemoryReservations::new());
    let reserve_id = book(emulator, &ledger).await;
    let client = run(client_of(emulator)
        .receiver(Receiver::new(Decoder::new()).reservation_lookup(ledger.clone())));
    until("the connection", || {
        emulator.long_connection_stats().connections_open == 1
    })
    .await;
    (reserve_id, client)
}

fn client_of(emulator: &Emulator) -> LongConnection {
    LongConnection::new(emulator.app_id(), emulator.app_secret()).base_url(emulator.base_url())
}

/// Polls `done` every 20 ms for up to 20 s.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

fn heard_ids(heard: &Heard) -> Vec<String> {
    heard
        .lock()
        .unwrap()
        .iter()
        .map(|d| d.event_id().to_owned())
        .collect()
}

#[tokio::test]
async fn booked_meeting_events_arrive_once_in_order_with_their_reservation_and_are_acknowledged() {
    let emulator = EmulatorBuilder::default()
        .long_connection_client_config(quick())
        .start()
        .await
        .unwrap();
    let (reserve_id, client) = booked_and_listening(&emulator).await;

    drive(&emulator, &reserve_id).await;
    until("every acknowledgement", || {
        emulator.long_connection_stats().acknowledged.len() == MEETING.len()
    })
    .await;

    let heard = client.heard.lock().unwrap().clone();
    let types: Vec<&str> = heard.iter().map(|d| d.event.event_type()).collect();
    assert_eq!(types, MEETING);
    for delivery in &heard {
        assert_eq!(
            delivery.reserve_id.as_ref(),
            Some(&reserve_id),
            "{delivery:?}"
        );
    }
    let stats = emulator.long_connection_stats();
    let ids: Vec<String> = heard.iter().map(|d| d.event_id().to_owned()).collect();
    assert_eq!(
        stats.acknowledged, ids,
        "one acknowledgement per event, in order"
    );
    assert_eq!(stats.pending, 0);
    assert_eq!(stats.redeliveries, 0);
    assert_eq!(stats.endpoint_requests, 1);

    client.stop.send(()).unwrap();
    client.task.await.unwrap().unwrap();
    until("the close", || {
        emulator.long_connection_stats().connections_open == 0
    })
    .await;
}

#[tokio::test]
async fn a_drop_mid_stream_reconnects_with_a_fresh_endpoint_and_nothing_is_lost_or_handled_twice() {
    let emulator = EmulatorBuilder::default()
        .long_connection_client_config(quick())
        // Events of ~1 KiB: every one goes out in several fragments.
        .long_connection_fragment_size(200)
        .start()
        .await
        .unwrap();
    let (reserve_id, client) = booked_and_listening(&emulator).await;

    // The connection closes right after the third event is sent, before its acknowledgement.
    emulator.drop_long_connection_after(3);
    drive(&emulator, &reserve_id).await;
    until("every acknowledgement", || {
        let stats = emulator.long_connection_stats();
        stats.pending == 0 && stats.acknowledged.len() >= MEETING.len()
    })
    .await;

    let stats = emulator.long_connection_stats();
    assert_eq!(
        stats.endpoint_requests, 2,
        "a fresh endpoint for the reconnect"
    );
    assert_eq!(stats.connections_accepted, 2);
    assert!(stats.redeliveries >= 1, "{stats:?}");
    let ids = heard_ids(&client.heard);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no event handled twice: {ids:?}");
    assert_eq!(ids.len(), MEETING.len(), "none lost");
    let acked: HashSet<&String> = stats.acknowledged.iter().collect();
    assert_eq!(acked, unique);
    let mut types: Vec<&str> = client
        .heard
        .lock()
        .unwrap()
        .iter()
        .map(|d| d.event.event_type())
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| MEETING.iter().find(|m| **m == t).copied().unwrap())
        .collect();
    types.sort_unstable();
    let mut expected = MEETING.to_vec();
    expected.sort_unstable();
    assert_eq!(types, expected);
    client.stop.send(()).unwrap();
    client.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn bad_credentials_end_the_client_with_a_typed_error_and_no_reconnect() {
    let emulator = EmulatorBuilder::default()
        .long_connection_client_config(quick())
        .start()
        .await
        .unwrap();
    let client = run(
        LongConnection::new(emulator.app_id(), "not-the-secret-s3cr3t")
            .base_url(emulator.base_url()),
    );
    let outcome = tokio::time::timeout(Duration::from_secs(10), client.task)
        .await
        .expect("no reconnect loop")
        .unwrap();
    let error = outcome.unwrap_err();
    assert!(
        matches!(error, LongConnectionError::Rejected { code: 10014, .. }),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains("s3cr3t"));
    assert_eq!(emulator.long_connection_stats().connections_accepted, 0);
    drop(client.stop);
}

#[tokio::test]
async fn the_connection_limit_refusal_ends_the_client_with_its_typed_error() {
    let emulator = EmulatorBuilder::default()
        .long_connection_client_config(quick())
        .long_connection_limit(1)
        .start()
        .await
        .unwrap();
    let first = run(client_of(&emulator));
    until("the first connection", || {
        emulator.long_connection_stats().connections_open == 1
    })
    .await;
    let second = run(client_of(&emulator));
    let outcome = tokio::time::timeout(Duration::from_secs(10), second.task)
        .await
        .expect("no reconnect loop")
        .unwrap();
    assert!(
        matches!(outcome, Err(LongConnectionError::ConnectionLimit { .. })),
        "{outcome:?}"
    );
    let stats = emulator.long_connection_stats();
    assert_eq!(stats.refused_over_limit, 1);
    assert_eq!(stats.endpoint_requests, 2, "one each, no retry");
    assert_eq!(stats.connections_open, 1);
    first.stop.send(()).unwrap();
    first.task.await.unwrap().unwrap();
    drop(second.stop);
}

#[tokio::test]
async fn pings_at_the_server_given_interval_are_answered() {
    let emulator = EmulatorBuilder::default()
        .long_connection_client_config(ClientConfig {
            ping_interval: 1,
            ..quick()
        })
        .start()
        .await
        .unwrap();
    let client = run(client_of(&emulator));
    until("two pongs", || emulator.long_connection_stats().pongs >= 2).await;
    client.stop.send(()).unwrap();
    client.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn each_event_goes_to_one_of_several_clients_and_a_shared_dedup_handles_it_once() {
    let emulator = EmulatorBuilder::default()
        .long_connection_client_config(quick())
        .start()
        .await
        .unwrap();
    let ledger = Arc::new(InMemoryReservations::new());
    let dedup = Arc::new(InMemoryDedup::default());
    let receiver = Receiver::new(Decoder::new())
        .reservation_lookup(ledger.clone())
        .dedup_store(dedup);
    let a = run(client_of(&emulator).receiver(receiver.clone()));
    let b = run(client_of(&emulator).receiver(receiver));
    until("both connections", || {
        emulator.long_connection_stats().connections_open == 2
    })
    .await;

    // Five meetings: 40 events, so both clients get some unless the choice is not random
    // (all to one: probability 2^-39).
    let mut expected = 0;
    for _ in 0..5 {
        let reserve_id = book(&emulator, &ledger).await;
        drive(&emulator, &reserve_id).await;
        expected += MEETING.len();
    }
    until("every acknowledgement", || {
        emulator.long_connection_stats().acknowledged.len() == expected
    })
    .await;
    let (ids_a, ids_b) = (heard_ids(&a.heard), heard_ids(&b.heard));
    assert!(
        !ids_a.is_empty() && !ids_b.is_empty(),
        "{} / {}",
        ids_a.len(),
        ids_b.len()
    );
    let all: HashSet<&String> = ids_a.iter().chain(&ids_b).collect();
    assert_eq!(all.len(), expected);
    assert_eq!(ids_a.len() + ids_b.len(), expected);
    for client in [a, b] {
        client.stop.send(()).unwrap();
        client.task.await.unwrap().unwrap();
    }
}

#[test]
fn debug_hides_the_app_secret() {
    let client = LongConnection::new("cli_a1b2c3d4e5f60718", "s3cr3t-value");
    let shown = format!("{client:?}");
    assert!(shown.contains("cli_a1b2c3d4e5f60718"));
    assert!(!shown.contains("s3cr3t-value"));
}

#[tokio::test]
async fn empty_credentials_are_refused_before_anything_is_sent() {
    let error = LongConnection::new("", "x")
        .base_url("http://127.0.0.1:9")
        .run(
            |_: Delivery| async { Ok::<(), HandlerError>(()) },
            std::future::pending(),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        LongConnectionError::InvalidConfig {
            field: "app_id",
            ..
        }
    ));
}

#[tokio::test]
async fn the_ticket_url_stays_out_of_errors_when_reconnecting_gives_up() {
    // An endpoint handing out a URL nobody listens on, with a ticket, and one attempt allowed.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let answer = serde_json::json!({
        "code": 0,
        "msg": "ok",
        "data": {
            "URL": format!("ws://127.0.0.1:{dead_port}/ws?device_id=1&service_id=2&ticket=TICKET-5ecret"),
            "ClientConfig": {"ReconnectCount": 1, "ReconnectInterval": 0, "ReconnectNonce": 0, "PingInterval": 30},
        },
    });
    let app = axum::Router::new().route(
        "/callback/ws/endpoint",
        axum::routing::post(move || {
            let answer = answer.clone();
            async move { axum::Json(answer) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let error = LongConnection::new("cli_a1b2c3d4e5f60718", "app-5ecret")
        .base_url(base)
        .run(Recorder(Heard::default()), std::future::pending())
        .await
        .unwrap_err();
    assert!(
        matches!(error, LongConnectionError::GaveUp { attempts: 1, .. }),
        "{error:?}"
    );
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("5ecret"), "{shown}");
}
