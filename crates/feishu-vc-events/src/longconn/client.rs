//! The long-connection client: endpoint, dial, ping, reassemble, dispatch, acknowledge,
//! reconnect. One [`LongConnection::run`] call does it all until shutdown or a fatal refusal.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use feishu_vc_model::SecretString;
use feishu_vc_transport::Brand;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message;

use super::bounds::{
    DEFAULT_DIAL_TIMEOUT, DEFAULT_ENDPOINT_TIMEOUT, DEFAULT_MAX_ENDPOINT_ANSWER,
    DEFAULT_MIN_ENDPOINT_INTERVAL, MIN_ENDPOINT_INTERVAL_FLOOR, Pacer, Schedule, ping_timer,
};
use super::dial::{Socket, dial};
use super::endpoint::EndpointRequest;
use super::error::{Failed, LongConnectionError};
use super::frame::{
    self, ClientConfig, DEFAULT_PENDING_BUDGET, Frame, METHOD_CONTROL, METHOD_DATA, Reassembler,
    ReassemblyLimits,
};
use super::scrub::Scrubber;
use super::status::{FailureKind, Status};
use crate::decode::Decoder;
use crate::error::ReceiveError;
use crate::receiver::{Accepted, Receiver};
use crate::router::EventHandler;

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
///
/// Whatever the server sends, the client stays bounded: its config is clamped to the bounds of
/// [`longconn`](crate::longconn) (`MIN_PING_INTERVAL` and the others), endpoint calls are spaced
/// by [`min_endpoint_interval`](Self::min_endpoint_interval), the endpoint's answer is capped,
/// the dial has a timeout, WebSocket messages are refused past the reassembly limits, and partial
/// messages share one memory budget. Text from the server is scrubbed of the app secret and the
/// connection URL's credentials before it reaches a log line, a [`Status`] or an error.
pub struct LongConnection {
    app_id: String,
    app_secret: SecretString,
    base_url: String,
    receiver: Receiver,
    limits: ReassemblyLimits,
    pending_budget: usize,
    dial_timeout: Duration,
    endpoint_timeout: Duration,
    max_endpoint_answer: usize,
    min_endpoint_interval: Duration,
    observer: Option<Observer>,
}

/// What [`LongConnection::on_status`] was given.
type Observer = Arc<dyn Fn(&Status) + Send + Sync>;

impl std::fmt::Debug for LongConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LongConnection")
            .field("app_id", &self.app_id)
            .field("app_secret", &"[redacted]")
            .field("base_url", &self.base_url)
            .field("receiver", &self.receiver)
            .field("limits", &self.limits)
            .field("pending_budget", &self.pending_budget)
            .field("dial_timeout", &self.dial_timeout)
            .field("endpoint_timeout", &self.endpoint_timeout)
            .field("max_endpoint_answer", &self.max_endpoint_answer)
            .field("min_endpoint_interval", &self.min_endpoint_interval)
            .field("on_status", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

/// How one connection ended.
enum Ended {
    Shutdown,
    /// Why, scrubbed.
    Dropped(String),
}

/// An open connection and what goes with it.
struct Connection {
    socket: Socket,
    service: i32,
    /// Knows the URL's credentials too.
    scrubber: Scrubber,
}

/// What a decoded frame asks for.
enum Kind {
    Pong,
    Event,
    Other,
}

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
            pending_budget: DEFAULT_PENDING_BUDGET,
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            endpoint_timeout: DEFAULT_ENDPOINT_TIMEOUT,
            max_endpoint_answer: DEFAULT_MAX_ENDPOINT_ANSWER,
            min_endpoint_interval: DEFAULT_MIN_ENDPOINT_INTERVAL,
            observer: None,
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

    /// Bounds on fragmented messages. `max_message_bytes` also bounds every WebSocket message
    /// (plus 64 KiB for a frame's headers): a bigger one is refused before it is buffered whole,
    /// and the connection is dropped.
    pub fn reassembly_limits(mut self, limits: ReassemblyLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The memory budget of all partly received messages together (default
    /// [`DEFAULT_PENDING_BUDGET`], 32 MiB); see [`Reassembler::pending_budget`].
    pub fn max_pending_bytes(mut self, bytes: usize) -> Self {
        self.pending_budget = bytes;
        self
    }

    /// How long TCP, TLS and the WebSocket upgrade may take together (default
    /// [`DEFAULT_DIAL_TIMEOUT`], 10 s); past it the attempt fails and is retried.
    pub fn dial_timeout(mut self, timeout: Duration) -> Self {
        self.dial_timeout = timeout;
        self
    }

    /// How long the endpoint request may take, its answer included (default
    /// [`DEFAULT_ENDPOINT_TIMEOUT`], 15 s).
    pub fn endpoint_timeout(mut self, timeout: Duration) -> Self {
        self.endpoint_timeout = timeout;
        self
    }

    /// The most bytes the endpoint's answer may have (default [`DEFAULT_MAX_ENDPOINT_ANSWER`],
    /// 64 KiB); a bigger answer is not read further and the attempt is retried.
    pub fn max_endpoint_answer_bytes(mut self, bytes: usize) -> Self {
        self.max_endpoint_answer = bytes;
        self
    }

    /// The least time between two endpoint calls, however the server sets `ReconnectInterval`
    /// and `ReconnectNonce` and however connections end (default
    /// [`DEFAULT_MIN_ENDPOINT_INTERVAL`], 1 s: at most 60 calls a minute). It is also the floor
    /// of the pause between attempts. Never below [`MIN_ENDPOINT_INTERVAL_FLOOR`] (10 ms); lower
    /// it only in tests.
    pub fn min_endpoint_interval(mut self, interval: Duration) -> Self {
        self.min_endpoint_interval = interval.max(MIN_ENDPOINT_INTERVAL_FLOOR);
        self
    }

    /// Calls `observer` with every [`Status`] as it happens: each connection opened, and each
    /// failure the client carries on through (endpoint, dial, drop, skipped frame, refused event),
    /// its message scrubbed. Called from the task running [`run`](Self::run): keep it quick. To
    /// show failures to a person, give it a [`StatusThrottle::observer`](super::StatusThrottle::observer).
    pub fn on_status(mut self, observer: impl Fn(&Status) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
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
        // The app secret, then also the latest URL's credentials: an endpoint may echo those.
        let mut scrubber = Scrubber::new(self.app_secret.expose_secret());
        let mut shutdown = std::pin::pin!(shutdown);
        let mut config = ClientConfig::default();
        let mut pacer = Pacer::new(self.min_endpoint_interval);
        let mut wait = Duration::ZERO;
        loop {
            let Some(connection) = self
                .establish(&mut config, &mut pacer, wait, &scrubber, &mut shutdown)
                .await?
            else {
                return Ok(());
            };
            scrubber = connection.scrubber.clone();
            self.report(Status::Connected);
            match self
                .session(
                    connection,
                    &mut config,
                    pacer.floor(),
                    &handler,
                    &mut shutdown,
                )
                .await
            {
                Ended::Shutdown => return Ok(()),
                Ended::Dropped(why) => {
                    let jitter = Schedule::of(&config, pacer.floor()).jitter();
                    wait = jitter.max(pacer.remaining(tokio::time::Instant::now()));
                    tracing::warn!(why, "long connection dropped; reconnecting");
                    self.report(Status::Failed {
                        kind: FailureKind::Dropped,
                        message: why,
                        retry_in: Some(wait),
                    });
                }
            }
        }
    }

    fn report(&self, status: Status) {
        if let Some(observer) = &self.observer {
            observer(&status);
        }
    }

    /// Connects after `wait`, retrying on the server's schedule; `None` on shutdown.
    async fn establish<S: Future<Output = ()>>(
        &self,
        config: &mut ClientConfig,
        pacer: &mut Pacer,
        mut wait: Duration,
        scrubber: &Scrubber,
        shutdown: &mut Pin<&mut S>,
    ) -> Result<Option<Connection>, LongConnectionError> {
        let mut attempts = 0u64;
        loop {
            let wait_for = wait.max(pacer.remaining(tokio::time::Instant::now()));
            if !pause(wait_for, shutdown).await {
                return Ok(None);
            }
            attempts = attempts.saturating_add(1);
            pacer.called(tokio::time::Instant::now());
            let (kind, why) = tokio::select! {
                () = shutdown.as_mut() => return Ok(None),
                connected = self.connect_once(config, scrubber) => match connected {
                    Ok(connection) => return Ok(Some(connection)),
                    Err(Failed::Fatal(error)) => return Err(error),
                    Err(Failed::Retry(kind, why)) => (kind, why),
                },
            };
            let schedule = Schedule::of(config, pacer.floor());
            if schedule.attempts.is_some_and(|limit| attempts >= limit) {
                return Err(LongConnectionError::GaveUp {
                    attempts,
                    last: Status::Failed {
                        kind,
                        message: why,
                        retry_in: None,
                    }
                    .to_string(),
                });
            }
            wait = schedule.reconnect_interval;
            let retry_in = wait.max(pacer.remaining(tokio::time::Instant::now()));
            tracing::warn!(attempts, why, "long connection attempt failed");
            self.report(Status::Failed {
                kind,
                message: why,
                retry_in: Some(retry_in),
            });
        }
    }

    /// Fetches a fresh endpoint (taking its config) and dials it.
    async fn connect_once(
        &self,
        config: &mut ClientConfig,
        scrubber: &Scrubber,
    ) -> Result<Connection, Failed> {
        let request = EndpointRequest {
            base_url: &self.base_url,
            app_id: &self.app_id,
            app_secret: &self.app_secret,
            timeout: self.endpoint_timeout,
            max_answer: self.max_endpoint_answer,
        };
        let data = request.send(scrubber).await?;
        if let Some(given) = data.client_config {
            *config = given;
        }
        let scrubber = scrubber.with_url(&data.url);
        let service = frame::url_param(&data.url, "service_id")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let device = scrubber.clean(frame::url_param(&data.url, "device_id").unwrap_or(""));
        let max_message = self.limits.max_message_bytes;
        let socket = dial(&data.url, max_message, self.dial_timeout, &scrubber).await?;
        tracing::info!(device, "long connection established");
        Ok(Connection {
            socket,
            service,
            scrubber,
        })
    }

    /// Serves one connection until it drops or `shutdown` resolves.
    async fn session<H: EventHandler, S: Future<Output = ()>>(
        &self,
        connection: Connection,
        config: &mut ClientConfig,
        floor: Duration,
        handler: &H,
        shutdown: &mut Pin<&mut S>,
    ) -> Ended {
        let Connection {
            socket,
            service,
            scrubber,
        } = connection;
        let (mut sink, mut stream) = socket.split();
        let mut period = Schedule::of(config, floor).ping_interval;
        let mut ping = ping_timer(period);
        let mut reassembler = Reassembler::new(self.limits).pending_budget(self.pending_budget);
        loop {
            let message = tokio::select! {
                () = shutdown.as_mut() => {
                    let _ = sink.send(Message::Close(None)).await;
                    return Ended::Shutdown;
                }
                _ = ping.tick() => {
                    let bytes = Frame::ping(service).to_bytes();
                    if let Err(e) = sink.send(Message::Binary(bytes.into())).await {
                        return Ended::Dropped(scrubber.clean(&format!("ping: {e}")));
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
                Some(Err(e)) => return Ended::Dropped(scrubber.clean(&e.to_string())),
                Some(Ok(_)) => continue,
            };
            // The message goes as soon as it is decoded: one copy of a payload at a time.
            let decoded = Frame::decode_bytes(&bytes);
            drop(bytes);
            let mut frame = match decoded {
                Ok(frame) => frame,
                Err(error) => {
                    self.skipped(FailureKind::Frame, &scrubber, &error.to_string());
                    continue;
                }
            };
            let kind = match (frame.method, frame.kind()) {
                (METHOD_CONTROL, "pong") => Kind::Pong,
                (METHOD_DATA, "event") => Kind::Event,
                _ => Kind::Other,
            };
            match kind {
                Kind::Pong => {
                    let given = frame
                        .payload
                        .as_deref()
                        .filter(|p| !p.is_empty())
                        .and_then(|p| serde_json::from_slice::<ClientConfig>(p).ok());
                    if let Some(given) = given {
                        *config = given;
                        let given_period = Schedule::of(config, floor).ping_interval;
                        if given_period != period {
                            period = given_period;
                            ping = ping_timer(period);
                        }
                    }
                }
                Kind::Event => {
                    let payload = match reassembler.take_fragment(&mut frame, Instant::now()) {
                        Ok(Some(payload)) => payload,
                        Ok(None) => continue,
                        Err(error) => {
                            self.skipped(FailureKind::Frame, &scrubber, &error.to_string());
                            continue;
                        }
                    };
                    let started = Instant::now();
                    let code = self.dispatch(&payload, handler, &scrubber).await;
                    drop(payload);
                    let ack = frame.ack(code, started.elapsed()).to_bytes();
                    if let Err(e) = sink.send(Message::Binary(ack.into())).await {
                        let why = format!("acknowledgement: {e}");
                        return Ended::Dropped(scrubber.clean(&why));
                    }
                }
                Kind::Other => {}
            }
        }
    }

    /// Logs and reports something skipped that does not end the connection.
    fn skipped(&self, kind: FailureKind, scrubber: &Scrubber, why: &str) {
        let why = scrubber.clean(why);
        tracing::warn!(why, "long connection: skipped");
        self.report(Status::Failed {
            kind,
            message: why,
            retry_in: None,
        });
    }

    /// One whole event through the receiver and the handler; the acknowledgement's code.
    async fn dispatch<H: EventHandler>(
        &self,
        payload: &[u8],
        handler: &H,
        scrubber: &Scrubber,
    ) -> u16 {
        let now = SystemTime::now();
        let no_headers: &[(&str, &str)] = &[];
        match self.receiver.accept(no_headers, payload, now).await {
            Ok(Accepted::Event(delivery)) => {
                let mut delivery = *delivery;
                let event_id = scrubber.clean(&delivery.header.event_id);
                if let Err(error) = self.receiver.attribute(&mut delivery, now).await {
                    let error = scrubber.clean(&error.to_string());
                    tracing::warn!(
                        event_id,
                        error,
                        "reservation lookup failed; handling without it"
                    );
                }
                if let Err(error) = handler.handle(delivery).await {
                    let error = scrubber.clean(&error.to_string());
                    tracing::error!(event_id, error, "event handler failed");
                }
                200
            }
            Ok(Accepted::Duplicate(event_id)) => {
                let event_id = scrubber.clean(&event_id);
                tracing::debug!(event_id, "duplicate event acknowledged and dropped");
                200
            }
            Ok(Accepted::Challenge(_)) => 200,
            Err(error) => {
                let why = scrubber.clean(&error.to_string());
                match error {
                    ReceiveError::Decode(_) => {
                        tracing::warn!(why, "long connection: event refused")
                    }
                    _ => tracing::error!(
                        why,
                        "long connection: event not accepted; it will come again"
                    ),
                }
                self.report(Status::Failed {
                    kind: FailureKind::Event,
                    message: why,
                    retry_in: None,
                });
                500
            }
        }
    }
}

/// Sleeps `wait`; `false` if `shutdown` came first.
async fn pause<S: Future<Output = ()>>(wait: Duration, shutdown: &mut Pin<&mut S>) -> bool {
    if wait.is_zero() {
        return true;
    }
    tokio::select! {
        () = shutdown.as_mut() => false,
        () = tokio::time::sleep(wait) => true,
    }
}
