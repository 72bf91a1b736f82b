//! The ready axum router: acknowledge first, handle after.
//!
//! Each request is decoded and deduplicated ([`Receiver::accept`]), bounded by
//! [`ACCEPT_DEADLINE`] so the answer beats Feishu's 3-second limit whatever the stores do. A new
//! event is then handed to a spawned task that attributes it to its reservation and runs the
//! handler; the answer does not wait for it. A handler's error (or panic) is logged and never
//! turns into a non-200 answer, so it cannot start a retry storm.
//!
//! Answers: 200 for challenges (`{"challenge":…}`), events and duplicates (`{"msg":"success"}`),
//! unknown event types included; 401 for authentication failures, 400 for malformed bodies (Feishu
//! retries those, which is harmless); 503 when a store fails or is too slow, so Feishu retries and
//! nothing is lost.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::decode::{Delivery, challenge_response};
use crate::error::ReceiveError;
use crate::receiver::{Accepted, Receiver};

/// How long accepting a request (decode + dedup) may take before the router answers 503: well
/// inside Feishu's 3 s.
pub const ACCEPT_DEADLINE: Duration = Duration::from_secs(2);

/// The error a handler may return: logged, never answered to Feishu.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// Handles accepted events, one call per event, in a background task. Match on
/// [`Delivery::event`] for a handler per event type; [`Event::Other`](feishu_vc_model::events::Event::Other)
/// is the catch-all for types this crate does not model. Implemented for async closures
/// `Fn(Delivery) -> impl Future<Output = Result<(), HandlerError>>`, or by hand:
///
/// ```
/// use feishu_vc_events::{Delivery, EventHandler, HandlerError};
/// use feishu_vc_model::events::Event;
///
/// struct Meetings;
///
/// impl EventHandler for Meetings {
///     async fn handle(&self, delivery: Delivery) -> Result<(), HandlerError> {
///         match &delivery.event {
///             Event::MeetingStarted(e) => {
///                 let number = e.meeting.as_ref().and_then(|m| m.meeting_no.as_ref());
///                 println!("{number:?} started, reservation {:?}", delivery.reserve_id);
///             }
///             Event::RecordingReady(e) => println!("recording at {:?}", e.url),
///             Event::Other(other) => println!("not handled: {}", other.event_type),
///             _ => {}
///         }
///         Ok(())
///     }
/// }
///
/// let receiver = feishu_vc_events::Receiver::new(feishu_vc_events::Decoder::new());
/// let _router: axum::Router = feishu_vc_events::router(receiver, Meetings);
/// ```
pub trait EventHandler: Send + Sync + 'static {
    /// Handles one event.
    fn handle(&self, delivery: Delivery) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

impl<F, Fut> EventHandler for F
where
    F: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send,
{
    fn handle(&self, delivery: Delivery) -> impl Future<Output = Result<(), HandlerError>> + Send {
        self(delivery)
    }
}

struct Shared<H> {
    receiver: Receiver,
    handler: H,
}

/// A router answering `POST /` with `receiver`, handing new events to `handler`. Mount it where
/// Feishu's request URL points (`Router::nest("/feishu/events", router(..))`).
pub fn router<H: EventHandler>(receiver: Receiver, handler: H) -> Router {
    let shared = Arc::new(Shared { receiver, handler });
    Router::new()
        .route("/", post(receive::<H>))
        .with_state(shared)
}

async fn receive<H: EventHandler>(
    State(shared): State<Arc<Shared<H>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = SystemTime::now();
    let accepted = tokio::time::timeout(
        ACCEPT_DEADLINE,
        shared.receiver.accept(&headers, &body, now),
    )
    .await;
    match accepted {
        Ok(Ok(Accepted::Challenge(challenge))) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            challenge_response(&challenge),
        )
            .into_response(),
        Ok(Ok(Accepted::Duplicate(event_id))) => {
            tracing::debug!(event_id, "duplicate delivery acknowledged and dropped");
            success()
        }
        Ok(Ok(Accepted::Event(delivery))) => {
            tokio::spawn(handle(shared, *delivery, now));
            success()
        }
        Ok(Err(ReceiveError::Decode(error))) => {
            tracing::warn!(%error, "event delivery refused");
            let status = if error.is_unauthenticated() {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, error.to_string()).into_response()
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "event delivery not accepted; Feishu will retry");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Err(_) => {
            tracing::error!("accepting an event delivery timed out; Feishu will retry");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

fn success() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        r#"{"msg":"success"}"#,
    )
        .into_response()
}

async fn handle<H: EventHandler>(shared: Arc<Shared<H>>, mut delivery: Delivery, now: SystemTime) {
    let event_id = delivery.header.event_id.clone();
    if let Err(error) = shared.receiver.attribute(&mut delivery, now).await {
        tracing::warn!(event_id, %error, "reservation lookup failed; handling without it");
    }
    let event_type = delivery.event.event_type().to_owned();
    if let Err(error) = shared.handler.handle(delivery).await {
        tracing::error!(event_id, event_type, %error, "event handler failed");
    }
}
