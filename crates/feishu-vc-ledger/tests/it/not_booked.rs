//! Failures that book nothing and may be sent again: a closed port, no token, rate limiting.
//! The rows they hit stay pending and the next run books exactly those, each once.

use std::sync::Arc;
use std::time::Duration;

use feishu_vc::model::{ErrorCode, SecretString};
use feishu_vc::transport::{BoxFuture, ProvidedToken, TokenError};
use feishu_vc::{RetryPolicy, TokenProvider};
use feishu_vc_emulator::{Emulator, RateLimit};
use feishu_vc_ledger::{
    BatchOptions, BatchRow, BookOptions, InMemoryLedger, IntentKey, Ledger, LedgerStore,
    RecordFilter, State,
};

use crate::support::{DAY, emulator_with, ledger_over, meeting};

/// A loopback port nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A token minted beforehand, so that a call goes straight to the apply.
#[derive(Debug)]
struct Minted(SecretString);

impl TokenProvider for Minted {
    fn token<'a>(&'a self, _: Option<&'a str>) -> BoxFuture<'a, Result<ProvidedToken, TokenError>> {
        let token = ProvidedToken::new(self.0.clone());
        Box::pin(async move { Ok(token) })
    }

    fn reject(&self, _: &SecretString, _: Option<&str>) {}
}

/// A ledger over `store` whose client calls `base_url` with `emulator`'s app, without waiting
/// for a throttled call's window.
fn ledger_at(emulator: &Arc<Emulator>, base_url: &str, store: Arc<dyn LedgerStore>) -> Ledger {
    let validation = emulator.clone();
    let client = feishu_vc::Client::builder()
        .app_credentials(emulator.app_id(), emulator.app_secret())
        .base_url(base_url)
        .retry(RetryPolicy::default().with_max_rate_limit_wait(Duration::from_millis(100)))
        .validation_clock(move || validation.now())
        .build()
        .unwrap();
    let clock = emulator.clone();
    Ledger::new(client, store).with_clock(move || clock.now())
}

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

#[tokio::test]
async fn rows_not_booked_in_an_outage_or_when_throttled_are_booked_once_by_the_next_runs() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("emulator.sqlite3");
    let throttled = emulator_with(Emulator::builder().state_file(&state).rate_limit_with(
        RateLimit {
            per_second: 100,
            per_minute: 3,
        },
    ))
    .await;
    let store: Arc<dyn LedgerStore> = Arc::new(InMemoryLedger::new());
    let rows = rows(&throttled, 6);
    let one_at_a_time = BatchOptions::default().concurrency(1);

    // An outage: the token endpoint cannot be reached. Nothing is booked, every row stays
    // pending with its error, none is refused.
    let outage = ledger_at(&throttled, &closed_port_url(), store.clone());
    let first = outage
        .book_batch("rooms", rows.clone(), one_at_a_time.clone(), &|_| {})
        .await
        .unwrap();
    assert_eq!(first.booked, 0);
    assert!(first.refused.is_empty() && first.unknown.is_empty());
    assert_eq!(first.not_sent.len(), 6);
    for record in &first.not_sent {
        assert_eq!((record.state, record.attempts), (State::Pending, 1));
        let refusal = record.refusal.as_ref().unwrap();
        assert!(refusal.message.contains("no access token"), "{refusal:?}");
    }
    assert_eq!(throttled.state().applies, 0);
    drop(outage);

    // Feishu allows three applies this minute: three rows are booked, the others are throttled
    // and left pending with code 99991400.
    let second = ledger_at(&throttled, throttled.base_url(), store.clone())
        .book_batch("rooms", rows.clone(), one_at_a_time.clone(), &|_| {})
        .await
        .unwrap();
    assert_eq!(second.booked, 3);
    assert!(second.refused.is_empty() && second.unknown.is_empty());
    assert_eq!(second.not_sent.len(), 3);
    for record in &second.not_sent {
        assert_eq!(record.state, State::Pending);
        assert_eq!(
            record.refusal.as_ref().unwrap().code,
            Some(ErrorCode::RateLimited.code())
        );
    }
    assert_eq!(throttled.state().applies, 3);
    let throttled_keys: Vec<_> = second.not_sent.iter().map(|r| r.key().clone()).collect();
    let throttled = Arc::into_inner(throttled).unwrap();
    throttled.shutdown().await.unwrap();

    // The same Feishu, its limit lifted: the next run books exactly the three left, once each.
    let open = emulator_with(Emulator::builder().state_file(&state)).await;
    let third = ledger_at(&open, open.base_url(), store.clone())
        .book_batch("rooms", rows.clone(), one_at_a_time.clone(), &|_| {})
        .await
        .unwrap();
    assert_eq!((third.booked, third.already_booked), (3, 3));
    assert!(third.not_sent.is_empty() && third.refused.is_empty() && third.unknown.is_empty());
    let snapshot = open.state();
    assert_eq!(snapshot.applies, 6, "every row booked once");
    let mut topics: Vec<_> = snapshot
        .reservations
        .iter()
        .filter_map(|r| r.topic.clone())
        .collect();
    topics.sort();
    let expected: Vec<_> = (1..=6).map(|i| format!("row {i}")).collect();
    assert_eq!(topics, expected, "each row booked once");
    for key in &throttled_keys {
        let record = store.get(key).await.unwrap().unwrap();
        assert_eq!((record.state, record.attempts), (State::Booked, 3));
        assert_eq!(record.refusal, None);
    }
    let booked = store
        .list(&RecordFilter::all().states([State::Booked]))
        .await
        .unwrap();
    assert_eq!(booked.len(), 6);
}

#[tokio::test]
async fn a_refused_connection_leaves_a_booking_pending_and_the_next_book_sends_it() {
    let emulator = emulator_with(Emulator::builder()).await;
    let store: Arc<dyn LedgerStore> = Arc::new(InMemoryLedger::new());
    let token = emulator.mint_tenant_token().await.unwrap();
    let down = feishu_vc::Client::builder()
        .token_provider(Arc::new(Minted(token)))
        .base_url(closed_port_url())
        .build()
        .unwrap();
    let clock = emulator.clone();
    let down = Ledger::new(down, store.clone()).with_clock(move || clock.now());
    let request = meeting(&emulator, "standup", DAY);
    let key = IntentKey::new("standup");

    let (record, error) = down
        .book_with_error(key.clone(), request.clone(), BookOptions::default())
        .await
        .unwrap();
    assert!(
        error.unwrap().is_connect(),
        "the apply's own error is given"
    );
    assert_eq!((record.state, record.attempts), (State::Pending, 1));
    let refusal = record.refusal.as_ref().unwrap();
    assert_eq!(refusal.code, None);
    assert!(
        refusal.message.contains("connection was refused"),
        "{refusal:?}"
    );
    assert_eq!(emulator.state().applies, 0);

    let up = ledger_over(&emulator, store.clone());
    let record = up
        .book(key.clone(), request.clone(), BookOptions::default())
        .await
        .unwrap();
    assert_eq!((record.state, record.attempts), (State::Booked, 2));
    // Booked: the same key again sends nothing.
    let again = up.book(key, request, BookOptions::default()).await.unwrap();
    assert_eq!(again.reserve_id, record.reserve_id);
    assert_eq!(emulator.state().applies, 1);
}
