//! Redis killed in the middle of a run: booking goes on per process, a warning says so, nothing is
//! booked twice; Redis back, it is used again.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use feishu_vc_emulator::Emulator;
use feishu_vc_redis::{RateQuota, RedisRateLimiter};
use feishu_vc_transport::{RateLimiter, RateScope};

use crate::support::{self, RedisServer, booking, client, topics};

/// Collects what `tracing` writes.
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

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// A subscriber writing warnings and above here, for this thread.
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || logs.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
}

// Single-threaded, so that every task logs to the captured subscriber.
#[tokio::test]
async fn redis_killed_mid_run_booking_goes_on_and_nothing_is_booked_twice() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let mut server = RedisServer::start();
    let emulator = Emulator::builder().rate_limit(true).start().await.unwrap();
    let (id, secret) = (emulator.app_id(), emulator.app_secret());
    let fleet: Vec<_> = (0..2)
        .map(|_| {
            client(
                emulator.base_url(),
                id,
                secret,
                Some(&server.handle("outage")),
            )
        })
        .collect();

    for n in 0..20 {
        fleet[n % 2]
            .reserves()
            .apply(booking(&format!("outage-{n}")))
            .await
            .unwrap();
    }
    server.kill();
    for n in 20..40 {
        fleet[n % 2]
            .reserves()
            .apply(booking(&format!("outage-{n}")))
            .await
            .unwrap();
    }
    // A process started during the outage fetches its own token and books too.
    let late = client(
        emulator.base_url(),
        id,
        secret,
        Some(&server.handle("outage")),
    );
    late.reserves().apply(booking("outage-40")).await.unwrap();

    let booked = topics(&emulator, "outage-");
    assert_eq!(booked.len(), 41);
    assert!(
        booked.values().all(|n| *n == 1),
        "a meeting was booked twice: {booked:?}"
    );
    let text = logs.text();
    assert!(
        text.contains("WARN")
            && text
                .contains("Redis is unreachable; the rate limiter paces this process on its own"),
        "no warning about the limiter: {text}"
    );
    assert!(
        text.contains(
            "the shared token cache is unreachable; fetching this process's own tenant token"
        ),
        "no warning about the token cache: {text}"
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_limiter_uses_redis_again_when_it_comes_back() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let mut server = RedisServer::start();
    let limiter = RedisRateLimiter::new(server.handle("back"), RateQuota::new(1000, 60_000));
    let scope = RateScope {
        app_id: "cli_back",
        tenant_key: None,
        operation: "apply_reserve",
    };
    limiter.acquire(scope).await;
    server.kill();
    limiter.acquire(scope).await;
    assert!(
        logs.text().contains("Redis is unreachable"),
        "{}",
        logs.text()
    );
    server.restart();
    // Redis is asked again once the pause between attempts has passed and the connection is
    // re-made: the restarted, empty server then holds the scope's keys.
    let mut keys: Vec<String> = Vec::new();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        limiter.acquire(scope).await;
        keys = support::keys(&server.url(), "back:rate:*").await;
        if !keys.is_empty() {
            break;
        }
    }
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        logs.text().contains("Redis answers again"),
        "{}",
        logs.text()
    );
}
