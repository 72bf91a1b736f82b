//! The long connection's wire protocol, sans I/O: the `pbbp2.Frame` protobuf, its headers, pings
//! and pongs, fragment reassembly (bounded), acknowledgements, the endpoint answer and the
//! handshake refusal. Both the client and the emulator's server speak it through this module.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use prost::Message as _;
use serde::{Deserialize, Serialize};

/// `Frame.method` of control frames (ping, pong).
pub const METHOD_CONTROL: i32 = 0;
/// `Frame.method` of data frames (events and their acknowledgements).
pub const METHOD_DATA: i32 = 1;

/// Header `type`: `ping`, `pong`, `event` or `card`.
pub const HEADER_TYPE: &str = "type";
/// Header `message_id`: shared by every fragment of one message.
pub const HEADER_MESSAGE_ID: &str = "message_id";
/// Header `sum`: how many fragments the message has.
pub const HEADER_SUM: &str = "sum";
/// Header `seq`: this fragment's index, from 0.
pub const HEADER_SEQ: &str = "seq";
/// Header `trace_id`.
pub const HEADER_TRACE_ID: &str = "trace_id";
/// Header `biz_rt`: the client's processing time in milliseconds, added to the acknowledgement.
pub const HEADER_BIZ_RT: &str = "biz_rt";

/// The endpoint path, posted with `{"AppID":…,"AppSecret":…}` on the open-platform host.
pub const ENDPOINT_PATH: &str = "/callback/ws/endpoint";
/// Endpoint code: system busy (retry).
pub const CODE_SYSTEM_BUSY: i64 = 1;
/// Endpoint code: internal error (retry).
pub const CODE_INTERNAL_ERROR: i64 = 1_000_040_343;
/// Handshake `Handshake-Autherrcode` when the app already has its 50 connections (fatal).
pub const CODE_EXCEED_CONN_LIMIT: i64 = 1_000_040_350;
/// `Handshake-Status` of an authentication refusal.
pub const HANDSHAKE_AUTH_FAILED: u16 = 514;
/// `Handshake-Status` of a banned or forbidden app (fatal).
pub const HANDSHAKE_FORBIDDEN: u16 = 403;
/// Handshake refusal header: the status.
pub const HANDSHAKE_STATUS: &str = "handshake-status";
/// Handshake refusal header: the message.
pub const HANDSHAKE_MSG: &str = "handshake-msg";
/// Handshake refusal header: the authentication error code.
pub const HANDSHAKE_AUTH_ERRCODE: &str = "handshake-autherrcode";

/// `pbbp2.Header`: one string key/value pair.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Header {
    /// Field 1.
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// Field 2.
    #[prost(string, required, tag = "2")]
    pub value: String,
}

/// `pbbp2.Frame` (proto2): one whole binary WebSocket message.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Frame {
    /// Field 1, `SeqID`: echoed in acknowledgements; 0 in pings.
    #[prost(uint64, required, tag = "1")]
    pub seq_id: u64,
    /// Field 2, `LogID`: echoed; 0 in pings.
    #[prost(uint64, required, tag = "2")]
    pub log_id: u64,
    /// Field 3: the `service_id` of the connection URL.
    #[prost(int32, required, tag = "3")]
    pub service: i32,
    /// Field 4: [`METHOD_CONTROL`] or [`METHOD_DATA`].
    #[prost(int32, required, tag = "4")]
    pub method: i32,
    /// Field 5: string headers, in order.
    #[prost(message, repeated, tag = "5")]
    pub headers: Vec<Header>,
    /// Field 6 (unused).
    #[prost(string, optional, tag = "6")]
    pub payload_encoding: Option<String>,
    /// Field 7 (unused).
    #[prost(string, optional, tag = "7")]
    pub payload_type: Option<String>,
    /// Field 8: JSON bytes (an event or its fragment, a pong's config, an acknowledgement).
    #[prost(bytes = "vec", optional, tag = "8")]
    pub payload: Option<Vec<u8>>,
    /// Field 9 (unused).
    #[prost(string, optional, tag = "9")]
    pub log_id_new: Option<String>,
}

/// A binary message that is not a `pbbp2.Frame`, or a fragment out of bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Not protobuf, or a required field is missing.
    #[error("not a pbbp2.Frame: {0}")]
    Undecodable(String),
    /// A fragment header is missing, not a number, or out of its bounds.
    #[error("fragment header `{field}`: {reason}")]
    BadFragment {
        /// The header.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl Frame {
    /// Decodes one binary WebSocket message.
    pub fn decode_bytes(bytes: &[u8]) -> Result<Self, FrameError> {
        Self::decode(bytes).map_err(|e| FrameError::Undecodable(e.to_string()))
    }

    /// Encodes for one binary WebSocket message (optional fields only when set).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode_to_vec()
    }

    /// The client's ping: control, sequence and log ids 0, header `type=ping`, no payload.
    pub fn ping(service: i32) -> Self {
        Self::control(service, "ping", None)
    }

    /// The server's pong, carrying `config` (which replaces the client's) when given.
    pub fn pong(service: i32, config: Option<&ClientConfig>) -> Self {
        let payload = config.map(|c| serde_json::to_vec(c).unwrap_or_default());
        Self::control(service, "pong", payload)
    }

    fn control(service: i32, kind: &str, payload: Option<Vec<u8>>) -> Self {
        Self {
            service,
            method: METHOD_CONTROL,
            headers: vec![header(HEADER_TYPE, kind)],
            payload,
            ..Self::default()
        }
    }

    /// The value of header `key`, if present.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.key == key)
            .map(|h| h.value.as_str())
    }

    /// Header `type`, or `""`.
    pub fn kind(&self) -> &str {
        self.header(HEADER_TYPE).unwrap_or("")
    }

    /// The acknowledgement of this (data) frame: the same ids, service, method and headers, plus
    /// `biz_rt`, with the payload replaced by `{"code":<code>}`.
    pub fn ack(&self, code: u16, biz_rt: Duration) -> Self {
        let mut ack = self.clone();
        ack.headers
            .push(header(HEADER_BIZ_RT, &biz_rt.as_millis().to_string()));
        ack.payload = Some(format!("{{\"code\":{code}}}").into_bytes());
        ack
    }

    /// The `code` of an acknowledgement's payload, if it has one.
    pub fn ack_code(&self) -> Option<i64> {
        #[derive(Deserialize)]
        struct Ack {
            code: i64,
        }
        serde_json::from_slice::<Ack>(self.payload.as_deref()?)
            .ok()
            .map(|a| a.code)
    }

    /// A message as the server sends it: `payload` in data frames of at most `max_fragment`
    /// bytes each (at least one), sharing `message_id`, numbered by `sum`/`seq`.
    pub fn event_fragments(
        service: i32,
        seq_id: u64,
        message_id: &str,
        trace_id: &str,
        payload: &[u8],
        max_fragment: usize,
    ) -> Vec<Self> {
        let chunks: Vec<&[u8]> = if payload.is_empty() {
            vec![payload]
        } else {
            payload.chunks(max_fragment.max(1)).collect()
        };
        let sum = chunks.len().to_string();
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| Self {
                seq_id,
                log_id: seq_id,
                service,
                method: METHOD_DATA,
                headers: vec![
                    header(HEADER_TYPE, "event"),
                    header(HEADER_MESSAGE_ID, message_id),
                    header(HEADER_SUM, &sum),
                    header(HEADER_SEQ, &i.to_string()),
                    header(HEADER_TRACE_ID, trace_id),
                ],
                payload: Some(chunk.to_vec()),
                ..Self::default()
            })
            .collect()
    }
}

fn header(key: &str, value: &str) -> Header {
    Header {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

/// What the server tells the client to do (all in seconds), from the endpoint answer or a pong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ClientConfig {
    /// Reconnect attempts after a drop; negative means forever.
    pub reconnect_count: i64,
    /// Pause between attempts.
    pub reconnect_interval: u64,
    /// Jitter before the first attempt, drawn from `[0, nonce)`.
    pub reconnect_nonce: u64,
    /// How often the client pings.
    pub ping_interval: u64,
}

impl Default for ClientConfig {
    /// The SDKs' defaults: reconnect forever, every 120 s after up to 30 s, ping every 120 s.
    fn default() -> Self {
        Self {
            reconnect_count: -1,
            reconnect_interval: 120,
            reconnect_nonce: 30,
            ping_interval: 120,
        }
    }
}

/// The body of `POST /callback/ws/endpoint`'s answer.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EndpointResponse {
    /// 0 on success.
    pub code: i64,
    /// Why not.
    pub msg: String,
    /// The connection URL and config.
    pub data: Option<EndpointData>,
}

/// `data` of the endpoint answer. Its URL carries a ticket: it is a secret, and `Debug` hides it.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EndpointData {
    /// The `wss://` URL to dial (credentials in its query).
    #[serde(rename = "URL")]
    pub url: String,
    /// The client config.
    pub client_config: Option<ClientConfig>,
}

impl std::fmt::Debug for EndpointData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointData")
            .field("url", &"[redacted]")
            .field("client_config", &self.client_config)
            .finish()
    }
}

/// The integer query parameter `name` of a connection URL (`service_id`, `device_id`), if any.
pub fn url_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Bounds of [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyLimits {
    /// Most fragments one message may have.
    pub max_fragments: usize,
    /// Most bytes one message may have, all fragments together.
    pub max_message_bytes: usize,
    /// Most messages partly received at once; the oldest is dropped past it.
    pub max_pending: usize,
    /// A partial message not completed within this after its last fragment is dropped.
    pub expiry: Duration,
}

impl Default for ReassemblyLimits {
    /// 1,024 fragments, 16 MiB per message, 256 pending messages, 5 s (as the SDKs).
    fn default() -> Self {
        Self {
            max_fragments: 1024,
            max_message_bytes: 16 << 20,
            max_pending: 256,
            expiry: Duration::from_secs(5),
        }
    }
}

/// Puts fragmented messages back together, within [`ReassemblyLimits`].
#[derive(Debug, Default)]
pub struct Reassembler {
    limits: ReassemblyLimits,
    pending: HashMap<String, Partial>,
}

#[derive(Debug)]
struct Partial {
    slots: Vec<Option<Vec<u8>>>,
    bytes: usize,
    touched: Instant,
}

impl Reassembler {
    /// A reassembler with `limits`.
    pub fn new(limits: ReassemblyLimits) -> Self {
        Self {
            limits,
            pending: HashMap::new(),
        }
    }

    /// How many messages are partly received.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Takes a data frame: the whole payload when this frame completes its message (a frame with
    /// `sum` 1 at once), `None` while fragments are missing.
    pub fn push(&mut self, frame: &Frame, now: Instant) -> Result<Option<Vec<u8>>, FrameError> {
        let expiry = self.limits.expiry;
        self.pending
            .retain(|_, p| now.duration_since(p.touched) < expiry);
        let sum = number(frame, HEADER_SUM)?;
        let payload = frame.payload.clone().unwrap_or_default();
        if sum <= 1 {
            return self.bounded(payload).map(Some);
        }
        let seq = number(frame, HEADER_SEQ)?;
        if sum > self.limits.max_fragments {
            return Err(bad(
                HEADER_SUM,
                format!("{sum} fragments, more than {}", self.limits.max_fragments),
            ));
        }
        if seq >= sum {
            return Err(bad(HEADER_SEQ, format!("{seq} is not below sum {sum}")));
        }
        let id = frame.header(HEADER_MESSAGE_ID).unwrap_or("").to_owned();
        if !self.pending.contains_key(&id)
            && self.pending.len() >= self.limits.max_pending
            && let Some(oldest) = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.touched)
                .map(|(k, _)| k.clone())
        {
            self.pending.remove(&oldest);
        }
        let partial = self.pending.entry(id.clone()).or_insert_with(|| Partial {
            slots: vec![None; sum],
            bytes: 0,
            touched: now,
        });
        if partial.slots.len() != sum {
            self.pending.remove(&id);
            return Err(bad(
                HEADER_SUM,
                "differs between fragments of one message".to_owned(),
            ));
        }
        partial.touched = now;
        let old = partial.slots[seq].as_ref().map_or(0, Vec::len);
        partial.bytes = partial.bytes - old + payload.len();
        partial.slots[seq] = Some(payload);
        if partial.bytes > self.limits.max_message_bytes {
            self.pending.remove(&id);
            return Err(bad(
                HEADER_SUM,
                format!("message over {} bytes", self.limits.max_message_bytes),
            ));
        }
        if partial.slots.iter().any(Option::is_none) {
            return Ok(None);
        }
        let partial = self.pending.remove(&id).expect("present");
        let mut whole = Vec::with_capacity(partial.bytes);
        for slot in partial.slots.into_iter().flatten() {
            whole.extend_from_slice(&slot);
        }
        Ok(Some(whole))
    }

    fn bounded(&self, payload: Vec<u8>) -> Result<Vec<u8>, FrameError> {
        if payload.len() > self.limits.max_message_bytes {
            return Err(bad(
                HEADER_SUM,
                format!("message over {} bytes", self.limits.max_message_bytes),
            ));
        }
        Ok(payload)
    }
}

fn bad(field: &'static str, reason: String) -> FrameError {
    FrameError::BadFragment { field, reason }
}

/// Header `name` as a number; a missing `sum` reads as 1 and a missing `seq` as 0.
fn number(frame: &Frame, name: &'static str) -> Result<usize, FrameError> {
    match frame.header(name) {
        None => Ok(usize::from(name == HEADER_SUM)),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| bad(name, format!("`{v}` is not a number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const PING: &str = "0800100018f681801020002a0c0a0474797065120470696e67";
    const ACK: &str = "0800100018f681801020012a0d0a047479706512056576656e742a100a0a6d6573736167655f696412026d312a080a0373756d1201312a080a037365711201302a0e0a0874726163655f6964120274312a0b0a0662697a5f7274120135420c7b22636f6465223a3230307d";

    #[test]
    fn ping_encodes_to_the_reference_bytes_and_back() {
        let ping = Frame::ping(33_554_678);
        assert_eq!(hex(&ping.to_bytes()), PING);
        let decoded = Frame::decode_bytes(&unhex(PING)).unwrap();
        assert_eq!(decoded, ping);
        assert_eq!(decoded.kind(), "ping");
        assert_eq!(decoded.method, METHOD_CONTROL);
    }

    #[test]
    fn go_style_ping_with_empty_optionals_decodes_too() {
        let go = unhex(&format!("{PING}32003a004a00"));
        let decoded = Frame::decode_bytes(&go).unwrap();
        assert_eq!(decoded.kind(), "ping");
        assert_eq!(decoded.service, 33_554_678);
        assert_eq!(decoded.payload_encoding.as_deref(), Some(""));
    }

    #[test]
    fn ack_encodes_to_the_reference_bytes_and_back() {
        let received = Frame {
            service: 33_554_678,
            method: METHOD_DATA,
            headers: vec![
                header("type", "event"),
                header("message_id", "m1"),
                header("sum", "1"),
                header("seq", "0"),
                header("trace_id", "t1"),
            ],
            payload: Some(br#"{"schema":"2.0"}"#.to_vec()),
            ..Frame::default()
        };
        let ack = received.ack(200, Duration::from_millis(5));
        assert_eq!(hex(&ack.to_bytes()), ACK);
        let decoded = Frame::decode_bytes(&unhex(ACK)).unwrap();
        assert_eq!(decoded.ack_code(), Some(200));
        assert_eq!(decoded.header(HEADER_BIZ_RT), Some("5"));
        assert_eq!(decoded.header(HEADER_MESSAGE_ID), Some("m1"));
    }

    #[test]
    fn garbage_is_a_typed_error() {
        assert!(matches!(
            Frame::decode_bytes(b"\xff\xff\xff"),
            Err(FrameError::Undecodable(_))
        ));
    }

    #[test]
    fn fragments_in_any_order_reassemble_once() {
        let payload: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let mut frames = Frame::event_fragments(1, 7, "m", "t", &payload, 300);
        assert_eq!(frames.len(), 4);
        frames.reverse();
        let mut r = Reassembler::default();
        let now = Instant::now();
        for f in &frames[..3] {
            assert_eq!(r.push(f, now).unwrap(), None);
        }
        assert_eq!(r.push(&frames[3], now).unwrap(), Some(payload));
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn partial_messages_expire_and_bounds_hold() {
        let frames = Frame::event_fragments(1, 7, "m", "t", &[1; 10], 4);
        let mut r = Reassembler::default();
        let start = Instant::now();
        r.push(&frames[0], start).unwrap();
        assert_eq!(r.pending(), 1);
        r.push(&frames[1], start + Duration::from_secs(6)).unwrap();
        // The first fragment expired, so the set cannot complete.
        assert_eq!(
            r.push(&frames[2], start + Duration::from_secs(6)).unwrap(),
            None
        );

        let mut small = Reassembler::new(ReassemblyLimits {
            max_message_bytes: 5,
            ..ReassemblyLimits::default()
        });
        assert!(small.push(&frames[0], start).unwrap().is_none());
        assert!(matches!(
            small.push(&frames[1], start),
            Err(FrameError::BadFragment { field: "sum", .. })
        ));
        let mut out_of_range = frames[0].clone();
        out_of_range.headers[3].value = "9".into();
        assert!(matches!(
            Reassembler::default().push(&out_of_range, start),
            Err(FrameError::BadFragment { field: "seq", .. })
        ));
    }

    #[test]
    fn url_params_and_config_json() {
        let url = "ws://h/ws?device_id=d1&service_id=42&ticket=t";
        assert_eq!(url_param(url, "service_id"), Some("42"));
        assert_eq!(url_param(url, "missing"), None);
        let c: ClientConfig =
            serde_json::from_str(r#"{"PingInterval":90,"ReconnectNonce":25}"#).unwrap();
        assert_eq!(c.ping_interval, 90);
        assert_eq!(c.reconnect_count, -1);
        let data = EndpointData {
            url: url.into(),
            client_config: None,
        };
        assert!(!format!("{data:?}").contains("ticket"));
    }
}
