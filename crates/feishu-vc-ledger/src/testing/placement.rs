//! Where a reservation was placed on a calendar: `set_calendar`, and the placement read back by
//! every lookup and kept through the record's later changes.

use feishu_vc_model::ReserveId;

use crate::error::LedgerError;
use crate::record::{CalendarPlacement, IntentKey, RecordFilter, State};
use crate::testing::fixtures::{Store, at, book, intent};

/// A placement as Feishu's calendar v4 names them.
fn placement(event: &str) -> CalendarPlacement {
    CalendarPlacement::new(
        "feishu.cn_conformance@group.calendar.feishu.cn",
        format!("{event}_0"),
    )
}

pub(super) async fn set_calendar_is_read_back_everywhere_and_cleared_by_none(store: Store) {
    let id = ReserveId::new("r1");
    let booked = book(&store, intent("a", 1), "r1", "111", 100).await;
    let other = book(&store, intent("b", 2), "r2", "222", 100).await;
    assert_eq!(booked.calendar, None, "a booking is on no calendar");
    let key = IntentKey::new("a");

    let placed = store
        .set_calendar(&id, Some(placement("e1")))
        .await
        .unwrap();
    assert_eq!(placed.calendar, Some(placement("e1")));
    let mut expected = booked.clone();
    expected.calendar = Some(placement("e1"));
    assert_eq!(placed, expected, "nothing else of the record changes");
    assert_eq!(store.get(&key).await.unwrap(), Some(placed.clone()));
    assert_eq!(
        store.by_reserve_id(&id).await.unwrap(),
        Some(placed.clone())
    );
    let all = store.list(&RecordFilter::all()).await.unwrap();
    assert_eq!(
        all,
        [placed.clone(), other.clone()],
        "the other is not placed"
    );
    let booked_only = RecordFilter::all().states([State::Booked]);
    assert_eq!(store.list(&booked_only).await.unwrap()[0], placed);

    // Moved to another event: the new one replaces it.
    let moved = store
        .set_calendar(&id, Some(placement("e2")))
        .await
        .unwrap();
    assert_eq!(moved.calendar, Some(placement("e2")));
    assert_eq!(store.get(&key).await.unwrap(), Some(moved));

    let cleared = store.set_calendar(&id, None).await.unwrap();
    assert_eq!(cleared, booked, "forgotten: as it was before it was placed");
    assert_eq!(store.get(&key).await.unwrap().unwrap().calendar, None);
    assert_eq!(
        store.by_reserve_id(&id).await.unwrap().unwrap().calendar,
        None
    );
    let all = store.list(&RecordFilter::all()).await.unwrap();
    assert!(all.iter().all(|r| r.calendar.is_none()), "{all:?}");
}

pub(super) async fn a_calendar_placement_outlives_renewal_and_the_reservations_end(store: Store) {
    let id = ReserveId::new("r1");
    book(&store, intent("kept", 1).with_keep(true), "r1", "111", 100).await;
    store
        .set_calendar(&id, Some(placement("e1")))
        .await
        .unwrap();

    let renewed = store.set_end_time(&id, at(500), at(40)).await.unwrap();
    assert_eq!(
        renewed.calendar,
        Some(placement("e1")),
        "renewed: still placed"
    );
    let kept = store.set_keep(&id, false).await.unwrap();
    assert_eq!(kept.calendar, Some(placement("e1")));
    let ended = store.set_ended(&id, State::Deleted, at(60)).await.unwrap();
    assert_eq!(
        ended.calendar,
        Some(placement("e1")),
        "ended: its event to delete"
    );

    // An ended reservation's placement is still recorded and forgotten.
    let forgotten = store.set_calendar(&id, None).await.unwrap();
    assert_eq!(forgotten.state, State::Deleted);
    assert_eq!(forgotten.calendar, None);
    let again = store
        .set_calendar(&id, Some(placement("e3")))
        .await
        .unwrap();
    assert_eq!(again.calendar, Some(placement("e3")));
    assert_eq!(again.ended_at, Some(at(60)));
}

pub(super) async fn set_calendar_of_an_unknown_reservation_is_not_found(store: Store) {
    store.begin(intent("pending", 1)).await.unwrap();
    let missing = ReserveId::new("missing");
    for calendar in [Some(placement("e1")), None] {
        assert!(matches!(
            store.set_calendar(&missing, calendar).await,
            Err(LedgerError::NotFound(_))
        ));
    }
    let pending = store
        .get(&IntentKey::new("pending"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.calendar, None, "a failed placement changes nothing");
}
