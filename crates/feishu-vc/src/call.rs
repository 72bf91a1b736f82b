//! One call, not yet sent: [`Call`] takes per-call options, then validates, sends and reads its
//! answer when awaited. Every operation's request type implements [`CallOperation`], in the
//! module of its resource (`reserves.rs`, `meetings.rs`, `recordings.rs`).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use feishu_vc_model::{
    ApiRequest, ApiResponse, IncompleteResponse, Method, Password, Reserve,
    ReserveCorrectionCheckInfo, ReserveMeetingSetting, SecretString, Timestamp, TokenKind,
};
use feishu_vc_transport::{
    CallOptions, DecodeError, Error, HostsRejected, Response, Result, Warning,
};
use feishu_vc_validate::{Context, Validate};
use serde::de::DeserializeOwned;

use crate::{BookingObserver, Client};

/// One call, not yet sent: add per-call options, then `.await` it.
#[derive(Debug)]
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'c, R> {
    pub(crate) client: &'c Client,
    pub(crate) request: R,
    pub(crate) options: CallOptions,
}

impl<'c, R> Call<'c, R> {
    pub(crate) fn new(client: &'c Client, request: R) -> Self {
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
            pub fn set_user_id_type(mut self, user_id_type: $crate::model::UserIdType) -> Self {
                self.request = self.request.set_user_id_type(user_id_type);
                self
            }
        }
    )*};
}
pub(crate) use user_id_type;

pub(crate) mod sealed {
    /// Keeps [`super::CallOperation`] to feishu-vc's request types.
    pub trait Sealed {}
}

/// The operations a [`Call`] can carry (reserves, meetings, recordings): what each returns, and
/// where Feishu reports rejected hosts. Implemented for feishu-vc's request types only.
pub trait CallOperation:
    ApiRequest<Response = ApiResponse<Self::Data>> + Validate + Send + Sync + sealed::Sealed + 'static
{
    /// The answer's `data`.
    type Data: DeserializeOwned + Default + Send + 'static;

    /// What the call gives on success: [`Booked`](feishu_vc_model::Booked) for apply and update, the `data` otherwise.
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

impl<'c, R: CallOperation> IntoFuture for Call<'c, R> {
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

/// The call's output from its `data`. A success answer lacking what it always carries is an
/// [`Error::Decode`]; for a booking, whose meeting may exist, [`Error::OutcomeUnknown`] around it.
fn finish<R: CallOperation>(mut response: Response<R::Data>) -> Result<Response<R::Output>> {
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
