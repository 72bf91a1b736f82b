//! The five reserve operations, each a [`Call`] that can take per-call options before it is
//! awaited.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use feishu_vc_model::{
    ApiRequest, ApiResponse, ApplyReserveData, ApplyReserveRequest, Booked, DeleteReserveData,
    DeleteReserveRequest, GetActiveMeetingData, GetActiveMeetingRequest, GetReserveData,
    GetReserveRequest, IncompleteResponse, Method, Password, Reserve, ReserveCorrectionCheckInfo,
    ReserveId, ReserveMeetingSetting, SecretString, Timestamp, TokenKind, UpdateReserveBody,
    UpdateReserveData, UpdateReserveRequest, UserIdType,
};
use feishu_vc_transport::{
    CallOptions, DecodeError, Error, HostsRejected, Response, Result, Warning,
};
use feishu_vc_validate::{Context, Validate};
use serde::de::DeserializeOwned;

use crate::{Booking, BookingObserver, Client};

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
    /// as it returns, and on [`Error::OutcomeUnknown`] look before booking again. A success answer
    /// without the id or meeting number is also [`Error::OutcomeUnknown`] (the meeting may be
    /// booked), with the [`Error::Decode`] that names the missing field as its source.
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
    /// answer without its id or meeting number is an [`Error::Decode`].
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

/// One call, not yet sent: add per-call options, then `.await` it.
#[derive(Debug)]
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'c, R> {
    client: &'c Client,
    request: R,
    options: CallOptions,
}

impl<'c, R> Call<'c, R> {
    fn new(client: &'c Client, request: R) -> Self {
        Self {
            client,
            request,
            options: CallOptions::new(),
        }
    }

    /// Act as a user: the call carries this `user_access_token` (used as given, never cached).
    /// The user then owns what the call books, and `owner_id` must be left out.
    pub fn with_user_access_token(mut self, token: impl Into<SecretString>) -> Self {
        self.options = self.options.with_user_access_token(token);
        self
    }

    /// The call carries this `tenant_access_token` instead of the client's.
    pub fn with_tenant_access_token(mut self, token: impl Into<SecretString>) -> Self {
        self.options = self.options.with_tenant_access_token(token);
        self
    }

    /// The tenant this call acts for: a store app's client (see
    /// [`crate::ClientBuilder::store_app`]) uses that tenant's token.
    pub fn with_tenant_key(mut self, tenant_key: impl Into<String>) -> Self {
        self.options = self.options.with_tenant_key(tenant_key);
        self
    }

    /// The timeout of each attempt of this call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.with_timeout(timeout);
        self
    }

    /// Replaces all per-call options.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// The request as it will be sent.
    pub fn request(&self) -> &R {
        &self.request
    }
}

// Setters of the request's own fields keep the request's names (`set_<field>`); `with_<option>`
// is only for per-call options, which are not part of the request.
macro_rules! user_id_type {
    ($($request:ty),*) => {$(
        impl Call<'_, $request> {
            /// Sets the request's `user_id_type`: how user ids in this call are read and written
            /// (`open_id` unless set).
            pub fn set_user_id_type(mut self, user_id_type: UserIdType) -> Self {
                self.request = self.request.set_user_id_type(user_id_type);
                self
            }
        }
    )*};
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

mod sealed {
    pub trait Sealed {}
    impl Sealed for feishu_vc_model::ApplyReserveRequest {}
    impl Sealed for feishu_vc_model::GetReserveRequest {}
    impl Sealed for feishu_vc_model::UpdateReserveRequest {}
    impl Sealed for feishu_vc_model::DeleteReserveRequest {}
    impl Sealed for feishu_vc_model::GetActiveMeetingRequest {}
}

/// The reserve operations a [`Call`] can carry: what each returns, and where Feishu reports
/// rejected hosts. Implemented for the five request types only.
pub trait ReserveOperation:
    ApiRequest<Response = ApiResponse<Self::Data>> + Validate + Send + Sync + sealed::Sealed + 'static
{
    /// The answer's `data`.
    type Data: DeserializeOwned + Default + Send + 'static;

    /// What the call gives on success: [`Booked`] for apply and update, the `data` otherwise.
    type Output: Send + 'static;

    /// Reads the output from the answer's `data`; fails when a success answer lacks what it
    /// always carries.
    fn output(data: Self::Data) -> std::result::Result<Self::Output, IncompleteResponse>;

    /// The answer's host check and the reservation it is about, for apply and update.
    fn host_check(_data: &Self::Data) -> Option<(&ReserveCorrectionCheckInfo, Option<&Reserve>)> {
        None
    }

    /// The meeting settings the request sends, whose password the transport scrubs from anything
    /// it shows should the server echo it.
    fn meeting_settings(&self) -> Option<&ReserveMeetingSetting> {
        None
    }

    /// Tells `observer` what this successful call booked or deleted, at `at`.
    fn observe(&self, _output: &Self::Output, _observer: &dyn BookingObserver, _at: Timestamp) {}
}

impl ReserveOperation for ApplyReserveRequest {
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

impl ReserveOperation for UpdateReserveRequest {
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

impl ReserveOperation for GetReserveRequest {
    type Data = GetReserveData;
    type Output = GetReserveData;

    fn output(data: Self::Data) -> std::result::Result<Self::Output, IncompleteResponse> {
        Ok(data)
    }
}

impl ReserveOperation for DeleteReserveRequest {
    type Data = DeleteReserveData;
    type Output = DeleteReserveData;

    fn output(data: Self::Data) -> std::result::Result<Self::Output, IncompleteResponse> {
        Ok(data)
    }

    fn observe(&self, _output: &Self::Output, observer: &dyn BookingObserver, at: Timestamp) {
        observer.deleted(&self.reserve_id, at);
    }
}

impl ReserveOperation for GetActiveMeetingRequest {
    type Data = GetActiveMeetingData;
    type Output = GetActiveMeetingData;

    fn output(data: Self::Data) -> std::result::Result<Self::Output, IncompleteResponse> {
        Ok(data)
    }
}

impl<'c, R: ReserveOperation> IntoFuture for Call<'c, R> {
    type Output = Result<Response<R::Output>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'c>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let Call {
                client,
                request,
                options,
            } = self;
            // Scrubbed from whatever the call shows, should the server echo it; passed by
            // reference rather than copied into the options.
            let password = request
                .meeting_settings()
                .and_then(|s| s.password.as_ref())
                .filter(|p| !p.is_no_password())
                .map(Password::as_secret);
            let mut ignored = Vec::new();
            if client.validation {
                // Without any token the transport fails the call; validate as a tenant call.
                let kind = client
                    .transport
                    .token_kind(&options)
                    .unwrap_or(TokenKind::Tenant);
                let mut context = Context::new(kind);
                if let Some(now) = &client.clock {
                    context = context.at(now());
                }
                ignored = request.validate(&context)?;
            }
            let mut response = client
                .transport
                .send_carrying(&request, &options, password)
                .await?;
            for v in ignored {
                response = response.with_warning(Warning::Ignored {
                    path: v.path().to_owned(),
                    reason: v.rule().to_owned(),
                });
            }
            if let Some((check, reserve)) = R::host_check(&response.data) {
                let rejected = check.invalid_host_id_list.clone().unwrap_or_default();
                if !rejected.is_empty() && client.strict_host_check {
                    return Err(Error::HostsRejected(Box::new(HostsRejected::new(
                        rejected,
                        reserve.and_then(|r| r.id.clone()),
                        reserve.and_then(|r| r.meeting_no.clone()),
                        response.log_id.clone(),
                    ))));
                }
                if !rejected.is_empty() {
                    response = response.with_warning(Warning::InvalidHostIds(rejected));
                }
            }
            let response = finish::<R>(response)?;
            if let Some(observer) = &client.observer {
                let at = client
                    .clock
                    .as_ref()
                    .map_or_else(Timestamp::now, |now| now());
                request.observe(&response.data, observer.as_ref(), at);
            }
            Ok(response)
        })
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

/// The call's output from its `data`. A success answer lacking what it always carries is an
/// [`Error::Decode`]; for a booking, whose meeting may exist, [`Error::OutcomeUnknown`] around it.
fn finish<R: ReserveOperation>(mut response: Response<R::Data>) -> Result<Response<R::Output>> {
    let data = std::mem::take(&mut response.data);
    match R::output(data) {
        Ok(output) => Ok(response.map(|_| output)),
        Err(missing) => {
            let decode = Error::Decode(DecodeError::incomplete(
                response.http_status,
                response.log_id,
                missing,
            ));
            Err(if R::OPERATION.method == Method::Post {
                Error::OutcomeUnknown(Box::new(decode))
            } else {
                decode
            })
        }
    }
}
