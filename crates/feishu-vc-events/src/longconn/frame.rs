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
    /// The connection URL and config. A refusal carries none, and is written as Feishu writes
    /// it, `"data": {}`: the official SDKs read `data.URL` before they look at `code`, so a
    /// `null` there crashes them instead of reporting the refusal.
    #[serde(serialize_with = "data_or_empty_object")]
    pub data: Option<EndpointData>,
}

fn data_or_empty_object<S: serde::Serializer>(
    data: &Option<EndpointData>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap as _;
    match data {
        Some(data) => data.serialize(serializer),
        None => serializer.serialize_map(Some(0))?.end(),
    }
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

/// Default of [`Reassembler::pending_budget`]: 32 MiB for every partly received message together.
/// Without it, 256 pending messages of 16 MiB each could hold 4 GiB.
pub const DEFAULT_PENDING_BUDGET: usize = 32 << 20;

/// What one fragment slot costs in the budget besides its bytes (`Option<Vec<u8>>`).
const SLOT_COST: usize = std::mem::size_of::<Option<Vec<u8>>>();

/// Puts fragmented messages back together, within [`ReassemblyLimits`] and one memory budget for
/// all partial messages together ([`Reassembler::pending_budget`]).
#[derive(Debug)]
pub struct Reassembler {
    limits: ReassemblyLimits,
    budget: usize,
    pending: HashMap<String, Partial>,
    /// What `pending` holds, as the budget counts it: fragment bytes, ids and slots.
    pending_bytes: usize,
}

#[derive(Debug)]
struct Partial {
    slots: Vec<Option<Vec<u8>>>,
    bytes: usize,
    touched: Instant,
}

impl Partial {
    /// What this partial message costs in the budget, `id` being its key.
    fn cost(&self, id: &str) -> usize {
        id.len() + self.slots.len() * SLOT_COST + self.bytes
    }
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::new(ReassemblyLimits::default())
    }
}

impl Reassembler {
    /// A reassembler with `limits` and the [`DEFAULT_PENDING_BUDGET`].
    pub fn new(limits: ReassemblyLimits) -> Self {
        Self {
            limits,
            budget: DEFAULT_PENDING_BUDGET,
            pending: HashMap::new(),
            pending_bytes: 0,
        }
    }

    /// The most all partial messages together may hold: their fragments' bytes, their ids and
    /// their fragment slots. Past it the oldest partial messages are dropped; a message that alone
    /// exceeds it is refused. Never below [`ReassemblyLimits::max_message_bytes`], so that a message
    /// of that size can complete (its id and slots aside).
    pub fn pending_budget(mut self, bytes: usize) -> Self {
        self.budget = bytes;
        self
    }

    /// How many messages are partly received.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// What the partial messages hold now, as [`Reassembler::pending_budget`] counts it; never
    /// more than the budget once a call returns.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// Takes a data frame: the whole payload when this frame completes its message (a frame with
    /// `sum` 1 at once), `None` while fragments are missing. The payload is checked against the
    /// bounds before it is copied.
    pub fn push(&mut self, frame: &Frame, now: Instant) -> Result<Option<Vec<u8>>, FrameError> {
        self.bounded(frame.payload.as_ref().map_or(0, Vec::len))?;
        let payload = frame.payload.clone().unwrap_or_default();
        self.accept(frame, payload, now)
    }

    /// [`Reassembler::push`], moving the payload out of `frame` instead of copying it (the
    /// frame's acknowledgement replaces the payload anyway).
    pub fn take_fragment(
        &mut self,
        frame: &mut Frame,
        now: Instant,
    ) -> Result<Option<Vec<u8>>, FrameError> {
        let payload = frame.payload.take().unwrap_or_default();
        self.accept(frame, payload, now)
    }

    fn accept(
        &mut self,
        frame: &Frame,
        payload: Vec<u8>,
        now: Instant,
    ) -> Result<Option<Vec<u8>>, FrameError> {
        self.expire(now);
        let sum = number(frame, HEADER_SUM)?;
        self.bounded(payload.len())?;
        if sum <= 1 {
            return Ok(Some(payload));
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
        let id = frame.header(HEADER_MESSAGE_ID).unwrap_or("");
        match self.pending.get(id) {
            Some(partial) if partial.slots.len() != sum => {
                self.remove(id);
                return Err(bad(
                    HEADER_SUM,
                    "differs between fragments of one message".to_owned(),
                ));
            }
            Some(_) => {}
            None => {
                if self.pending.len() >= self.limits.max_pending {
                    self.drop_oldest_but(id);
                }
                let partial = Partial {
                    slots: vec![None; sum],
                    bytes: 0,
                    touched: now,
                };
                self.pending_bytes += partial.cost(id);
                self.pending.insert(id.to_owned(), partial);
            }
        }
        let Some(partial) = self.pending.get_mut(id) else {
            return Ok(None);
        };
        partial.touched = now;
        let old = partial.slots[seq].as_ref().map_or(0, Vec::len);
        partial.bytes = partial.bytes - old + payload.len();
        self.pending_bytes = self.pending_bytes - old + payload.len();
        partial.slots[seq] = Some(payload);
        let (bytes, cost) = (partial.bytes, partial.cost(id));
        if bytes > self.limits.max_message_bytes {
            self.remove(id);
            return Err(self.over_limit());
        }
        let budget = self.budget.max(self.limits.max_message_bytes);
        if cost > budget {
            self.remove(id);
            return Err(bad(
                HEADER_SUM,
                format!("message over the {budget}-byte budget of partial messages"),
            ));
        }
        while self.pending_bytes > budget && self.drop_oldest_but(id) {}
        if self.pending[id].slots.iter().any(Option::is_none) {
            return Ok(None);
        }
        let Some(partial) = self.remove(id) else {
            return Ok(None);
        };
        let mut whole = Vec::with_capacity(partial.bytes);
        for slot in partial.slots.into_iter().flatten() {
            whole.extend_from_slice(&slot);
        }
        Ok(Some(whole))
    }

    /// Drops the partial messages whose last fragment is older than the expiry.
    fn expire(&mut self, now: Instant) {
        let expiry = self.limits.expiry;
        let mut freed = 0;
        self.pending.retain(|id, p| {
            let keep = now.duration_since(p.touched) < expiry;
            if !keep {
                freed += p.cost(id);
            }
            keep
        });
        self.pending_bytes -= freed;
    }

    /// Drops the least recently touched partial message other than `keep`; `false` if there was
    /// none.
    fn drop_oldest_but(&mut self, keep: &str) -> bool {
        let oldest = self
            .pending
            .iter()
            .filter(|(id, _)| id.as_str() != keep)
            .min_by_key(|(_, p)| p.touched)
            .map(|(id, _)| id.clone());
        oldest.is_some_and(|oldest| self.remove(&oldest).is_some())
    }

    fn remove(&mut self, id: &str) -> Option<Partial> {
        let partial = self.pending.remove(id)?;
        self.pending_bytes -= partial.cost(id);
        Some(partial)
    }

    fn bounded(&self, bytes: usize) -> Result<(), FrameError> {
        if bytes > self.limits.max_message_bytes {
            return Err(self.over_limit());
        }
        Ok(())
    }

    fn over_limit(&self) -> FrameError {
        bad(
            HEADER_SUM,
            format!("message over {} bytes", self.limits.max_message_bytes),
        )
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
mod tests;
