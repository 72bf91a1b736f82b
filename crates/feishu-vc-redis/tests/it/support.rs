//! Test support: a real `redis-server` on a free loopback port, a counting proxy in front of the
//! emulator, and a fleet of clients booking through it.

#![allow(dead_code, unreachable_pub)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use feishu_vc::model::{ApplyReserveRequest, ReserveMeetingSetting, Timestamp};
use feishu_vc::{Client, RetryPolicy};
use feishu_vc_redis::Redis;

/// A `redis-server` of the test's own: loopback only, a temp dir, no persistence. Stopped (and its
/// dir removed) on drop.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts one on a free port and waits until it accepts connections.
    pub fn start() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!(
            "feishu-vc-redis-test-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = Self {
            child: None,
            port,
            dir,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `redis-server` ({e}): these tests need a real Redis server; \
                     `cargo xtask test` installs it (Debian/Ubuntu package `redis-server`)"
                )
            });
        self.child = Some(child);
        let until = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(self.addr()).is_err() {
            assert!(
                Instant::now() < until,
                "redis-server did not start on {}",
                self.addr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A handle with this test's prefix.
    pub fn handle(&self, prefix: &str) -> Redis {
        Redis::builder(self.url()).prefix(prefix).build().unwrap()
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A reverse proxy in front of the emulator that counts what the fleet asked and was answered.
pub struct CountingProxy {
    pub url: String,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    token_requests: AtomicUsize,
    throttled: AtomicUsize,
}

struct Upstream {
    base: String,
    http: reqwest::Client,
    counts: Arc<Counts>,
}

impl CountingProxy {
    /// Forwards everything to `upstream`.
    pub async fn start(upstream: &str) -> Self {
        let counts = Arc::new(Counts::default());
        // reqwest may be built with rustls and no crypto provider of its own (feishu-vc's `rustls`).
        feishu_vc::transport::install_rustls_provider();
        let state = Arc::new(Upstream {
            base: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            counts: counts.clone(),
        });
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, counts }
    }

    /// Requests to the tenant-token endpoint.
    pub fn token_requests(&self) -> usize {
        self.counts.token_requests.load(Ordering::SeqCst)
    }

    /// Answers of HTTP 429.
    pub fn throttled(&self) -> usize {
        self.counts.throttled.load(Ordering::SeqCst)
    }
}

async fn forward(
    State(up): State<Arc<Upstream>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, Bytes) {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    if uri.path().ends_with("/tenant_access_token/internal") {
        up.counts.token_requests.fetch_add(1, Ordering::SeqCst);
    }
    let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap();
    let mut request = up.http.request(method, format!("{}{path}", up.base));
    for (name, value) in &headers {
        if matches!(name.as_str(), "authorization" | "content-type") {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    let answer = request.body(body).send().await.unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    if status == StatusCode::TOO_MANY_REQUESTS {
        up.counts.throttled.fetch_add(1, Ordering::SeqCst);
    }
    let mut out = HeaderMap::new();
    for (name, value) in answer.headers() {
        if name.as_str().starts_with("x-") || name.as_str() == "content-type" {
            out.insert(
                axum::http::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
                axum::http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
            );
        }
    }
    (status, out, answer.bytes().await.unwrap())
}

/// The owner of every test booking (in the emulator's demo directory).
pub const OWNER: &str = "ou_3ec3f6a28a0d08c45d895276e8e5e19b";

/// A client of the emulator's app through `base`, sharing `redis` when given. Retries are
/// generous so that the run without Redis books everything despite 429s.
pub fn client(base: &str, app_id: &str, app_secret: &str, redis: Option<&Redis>) -> Client {
    let mut builder = Client::builder()
        .app_credentials(app_id, app_secret)
        .base_url(base)
        .retry(
            RetryPolicy::default()
                .with_max_attempts(20)
                .with_deadline(None),
        );
    if let Some(redis) = redis {
        builder = builder
            .token_cache(Arc::new(redis.token_cache()))
            .rate_limiter(Arc::new(redis.rate_limiter()));
    }
    builder.build().unwrap()
}

/// A booking with its own topic, ending in an hour.
pub fn booking(topic: &str) -> ApplyReserveRequest {
    let end = Timestamp::now()
        .checked_add(Duration::from_secs(3600))
        .unwrap();
    ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic(topic))
        .set_end_time(end)
        .set_owner_id(OWNER)
}

/// What a fleet run did.
#[derive(Debug)]
pub struct FleetRun {
    pub elapsed: Duration,
    pub booked: usize,
    pub failed: usize,
}

/// `clients` clients book `total` meetings between them (topics `fleet-<n>`), each with
/// `per_client` calls in flight.
pub async fn run_fleet(clients: &[Client], total: usize, per_client: usize) -> FleetRun {
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let booked = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for client in clients {
        for _ in 0..per_client {
            let (client, next, booked, failed) =
                (client.clone(), next.clone(), booked.clone(), failed.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= total {
                        break;
                    }
                    match client
                        .reserves()
                        .apply(booking(&format!("fleet-{n}")))
                        .await
                    {
                        Ok(_) => booked.fetch_add(1, Ordering::SeqCst),
                        Err(e) => {
                            eprintln!("booking {n} failed: {e}");
                            failed.fetch_add(1, Ordering::SeqCst)
                        }
                    };
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    FleetRun {
        elapsed: started.elapsed(),
        booked: booked.load(Ordering::SeqCst),
        failed: failed.load(Ordering::SeqCst),
    }
}

/// How many live reservations the emulator holds per topic starting with `prefix`: every one
/// should be 1.
pub fn topics(
    emulator: &feishu_vc_emulator::Emulator,
    prefix: &str,
) -> std::collections::BTreeMap<String, usize> {
    let mut seen = std::collections::BTreeMap::new();
    for r in emulator.state().reservations {
        if let Some(topic) = r.topic.filter(|t| t.starts_with(prefix)) {
            *seen.entry(topic).or_insert(0) += 1;
        }
    }
    seen
}

/// The keys matching `pattern` on the server at `url`, read with a connection of the test's own.
pub async fn keys(url: &str, pattern: &str) -> Vec<String> {
    let raw = redis::Client::open(url).unwrap();
    let mut connection = raw.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut connection)
        .await
        .unwrap()
}
