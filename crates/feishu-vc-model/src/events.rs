//! Meeting events (`vc.meeting.*`) as Feishu delivers them.
//!
//! Feishu emits the reservation events (`meeting_started` … `share_ended`) only for meetings booked
//! through the Open API (`reserves/apply`). The body of a schema 2.0 delivery is an
//! [`EventEnvelope`]: an [`EventHeader`] (`header`) and the event-specific object (`event`), read
//! into an [`Event`] by its `header.event_type`. An event type this crate does not know is kept as
//! [`Event::Other`] with its raw JSON, so a new Feishu event never breaks a receiver.
//!
//! The header, the event bodies, their enums and [`Event`] are generated from the `webhooks` of
//! `docs/schema/vc-reserve.openapi.json`; the envelopes here and [`OtherEvent`] are written by hand.
//!
//! ```
//! use feishu_vc_model::events::{Event, EventEnvelope, MeetingSource};
//!
//! let body = r#"{"schema":"2.0",
//!   "header":{"event_id":"5e37","event_type":"vc.meeting.meeting_started_v1","token":"v"},
//!   "event":{"meeting":{"meeting_no":"235812466","meeting_source":4},"operator":{}}}"#;
//! let delivery = EventEnvelope::from_json(body)?;
//! assert_eq!(delivery.header.event_id, "5e37");
//! let meeting = delivery.event.meeting().unwrap();
//! assert_eq!(meeting.meeting_no.as_ref().unwrap(), "235812466");
//! assert_eq!(meeting.meeting_source, Some(MeetingSource::OpenPlatform));
//! // The verification token never shows in Debug output.
//! assert!(!format!("{delivery:?}").contains(r#""v""#));
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::SecretString;
pub use crate::event_body::OtherEvent;
pub use crate::generated::events::*;

/// The body of a schema 2.0 delivery (`{"schema":"2.0","header":{…},"event":{…}}`), with the
/// event read by `header.event_type`. An unknown event type keeps its header here and its raw
/// JSON in [`Event::Other`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventEnvelope {
    /// `"2.0"`.
    pub schema: String,
    /// Event id, type, creation time, verification token, app and tenant.
    pub header: EventHeader,
    /// The event.
    pub event: Event,
}

/// The envelope as it is on the wire, the event still raw.
#[derive(Serialize, Deserialize)]
struct RawEnvelope {
    schema: String,
    header: EventHeader,
    event: serde_json::Value,
}

impl EventEnvelope {
    /// An envelope of schema `"2.0"` around `event`, with `header.event_type` set from it.
    pub fn new(mut header: EventHeader, event: Event) -> Self {
        event.event_type().clone_into(&mut header.event_type);
        Self {
            schema: "2.0".to_owned(),
            header,
            event,
        }
    }

    /// Reads a decrypted schema 2.0 delivery. Fails when `schema`, `header` (with `event_id` and
    /// `event_type`) or `event` is missing, or when a known event type's object does not fit.
    pub fn from_json(body: &str) -> Result<Self, serde_json::Error> {
        let raw: RawEnvelope = serde_json::from_str(body)?;
        let event = Event::from_value(&raw.header.event_type, raw.event)?;
        Ok(Self {
            schema: raw.schema,
            header: raw.header,
            event,
        })
    }

    /// The delivery as JSON, as Feishu sends it (the verification token included).
    pub fn to_json(&self) -> serde_json::Value {
        let raw = RawEnvelope {
            schema: self.schema.clone(),
            header: self.header.clone(),
            event: self.event.to_json(),
        };
        serde_json::to_value(raw).unwrap_or(serde_json::Value::Null)
    }
}

/// The body of a schema 1.0 delivery (older events, such as the store app's `app_ticket`): no
/// header; the type is `event.type`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventV1Envelope {
    /// Unique per event: the key to deduplicate deliveries on.
    pub uuid: String,
    /// The app's Verification Token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretString>,
    /// When it was sent, in seconds with a fraction (`"1502199207.7171419"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<String>,
    /// `"event_callback"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// The body; `event.type` is the event type.
    pub event: serde_json::Value,
}

impl EventV1Envelope {
    /// The event type: `event.type`.
    pub fn event_type(&self) -> Option<&str> {
        self.event.get("type").and_then(serde_json::Value::as_str)
    }
}
