//! Memory and time of a call whose answer is 64 MB of HTML, through `feishu_vc::Client` with its
//! default body limit, against the same client told to read any size (`max_body_bytes(usize::MAX)`,
//! the baseline: what reading the whole body costs), in the same run. Peak RSS growth per call is
//! read from `/proc/self/status` (Linux) after resetting the peak. See docs/benchmarks.md.

mod common;
#[path = "../../feishu-vc-transport/tests/it/raw_server.rs"]
mod raw_server;
#[path = "../tests/big_answer/server.rs"]
mod server;

use std::future::IntoFuture;
use std::time::Duration;

use feishu_vc::{Client, RetryPolicy};

const BODY: u64 = 64 << 20;

fn call(runtime: &tokio::runtime::Runtime, base: &str, limit: Option<usize>) -> server::Cost {
    let mut builder = Client::builder()
        .base_url(base)
        .timeout(Duration::from_secs(60))
        .retry(RetryPolicy::none());
    if let Some(limit) = limit {
        builder = builder.max_body_bytes(limit);
    }
    let client = builder.build().expect("client");
    let (result, cost) = server::measure(|| {
        runtime.block_on(
            client
                .reserves()
                .get("6911188411934973028")
                .with_tenant_access_token("t-bench")
                .into_future(),
        )
    });
    let err = result.expect_err("a 502 HTML page is an error");
    assert!(
        err.is_body_too_large() == limit.is_none(),
        "unexpected error: {err}"
    );
    cost
}

/// Runs one measured call in this process and prints `<peak RSS growth bytes> <elapsed ns>`.
fn child(limit: Option<usize>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let base = runtime.block_on(server::start(BODY, false));
    // Warm-up: runtime, connection setup, allocator pools (with the default limit).
    call(&runtime, &base, None);
    let cost = call(&runtime, &base, limit);
    println!("{} {}", cost.peak_rss_growth, cost.elapsed.as_nanos());
}

/// Runs [`child`] in a fresh process, so that no earlier sample's memory hides this one's.
fn sample(whole: bool) -> (f64, f64) {
    let out = std::process::Command::new(std::env::current_exe().expect("own path"))
        .env(CHILD, if whole { "whole" } else { "capped" })
        .output()
        .expect("child runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("text");
    let mut fields = text
        .split_whitespace()
        .map(|f| f.parse::<f64>().expect("number"));
    let bytes = fields.next().expect("bytes");
    let nanos = fields.next().expect("nanos");
    (bytes / (1 << 20) as f64, nanos / 1e6)
}

const CHILD: &str = "BIG_ANSWER_CHILD";

fn main() {
    match std::env::var(CHILD).as_deref() {
        Ok("capped") => return child(None),
        Ok("whole") => return child(Some(usize::MAX)),
        _ => {}
    }
    let samples = common::env_usize("BENCH_SAMPLES", 5);
    let (mut capped, mut whole) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        capped.push(sample(false));
        whole.push(sample(true));
    }
    let report = |name: &str, runs: &[(f64, f64)]| {
        let mb: Vec<f64> = runs.iter().map(|r| r.0).collect();
        let ms: Vec<f64> = runs.iter().map(|r| r.1).collect();
        let (lo, hi) = common::range(&mb);
        println!(
            "{name:<32} peak RSS growth median {:7.1} MiB (range {lo:.1}..{hi:.1}); time median {:8.1} ms",
            common::median(&mb),
            common::median(&ms)
        );
        (common::median(&mb), common::median(&ms))
    };
    println!(
        "big_answer: {samples} samples each, each in a fresh process; a 64 MiB HTML answer \
         without Content-Length"
    );
    let (capped_mb, capped_ms) = report("default limit (4 MiB)", &capped);
    let (whole_mb, whole_ms) = report("baseline: no limit (reads all)", &whole);
    println!(
        "ratio default/baseline: memory {:.3}, time {:.3}",
        capped_mb / whole_mb,
        capped_ms / whole_ms
    );
}
