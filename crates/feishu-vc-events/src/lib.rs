//! Receive Feishu / Lark meeting events (`vc.meeting.*`) over the long connection or webhooks, and
//! tie each back to the reservation that booked its meeting.
//!
//! # Long connection: no public URL needed
//!
//! The app dials out over WebSocket ([`longconn::LongConnection`], feature `long-connection`, on
//! by default); events go through the same [`Receiver`] (dedup, reservation lookup) and
//! [`EventHandler`] as webhooks, and each is acknowledged once handled.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use feishu_vc_events::longconn::LongConnection;
//! use feishu_vc_events::{Decoder, Delivery, HandlerError, InMemoryReservations, Receiver};
//!
//! # async fn run() -> Result<(), feishu_vc_events::longconn::LongConnectionError> {
//! let reservations = Arc::new(InMemoryReservations::new());
//! // Give `reservations` to `feishu_vc::ClientBuilder::booking_observer` so it fills as you book.
//! LongConnection::new("cli_a1b2c3d4e5f60718", "the app secret")
//!     .receiver(Receiver::new(Decoder::new()).reservation_lookup(reservations))
//!     .run(
//!         |delivery: Delivery| async move {
//!             println!("{}: {:?}", delivery.event.event_type(), delivery.reserve_id);
//!             Ok::<(), HandlerError>(())
//!         },
//!         std::future::pending::<()>(), // or a shutdown signal
//!     )
//!     .await
//! # }
//! ```
//!
//! # Webhooks
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use feishu_vc_events::{Decoder, Delivery, HandlerError, InMemoryReservations, Receiver};
//! use feishu_vc_model::events::Event;
//!
//! # async fn run() -> std::io::Result<()> {
//! let reservations = Arc::new(InMemoryReservations::new());
//! // Give `reservations` to `feishu_vc::ClientBuilder::booking_observer` so it fills as you book.
//! let receiver = Receiver::new(
//!     Decoder::new()
//!         .encrypt_key("the app's Encrypt Key")
//!         .verification_token("the app's Verification Token"),
//! )
//! .reservation_lookup(reservations.clone());
//!
//! let events = feishu_vc_events::router(receiver, |delivery: Delivery| async move {
//!     match &delivery.event {
//!         Event::MeetingStarted(_) => println!("started: {:?}", delivery.reserve_id),
//!         Event::MeetingEnded(_) => println!("ended: {:?}", delivery.reserve_id),
//!         other => println!("{} (not handled)", other.event_type()),
//!     }
//!     Ok::<(), HandlerError>(())
//! });
//! let app = axum::Router::new().nest("/feishu/events", events);
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! Layers, each usable alone:
//! - [`Decoder`] is the sans-I/O core: headers + raw body bytes + the current time in, an
//!   [`Incoming`] (challenge or typed [`Delivery`]) or a [`DecodeError`] out. It checks the
//!   signature (with an Encrypt Key), decrypts, checks the verification token and reads schema
//!   2.0 and 1.0 envelopes. Any web framework can call it.
//! - [`Receiver`] adds deduplication ([`DedupStore`], [`InMemoryDedup`]) and the reservation
//!   lookup ([`ReservationLookup`], [`InMemoryReservations`]).
//! - [`router`] (feature `axum`, on by default) answers Feishu at once and runs an
//!   [`EventHandler`] in the background.
//! - [`longconn`] (features `frames` and `long-connection`): the long connection's protocol and
//!   client.
//!
//! The Encrypt Key and Verification Token are held as [`SecretString`](feishu_vc_model::SecretString):
//! `Debug` prints them redacted, and no error or log line carries them.

#![deny(missing_docs)]

#[cfg(all(feature = "axum", feature = "facade"))]
mod app_ticket;
mod crypto;
mod decode;
mod dedup;
mod error;
#[cfg(feature = "frames")]
pub mod longconn;
mod lookup;
mod receiver;
#[cfg(feature = "axum")]
mod router;

use std::future::Future;
use std::pin::Pin;

#[cfg(all(feature = "axum", feature = "facade"))]
pub use app_ticket::{APP_TICKET_EVENT, AppTickets, app_ticket_of};
pub use decode::{
    Decoder, Delivery, Headers, Incoming, NONCE_HEADER, SIGNATURE_HEADER, Schema, TIMESTAMP_HEADER,
    challenge_response,
};
pub use dedup::{DEFAULT_CAPACITY, DEFAULT_WINDOW, DedupStore, InMemoryDedup};
pub use error::{DecodeError, ReceiveError, StoreError, Undecryptable};
pub use lookup::{
    BookedReservation, InMemoryReservations, KEEP_AFTER_END, MAX_RESERVATION_LIFETIME, OwnerId,
    ReservationLookup,
};
pub use receiver::{Accepted, Receiver};
#[cfg(feature = "axum")]
pub use router::{ACCEPT_DEADLINE, EventHandler, HandlerError, router};

/// The future a store method returns (boxed, so stores can be used as `Arc<dyn …>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
