//! A hook told what the client booked, so a ledger (e.g. `feishu-vc-events`'
//! `InMemoryReservations`) can tie later meeting events back to their reservation.

use feishu_vc_model::{MeetingNo, ReserveId, Timestamp, UserId, UserIdType};

/// What a successful apply or update booked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Booking {
    /// The reservation.
    pub reserve_id: ReserveId,
    /// Its meeting number.
    pub meeting_no: MeetingNo,
    /// When it expires: from the answer, else from the request; `None` when neither says.
    pub end_time: Option<Timestamp>,
    /// The owner the request named (apply only), of the kind `user_id_type`.
    pub owner_id: Option<UserId>,
    /// The kind of id `owner_id` is.
    pub user_id_type: UserIdType,
    /// When the answer came back (the client's validation clock, else the system's).
    pub at: Timestamp,
    /// Whether this was an update of an existing reservation (else a new booking).
    pub is_update: bool,
}

/// Told after each successful apply, update and delete, in the calling task, before the call's
/// result is returned. Keep it quick: a slow store should queue the work.
pub trait BookingObserver: Send + Sync + std::fmt::Debug {
    /// A reservation was booked or updated.
    fn booked(&self, booking: &Booking);
    /// A reservation was deleted at `at`.
    fn deleted(&self, reserve_id: &ReserveId, at: Timestamp);
}
