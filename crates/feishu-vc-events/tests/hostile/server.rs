//! A hostile fake Feishu on loopback: an endpoint that answers what a test says (errors, echoed
//! secrets, garbage without end) and a WebSocket listener that never answers, refuses, or plays a
//! script of frames, well-formed or not. Large answers are streamed from one small buffer, so
//! the server's own memory stays small beside the client's.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use feishu_vc_events::longconn::frame::{ClientConfig, Frame};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};
use tokio_tungstenite::tungstenite::http;

pub(crate) const APP_ID: &str = "cli_a1b2c3d4e5f60718";
/// The app secret the client is given; no output may ever show it.
pub(crate) const APP_SECRET: &str = "hostile-app-s3cr3t-0123456789";
/// The connection URL's credentials; no output may ever show them either.
pub(crate) const TICKET: &str = "hostile-ticket-T1CK3T-abcdef";
pub(crate) const ACCESS_KEY: &str = "hostile-access-key-AK-9876";
/// `service_id` of the connection URL.
pub(crate) const SERVICE: i32 = 7;

/// The chunk large answers and messages are streamed from.
const CHUNK: usize = 64 << 10;

/// What the endpoint answers.
#[derive(Clone)]
pub(crate) enum Endpoint {
    /// Code 0, the WebSocket listener's URL and this `ClientConfig`.
    Url(ClientConfig),
    /// This HTTP status, empty body.
    Status(u16),
    /// 200 with this JSON.
    Json(Value),
    /// 200 with `bytes` of garbage, streamed; with a `Content-Length` if `declared`.
    Garbage { bytes: usize, declared: bool },
    /// The first answer to the first call, the second to the second, the last one thereafter.
    Sequence(Vec<Endpoint>),
}

/// A script for one upgraded connection: its index (from 0) and the socket.
pub(crate) type Script = Arc<
    dyn Fn(usize, WebSocketStream<TcpStream>) -> Pin<Box<dyn Future<Output = ()> + Send>>
        + Send
        + Sync,
>;

/// What the WebSocket listener does with each connection.
#[derive(Clone)]
pub(crate) enum Ws {
    /// Accepts the TCP connection and never answers the upgrade.
    Silent,
    /// Refuses the upgrade: HTTP `status` with these handshake headers.
    Refuse {
        status: u16,
        handshake_status: u16,
        msg: String,
    },
    /// Upgrades, then plays the script.
    Script(Script),
}

impl Ws {
    /// Refusing the upgrade: HTTP `status`, `Handshake-Status` and `Handshake-Msg` as given.
    pub(crate) fn refuse(status: u16, handshake_status: u16, msg: &str) -> Self {
        Self::Refuse {
            status,
            handshake_status,
            msg: msg.to_owned(),
        }
    }
}

/// A script from an async closure.
pub(crate) fn script<F, Fut>(f: F) -> Ws
where
    F: Fn(usize, WebSocketStream<TcpStream>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Ws::Script(Arc::new(move |i, ws| Box::pin(f(i, ws))))
}

/// A running hostile server.
pub(crate) struct Hostile {
    pub(crate) base_url: String,
    calls: Arc<Mutex<Vec<Instant>>>,
    upgrades: Arc<AtomicUsize>,
}

impl Hostile {
    pub(crate) async fn start(endpoint: Endpoint, ws: Ws) -> Self {
        let ws_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ws_url = format!(
            "ws://{}/ws?device_id=dev-1&service_id={SERVICE}&access_key={ACCESS_KEY}&ticket={TICKET}",
            ws_listener.local_addr().unwrap()
        );
        let upgrades = Arc::new(AtomicUsize::new(0));
        tokio::spawn(serve_ws(ws_listener, ws, upgrades.clone()));

        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = calls.clone();
        let app = axum::Router::new().route(
            "/callback/ws/endpoint",
            axum::routing::post(move || {
                let call = {
                    let mut calls = recorded.lock().unwrap();
                    calls.push(Instant::now());
                    calls.len() - 1
                };
                let answer = answer(&endpoint, call, &ws_url);
                async move { answer }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base_url,
            calls,
            upgrades,
        }
    }

    /// When each endpoint call came.
    pub(crate) fn endpoint_calls(&self) -> Vec<Instant> {
        self.calls.lock().unwrap().clone()
    }

    /// How many connections were upgraded.
    pub(crate) fn upgrades(&self) -> usize {
        self.upgrades.load(Ordering::SeqCst)
    }
}

fn answer(endpoint: &Endpoint, call: usize, ws_url: &str) -> Response {
    match endpoint {
        Endpoint::Sequence(answers) => {
            let last = answers.len() - 1;
            answer(&answers[call.min(last)], call, ws_url)
        }
        Endpoint::Url(config) => axum::Json(json!({
            "code": 0,
            "msg": "ok",
            "data": {"URL": ws_url, "ClientConfig": config},
        }))
        .into_response(),
        Endpoint::Status(status) => StatusCode::from_u16(*status).unwrap().into_response(),
        Endpoint::Json(value) => axum::Json(value.clone()).into_response(),
        Endpoint::Garbage { bytes, declared } => {
            let chunk = Bytes::from(vec![b'{'; CHUNK]);
            let chunks = bytes.div_ceil(CHUNK);
            let stream = futures_util::stream::iter(
                (0..chunks).map(move |_| Ok::<_, Infallible>(chunk.clone())),
            );
            let mut response = Body::from_stream(stream).into_response();
            if *declared {
                let length = (chunks * CHUNK).to_string();
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, length.parse().unwrap());
            }
            response
        }
    }
}

async fn serve_ws(listener: TcpListener, ws: Ws, upgrades: Arc<AtomicUsize>) {
    let mut held = Vec::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        match &ws {
            Ws::Silent => held.push(stream),
            Ws::Refuse {
                status,
                handshake_status,
                msg,
            } => {
                let (status, handshake_status, msg) = (*status, *handshake_status, msg.clone());
                tokio::spawn(async move {
                    // The signature is tungstenite's handshake callback's.
                    #[allow(clippy::result_large_err)]
                    let refuse = move |_: &Request, _| -> Result<_, ErrorResponse> {
                        Err(http::Response::builder()
                            .status(status)
                            .header("handshake-status", handshake_status.to_string())
                            .header("handshake-msg", msg)
                            .header("handshake-autherrcode", "0")
                            .body(None)
                            .unwrap())
                    };
                    let _ = tokio_tungstenite::accept_hdr_async(stream, refuse).await;
                });
            }
            Ws::Script(script) => {
                let script = script.clone();
                let upgrades = upgrades.clone();
                tokio::spawn(async move {
                    if let Ok(socket) = tokio_tungstenite::accept_async(stream).await {
                        let index = upgrades.fetch_add(1, Ordering::SeqCst);
                        script(index, socket).await;
                    }
                });
            }
        }
    }
}

/// A config that reconnects at once, forever, and pings rarely.
pub(crate) fn eager() -> ClientConfig {
    ClientConfig {
        reconnect_count: -1,
        reconnect_interval: 0,
        reconnect_nonce: 0,
        ping_interval: 30,
    }
}

/// A small well-formed event (an event type nobody handles specially), as one frame.
pub(crate) fn small_event(id: &str) -> Message {
    let body = json!({
        "schema": "2.0",
        "header": {
            "event_id": id,
            "event_type": "hostile.test_v1",
            "create_time": "1608725989000",
            "app_id": APP_ID,
            "tenant_key": "t",
        },
        "event": {},
    })
    .to_string();
    let frame = Frame::event_fragments(SERVICE, 1, id, "trace", body.as_bytes(), usize::MAX);
    Message::Binary(frame[0].to_bytes().into())
}

/// Reads (and drops) whatever the client sends until it closes.
pub(crate) async fn drain(mut ws: WebSocketStream<TcpStream>) {
    while let Some(Ok(_)) = ws.next().await {}
}

/// Sends `message`, ignoring a client that has gone.
pub(crate) async fn send(ws: &mut WebSocketStream<TcpStream>, message: Message) {
    let _ = ws.send(message).await;
}

/// Writes, below the WebSocket library, one binary message of `prefix` then `filler` bytes of
/// `x`, split into `parts` WebSocket frames (continuations), streamed from one small buffer.
pub(crate) async fn raw_message(
    ws: &mut WebSocketStream<TcpStream>,
    prefix: &[u8],
    filler: usize,
    parts: usize,
) {
    let total = prefix.len() + filler;
    let part = total.div_ceil(parts);
    let chunk = vec![b'x'; CHUNK];
    let stream = ws.get_mut();
    let mut sent = 0;
    for i in 0..parts {
        let len = part.min(total - sent);
        let opcode = if i == 0 { 0x02 } else { 0x00 };
        let fin = if i + 1 == parts { 0x80 } else { 0x00 };
        let mut head = vec![fin | opcode, 127];
        head.extend_from_slice(&(len as u64).to_be_bytes());
        if stream.write_all(&head).await.is_err() {
            return;
        }
        let mut left = len;
        while left > 0 {
            let n = if sent < prefix.len() {
                let n = (prefix.len() - sent).min(left);
                if stream.write_all(&prefix[sent..sent + n]).await.is_err() {
                    return;
                }
                n
            } else {
                let n = CHUNK.min(left);
                if stream.write_all(&chunk[..n]).await.is_err() {
                    return;
                }
                n
            };
            sent += n;
            left -= n;
        }
    }
    let _ = stream.flush().await;
}

/// The protobuf of a data frame whose payload (field 8) of `payload_len` bytes follows it.
pub(crate) fn frame_prefix(payload_len: usize) -> Vec<u8> {
    let head = Frame::event_fragments(SERVICE, 1, "big", "trace", b"", 1)
        .remove(0)
        .to_bytes();
    // Without the empty payload field `event_fragments` wrote (tag 8, length 0: `42 00`).
    let mut prefix = head[..head.len() - 2].to_vec();
    prefix.push(0x42);
    let mut n = payload_len;
    while n >= 0x80 {
        prefix.push((n as u8) | 0x80);
        n >>= 7;
    }
    prefix.push(n as u8);
    prefix
}
