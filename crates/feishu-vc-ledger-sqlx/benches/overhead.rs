//! What the ledger costs per apply: the same bookings against the emulator (in memory, no rate
//! limit) sent bare through `feishu_vc::Client`, through a `Ledger` over SQLite (a file, WAL,
//! `synchronous = FULL`) and through a `Ledger` over PostgreSQL (a local server with `fsync` and
//! `synchronous_commit` on), each of these two also with the intent committed first, as bookings
//! were before `mark_sending_new` (three commits instead of two), in interleaved rounds of one
//! process, one apply at a time and 8 in flight. Prints the median time per apply of each, and
//! its ratio and difference to the bare apply. Two more ledgers that never wait for the disk
//! (SQLite in memory, PostgreSQL with `fsync` off) tell what of the overhead is the disk's.
//! Last, the time to write a batch's 500 intents on the two durable stores: one `begin` (one
//! commit) each, as `book_batch` did before, against one `begin_many`.
//!
//! `cargo bench -p feishu-vc-ledger-sqlx --bench overhead` (needs PostgreSQL's binaries, like the
//! tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use feishu_vc::model::{ApplyReserveRequest, ReserveMeetingSetting, Timestamp};
use feishu_vc_emulator::{DEMO_USER_ALICE, Emulator};
use feishu_vc_ledger::{
    BookOptions, Intent, IntentKey, Ledger, LedgerStore, State, fingerprint, request_json,
};
use feishu_vc_ledger_sqlx::SqliteLedger;
use feishu_vc_ledger_sqlx::testing::PostgresServer;

/// Applies per variant in one round.
const PER_ROUND: usize = 200;
const ROUNDS: usize = 7;
/// Rows of a batch, and rounds of writing its intents each way.
const BATCH: usize = 500;
const BATCH_ROUNDS: usize = 5;

#[derive(Clone)]
enum Variant {
    Bare(feishu_vc::Client),
    Ledger(&'static str, Ledger),
    /// The booking as it was before `mark_sending_new`: the intent committed first (`begin`),
    /// then `book` finds it pending and marks it (`mark_sending`) before settling: three
    /// commits.
    IntentFirst(&'static str, Ledger),
}

impl Variant {
    fn name(&self) -> &'static str {
        match self {
            Variant::Bare(_) => "bare facade apply",
            Variant::Ledger(name, _) | Variant::IntentFirst(name, _) => name,
        }
    }

    async fn apply(&self, key: String) {
        let end = Timestamp::now()
            .checked_add(Duration::from_secs(3600))
            .unwrap();
        let request = ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic(&key))
            .set_end_time(end)
            .set_owner_id(DEMO_USER_ALICE);
        match self {
            Variant::Bare(client) => {
                client.reserves().apply(request).await.unwrap();
            }
            Variant::IntentFirst(_, ledger) => {
                let key = IntentKey::new(key);
                let intent = Intent::new(
                    key.clone(),
                    fingerprint(&request).unwrap(),
                    end,
                    request_json(&request).unwrap(),
                    Timestamp::now(),
                );
                ledger.store().begin(intent).await.unwrap();
                let record = ledger
                    .book(key, request, BookOptions::default())
                    .await
                    .unwrap();
                assert_eq!((record.state, record.attempts), (State::Booked, 1));
            }
            Variant::Ledger(_, ledger) => {
                let record = ledger
                    .book(IntentKey::new(key), request, BookOptions::default())
                    .await
                    .unwrap();
                assert_eq!(record.state, State::Booked);
            }
        }
    }
}

/// Books `count` meetings with `in_flight` at a time; the time per apply (wall time / count).
async fn round(variant: &Variant, tag: &str, count: usize, in_flight: usize) -> Duration {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let (variant, next, tag) = (variant.clone(), next.clone(), tag.to_owned());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= count {
                        break;
                    }
                    variant.apply(format!("{tag}-{n}")).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed() / count as u32
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

async fn run(variants: &[Variant], in_flight: usize) {
    // Warm-up: connections, tokens, statement caches.
    for variant in variants {
        round(
            variant,
            &format!("warm-{in_flight}-{}", variant.name()),
            20,
            in_flight,
        )
        .await;
    }
    let mut times = vec![Vec::new(); variants.len()];
    for r in 0..ROUNDS {
        // Each round starts with another variant, so none always runs first.
        for i in 0..variants.len() {
            let v = (r + i) % variants.len();
            let tag = format!("r{r}-{in_flight}-{}", variants[v].name());
            times[v].push(round(&variants[v], &tag, PER_ROUND, in_flight).await);
        }
    }
    let bare = median(times[0].clone());
    for (variant, times) in variants.iter().zip(times) {
        let best = *times.iter().min().unwrap();
        let median = median(times);
        println!(
            "| {in_flight} | {} | {:.0} | {:.0} | {:.2} | {:+.0} |",
            variant.name(),
            median.as_secs_f64() * 1e6,
            best.as_secs_f64() * 1e6,
            median.as_secs_f64() / bare.as_secs_f64(),
            (median.as_secs_f64() - bare.as_secs_f64()) * 1e6,
        );
    }
}

/// Intents of a batch of `BATCH` rows, as `Ledger::book_batch` writes them: keys `{tag}#{n}`.
fn batch_intents(tag: &str) -> Vec<Intent> {
    let now = Timestamp::now();
    let end = now.checked_add(Duration::from_secs(3600)).unwrap();
    (0..BATCH)
        .map(|n| {
            let request = ApplyReserveRequest::new(
                ReserveMeetingSetting::default().set_topic(format!("{tag} row {n}")),
            )
            .set_end_time(end)
            .set_owner_id(DEMO_USER_ALICE);
            let json = request_json(&request).unwrap();
            let key = IntentKey::new(format!("{tag}#{n}"));
            Intent::new(key, fingerprint(&request).unwrap(), end, json, now).with_batch(tag)
        })
        .collect()
}

/// Writes a batch's intents one `begin` (one commit) each, as `book_batch` did before
/// `begin_many`, or in one `begin_many`; the wall time.
async fn write_intents(store: &dyn LedgerStore, tag: &str, many: bool) -> Duration {
    let intents = batch_intents(tag);
    let started = Instant::now();
    if many {
        let written = store.begin_many(intents).await.unwrap();
        assert!(written.iter().all(Result::is_ok));
    } else {
        for intent in intents {
            store.begin(intent).await.unwrap();
        }
    }
    started.elapsed()
}

/// Time to write a batch's `BATCH` intents on each durable store, both ways, in interleaved
/// rounds.
async fn batches(stores: &[(&str, Arc<dyn LedgerStore>)]) {
    println!(
        "\n| store | {BATCH} intents, one `begin` each: median ms | best | \
         one `begin_many`: median ms | best | before ÷ after |\n|---|---|---|---|---|---|"
    );
    for (name, store) in stores {
        let (mut one_by_one, mut many) = (Vec::new(), Vec::new());
        for r in 0..BATCH_ROUNDS {
            // Each round starts with the other way.
            for way in [r % 2 == 0, r % 2 == 1] {
                let tag = format!("batch-r{r}-{way}");
                let took = write_intents(store.as_ref(), &tag, way).await;
                if way { &mut many } else { &mut one_by_one }.push(took);
            }
        }
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (best_before, best_after) = (
            *one_by_one.iter().min().unwrap(),
            *many.iter().min().unwrap(),
        );
        let (before, after) = (median(one_by_one), median(many));
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} |",
            ms(before),
            ms(best_before),
            ms(after),
            ms(best_after),
            before.as_secs_f64() / after.as_secs_f64()
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let postgres = PostgresServer::start_with(&[("fsync", "on"), ("synchronous_commit", "on")]);
    let postgres_no_sync = PostgresServer::start();
    let dir = std::env::temp_dir().join(format!("feishu-vc-ledger-bench-{}", std::process::id()));
    runtime.block_on(async {
        let emulator = Emulator::builder().start().await.unwrap();
        let client = feishu_vc::Client::builder()
            .app_credentials(emulator.app_id(), emulator.app_secret())
            .base_url(emulator.base_url())
            .build()
            .unwrap();
        let sqlite: Arc<dyn LedgerStore> =
            Arc::new(SqliteLedger::open(dir.join("ledger.sqlite3")).await.unwrap());
        let pg: Arc<dyn LedgerStore> = Arc::new(postgres.fresh_ledger().await);
        let memory: Arc<dyn LedgerStore> = Arc::new(SqliteLedger::in_memory().await.unwrap());
        let pg_no_sync: Arc<dyn LedgerStore> = Arc::new(postgres_no_sync.fresh_ledger().await);
        let durable = [
            ("SQLite (file)", sqlite.clone()),
            ("PostgreSQL", pg.clone()),
        ];
        let variants = [
            Variant::Bare(client.clone()),
            Variant::Ledger("ledger on SQLite (file)", Ledger::new(client.clone(), sqlite.clone())),
            Variant::Ledger("ledger on PostgreSQL", Ledger::new(client.clone(), pg.clone())),
            Variant::IntentFirst(
                "ledger on SQLite (file), intent committed first (3 commits, as before)",
                Ledger::new(client.clone(), sqlite.clone()),
            ),
            Variant::IntentFirst(
                "ledger on PostgreSQL, intent committed first (3 commits, as before)",
                Ledger::new(client.clone(), pg),
            ),
            Variant::Ledger("ledger on SQLite in memory (no disk)", Ledger::new(client.clone(), memory)),
            Variant::Ledger("ledger on PostgreSQL, fsync off (no disk)", Ledger::new(client, pg_no_sync)),
        ];
        println!(
            "{ROUNDS} interleaved rounds of {PER_ROUND} applies per variant; load average before: {}\n\n\
             | in flight | variant | median µs/apply | best µs/apply | × bare | µs over bare |\n\
             |---|---|---|---|---|---|",
            load_average()
        );
        run(&variants, 1).await;
        run(&variants, 8).await;
        batches(&durable).await;
        println!("\nload average after: {}", load_average());
        emulator.shutdown().await.unwrap();
    });
    let _ = std::fs::remove_dir_all(&dir);
}
