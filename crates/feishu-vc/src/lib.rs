//! Feishu / Lark meeting reservations (预约会议) from Rust: book a meeting, read it, renew or
//! change it, cancel it, and find its live meeting.
//!
//! ```no_run
//! use std::time::{Duration, SystemTime};
//! use feishu_vc::model::{
//!     ApplyReserveRequest, Password, ReserveMeetingSetting, Timestamp, UpdateReserveBody,
//! };
//!
//! # async fn run() -> feishu_vc::Result<()> {
//! let client = feishu_vc::Client::builder()
//!     .app_credentials("cli_a1b2c3d4", std::env::var("FEISHU_APP_SECRET").unwrap_or_default())
//!     .build()?;
//!
//! // Book a meeting two hours long, owned by a user of the tenant.
//! let booked = client
//!     .reserves()
//!     .apply(
//!         ApplyReserveRequest::new(
//!             ReserveMeetingSetting::default()
//!                 .set_topic("Weekly sync")
//!                 .set_password(Password::digits("971024")),
//!         )
//!         .set_end_time(Timestamp::from(SystemTime::now() + Duration::from_secs(2 * 3600)))
//!         .set_owner_id("ou_3ec3f6a28a0d08c45d895276e8e5e19b"),
//!     )
//!     .await?;
//! // The id and meeting number are always there; an answer without them is an error.
//! println!("meeting {} at {:?} (log id {:?})", booked.data.meeting_no, booked.data.url, booked.log_id);
//!
//! // Renew it for a day, then cancel it.
//! let id = booked.data.reserve_id;
//! let one_day = Timestamp::from(SystemTime::now() + Duration::from_secs(24 * 3600));
//! client.reserves().update(id.clone(), UpdateReserveBody::default().set_end_time(one_day)).await?;
//! client.reserves().delete(id).await?;
//! # Ok(()) }
//! ```
//!
//! What you get:
//! - Every request is checked against Lark's documented rules before it is sent
//!   ([`validate`]), knowing whether the call uses a tenant or a user token; a violation
//!   is an [`Error::InvalidRequest`] that names the field, the rule and the server's code, and
//!   nothing is sent. Turn it off with [`ClientBuilder::validation`].
//! - One tenant token for any number of concurrent calls, refreshed before it expires, evicted and
//!   replayed once when rejected; a token given for one call always wins
//!   ([`Call::with_user_access_token`]).
//! - `apply` is never re-sent once it may have reached Feishu: a timeout or a lost connection is
//!   [`Error::OutcomeUnknown`]. Reads, updates and deletes retry with backoff.
//! - Assigned hosts Feishu drops come back as a [`Warning`] ([`ClientBuilder::strict_host_check`]
//!   turns them into an error).
//! - `apply` and `update` give a [`model::Booked`]: the reservation id and meeting number as plain
//!   fields. A success answer without them is an error, never an empty value.
//! - Errors and responses carry the log id; no `Debug` or `Display` shows a secret.
//!
//! Features: `rustls` (default) or `native-tls` for TLS; `time`, `chrono` and `jiff` convert
//! [`model::Timestamp`] to and from those crates' date-time types.
//!
//! The crates underneath are re-exported: [`model`] (pure serde types), [`validate`] (the rules),
//! [`transport`] (HTTP, tokens, retries; also [`Client::raw`] for endpoints not modelled yet).
#![deny(missing_docs)]

mod calendars;
mod call;
mod client;
mod meetings;
mod observer;
mod recordings;
mod reserves;
pub mod when;

#[doc(inline)]
pub use feishu_vc_model as model;
#[doc(inline)]
pub use feishu_vc_transport as transport;
#[doc(inline)]
pub use feishu_vc_validate as validate;

#[doc(inline)]
pub use calendars::{Calendars, Placed, Placement, reservation_event_key};
pub use call::{Call, CallOperation};
#[doc(inline)]
pub use client::{Client, ClientBuilder};
#[doc(inline)]
pub use feishu_vc_transport::{
    AccessToken, AppTicketStore, BeforeSend, Brand, CallOptions, Error, InMemoryAppTicketStore,
    InMemoryUserTokenStore, InProcessRateLimiter, OAuthApp, RateLimiter, RateQuota, RateScope,
    RawRequest, Response, Result, RetryPolicy, SharedToken, StoreAppError, StoreAppTokenSource,
    TenantTokenEndpoint, TokenCache, TokenProvider, UserTokenError, UserTokenSource,
    UserTokenStore, UserTokens, Warning,
};
#[doc(inline)]
pub use meetings::Meetings;
pub use observer::{Booking, BookingObserver};
#[doc(inline)]
pub use recordings::Recordings;
#[doc(inline)]
pub use reserves::{IntoReserveId, Reserves};
