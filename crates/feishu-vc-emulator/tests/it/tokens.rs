//! The token endpoint, token checks, expiry by the emulator's clock, log ids, unknown routes.

use std::collections::HashSet;
use std::time::Duration;

use feishu_vc::model::ErrorCode;
use feishu_vc_emulator::{DEMO_APP_ID, DEMO_APP_SECRET, Emulator};
use reqwest::Method;
use serde_json::json;

use crate::{alice_meeting, book, client, raw, unchecked_client};

const TOKEN_PATH: &str = "/open-apis/auth/v3/tenant_access_token/internal";

#[tokio::test]
async fn token_endpoint_issues_tokens_and_rejects_wrong_credentials() {
    let emulator = Emulator::start_default().await.unwrap();
    let url = format!("{}{TOKEN_PATH}", emulator.base_url());
    let ok = raw(
        Method::POST,
        url.clone(),
        None,
        Some(json!({"app_id": DEMO_APP_ID, "app_secret": DEMO_APP_SECRET})),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["code"], 0);
    assert_eq!(ok.body["msg"], "ok");
    assert_eq!(ok.body["expire"], 7200);
    let token = ok.body["tenant_access_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("t-"), "{token}");

    // With 30 minutes or more left, the same token comes back.
    let again = raw(
        Method::POST,
        url.clone(),
        None,
        Some(json!({"app_id": DEMO_APP_ID, "app_secret": DEMO_APP_SECRET})),
    )
    .await;
    assert_eq!(again.body["tenant_access_token"], token.as_str());
    // With less, a new one; the old one stays valid until it expires.
    emulator.advance(Duration::from_secs(6000)).await.unwrap();
    let fresh = raw(
        Method::POST,
        url.clone(),
        None,
        Some(json!({"app_id": DEMO_APP_ID, "app_secret": DEMO_APP_SECRET})),
    )
    .await;
    assert_ne!(fresh.body["tenant_access_token"], token.as_str());
    assert_eq!(fresh.body["expire"], 7200);
    let get = raw(
        Method::GET,
        format!(
            "{}/open-apis/vc/v1/reserves/1234567890123456789",
            emulator.base_url()
        ),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(get.body["code"], 121004, "{}", get.body);

    for (body, code, msg) in [
        (
            json!({"app_id": DEMO_APP_ID, "app_secret": "wrong"}),
            10014,
            "app secret invalid",
        ),
        (
            json!({"app_id": "cli_unknown", "app_secret": "x"}),
            10003,
            "invalid param",
        ),
        (json!({"app_id": DEMO_APP_ID}), 10003, "invalid param"),
    ] {
        let answer = raw(Method::POST, url.clone(), None, Some(body)).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, json!({"code": code, "msg": msg}));
        assert!(answer.log_id.is_some());
    }

    // Through the client: a token error naming the code.
    let wrong = feishu_vc::Client::builder()
        .app_credentials(DEMO_APP_ID, "wrong")
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    let err = wrong
        .reserves()
        .apply(alice_meeting(&emulator, "x"))
        .await
        .unwrap_err();
    assert!(err.is_token(), "{err}");
    assert_eq!(err.code(), Some(ErrorCode::AppSecretInvalid));
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn tenant_tokens_expire_by_the_emulator_clock_and_the_client_recovers() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let id = book(&client, &emulator, "x").await;
    let token = emulator.mint_tenant_token().await.unwrap();
    let url = format!("{}/open-apis/vc/v1/reserves/{id}", emulator.base_url());
    let ok = raw(Method::GET, url.clone(), Some(token.expose_secret()), None).await;
    assert_eq!(ok.body["code"], 0);

    emulator.advance(Duration::from_secs(7200)).await.unwrap();
    let expired = raw(Method::GET, url, Some(token.expose_secret()), None).await;
    assert_eq!(expired.status, 400);
    assert_eq!(expired.body["code"], 99991663);

    // The client's cached token is rejected; it fetches a new one and replays once.
    let got = client.reserves().get(id).await.unwrap();
    assert!(got.data.reserve.is_some());
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn missing_authorization_is_99991661() {
    let emulator = Emulator::start_default().await.unwrap();
    let url = format!("{}/open-apis/vc/v1/reserves/apply", emulator.base_url());
    let answer = raw(Method::POST, url.clone(), None, Some(json!({}))).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["code"], 99991661);
    assert_eq!(
        answer.body["error"]["log_id"].as_str(),
        answer.log_id.as_deref(),
        "the body's log id is the header's"
    );
    assert!(
        answer.body["error"]["troubleshooter"]
            .as_str()
            .unwrap()
            .contains("code=99991661")
    );
    // Another scheme, or a token without "Bearer ", counts as no token.
    let answer = crate::http()
        .post(url)
        .header("authorization", "t-abc")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["code"], 99991661);
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_tokens_are_99991663_and_user_tokens_99991677_or_99991668() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = unchecked_client(&emulator);
    let err = client
        .reserves()
        .apply(alice_meeting(&emulator, "x"))
        .with_tenant_access_token("t-not-issued-by-the-emulator")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AccessTokenInvalid), "{err}");
    assert_eq!(err.http_status(), Some(400));
    assert!(err.log_id().is_some());

    // A user token expires too: Feishu says so with its own code.
    let bob = emulator.mint_user_token("bob").await.unwrap();
    emulator.advance(Duration::from_secs(7201)).await.unwrap();
    let err = client
        .reserves()
        .get("1234567890123456789")
        .with_user_access_token(bob)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::UserAccessTokenExpired), "{err}");
    // A user token the emulator never issued is invalid, not expired.
    let err = client
        .reserves()
        .get("1234567890123456789")
        .with_user_access_token("u-not-issued-by-the-emulator")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::UserAccessTokenInvalid), "{err}");
    assert!(emulator.state().reservations.is_empty());
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn every_response_has_a_fresh_log_id() {
    let emulator = Emulator::start_default().await.unwrap();
    let base = emulator.base_url().to_owned();
    let mut seen = HashSet::new();
    let answers = [
        raw(
            Method::POST,
            format!("{base}{TOKEN_PATH}"),
            None,
            Some(json!({})),
        )
        .await,
        raw(
            Method::GET,
            format!("{base}/open-apis/vc/v1/reserves/1"),
            None,
            None,
        )
        .await,
        raw(
            Method::GET,
            format!("{base}/open-apis/vc/v1/reserves/1"),
            Some("t-x"),
            None,
        )
        .await,
        raw(
            Method::GET,
            format!("{base}/open-apis/vc/v1/nothing"),
            None,
            None,
        )
        .await,
        raw(
            Method::PATCH,
            format!("{base}/open-apis/vc/v1/reserves/apply"),
            None,
            None,
        )
        .await,
        raw(Method::GET, format!("{base}/_emulator/state"), None, None).await,
    ];
    for answer in &answers {
        let id = answer.log_id.clone().expect("X-Tt-Logid on every response");
        assert_eq!(id.len(), 34, "{id}");
        assert!(seen.insert(id), "log ids are unique");
    }
    // Unknown paths and methods: Feishu's plain-text 404.
    for answer in &answers[3..5] {
        assert_eq!(answer.status, 404);
        assert_eq!(answer.body, "404 page not found");
        assert!(
            answer.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
    }
    emulator.shutdown().await.unwrap();
}
