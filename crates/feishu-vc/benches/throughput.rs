//! Calls per second of `feishu_vc::Client::reserves().apply()` against a hand-written reqwest loop
//! that does the same typed work (serializes the request, decodes the typed answer) on the same
//! local server, measured in the same run.
//!
//! ```sh
//! cargo bench -p feishu-vc --bench throughput
//! ```
//!
//! A minimal axum server on 127.0.0.1:0 (its own tokio runtime and threads) answers the tenant token
//! endpoint (and counts those requests) and `POST /open-apis/vc/v1/reserves/apply` with the schema's
//! seed response. Each round runs every variant once, in an order rotated per round, sequentially
//! (one task) and with 64 concurrent tasks sharing a fixed total of N calls. Each run builds a fresh
//! client, so the facade fetches its tenant token exactly once per run (asserted). Reported: median
//! calls/s per variant, the median of the per-round ratios subject (`facade`) ÷ baseline
//! (`raw_typed`), the headline, and of each variant ÷ `raw` (the loop that neither serializes nor
//! decodes), and the client threads' CPU time per call. Results and their interpretation:
//! `docs/benchmarks.md`.
//!
//! Environment (all optional):
//! - `BENCH_N` calls per sequential run (default 40000: 2-5 s per run on a 2-core machine),
//!   `BENCH_N_CONCURRENT` calls per concurrent run (default 2 × `BENCH_N`), `BENCH_ROUNDS`
//!   (default 5), `BENCH_TASKS` (default 64);
//! - `BENCH_CLIENT_THREADS` / `BENCH_SERVER_THREADS`: tokio worker threads of each side (default 1
//!   each: one core each on a 2-core machine);
//! - `BENCH_VARIANTS`: comma-separated variants to run (default `raw,raw_typed,facade`; `raw` is
//!   always run; `all` adds the diagnostic steps, see [`Variant`]);
//! - `BENCH_MAX_SECS`: the most one run may take before the bench fails (default 120).

mod common;

use std::fmt;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use feishu_vc::model::{ApiRequest, ApiResponse, ApplyReserveData, ApplyReserveRequest, Timestamp};
use feishu_vc::{CallOptions, Client};

use common::{env_secs, env_usize, median, range};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const TOKEN_PATH: &str = "/open-apis/auth/v3/tenant_access_token/internal";
const APPLY_PATH: &str = "/open-apis/vc/v1/reserves/apply";
const TOKEN_BODY: &str = r#"{"code":0,"msg":"ok","tenant_access_token":"t-bench","expire":7200}"#;
const BEARER: &str = "Bearer t-bench";
const REJECTED_BODY: &str = r#"{"code":99991663,"msg":"Invalid access token for authorization."}"#;
const JSON_UTF8: &str = "application/json; charset=utf-8";
/// The facade's default per-attempt timeout, for the `raw_timeout` step.
const FACADE_TIMEOUT: Duration = Duration::from_secs(30);
/// The name of the client runtime's threads, whose CPU time is measured.
const CLIENT_THREAD: &str = "bench-client";

// ---------------------------------------------------------------------------------------------
// The server.

/// What the server counts, and the apply answer it sends.
struct Shared {
    token_requests: AtomicU64,
    apply_requests: AtomicU64,
    bad_requests: AtomicU64,
    apply_body: Bytes,
}

async fn token(State(shared): State<Arc<Shared>>) -> Response {
    shared.token_requests.fetch_add(1, Ordering::Relaxed);
    ([(header::CONTENT_TYPE, "application/json")], TOKEN_BODY).into_response()
}

async fn apply(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    shared.apply_requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = request.into_parts();
    let authorised = parts
        .headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
        == Some(BEARER.as_bytes());
    let body = axum::body::to_bytes(body, 64 * 1024).await;
    if !authorised || !body.is_ok_and(|b| b.starts_with(b"{")) {
        shared.bad_requests.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            REJECTED_BODY,
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        shared.apply_body.clone(),
    )
        .into_response()
}

/// Starts the server on its own runtime; returns the runtime (drop it to stop the server) and its
/// base URL.
fn start_server(threads: usize, shared: Arc<Shared>) -> (tokio::runtime::Runtime, String) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("bench-server")
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let app = Router::new()
        .route(TOKEN_PATH, post(token))
        .route(APPLY_PATH, post(apply))
        .with_state(shared);
    runtime.spawn(async move { axum::serve(listener, app).await });
    (runtime, format!("http://{addr}"))
}

// ---------------------------------------------------------------------------------------------
// The clients.

/// What is measured. `raw` is the baseline and `facade` the subject; the steps between add, one at
/// a time, what the facade does beyond the raw loop, to tell what costs what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    /// reqwest, a pre-serialized body, a fixed `Authorization`, a prefix check of `"code":0`.
    Raw,
    /// `Raw` plus the per-request timeout the facade sets on every attempt (30 s).
    RawTimeout,
    /// `RawTimeout` plus building the body per call (clone + `to_http`) and decoding the answer into
    /// `ApiResponse<ApplyReserveData>`.
    RawTyped,
    /// `feishu_vc::transport::Transport::send`: the facade without validation or host check.
    Transport,
    /// `feishu_vc::Client` with `validation(false)`.
    FacadeNoValidation,
    /// `feishu_vc::Client`, defaults (validation on).
    Facade,
}

impl Variant {
    const ALL: [Variant; 6] = [
        Variant::Raw,
        Variant::RawTimeout,
        Variant::RawTyped,
        Variant::Transport,
        Variant::FacadeNoValidation,
        Variant::Facade,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Raw => "raw",
            Variant::RawTimeout => "raw_timeout",
            Variant::RawTyped => "raw_typed",
            Variant::Transport => "transport",
            Variant::FacadeNoValidation => "facade_novalidate",
            Variant::Facade => "facade",
        }
    }

    /// Whether the variant gets its token from the server (once per run).
    fn fetches_token(self) -> bool {
        matches!(
            self,
            Variant::Transport | Variant::FacadeNoValidation | Variant::Facade
        )
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything a run needs, prepared once.
struct Setup {
    base: String,
    url: reqwest::Url,
    body: Bytes,
    request: ApplyReserveRequest,
    shared: Arc<Shared>,
    max_run: Duration,
}

/// One run's result.
struct Sample {
    calls_per_sec: f64,
    /// CPU time of the client's threads per call, in microseconds.
    client_cpu_us: f64,
    /// How long building the run's client took, in milliseconds (not part of the calls/s).
    build_ms: f64,
    token_requests: u64,
}

/// CPU time so far of the client runtime's threads (named `bench-client`), in nanoseconds, from
/// `/proc/self/task/*/schedstat`; 0 where that is not available.
fn client_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|task| {
            let path = task.path();
            let comm = std::fs::read_to_string(path.join("comm")).ok()?;
            if comm.trim_end() != CLIENT_THREAD {
                return None;
            }
            let stat = std::fs::read_to_string(path.join("schedstat")).ok()?;
            stat.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum()
}

/// `n` split into `tasks` near-equal parts.
fn split(n: usize, tasks: usize) -> impl Iterator<Item = usize> {
    (0..tasks).map(move |i| n / tasks + usize::from(i < n % tasks))
}

fn raw_client() -> Result<reqwest::Client, BoxError> {
    // reqwest is built with rustls and no crypto provider of its own (the facade's `rustls`
    // feature): install the one the facade uses, as a program building its own client would.
    feishu_vc::transport::install_rustls_provider();
    Ok(reqwest::Client::builder().build()?)
}

fn facade_client(setup: &Setup, validation: bool) -> Result<Client, BoxError> {
    Ok(Client::builder()
        .app_credentials("cli_bench", "bench-secret")
        .base_url(&setup.base)
        .validation(validation)
        .build()?)
}

/// One raw call: the baseline, or with the steps of `RawTimeout` and `RawTyped`.
async fn raw_call(http: &reqwest::Client, setup: &Setup, variant: Variant) -> Result<(), BoxError> {
    let body = if variant == Variant::RawTyped {
        let http = setup.request.clone().to_http()?;
        Bytes::from(http.body.ok_or("no body")?)
    } else {
        setup.body.clone()
    };
    let mut request = http
        .post(setup.url.clone())
        .header(header::AUTHORIZATION, HeaderValue::from_static(BEARER))
        .header(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8))
        .body(body);
    if variant != Variant::Raw {
        request = request.timeout(FACADE_TIMEOUT);
    }
    let response = request.send().await?;
    let bytes = response.bytes().await?;
    if variant == Variant::RawTyped {
        let envelope: ApiResponse<ApplyReserveData> = serde_json::from_slice(&bytes)?;
        if envelope.code != 0 || envelope.data.and_then(|d| d.reserve).is_none() {
            return Err("no reservation in the answer".into());
        }
    } else if !bytes.starts_with(br#"{"code":0,"#) {
        return Err(format!("unexpected answer: {}", String::from_utf8_lossy(&bytes)).into());
    }
    black_box(bytes);
    Ok(())
}

/// Runs `count` calls of `variant` one after another.
async fn task(
    variant: Variant,
    setup: Arc<Setup>,
    http: Option<reqwest::Client>,
    client: Option<Client>,
    count: usize,
) -> Result<(), BoxError> {
    match (http, client) {
        (Some(http), _) => {
            for _ in 0..count {
                raw_call(&http, &setup, variant).await?;
            }
        }
        (None, Some(client)) if variant == Variant::Transport => {
            let options = CallOptions::new();
            for _ in 0..count {
                let request = setup.request.clone();
                let response = client.transport().send(&request, &options).await?;
                let response: feishu_vc::Response<ApplyReserveData> = response;
                if response.data.reserve.is_none() {
                    return Err("no reservation in the answer".into());
                }
                black_box(response);
            }
        }
        (None, Some(client)) => {
            for _ in 0..count {
                // The facade fails a booking whose answer has no reservation id.
                let response = client.reserves().apply(setup.request.clone()).await?;
                black_box(response);
            }
        }
        (None, None) => unreachable!("a run has a client"),
    }
    Ok(())
}

/// One run: a fresh client, `n` calls over `tasks` tasks, timed from the first call to the last
/// answer (the facade's token fetch included).
async fn run(
    variant: Variant,
    setup: &Arc<Setup>,
    n: usize,
    tasks: usize,
) -> Result<Sample, BoxError> {
    let building = Instant::now();
    let (http, client) = match variant {
        Variant::Raw | Variant::RawTimeout | Variant::RawTyped => (Some(raw_client()?), None),
        Variant::Transport | Variant::Facade => (None, Some(facade_client(setup, true)?)),
        Variant::FacadeNoValidation => (None, Some(facade_client(setup, false)?)),
    };
    let build_ms = building.elapsed().as_secs_f64() * 1000.0;
    let tokens_before = setup.shared.token_requests.load(Ordering::SeqCst);
    let applies_before = setup.shared.apply_requests.load(Ordering::SeqCst);
    let cpu_before = client_cpu_ns();
    let started = Instant::now();
    let mut handles: Vec<_> = split(n, tasks)
        .map(|count| {
            tokio::spawn(task(
                variant,
                setup.clone(),
                http.clone(),
                client.clone(),
                count,
            ))
        })
        .collect();
    let joined = tokio::time::timeout(setup.max_run, async {
        for handle in &mut handles {
            handle.await??;
        }
        Ok::<(), BoxError>(())
    })
    .await;
    let elapsed = started.elapsed();
    let cpu = client_cpu_ns().saturating_sub(cpu_before);
    let outcome = match joined {
        Ok(result) => result,
        Err(_) => Err(format!("{variant}: the run took longer than {:?}", setup.max_run).into()),
    };
    if outcome.is_err() {
        for handle in &handles {
            handle.abort();
        }
    }
    outcome?;
    let token_requests = setup.shared.token_requests.load(Ordering::SeqCst) - tokens_before;
    let applies = setup.shared.apply_requests.load(Ordering::SeqCst) - applies_before;
    assert_eq!(
        applies, n as u64,
        "{variant}: the server saw {applies} applies"
    );
    let expected_tokens = u64::from(variant.fetches_token());
    assert_eq!(
        token_requests, expected_tokens,
        "{variant}: {token_requests} token requests in one run"
    );
    Ok(Sample {
        calls_per_sec: n as f64 / elapsed.as_secs_f64(),
        client_cpu_us: cpu as f64 / 1000.0 / n as f64,
        build_ms,
        token_requests,
    })
}

// ---------------------------------------------------------------------------------------------
// The rounds and the report.

struct Mode {
    name: &'static str,
    tasks: usize,
    n: usize,
}

/// Per mode and variant: calls/s, ratio to `raw` in the same round, token requests, per round.
#[derive(Default, Clone)]
struct Series {
    calls_per_sec: Vec<f64>,
    ratio: Vec<f64>,
    /// Ratio to `raw_typed` in the same round.
    ratio_typed: Vec<f64>,
    cpu_us: Vec<f64>,
    build_ms: Vec<f64>,
    tokens: Vec<u64>,
}

fn variants_from_env() -> Vec<Variant> {
    let spec =
        std::env::var("BENCH_VARIANTS").unwrap_or_else(|_| "raw,raw_typed,facade".to_owned());
    if spec.trim() == "all" {
        return Variant::ALL.to_vec();
    }
    let mut chosen: Vec<Variant> = spec
        .split(',')
        .map(|name| {
            Variant::ALL
                .into_iter()
                .find(|v| v.name() == name.trim())
                .unwrap_or_else(|| panic!("unknown variant {name:?} in BENCH_VARIANTS"))
        })
        .collect();
    if !chosen.contains(&Variant::Raw) {
        chosen.insert(0, Variant::Raw);
    }
    chosen
}

/// The table the target is stated on: baseline `raw_typed` against the subject `facade`.
fn print_main_table(
    modes: &[Mode],
    series: &[Vec<Series>],
    (typed, facade): (usize, usize),
    rounds: usize,
) {
    println!();
    println!(
        "| mode | calls per run | baseline: reqwest + typed body and answer (`raw_typed`), calls/s | subject: feishu_vc::Client, calls/s | ratio (median of {rounds}) | ratio min–max | ratio to bare `raw` (median) | client CPU per call, baseline / subject (µs) | token requests per subject run |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (m, mode) in modes.iter().enumerate() {
        let baseline = &series[m][typed];
        let subject = &series[m][facade];
        let (lo, hi) = range(&subject.ratio_typed);
        let mut tokens = subject.tokens.clone();
        tokens.dedup();
        let tokens: Vec<String> = tokens.iter().map(u64::to_string).collect();
        let label = if mode.tasks == 1 {
            "sequential".to_owned()
        } else {
            format!("{} concurrent tasks", mode.tasks)
        };
        println!(
            "| {label} | {} | {:.0} | {:.0} | {:.3} | {lo:.3}–{hi:.3} | {:.3} | {:.1} / {:.1} | {} |",
            mode.n,
            median(&baseline.calls_per_sec),
            median(&subject.calls_per_sec),
            median(&subject.ratio_typed),
            median(&subject.ratio),
            median(&baseline.cpu_us),
            median(&subject.cpu_us),
            tokens.join(", "),
        );
    }
    let builds = |i: usize| -> Vec<f64> {
        series
            .iter()
            .flat_map(|per_mode| per_mode[i].build_ms.iter().copied())
            .collect()
    };
    println!();
    println!(
        "Building the client, outside the timed calls (median of {} runs): `reqwest::Client` {:.1} ms, `feishu_vc::Client` {:.1} ms.",
        rounds * modes.len(),
        median(&builds(0)),
        median(&builds(facade)),
    );
}

fn main() -> Result<(), BoxError> {
    let n = env_usize("BENCH_N", 40_000);
    let n_concurrent = env_usize("BENCH_N_CONCURRENT", 2 * n);
    let rounds = env_usize("BENCH_ROUNDS", 5);
    let tasks = env_usize("BENCH_TASKS", 64);
    let client_threads = env_usize("BENCH_CLIENT_THREADS", 1);
    let server_threads = env_usize("BENCH_SERVER_THREADS", 1);
    let max_run = env_secs("BENCH_MAX_SECS", 120);
    let variants = variants_from_env();

    let shared = Arc::new(Shared {
        token_requests: AtomicU64::new(0),
        apply_requests: AtomicU64::new(0),
        bad_requests: AtomicU64::new(0),
        apply_body: Bytes::from(serde_json::to_vec(&common::schema_seed(APPLY_PATH, true))?),
    });
    let (server, base) = start_server(server_threads, shared.clone());

    let end_time = Timestamp::now()
        .checked_add(Duration::from_secs(2 * 3600))
        .ok_or("end time")?;
    let request = common::seed_request(end_time);
    let body = Bytes::from(request.to_http()?.body.ok_or("apply has a body")?);
    let setup = Arc::new(Setup {
        url: reqwest::Url::parse(&format!("{base}{APPLY_PATH}"))?,
        base,
        body,
        request,
        shared: shared.clone(),
        max_run,
    });

    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(client_threads)
        .thread_name(CLIENT_THREAD)
        .enable_all()
        .build()?;

    let modes = [
        Mode {
            name: "sequential",
            tasks: 1,
            n,
        },
        Mode {
            name: "concurrent",
            tasks,
            n: n_concurrent,
        },
    ];
    let names: Vec<&str> = variants.iter().map(|v| v.name()).collect();
    eprintln!(
        "throughput: {rounds} rounds; sequential N={n}, concurrent N={n_concurrent} over {tasks} \
         tasks; client threads {client_threads}, server threads {server_threads}; variants {}",
        names.join(",")
    );

    let typed_index = variants.iter().position(|v| *v == Variant::RawTyped);
    let mut series = vec![vec![Series::default(); variants.len()]; modes.len()];
    client_runtime.block_on(async {
        // Warm-up: connections, allocator, caches; not recorded.
        for mode in &modes {
            for &variant in &variants {
                run(variant, &setup, (mode.n / 10).max(mode.tasks), mode.tasks).await?;
            }
        }
        for round in 0..rounds {
            for (m, mode) in modes.iter().enumerate() {
                let mut order: Vec<usize> = (0..variants.len()).collect();
                order.rotate_left(round % variants.len());
                let mut rate = vec![0.0; variants.len()];
                for &i in &order {
                    let sample = run(variants[i], &setup, mode.n, mode.tasks).await?;
                    rate[i] = sample.calls_per_sec;
                    series[m][i].tokens.push(sample.token_requests);
                    series[m][i].cpu_us.push(sample.client_cpu_us);
                    series[m][i].build_ms.push(sample.build_ms);
                }
                let raw = rate[0];
                let typed = typed_index.map(|t| rate[t]);
                for (i, r) in rate.iter().enumerate() {
                    series[m][i].calls_per_sec.push(*r);
                    series[m][i].ratio.push(*r / raw);
                    if let Some(typed) = typed {
                        series[m][i].ratio_typed.push(*r / typed);
                    }
                }
                let line: Vec<String> = variants
                    .iter()
                    .zip(&rate)
                    .map(|(v, r)| format!("{v} {r:.0}/s"))
                    .collect();
                eprintln!("round {} {:<10} {}", round + 1, mode.name, line.join("  "));
            }
        }
        Ok::<(), BoxError>(())
    })?;
    assert_eq!(
        shared.bad_requests.load(Ordering::SeqCst),
        0,
        "the server refused requests"
    );

    let facade = variants.iter().position(|v| *v == Variant::Facade);
    if let (Some(typed), Some(facade)) = (typed_index, facade) {
        print_main_table(&modes, &series, (typed, facade), rounds);
    }
    if variants.len() != 3 {
        println!();
        println!(
            "| mode | variant | calls/s (median) | ratio to raw (median of {rounds}) | ratio min–max | client CPU per call (µs, median) |"
        );
        println!("| --- | --- | ---: | ---: | ---: | ---: |");
        for (m, mode) in modes.iter().enumerate() {
            for (i, variant) in variants.iter().enumerate() {
                let s = &series[m][i];
                let (lo, hi) = range(&s.ratio);
                println!(
                    "| {} | {variant} | {:.0} | {:.3} | {lo:.3}–{hi:.3} | {:.1} |",
                    mode.name,
                    median(&s.calls_per_sec),
                    median(&s.ratio),
                    median(&s.cpu_us),
                );
            }
        }
    }
    server.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}
