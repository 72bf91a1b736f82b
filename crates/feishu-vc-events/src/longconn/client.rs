//! The long-connection client: endpoint, dial, ping, reassemble, dispatch, acknowledge,
//! reconnect. One [`LongConnection::run`] call does it all until shutdown or a fatal refusal.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime};

use feishu_vc_model::SecretString;
use feishu_vc_transport::Brand;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::{self, Message};

use super::frame::{
    self, ClientConfig, EndpointResponse, Frame, METHOD_CONTROL, METHOD_DATA, Reassembler,
    ReassemblyLimits,
};
use crate::decode::Decoder;
use crate::error::ReceiveError;
use crate::receiver::{Accepted, Receiver};
use crate::router::EventHandler;

/// How long the endpoint request may take (as the Node SDK).
const ENDPOINT_TIMEOUT: Duration = Duration::from_secs(15);

/// Why [`LongConnection::run`] stopped for good. None of these carries the app secret or the
/// connection URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LongConnectionError {
    /// A setting is missing or wrong; nothing was sent.
    #[error("long connection: `{field}` {reason}")]
    InvalidConfig {
        /// The setting.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The endpoint refused the app's credentials (or answered another non-retryable code).
    #[error("the long-connection endpoint refused the app (code {code}): {msg}")]
    Rejected {
        /// Feishu's code.
        code: i64,
        /// Feishu's message.
        msg: String,
    },
    /// The app already holds its maximum of long connections (Feishu: 50; code 1000040350).
    #[error(
        "the app already holds its maximum number of long connections (code {}): {msg}",
        frame::CODE_EXCEED_CONN_LIMIT
    )]
    ConnectionLimit {
        /// Feishu's message.
        msg: String,
    },
    /// The app is banned or forbidden (handshake status 403).
    #[error("the long connection is forbidden to this app: {msg}")]
    Forbidden {
        /// Feishu's message.
        msg: String,
    },
    /// The server-given reconnect count ran out.
    #[error("long connection: gave up after {attempts} attempts; last failure: {last}")]
    GaveUp {
        /// Attempts made.
        attempts: u64,
        /// The last failure.
        last: String,
    },
}

/// A long-connection client for one self-built app.
///
/// ```no_run
/// use feishu_vc_events::longconn::LongConnection;
/// use feishu_vc_events::{Delivery, HandlerError};
///
/// # async fn run() -> Result<(), feishu_vc_events::longconn::LongConnectionError> {
/// LongConnection::new("cli_a1b2c3d4e5f60718", "the app secret")
///     .run(
///         |delivery: Delivery| async move {
///             println!("{} for {:?}", delivery.event.event_type(), delivery.reserve_id);
///             Ok::<(), HandlerError>(())
///         },
///         std::future::pending::<()>(), // or a shutdown signal
///     )
///     .await
/// # }
/// ```
pub struct LongConnection {
    app_id: String,
    app_secret: SecretString,
    base_url: String,
    receiver: Receiver,
    limits: ReassemblyLimits,
}

impl std::fmt::Debug for LongConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LongConnection")
            .field("app_id", &self.app_id)
            .field("app_secret", &"[redacted]")
            .field("base_url", &self.base_url)
            .field("receiver", &self.receiver)
            .finish_non_exhaustive()
    }
}

/// How one connection ended.
enum Ended {
    Shutdown,
    Dropped(String),
}

/// Why one attempt to connect failed.
enum Failed {
    Fatal(LongConnectionError),
    Retry(String),
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl LongConnection {
    /// A client for the app `app_id` on Feishu (`open.feishu.cn`), with a receiver that has the
    /// in-memory dedup store and no reservation lookup.
    pub fn new(app_id: impl Into<String>, app_secret: impl Into<SecretString>) -> Self {
        Self {
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            base_url: Brand::Feishu.base_url().to_owned(),
            receiver: Receiver::new(Decoder::new()),
            limits: ReassemblyLimits::default(),
        }
    }

    /// The brand's open-platform host (Feishu or Lark).
    pub fn brand(mut self, brand: Brand) -> Self {
        self.base_url = brand.base_url().to_owned();
        self
    }

    /// Another open-platform base URL, e.g. the emulator's.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The receiver events go through: its dedup store (share one between instances: Feishu sends
    /// each event to one random connected client) and reservation lookup. Payloads come in plain
    /// text, so give it a [`Decoder::new()`] without Encrypt Key or Verification Token.
    pub fn receiver(mut self, receiver: Receiver) -> Self {
        self.receiver = receiver;
        self
    }

    /// Bounds on fragmented messages.
    pub fn reassembly_limits(mut self, limits: ReassemblyLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Connects and hands every event to `handler` (after dedup and the reservation lookup, as
    /// the webhook router does), one at a time and in the order received, acknowledging each.
    /// Reconnects as the server says, with a fresh endpoint each time. Returns `Ok` once
    /// `shutdown` resolves, or the error that made reconnecting pointless.
    pub async fn run<H: EventHandler>(
        &self,
        handler: H,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), LongConnectionError> {
        if self.app_id.trim().is_empty() {
            return Err(LongConnectionError::InvalidConfig {
                field: "app_id",
                reason: "is empty",
            });
        }
        if self.app_secret.expose_secret().is_empty() {
            return Err(LongConnectionError::InvalidConfig {
                field: "app_secret",
                reason: "is empty",
            });
        }
        let mut shutdown = std::pin::pin!(shutdown);
        let mut config = ClientConfig::default();
        let mut reconnecting = false;
        loop {
            let Some((socket, service)) = self
                .establish(&mut config, reconnecting, &mut shutdown)
                .await?
            else {
                return Ok(());
            };
            match self
                .session(socket, service, &mut config, &handler, &mut shutdown)
                .await
            {
                Ended::Shutdown => return Ok(()),
                Ended::Dropped(why) => {
                    tracing::warn!(why, "long connection dropped; reconnecting");
                    reconnecting = true;
                }
            }
        }
    }

    /// Connects, retrying on the server's schedule; `None` on shutdown.
    async fn establish<S: Future<Output = ()>>(
        &self,
        config: &mut ClientConfig,
        reconnecting: bool,
        shutdown: &mut Pin<&mut S>,
    ) -> Result<Option<(Socket, i32)>, LongConnectionError> {
        if reconnecting && config.reconnect_nonce > 0 {
            let jitter = fastrand::u64(..config.reconnect_nonce * 1000);
            if !pause(Duration::from_millis(jitter), shutdown).await {
                return Ok(None);
            }
        }
        let mut attempts = 0u64;
        loop {
            attempts += 1;
            let failure = tokio::select! {
                () = shutdown.as_mut() => return Ok(None),
                connected = self.connect_once(config) => match connected {
                    Ok(connected) => return Ok(Some(connected)),
                    Err(Failed::Fatal(error)) => return Err(error),
                    Err(Failed::Retry(why)) => why,
                },
            };
            tracing::warn!(attempts, why = failure, "long connection attempt failed");
            if let Ok(limit) = u64::try_from(config.reconnect_count)
                && attempts >= limit.max(1)
            {
                return Err(LongConnectionError::GaveUp {
                    attempts,
                    last: failure,
                });
            }
            if !pause(Duration::from_secs(config.reconnect_interval), shutdown).await {
                return Ok(None);
            }
        }
    }

    /// Fetches a fresh endpoint (taking its config) and dials it.
    async fn connect_once(&self, config: &mut ClientConfig) -> Result<(Socket, i32), Failed> {
        let data = self.endpoint().await?;
        if let Some(given) = data.client_config {
            *config = given;
        }
        let service = frame::url_param(&data.url, "service_id")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let device = frame::url_param(&data.url, "device_id")
            .unwrap_or("")
            .to_owned();
        match tokio_tungstenite::connect_async(data.url.as_str()).await {
            Ok((socket, _)) => {
                tracing::info!(device, "long connection established");
                Ok((socket, service))
            }
            Err(tungstenite::Error::Http(response)) => Err(refusal(&response)),
            Err(error) => Err(Failed::Retry(format!("connect: {}", describe(&error)))),
        }
    }

    async fn endpoint(&self) -> Result<frame::EndpointData, Failed> {
        let url = format!("{}{}", self.base_url, frame::ENDPOINT_PATH);
        let body = serde_json::json!({
            "AppID": self.app_id,
            "AppSecret": self.app_secret.expose_secret(),
        });
        // The endpoint client and the WebSocket's TLS both need rustls's provider (ring).
        feishu_vc_transport::install_rustls_provider();
        let client = reqwest::Client::builder()
            .timeout(ENDPOINT_TIMEOUT)
            .build()
            .map_err(|e| Failed::Retry(format!("endpoint client: {}", e.without_url())))?;
        let response = client
            .post(&url)
            .header("locale", "zh")
            .json(&body)
            .send()
            .await
            .map_err(|e| Failed::Retry(format!("endpoint: {}", e.without_url())))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(Failed::Retry(format!("endpoint: HTTP {status}")));
        }
        let answer: EndpointResponse = response
            .json()
            .await
            .map_err(|e| Failed::Retry(format!("endpoint answer: {}", e.without_url())))?;
        match answer.code {
            0 => match answer.data {
                Some(data) if !data.url.is_empty() => Ok(data),
                _ => Err(Failed::Retry("endpoint answer without a URL".to_owned())),
            },
            frame::CODE_SYSTEM_BUSY | frame::CODE_INTERNAL_ERROR => Err(Failed::Retry(format!(
                "endpoint code {}: {}",
                answer.code, answer.msg
            ))),
            code => Err(Failed::Fatal(LongConnectionError::Rejected {
                code,
                msg: answer.msg,
            })),
        }
    }

    /// Serves one connection until it drops or `shutdown` resolves.
    async fn session<H: EventHandler, S: Future<Output = ()>>(
        &self,
        socket: Socket,
        service: i32,
        config: &mut ClientConfig,
        handler: &H,
        shutdown: &mut Pin<&mut S>,
    ) -> Ended {
        let (mut sink, mut stream) = socket.split();
        let mut ping = ping_timer(config.ping_interval);
        let mut reassembler = Reassembler::new(self.limits);
        loop {
            let message = tokio::select! {
                () = shutdown.as_mut() => {
                    let _ = sink.send(Message::Close(None)).await;
                    return Ended::Shutdown;
                }
                _ = ping.tick() => {
                    let bytes = Frame::ping(service).to_bytes();
                    if let Err(e) = sink.send(Message::Binary(bytes.into())).await {
                        return Ended::Dropped(format!("ping: {e}"));
                    }
                    continue;
                }
                message = stream.next() => message,
            };
            let bytes = match message {
                Some(Ok(Message::Binary(bytes))) => bytes,
                Some(Ok(Message::Close(_))) | None => {
                    return Ended::Dropped("closed by the server".to_owned());
                }
                Some(Err(e)) => return Ended::Dropped(e.to_string()),
                Some(Ok(_)) => continue,
            };
            let frame = match Frame::decode_bytes(&bytes) {
                Ok(frame) => frame,
                Err(error) => {
                    tracing::warn!(%error, "long connection: frame ignored");
                    continue;
                }
            };
            match (frame.method, frame.kind()) {
                (METHOD_CONTROL, "pong") => {
                    let given = frame
                        .payload
                        .as_deref()
                        .filter(|p| !p.is_empty())
                        .and_then(|p| serde_json::from_slice::<ClientConfig>(p).ok());
                    if let Some(given) = given {
                        if given.ping_interval != config.ping_interval {
                            ping = ping_timer(given.ping_interval);
                        }
                        *config = given;
                    }
                }
                (METHOD_DATA, "event") => {
                    let payload = match reassembler.push(&frame, Instant::now()) {
                        Ok(Some(payload)) => payload,
                        Ok(None) => continue,
                        Err(error) => {
                            tracing::warn!(%error, "long connection: fragment dropped");
                            continue;
                        }
                    };
                    let started = Instant::now();
                    let code = self.dispatch(&payload, handler).await;
                    let ack = frame.ack(code, started.elapsed()).to_bytes();
                    if let Err(e) = sink.send(Message::Binary(ack.into())).await {
                        return Ended::Dropped(format!("acknowledgement: {e}"));
                    }
                }
                _ => {}
            }
        }
    }

    /// One whole event through the receiver and the handler; the acknowledgement's code.
    async fn dispatch<H: EventHandler>(&self, payload: &[u8], handler: &H) -> u16 {
        let now = SystemTime::now();
        let no_headers: &[(&str, &str)] = &[];
        match self.receiver.accept(no_headers, payload, now).await {
            Ok(Accepted::Event(delivery)) => {
                let mut delivery = *delivery;
                let event_id = delivery.header.event_id.clone();
                if let Err(error) = self.receiver.attribute(&mut delivery, now).await {
                    tracing::warn!(event_id, %error, "reservation lookup failed; handling without it");
                }
                if let Err(error) = handler.handle(delivery).await {
                    tracing::error!(event_id, %error, "event handler failed");
                }
                200
            }
            Ok(Accepted::Duplicate(event_id)) => {
                tracing::debug!(event_id, "duplicate event acknowledged and dropped");
                200
            }
            Ok(Accepted::Challenge(_)) => 200,
            Err(ReceiveError::Decode(error)) => {
                tracing::warn!(%error, "long connection: event refused");
                500
            }
            Err(error) => {
                tracing::error!(%error, "long connection: event not accepted; it will come again");
                500
            }
        }
    }
}

fn ping_timer(seconds: u64) -> tokio::time::Interval {
    let period = Duration::from_secs(seconds.max(1));
    let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    timer
}

/// Sleeps `wait`; `false` if `shutdown` came first.
async fn pause<S: Future<Output = ()>>(wait: Duration, shutdown: &mut Pin<&mut S>) -> bool {
    tokio::select! {
        () = shutdown.as_mut() => false,
        () = tokio::time::sleep(wait) => true,
    }
}

/// A dial error, without the URL (it carries a ticket): tungstenite's URL errors may quote it.
fn describe(error: &tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Url(_) => "the endpoint's URL could not be dialled".to_owned(),
        other => other.to_string(),
    }
}

/// A refused handshake: fatal for the connection limit and 403, else worth retrying.
fn refusal(response: &tungstenite::http::Response<Option<Vec<u8>>>) -> Failed {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let status: i64 = header(frame::HANDSHAKE_STATUS).parse().unwrap_or(0);
    let code: i64 = header(frame::HANDSHAKE_AUTH_ERRCODE).parse().unwrap_or(0);
    let msg = header(frame::HANDSHAKE_MSG);
    if status == i64::from(frame::HANDSHAKE_AUTH_FAILED) && code == frame::CODE_EXCEED_CONN_LIMIT {
        Failed::Fatal(LongConnectionError::ConnectionLimit { msg })
    } else if status == i64::from(frame::HANDSHAKE_FORBIDDEN) {
        Failed::Fatal(LongConnectionError::Forbidden { msg })
    } else {
        Failed::Retry(format!(
            "handshake refused: HTTP {}, status {status}, code {code}: {msg}",
            response.status()
        ))
    }
}
