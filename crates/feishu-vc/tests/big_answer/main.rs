//! A 64 MB HTML answer costs a bounded amount of memory and time. Its own test binary, with a
//! single test, so that no other test's memory pollutes the figure.

#[path = "../../../feishu-vc-transport/tests/it/raw_server.rs"]
mod raw_server;
mod server;

use std::time::Duration;

use feishu_vc::{Client, Error, RetryPolicy};

const BODY: u64 = 64 << 20;
const TIMEOUT: Duration = Duration::from_secs(20);
const MEMORY_CAP: u64 = 50 << 20;

/// A `get` through the facade (default body limit) against a server answering [`BODY`] bytes of
/// HTML, on a runtime of its own.
fn get_against(runtime: &tokio::runtime::Runtime, base: &str) -> Error {
    let client = Client::builder()
        .base_url(base)
        .timeout(TIMEOUT)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    runtime.block_on(async {
        client
            .reserves()
            .get("6911188411934973028")
            .with_tenant_access_token("t-big-answer")
            .await
            .unwrap_err()
    })
}

#[test]
fn a_64_mb_html_answer_ends_in_time_with_bounded_memory() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for announce in [false, true] {
        let base = runtime.block_on(server::start(BODY, announce));
        // Warm up (connection pool, TLS-free client, allocator) on a first call, then measure.
        get_against(&runtime, &base);
        let (err, cost) = server::measure(|| get_against(&runtime, &base));
        eprintln!("64 MB HTML answer (Content-Length announced: {announce}): {cost:?}");
        assert!(err.is_body_too_large(), "{err:?}");
        assert_eq!(err.http_status(), Some(502));
        assert!(cost.elapsed < TIMEOUT, "{cost:?}");
        assert!(
            cost.peak_rss_growth < MEMORY_CAP,
            "the call raised the peak RSS by {} MB",
            cost.peak_rss_growth >> 20
        );
    }
}
