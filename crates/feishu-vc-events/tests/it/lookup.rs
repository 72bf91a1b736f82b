use std::sync::Arc;
use std::time::{Duration, SystemTime};

use feishu_vc_events::{
    BookedReservation, InMemoryReservations, OwnerId, Receiver, ReservationLookup,
};
use feishu_vc_model::events::{Event, MeetingEventMeeting};
use feishu_vc_model::{MeetingNo, ReserveId, Timestamp, UserIdType};

use crate::support::{attributed, decoder, meeting_started};

const NO: &str = "235812466";
const DAY: i64 = 86_400;
const T0: i64 = 1_700_000_000;

fn ts(s: i64) -> Timestamp {
    Timestamp::from_unix_seconds(s)
}

fn meeting_of(body: &str) -> MeetingEventMeeting {
    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    let event = Event::from_json(
        value["header"]["event_type"].as_str().unwrap(),
        &value["event"].to_string(),
    )
    .unwrap();
    event.meeting().unwrap().clone()
}

/// The old reservation expired at T0 + 1 day; Feishu gave its number to a new one booked at
/// T0 + 2 days. Events of the new meeting belong to the new reservation only; events inside the
/// old lifetime still belong to the old one; outside both, to none.
#[tokio::test]
async fn a_reused_meeting_number_is_attributed_to_the_new_reservation_only() {
    let ledger = InMemoryReservations::new();
    let owner = OwnerId::new(UserIdType::OpenId, "ou_owner");
    ledger.record(
        BookedReservation::new(
            ReserveId::new("old"),
            MeetingNo::new(NO),
            ts(T0),
            ts(T0 + DAY),
        )
        .with_owner(owner.clone()),
    );
    ledger.record(
        BookedReservation::new(
            ReserveId::new("new"),
            MeetingNo::new(NO),
            ts(T0 + 2 * DAY),
            ts(T0 + 30 * DAY),
        )
        .with_owner(owner),
    );
    let new_meeting = meeting_of(&meeting_started("e1", NO, T0 + 3 * DAY));
    let at = new_meeting.start_time.unwrap();
    assert_eq!(
        ledger.find(&new_meeting, at).await.unwrap(),
        Some(ReserveId::new("new"))
    );
    let old_meeting = meeting_of(&meeting_started("e2", NO, T0 + 3600));
    assert_eq!(
        ledger
            .find(&old_meeting, old_meeting.start_time.unwrap())
            .await
            .unwrap(),
        Some(ReserveId::new("old"))
    );
    // Between the two lifetimes the number belonged to nobody we booked.
    let between = meeting_of(&meeting_started("e3", NO, T0 + DAY + 3600));
    assert_eq!(
        ledger
            .find(&between, between.start_time.unwrap())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn another_owner_or_number_matches_nothing() {
    let ledger = InMemoryReservations::new();
    ledger.record(
        BookedReservation::new(
            ReserveId::new("r"),
            MeetingNo::new(NO),
            ts(T0),
            ts(T0 + DAY),
        )
        .with_owner(OwnerId::new(UserIdType::OpenId, "ou_someone_else")),
    );
    let meeting = meeting_of(&meeting_started("e1", NO, T0 + 60));
    assert_eq!(ledger.find(&meeting, ts(T0 + 60)).await.unwrap(), None);
    let other_no = meeting_of(&meeting_started("e2", "999999999", T0 + 60));
    let ledger = InMemoryReservations::new();
    ledger.record(BookedReservation::new(
        ReserveId::new("r"),
        MeetingNo::new(NO),
        ts(T0),
        ts(T0 + DAY),
    ));
    assert_eq!(ledger.find(&other_no, ts(T0 + 60)).await.unwrap(), None);
    // Owner unknown on our side: number and time suffice.
    assert_eq!(
        ledger.find(&meeting, ts(T0 + 60)).await.unwrap(),
        Some(ReserveId::new("r"))
    );
}

#[tokio::test]
async fn a_deleted_reservation_owns_no_later_meeting() {
    let ledger = InMemoryReservations::new();
    ledger.record(BookedReservation::new(
        ReserveId::new("r"),
        MeetingNo::new(NO),
        ts(T0),
        ts(T0 + 30 * DAY),
    ));
    ledger.end(&ReserveId::new("r"), ts(T0 + DAY));
    let later = meeting_of(&meeting_started("e1", NO, T0 + 2 * DAY));
    assert_eq!(ledger.find(&later, ts(T0 + 2 * DAY)).await.unwrap(), None);
}

#[tokio::test]
async fn the_receiver_fills_reserve_id_on_accepted_events() {
    let ledger = Arc::new(InMemoryReservations::new());
    ledger.record(BookedReservation::new(
        ReserveId::new("6911203090614632451"),
        MeetingNo::new(NO),
        ts(T0 - DAY),
        ts(T0 + DAY),
    ));
    let receiver = Receiver::new(decoder()).reservation_lookup(ledger);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(T0 as u64);
    let plain = meeting_started("ev-r", NO, T0);
    assert_eq!(
        attributed(&receiver, &plain, now).await,
        Some(ReserveId::new("6911203090614632451"))
    );
}

#[test]
fn the_ledger_forgets_reservations_a_day_after_they_ended() {
    let ledger = InMemoryReservations::new();
    for i in 0..1000 {
        let booked = T0 + i * DAY;
        ledger.record(BookedReservation::new(
            ReserveId::new(format!("r{i}")),
            MeetingNo::new(NO),
            ts(booked),
            ts(booked + 3600),
        ));
    }
    // Only the last booking and the one that ended less than a day before it are kept.
    assert_eq!(ledger.len(), 2);
    let last = meeting_of(&meeting_started("e", NO, T0 + 999 * DAY + 60));
    assert_eq!(
        ledger.find_now(&last, ts(T0 + 999 * DAY + 60)),
        Some(ReserveId::new("r999"))
    );
}
