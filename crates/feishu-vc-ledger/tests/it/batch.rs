//! Batches: booked once across re-runs, crashes and lost answers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use feishu_vc::model::ErrorCode;
use feishu_vc_emulator::Emulator;
use feishu_vc_ledger::{
    BatchEvent, BatchOptions, BatchRow, InMemoryLedger, LedgerError, LedgerStore, RecordFilter,
    State, batch_key,
};

use crate::support::{DAY, client_builder, emulator, ledger, ledger_over, meeting};

fn rows(emulator: &Emulator, n: usize) -> Vec<BatchRow> {
    (1..=n)
        .map(|i| {
            BatchRow::new(
                i.to_string(),
                i + 1,
                meeting(emulator, &format!("row {i}"), DAY),
            )
        })
        .collect()
}

/// Collects the progress events.
#[derive(Default)]
struct Progress(Mutex<Vec<BatchEvent>>);

impl Progress {
    fn report(&self) -> impl Fn(BatchEvent) + Send + Sync + '_ {
        |event| self.0.lock().unwrap().push(event)
    }

    fn take(&self) -> Vec<BatchEvent> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[tokio::test]
async fn a_batch_books_every_row_once_and_a_rerun_sends_nothing() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let progress = Progress::default();
    // Built once: a row's end time is part of its request.
    let rows = rows(&emulator, 12);

    let first = ledger
        .book_batch(
            "weekly.csv",
            rows.clone(),
            BatchOptions::default().concurrency(4),
            &progress.report(),
        )
        .await
        .unwrap();
    assert_eq!(first.booked, 12);
    assert!(first.refused.is_empty() && first.unknown.is_empty() && first.interrupted.is_empty());
    let events = progress.take();
    assert!(matches!(
        events[0],
        BatchEvent::Started {
            total: 12,
            to_send: 12,
            already_done: 0
        }
    ));
    let settled = events
        .iter()
        .filter(|e| matches!(e, BatchEvent::Settled(r) if r.state == State::Booked))
        .count();
    assert_eq!(settled, 12);
    assert_eq!(emulator.state().applies, 12);
    let record = ledger
        .store()
        .get(&batch_key("weekly.csv", "7"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.intent.batch.as_deref(), Some("weekly.csv"));
    assert_eq!(record.intent.topic.as_deref(), Some("row 7"));

    let again = ledger
        .book_batch(
            "weekly.csv",
            rows,
            BatchOptions::default(),
            &progress.report(),
        )
        .await
        .unwrap();
    assert_eq!((again.booked, again.already_booked), (0, 12));
    assert!(matches!(
        progress.take()[..],
        [BatchEvent::Started {
            total: 12,
            to_send: 0,
            already_done: 12
        }]
    ));
    assert_eq!(emulator.state().applies, 12);
}

#[tokio::test]
async fn a_dropped_answer_is_unknown_and_resent_only_when_asked() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let progress = Progress::default();
    emulator.drop_next_apply_answers(1);

    // One at a time: the first row is the one whose answer is dropped.
    let options = BatchOptions {
        concurrency: 1,
        resend_unknown: Vec::new(),
    };
    let rows = rows(&emulator, 3);
    let first = ledger
        .book_batch("b", rows.clone(), options.clone(), &progress.report())
        .await
        .unwrap();
    assert_eq!(first.booked, 2);
    assert_eq!(first.unknown.len(), 1);
    let unknown = &first.unknown[0];
    assert_eq!(unknown.key(), &batch_key("b", "1"));
    assert_eq!(unknown.state, State::Unknown);
    assert!(unknown.refusal.is_some());
    // Feishu did book it: the emulator holds all three.
    assert_eq!(emulator.state().applies, 3);

    let second = ledger
        .book_batch("b", rows.clone(), options.clone(), &progress.report())
        .await
        .unwrap();
    assert_eq!((second.booked, second.already_booked), (0, 2));
    assert_eq!(second.unknown.len(), 1);
    assert_eq!(emulator.state().applies, 3, "an unknown row was sent again");

    // The user says row 1 is to be sent again: it is, once.
    let third = ledger
        .book_batch("b", rows, options.resend_unknown(["1"]), &progress.report())
        .await
        .unwrap();
    assert_eq!((third.booked, third.already_booked), (1, 2));
    assert!(third.unknown.is_empty());
    assert_eq!(emulator.state().applies, 4);
    let record = ledger
        .store()
        .get(&batch_key("b", "1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((record.state, record.attempts), (State::Booked, 2));
}

#[tokio::test]
async fn a_batch_with_one_invalid_row_refuses_that_row_with_its_code_and_books_the_rest() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let mut rows = rows(&emulator, 5);
    // Row 3 ends 31 days ahead: past Feishu's 30.
    rows[2].request = meeting(&emulator, "too far", 31 * DAY);

    let summary = ledger
        .book_batch("mixed", rows, BatchOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!(summary.booked, 4);
    assert_eq!(summary.refused.len(), 1);
    let refused = &summary.refused[0];
    assert_eq!(refused.key(), &batch_key("mixed", "3"));
    let refusal = refused.refusal.as_ref().unwrap();
    assert_eq!(refusal.code, Some(ErrorCode::ParamError.code()));
    assert!(refusal.message.contains("30 days"), "{}", refusal.message);
    assert_eq!(emulator.state().applies, 4);
}

/// A run over `before` died after marking row 2 sending, its request in flight; the next run, over
/// the store `reopen` gives, reports it interrupted and unknown, never sends it, and books the
/// rest.
pub(crate) async fn rows_left_sending_by_a_dead_run_are_reported_and_not_resent(
    before: Arc<dyn LedgerStore>,
    reopen: impl AsyncFnOnce() -> Arc<dyn LedgerStore>,
) {
    let emulator = emulator().await;
    let rows = rows(&emulator, 4);
    let key = {
        let dead = ledger_over(&emulator, before);
        let key = dead
            .store()
            .begin(dead_intent(&dead, &rows[1]))
            .await
            .unwrap()
            .key()
            .clone();
        assert!(
            dead.store()
                .mark_sending(&key, emulator.now())
                .await
                .unwrap()
        );
        key
    };

    let ledger = ledger_over(&emulator, reopen().await);
    let summary = ledger
        .book_batch("crash", rows.clone(), BatchOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!(summary.booked, 3);
    assert_eq!(summary.interrupted.len(), 1);
    assert_eq!(summary.interrupted[0].key(), &key);
    assert_eq!(summary.unknown.len(), 1);
    assert_eq!(summary.unknown[0].state, State::Unknown);
    assert_eq!(emulator.state().applies, 3);

    // Run again: still not sent.
    let again = ledger
        .book_batch("crash", rows, BatchOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!((again.booked, again.already_booked), (0, 3));
    assert!(again.interrupted.is_empty());
    assert_eq!(again.unknown.len(), 1);
    assert_eq!(emulator.state().applies, 3);
}

#[tokio::test]
async fn rows_left_sending_by_a_dead_run_over_an_in_memory_store_are_not_resent() {
    let store: Arc<dyn LedgerStore> = Arc::new(InMemoryLedger::new());
    rows_left_sending_by_a_dead_run_are_reported_and_not_resent(store.clone(), async move || store)
        .await;
}

/// The intent the batch "crash" writes for `row`, as an earlier run of it would have.
fn dead_intent(ledger: &feishu_vc_ledger::Ledger, row: &BatchRow) -> feishu_vc_ledger::Intent {
    let json = feishu_vc_ledger::request_json(&row.request).unwrap();
    let fingerprint = feishu_vc_ledger::fingerprint(&row.request).unwrap();
    feishu_vc_ledger::Intent::new(
        batch_key("crash", &row.key),
        fingerprint,
        row.request.body.end_time.unwrap(),
        json,
        ledger.now(),
    )
    .with_batch("crash")
}

#[tokio::test]
async fn a_row_recorded_for_another_meeting_fails_the_batch_before_anything_is_sent() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let mut edited = rows(&emulator, 4);
    ledger
        .book_batch(
            "edited",
            edited[..2].to_vec(),
            BatchOptions::default(),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(emulator.state().applies, 2);

    // The file was edited: row 2 is another meeting now, and rows 3-4 are new.
    edited[1].request = meeting(&emulator, "something else", DAY);
    let conflicts = ledger.batch_conflicts("edited", &edited).await.unwrap();
    assert_eq!(conflicts.len(), 1);
    let result = ledger
        .book_batch("edited", edited, BatchOptions::default(), &|_| {})
        .await;
    match result {
        Err(LedgerError::Conflict { key, .. }) => assert_eq!(key, batch_key("edited", "2")),
        other => panic!("{other:?}"),
    }
    assert_eq!(emulator.state().applies, 2);
    assert!(
        ledger
            .store()
            .get(&batch_key("edited", "3"))
            .await
            .unwrap()
            .is_none()
    );

    // Two rows of one file with the same key and different meetings: a conflict too.
    let mut twice = rows(&emulator, 2);
    twice[1].key = "1".to_owned();
    let conflicts = ledger.batch_conflicts("fresh", &twice).await.unwrap();
    assert_eq!(conflicts.len(), 1);
}

/// A rate limiter that grants `n` slots, then makes every later call wait for good.
#[derive(Debug)]
pub(crate) struct Slots(pub(crate) AtomicUsize);

impl feishu_vc::RateLimiter for Slots {
    fn acquire<'a>(
        &'a self,
        _: feishu_vc::RateScope<'a>,
    ) -> feishu_vc::transport::BoxFuture<'a, ()> {
        let granted = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if granted {
            Box::pin(async {})
        } else {
            Box::pin(std::future::pending())
        }
    }
}

#[tokio::test]
async fn rows_waiting_for_their_rate_limit_slot_when_the_run_stops_stay_pending_and_are_sent_next_run()
 {
    let emulator = emulator().await;
    let store: Arc<dyn LedgerStore> = Arc::new(InMemoryLedger::new());
    let paced = client_builder(&emulator)
        .rate_limiter(Arc::new(Slots(AtomicUsize::new(2))))
        .build()
        .unwrap();
    let first_run = feishu_vc_ledger::Ledger::new(paced, store.clone());

    // Two slots are granted; the other rows wait for theirs until the run is stopped (Ctrl-C).
    let rows = rows(&emulator, 5);
    let batch = first_run.book_batch(
        "paced",
        rows.clone(),
        BatchOptions::default().concurrency(3),
        &|_| {},
    );
    let two_booked = async {
        let booked = RecordFilter::all().states([State::Booked]);
        while store.list(&booked).await.unwrap().len() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Let the waiting rows settle into their wait.
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::select! {
        done = batch => panic!("the batch ended though three rows have no slot: {done:?}"),
        () = two_booked => {}
    }
    let records = store.list(&RecordFilter::all()).await.unwrap();
    let count = |state| records.iter().filter(|r| r.state == state).count();
    assert_eq!(
        (count(State::Booked), count(State::Pending)),
        (2, 3),
        "{records:?}"
    );
    assert_eq!(emulator.state().applies, 2);

    let next_run = ledger_over(&emulator, store);
    let summary = next_run
        .book_batch("paced", rows, BatchOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!((summary.booked, summary.already_booked), (3, 2));
    assert!(summary.interrupted.is_empty() && summary.unknown.is_empty());
    assert_eq!(emulator.state().applies, 5);
}

#[tokio::test]
async fn a_second_run_of_a_batch_while_one_is_live_sends_and_settles_nothing() {
    let emulator = emulator().await;
    let store: Arc<dyn LedgerStore> = Arc::new(InMemoryLedger::new());
    let ledger = ledger_over(&emulator, store.clone());
    let rows = rows(&emulator, 3);
    // The live run has row 2 in flight.
    let in_flight = store
        .begin(dead_intent(&ledger, &rows[1]))
        .await
        .unwrap()
        .key()
        .clone();
    assert!(
        store
            .mark_sending(&in_flight, emulator.now())
            .await
            .unwrap()
    );
    let live = store.lock_batch("crash").await.unwrap().unwrap();

    match ledger
        .book_batch("crash", rows.clone(), BatchOptions::default(), &|_| {})
        .await
    {
        Err(LedgerError::BatchBusy { batch }) => assert_eq!(batch, "crash"),
        other => panic!("a second run while one is live is refused, got {other:?}"),
    }
    assert_eq!(emulator.state().applies, 0, "nothing was sent");
    let record = store.get(&in_flight).await.unwrap().unwrap();
    assert_eq!(
        record.state,
        State::Sending,
        "the live run's row was not settled"
    );
    assert_eq!(store.list(&RecordFilter::all()).await.unwrap().len(), 1);

    // Another batch is not blocked.
    let other = ledger
        .book_batch(
            "other",
            rows[..1].to_vec(),
            BatchOptions::default(),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(other.booked, 1);

    // The live run ends (its row's outcome never settled: it died): the next run may go.
    drop(live);
    let summary = ledger
        .book_batch("crash", rows, BatchOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!(summary.booked, 2);
    assert_eq!(summary.interrupted.len(), 1);
    assert_eq!(emulator.state().applies, 3);
}

/// A batch stopped while its applies are in flight: each answered within the grace is recorded,
/// nothing more is sent, and the rest are listed as not started and sent by the next run, once.
#[tokio::test]
async fn a_stopped_batch_records_what_it_sent_and_the_next_run_sends_the_rest() {
    let emulator = emulator().await;
    emulator.delay_apply_answers(Duration::from_millis(800));
    let ledger = ledger(&emulator);
    let progress = Progress::default();
    let rows = rows(&emulator, 20);
    let watched = emulator.clone();
    let stop = async move {
        while watched.state().applies == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let options = BatchOptions::default().concurrency(4);
    let first = ledger
        .book_batch_until(
            "stopped.csv",
            rows.clone(),
            options.clone(),
            &progress.report(),
            stop,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert!(first.stopped);
    let sent = emulator.state().applies as usize;
    assert!((1..=4).contains(&sent), "{sent} applies");
    assert_eq!(
        first.booked, sent,
        "every answer within the grace is recorded"
    );
    assert_eq!(first.not_started.len(), 20 - sent);
    assert!(first.unknown.is_empty() && first.not_sent.is_empty());
    let sending = ledger
        .store()
        .list(&RecordFilter::all().batch("stopped.csv"))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.state == State::Sending)
        .count();
    assert_eq!(sending, 0);

    emulator.delay_apply_answers(Duration::ZERO);
    let second = ledger
        .book_batch("stopped.csv", rows, options, &progress.report())
        .await
        .unwrap();
    assert!(!second.stopped);
    assert_eq!(second.booked, 20 - sent);
    assert_eq!(second.already_booked, sent);
    assert_eq!(emulator.state().applies, 20, "each row applied once");
}

/// A request still unanswered when the grace ends is recorded unknown, never left sending.
#[tokio::test]
async fn a_request_unanswered_past_the_grace_is_recorded_unknown() {
    let emulator = emulator().await;
    emulator.delay_apply_answers(Duration::from_secs(5));
    let ledger = ledger(&emulator);
    let progress = Progress::default();
    let watched = emulator.clone();
    let stop = async move {
        while watched.state().applies == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let summary = ledger
        .book_batch_until(
            "slow.csv",
            rows(&emulator, 3),
            BatchOptions::default().concurrency(1),
            &progress.report(),
            stop,
            Duration::from_millis(200),
        )
        .await
        .unwrap();
    assert!(summary.stopped);
    assert_eq!(summary.booked, 0);
    assert_eq!(summary.unknown.len(), 1, "{summary:?}");
    assert_eq!(summary.not_started.len(), 2);
    let record = ledger
        .store()
        .get(summary.unknown[0].key())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.state, State::Unknown);
}

/// `resend_unknown` naming a booked row or one the batch does not have is refused, naming both,
/// and nothing is sent.
#[tokio::test]
async fn resending_a_booked_row_or_one_not_in_the_batch_is_refused() {
    let emulator = emulator().await;
    let ledger = ledger(&emulator);
    let progress = Progress::default();
    let rows = rows(&emulator, 2);
    ledger
        .book_batch(
            "r.csv",
            rows.clone(),
            BatchOptions::default(),
            &progress.report(),
        )
        .await
        .unwrap();
    let options = BatchOptions::default().resend_unknown(["1", "9"]);
    let error = ledger
        .book_batch("r.csv", rows, options, &progress.report())
        .await
        .unwrap_err();
    let LedgerError::NotResendable { rows: refused } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        refused,
        &vec![
            ("1".to_owned(), "booked, not unknown".to_owned()),
            ("9".to_owned(), "not a row of the batch".to_owned()),
        ]
    );
    assert_eq!(emulator.state().applies, 2, "nothing sent");
}
