//! The long connection (长连接), server side: `POST /callback/ws/endpoint` hands out a one-time
//! ticket URL, `GET /ws` upgrades it to a WebSocket speaking `pbbp2.Frame` (the protocol module of
//! `feishu-vc-events`, so both ends share one codec); both routes are in `events/http.rs`, and
//! this hub holds what they share. Every event the notifier pushes goes to one
//! random connected client of its app, fragmented past a size, and stays pending until that
//! client acknowledges it with `{"code":200}`; an event not acknowledged in time, or whose
//! connection dropped, is sent again (same `event_id`), as Feishu does. Pings get pongs carrying
//! the client config; a connection past the limit is refused with Feishu's code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use feishu_vc_events::longconn::frame::{self, Frame, METHOD_CONTROL, METHOD_DATA};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::LongConnSettings;

/// The `service_id` in every connection URL (and so in every frame).
pub(crate) const SERVICE_ID: i32 = 33_554_678;

/// What the long-connection server has seen, for tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LongConnectionStats {
    /// Calls to `POST /callback/ws/endpoint` that handed out a URL.
    pub endpoint_requests: u64,
    /// WebSocket connections accepted.
    pub connections_accepted: u64,
    /// Connections open now.
    pub connections_open: usize,
    /// Connections refused for the connection limit.
    pub refused_over_limit: u64,
    /// The `event_id` of each acknowledged event, in the order the acknowledgements came.
    pub acknowledged: Vec<String>,
    /// Events sent again (not acknowledged in time, or their connection dropped).
    pub redeliveries: u64,
    /// Events still waiting for an acknowledgement.
    pub pending: usize,
    /// Pings answered.
    pub pongs: u64,
    /// Events sent in more than one fragment (each sending counted).
    pub fragmented: u64,
}

/// The server's state: tickets, open connections, events waiting for their acknowledgement.
#[derive(Debug)]
pub(crate) struct Hub {
    pub(crate) settings: LongConnSettings,
    pub(crate) inner: Mutex<Inner>,
    ticker: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    next_id: u64,
    /// One-time tickets handed out by the endpoint → the app they are for.
    pub(crate) tickets: HashMap<String, String>,
    pub(crate) clients: Vec<Client>,
    pending: Vec<Pending>,
    pub(crate) stats: LongConnectionStats,
    drop_after: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct Client {
    id: u64,
    pub(crate) app_id: String,
    out: mpsc::UnboundedSender<Out>,
}

/// What a connection's task is told to do next.
#[derive(Debug)]
pub(crate) enum Out {
    Frame(Vec<u8>),
    Close,
}

#[derive(Debug)]
struct Pending {
    seq_id: u64,
    app_id: String,
    event_id: String,
    payload: Arc<str>,
    on: Option<u64>,
    due: Instant,
}

impl Hub {
    /// A hub that re-sends overdue events every 100 ms for as long as it lives.
    pub(crate) fn start(settings: LongConnSettings) -> Arc<Self> {
        let hub = Arc::new(Self {
            settings,
            inner: Mutex::new(Inner::default()),
            ticker: Mutex::new(None),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&hub);
            *lock(&hub.ticker) = Some(runtime.spawn(tick(weak)));
        }
        hub
    }

    /// Stops the re-send task and closes every connection.
    pub(crate) fn stop(&self) {
        if let Some(task) = lock(&self.ticker).take() {
            task.abort();
        }
        self.drop_connections();
    }

    /// Queues an event for one random client of `app_id` (sent now if one is connected).
    pub(crate) fn push(&self, app_id: &str, event_id: &str, plaintext: &str) {
        let mut inner = lock(&self.inner);
        inner.next_id += 1;
        let seq_id = inner.next_id;
        inner.pending.push(Pending {
            seq_id,
            app_id: app_id.to_owned(),
            event_id: event_id.to_owned(),
            payload: plaintext.into(),
            on: None,
            due: Instant::now(),
        });
        self.flush(&mut inner);
    }

    /// Closes every open connection (their unacknowledged events are sent again elsewhere).
    pub(crate) fn drop_connections(&self) {
        for client in &lock(&self.inner).clients {
            let _ = client.out.send(Out::Close);
        }
    }

    /// Closes the connection that carries the `n`-th event sent from now, right after sending it.
    pub(crate) fn drop_after(&self, n: u64) {
        lock(&self.inner).drop_after = Some(n.max(1));
    }

    pub(crate) fn stats(&self) -> LongConnectionStats {
        let inner = lock(&self.inner);
        let mut stats = inner.stats.clone();
        stats.connections_open = inner.clients.len();
        stats.pending = inner.pending.len();
        stats
    }

    /// Sends every due event to a random client of its app, in the order they were pushed.
    fn flush(&self, inner: &mut Inner) {
        let now = Instant::now();
        let Inner {
            clients,
            pending,
            stats,
            drop_after,
            ..
        } = inner;
        for p in pending.iter_mut().filter(|p| p.due <= now) {
            let candidates: Vec<&Client> =
                clients.iter().filter(|c| c.app_id == p.app_id).collect();
            if candidates.is_empty() {
                continue;
            }
            let client = candidates[fastrand::usize(..candidates.len())];
            if p.on.is_some() {
                stats.redeliveries += 1;
            }
            let message_id = format!("msg_{}_{}", p.seq_id, fastrand::u32(..));
            let trace_id = format!("trace_{:016x}", fastrand::u64(..));
            let fragments = Frame::event_fragments(
                SERVICE_ID,
                p.seq_id,
                &message_id,
                &trace_id,
                p.payload.as_bytes(),
                self.settings.max_fragment,
            );
            if fragments.len() > 1 {
                stats.fragmented += 1;
            }
            for f in fragments {
                let _ = client.out.send(Out::Frame(f.to_bytes()));
            }
            p.on = Some(client.id);
            p.due = now + self.settings.ack_timeout;
            if let Some(left) = drop_after {
                *left -= 1;
                if *left == 0 {
                    *drop_after = None;
                    let _ = client.out.send(Out::Close);
                }
            }
        }
    }

    pub(crate) fn connect(&self, app_id: String, out: mpsc::UnboundedSender<Out>) -> u64 {
        let mut inner = lock(&self.inner);
        inner.next_id += 1;
        let id = inner.next_id;
        inner.clients.push(Client { id, app_id, out });
        inner.stats.connections_accepted += 1;
        self.flush(&mut inner);
        id
    }

    pub(crate) fn disconnect(&self, id: u64) {
        let mut inner = lock(&self.inner);
        inner.clients.retain(|c| c.id != id);
        let now = Instant::now();
        for p in inner.pending.iter_mut().filter(|p| p.on == Some(id)) {
            p.due = now;
        }
        self.flush(&mut inner);
    }

    /// A frame from a client: a ping is answered, an acknowledgement settles its event.
    pub(crate) fn receive(&self, bytes: &[u8], out: &mpsc::UnboundedSender<Out>) {
        let Ok(frame) = Frame::decode_bytes(bytes) else {
            tracing::debug!("long connection: undecodable frame ignored");
            return;
        };
        match (frame.method, frame.kind()) {
            (METHOD_CONTROL, "ping") => {
                let pong = Frame::pong(frame.service, Some(&self.settings.client_config));
                let _ = out.send(Out::Frame(pong.to_bytes()));
                lock(&self.inner).stats.pongs += 1;
            }
            (METHOD_DATA, _) if frame.ack_code() == Some(200) => {
                if frame.header(frame::HEADER_BIZ_RT).is_none() {
                    tracing::info!("long connection: acknowledgement without biz_rt ignored");
                    return;
                }
                let mut inner = lock(&self.inner);
                if let Some(at) = inner.pending.iter().position(|p| p.seq_id == frame.seq_id) {
                    let settled = inner.pending.remove(at);
                    inner.stats.acknowledged.push(settled.event_id);
                }
            }
            (METHOD_DATA, _) => {
                tracing::info!(code = ?frame.ack_code(), "long connection: event not acknowledged with 200; it will be sent again");
            }
            _ => {}
        }
    }
}

async fn tick(hub: Weak<Hub>) {
    let mut every = tokio::time::interval(Duration::from_millis(100));
    loop {
        every.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        let mut inner = lock(&hub.inner);
        hub.flush(&mut inner);
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
