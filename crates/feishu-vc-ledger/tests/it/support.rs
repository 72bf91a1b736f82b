//! An emulator, a client of it and a ledger whose clock is the emulator's.

use std::sync::Arc;
use std::time::Duration;

use feishu_vc::model::{ApplyReserveRequest, ReserveId, ReserveMeetingSetting, Timestamp};
use feishu_vc_emulator::{DEMO_USER_ALICE, Emulator, EmulatorBuilder};
use feishu_vc_ledger::{BookOptions, InMemoryLedger, IntentKey, Ledger, LedgerStore, State};

pub(crate) const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// A started emulator, shared with the clocks that read it.
pub(crate) async fn emulator() -> Arc<Emulator> {
    emulator_with(Emulator::builder()).await
}

pub(crate) async fn emulator_with(builder: EmulatorBuilder) -> Arc<Emulator> {
    Arc::new(builder.start().await.unwrap())
}

/// A client of `emulator`, validating on its clock.
pub(crate) fn client(emulator: &Arc<Emulator>) -> feishu_vc::Client {
    client_builder(emulator).build().unwrap()
}

/// The builder of [`client`], for more settings.
pub(crate) fn client_builder(emulator: &Arc<Emulator>) -> feishu_vc::ClientBuilder {
    let clock = emulator.clone();
    feishu_vc::Client::builder()
        .app_credentials(emulator.app_id(), emulator.app_secret())
        .base_url(emulator.base_url())
        .validation_clock(move || clock.now())
}

/// A ledger of `emulator` over `store`, its clock the emulator's.
pub(crate) fn ledger_over(emulator: &Arc<Emulator>, store: Arc<dyn LedgerStore>) -> Ledger {
    let clock = emulator.clone();
    Ledger::new(client(emulator), store).with_clock(move || clock.now())
}

/// A ledger of `emulator` over a fresh in-memory store.
pub(crate) fn ledger(emulator: &Arc<Emulator>) -> Ledger {
    ledger_over(emulator, Arc::new(InMemoryLedger::new()))
}

/// A meeting owned by Alice, with `topic`, ending `ahead` from the emulator's now.
pub(crate) fn meeting(emulator: &Emulator, topic: &str, ahead: Duration) -> ApplyReserveRequest {
    ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic(topic))
        .set_end_time(after(emulator.now(), ahead))
        .set_owner_id(DEMO_USER_ALICE)
}

pub(crate) fn after(t: Timestamp, by: Duration) -> Timestamp {
    t.checked_add(by).unwrap()
}

/// Books a meeting of a day under `key` (its topic too); gives its reservation id.
pub(crate) async fn book_one(ledger: &Ledger, emulator: &Emulator, key: &str) -> ReserveId {
    let record = ledger
        .book(
            IntentKey::new(key),
            meeting(emulator, key, DAY),
            BookOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(record.state, State::Booked);
    record.reserve_id.unwrap()
}
