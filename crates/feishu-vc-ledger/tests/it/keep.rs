//! The keeper: renewing kept reservations before Feishu releases their numbers.

use std::sync::Arc;

use feishu_vc::model::{MeetingNo, ReserveId, Timestamp, UpdateReserveBody};
use feishu_vc_emulator::Emulator;
use feishu_vc_ledger::{
    BookError, BookOptions, BoxFuture, CalendarPlacement, Claim, InMemoryLedger, Intent, IntentKey,
    KeepOptions, Ledger, LedgerError, LedgerStore, Outcome, Record, RecordFilter, State,
};

use crate::support::{DAY, after, client, emulator, emulator_with, ledger, ledger_over, meeting};

/// Books `n` meetings ending 29 days ahead, kept or not.
async fn book(
    ledger: &Ledger,
    emulator: &Emulator,
    prefix: &str,
    n: usize,
    keep: bool,
) -> Vec<Record> {
    let mut booked = Vec::new();
    for i in 0..n {
        let record = ledger
            .book(
                IntentKey::new(format!("{prefix}{i}")),
                meeting(emulator, &format!("{prefix} {i}"), 29 * DAY),
                BookOptions::default().keep(keep),
            )
            .await
            .unwrap();
        assert_eq!(record.state, State::Booked);
        booked.push(record);
    }
    booked
}

/// An emulator, a ledger, `n` kept reservations booked through it, and then `days` gone by.
async fn kept_after(n: usize, days: u32) -> (Arc<Emulator>, Ledger, Vec<Record>) {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let kept = book(&ledger, &emulator, "kept", n, true).await;
    emulator.advance(days * DAY).await.unwrap();
    (emulator, ledger, kept)
}

fn id(record: &Record) -> &ReserveId {
    record.reserve_id.as_ref().unwrap()
}

#[tokio::test]
async fn after_25_days_keep_renews_each_kept_reservation_keeping_its_number() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let kept = book(&ledger, &emulator, "kept", 3, true).await;
    let unkept = book(&ledger, &emulator, "once", 2, false).await;

    emulator.advance(25 * DAY).await.unwrap();
    let options = KeepOptions::new("k1");
    let started = emulator.now();
    let report = ledger.keep_pass(&options).await.unwrap();

    assert_eq!(report.renewed.len(), 3, "{report:?}");
    assert!(report.lost.is_empty() && report.gone.is_empty() && report.failed.is_empty());
    // Now (by the pass's clock) plus `extend_to`: one end time for the whole pass.
    let new_end = report.renewed[0].end_time;
    assert!(after(started, options.extend_to) <= new_end);
    assert!(new_end <= after(emulator.now(), options.extend_to));
    let state = emulator.state();
    for before in &kept {
        let held = state.reservation(id(before).as_str()).unwrap();
        assert_eq!(Some(&held.meeting_no), before.meeting_no.as_ref());
        assert!(held.holds_meeting_no);
        assert_eq!(held.end_time, new_end);
        assert_eq!(held.updates, 1);
        let now = ledger
            .store()
            .by_reserve_id(id(before))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(now.end_time, new_end);
        assert_eq!(now.meeting_no, before.meeting_no);
    }
    for skipped in &unkept {
        let held = state.reservation(id(skipped).as_str()).unwrap();
        assert_eq!(held.updates, 0);
        assert_eq!(held.end_time, skipped.end_time);
    }

    // Renewed, they are no longer due: a second pass sends nothing.
    let again = ledger.keep_pass(&options).await.unwrap();
    assert!(again.renewed.is_empty(), "{again:?}");
    assert!(emulator.state().reservations.iter().all(|r| r.updates <= 1));
}

#[tokio::test]
async fn after_31_days_without_keep_each_is_lost_and_its_number_released() {
    let (emulator, ledger, kept) = kept_after(3, 31).await;
    let report = ledger.keep_pass(&KeepOptions::new("k1")).await.unwrap();

    assert_eq!(report.lost.len(), 3, "{report:?}");
    assert!(report.renewed.is_empty() && report.failed.is_empty());
    let state = emulator.state();
    for before in &kept {
        let held = state.reservation(id(before).as_str()).unwrap();
        assert!(held.expired);
        assert!(!held.holds_meeting_no);
        assert!(!state.is_taken(before.meeting_no.as_ref().unwrap().as_str()));
        assert_eq!(held.updates, 0, "an expired reservation was renewed");
        let now = ledger
            .store()
            .by_reserve_id(id(before))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(now.state, State::Expired);
    }
}

#[tokio::test]
async fn a_reservation_deleted_elsewhere_is_reported_gone() {
    let (_emulator, ledger, kept) = kept_after(2, 25).await;
    // Deleted by someone else, not through the ledger.
    ledger
        .client()
        .reserves()
        .delete(id(&kept[0]).clone())
        .await
        .unwrap();

    let report = ledger.keep_pass(&KeepOptions::new("k1")).await.unwrap();

    assert_eq!(report.gone.len(), 1, "{report:?}");
    assert_eq!(report.gone[0].reserve_id, kept[0].reserve_id);
    assert_eq!(report.gone[0].state, State::Gone);
    assert_eq!(report.renewed.len(), 1);
    assert_eq!(report.renewed[0].reserve_id, kept[1].reserve_id);
}

/// One keeper per store handle (a ledger each, with its own client), all at once: each
/// reservation is renewed exactly once, counted by the emulator.
pub(crate) async fn keepers_renew_each_reservation_once(stores: Vec<Arc<dyn LedgerStore>>) {
    let emulator = emulator().await;
    let ledgers: Vec<Ledger> = stores
        .into_iter()
        .map(|store| ledger_over(&emulator, store))
        .collect();
    let kept = book(&ledgers[0], &emulator, "kept", 24, true).await;

    emulator.advance(25 * DAY).await.unwrap();
    let passes: Vec<_> = ledgers
        .into_iter()
        .enumerate()
        .map(|(n, ledger)| {
            let options = KeepOptions::new(format!("keeper-{n}")).batch_size(3);
            tokio::spawn(async move { ledger.keep_pass(&options).await })
        })
        .collect();
    let mut reports = Vec::new();
    for pass in passes {
        reports.push(pass.await.unwrap().unwrap());
    }

    let mut renewed: Vec<&ReserveId> = reports.iter().flat_map(|r| &r.renewed).map(id).collect();
    assert_eq!(renewed.len(), kept.len(), "{reports:?}");
    renewed.sort();
    renewed.dedup();
    assert_eq!(renewed.len(), kept.len(), "renewed twice: {reports:?}");
    let state = emulator.state();
    for record in &kept {
        assert_eq!(state.reservation(id(record).as_str()).unwrap().updates, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_keepers_on_one_in_memory_store_renew_each_reservation_once() {
    let store: Arc<dyn LedgerStore> = Arc::new(InMemoryLedger::new());
    keepers_renew_each_reservation_once(vec![store.clone(), store]).await;
}

#[tokio::test]
async fn a_failed_renewal_is_reported_and_its_claim_released() {
    let (_emulator, ledger, kept) = kept_after(2, 25).await;
    // A renewal to 31 days ahead is refused (more than 30): both fail.
    let too_far = KeepOptions {
        extend_to: 31 * DAY,
        batch_size: 1,
        ..KeepOptions::new("k1")
    };
    let report = ledger.keep_pass(&too_far).await.unwrap();
    assert_eq!(report.failed.len(), 2, "{report:?}");
    assert!(
        report.failed[0].1.contains("30 days"),
        "{}",
        report.failed[0].1
    );

    // The claims were released: another keeper renews them in this very second.
    let report = ledger.keep_pass(&KeepOptions::new("k2")).await.unwrap();
    assert_eq!(report.renewed.len(), kept.len(), "{report:?}");
}

/// Shortened elsewhere, a kept reservation expired on Feishu's side while the ledger still
/// expected it to live; its number went to another reservation. The renewal gives it another
/// number: reported as failed, never as renewed.
#[tokio::test]
async fn a_renewal_that_changes_the_meeting_number_is_reported() {
    let emulator =
        emulator_with(Emulator::builder().meeting_no_pool(100_000_000..=100_000_003)).await;
    let ledger = ledger(&emulator);
    let kept = book(&ledger, &emulator, "kept", 1, true).await;
    let (reserve_id, number) = (id(&kept[0]).clone(), kept[0].meeting_no.clone().unwrap());
    let elsewhere = client(&emulator);
    let soon = after(emulator.now(), DAY);
    elsewhere
        .reserves()
        .update(
            reserve_id.clone(),
            UpdateReserveBody::default().set_end_time(soon),
        )
        .await
        .unwrap();
    emulator.advance(2 * DAY).await.unwrap();
    // Others book until one holds its number; the rest are deleted, so numbers are free again.
    let mut others = Vec::new();
    while !emulator.state().is_taken(number.as_str()) {
        let other = meeting(&emulator, "other", 29 * DAY);
        others.push(elsewhere.reserves().apply(other).await.unwrap().data);
    }
    for other in others.into_iter().filter(|o| o.meeting_no != number) {
        elsewhere.reserves().delete(other.reserve_id).await.unwrap();
    }

    emulator.advance(21 * DAY).await.unwrap();
    let report = ledger.keep_pass(&KeepOptions::new("k1")).await.unwrap();

    assert!(report.renewed.is_empty(), "{report:?}");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    let (record, why) = &report.failed[0];
    assert_eq!(record.reserve_id.as_ref(), Some(&reserve_id));
    let given = emulator
        .state()
        .reservation(reserve_id.as_str())
        .unwrap()
        .meeting_no
        .clone();
    assert_ne!(given, number);
    assert!(
        why.contains(given.as_str()) && why.contains(number.as_str()),
        "{why}"
    );

    // Renewed directly, the same is an error naming both numbers.
    let renewed = ledger
        .renew(&reserve_id, after(emulator.now(), 20 * DAY))
        .await;
    match renewed {
        Err(BookError::MeetingNoChanged {
            recorded,
            given: now,
            ..
        }) => {
            assert_eq!((recorded, now), (number, given));
        }
        other => panic!("{other:?}"),
    }
}

/// An in-memory store whose `set_end_time` fails while `broken` is set (the database went away
/// mid-pass).
#[derive(Debug, Default)]
struct Flaky {
    inner: InMemoryLedger,
    broken: std::sync::atomic::AtomicBool,
}

impl LedgerStore for Flaky {
    fn begin(&self, intent: Intent) -> BoxFuture<'_, Result<Record, LedgerError>> {
        self.inner.begin(intent)
    }
    fn mark_sending<'a>(&'a self, key: &'a IntentKey, at: Timestamp) -> Bf<'a, bool> {
        self.inner.mark_sending(key, at)
    }
    fn settle<'a>(&'a self, key: &'a IntentKey, outcome: Outcome) -> Bf<'a, Record> {
        self.inner.settle(key, outcome)
    }
    fn settle_interrupted<'a>(&'a self, b: Option<&'a str>, t: Timestamp) -> Bf<'a, Vec<Record>> {
        self.inner.settle_interrupted(b, t)
    }
    fn reopen<'a>(&'a self, key: &'a IntentKey) -> Bf<'a, Record> {
        self.inner.reopen(key)
    }
    fn get<'a>(&'a self, key: &'a IntentKey) -> Bf<'a, Option<Record>> {
        self.inner.get(key)
    }
    fn by_reserve_id<'a>(&'a self, id: &'a ReserveId) -> Bf<'a, Option<Record>> {
        self.inner.by_reserve_id(id)
    }
    fn list<'a>(&'a self, filter: &'a RecordFilter) -> Bf<'a, Vec<Record>> {
        self.inner.list(filter)
    }
    fn set_end_time<'a>(
        &'a self,
        id: &'a ReserveId,
        end: Timestamp,
        at: Timestamp,
    ) -> Bf<'a, Record> {
        if self.broken.load(std::sync::atomic::Ordering::SeqCst) {
            let down = LedgerError::Backend {
                message: "the database went away".to_owned(),
                source: None,
            };
            return Box::pin(std::future::ready(Err(down)));
        }
        self.inner.set_end_time(id, end, at)
    }
    fn set_ended<'a>(&'a self, id: &'a ReserveId, state: State, at: Timestamp) -> Bf<'a, Record> {
        self.inner.set_ended(id, state, at)
    }
    fn set_keep<'a>(&'a self, id: &'a ReserveId, keep: bool) -> Bf<'a, Record> {
        self.inner.set_keep(id, keep)
    }
    fn set_calendar<'a>(
        &'a self,
        id: &'a ReserveId,
        calendar: Option<CalendarPlacement>,
    ) -> Bf<'a, Record> {
        self.inner.set_calendar(id, calendar)
    }
    fn claim_due<'a>(
        &'a self,
        due: Timestamp,
        now: Timestamp,
        claim: &'a Claim,
        limit: usize,
    ) -> Bf<'a, Vec<Record>> {
        self.inner.claim_due(due, now, claim, limit)
    }
    fn release<'a>(&'a self, id: &'a ReserveId, worker: &'a str) -> Bf<'a, ()> {
        self.inner.release(id, worker)
    }
    fn by_meeting_no<'a>(&'a self, no: &'a MeetingNo, at: Timestamp) -> Bf<'a, Vec<Record>> {
        self.inner.by_meeting_no(no, at)
    }
}

type Bf<'a, T> = BoxFuture<'a, Result<T, LedgerError>>;

#[tokio::test]
async fn a_pass_that_fails_releases_its_claims() {
    let emulator = emulator().await;
    let store = Arc::new(Flaky::default());
    let ledger = ledger_over(&emulator, store.clone());
    let kept = book(&ledger, &emulator, "kept", 3, true).await;
    emulator.advance(25 * DAY).await.unwrap();

    store
        .broken
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let failed = ledger
        .keep_pass(&KeepOptions::new("k1").batch_size(2))
        .await;
    assert!(failed.is_err(), "{failed:?}");

    // The store is back: another keeper, at once (within the lease), claims all three.
    store
        .broken
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let report = ledger.keep_pass(&KeepOptions::new("k2")).await.unwrap();
    let mut renewed: Vec<&ReserveId> = report.renewed.iter().map(id).collect();
    renewed.sort();
    let mut expected: Vec<&ReserveId> = kept.iter().map(id).collect();
    expected.sort();
    assert_eq!(renewed, expected, "{report:?}");
}
