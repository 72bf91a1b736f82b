//! `feishu-vc events listen`: receive meeting events and print one JSON line per event.
//!
//! Every mode serves the events crate's ready router (decode, dedup, attribute, acknowledge at
//! once) on a local address and hands each accepted event to the printer. The modes differ only
//! in where deliveries come from ([`Mode`]): Feishu, over the app's request URL (`--webhook`), or
//! an in-memory emulator that a scripted demo drives (`--emulator`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use feishu_vc::model::events::Event;
use feishu_vc::model::{ApplyReserveRequest, ReserveMeetingSetting, SecretString};
use feishu_vc_emulator::{DEMO_USER_BOB, Emulator, LeaveReason, MeetingSpec, ParticipantSpec};
use feishu_vc_events::{Decoder, Delivery, HandlerError, InMemoryReservations, Receiver, Schema};
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::args::ListenArgs;
use crate::local::{DEMO_APP_ID, DEMO_APP_SECRET, DEMO_OWNER, interrupted};
use crate::outcome::Failure;
use crate::output::{Effect, emit, note};

/// How long the demo waits for its meeting to end before it fails.
const DEMO_TIMEOUT: Duration = Duration::from_secs(30);

/// The keys the demo's emulator and receiver share when none is given: the demo shows
/// encrypted, signed deliveries with a verification token.
const DEMO_ENCRYPT_KEY: &str = "feishu-vc-demo-encrypt-key";
const DEMO_VERIFICATION_TOKEN: &str = "feishu-vc-demo-verification-token";

/// Where deliveries come from. (Feishu's long connection will be a third mode.)
enum Mode<'a> {
    /// Feishu POSTs to the app's request URL, served on this address.
    Webhook(&'a str),
    /// An in-memory emulator, driven by the demo.
    EmulatorDemo,
}

impl<'a> Mode<'a> {
    fn of(args: &'a ListenArgs) -> Result<Self, Failure> {
        match (&args.webhook, args.emulator) {
            (Some(addr), _) => Ok(Self::Webhook(addr)),
            (None, true) => Ok(Self::EmulatorDemo),
            (None, false) => Err(Failure::usage(
                "give --webhook ADDR to serve the app's request URL, or --emulator for a local demo (Feishu's long connection is not supported yet)",
            )),
        }
    }
}

/// `feishu-vc events listen`.
pub(crate) async fn listen(args: &ListenArgs) -> Result<(), Failure> {
    match Mode::of(args)? {
        Mode::Webhook(addr) => webhook(args, addr).await,
        Mode::EmulatorDemo => demo(args).await,
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
    let (events, events_rx) = mpsc::unbounded_channel();
    let app = feishu_vc_events::router(receiver, move |delivery: Delivery| {
        let sent = events.send(delivery);
        async move { sent.map_err(|_| HandlerError::from("the printer has stopped")) }
    })
    .layer(axum::middleware::from_fn(report_refused));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            note(&format!("feishu-vc: the event receiver stopped: {e}"));
        }
    });
    events_rx
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
    print_events(&mut events, interrupted(), |_| false).await?;
    Ok(())
}

/// `--emulator`: an in-memory emulator pushes the events of a meeting the demo books and runs.
async fn demo(args: &ListenArgs) -> Result<(), Failure> {
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
    let listener = bind("127.0.0.1:0").await?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::usage(format!("could not listen on loopback: {e}")))?;
    let mut events = serve(listener, receiver);
    let emulator = Emulator::builder()
        .event_callback(format!("http://{local}/"))
        .encrypt_key(key.expose_secret())
        .verification_token(token.expose_secret())
        .start()
        .await
        .map_err(|e| Failure::usage(format!("could not start the built-in emulator: {e}")))?;
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
}
