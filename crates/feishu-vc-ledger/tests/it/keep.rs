//! The keeper: renewing kept reservations before Feishu releases their numbers.

use std::sync::Arc;

use feishu_vc::model::ReserveId;
use feishu_vc_emulator::Emulator;
use feishu_vc_ledger::{
    BookOptions, InMemoryLedger, IntentKey, KeepOptions, Ledger, LedgerStore, Record, State,
};

use crate::support::{DAY, after, emulator, ledger, ledger_over, meeting};

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
    let report = ledger.keep_pass(&options).await.unwrap();

    assert_eq!(report.renewed.len(), 3, "{report:?}");
    assert!(report.lost.is_empty() && report.gone.is_empty() && report.failed.is_empty());
    let new_end = after(emulator.now(), options.extend_to);
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
    let too_far = KeepOptions::new("k1").extend_to(31 * DAY).batch_size(1);
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
