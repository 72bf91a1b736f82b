//! E, F: whatever numbers the server configures, the client neither hammers the endpoint (at
//! most one call a second by default) nor overflows a timer.

use std::time::Duration;

use feishu_vc_events::longconn::frame::{ClientConfig, Frame};
use feishu_vc_events::longconn::{
    DEFAULT_MIN_ENDPOINT_INTERVAL, FailureKind, MAX_RECONNECT_NONCE, Status,
};
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{Case, Outcome, serial};
use crate::server::{Endpoint, SERVICE, Ws, eager, script, send};

#[tokio::test]
async fn e_a_zero_reconnect_config_makes_at_most_one_endpoint_call_a_second() {
    let serial = serial().await;
    let floor = DEFAULT_MIN_ENDPOINT_INTERVAL;
    assert_eq!(floor, Duration::from_secs(1));
    // ReconnectInterval 0 and ReconnectNonce 0; connections closed at once, then dials refused.
    let closing = script(|_, ws| async move { drop(ws) });
    for ws in [closing, Ws::refuse(400, 514, "auth failed")] {
        let (server, outcome) = Case::new(Endpoint::Url(eager()), ws)
            .floor(floor)
            .max(Duration::from_millis(2500))
            .until_it_ends(&serial)
            .await;
        assert!(outcome.ended.is_none(), "{outcome:?}");
        // At once, then after 1 s and 2 s: 3 calls in 2.5 s, i.e. 60 a minute at most.
        assert!(
            (2..=3).contains(&outcome.endpoint_calls),
            "{} calls: {outcome:?}",
            outcome.endpoint_calls
        );
        // As the server sees them: spaced by the floor, give or take connection set-up.
        let calls = server.endpoint_calls();
        for pair in calls.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(gap >= floor - Duration::from_millis(100), "{gap:?}");
        }
    }
}

/// 2^64 - 1 seconds for every interval.
fn huge() -> ClientConfig {
    ClientConfig {
        reconnect_count: -1,
        reconnect_interval: u64::MAX,
        reconnect_nonce: u64::MAX,
        ping_interval: u64::MAX,
    }
}

/// Still running, connected once, then dropped and waiting a jitter within its bound.
fn assert_waits_within_bounds(outcome: &Outcome) {
    assert!(outcome.ended.is_none(), "{outcome:?}");
    assert!(outcome.statuses.contains(&Status::Connected), "{outcome:?}");
    let dropped = outcome.failures(FailureKind::Dropped);
    let Some((_, Some(jitter))) = dropped.first() else {
        panic!("no drop reported: {outcome:?}");
    };
    assert!(*jitter < MAX_RECONNECT_NONCE, "{jitter:?}");
}

#[tokio::test]
async fn f_intervals_of_2_pow_64_seconds_from_the_endpoint_or_a_pong_do_not_panic() {
    let serial = serial().await;
    // From the endpoint, then a drop: the ping timer and the reconnect jitter see them.
    let dropping = script(|_, ws| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(ws);
    });
    let (_, outcome) = Case::new(Endpoint::Url(huge()), dropping)
        .max(Duration::from_secs(1))
        .until_it_ends(&serial)
        .await;
    assert_waits_within_bounds(&outcome);

    // From a pong, on a connection that opened with sane values.
    let ponging = script(|_, mut ws| async move {
        let pong = Frame::pong(SERVICE, Some(&huge())).to_bytes();
        send(&mut ws, Message::Binary(pong.into())).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(ws);
    });
    let (_, outcome) = Case::new(Endpoint::Url(eager()), ponging)
        .max(Duration::from_secs(1))
        .until_it_ends(&serial)
        .await;
    assert_waits_within_bounds(&outcome);
}
