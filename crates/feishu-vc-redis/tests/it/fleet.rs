//! A fleet of 8 clients, each with its own caches, booking 600 meetings through one Redis against
//! the emulator with Feishu's documented rate limit on.

use feishu_vc_emulator::Emulator;

use crate::support::{CountingProxy, RedisServer, client, run_fleet, topics};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_clients_share_one_token_and_stay_within_50_a_second() {
    let server = RedisServer::start();
    let emulator = Emulator::builder().rate_limit(true).start().await.unwrap();
    let proxy = CountingProxy::start(emulator.base_url()).await;
    // Eight "processes": separate clients, separate connections to Redis.
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let redis = server.handle("fleet");
            client(
                &proxy.url,
                emulator.app_id(),
                emulator.app_secret(),
                Some(&redis),
            )
        })
        .collect();

    let run = run_fleet(&clients, 600, 8).await;

    let rate = 600.0 / run.elapsed.as_secs_f64();
    println!(
        "fleet through Redis: {} booked in {:.2} s ({rate:.1}/s), {} token request(s), {} answer(s) of 429",
        run.booked,
        run.elapsed.as_secs_f64(),
        proxy.token_requests(),
        proxy.throttled()
    );
    assert_eq!((run.booked, run.failed), (600, 0));
    assert_eq!(proxy.token_requests(), 1, "one token for the whole fleet");
    assert_eq!(proxy.throttled(), 0, "no call was throttled");
    assert!(
        (45.0..=55.0).contains(&rate),
        "the fleet's rate {rate:.1}/s is not within 10 % of 50/s"
    );
    let booked = topics(&emulator, "fleet-");
    assert_eq!(booked.len(), 600);
    assert!(
        booked.values().all(|n| *n == 1),
        "a meeting was booked twice"
    );
    emulator.shutdown().await.unwrap();
}
