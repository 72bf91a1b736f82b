//! G: a WebSocket upgrade the server never answers ends within the dial timeout, and is retried
//! on the server's schedule.

use std::time::Duration;

use feishu_vc_events::longconn::frame::ClientConfig;
use feishu_vc_events::longconn::{DEFAULT_DIAL_TIMEOUT, FailureKind, LongConnectionError};

use crate::harness::{Case, serial};
use crate::server::{Endpoint, Ws, eager};

const TIMEOUT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn g_an_upgrade_never_answered_ends_within_the_dial_timeout() {
    let serial = serial().await;
    assert_eq!(DEFAULT_DIAL_TIMEOUT, Duration::from_secs(10));
    // One attempt allowed: the client gives up once the dial times out.
    let once = Endpoint::Url(ClientConfig {
        reconnect_count: 1,
        ..eager()
    });
    let (_, outcome) = Case::new(once, Ws::Silent)
        .tune(|c| c.dial_timeout(TIMEOUT))
        .until_it_ends(&serial)
        .await;
    let Some(Err(LongConnectionError::GaveUp { attempts: 1, last })) = &outcome.ended else {
        panic!("expected the client to give up: {outcome:?}");
    };
    assert!(
        last.contains("no WebSocket connection within 300 ms"),
        "{last}"
    );
    assert!(outcome.elapsed >= TIMEOUT, "{outcome:?}");
    assert!(
        outcome.elapsed < TIMEOUT + Duration::from_secs(1),
        "{outcome:?}"
    );

    // Forever: each attempt ends within the timeout and is reported.
    let (_, outcome) = Case::new(Endpoint::Url(eager()), Ws::Silent)
        .tune(|c| c.dial_timeout(TIMEOUT))
        .run(&serial, |w| w.statuses().len() >= 3)
        .await;
    let dials = outcome.failures(FailureKind::Dial);
    assert_eq!(dials.len(), 3, "{outcome:?}");
    assert!(
        outcome.elapsed < 3 * TIMEOUT + Duration::from_secs(1),
        "{outcome:?}"
    );
}
