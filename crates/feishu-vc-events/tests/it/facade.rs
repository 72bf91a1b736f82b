//! The facade's booking hook fills the ledger; events of what the client booked are then
//! attributed to the right reservation (against the emulator, loopback only).

use std::sync::Arc;
use std::time::Duration;

use feishu_vc_emulator::{DEMO_USER_ALICE, Emulator};
use feishu_vc_events::{InMemoryReservations, Receiver};

use crate::support::{attributed, book_an_hour, booking_client, decoder, meeting_started_by};

#[tokio::test]
async fn what_the_client_books_is_attributed_and_a_deleted_reservation_is_not() {
    let emulator = Emulator::start_default().await.unwrap();
    let ledger = Arc::new(InMemoryReservations::new());
    let now = emulator.now();
    let client = booking_client(&emulator, &ledger);
    let booked = book_an_hour(&client, &emulator).await;
    assert_eq!(ledger.len(), 1);
    let receiver = Receiver::new(decoder()).reservation_lookup(ledger.clone());
    let start = now.unix_seconds() + 60;
    let at = now.to_system_time() + Duration::from_secs(60);
    let no = booked.meeting_no.as_str();

    let event = meeting_started_by("ev-1", no, start, DEMO_USER_ALICE);
    assert_eq!(
        attributed(&receiver, &event, at).await,
        Some(booked.reserve_id.clone())
    );
    // Same number, another owner: not ours.
    let event = meeting_started_by("ev-2", no, start, "ou_someone_else");
    assert_eq!(attributed(&receiver, &event, at).await, None);

    // Deleted now: a meeting with that number starting later is not this reservation's.
    client
        .reserves()
        .delete(booked.reserve_id.clone())
        .await
        .unwrap();
    let event = meeting_started_by("ev-3", no, start + 120, DEMO_USER_ALICE);
    assert_eq!(attributed(&receiver, &event, at).await, None);
}
