//! The five reserve operations, each a [`Call`] that can take per-call options before it is
//! awaited.

use feishu_vc_model::{
    ApplyReserveData, ApplyReserveRequest, Booked, DeleteReserveData, DeleteReserveRequest,
    GetActiveMeetingData, GetActiveMeetingRequest, GetReserveData, GetReserveRequest,
    IncompleteResponse, Reserve, ReserveCorrectionCheckInfo, ReserveId, ReserveMeetingSetting,
    Timestamp, UpdateReserveBody, UpdateReserveData, UpdateReserveRequest, UserIdType,
};

use crate::call::{sealed, user_id_type};
use crate::{Booking, BookingObserver, Call, CallOperation, Client};

/// Meeting reservations, from [`Client::reserves`].
#[derive(Clone, Copy, Debug)]
pub struct Reserves<'c> {
    client: &'c Client,
}

/// Anything that names a reservation: a [`ReserveId`] or its string.
pub trait IntoReserveId {
    /// The id.
    fn into_reserve_id(self) -> ReserveId;
}

impl<T: Into<ReserveId>> IntoReserveId for T {
    fn into_reserve_id(self) -> ReserveId {
        self.into()
    }
}

impl<'c> Reserves<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    /// Books a meeting (`POST /open-apis/vc/v1/reserves/apply`) and gives its [`Booked`] id and
    /// meeting number. Never re-sent once it may have reached Feishu: persist `reserve_id` as soon
    /// as it returns, and on [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) look before booking again. A success answer
    /// without the id or meeting number is also [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) (the meeting may be
    /// booked), with the [`Error::Decode`](crate::Error::Decode) that names the missing field as its source.
    pub fn apply(&self, request: ApplyReserveRequest) -> Call<'c, ApplyReserveRequest> {
        Call::new(self.client, request)
    }

    /// Reads a reservation you own (`GET /open-apis/vc/v1/reserves/{reserve_id}`).
    pub fn get(&self, reserve_id: impl IntoReserveId) -> Call<'c, GetReserveRequest> {
        Call::new(
            self.client,
            GetReserveRequest::new(reserve_id.into_reserve_id()),
        )
    }

    /// Changes or renews a reservation you own (`PUT /open-apis/vc/v1/reserves/{reserve_id}`).
    /// Only the fields in `changes` are changed; a field sent empty is cleared. Renew by setting
    /// `end_time` (at most 30 days ahead). Gives the reservation as changed ([`Booked`]); a success
    /// answer without its id or meeting number is an [`Error::Decode`](crate::Error::Decode).
    pub fn update(
        &self,
        reserve_id: impl IntoReserveId,
        changes: UpdateReserveBody,
    ) -> Call<'c, UpdateReserveRequest> {
        Call::new(
            self.client,
            UpdateReserveRequest::from_body(reserve_id.into_reserve_id(), changes),
        )
    }

    /// Deletes a reservation you own, for good (`DELETE /open-apis/vc/v1/reserves/{reserve_id}`).
    pub fn delete(&self, reserve_id: impl IntoReserveId) -> Call<'c, DeleteReserveRequest> {
        Call::new(
            self.client,
            DeleteReserveRequest::new(reserve_id.into_reserve_id()),
        )
    }

    /// The meeting in progress for a reservation you own, if any
    /// (`GET /open-apis/vc/v1/reserves/{reserve_id}/get_active_meeting`).
    pub fn get_active_meeting(
        &self,
        reserve_id: impl IntoReserveId,
    ) -> Call<'c, GetActiveMeetingRequest> {
        Call::new(
            self.client,
            GetActiveMeetingRequest::new(reserve_id.into_reserve_id()),
        )
    }
}

user_id_type!(
    ApplyReserveRequest,
    GetReserveRequest,
    UpdateReserveRequest,
    GetActiveMeetingRequest
);

impl Call<'_, GetActiveMeetingRequest> {
    /// Sets the request's `with_participants`: include the participant list (off unless set).
    pub fn set_with_participants(mut self, with: bool) -> Self {
        self.request = self.request.set_with_participants(with);
        self
    }
}

impl sealed::Sealed for ApplyReserveRequest {}
impl sealed::Sealed for GetReserveRequest {}
impl sealed::Sealed for UpdateReserveRequest {}
impl sealed::Sealed for DeleteReserveRequest {}
impl sealed::Sealed for GetActiveMeetingRequest {}

impl CallOperation for ApplyReserveRequest {
    type Data = ApplyReserveData;
    type Output = Booked;

    fn output(data: Self::Data) -> std::result::Result<Booked, IncompleteResponse> {
        Booked::try_from(data)
    }

    fn observe(&self, booked: &Booked, observer: &dyn BookingObserver, at: Timestamp) {
        let mut booking = booking(booked, self.body.end_time, self.user_id_type, at);
        booking.owner_id = self.body.owner_id.clone();
        observer.booked(&booking);
    }

    fn meeting_settings(&self) -> Option<&ReserveMeetingSetting> {
        Some(&self.body.meeting_settings)
    }

    fn host_check(data: &Self::Data) -> Option<(&ReserveCorrectionCheckInfo, Option<&Reserve>)> {
        Some((
            data.reserve_correction_check_info.as_ref()?,
            data.reserve.as_ref(),
        ))
    }
}

impl CallOperation for UpdateReserveRequest {
    type Data = UpdateReserveData;
    type Output = Booked;

    fn output(data: Self::Data) -> std::result::Result<Booked, IncompleteResponse> {
        Booked::try_from(data)
    }

    fn observe(&self, booked: &Booked, observer: &dyn BookingObserver, at: Timestamp) {
        let mut booking = booking(booked, self.body.end_time, self.user_id_type, at);
        booking.is_update = true;
        observer.booked(&booking);
    }

    fn meeting_settings(&self) -> Option<&ReserveMeetingSetting> {
        self.body.meeting_settings.as_ref()
    }

    fn host_check(data: &Self::Data) -> Option<(&ReserveCorrectionCheckInfo, Option<&Reserve>)> {
        Some((
            data.reserve_correction_check_info.as_ref()?,
            data.reserve.as_ref(),
        ))
    }
}

impl CallOperation for GetReserveRequest {
    type Data = GetReserveData;
    type Output = GetReserveData;

    fn output(data: Self::Data) -> std::result::Result<Self::Output, IncompleteResponse> {
        Ok(data)
    }
}

impl CallOperation for DeleteReserveRequest {
    type Data = DeleteReserveData;
    type Output = DeleteReserveData;

    fn output(data: Self::Data) -> std::result::Result<Self::Output, IncompleteResponse> {
        Ok(data)
    }

    fn observe(&self, _output: &Self::Output, observer: &dyn BookingObserver, at: Timestamp) {
        observer.deleted(&self.reserve_id, at);
    }
}

impl CallOperation for GetActiveMeetingRequest {
    type Data = GetActiveMeetingData;
    type Output = GetActiveMeetingData;

    fn output(data: Self::Data) -> std::result::Result<Self::Output, IncompleteResponse> {
        Ok(data)
    }
}

/// What an apply or update booked, owner unknown.
fn booking(
    booked: &Booked,
    requested_end: Option<Timestamp>,
    user_id_type: Option<UserIdType>,
    at: Timestamp,
) -> Booking {
    Booking {
        reserve_id: booked.reserve_id.clone(),
        meeting_no: booked.meeting_no.clone(),
        end_time: booked.end_time.or(requested_end),
        owner_id: None,
        user_id_type: user_id_type.unwrap_or_default(),
        at,
        is_update: false,
    }
}
