//! The cost of an error excerpt does not grow with the body: the transport's own `excerpt` (the
//! module is included as is) on a 1 KiB and a 64 MiB HTML body with known secrets to scrub,
//! interleaved, in the same run. The ratio of the medians should stay near 1. See
//! docs/benchmarks.md.

#[allow(dead_code)]
#[path = "../src/redact.rs"]
mod redact;

use std::hint::black_box;
use std::time::Instant;

use feishu_vc_model::SecretString;
use redact::{Known, excerpt};

/// A proxy's error page of `size` bytes.
fn page(size: usize) -> Vec<u8> {
    let line = b"<p>502 Bad Gateway: the upstream server did not answer in time.</p>\n";
    line.iter().copied().cycle().take(size).collect()
}

/// Nanoseconds per excerpt of `body`, over `iters` excerpts.
fn time(body: &[u8], known: &Known<'_>, iters: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..iters {
        black_box(excerpt(black_box(body), known));
    }
    started.elapsed().as_nanos() as f64 / f64::from(iters)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let iters: u32 = std::env::var("BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let samples = 11;
    let token = SecretString::new("t-g1044bench0000000000000000000000");
    let extra = [SecretString::new("97102455")];
    let known = Known {
        app_secret: None,
        token: Some(&token),
        extra: &extra,
        carried: None,
    };
    let small = page(1 << 10);
    let large = page(64 << 20);
    assert_eq!(excerpt(&small, &known), excerpt(&large, &known));
    let (mut s, mut l) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        s.push(time(&small, &known, iters));
        l.push(time(&large, &known, iters));
    }
    let (s, l) = (median(&mut s), median(&mut l));
    println!("excerpt: {samples} samples of {iters} excerpts each, interleaved");
    println!("1 KiB body   median {s:8.0} ns/excerpt");
    println!("64 MiB body  median {l:8.0} ns/excerpt");
    println!("ratio 64 MiB / 1 KiB: {:.2}", l / s);
}
