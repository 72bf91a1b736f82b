//! End to end through real HTTP on loopback: the facade books on the emulator, the emulator makes
//! the meeting happen and pushes its events to the ready router, which attributes each to the
//! reservation the facade recorded.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use feishu_vc::Client;
use feishu_vc::model::{ApplyReserveRequest, ReserveId, ReserveMeetingSetting, Timestamp};
use feishu_vc_emulator::{
    DEMO_USER_ALICE, DEMO_USER_BOB, Emulator, EmulatorBuilder, LeaveReason, ManualClock,
    MeetingSpec, ParticipantSpec,
};
use feishu_vc_events::{Decoder, Delivery, HandlerError, InMemoryReservations, Receiver, router};
use tokio::sync::mpsc;

use crate::support::{KEY, TOKEN};

/// What the handler saw: the event type (without `vc.meeting.`), its event id and reservation.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    event_type: String,
    event_id: String,
    reserve_id: Option<ReserveId>,
}

/// Serves `router(receiver, …)` on a loopback port; gives its URL and what its handler sees.
async fn serve_receiver(receiver: Receiver) -> (String, mpsc::UnboundedReceiver<Seen>) {
    let (seen, seen_rx) = mpsc::unbounded_channel();
    let app = router(receiver, move |delivery: Delivery| {
        let seen = seen.clone();
        async move {
            let event_type = delivery.event.event_type();
            let _ = seen.send(Seen {
                event_type: event_type
                    .strip_prefix("vc.meeting.")
                    .unwrap_or(event_type)
                    .to_owned(),
                event_id: delivery.header.event_id.clone(),
                reserve_id: delivery.reserve_id.clone(),
            });
            Ok::<(), HandlerError>(())
        }
    });
    (serve(app).await, seen_rx)
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

/// A loopback proxy in front of the receiver: forwards every request, and answers the emulator
/// HTTP 500 for the first event the receiver acknowledged, so that the emulator delivers it
/// again. Counts what it forwarded.
struct Proxy {
    target: String,
    http: reqwest::Client,
    failed_once: AtomicBool,
    forwarded_events: AtomicUsize,
}

async fn forward(State(proxy): State<Arc<Proxy>>, headers: HeaderMap, body: Bytes) -> Response {
    let mut request = proxy.http.post(&proxy.target).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let answer = request.send().await.unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    if text.contains(r#""msg""#) {
        proxy.forwarded_events.fetch_add(1, Ordering::SeqCst);
        if !proxy.failed_once.swap(true, Ordering::SeqCst) {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    (StatusCode::from_u16(status.as_u16()).unwrap(), text).into_response()
}

async fn serve_proxy(target: String) -> (String, Arc<Proxy>) {
    // reqwest may be built with rustls and no crypto provider of its own (feishu-vc's `rustls`).
    feishu_vc_transport::install_rustls_provider();
    let proxy = Arc::new(Proxy {
        target,
        http: reqwest::Client::new(),
        failed_once: AtomicBool::new(false),
        forwarded_events: AtomicUsize::new(0),
    });
    let app = axum::Router::new()
        .route("/", axum::routing::post(forward))
        .with_state(proxy.clone());
    (serve(app).await, proxy)
}

/// A client of `emulator` that records what it books in `ledger`, validating on `clock`.
fn client(emulator: &Emulator, clock: &ManualClock, ledger: &Arc<InMemoryReservations>) -> Client {
    let clock = clock.clone();
    Client::builder()
        .app_credentials(emulator.app_id(), emulator.app_secret())
        .base_url(emulator.base_url())
        .validation_clock(move || feishu_vc_emulator::Clock::now(&clock))
        .booking_observer(ledger.clone())
        .build()
        .unwrap()
}

async fn book(client: &Client, now: Timestamp, topic: &str) -> (ReserveId, String) {
    let end = now.checked_add(Duration::from_secs(3600)).unwrap();
    let booked = client
        .reserves()
        .apply(
            ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic(topic))
                .set_end_time(end)
                .set_owner_id(DEMO_USER_ALICE),
        )
        .await
        .unwrap()
        .data;
    (booked.reserve_id, booked.meeting_no.as_str().to_owned())
}

/// Waits for `n` events from the handler, then makes sure no further one comes.
async fn take(seen: &mut mpsc::UnboundedReceiver<Seen>, n: usize) -> Vec<Seen> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(Duration::from_secs(10), seen.recv()).await {
            Ok(Some(s)) => got.push(s),
            _ => panic!("only {} of {n} events arrived: {got:?}", got.len()),
        }
    }
    let extra = tokio::time::timeout(Duration::from_millis(300), seen.recv()).await;
    assert!(extra.is_err(), "an extra event: {extra:?} after {got:?}");
    got
}

fn clock() -> ManualClock {
    ManualClock::new(Timestamp::now())
}

/// The emulator's side of the test: callbacks through `url`, Feishu's retries scaled down.
fn emulator_builder(url: &str, clock: &ManualClock, encrypted: bool) -> EmulatorBuilder {
    let builder = Emulator::builder()
        .clock(clock.clone())
        .event_callback(url)
        .verification_token(TOKEN)
        .event_retry_scale(0.001);
    if encrypted {
        builder.encrypt_key(KEY)
    } else {
        builder
    }
}

fn receiver_decoder(encrypted: bool) -> Decoder {
    let decoder = Decoder::new().verification_token(TOKEN);
    if encrypted {
        decoder.encrypt_key(KEY)
    } else {
        decoder
    }
}

/// Books, starts the meeting, a participant joins and leaves, a recording becomes ready, the
/// meeting ends: the handler gets exactly those events, in order, each once (the retry of the
/// first, after the proxy answered 500, is deduplicated), each with the booked reservation.
async fn a_meeting_end_to_end(encrypted: bool) {
    let ledger = Arc::new(InMemoryReservations::new());
    let receiver = Receiver::new(receiver_decoder(encrypted)).reservation_lookup(ledger.clone());
    let (receiver_url, mut seen) = serve_receiver(receiver).await;
    let (proxy_url, proxy) = serve_proxy(receiver_url).await;
    let clock = clock();
    let emulator = emulator_builder(&proxy_url, &clock, encrypted)
        .start()
        .await
        .unwrap();
    let client = client(&emulator, &clock, &ledger);
    let (reserve_id, _) = book(&client, emulator.now(), "interview").await;
    let id = reserve_id.as_str();

    emulator
        .start_meeting(id, MeetingSpec::new().host(DEMO_USER_ALICE))
        .await
        .unwrap();
    emulator
        .join_meeting(id, ParticipantSpec::new(DEMO_USER_BOB))
        .await
        .unwrap();
    emulator
        .leave_meeting(id, DEMO_USER_BOB, LeaveReason::Left)
        .await
        .unwrap();
    emulator.start_recording(id, None).await.unwrap();
    emulator.end_recording(id).await.unwrap();
    emulator.recording_ready(id, None).await.unwrap();
    emulator.end_meeting(id).await.unwrap();

    let expected = [
        "meeting_started_v1",
        "join_meeting_v1",
        "join_meeting_v1",
        "leave_meeting_v1",
        "recording_started_v1",
        "recording_ended_v1",
        "recording_ready_v1",
        "leave_meeting_v1",
        "meeting_ended_v1",
    ];
    let got = take(&mut seen, expected.len()).await;
    let types: Vec<&str> = got.iter().map(|s| s.event_type.as_str()).collect();
    assert_eq!(types, expected);
    for s in &got {
        assert_eq!(s.reserve_id.as_ref(), Some(&reserve_id), "{s:?}");
    }
    let mut ids: Vec<&str> = got.iter().map(|s| s.event_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        expected.len(),
        "an event id handled twice: {got:?}"
    );
    // The first event reached the receiver twice: once answered 500 by the proxy, once again.
    assert!(proxy.failed_once.load(Ordering::SeqCst));
    assert_eq!(
        proxy.forwarded_events.load(Ordering::SeqCst),
        expected.len() + 1
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_booked_meeting_end_to_end_with_an_encrypt_key() {
    a_meeting_end_to_end(true).await;
}

#[tokio::test]
async fn a_booked_meeting_end_to_end_in_plain_json() {
    a_meeting_end_to_end(false).await;
}

/// An emulator with a pool of one meeting number, pushing encrypted events to a receiver whose
/// ledger the client fills.
struct OneNumber {
    emulator: Emulator,
    clock: ManualClock,
    client: Client,
    seen: mpsc::UnboundedReceiver<Seen>,
}

async fn one_number() -> OneNumber {
    let ledger = Arc::new(InMemoryReservations::new());
    let receiver = Receiver::new(receiver_decoder(true)).reservation_lookup(ledger.clone());
    let (receiver_url, seen) = serve_receiver(receiver).await;
    let clock = clock();
    let emulator = emulator_builder(&receiver_url, &clock, true)
        .meeting_no_pool(123_456_789..=123_456_789)
        .start()
        .await
        .unwrap();
    let client = client(&emulator, &clock, &ledger);
    OneNumber {
        emulator,
        clock,
        client,
        seen,
    }
}

impl OneNumber {
    /// Starts the meeting of `id`, hosted by its owner.
    async fn start(&self, id: &ReserveId) {
        self.emulator
            .start_meeting(id.as_str(), MeetingSpec::new().host(DEMO_USER_ALICE))
            .await
            .unwrap();
    }

    /// Lets every reservation expire (they last an hour), then books again: the new reservation
    /// gets the one number, `meeting_no`.
    async fn expire_and_book(&self, meeting_no: &str) -> ReserveId {
        self.clock.advance(Duration::from_secs(2 * 3600));
        let (new, new_no) = book(&self.client, self.emulator.now(), "next").await;
        assert_eq!(new_no, meeting_no, "the pool has one number");
        new
    }
}

/// A pool of one meeting number: once the first reservation has expired, the emulator gives its
/// number to the next. The first meeting's events are the first reservation's; the second
/// meeting's are the new reservation's only.
#[tokio::test]
async fn a_reused_meeting_number_is_attributed_to_the_new_reservation_only() {
    let mut one = one_number().await;
    let emulator = &one.emulator;
    let (old, old_no) = book(&one.client, emulator.now(), "first").await;
    one.start(&old).await;
    emulator.end_meeting(old.as_str()).await.unwrap();
    let first = take(&mut one.seen, 4).await;

    // The first reservation expires; its number is free again.
    let new = one.expire_and_book(&old_no).await;
    assert_ne!(new, old);
    one.start(&new).await;
    let emulator = &one.emulator;
    emulator
        .join_meeting(new.as_str(), ParticipantSpec::new(DEMO_USER_BOB))
        .await
        .unwrap();
    emulator.end_meeting(new.as_str()).await.unwrap();
    let second = take(&mut one.seen, 6).await;

    for s in &first {
        assert_eq!(s.reserve_id.as_ref(), Some(&old), "{s:?}");
    }
    assert_eq!(second[0].event_type, "meeting_started_v1");
    assert_eq!(second[5].event_type, "meeting_ended_v1");
    for s in &second {
        assert_eq!(s.reserve_id.as_ref(), Some(&new), "{s:?}");
    }
    one.emulator.shutdown().await.unwrap();
}

/// A recording becomes ready after its meeting ended and its reservation expired, once the
/// meeting number went to a new reservation: `recording_ready` carries no start time, and still
/// goes to the reservation whose meeting was recorded, never to the new one.
#[tokio::test]
async fn a_recording_ready_after_its_number_was_reused_stays_with_its_own_reservation() {
    let mut one = one_number().await;
    let emulator = &one.emulator;
    let (old, old_no) = book(&one.client, emulator.now(), "recorded").await;
    one.start(&old).await;
    emulator.start_recording(old.as_str(), None).await.unwrap();
    emulator.end_meeting(old.as_str()).await.unwrap();
    // started, the host joins, recording started and ended, the host leaves, ended.
    let during = take(&mut one.seen, 6).await;
    assert!(during.iter().all(|s| s.reserve_id.as_ref() == Some(&old)));

    let new = one.expire_and_book(&old_no).await;
    one.emulator
        .recording_ready(old.as_str(), None)
        .await
        .unwrap();
    let late = take(&mut one.seen, 1).await;
    assert_eq!(late[0].event_type, "recording_ready_v1");
    assert_eq!(late[0].reserve_id.as_ref(), Some(&old), "not {new:?}");
    one.emulator.shutdown().await.unwrap();
}
