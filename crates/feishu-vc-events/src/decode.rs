//! The sans-I/O core: request headers and raw body bytes in, a typed [`Incoming`] or a
//! [`DecodeError`] out. The current time is passed in; nothing here touches a socket or a clock.

use std::time::{Duration, SystemTime};

use feishu_vc_model::SecretString;
use feishu_vc_model::events::{Event, EventHeader};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::crypto::{EncryptKey, secrets_equal};
use crate::error::{DecodeError, Undecryptable};

/// `X-Lark-Request-Timestamp`.
pub const TIMESTAMP_HEADER: &str = "x-lark-request-timestamp";
/// `X-Lark-Request-Nonce`.
pub const NONCE_HEADER: &str = "x-lark-request-nonce";
/// `X-Lark-Signature`.
pub const SIGNATURE_HEADER: &str = "x-lark-signature";

/// Where the decoder reads request headers from, by lowercase name. Implemented for
/// [`http::HeaderMap`] (axum, hyper, actix's `http` types...) and for a slice of name/value pairs.
pub trait Headers {
    /// The value of the header `name` (given in lowercase), if present and valid UTF-8.
    fn get_header(&self, name: &str) -> Option<&str>;
}

impl Headers for http::HeaderMap {
    fn get_header(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Headers for [(&str, &str)] {
    fn get_header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Which envelope a delivery came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Schema {
    /// Schema 2.0: `header` + `event` (every `vc.*` event).
    V2,
    /// Schema 1.0: `uuid`, `token`, `ts`, `type` and `event` with its own `type`.
    V1,
}

/// One event as delivered: its envelope header, the typed event, and the reservation it belongs
/// to once a [`ReservationLookup`](crate::ReservationLookup) has been asked.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Delivery {
    /// The envelope it came in.
    pub schema: Schema,
    /// The header. For schema 1.0: `event_id` is the `uuid`, `event_type` the `event.type`,
    /// `app_id`/`tenant_key` from the event; `create_time` is left empty (1.0 sends seconds in
    /// `ts`).
    pub header: EventHeader,
    /// The event, typed by its type; an unknown type is [`Event::Other`].
    pub event: Event,
    /// The reservation that booked the meeting, when a lookup found exactly that one.
    pub reserve_id: Option<feishu_vc_model::ReserveId>,
}

impl Delivery {
    /// The deduplication key: `header.event_id` (schema 2.0) or `uuid` (schema 1.0).
    pub fn event_id(&self) -> &str {
        &self.header.event_id
    }
}

/// What a request turned out to be.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Incoming {
    /// The URL-verification challenge: answer [`challenge_response`] with this value.
    Challenge(String),
    /// An event.
    Event(Box<Delivery>),
}

/// The body to answer a challenge with, `{"challenge":"…"}`, plain JSON even when the request was
/// encrypted.
pub fn challenge_response(challenge: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "challenge": challenge })).unwrap_or_default()
}

/// Checks and reads deliveries. Built once from the app's Encrypt Key and Verification Token;
/// cheap to share (`Arc`) between requests.
///
/// - With an Encrypt Key, every event must carry a valid `X-Lark-Signature` over the raw body
///   (challenges are let through without one, as Feishu's SDKs do, and still need the token).
/// - With a Verification Token, every request's token is compared in constant time.
/// - The timestamp's unit is undocumented, so the staleness check is **off** by default: the
///   signature already binds the timestamp, and rejecting good deliveries on a guessed unit would
///   lose events. [`Decoder::max_clock_skew`] turns it on.
#[derive(Clone, Default)]
pub struct Decoder {
    encrypt_key: Option<EncryptKey>,
    verification_token: Option<SecretString>,
    max_skew: Option<Duration>,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("encrypt_key", &self.encrypt_key)
            .field("verification_token", &self.verification_token)
            .field("max_skew", &self.max_skew)
            .finish()
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    encrypt: Option<String>,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    header: Option<EventHeader>,
    #[serde(default, borrow)]
    event: Option<&'a RawValue>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    challenge: Option<String>,
    #[serde(default)]
    token: Option<SecretString>,
    #[serde(default)]
    uuid: Option<String>,
}

/// The fields of a schema 1.0 `event` object the header is built from.
#[derive(Deserialize)]
struct V1Event {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    tenant_key: Option<String>,
}

impl Decoder {
    /// A decoder that checks nothing: for apps with neither an Encrypt Key nor a Verification
    /// Token (not recommended outside tests).
    pub fn new() -> Self {
        Self::default()
    }

    /// The app's Encrypt Key: bodies are decrypted and signatures required.
    pub fn encrypt_key(mut self, key: impl Into<SecretString>) -> Self {
        let key = key.into();
        self.encrypt_key = (!key.is_empty()).then(|| EncryptKey::new(key));
        self
    }

    /// The app's Verification Token: checked on every request.
    pub fn verification_token(mut self, token: impl Into<SecretString>) -> Self {
        let token = token.into();
        self.verification_token = (!token.is_empty()).then_some(token);
        self
    }

    /// Refuses signed requests whose `X-Lark-Request-Timestamp` is further than `skew` from now.
    /// The value is read as Unix seconds, or milliseconds when it has more than 11 digits (the
    /// unit is undocumented). Off by default.
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_skew = Some(skew);
        self
    }

    /// The signature Feishu would send for `body` with this decoder's Encrypt Key, or `None`
    /// without one. For tests and emulators.
    pub fn sign(&self, timestamp: &str, nonce: &str, body: &[u8]) -> Option<String> {
        self.encrypt_key
            .as_ref()
            .map(|k| k.sign(timestamp, nonce, body))
    }

    /// Reads one request: its headers, its raw body bytes as received, and the current time.
    pub fn decode(
        &self,
        headers: &(impl Headers + ?Sized),
        body: &[u8],
        now: SystemTime,
    ) -> Result<Incoming, DecodeError> {
        let outer: Envelope<'_> =
            serde_json::from_slice(body).map_err(|_| DecodeError::NotJson("body"))?;
        let signed = match &self.encrypt_key {
            Some(key) => self.check_signature(key, headers, body, now)?,
            None => false,
        };
        let Some(encrypted) = outer.encrypt else {
            return self.read(outer, signed);
        };
        let key = self
            .encrypt_key
            .as_ref()
            .ok_or(DecodeError::EncryptedWithoutKey)?;
        let plaintext = key
            .decrypt(&encrypted)
            .map_err(DecodeError::Undecryptable)?;
        let plaintext = std::str::from_utf8(&plaintext)
            .map_err(|_| DecodeError::Undecryptable(Undecryptable::Utf8))?;
        let inner: Envelope<'_> =
            serde_json::from_str(plaintext).map_err(|_| DecodeError::NotJson("decrypted body"))?;
        self.read(inner, signed)
    }

    /// Checks the signature headers when present; `Ok(false)` when they are all absent (allowed
    /// for challenges only, decided by [`Self::read`]).
    fn check_signature(
        &self,
        key: &EncryptKey,
        headers: &(impl Headers + ?Sized),
        body: &[u8],
        now: SystemTime,
    ) -> Result<bool, DecodeError> {
        let timestamp = headers.get_header(TIMESTAMP_HEADER);
        let nonce = headers.get_header(NONCE_HEADER);
        let signature = headers.get_header(SIGNATURE_HEADER);
        let (timestamp, nonce, signature) = match (timestamp, nonce, signature) {
            (None, None, None) => return Ok(false),
            (Some(t), Some(n), Some(s)) => (t, n, s),
            (None, ..) => return Err(DecodeError::MissingSignature("X-Lark-Request-Timestamp")),
            (_, None, _) => return Err(DecodeError::MissingSignature("X-Lark-Request-Nonce")),
            (.., None) => return Err(DecodeError::MissingSignature("X-Lark-Signature")),
        };
        if !key.signature_matches(timestamp, nonce, body, signature) {
            return Err(DecodeError::BadSignature);
        }
        if let Some(max_skew) = self.max_skew {
            check_skew(timestamp, now, max_skew)?;
        }
        Ok(true)
    }

    fn check_token(&self, token: Option<&SecretString>) -> Result<(), DecodeError> {
        let Some(expected) = &self.verification_token else {
            return Ok(());
        };
        match token {
            Some(t) if secrets_equal(t.expose_secret(), expected.expose_secret()) => Ok(()),
            _ => Err(DecodeError::WrongToken),
        }
    }

    fn read(&self, envelope: Envelope<'_>, signed: bool) -> Result<Incoming, DecodeError> {
        if envelope.kind.as_deref() == Some("url_verification") {
            self.check_token(envelope.token.as_ref())?;
            let challenge = envelope.challenge.ok_or_else(|| missing("challenge"))?;
            return Ok(Incoming::Challenge(challenge));
        }
        if self.encrypt_key.is_some() && !signed {
            return Err(DecodeError::MissingSignature("X-Lark-Signature"));
        }
        let raw_event = envelope.event.ok_or_else(|| missing("event"))?;
        let (schema, header) = match (envelope.schema, envelope.header) {
            (Some(_), Some(header)) => {
                self.check_token(header.token.as_ref())?;
                (Schema::V2, header)
            }
            (Some(_), None) => return Err(missing("header")),
            (None, _) => {
                self.check_token(envelope.token.as_ref())?;
                let v1: V1Event =
                    serde_json::from_str(raw_event.get()).map_err(|e| DecodeError::Malformed {
                        field: "event.type",
                        reason: e.to_string(),
                    })?;
                let mut header = EventHeader::default();
                header.event_id = envelope.uuid.ok_or_else(|| missing("uuid"))?;
                header.event_type = v1.kind;
                header.token = envelope.token;
                header.app_id = v1.app_id;
                header.tenant_key = v1.tenant_key;
                (Schema::V1, header)
            }
        };
        if header.event_id.is_empty() {
            return Err(DecodeError::Malformed {
                field: "header.event_id",
                reason: "empty: deliveries could not be deduplicated".to_owned(),
            });
        }
        let event = Event::from_json(&header.event_type, raw_event.get()).map_err(|e| {
            DecodeError::Malformed {
                field: "event",
                reason: e.to_string(),
            }
        })?;
        Ok(Incoming::Event(Box::new(Delivery {
            schema,
            header,
            event,
            reserve_id: None,
        })))
    }
}

fn missing(field: &'static str) -> DecodeError {
    DecodeError::Malformed {
        field,
        reason: "missing".to_owned(),
    }
}

fn check_skew(timestamp: &str, now: SystemTime, max_skew: Duration) -> Result<(), DecodeError> {
    let stale = || DecodeError::StaleTimestamp { max_skew };
    let value: u64 = timestamp.trim().parse().map_err(|_| stale())?;
    let sent = if timestamp.trim().len() > 11 {
        Duration::from_millis(value)
    } else {
        Duration::from_secs(value)
    };
    let now = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let skew = now.abs_diff(sent);
    if skew > max_skew {
        Err(stale())
    } else {
        Ok(())
    }
}
