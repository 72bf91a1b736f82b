//! The events' [`ReservationLookup`] from the ledger: a meeting event tied back to the
//! reservation that booked its meeting, across restarts.

use std::sync::Arc;

use feishu_vc_events::{BookedReservation, BoxFuture, ReservationLookup, StoreError};
use feishu_vc_model::events::MeetingEventMeeting;
use feishu_vc_model::{ReserveId, Timestamp};

use crate::record::Record;
use crate::store::LedgerStore;

/// The reservation lookup over a ledger's store alone: an events receiver needs no client.
///
/// A meeting matches a recorded reservation when it has the reservation's meeting number, is seen
/// while the reservation held that number (booked, and not yet ended or past its end time), and,
/// when both sides name the owner by the same kind of id, has the same owner (the rule of
/// [`BookedReservation::matches`]). Of several, the most recently booked wins.
#[derive(Debug, Clone)]
pub struct LedgerLookup {
    store: Arc<dyn LedgerStore>,
}

impl LedgerLookup {
    /// The lookup over `store`.
    pub fn new(store: Arc<dyn LedgerStore>) -> Self {
        Self { store }
    }
}

impl ReservationLookup for LedgerLookup {
    fn find<'a>(
        &'a self,
        meeting: &'a MeetingEventMeeting,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<Option<ReserveId>, StoreError>> {
        find(self.store.as_ref(), meeting, at)
    }
}

/// The reservation of `meeting` seen at `at`, from `store`.
pub(crate) fn find<'a>(
    store: &'a dyn LedgerStore,
    meeting: &'a MeetingEventMeeting,
    at: Timestamp,
) -> BoxFuture<'a, Result<Option<ReserveId>, StoreError>> {
    Box::pin(async move {
        let Some(meeting_no) = &meeting.meeting_no else {
            return Ok(None);
        };
        let records = store.by_meeting_no(meeting_no, at).await.map_err(|e| {
            StoreError::new(
                "reservation lookup",
                "the ledger could not be read",
                Some(Box::new(e)),
            )
        })?;
        Ok(records
            .iter()
            .filter_map(booked_reservation)
            .filter(|r| r.matches(meeting, at))
            .max_by_key(|r| r.booked_at)
            .map(|r| r.reserve_id))
    })
}

/// A record as the events crate sees a booking: its lifetime ends at its end time, or when it
/// ended if sooner.
fn booked_reservation(record: &Record) -> Option<BookedReservation> {
    let end = match record.ended_at {
        Some(ended) => ended.min(record.end_time),
        None => record.end_time,
    };
    let mut booked = BookedReservation::new(
        record.reserve_id.clone()?,
        record.meeting_no.clone()?,
        record.booked_at?,
        end,
    );
    if let Some(owner) = &record.intent.owner {
        booked = booked.with_owner(owner.clone());
    }
    Some(booked)
}

#[cfg(feature = "facade")]
impl ReservationLookup for crate::Ledger {
    fn find<'a>(
        &'a self,
        meeting: &'a MeetingEventMeeting,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<Option<ReserveId>, StoreError>> {
        find(self.store.as_ref(), meeting, at)
    }
}
