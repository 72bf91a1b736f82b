//! The conformance suite every [`LedgerStore`](crate::LedgerStore) passes: one check per rule
//! of the store's contract, run against a fresh store each.
//!
//! ```no_run
//! # async fn run() {
//! use std::sync::Arc;
//! use feishu_vc_ledger::{InMemoryLedger, LedgerStore};
//!
//! feishu_vc_ledger::testing::conformance(|| async {
//!     Arc::new(InMemoryLedger::new()) as Arc<dyn LedgerStore>
//! })
//! .await;
//! # }
//! ```
//!
//! The checks spawn tasks to race two workers: run the suite on a multi-threaded tokio runtime
//! (`#[tokio::test(flavor = "multi_thread")]`).
//!
//! One file per part of the store's contract (`begin.rs`, `sending.rs`, `settle.rs`,
//! `locks.rs`, `keep.rs`, `lookup.rs`, `placement.rs`), each check a function of a fresh store;
//! `fixtures.rs` holds what they share. This file runs them all, in the order they always ran.

mod begin;
mod fixtures;
mod keep;
mod locks;
mod lookup;
mod placement;
mod sending;
mod settle;

use std::future::Future;

pub use fixtures::{Store, at, book, booked, intent};

use begin::{
    begin_is_idempotent_and_refuses_conflicts, begin_many_gives_each_intent_its_own_result,
    begin_many_twice_changes_nothing,
};
use keep::{
    booked_reservations_change_end_time_end_and_keep,
    claim_due_takes_due_kept_booked_unclaimed_records, claims_lapse_and_release,
    racing_keepers_never_claim_the_same_record,
};
use locks::a_batch_lock_excludes_other_runs_of_that_batch_only;
use lookup::{
    by_meeting_no_follows_number_reuse_and_deletion, list_filters_and_orders_oldest_intent_first,
};
use placement::{
    a_calendar_placement_outlives_renewal_and_the_reservations_end,
    set_calendar_is_read_back_everywhere_and_cleared_by_none,
    set_calendar_of_an_unknown_reservation_is_not_found,
};
use sending::{
    mark_sending_new_races_have_one_winner,
    mark_sending_new_writes_a_new_key_sending_or_marks_its_pending_record,
    mark_sending_races_have_one_winner, mark_sending_takes_a_pending_record_once,
};
use settle::{
    not_booked_returns_a_sending_record_to_pending, reopen_moves_only_unknown_back_to_pending,
    settle_interrupted_takes_only_old_sending_records_of_the_batch,
    settle_records_each_outcome_only_from_sending,
};

/// Runs every check, each on a store `make` returns fresh (empty); panics naming the first
/// check that fails.
pub async fn conformance<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Store>,
{
    macro_rules! run {
        ($($check:ident),* $(,)?) => {$(
            eprintln!("ledger conformance: {}", stringify!($check));
            $check(make().await).await;
        )*};
    }
    run!(
        begin_is_idempotent_and_refuses_conflicts,
        begin_many_gives_each_intent_its_own_result,
        begin_many_twice_changes_nothing,
        mark_sending_takes_a_pending_record_once,
        mark_sending_races_have_one_winner,
        mark_sending_new_writes_a_new_key_sending_or_marks_its_pending_record,
        mark_sending_new_races_have_one_winner,
        settle_records_each_outcome_only_from_sending,
        not_booked_returns_a_sending_record_to_pending,
        settle_interrupted_takes_only_old_sending_records_of_the_batch,
        reopen_moves_only_unknown_back_to_pending,
        list_filters_and_orders_oldest_intent_first,
        booked_reservations_change_end_time_end_and_keep,
        claim_due_takes_due_kept_booked_unclaimed_records,
        claims_lapse_and_release,
        racing_keepers_never_claim_the_same_record,
        by_meeting_no_follows_number_reuse_and_deletion,
        set_calendar_is_read_back_everywhere_and_cleared_by_none,
        a_calendar_placement_outlives_renewal_and_the_reservations_end,
        set_calendar_of_an_unknown_reservation_is_not_found,
        a_batch_lock_excludes_other_runs_of_that_batch_only,
    );
}
