//! Meeting events tied back to their reservations by a receiver that restarted after booking.

use std::sync::Arc;
use std::time::Duration;

use feishu_vc::model::ReserveId;
use feishu_vc_emulator::{DEMO_USER_ALICE, Emulator, MeetingSpec};
use feishu_vc_events::{Decoder, Delivery, HandlerError, Receiver, ReservationLookup, router};
use feishu_vc_ledger::{BookOptions, InMemoryLedger, IntentKey, LedgerLookup, LedgerStore, State};
use tokio::sync::mpsc;

use crate::support::{DAY, emulator_with, ledger_over, meeting};

/// Builds the receiver's lookup over the store, as a restarted process would.
pub(crate) type LookupOf = fn(&Arc<Emulator>, Arc<dyn LedgerStore>) -> Arc<dyn ReservationLookup>;

const TOKEN: &str = "verification-token-of-the-test";

/// Serves a receiver with `lookup` on loopback; gives its URL and the (event type, reserve id)
/// of each event its handler sees.
async fn serve_receiver(
    lookup: Arc<dyn ReservationLookup>,
) -> (String, mpsc::UnboundedReceiver<(String, Option<ReserveId>)>) {
    let receiver =
        Receiver::new(Decoder::new().verification_token(TOKEN)).reservation_lookup(lookup);
    let (seen, seen_rx) = mpsc::unbounded_channel();
    let app = router(receiver, move |delivery: Delivery| {
        let seen = seen.clone();
        async move {
            let _ = seen.send((
                delivery.event.event_type().to_owned(),
                delivery.reserve_id.clone(),
            ));
            Ok::<(), HandlerError>(())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/"), seen_rx)
}

/// Books two meetings through one ledger over `before`, drops both, and starts each meeting; a
/// receiver whose lookup `lookup_of` builds over the store `reopen` gives (a restart: the store
/// opened again, a new ledger, a new client) attributes each `meeting_started` to its
/// reservation.
pub(crate) async fn events_are_matched_after_a_restart(
    before: Arc<dyn LedgerStore>,
    reopen: impl AsyncFnOnce() -> Arc<dyn LedgerStore>,
    lookup_of: LookupOf,
) {
    let emulator = emulator_with(Emulator::builder().verification_token(TOKEN)).await;
    let mut booked = Vec::new();
    {
        let before_restart = ledger_over(&emulator, before);
        for topic in ["design review", "on-call bridge"] {
            let record = before_restart
                .book(
                    IntentKey::new(topic),
                    meeting(&emulator, topic, DAY),
                    BookOptions::default(),
                )
                .await
                .unwrap();
            assert_eq!(record.state, State::Booked);
            booked.push(record.reserve_id.unwrap());
        }
    }

    let (url, mut seen) = serve_receiver(lookup_of(&emulator, reopen().await)).await;
    emulator.add_event_callback(&url).await.unwrap();
    for id in booked.iter().rev() {
        emulator
            .start_meeting(id.as_str(), MeetingSpec::new().host(DEMO_USER_ALICE))
            .await
            .unwrap();
    }

    let mut started = Vec::new();
    while started.len() < booked.len() {
        let (event_type, reserve_id) = tokio::time::timeout(Duration::from_secs(10), seen.recv())
            .await
            .expect("events arrive")
            .unwrap();
        if event_type == "vc.meeting.meeting_started_v1" {
            started.push(reserve_id.expect("the event is matched to its reservation"));
        }
    }
    let expected: Vec<ReserveId> = booked.into_iter().rev().collect();
    assert_eq!(started, expected);
}

pub(crate) fn ledger_lookup(
    emulator: &Arc<Emulator>,
    store: Arc<dyn LedgerStore>,
) -> Arc<dyn ReservationLookup> {
    Arc::new(ledger_over(emulator, store))
}

pub(crate) fn store_lookup(
    _: &Arc<Emulator>,
    store: Arc<dyn LedgerStore>,
) -> Arc<dyn ReservationLookup> {
    Arc::new(LedgerLookup::new(store))
}

async fn over_one_in_memory_store(lookup_of: LookupOf) {
    let store: Arc<dyn LedgerStore> = Arc::new(InMemoryLedger::new());
    events_are_matched_after_a_restart(store.clone(), async move || store, lookup_of).await;
}

#[tokio::test]
async fn events_are_matched_by_a_new_ledger_over_the_same_in_memory_store() {
    over_one_in_memory_store(ledger_lookup).await;
}

#[tokio::test]
async fn events_are_matched_by_a_store_only_lookup_over_the_same_in_memory_store() {
    over_one_in_memory_store(store_lookup).await;
}
