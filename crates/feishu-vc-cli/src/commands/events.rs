//! `feishu-vc events listen`: receive meeting events and print one JSON line per event.
//!
//! Every mode hands each accepted event (decoded, deduplicated, attributed, acknowledged) to one
//! printer over a channel. The modes differ only in where deliveries come from ([`Mode`]):
//! Feishu's long connection, which the command dials out (the default: no public URL needed);
//! Feishu over the app's request URL, served with the events crate's ready router
//! (`--webhook`); or an in-memory emulator that a scripted demo drives (`--emulator`), over
//! either of the two.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use feishu_vc::Brand;
use feishu_vc::model::events::Event;
use feishu_vc::model::{ApplyReserveRequest, ReserveMeetingSetting, SecretString};
use feishu_vc_emulator::{DEMO_USER_BOB, Emulator, LeaveReason, MeetingSpec, ParticipantSpec};
use feishu_vc_events::longconn::{LongConnection, LongConnectionError, StatusThrottle};
use feishu_vc_events::{
    Decoder, Delivery, EventHandler, HandlerError, InMemoryReservations, Receiver, Schema,
};
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::args::{BrandArg, ListenArgs};
use crate::in_process::{DEMO_APP_ID, DEMO_APP_SECRET, DEMO_OWNER};
use crate::outcome::Failure;
use crate::output::{Effect, emit};
use crate::term::interrupted;
use crate::term::note;

/// How long the demo waits for its meeting to end before it fails.
const DEMO_TIMEOUT: Duration = Duration::from_secs(30);

/// The keys the demo's emulator and receiver share over webhooks when none is given: the demo
/// shows encrypted, signed deliveries with a verification token.
const DEMO_ENCRYPT_KEY: &str = "feishu-vc-demo-encrypt-key";
const DEMO_VERIFICATION_TOKEN: &str = "feishu-vc-demo-verification-token";

/// Where deliveries come from.
enum Mode<'a> {
    /// Feishu's long connection, opened with the app's credentials.
    LongConnection {
        app_id: &'a str,
        app_secret: &'a SecretString,
    },
    /// Feishu POSTs to the app's request URL, served on this address.
    Webhook(&'a str),
    /// An in-memory emulator, driven by the demo; its events come over this.
    EmulatorDemo(Via<'a>),
}

/// How the demo's emulator delivers its events.
enum Via<'a> {
    LongConnection,
    Webhook(&'a str),
}

impl<'a> Mode<'a> {
    fn of(args: &'a ListenArgs) -> Result<Self, Failure> {
        match (&args.webhook, args.emulator) {
            (Some(addr), false) => Ok(Self::Webhook(addr)),
            (Some(addr), true) => Ok(Self::EmulatorDemo(Via::Webhook(addr))),
            (None, true) => Ok(Self::EmulatorDemo(Via::LongConnection)),
            (None, false) => match (&args.app_id, &args.app_secret) {
                (Some(app_id), Some(app_secret)) => Ok(Self::LongConnection { app_id, app_secret }),
                _ => Err(Failure::usage(
                    "the long connection needs the app's credentials: give --app-id and --app-secret (or FEISHU_APP_ID and FEISHU_APP_SECRET); or --webhook ADDR to serve the app's request URL, or --emulator for a local demo",
                )),
            },
        }
    }
}

/// `feishu-vc events listen`.
pub(crate) async fn run(args: &ListenArgs) -> Result<(), Failure> {
    match Mode::of(args)? {
        Mode::LongConnection { app_id, app_secret } => {
            long_connection(args, app_id, app_secret).await
        }
        Mode::Webhook(addr) => webhook(args, addr).await,
        Mode::EmulatorDemo(via) => demo(args, via).await,
    }
}

fn decoder(encrypt_key: Option<&SecretString>, token: Option<&SecretString>) -> Decoder {
    let mut decoder = Decoder::new();
    if let Some(key) = encrypt_key {
        decoder = decoder.encrypt_key(key.clone());
    }
    if let Some(token) = token {
        decoder = decoder.verification_token(token.clone());
    }
    decoder
}

/// Serves `receiver` on `listener`; accepted events arrive on the returned channel, in the order
/// they were acknowledged (the command runs on one thread, so handler tasks run in that order).
fn serve(listener: TcpListener, receiver: Receiver) -> mpsc::UnboundedReceiver<Delivery> {
    let (handler, events_rx) = to_printer();
    let app = feishu_vc_events::router(receiver, handler)
        .layer(axum::middleware::from_fn(report_refused));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            note(&format!("feishu-vc: the event receiver stopped: {e}"));
        }
    });
    events_rx
}

/// A handler that passes each event on to the printer, and the printer's end of the channel.
fn to_printer() -> (impl EventHandler, mpsc::UnboundedReceiver<Delivery>) {
    let (events, events_rx) = mpsc::unbounded_channel();
    let handler = move |delivery: Delivery| {
        let sent = events.send(delivery);
        async move { sent.map_err(|_| HandlerError::from("the printer has stopped")) }
    };
    (handler, events_rx)
}

/// A long connection running in the background until its stop is sent, its events on a channel
/// in the order they were received.
struct Connected {
    events: mpsc::UnboundedReceiver<Delivery>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), LongConnectionError>>,
}

impl Connected {
    fn start(connection: LongConnection) -> Self {
        let (handler, events) = to_printer();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            connection
                .run(handler, async {
                    let _ = stopped.await;
                })
                .await
        });
        Self { events, stop, task }
    }

    /// Stops the connection (if it still runs) and says how it ended.
    async fn finish(self) -> Result<(), Failure> {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(refused(e)),
            Err(e) => Err(Failure::network(format!(
                "the long connection stopped: {e}"
            ))),
        }
    }
}

/// The exit code of a long connection that stopped for good: 5 for the app's credentials, 3 for
/// the connection-limit refusal, 4 when reconnecting gave up.
fn refused(e: LongConnectionError) -> Failure {
    let text = e.to_string();
    match e {
        LongConnectionError::InvalidConfig { .. } => Failure::usage(text),
        LongConnectionError::Rejected { .. } | LongConnectionError::Forbidden { .. } => {
            Failure::credentials(format!("{text} (check --app-id and --app-secret)"))
        }
        LongConnectionError::ConnectionLimit { .. } => Failure::api(format!(
            "{text} (close another of the app's long connections)"
        )),
        _ => Failure::network(text),
    }
}

/// Reports on stderr each request the router did not answer 200 (its answer says why, and never
/// holds a secret); the answer itself goes out unchanged.
async fn report_refused(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let why = String::from_utf8_lossy(&bytes);
    let why = why.trim();
    let status = parts.status.as_u16();
    if why.is_empty() {
        note(&format!("feishu-vc: refused a delivery (HTTP {status})"));
    } else {
        note(&format!(
            "feishu-vc: refused a delivery (HTTP {status}): {why}"
        ));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// One printed event, its fields in this order.
#[derive(Serialize)]
struct Line<'a> {
    schema: &'static str,
    header: Value,
    event: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    reserve_id: Option<&'a str>,
}

/// One event as a JSON line: the schema, the header without the verification token, the event,
/// and the reservation when known.
fn line(delivery: &Delivery) -> String {
    let mut header = serde_json::to_value(&delivery.header).unwrap_or(Value::Null);
    if let Some(fields) = header.as_object_mut() {
        fields.remove("token");
    }
    let line = Line {
        schema: match delivery.schema {
            Schema::V1 => "1.0",
            _ => "2.0",
        },
        header,
        event: delivery.event.to_json(),
        reserve_id: delivery.reserve_id.as_ref().map(|id| id.as_str()),
    };
    let mut text = serde_json::to_string(&line).unwrap_or_default();
    text.push('\n');
    text
}

/// Prints events until `stop` resolves, or until `last` says an event was the last one; a closed
/// stdout ends the command quietly, as for the other reading commands.
async fn print_events(
    events: &mut mpsc::UnboundedReceiver<Delivery>,
    stop: impl Future<Output = ()>,
    last: impl Fn(&Delivery) -> bool,
) -> Result<bool, Failure> {
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return Ok(false),
            delivery = events.recv() => {
                let Some(delivery) = delivery else { return Ok(false) };
                emit(&line(&delivery), Effect::Read, String::new)?;
                if last(&delivery) {
                    return Ok(true);
                }
            }
        }
    }
}

async fn bind(addr: &str) -> Result<TcpListener, Failure> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::usage(format!("could not listen on {addr}: {e}")))
}

/// `--webhook ADDR`: Feishu's deliveries, until Ctrl-C or SIGTERM.
async fn webhook(args: &ListenArgs, addr: &str) -> Result<(), Failure> {
    let key = args.encrypt_key.as_ref();
    let token = args.verification_token.as_ref();
    let listener = bind(addr).await?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::usage(format!("could not listen on {addr}: {e}")))?;
    let mut events = serve(listener, Receiver::new(decoder(key, token)));
    let stop = interrupted();
    note(&format!(
        "feishu-vc: receiving meeting events on http://{local}/ (point the app's request URL there); Ctrl-C to stop"
    ));
    note(&format!(
        "  signature and decryption: {}; verification token: {}",
        if key.is_some() {
            "on"
        } else {
            "off (no --encrypt-key)"
        },
        if token.is_some() {
            "checked"
        } else {
            "not checked (no --verification-token)"
        },
    ));
    if key.is_none() && token.is_none() {
        note(
            "feishu-vc: warning: without --encrypt-key or --verification-token any POST is taken for an event",
        );
    }
    print_events(&mut events, stop, |_| false).await?;
    Ok(())
}

/// Without `--webhook`: Feishu's long connection, until Ctrl-C or SIGTERM, or until it is refused
/// for good.
async fn long_connection(
    args: &ListenArgs,
    app_id: &str,
    app_secret: &SecretString,
) -> Result<(), Failure> {
    let mut connection = LongConnection::new(app_id, app_secret.clone()).brand(
        match args.brand.unwrap_or(BrandArg::Feishu) {
            BrandArg::Feishu => Brand::Feishu,
            BrandArg::Lark => Brand::Lark,
        },
    );
    if let Some(url) = &args.base_url {
        connection = connection.base_url(url.clone());
    }
    // Long-connection payloads come in plain text: no Encrypt Key.
    let token = args.verification_token.as_ref();
    // What it retries through (endpoint, dial, drops) goes to stderr: one line per kind of
    // failure, at most once a minute.
    let connection = connection
        .receiver(Receiver::new(decoder(None, token)))
        .on_status(StatusThrottle::default().observer(|line| note(&format!("feishu-vc: {line}"))));
    let stop = interrupted();
    note(&format!(
        "feishu-vc: receiving meeting events of app {app_id} over the long connection (no public URL needed); Ctrl-C to stop"
    ));
    let mut connected = Connected::start(connection);
    // Ends on Ctrl-C, or when the connection stops for good (its handler, and so the channel, is
    // dropped); `finish` tells which.
    let printed = print_events(&mut connected.events, stop, |_| false).await;
    let ended = connected.finish().await;
    printed?;
    ended
}

/// `--emulator`: an in-memory emulator pushes the events of a meeting the demo books and runs.
async fn demo(args: &ListenArgs, via: Via<'_>) -> Result<(), Failure> {
    match via {
        Via::LongConnection => demo_long_connection(args).await,
        Via::Webhook(addr) => demo_webhook(args, addr).await,
    }
}

/// The demo over the long connection: the emulator serves it, the command connects to it with the
/// demo app's credentials.
async fn demo_long_connection(args: &ListenArgs) -> Result<(), Failure> {
    let token = args.verification_token.as_ref();
    let ledger = Arc::new(InMemoryReservations::new());
    let mut builder = Emulator::builder();
    if let Some(token) = token {
        builder = builder.verification_token(token.expose_secret());
    }
    let emulator = builder.start().await.map_err(emulator_failed)?;
    let connection = LongConnection::new(DEMO_APP_ID, DEMO_APP_SECRET)
        .base_url(emulator.base_url())
        .receiver(Receiver::new(decoder(None, token)).reservation_lookup(ledger.clone()));
    note(&format!(
        "feishu-vc: demo on an in-memory emulator at {} (nothing is booked on Feishu, and the state of --emulator is not touched); its events come over the long connection",
        emulator.base_url()
    ));
    let mut connected = Connected::start(connection);
    let result = match wait_connected(&emulator, &connected).await {
        Ok(()) => run_demo(&emulator, ledger, &mut connected.events).await,
        Err(e) => Err(e),
    };
    let ended = connected.finish().await;
    let _ = emulator.shutdown().await;
    result.and(ended)
}

/// Waits until the demo's client holds a connection, so that the meeting's events go to it;
/// returns early if the client stopped (`finish` then says why).
async fn wait_connected(emulator: &Emulator, connected: &Connected) -> Result<(), Failure> {
    let deadline = tokio::time::Instant::now() + DEMO_TIMEOUT;
    while emulator.long_connection_stats().connections_open == 0 {
        if connected.task.is_finished() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Failure::network(format!(
                "the demo's long connection was not open within {} s",
                DEMO_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

fn emulator_failed(e: feishu_vc_emulator::Error) -> Failure {
    Failure::usage(format!("could not start the built-in emulator: {e}"))
}

/// The demo over webhooks served on `addr`, encrypted and signed.
async fn demo_webhook(args: &ListenArgs, addr: &str) -> Result<(), Failure> {
    let key = args
        .encrypt_key
        .clone()
        .unwrap_or_else(|| SecretString::new(DEMO_ENCRYPT_KEY));
    let token = args
        .verification_token
        .clone()
        .unwrap_or_else(|| SecretString::new(DEMO_VERIFICATION_TOKEN));
    let ledger = Arc::new(InMemoryReservations::new());
    let receiver =
        Receiver::new(decoder(Some(&key), Some(&token))).reservation_lookup(ledger.clone());
    let listener = bind(addr).await?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::usage(format!("could not listen on {addr}: {e}")))?;
    let mut events = serve(listener, receiver);
    let emulator = Emulator::builder()
        .event_callback(format!("http://{local}/"))
        .encrypt_key(key.expose_secret())
        .verification_token(token.expose_secret())
        .start()
        .await
        .map_err(emulator_failed)?;
    note(&format!(
        "feishu-vc: demo on an in-memory emulator at {} (nothing is booked on Feishu, and the state of --emulator is not touched); its events go, encrypted and signed, to http://{local}/",
        emulator.base_url()
    ));
    let result = run_demo(&emulator, ledger, &mut events).await;
    let _ = emulator.shutdown().await;
    result
}

async fn run_demo(
    emulator: &Emulator,
    ledger: Arc<InMemoryReservations>,
    events: &mut mpsc::UnboundedReceiver<Delivery>,
) -> Result<(), Failure> {
    let client = feishu_vc::Client::builder()
        .base_url(emulator.base_url())
        .app_credentials(DEMO_APP_ID, DEMO_APP_SECRET)
        .booking_observer(ledger)
        .build()
        .map_err(Failure::from)?;
    let end = emulator
        .now()
        .checked_add(Duration::from_secs(3600))
        .ok_or_else(|| Failure::usage("the emulator's clock is out of range"))?;
    let booked = client
        .reserves()
        .apply(
            ApplyReserveRequest::new(
                ReserveMeetingSetting::default().set_topic("feishu-vc events demo"),
            )
            .set_end_time(end)
            .set_owner_id(DEMO_OWNER),
        )
        .await
        .map_err(Failure::from)?
        .data;
    let id = booked.reserve_id.as_str();
    note(&format!(
        "feishu-vc: booked reservation {id} (meeting {}); it starts, {DEMO_USER_BOB} joins and leaves, it ends",
        booked.meeting_no.as_str()
    ));
    let step = |e: feishu_vc_emulator::Error| Failure::usage(format!("the demo's meeting: {e}"));
    emulator
        .start_meeting(id, MeetingSpec::new().host(DEMO_OWNER))
        .await
        .map_err(step)?;
    emulator
        .join_meeting(id, ParticipantSpec::new(DEMO_USER_BOB))
        .await
        .map_err(step)?;
    emulator
        .leave_meeting(id, DEMO_USER_BOB, LeaveReason::Left)
        .await
        .map_err(step)?;
    emulator.end_meeting(id).await.map_err(step)?;
    let ended = |d: &Delivery| matches!(d.event, Event::MeetingEnded(_));
    if print_events(events, tokio::time::sleep(DEMO_TIMEOUT), ended).await? {
        Ok(())
    } else {
        Err(Failure::network(format!(
            "the demo's meeting-ended event did not arrive within {} s",
            DEMO_TIMEOUT.as_secs()
        )))
    }
}

#[cfg(test)]
mod tests {
    use feishu_vc::model::events::{EventEnvelope, EventHeader, MeetingOperatorEvent};

    use super::*;

    #[test]
    fn a_line_has_the_header_without_its_token() {
        let mut header = EventHeader::new("ev-1", "vc.meeting.meeting_ended_v1");
        header.token = Some(SecretString::new("the-token-value"));
        let envelope =
            EventEnvelope::new(header, Event::MeetingEnded(MeetingOperatorEvent::default()));
        let body = envelope.to_json().to_string();
        let delivery = match Decoder::new()
            .decode(
                &[] as &[(&str, &str)],
                body.as_bytes(),
                std::time::SystemTime::now(),
            )
            .unwrap()
        {
            feishu_vc_events::Incoming::Event(d) => d,
            other => panic!("{other:?}"),
        };
        let text = line(&delivery);
        assert!(text.ends_with('\n') && text.matches('\n').count() == 1);
        assert!(!text.contains("the-token-value"), "{text}");
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["header"]["event_id"], "ev-1");
        assert_eq!(value["header"]["event_type"], "vc.meeting.meeting_ended_v1");
        assert!(value["header"].get("token").is_none());
        assert!(value.get("reserve_id").is_none());
    }

    #[test]
    fn a_long_connection_refused_for_good_ends_with_its_documented_code() {
        let msg = || "refused".to_owned();
        let cases = [
            (
                LongConnectionError::Rejected {
                    code: 10014,
                    msg: msg(),
                },
                crate::outcome::CREDENTIALS,
            ),
            (
                LongConnectionError::Forbidden { msg: msg() },
                crate::outcome::CREDENTIALS,
            ),
            (
                LongConnectionError::ConnectionLimit { msg: msg() },
                crate::outcome::API,
            ),
            (
                LongConnectionError::GaveUp {
                    attempts: 3,
                    last: msg(),
                },
                crate::outcome::NETWORK,
            ),
            (
                LongConnectionError::InvalidConfig {
                    field: "app_id",
                    reason: "is empty",
                },
                crate::outcome::USAGE,
            ),
        ];
        for (error, code) in cases {
            let shown = error.to_string();
            assert_eq!(refused(error).code(), code, "{shown}");
        }
    }
}
