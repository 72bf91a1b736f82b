//! The fleet of `tests/it/fleet.rs` with and without Redis, side by side: 8 clients booking 600
//! meetings against the emulator with Feishu's documented limit (50/s, 1000/min per app, tenant and
//! operation). Prints token requests, 429 answers, time and rate of each run.
//!
//! `cargo bench -p feishu-vc-redis --bench fleet` (needs `redis-server` on PATH).

#[path = "../tests/it/support.rs"]
mod support;

use feishu_vc_emulator::Emulator;
use support::{CountingProxy, RedisServer, client, run_fleet, topics};

const CLIENTS: usize = 8;
const MEETINGS: usize = 600;

async fn run(label: &str, server: Option<&RedisServer>) {
    let emulator = Emulator::builder().rate_limit(true).start().await.unwrap();
    let proxy = CountingProxy::start(emulator.base_url()).await;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let redis = server.map(|s| s.handle("bench"));
            client(
                &proxy.url,
                emulator.app_id(),
                emulator.app_secret(),
                redis.as_ref(),
            )
        })
        .collect();
    let fleet = run_fleet(&clients, MEETINGS, 8).await;
    let booked = topics(&emulator, "fleet-");
    let twice = booked.values().filter(|n| **n > 1).count();
    println!(
        "| {label} | {} | {} | {} | {} | {:.2} | {:.1} |",
        fleet.booked,
        twice,
        proxy.token_requests(),
        proxy.throttled(),
        fleet.elapsed.as_secs_f64(),
        MEETINGS as f64 / fleet.elapsed.as_secs_f64()
    );
    emulator.shutdown().await.unwrap();
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        println!(
            "{CLIENTS} clients, {MEETINGS} bookings, emulator limited to 50/s and 1000/min\n\n\
             | run | booked | booked twice | token requests | 429 answers | seconds | bookings/s |\n\
             |---|---|---|---|---|---|---|"
        );
        let server = RedisServer::start();
        run("through Redis", Some(&server)).await;
        run("without Redis", None).await;
    });
}
