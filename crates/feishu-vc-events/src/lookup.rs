//! From an event back to the reservation that booked its meeting.
//!
//! No event carries a reserve id; the link is the meeting number, which Feishu releases when a
//! reservation expires and may give to a later one. A record therefore matches an event only when
//! the meeting number is the same, the event's meeting time lies inside the reservation's
//! lifetime (booked at ..= end time), and, when both sides know the owner by the same kind of id,
//! the owner is the same.

use std::collections::HashMap;
use std::sync::Mutex;

use feishu_vc_model::events::{MeetingEventMeeting, MeetingEventUserId};
use feishu_vc_model::{MeetingId, MeetingNo, ReserveId, Timestamp, UserIdType};

use crate::BoxFuture;
use crate::error::StoreError;

/// The owner a reservation was booked for: the id and which kind of id it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerId {
    /// Which kind of id `id` is.
    pub kind: UserIdType,
    /// The id.
    pub id: String,
}

impl OwnerId {
    /// The owner `id`, of the kind `kind`.
    pub fn new(kind: UserIdType, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }

    /// Whether the event's ids name someone else: `Some(false)` when they carry an id of the same
    /// kind that differs, `None` when they carry none of that kind.
    fn matches(&self, ids: &MeetingEventUserId) -> Option<bool> {
        let theirs = match self.kind {
            UserIdType::OpenId => ids.open_id.as_deref(),
            UserIdType::UnionId => ids.union_id.as_deref(),
            UserIdType::UserId => ids.user_id.as_deref(),
            _ => None,
        }?;
        Some(theirs == self.id)
    }
}

/// What the app booked: one reservation's id, meeting number, owner and lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BookedReservation {
    /// The reservation.
    pub reserve_id: ReserveId,
    /// Its meeting number.
    pub meeting_no: MeetingNo,
    /// Its owner, when the booking named one.
    pub owner: Option<OwnerId>,
    /// When it was booked: the start of its lifetime.
    pub booked_at: Timestamp,
    /// When it expires (or was deleted): the end of its lifetime.
    pub end_time: Timestamp,
}

impl BookedReservation {
    /// A reservation with its number and lifetime, owner unknown.
    pub fn new(
        reserve_id: ReserveId,
        meeting_no: MeetingNo,
        booked_at: Timestamp,
        end_time: Timestamp,
    ) -> Self {
        Self {
            reserve_id,
            meeting_no,
            owner: None,
            booked_at,
            end_time,
        }
    }

    /// With its owner.
    pub fn with_owner(mut self, owner: OwnerId) -> Self {
        self.owner = Some(owner);
        self
    }

    /// Whether the meeting `meeting`, seen at `at`, is this reservation's.
    pub fn matches(&self, meeting: &MeetingEventMeeting, at: Timestamp) -> bool {
        if meeting.meeting_no.as_ref() != Some(&self.meeting_no) {
            return false;
        }
        if at < self.booked_at || at > self.end_time {
            return false;
        }
        let event_owner = meeting.owner.as_ref().and_then(|o| o.id.as_ref());
        match (&self.owner, event_owner) {
            (Some(ours), Some(theirs)) => ours.matches(theirs) != Some(false),
            _ => true,
        }
    }
}

/// Finds the reservation an event's meeting belongs to. The in-memory default is
/// [`InMemoryReservations`]; a database-backed ledger implements the same trait.
pub trait ReservationLookup: Send + Sync + std::fmt::Debug {
    /// The reservation whose meeting number, lifetime and owner match `meeting` seen at `at`, or
    /// `None`.
    fn find<'a>(
        &'a self,
        meeting: &'a MeetingEventMeeting,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<Option<ReserveId>, StoreError>>;
}

/// The in-memory ledger of bookings, filled as the app books (see the facade's
/// `BookingObserver`, implemented for this type with the default `facade` feature).
///
/// A meeting found through an event that carries its `start_time` is remembered by its meeting
/// id: a later event of the same meeting without `start_time` (`recording_ready` comes after the
/// meeting, maybe after its number went to a new reservation) goes to the same reservation,
/// not to whichever reservation holds the number when it arrives.
#[derive(Debug, Default)]
pub struct InMemoryReservations {
    records: Mutex<Vec<BookedReservation>>,
    meetings: Mutex<HashMap<MeetingId, ReserveId>>,
}

impl InMemoryReservations {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a booking, or replaces the record of the same reservation (an update). Records
    /// that ended more than [`KEEP_AFTER_END`] before this booking are forgotten, so the ledger
    /// stays as small as the reservations still live.
    pub fn record(&self, mut booking: BookedReservation) {
        let mut records = self.lock();
        if let Some(cutoff) = booking.booked_at.checked_sub(KEEP_AFTER_END) {
            records.retain(|r| r.end_time >= cutoff);
        }
        match records
            .iter_mut()
            .find(|r| r.reserve_id == booking.reserve_id)
        {
            Some(existing) => {
                let booked_at = existing.booked_at.min(booking.booked_at);
                let owner = booking.owner.take().or_else(|| existing.owner.take());
                *existing = booking;
                existing.booked_at = booked_at;
                existing.owner = owner;
            }
            None => records.push(booking),
        }
        self.forget_meetings_of_gone(&records);
    }

    /// Ends a reservation's lifetime at `at` (it was deleted): later meetings with its number are
    /// not its own.
    pub fn end(&self, reserve_id: &ReserveId, at: Timestamp) {
        for record in self.lock().iter_mut() {
            if &record.reserve_id == reserve_id && record.end_time > at {
                record.end_time = at;
            }
        }
    }

    /// Forgets reservations that ended before `before`, to keep the ledger small.
    pub fn prune(&self, before: Timestamp) {
        let mut records = self.lock();
        records.retain(|r| r.end_time >= before);
        self.forget_meetings_of_gone(&records);
    }

    /// Drops the remembered meetings of reservations no longer recorded.
    fn forget_meetings_of_gone(&self, records: &[BookedReservation]) {
        self.meetings_lock()
            .retain(|_, id| records.iter().any(|r| &r.reserve_id == id));
    }

    /// How many reservations are recorded.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The synchronous form of [`ReservationLookup::find`]. When several records match (which
    /// Feishu's number reuse should not produce), the most recently booked wins.
    ///
    /// An event without the meeting's `start_time` goes to the reservation an earlier event of
    /// the same meeting (same meeting id and number) was attributed to, when there was one.
    pub fn find_now(&self, meeting: &MeetingEventMeeting, at: Timestamp) -> Option<ReserveId> {
        let records = self.lock();
        let mut meetings = self.meetings_lock();
        if let (None, Some(meeting_id)) = (meeting.start_time, &meeting.id) {
            let known = meetings.get(meeting_id).and_then(|id| {
                records.iter().find(|r| {
                    &r.reserve_id == id && meeting.meeting_no.as_ref() == Some(&r.meeting_no)
                })
            });
            if let Some(record) = known {
                return Some(record.reserve_id.clone());
            }
        }
        let found = records
            .iter()
            .filter(|r| r.matches(meeting, at))
            .max_by_key(|r| r.booked_at)
            .map(|r| r.reserve_id.clone());
        if let (Some(found), Some(meeting_id), Some(_)) = (&found, &meeting.id, meeting.start_time)
        {
            meetings.insert(meeting_id.clone(), found.clone());
        }
        found
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<BookedReservation>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn meetings_lock(&self) -> std::sync::MutexGuard<'_, HashMap<MeetingId, ReserveId>> {
        self.meetings.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How long [`InMemoryReservations`] keeps a reservation after it ended: Feishu resends an event
/// for up to about 7.1 h.
pub const KEEP_AFTER_END: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// The longest a reservation lives (its `end_time` is at most 30 days out): the lifetime assumed
/// when a booking does not say when it ends.
pub const MAX_RESERVATION_LIFETIME: std::time::Duration =
    std::time::Duration::from_secs(30 * 24 * 60 * 60);

#[cfg(feature = "facade")]
impl feishu_vc::BookingObserver for InMemoryReservations {
    fn booked(&self, booking: &feishu_vc::Booking) {
        let end_time = booking.end_time.unwrap_or_else(|| {
            booking
                .at
                .checked_add(MAX_RESERVATION_LIFETIME)
                .unwrap_or(booking.at)
        });
        let mut record = BookedReservation::new(
            booking.reserve_id.clone(),
            booking.meeting_no.clone(),
            booking.at,
            end_time,
        );
        if let Some(owner) = booking.owner_id.as_ref().filter(|o| !o.is_empty()) {
            record = record.with_owner(OwnerId::new(booking.user_id_type, owner.as_str()));
        }
        self.record(record);
    }

    fn deleted(&self, reserve_id: &ReserveId, at: Timestamp) {
        self.end(reserve_id, at);
    }
}

impl ReservationLookup for InMemoryReservations {
    fn find<'a>(
        &'a self,
        meeting: &'a MeetingEventMeeting,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<Option<ReserveId>, StoreError>> {
        Box::pin(std::future::ready(Ok(self.find_now(meeting, at))))
    }
}
