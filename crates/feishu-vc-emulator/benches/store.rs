//! Median apply latency of the emulator with its state store, against the same emulator in
//! memory, both holding 10,000 reservations, measured in the same run.
//!
//! ```sh
//! cargo bench -p feishu-vc-emulator --bench store
//! ```
//!
//! Setup:
//! - **Servers.** Three emulators, each on its own tokio runtime with one worker thread, started
//!   side by side: `memory` (state in memory), `store-10k` (state in a database in a fresh
//!   temporary directory under `BENCH_STORE_DIR`, default the system's temp dir) and
//!   `store-small` (another database). `memory` and `store-10k` are filled with
//!   `BENCH_STORE_PREFILL` (10,000) applies first, through HTTP, 64 at a time; `store-small` holds
//!   only what the warm-up books, so comparing the two stores shows whether the cost of a change
//!   grows with what is stored.
//! - **Load.** One `reqwest::Client` per server (keep-alive), on a client runtime with one worker
//!   thread, sending the same pre-serialized apply body (a one-hour meeting owned by Alice) with a
//!   tenant token minted by that emulator. Each answer must be HTTP 200 with `{"code":0,`, or the
//!   bench fails.
//! - **Measures.** For each of `BENCH_STORE_ROUNDS` (5) rounds, and each server in turn (the order
//!   rotates each round): `BENCH_STORE_N` (2000) applies from 64 concurrent tasks, the latency of
//!   each recorded from send to the end of its body; then 200 applies one at a time. Reported:
//!   the median latency of each server over all rounds, under load and one at a time, and the
//!   median (min–max) of the per-round ratios store ÷ memory.
//!
//! Each acknowledged change in a store has been fsynced (SQLite `synchronous=FULL`). One at a
//! time, an apply therefore pays a whole fsync of the disk; under load, one fsync acknowledges
//! every change committed together, which is what the 64-task figures show.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use feishu_vc_emulator::{DEMO_USER_ALICE, Emulator};
use serde_json::json;
use tokio::runtime::Runtime;

mod common;
use common::{env_usize, server_runtime};

const OK_PREFIX: &[u8] = br#"{"code":0,"#;
const TASKS: usize = 64;
const ONE_AT_A_TIME: usize = 200;
const WARMUP: usize = 500;

/// An emulator on its own runtime, and what a client needs to apply on it.
struct Server {
    name: &'static str,
    runtime: Runtime,
    emulator: Option<Emulator>,
    apply_url: reqwest::Url,
    auth: HeaderValue,
    body: Bytes,
}

impl Server {
    fn start(name: &'static str, store: Option<std::path::PathBuf>) -> Self {
        let runtime = server_runtime(name);
        let (emulator, token) = runtime.block_on(async {
            let mut builder = Emulator::builder();
            if let Some(store) = store {
                builder = builder.state_file(store);
            }
            let emulator = builder.start().await.expect("start the emulator");
            let token = emulator.mint_tenant_token().await.expect("token");
            (emulator, token)
        });
        let end = emulator.now().unix_seconds() + 3600;
        let body = json!({
            "end_time": end.to_string(),
            "owner_id": DEMO_USER_ALICE,
            "meeting_settings": {"topic": "bench", "password": "971024"},
        });
        Self {
            name,
            apply_url: format!("{}/open-apis/vc/v1/reserves/apply", emulator.base_url())
                .parse()
                .expect("url"),
            auth: HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .expect("header"),
            body: Bytes::from(serde_json::to_vec(&body).expect("body")),
            emulator: Some(emulator),
            runtime,
        }
    }

    fn stored(&self) -> usize {
        self.emulator
            .as_ref()
            .map_or(0, |e| e.state().reservations.len())
    }

    fn stop(mut self) {
        if let Some(emulator) = self.emulator.take() {
            let _ = self.runtime.block_on(emulator.shutdown());
        }
        self.runtime.shutdown_timeout(Duration::from_secs(2));
    }
}

/// Sends `n` applies from `tasks` concurrent tasks; returns each one's latency.
async fn applies(
    client: &reqwest::Client,
    server: &Server,
    n: usize,
    tasks: usize,
) -> Vec<Duration> {
    let issued = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let client = client.clone();
            let issued = issued.clone();
            let url = server.apply_url.clone();
            let auth = server.auth.clone();
            let body = server.body.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while issued.fetch_add(1, Ordering::Relaxed) < n {
                    let started = Instant::now();
                    let response = client
                        .post(url.clone())
                        .header(header::AUTHORIZATION, auth.clone())
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("send");
                    let status = response.status();
                    let bytes = response.bytes().await.expect("body");
                    assert!(
                        status.is_success() && bytes.starts_with(OK_PREFIX),
                        "apply failed: {status} {}",
                        String::from_utf8_lossy(&bytes)
                    );
                    latencies.push(started.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::with_capacity(n);
    for handle in handles {
        all.extend(handle.await.expect("task"));
    }
    all
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort_unstable();
    values[values.len() / 2]
}

/// `median (min–max)` of per-round ratios.
fn ratio_summary(mut values: Vec<f64>) -> String {
    values.sort_unstable_by(f64::total_cmp);
    format!(
        "{:.2} ({:.2}–{:.2})",
        values[values.len() / 2],
        values[0],
        values[values.len() - 1]
    )
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let prefill = env_usize("BENCH_STORE_PREFILL", 10_000).min(1_000_000);
    let n = env_usize("BENCH_STORE_N", 2_000).min(1_000_000);
    let rounds = env_usize("BENCH_STORE_ROUNDS", 5).min(50);
    let base = std::env::var_os("BENCH_STORE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("feishu-vc-store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench directory");

    let servers = [
        Server::start("memory", None),
        Server::start("store-10k", Some(dir.join("big.db"))),
        Server::start("store-small", Some(dir.join("small.db"))),
    ];
    let client_rt = server_runtime("bench-client");
    feishu_vc_transport::install_rustls_provider();
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(TASKS)
        .build()
        .expect("client");
    client_rt.block_on(async {
        for server in &servers[..2] {
            applies(&client, server, prefill, TASKS).await;
        }
        for server in &servers {
            applies(&client, server, WARMUP, TASKS).await;
        }
    });
    println!(
        "stored before measuring: memory {}, store-10k {}, store-small {} (in {})",
        servers[0].stored(),
        servers[1].stored(),
        servers[2].stored(),
        dir.display()
    );

    let mut loaded: [Vec<Duration>; 3] = Default::default();
    let mut single: [Vec<Duration>; 3] = Default::default();
    let mut ratios_loaded = [Vec::new(), Vec::new()];
    let mut ratios_single = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let mut round_loaded = [Duration::ZERO; 3];
        let mut round_single = [Duration::ZERO; 3];
        for k in 0..servers.len() {
            let i = (k + round) % servers.len();
            let (l, s) = client_rt.block_on(async {
                (
                    applies(&client, &servers[i], n, TASKS).await,
                    applies(&client, &servers[i], ONE_AT_A_TIME, 1).await,
                )
            });
            round_loaded[i] = median(l.clone());
            round_single[i] = median(s.clone());
            loaded[i].extend(l);
            single[i].extend(s);
        }
        for j in 0..2 {
            ratios_loaded[j]
                .push(round_loaded[j + 1].as_secs_f64() / round_loaded[0].as_secs_f64());
            ratios_single[j]
                .push(round_single[j + 1].as_secs_f64() / round_single[0].as_secs_f64());
        }
        println!(
            "round {round}: median apply µs under load {:.0} / {:.0} / {:.0}, one at a time {:.0} / {:.0} / {:.0} (memory / store-10k / store-small)",
            micros(round_loaded[0]),
            micros(round_loaded[1]),
            micros(round_loaded[2]),
            micros(round_single[0]),
            micros(round_single[1]),
            micros(round_single[2]),
        );
    }
    println!();
    println!(
        "| apply latency, median | memory | store, 10,000 stored | store, few stored | store-10k / memory | store-small / memory |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for (label, all, ratios) in [
        ("64 concurrent", &loaded, &ratios_loaded),
        ("one at a time", &single, &ratios_single),
    ] {
        println!(
            "| {label} | {:.0} µs | {:.0} µs | {:.0} µs | {} | {} |",
            micros(median(all[0].clone())),
            micros(median(all[1].clone())),
            micros(median(all[2].clone())),
            ratio_summary(ratios[0].clone()),
            ratio_summary(ratios[1].clone()),
        );
    }
    println!(
        "stored after: memory {}, store-10k {}, store-small {}",
        servers[0].stored(),
        servers[1].stored(),
        servers[2].stored()
    );
    for server in servers {
        let name = server.name;
        server.stop();
        let _ = name;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
