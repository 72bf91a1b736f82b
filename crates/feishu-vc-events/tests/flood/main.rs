//! 10,000 events over one long connection, some fragmented: every one handled and acknowledged
//! once, and memory stays flat. Its own test binary, with a single test, so that no other test's
//! memory pollutes the figure. The process holds the emulator too, so the RSS figures bound the
//! client's from above. Figures: `cargo test --release -p feishu-vc-events --test flood -- --nocapture`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use feishu_vc_emulator::{
    ClientConfig, DEMO_USER_BOB, DEMO_USER_CAROL, EmulatorBuilder, LeaveReason, MeetingSpec,
    ParticipantSpec,
};
use feishu_vc_events::longconn::LongConnection;
use feishu_vc_events::{Delivery, EventHandler, HandlerError};

const EVENTS: usize = 10_000;
const WARM_UP: usize = 1_000;
/// Most the resident set may grow between the warm-up and the end (9,000 more events): a leak of
/// 1.8 KiB per event (about one event body kept) would pass it.
const GROWTH_CAP: u64 = 16 << 20;

struct Count(Arc<Mutex<Vec<String>>>);

impl EventHandler for Count {
    async fn handle(&self, delivery: Delivery) -> Result<(), HandlerError> {
        self.0.lock().unwrap().push(delivery.event_id().to_owned());
        Ok(())
    }
}

/// `VmRSS` of this process in bytes (Linux).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS")).unwrap();
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib * 1024
}

#[test]
fn ten_thousand_events_over_one_connection_are_each_handled_and_acknowledged_once_in_flat_memory() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emulator = EmulatorBuilder::default()
            .long_connection_client_config(ClientConfig {
                reconnect_count: 0,
                reconnect_interval: 0,
                reconnect_nonce: 0,
                ping_interval: 30,
            })
            // Join events are shorter than this and leave events longer: about half fragmented.
            .long_connection_fragment_size(FRAGMENT)
            // Strict "once": no redelivery however slow a debug build is.
            .long_connection_ack_timeout(Duration::from_secs(120))
            .start()
            .await
            .unwrap();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let client = LongConnection::new(emulator.app_id(), emulator.app_secret())
            .base_url(emulator.base_url());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handler = Count(heard.clone());
        let task = tokio::spawn(async move {
            client
                .run(handler, async move {
                    let _ = stopped.await;
                })
                .await
        });
        while emulator.long_connection_stats().connections_open == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let r = book(&emulator).await;
        emulator
            .start_meeting(&r, MeetingSpec::new().participant(DEMO_USER_BOB))
            .await
            .unwrap();
        let mut sent = 3; // meeting_started, two joins
        let mut rss_after_warm_up = 0;
        while sent < EVENTS {
            emulator
                .join_meeting(&r, ParticipantSpec::new(DEMO_USER_CAROL))
                .await
                .unwrap();
            emulator
                .leave_meeting(&r, DEMO_USER_CAROL, LeaveReason::Left)
                .await
                .unwrap();
            sent += 2;
            // Keep the emulator's queue short, so its memory does not cloud the figure.
            while emulator.long_connection_stats().pending > 200 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            if sent >= WARM_UP && rss_after_warm_up == 0 {
                wait_for(&emulator, sent).await;
                rss_after_warm_up = rss();
            }
        }
        wait_for(&emulator, sent).await;
        let rss_at_end = rss();
        let stats = emulator.long_connection_stats();
        let ids = heard.lock().unwrap().clone();
        let unique: HashSet<&String> = ids.iter().collect();
        let growth = rss_at_end.saturating_sub(rss_after_warm_up);
        eprintln!(
            "long connection flood: {} events ({} fragmented), RSS after {WARM_UP}: {:.1} MiB, after all: {:.1} MiB, growth {:.2} MiB ({} B/event)",
            ids.len(),
            stats.fragmented,
            rss_after_warm_up as f64 / 1048576.0,
            rss_at_end as f64 / 1048576.0,
            growth as f64 / 1048576.0,
            growth / (ids.len() - WARM_UP) as u64,
        );
        assert_eq!(ids.len(), sent, "every event handled");
        assert_eq!(unique.len(), ids.len(), "each once");
        assert_eq!(stats.acknowledged, ids, "each acknowledged once, in order");
        assert_eq!(stats.redeliveries, 0);
        assert_eq!(stats.connections_accepted, 1, "one connection");
        assert!(
            stats.fragmented > 0 && (stats.fragmented as usize) < ids.len(),
            "some fragmented: {}",
            stats.fragmented
        );
        assert!(growth < GROWTH_CAP, "RSS grew {growth} B");
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    });
}

/// Between the envelope of a join (about 710 bytes) and of a leave (about 840).
const FRAGMENT: usize = 780;

async fn wait_for(emulator: &feishu_vc_emulator::Emulator, n: usize) {
    for _ in 0..60_000 {
        if emulator.long_connection_stats().acknowledged.len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting for {n} acknowledgements");
}

async fn book(emulator: &feishu_vc_emulator::Emulator) -> String {
    use feishu_vc::model::{ApplyReserveRequest, ReserveMeetingSetting};
    let client = feishu_vc::Client::builder()
        .app_credentials(emulator.app_id(), emulator.app_secret())
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    let end = emulator
        .now()
        .checked_add(Duration::from_secs(3600))
        .unwrap();
    client
        .reserves()
        .apply(
            ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("flood"))
                .set_end_time(end)
                .set_owner_id(feishu_vc_emulator::DEMO_USER_ALICE),
        )
        .await
        .unwrap()
        .data
        .reserve_id
        .as_str()
        .to_owned()
}
