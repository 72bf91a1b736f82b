//! A booking on a calendar: placed once, its event's end following every renewal (by hand or by
//! the keeper), deleted with the reservation; a follow-up Calendar refuses leaves the
//! reservation's change standing and the placement kept, so doing it again finishes it.

use feishu_vc::model::{ErrorCode, ReserveId};
use feishu_vc_emulator::{DEMO_USER_BOB, DEMO_USER_CAROL, Snapshot};
use feishu_vc_ledger::{
    BookError, BookOptions, CalendarRequest, IntentKey, KeepOptions, Ledger, LedgerError, Record,
    State,
};

use crate::support::{DAY, after, book_one, emulator, ledger, meeting};

fn event_of<'a>(
    state: &'a Snapshot,
    record: &Record,
) -> &'a feishu_vc_emulator::CalendarEventSummary {
    let placement = record
        .calendar
        .as_ref()
        .expect("the record keeps its placement");
    let event = state
        .calendar_event(&placement.event_id)
        .expect("the event exists");
    assert_eq!(event.calendar_id, placement.calendar_id);
    event
}

/// The ledger's record of `reserve_id`, as its store holds it.
async fn stored(ledger: &Ledger, reserve_id: &ReserveId) -> Record {
    ledger
        .store()
        .by_reserve_id(reserve_id)
        .await
        .unwrap()
        .unwrap()
}

fn id(record: &Record) -> &ReserveId {
    record.reserve_id.as_ref().unwrap()
}

#[tokio::test]
async fn a_placed_booking_moves_its_event_on_renewal_and_deletes_it_on_cancel() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let reserve_id = book_one(&ledger, &emulator, "interview").await;
    let start = after(emulator.now(), DAY / 24);
    let request = CalendarRequest::new()
        .start(start)
        .attendee(DEMO_USER_BOB)
        .attendee(DEMO_USER_CAROL);
    let (record, placed) = ledger
        .place_on_calendar(&reserve_id, request.clone())
        .await
        .unwrap();
    let state = emulator.state();
    let event = event_of(&state, &record);
    assert_eq!(event.event_id, placed.event_id);
    assert_eq!(
        event.summary.as_deref(),
        Some("interview"),
        "the topic by default"
    );
    assert_eq!(
        (event.start_time, event.end_time),
        (Some(start), Some(record.end_time))
    );
    assert_eq!(event.vc_type.as_deref(), Some("third_party"));
    assert_eq!(
        event.meeting_url, record.url,
        "the reservation's own meeting"
    );
    assert_eq!(event.attendees, [DEMO_USER_BOB, DEMO_USER_CAROL]);
    assert_eq!(state.calendar_events.len(), 1);

    // Placing it again is the same event, not a second one.
    let (again, _) = ledger
        .place_on_calendar(&reserve_id, request)
        .await
        .unwrap();
    assert_eq!(again.calendar, record.calendar);
    assert_eq!(emulator.state().calendar_events.len(), 1);

    // A renewal moves the event's end to the end Feishu confirmed.
    let renewed_to = after(record.end_time, 3 * DAY);
    let renewed = ledger.renew(&reserve_id, renewed_to).await.unwrap();
    assert_eq!(renewed.end_time, renewed_to);
    let state = emulator.state();
    let event = event_of(&state, &renewed);
    assert_eq!((event.end_time, event.updates), (Some(renewed_to), 1));
    assert_eq!(event.start_time, Some(start), "only the end moves");

    // Cancelling deletes the event and forgets it.
    let placement = renewed.calendar.clone().unwrap();
    let cancelled = ledger.cancel(&reserve_id).await.unwrap();
    assert_eq!(cancelled.state, State::Deleted);
    assert_eq!(cancelled.calendar, None);
    let stored = stored(&ledger, &reserve_id).await;
    assert_eq!(stored.calendar, None, "the store forgot the placement too");
    let state = emulator.state();
    assert!(state.calendar_event(&placement.event_id).unwrap().deleted);
}

#[tokio::test]
async fn a_refused_follow_up_keeps_the_reservations_change_and_can_be_finished() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let reserve_id = book_one(&ledger, &emulator, "standup").await;
    let (record, placed) = ledger
        .place_on_calendar(&reserve_id, CalendarRequest::new())
        .await
        .unwrap();
    // Someone deletes the event in Calendar behind the ledger's back.
    ledger
        .client()
        .calendars()
        .delete_event(&placed.calendar_id, &placed.event_id)
        .await
        .unwrap();

    let renewed_to = after(record.end_time, DAY);
    let err = ledger.renew(&reserve_id, renewed_to).await.unwrap_err();
    let BookError::CalendarNotFollowed { record, error } = err else {
        panic!("expected CalendarNotFollowed, got {err}");
    };
    assert_eq!(error.code(), Some(ErrorCode::EventDeleted), "{error}");
    assert_eq!(
        record.end_time, renewed_to,
        "the renewal stands and is recorded"
    );
    assert!(record.calendar.is_some(), "the placement is kept to retry");
    let held = emulator.state();
    assert_eq!(
        held.reservation(reserve_id.as_str()).unwrap().end_time,
        renewed_to
    );
    // Doing it again meets the same refusal; it does not renew twice or lose the record.
    let retried = ledger.follow_calendar(&reserve_id).await.unwrap_err();
    assert!(
        matches!(retried, BookError::CalendarNotFollowed { .. }),
        "{retried}"
    );
    assert_eq!(
        emulator
            .state()
            .reservation(reserve_id.as_str())
            .unwrap()
            .updates,
        1
    );

    // Cancelling counts an event already deleted as deleted.
    let cancelled = ledger.cancel(&reserve_id).await.unwrap();
    assert_eq!(
        (cancelled.state, cancelled.calendar),
        (State::Deleted, None)
    );
}

#[tokio::test]
async fn the_keeper_moves_the_event_of_each_reservation_it_renews() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let record = ledger
        .book(
            IntentKey::new("kept"),
            meeting(&emulator, "kept", 2 * DAY),
            BookOptions::default().keep(true),
        )
        .await
        .unwrap();
    let (placed, _) = ledger
        .place_on_calendar(id(&record), CalendarRequest::new().attendee(DEMO_USER_BOB))
        .await
        .unwrap();

    let report = ledger.keep_pass(&KeepOptions::new("k1")).await.unwrap();
    assert_eq!(report.renewed.len(), 1, "{report:?}");
    assert!(report.calendar_not_moved.is_empty(), "{report:?}");
    let renewed = &report.renewed[0];
    assert!(renewed.end_time > placed.end_time);
    let state = emulator.state();
    assert_eq!(event_of(&state, &placed).end_time, Some(renewed.end_time));
}

#[tokio::test]
async fn only_a_booked_reservation_is_placed_and_a_refusal_records_nothing() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let reserve_id = book_one(&ledger, &emulator, "later").await;
    // A calendar id of the right shape that no one has: Calendar's 191000, nothing recorded.
    let unknown = CalendarRequest::new().calendar("feishu.cn_0@group.calendar.feishu.cn");
    let err = ledger
        .place_on_calendar(&reserve_id, unknown)
        .await
        .unwrap_err();
    let BookError::Sdk(error) = &err else {
        panic!("expected the SDK's error, got {err}");
    };
    assert_eq!(error.code(), Some(ErrorCode::CalendarNotFound), "{error}");
    let stored = stored(&ledger, &reserve_id).await;
    assert_eq!(stored.calendar, None);
    assert!(emulator.state().calendar_events.is_empty());

    ledger.cancel(&reserve_id).await.unwrap();
    let err = ledger
        .place_on_calendar(&reserve_id, CalendarRequest::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            BookError::Ledger(LedgerError::WrongState {
                state: State::Deleted,
                ..
            })
        ),
        "{err}"
    );
    assert!(emulator.state().calendar_events.is_empty());
}
