//! One client against one hostile server, watched: every status it reports, every log line it
//! writes (all levels), how it ended (a panic included), its handler's events, the endpoint calls
//! it made, and the peak memory of the whole process while it ran (heap by dhat, resident set by
//! `/proc/self/status`). Cases run one at a time, since both figures are the process's.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use feishu_vc_events::longconn::{LongConnection, LongConnectionError, Status};
use feishu_vc_events::{Delivery, EventHandler, HandlerError};
use tracing::instrument::WithSubscriber as _;

use crate::server::{ACCESS_KEY, APP_ID, APP_SECRET, Endpoint, Hostile, TICKET, Ws};

/// Most the process may grow, heap or resident set, while one case runs.
pub(crate) const MEMORY_CAP: u64 = 64 << 20;

/// One test at a time: memory figures are the process's.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Held for a whole test, so that no other test allocates while a case is measured.
pub(crate) struct Serial {
    _guard: tokio::sync::MutexGuard<'static, ()>,
}

/// Waits for the other tests of this binary to finish; to be taken first by every test.
pub(crate) async fn serial() -> Serial {
    Serial {
        _guard: SERIAL.lock().await,
    }
}

/// What a case saw.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// How `run` ended on its own: `None` if it still ran when the case stopped it.
    pub(crate) ended: Option<Result<(), LongConnectionError>>,
    /// The panic message, if the task panicked.
    pub(crate) panicked: Option<String>,
    pub(crate) statuses: Vec<Status>,
    pub(crate) logs: String,
    pub(crate) heard: usize,
    /// From the start of the run until it ended or was stopped.
    pub(crate) elapsed: Duration,
    pub(crate) endpoint_calls: usize,
    pub(crate) heap_peak: u64,
    pub(crate) rss_growth: Option<u64>,
}

/// Shared with the running client.
#[derive(Clone, Default)]
pub(crate) struct Watch {
    pub(crate) heard: Arc<AtomicUsize>,
    pub(crate) statuses: Arc<Mutex<Vec<Status>>>,
}

impl Watch {
    pub(crate) fn heard(&self) -> usize {
        self.heard.load(Ordering::SeqCst)
    }

    pub(crate) fn statuses(&self) -> Vec<Status> {
        self.statuses.lock().unwrap().clone()
    }
}

struct Counter(Arc<AtomicUsize>);

impl EventHandler for Counter {
    async fn handle(&self, _: Delivery) -> Result<(), HandlerError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One case: a hostile server, and the client run against it.
pub(crate) struct Case {
    endpoint: Endpoint,
    ws: Ws,
    floor: Duration,
    max: Duration,
    tune: Box<dyn FnOnce(LongConnection) -> LongConnection>,
}

impl Case {
    /// Against a server answering `endpoint` and handling connections as `ws`, the client's
    /// endpoint calls at least 50 ms apart, for 5 s at most.
    pub(crate) fn new(endpoint: Endpoint, ws: Ws) -> Self {
        Self {
            endpoint,
            ws,
            floor: Duration::from_millis(50),
            max: Duration::from_secs(5),
            tune: Box::new(|c| c),
        }
    }

    /// The client's least time between endpoint calls.
    pub(crate) fn floor(mut self, floor: Duration) -> Self {
        self.floor = floor;
        self
    }

    /// The longest the client runs.
    pub(crate) fn max(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// Adjusts the client.
    pub(crate) fn tune(
        mut self,
        tune: impl FnOnce(LongConnection) -> LongConnection + 'static,
    ) -> Self {
        self.tune = Box::new(tune);
        self
    }

    /// Starts the server and runs the client until it ends, `done` holds or the time is up;
    /// checks what every case must hold ([`Outcome::assert_held`]).
    pub(crate) async fn run(
        self,
        serial: &Serial,
        done: impl Fn(&Watch) -> bool,
    ) -> (Hostile, Outcome) {
        let server = Hostile::start(self.endpoint, self.ws).await;
        let connection = LongConnection::new(APP_ID, APP_SECRET)
            .base_url(server.base_url.clone())
            .min_endpoint_interval(self.floor);
        let outcome = run(serial, &server, (self.tune)(connection), self.max, done).await;
        outcome.assert_held(self.floor);
        (server, outcome)
    }

    /// [`Case::run`] until the client ends or the time is up.
    pub(crate) async fn until_it_ends(self, serial: &Serial) -> (Hostile, Outcome) {
        self.run(serial, |_| false).await
    }
}

/// Runs `connection` (plus a status recorder) until it ends, `done` holds, or `max` passes.
async fn run(
    _serial: &Serial,
    server: &Hostile,
    connection: LongConnection,
    max: Duration,
    done: impl Fn(&Watch) -> bool,
) -> Outcome {
    let profiler = dhat::Profiler::builder()
        .testing()
        .file_name(std::env::temp_dir().join("feishu-vc-events-hostile-dhat.json"))
        .build();
    let rss_before = reset_peak_rss();
    let heap_before = dhat::HeapStats::get().curr_bytes as u64;

    let watch = Watch::default();
    let statuses = watch.statuses.clone();
    let connection = connection.on_status(move |s| statuses.lock().unwrap().push(s.clone()));
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handler = Counter(watch.heard.clone());
    let started = Instant::now();
    let mut task = tokio::spawn(
        async move {
            connection
                .run(handler, async move {
                    let _ = stopped.await;
                })
                .await
        }
        .with_subscriber(subscriber),
    );
    let deadline = started + max;
    let joined = loop {
        if task.is_finished() || done(&watch) || Instant::now() >= deadline {
            break None;
        }
        tokio::select! {
            joined = &mut task => break Some(joined),
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
    };
    let elapsed = started.elapsed();
    let (ended, joined) = match joined {
        Some(joined) => (true, joined),
        None if task.is_finished() => (true, task.await),
        None => {
            let _ = stop.send(());
            (false, task.await)
        }
    };
    let (result, panicked) = match joined {
        Ok(result) => (Some(result), None),
        Err(error) => {
            let message = match error.try_into_panic() {
                Ok(panic) => panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default(),
                Err(error) => error.to_string(),
            };
            (None, Some(message))
        }
    };
    let heap_peak = (dhat::HeapStats::get().max_bytes as u64).saturating_sub(heap_before);
    let rss_growth = rss_before.and_then(|before| peak_rss().map(|p| p.saturating_sub(before)));
    drop(profiler);
    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    eprintln!(
        "{}: heap peak +{:.1} MiB, peak RSS +{}, {} endpoint calls in {elapsed:.2?}",
        std::thread::current().name().unwrap_or("case"),
        heap_peak as f64 / 1048576.0,
        rss_growth.map_or("unknown".to_owned(), |r| format!(
            "{:.1} MiB",
            r as f64 / 1048576.0
        )),
        server.endpoint_calls().len(),
    );
    Outcome {
        ended: if ended { result } else { None },
        panicked,
        statuses: watch.statuses(),
        logs,
        heard: watch.heard(),
        elapsed,
        endpoint_calls: server.endpoint_calls().len(),
        heap_peak,
        rss_growth,
    }
}

impl Outcome {
    /// What every case must hold: no panic; memory growth under [`MEMORY_CAP`]; no secret in any
    /// output; endpoint calls at most one per `floor`.
    pub(crate) fn assert_held(&self, floor: Duration) {
        assert!(self.panicked.is_none(), "the client panicked: {self:?}");
        assert!(
            self.heap_peak < MEMORY_CAP,
            "heap grew by {} MiB",
            self.heap_peak >> 20
        );
        if let Some(rss) = self.rss_growth {
            assert!(rss < MEMORY_CAP, "resident set grew by {} MiB", rss >> 20);
        }
        let shown = self.shown();
        for secret in [APP_SECRET, TICKET, ACCESS_KEY] {
            assert!(!shown.contains(secret), "`{secret}` shown in:\n{shown}");
        }
        let allowed = 1 + (self.elapsed.as_secs_f64() / floor.as_secs_f64()) as usize;
        assert!(
            self.endpoint_calls <= allowed,
            "{} endpoint calls in {:?}, at most {allowed} allowed",
            self.endpoint_calls,
            self.elapsed
        );
    }

    /// Everything the client showed: its error, statuses (debug and display) and log lines.
    pub(crate) fn shown(&self) -> String {
        let mut shown = String::new();
        if let Some(Err(error)) = &self.ended {
            shown.push_str(&format!("{error}\n{error:?}\n"));
        }
        for status in &self.statuses {
            shown.push_str(&format!("{status}\n{status:?}\n"));
        }
        shown.push_str(&self.logs);
        shown
    }

    /// The failures of `kind` it reported, as `(message, retry_in)`.
    pub(crate) fn failures(
        &self,
        kind: feishu_vc_events::longconn::FailureKind,
    ) -> Vec<(String, Option<Duration>)> {
        self.statuses
            .iter()
            .filter_map(|s| match s {
                Status::Failed {
                    kind: k,
                    message,
                    retry_in,
                    ..
                } if *k == kind => Some((message.clone(), *retry_in)),
                _ => None,
            })
            .collect()
    }
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the process's peak resident set to its current one (Linux `clear_refs` 5); the
/// current one, or `None` where that is not possible.
fn reset_peak_rss() -> Option<u64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    status_kib("VmRSS:")
}

fn peak_rss() -> Option<u64> {
    status_kib("VmHWM:")
}
