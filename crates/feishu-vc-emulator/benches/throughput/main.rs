//! Requests per second the emulator serves for apply and get, against a trivial axum server
//! answering fixed bodies on the same routes, measured in the same run.
//!
//! ```sh
//! cargo bench -p feishu-vc-emulator --bench throughput
//! ```
//!
//! Setup (identical for both servers):
//! - **Where things run.** Server and load generator share this process, each on its own tokio
//!   runtime: every server on a multi-thread runtime with 1 worker thread (named `srv-baseline` /
//!   `srv-emulator`), the load generator on another with 1 worker thread (`bench-client`). On a
//!   2-core machine that is one core each; the two servers of a round run side by side but only
//!   the one being measured has work. Loopback only (127.0.0.1, port 0).
//! - **Baseline.** An axum router (the workspace's axum) with `POST /open-apis/vc/v1/reserves/apply`
//!   and `GET /open-apis/vc/v1/reserves/{reserve_id}`; apply reads the body, both answer a fixed
//!   JSON body (the schema's apply `seed` response and get `full_reserve` response from
//!   `docs/schema/vc-reserve.openapi.json`, compact) with a fixed `x-tt-logid` header, as the
//!   emulator sends one. No token check, no parsing, no state.
//! - **Subject.** `Emulator::builder().rate_limit(false).start()` (state in memory) started on
//!   the server runtime.
//! - **Load.** One `reqwest::Client` per server and round (keep-alive, no proxy), `BENCH_TASKS`
//!   tasks (64) taking request numbers from a shared counter until `BENCH_N` (20000) requests
//!   are sent or `BENCH_MAX_SECS` (60) have passed. Every request carries the same pre-made
//!   `Authorization: Bearer <tenant token minted by the emulator>` (the baseline ignores it) and,
//!   for apply, the same pre-serialized body: Lark's apply request example (`seed`) with
//!   `end_time` one hour after `emulator.now()` and owner Alice. Get reads `BENCH_GET_SET` (256)
//!   reservations booked beforehand, round-robin. A response counts when it is HTTP 200 and its
//!   body begins with `{"code":0,`; any other answer or transport error makes the run invalid
//!   (the bench fails).
//! - **Rounds.** `BENCH_ROUNDS` (5) rounds; each starts a fresh baseline and a fresh emulator,
//!   warms both up (`BENCH_WARMUP`, 2000 requests each for apply and get, not measured), then
//!   measures apply on both and get on both, baseline first in even rounds and emulator first
//!   in odd rounds. Reported: median requests/s of each server, and the median of the per-round
//!   ratios emulator ÷ baseline; as diagnostics, CPU time per request of the server's worker
//!   thread and of the client's (from `/proc/self/task/*/schedstat`, kernel time included), and
//!   the median of the per-round ratios baseline server CPU ÷ emulator server CPU per request.
//!
//! The rate ratio is the share of the baseline's request rate that the emulator keeps under this
//! load. Both sides are bounded by the slower of the two cores: when the baseline server is
//! faster than the client (it is: the client spends more CPU per request than the baseline
//! server), the baseline rate is the client's limit, and the rate ratio understates how much more
//! server time the emulator spends. The server CPU ratio is the rate ratio the emulator would get
//! if the client cost nothing: its server-side capacity relative to the baseline. On a busy
//! shared machine neither thread may be saturated (each run's `busy` share is printed): the rates
//! are then set by the CPU the process gets, and the rate ratio follows the ratio of client +
//! server CPU per request.

use std::time::Duration;

use axum::body::Bytes;
use feishu_vc_emulator::DEMO_USER_ALICE;
use serde_json::json;

#[path = "../common/mod.rs"]
mod common;
mod drive;
mod server;

use common::{env_usize, server_runtime};
use drive::*;
use server::*;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub(crate) const APPLY_PATH: &str = "/open-apis/vc/v1/reserves/apply";
pub(crate) const RESERVE_PATH: &str = "/open-apis/vc/v1/reserves/{reserve_id}";
/// What every successful answer begins with (`ApiResponse` serializes `code` first, and the
/// fixed bodies are serialized by serde_json with sorted keys).
pub(crate) const OK_PREFIX: &[u8] = br#"{"code":0,"#;
/// The baseline's fixed log id: as long as the emulator's (14 + 20 characters).
pub(crate) const FIXED_LOG_ID: &str = "2020122509342700000000010123456789";
pub(crate) const CLIENT_THREAD: &str = "bench-client";

// ---------------------------------------------------------------------------------------------
// Settings.

#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    pub(crate) n: usize,
    pub(crate) rounds: usize,
    pub(crate) tasks: usize,
    pub(crate) warmup: usize,
    pub(crate) get_set: usize,
    pub(crate) max: Duration,
}

impl Settings {
    fn from_env() -> Self {
        Self {
            n: env_usize("BENCH_N", 20_000).min(1_000_000),
            rounds: env_usize("BENCH_ROUNDS", 5).min(50),
            tasks: env_usize("BENCH_TASKS", 64).min(1024),
            warmup: env_usize("BENCH_WARMUP", 2_000).min(100_000),
            get_set: env_usize("BENCH_GET_SET", 256).min(10_000),
            max: Duration::from_secs(env_usize("BENCH_MAX_SECS", 60).min(600) as u64),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Report.

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

fn range(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        })
}

/// The share of `elapsed` a thread spent on CPU.
fn busy(cpu: Option<Duration>, elapsed: Duration) -> String {
    cpu.map_or_else(
        || "n/a".to_owned(),
        |c| format!("{:.0}%", 100.0 * c.as_secs_f64() / elapsed.as_secs_f64()),
    )
}

/// `/proc/loadavg`'s 1-minute load average.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "n/a".to_owned())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn us(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"))
}

/// Per operation and server: every round's run.
#[derive(Default)]
struct Results {
    runs: [[Vec<Run>; 2]; 2],
}

fn main() -> Result<(), BoxError> {
    let settings = Settings::from_env();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(CLIENT_THREAD)
        .enable_all()
        .build()?;
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    eprintln!(
        "emulator throughput: {} rounds, {} requests per run, {} tasks, warm-up {}, get set {}, \
         at most {:?} per run; nproc {nproc}",
        settings.rounds,
        settings.n,
        settings.tasks,
        settings.warmup,
        settings.get_set,
        settings.max
    );
    let load_before = load_average();
    let mut results = Results::default();
    let mut timed_out = false;
    let warm = Settings {
        n: settings.warmup.min(settings.n),
        ..settings
    };
    for round in 0..settings.rounds {
        let baseline = Server::baseline();
        let emulator = Server::emulator();
        let em = emulator.emulator.as_ref().expect("the emulator");
        let token = emulator
            .runtime
            .block_on(em.mint_tenant_token())?
            .expose_secret()
            .to_owned();
        let end_time = em.now().unix_seconds() + 3600;
        let apply_body = Bytes::from(serde_json::to_vec(&json!({
            "end_time": end_time.to_string(),
            "owner_id": DEMO_USER_ALICE,
            "meeting_settings": {
                "topic": "my meeting",
                "action_permissions": [{
                    "permission": 1,
                    "permission_checkers": [{
                        "check_field": 1,
                        "check_mode": 1,
                        "check_list": [DEMO_USER_ALICE]
                    }]
                }],
                "meeting_initial_type": 1,
                "meeting_connect": true,
                "call_setting": {
                    "callee": {
                        "id": DEMO_USER_ALICE,
                        "user_type": 1,
                        "pstn_sip_info": {"nickname": "dodo", "main_address": "+86-02187654321"}
                    }
                },
                "auto_record": true,
                "assign_host_list": [{"user_type": 1, "id": DEMO_USER_ALICE}],
                "password": "971024"
            }
        }))?);
        let servers = [baseline, emulator];
        let plans = [
            plan(&client_rt, &servers[0], &token, &apply_body, &settings)?,
            plan(&client_rt, &servers[1], &token, &apply_body, &settings)?,
        ];
        for (server, plan) in servers.iter().zip(&plans) {
            for op in [Op::Apply, Op::Get] {
                let run = measure(&client_rt, server, plan, op, &warm);
                if run.tally.failed > 0 {
                    return Err(format!(
                        "warm-up {} {}: {} failures, first: {}",
                        server.label(),
                        op.name(),
                        run.tally.failed,
                        run.tally.first_failure.unwrap_or_default()
                    )
                    .into());
                }
            }
        }
        let order: [usize; 2] = if round.is_multiple_of(2) {
            [0, 1]
        } else {
            [1, 0]
        };
        for (o, op) in [Op::Apply, Op::Get].into_iter().enumerate() {
            for s in order {
                let run = measure(&client_rt, &servers[s], &plans[s], op, &settings);
                eprintln!(
                    "round {} {:5} {}: {:>7} req/s ({} ok in {:.2} s{}; {:.0} B/answer; \
                     server {} µs/req, busy {}; client {} µs/req, busy {})",
                    round + 1,
                    op.name(),
                    servers[s].label(),
                    thousands(run.rate()),
                    run.tally.ok,
                    run.elapsed.as_secs_f64(),
                    if run.timed_out { ", time-bounded" } else { "" },
                    run.tally.body_bytes as f64 / run.tally.ok.max(1) as f64,
                    us(Run::per_request(run.server_cpu, run.tally.ok)),
                    busy(run.server_cpu, run.elapsed),
                    us(Run::per_request(run.client_cpu, run.tally.ok)),
                    busy(run.client_cpu, run.elapsed),
                );
                if run.tally.failed > 0 {
                    return Err(format!(
                        "invalid run: {} {} had {} failures, first: {}",
                        servers[s].label(),
                        op.name(),
                        run.tally.failed,
                        run.tally.first_failure.unwrap_or_default()
                    )
                    .into());
                }
                timed_out |= run.timed_out;
                results.runs[o][s].push(run);
            }
        }
        drop(plans);
        let [baseline, emulator] = servers;
        emulator.stop();
        baseline.stop();
    }

    println!();
    println!(
        "| operation | baseline req/s | emulator req/s | emulator / baseline | \
         server CPU µs/req (baseline / emulator) | server CPU ratio baseline / emulator | \
         client CPU µs/req (baseline / emulator) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (o, op) in [Op::Apply, Op::Get].into_iter().enumerate() {
        let rates = |s: usize| -> Vec<f64> { results.runs[o][s].iter().map(Run::rate).collect() };
        let (base, emu) = (rates(0), rates(1));
        let ratios: Vec<f64> = base.iter().zip(&emu).map(|(b, e)| e / b).collect();
        let cpu = |s: usize, client: bool| -> Option<f64> {
            let per: Option<Vec<f64>> = results.runs[o][s]
                .iter()
                .map(|r| {
                    Run::per_request(if client { r.client_cpu } else { r.server_cpu }, r.tally.ok)
                })
                .collect();
            per.map(|p| median(&p))
        };
        // Per round: the baseline server's CPU time per request over the emulator's, the rate
        // ratio the emulator would reach if the client cost nothing.
        let cpu_ratios: Option<Vec<f64>> = results.runs[o][0]
            .iter()
            .zip(&results.runs[o][1])
            .map(|(b, e)| {
                let b = Run::per_request(b.server_cpu, b.tally.ok)?;
                let e = Run::per_request(e.server_cpu, e.tally.ok)?;
                Some(b / e)
            })
            .collect();
        let cpu_ratio = cpu_ratios.map_or_else(
            || "n/a".to_owned(),
            |r| {
                let (lo, hi) = range(&r);
                format!("{:.2} ({lo:.2}–{hi:.2})", median(&r))
            },
        );
        let (blo, bhi) = range(&base);
        let (elo, ehi) = range(&emu);
        let (rlo, rhi) = range(&ratios);
        println!(
            "| {} | {} ({}–{}) | {} ({}–{}) | **{:.2}** ({:.2}–{:.2}) | {} / {} | {} | {} / {} |",
            op.name(),
            thousands(median(&base)),
            thousands(blo),
            thousands(bhi),
            thousands(median(&emu)),
            thousands(elo),
            thousands(ehi),
            median(&ratios),
            rlo,
            rhi,
            us(cpu(0, false)),
            us(cpu(1, false)),
            cpu_ratio,
            us(cpu(0, true)),
            us(cpu(1, true)),
        );
    }
    println!();
    println!(
        "Medians of {} interleaved rounds (min–max in parentheses); ratio: median of the per-round \
         ratios. {} requests per run, {} concurrent tasks on one keep-alive reqwest client. \
         Server and client in one process, each on a tokio runtime with 1 worker thread. \
         nproc {nproc}, CPU: {}; 1-minute load average {load_before} before, {} after.{}",
        settings.rounds,
        settings.n,
        settings.tasks,
        cpu_model(),
        load_average(),
        if timed_out {
            " Some runs hit the time bound (fewer requests than N)."
        } else {
            ""
        }
    );
    Ok(())
}
