//! What official SDKs send and expect, and inputs that used to break the emulator: query booleans
//! in Python's spelling, user-token codes, tokens on wall time, huge clock advances.

use std::time::Duration;

use feishu_vc_emulator::{DEMO_USER_BOB, Emulator, Error, MeetingSpec};
use reqwest::Method;
use serde_json::json;

use crate::{alice_meeting, book, client, raw, unchecked_client};

#[tokio::test]
async fn query_booleans_are_read_as_every_official_sdk_writes_them() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let id = book(&client, &emulator, "sync").await;
    emulator
        .start_meeting(id.as_str(), MeetingSpec::new().participant(DEMO_USER_BOB))
        .await
        .unwrap();
    let token = emulator.mint_tenant_token().await.unwrap();
    let url = |value: &str| {
        format!(
            "{}/open-apis/vc/v1/reserves/{id}/get_active_meeting?with_participants={value}",
            emulator.base_url()
        )
    };
    // Go, Java and Node.js write `true`/`false`; the Python SDK writes `str(True)`.
    for (value, listed) in [
        ("true", true),
        ("True", true),
        ("false", false),
        ("False", false),
    ] {
        let answer = raw(Method::GET, url(value), Some(token.expose_secret()), None).await;
        assert_eq!(answer.body["code"], 0, "{value}: {}", answer.body);
        let participants = &answer.body["data"]["meeting"]["participants"];
        assert_eq!(participants.is_array(), listed, "{value}: {}", answer.body);
    }
    // Anything else is still refused.
    for value in ["TRUE", "1", "yes", ""] {
        let answer = raw(Method::GET, url(value), Some(token.expose_secret()), None).await;
        assert_eq!(answer.status, 400, "{value}");
        assert_eq!(answer.body["code"], 121003, "{value}: {}", answer.body);
    }
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn tokens_on_wall_time_outlive_clock_advances_that_expire_reservations() {
    let emulator = Emulator::builder()
        .tokens_on_wall_time(true)
        .start()
        .await
        .unwrap();
    let client = client(&emulator);
    let id = book(&client, &emulator, "sync").await;
    let tenant = emulator.mint_tenant_token().await.unwrap();
    let alice = emulator.mint_user_token("alice").await.unwrap();
    // Two token lifetimes later by the emulator's time: the reservation has expired...
    emulator
        .advance(Duration::from_secs(2 * 7200))
        .await
        .unwrap();
    let url = format!("{}/open-apis/vc/v1/reserves/{id}", emulator.base_url());
    let got = raw(Method::GET, url.clone(), Some(tenant.expose_secret()), None).await;
    assert_eq!(got.body["code"], 0, "{}", got.body);
    assert_eq!(got.body["data"]["reserve"]["expire_status"], 2);
    // ...and the same tokens still work, as they would for a client that never refetches.
    assert_eq!(emulator.state().live_tokens, 2);
    let got = raw(Method::GET, url, Some(alice.expose_secret()), None).await;
    assert_eq!(got.body["code"], 0, "{}", got.body);
    emulator.shutdown().await.unwrap();

    // By default the same advance expires them.
    let emulator = Emulator::start_default().await.unwrap();
    let alice = emulator.mint_user_token("alice").await.unwrap();
    emulator
        .advance(Duration::from_secs(2 * 7200))
        .await
        .unwrap();
    let url = format!("{}/open-apis/vc/v1/reserves/1", emulator.base_url());
    let got = raw(Method::GET, url, Some(alice.expose_secret()), None).await;
    assert_eq!(got.body["code"], 99991677, "{}", got.body);
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn huge_clock_advances_are_refused_and_leave_the_time_alone() {
    let emulator = Emulator::start_default().await.unwrap();
    let before = emulator.state().clock_offset_seconds;
    for seconds in [u64::MAX, i64::MAX as u64, 200 * 365 * 86_400] {
        let err = emulator
            .advance(Duration::from_secs(seconds))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ClockOutOfRange { .. }), "{err}");
        assert!(err.to_string().contains("100 years"), "{err}");
    }
    // Over HTTP too: a clear 400, twice in a row, and the clock never wraps backwards.
    let url = format!("{}/_emulator/clock/advance", emulator.base_url());
    for _ in 0..2 {
        let answer = raw(
            Method::POST,
            url.clone(),
            None,
            Some(json!({"seconds": i64::MAX})),
        )
        .await;
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert!(
            answer.body["error"]
                .as_str()
                .unwrap()
                .contains("cannot advance"),
            "{}",
            answer.body
        );
    }
    assert_eq!(emulator.state().clock_offset_seconds, before);
    // Advances add up to the bound, not past it.
    let ninety_years = Duration::from_secs(90 * 365 * 86_400);
    emulator.advance(ninety_years).await.unwrap();
    let err = emulator.advance(ninety_years).await.unwrap_err();
    assert!(matches!(err, Error::ClockOutOfRange { .. }), "{err}");
    assert_eq!(
        emulator.state().clock_offset_seconds,
        90 * 365 * 86_400,
        "the refused advance changed nothing"
    );
    // The emulator still works at that time (by its own clock: the client checks nothing).
    let client = unchecked_client(&emulator);
    let booked = client
        .reserves()
        .apply(alice_meeting(&emulator, "far future"))
        .await;
    assert!(booked.is_ok(), "{booked:?}");
    emulator.shutdown().await.unwrap();
}
