//! Booking, renewing, cancelling and refreshing one reservation through the ledger.

use std::sync::{Arc, Mutex};

use feishu_vc::model::{ErrorCode, Password, ReserveId, Timestamp};
use feishu_vc::{Booking, BookingObserver};
use feishu_vc_ledger::{
    BookError, BookOptions, InMemoryLedger, IntentKey, Ledger, LedgerError, LedgerStore,
    RecordFilter, State,
};
use futures_util::FutureExt as _;

use crate::batch::Slots;
use crate::support::{
    DAY, after, book_one, client, client_builder, emulator, ledger, ledger_over, meeting,
};

/// Looks into the store when the facade hands back Feishu's answer, before the ledger settles it.
#[derive(Debug)]
struct Peek {
    store: Arc<InMemoryLedger>,
    seen: Mutex<Vec<(State, u32, bool)>>,
}

impl BookingObserver for Peek {
    fn booked(&self, _: &Booking) {
        let filter = RecordFilter::all();
        let records = self.store.list(&filter).now_or_never().unwrap().unwrap();
        let mut seen = self.seen.lock().unwrap();
        for r in records {
            seen.push((r.state, r.attempts, r.reserve_id.is_some()));
        }
    }

    fn deleted(&self, _: &ReserveId, _: Timestamp) {}
}

#[tokio::test]
async fn booking_writes_the_intent_before_sending_and_the_outcome_after() {
    let emulator = emulator().await;
    let store = Arc::new(InMemoryLedger::new());
    let peek = Arc::new(Peek {
        store: store.clone(),
        seen: Mutex::new(Vec::new()),
    });
    let client = client_builder(&emulator)
        .booking_observer(peek.clone())
        .build()
        .unwrap();
    let clock = emulator.clone();
    let ledger = Ledger::new(client, store.clone()).with_clock(move || clock.now());

    let request = meeting(&emulator, "standup", DAY);
    let end = request.body.end_time.unwrap();
    let sent = emulator.now();
    let record = ledger
        .book(
            IntentKey::new("standup"),
            request,
            BookOptions::default().keep(true),
        )
        .await
        .unwrap();

    // When the answer came back, the intent was there, marked sending, without an outcome.
    assert_eq!(*peek.seen.lock().unwrap(), [(State::Sending, 1, false)]);
    // Then the outcome: what Feishu holds.
    assert_eq!(record.state, State::Booked);
    let id = record.reserve_id.clone().unwrap();
    let held = emulator.state().reservation(id.as_str()).unwrap().clone();
    assert_eq!(record.meeting_no.as_ref(), Some(&held.meeting_no));
    assert_eq!(record.end_time, end);
    let booked_at = record.booked_at.unwrap();
    assert!(sent <= booked_at && booked_at <= emulator.now());
    assert!(record.log_id.is_some());
    assert!(record.intent.keep);
    assert_eq!(record.intent.topic.as_deref(), Some("standup"));
    assert_eq!(record.intent.owner.as_ref().unwrap().id, emulator_alice());
    assert_eq!(record.intent.fingerprint.len(), 64);
    assert_eq!(store.get(record.key()).await.unwrap(), Some(record));
    assert!(!format!("{ledger:?}").contains(emulator.app_secret()));
}

/// A booking of a new key stopped while it waits for its rate-limit slot (its process killed
/// or its task dropped) has sent nothing and left nothing in the ledger that would keep the
/// next booking of the key from going out; that one books it once.
#[tokio::test]
async fn a_new_booking_stopped_while_waiting_for_its_slot_is_booked_once_by_the_next() {
    let emulator = emulator().await;
    let store: Arc<dyn LedgerStore> = Arc::new(InMemoryLedger::new());
    let no_slot = client_builder(&emulator)
        .rate_limiter(Arc::new(Slots(std::sync::atomic::AtomicUsize::new(0))))
        .build()
        .unwrap();
    let stopped = Ledger::new(no_slot, store.clone());
    let key = IntentKey::new("waits");
    let request = meeting(&emulator, "waits", DAY);
    let waiting = stopped.book(key.clone(), request.clone(), BookOptions::default());
    tokio::select! {
        done = waiting => panic!("the booking ended without a slot: {done:?}"),
        () = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
    }
    assert_eq!(emulator.state().applies, 0, "nothing was sent");
    let left = store.get(&key).await.unwrap();
    assert!(
        left.as_ref().is_none_or(|r| r.state == State::Pending),
        "no record is left sending (it would be taken as sent): {left:?}"
    );

    let record = ledger_over(&emulator, store.clone())
        .book(key.clone(), request, BookOptions::default())
        .await
        .unwrap();
    assert_eq!((record.state, record.attempts), (State::Booked, 1));
    assert_eq!(emulator.state().applies, 1);
}

fn emulator_alice() -> &'static str {
    feishu_vc_emulator::DEMO_USER_ALICE
}

#[tokio::test]
async fn the_same_key_twice_sends_once() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let request = meeting(&emulator, "retro", DAY);
    let key = IntentKey::new("retro");

    let first = ledger
        .book(key.clone(), request.clone(), BookOptions::default())
        .await
        .unwrap();
    let second = ledger
        .book(key.clone(), request.clone(), BookOptions::default())
        .await
        .unwrap();

    assert_eq!(first, second);
    assert_eq!(emulator.state().applies, 1);
    assert_eq!(emulator.state().reservations.len(), 1);

    // The same key for another meeting is a conflict, and nothing is sent.
    let other = meeting(&emulator, "another retro", DAY);
    let conflict = ledger.book(key, other, BookOptions::default()).await;
    assert!(
        matches!(
            conflict,
            Err(BookError::Ledger(LedgerError::Conflict { .. }))
        ),
        "{conflict:?}"
    );
    assert_eq!(emulator.state().applies, 1);
}

#[tokio::test]
async fn a_refused_booking_is_recorded_with_its_code_and_not_sent_again() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    // Ends in the past: refused by local validation, before sending.
    let past =
        meeting(&emulator, "yesterday", DAY).set_end_time(emulator.now().checked_sub(DAY).unwrap());

    let record = ledger
        .book(IntentKey::new("late"), past.clone(), BookOptions::default())
        .await
        .unwrap();
    assert_eq!(record.state, State::Refused);
    let refusal = record.refusal.clone().unwrap();
    assert_eq!(refusal.code, Some(ErrorCode::ParamError.code()));
    assert!(refusal.message.contains("end_time"), "{}", refusal.message);

    let again = ledger
        .book(IntentKey::new("late"), past, BookOptions::default())
        .await
        .unwrap();
    assert_eq!(again, record);
    assert_eq!(again.attempts, 1);
    assert_eq!(emulator.state().applies, 0);
}

#[tokio::test]
async fn the_meeting_password_is_not_recorded_nor_part_of_the_fingerprint() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let base = meeting(&emulator, "board", DAY);
    let with_password = |digits: &str| {
        let settings = base
            .body
            .meeting_settings
            .clone()
            .set_password(Password::digits(digits));
        base.clone().set_meeting_settings(settings)
    };

    let record = ledger
        .book(
            IntentKey::new("board"),
            with_password("971024"),
            BookOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(record.state, State::Booked);
    assert!(!record.intent.request.contains("971024"));
    assert!(!format!("{record:?}").contains("971024"));
    // Another password, same meeting: the same booking, not a conflict, not sent again.
    assert_eq!(
        feishu_vc_ledger::fingerprint(&with_password("123456")).unwrap(),
        record.intent.fingerprint
    );
    let again = ledger
        .book(
            IntentKey::new("board"),
            with_password("123456"),
            BookOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(again.reserve_id, record.reserve_id);
    assert_eq!(emulator.state().applies, 1);

    // A password the rules refuse: refused with its code, and the password nowhere.
    let refused = ledger
        .book(
            IntentKey::new("bad"),
            with_password("12x45"),
            BookOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(refused.state, State::Refused);
    assert_eq!(
        refused.refusal.as_ref().unwrap().code,
        Some(ErrorCode::InvalidPassword.code())
    );
    assert!(!format!("{refused:?}").contains("12x45"));
    assert_eq!(emulator.state().applies, 1);
}

#[tokio::test]
async fn renew_refresh_and_cancel_keep_the_record_true() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let id = book_one(&ledger, &emulator, "r").await;

    let number = emulator
        .state()
        .reservation(id.as_str())
        .unwrap()
        .meeting_no
        .clone();
    let later = after(emulator.now(), 20 * DAY);
    let renewed = ledger.renew(&id, later).await.unwrap();
    assert_eq!(renewed.end_time, later);
    assert_eq!(renewed.meeting_no, Some(number));
    assert_eq!(
        emulator.state().reservation(id.as_str()).unwrap().end_time,
        later
    );

    // Past its end time, Feishu says it expired: so does the record.
    emulator.advance(21 * DAY).await.unwrap();
    let refreshed = ledger.refresh(&id).await.unwrap();
    assert_eq!(refreshed.state, State::Expired);

    let other_id = book_one(&ledger, &emulator, "c").await;
    let cancelled = ledger.cancel(&other_id).await.unwrap();
    assert_eq!(cancelled.state, State::Deleted);
    assert!(emulator.state().reservation(other_id.as_str()).is_none());
    // Ended, it stays as recorded: when it ended is what matters to events.
    assert_eq!(ledger.refresh(&other_id).await.unwrap(), cancelled);
    assert_eq!(ledger.cancel(&other_id).await.unwrap(), cancelled);

    // Deleted elsewhere: Feishu no longer knows it, so it is gone.
    let third = book_one(&ledger, &emulator, "d").await;
    client(&emulator)
        .reserves()
        .delete(third.clone())
        .await
        .unwrap();
    let refreshed = ledger.refresh(&third).await.unwrap();
    assert_eq!(refreshed.state, State::Gone);

    // A reservation the ledger never booked is refused before anything is sent.
    let unknown = ledger.cancel(&ReserveId::from("6911188411934433028")).await;
    assert!(
        matches!(unknown, Err(BookError::Ledger(LedgerError::NotFound(_)))),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn refresh_records_a_renewal_made_elsewhere() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let id = book_one(&ledger, &emulator, "x").await;
    let later = after(emulator.now(), 10 * DAY);
    client(&emulator)
        .reserves()
        .update(
            id.clone(),
            feishu_vc::model::UpdateReserveBody::default().set_end_time(later),
        )
        .await
        .unwrap();
    let asked = emulator.now();
    let refreshed = ledger.refresh(&id).await.unwrap();
    assert_eq!(refreshed.state, State::Booked);
    assert_eq!(refreshed.end_time, later);
    let checked = refreshed.checked_at.unwrap();
    assert!(asked <= checked && checked <= emulator.now());
}

#[tokio::test]
async fn a_booking_whose_hosts_were_rejected_in_strict_mode_is_recorded_as_booked() {
    use feishu_vc::model::ReserveAssignHost;

    let emulator = emulator().await;
    let client = client_builder(&emulator)
        .strict_host_check(true)
        .build()
        .unwrap();
    let clock = emulator.clone();
    let ledger =
        Ledger::new(client, Arc::new(InMemoryLedger::new())).with_clock(move || clock.now());
    let mut request = meeting(&emulator, "with a stranger as host", DAY);
    request.body.meeting_settings = request
        .body
        .meeting_settings
        .set_assign_host_list(vec![ReserveAssignHost::default().set_id("ou_nobody_knows")]);

    let (record, error) = ledger
        .book_with_error(
            IntentKey::new("strict"),
            request.clone(),
            BookOptions::default(),
        )
        .await
        .unwrap();
    // The facade reports the rejected host; Feishu created the reservation all the same.
    let Some(feishu_vc::Error::HostsRejected(rejected)) = &error else {
        panic!("expected the rejected host, got {error:?}");
    };
    assert_eq!(record.state, State::Booked, "{record:?}");
    assert_eq!(record.reserve_id, rejected.reserve_id);
    assert_eq!(record.meeting_no, rejected.meeting_no);
    let reserve_id = record.reserve_id.clone().unwrap();
    assert!(emulator.state().reservation(reserve_id.as_str()).is_some());

    // Booked, so the same key never books it again.
    let applies = emulator.state().applies;
    let again = ledger
        .book(IntentKey::new("strict"), request, BookOptions::default())
        .await
        .unwrap();
    assert_eq!(again.reserve_id, Some(reserve_id));
    assert_eq!(emulator.state().applies, applies);
}
