//! The receiver: the pure [`Decoder`], then deduplication, then (for accepted events) the
//! reservation lookup. Still framework-free; the axum router only calls it.

use std::sync::Arc;
use std::time::SystemTime;

use feishu_vc_model::Timestamp;

use crate::decode::{Decoder, Delivery, Headers, Incoming};
use crate::dedup::{DedupStore, InMemoryDedup};
use crate::error::{ReceiveError, StoreError};
use crate::lookup::ReservationLookup;

/// What [`Receiver::accept`] made of a request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Accepted {
    /// A URL-verification challenge: answer it with
    /// [`challenge_response`](crate::challenge_response).
    Challenge(String),
    /// An event id seen before within the dedup window: acknowledge and drop.
    Duplicate(String),
    /// A new event: acknowledge, then [`attribute`](Receiver::attribute) and handle it.
    Event(Box<Delivery>),
}

/// Decoder + dedup store + reservation lookup. Share it behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Receiver {
    decoder: Decoder,
    dedup: Arc<dyn DedupStore>,
    lookup: Option<Arc<dyn ReservationLookup>>,
}

impl Receiver {
    /// A receiver around `decoder`, with the in-memory dedup store (24 h window) and no lookup.
    pub fn new(decoder: Decoder) -> Self {
        Self {
            decoder,
            dedup: Arc::new(InMemoryDedup::default()),
            lookup: None,
        }
    }

    /// Uses `store` to deduplicate (a shared one when several instances receive).
    pub fn dedup_store(mut self, store: Arc<dyn DedupStore>) -> Self {
        self.dedup = store;
        self
    }

    /// Attributes events to reservations through `lookup`.
    pub fn reservation_lookup(mut self, lookup: Arc<dyn ReservationLookup>) -> Self {
        self.lookup = Some(lookup);
        self
    }

    /// The decoder.
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Decodes a request and records its event id: what to acknowledge. Fast (no lookup), so it
    /// fits before the 200 answer.
    pub async fn accept(
        &self,
        headers: &(impl Headers + ?Sized),
        body: &[u8],
        now: SystemTime,
    ) -> Result<Accepted, ReceiveError> {
        match self.decoder.decode(headers, body, now)? {
            Incoming::Challenge(c) => Ok(Accepted::Challenge(c)),
            Incoming::Event(delivery) => {
                if self.dedup.first_sighting(delivery.event_id(), now).await? {
                    Ok(Accepted::Event(delivery))
                } else {
                    Ok(Accepted::Duplicate(delivery.header.event_id))
                }
            }
        }
    }

    /// Fills `delivery.reserve_id` from the lookup (if any). The event's time is its meeting's
    /// `start_time`, else the header's `create_time`, else `now`.
    pub async fn attribute(
        &self,
        delivery: &mut Delivery,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let (Some(lookup), Some(meeting)) = (&self.lookup, delivery.event.meeting()) else {
            return Ok(());
        };
        let at = event_time(delivery).unwrap_or_else(|| Timestamp::from(now));
        delivery.reserve_id = lookup.find(meeting, at).await?;
        Ok(())
    }
}

/// When the event's meeting happened: its `start_time`, else the header's `create_time`
/// (milliseconds; 16 digits read as microseconds).
pub(crate) fn event_time(delivery: &Delivery) -> Option<Timestamp> {
    if let Some(start) = delivery.event.meeting().and_then(|m| m.start_time) {
        return Some(start);
    }
    let created = delivery.header.create_time.as_deref()?.trim();
    let value: i64 = created.parse().ok()?;
    let seconds = if created.len() > 14 {
        value / 1_000_000
    } else {
        value / 1_000
    };
    Some(Timestamp::from_unix_seconds(seconds))
}
