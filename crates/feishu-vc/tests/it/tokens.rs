//! The tenant token: one fetch for many callers, refreshed before expiry, evicted and replayed once
//! when rejected; per-call tokens used as given; one cache per client.

use std::time::Duration;

use feishu_vc::Client;
use feishu_vc::model::ErrorCode;
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

/// Mounts `GET /reserves/{RESERVE_ID}` answering success to `Bearer token`, expected `times` times.
async fn mount_get_ok(server: &MockServer, token: &str, times: u64) {
    Mock::given(method("GET"))
        .and(path(reserve_path(RESERVE_ID)))
        .and(bearer(token))
        .respond_with(ok(reserve_data()))
        .named(format!("get with {token}"))
        .expect(times)
        .mount(server)
        .await;
}

/// Mounts `GET /reserves/{RESERVE_ID}` rejecting `Bearer token` with `code`, expected `times` times.
async fn mount_get_rejected(server: &MockServer, token: &str, status: u16, code: i64, times: u64) {
    Mock::given(method("GET"))
        .and(path(reserve_path(RESERVE_ID)))
        .and(bearer(token))
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("x-tt-logid", format!("log-rejected-{token}").as_str())
                .set_body_json(json!({"code": code, "msg": "Invalid access token for authorization. Please make a request with token attached."})),
        )
        .named(format!("get with {token} -> {code}"))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn two_hundred_concurrent_calls_fetch_one_token() {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(TokenSeq::new(7200).with_delay(Duration::from_millis(150)))
        .expect(1)
        .mount(&server)
        .await;
    mount_get_ok(&server, "t-1", 200).await;
    catch_all(&server).await;

    get_concurrently(&client(&server), 200).await;
}

#[tokio::test]
async fn token_is_refreshed_before_it_expires() {
    let server = MockServer::start().await;
    // Lives 2 s; with a 1 s margin the client replaces it after 1 s.
    token_endpoint()
        .respond_with(TokenSeq::new(2))
        .expect(2)
        .mount(&server)
        .await;
    mount_get_ok(&server, "t-1", 2).await;
    mount_get_ok(&server, "t-2", 1).await;
    catch_all(&server).await;

    let client = builder(&server.uri())
        .refresh_margin(Duration::from_secs(1))
        .build()
        .unwrap();
    client.reserves().get(RESERVE_ID).await.unwrap();
    // Before the refresh point the cached token is used.
    client.reserves().get(RESERVE_ID).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // Past it (and before the real expiry) a new one is fetched.
    client.reserves().get(RESERVE_ID).await.unwrap();
}

/// The first call's token is rejected with `code` (HTTP `status`); the client evicts it, fetches
/// `t-2`, replays once, succeeds, and keeps using `t-2`.
async fn rejected_token_is_evicted_and_the_call_replayed_once(status: u16, code: i64) {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(TokenSeq::new(7200))
        .expect(2)
        .mount(&server)
        .await;
    mount_get_rejected(&server, "t-1", status, code, 1).await;
    mount_get_ok(&server, "t-2", 2).await;
    catch_all(&server).await;

    let client = client(&server);
    let got = client.reserves().get(RESERVE_ID).await.unwrap();
    assert_eq!(got.data.reserve.unwrap().id.unwrap(), RESERVE_ID);
    // The fresh token is cached: no third token request.
    client.reserves().get(RESERVE_ID).await.unwrap();
}

#[tokio::test]
async fn token_rejected_99991663_with_http_200_is_evicted_and_replayed_once() {
    rejected_token_is_evicted_and_the_call_replayed_once(200, 99_991_663).await;
}

#[tokio::test]
async fn token_rejected_99991663_with_http_401_is_evicted_and_replayed_once() {
    rejected_token_is_evicted_and_the_call_replayed_once(401, 99_991_663).await;
}

#[tokio::test]
async fn token_rejected_99991664_is_evicted_and_replayed_once() {
    rejected_token_is_evicted_and_the_call_replayed_once(200, 99_991_664).await;
}

#[tokio::test]
async fn token_rejected_99991671_is_evicted_and_replayed_once() {
    rejected_token_is_evicted_and_the_call_replayed_once(400, 99_991_671).await;
}

#[tokio::test]
async fn concurrent_rejections_of_one_token_cause_one_refresh() {
    // Fifty calls all holding t-1 are rejected at about the same time: t-1 is evicted once, one
    // t-2 is fetched for all of them, and no late rejection of t-1 evicts t-2.
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(TokenSeq::new(7200).with_delay(Duration::from_millis(100)))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(reserve_path(RESERVE_ID)))
        .and(bearer("t-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"code": 99991663, "msg": "Invalid access token for authorization."}),
        ))
        .named("get with t-1 -> 99991663")
        // Each call sends t-1 at most once; how many send it before the eviction may vary.
        .expect(1..=50)
        .mount(&server)
        .await;
    mount_get_ok(&server, "t-2", 50).await;
    catch_all(&server).await;

    get_concurrently(&client(&server), 50).await;
}

#[tokio::test]
async fn second_consecutive_rejection_is_an_api_error_without_more_replays() {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(TokenSeq::new(7200))
        .expect(2)
        .mount(&server)
        .await;
    mount_get_rejected(&server, "t-1", 200, 99_991_663, 1).await;
    mount_get_rejected(&server, "t-2", 200, 99_991_663, 1).await;
    catch_all(&server).await;

    let err = client(&server)
        .reserves()
        .get(RESERVE_ID)
        .await
        .unwrap_err();
    assert!(err.is_api(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::AccessTokenInvalid));
    assert_eq!(err.code().unwrap().code(), 99_991_663);
    assert_eq!(err.http_status(), Some(200));
    assert_eq!(err.log_id(), Some("log-rejected-t-2"));
}

#[tokio::test]
async fn per_call_user_token_is_used_as_given_and_never_cached() {
    let server = MockServer::start().await;
    mount_token(&server, "t-app", 1).await;
    mount_get_ok(&server, "u-caller", 1).await;
    mount_get_ok(&server, "t-app", 1).await;
    catch_all(&server).await;

    let client = client(&server);
    client
        .reserves()
        .get(RESERVE_ID)
        .with_user_access_token("u-caller")
        .await
        .unwrap();
    // A later call without it fetches the app's token.
    client.reserves().get(RESERVE_ID).await.unwrap();
}

#[tokio::test]
async fn per_call_tenant_token_is_used_as_given_and_never_cached() {
    let server = MockServer::start().await;
    mount_token(&server, "t-app", 1).await;
    mount_get_ok(&server, "t-caller", 2).await;
    mount_get_ok(&server, "t-app", 1).await;
    catch_all(&server).await;

    let client = client(&server);
    for _ in 0..2 {
        client
            .reserves()
            .get(RESERVE_ID)
            .with_tenant_access_token("t-caller")
            .await
            .unwrap();
    }
    client.reserves().get(RESERVE_ID).await.unwrap();
}

#[tokio::test]
async fn rejected_per_call_tenant_token_is_not_replayed() {
    let server = MockServer::start().await;
    mount_token(&server, "t-app", 0).await;
    mount_get_rejected(&server, "t-caller", 200, 99_991_663, 1).await;
    catch_all(&server).await;

    let err = client(&server)
        .reserves()
        .get(RESERVE_ID)
        .with_tenant_access_token("t-caller")
        .await
        .unwrap_err();
    assert!(err.is_api(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::AccessTokenInvalid));
}

#[tokio::test]
async fn rejected_per_call_user_token_is_not_replayed() {
    let server = MockServer::start().await;
    mount_token(&server, "t-app", 0).await;
    mount_get_rejected(&server, "u-caller", 401, 99_991_663, 1).await;
    catch_all(&server).await;

    let err = client(&server)
        .reserves()
        .get(RESERVE_ID)
        .with_user_access_token("u-caller")
        .await
        .unwrap_err();
    assert!(err.is_api(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::AccessTokenInvalid));
    assert_eq!(err.http_status(), Some(401));
}

#[tokio::test]
async fn clients_with_different_secrets_each_fetch_their_own_token() {
    let server = MockServer::start().await;
    for (secret, token) in [("secret-a", "t-a"), ("secret-b", "t-b")] {
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .and(body_json(json!({"app_id": APP_ID, "app_secret": secret})))
            .respond_with(token_answer(token, 7200))
            .named(format!("token for {secret}"))
            .expect(1)
            .mount(&server)
            .await;
        mount_get_ok(&server, token, 2).await;
    }
    catch_all(&server).await;

    let build = |secret: &str| {
        Client::builder()
            .app_credentials(APP_ID, secret)
            .base_url(server.uri())
            .retry(fast_retry())
            .build()
            .unwrap()
    };
    let (a, b) = (build("secret-a"), build("secret-b"));
    for _ in 0..2 {
        a.reserves().get(RESERVE_ID).await.unwrap();
        b.reserves().get(RESERVE_ID).await.unwrap();
    }
}

/// Reads the same reservation from `n` tasks at once, sharing one client; each read must succeed.
async fn get_concurrently(client: &feishu_vc::Client, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.reserves().get(RESERVE_ID).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

/// A JWT-shaped token of about 4 KB, as `/oauth/v3/token` and OAuth v2 give.
fn four_kilobyte_jwt() -> String {
    format!(
        "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}",
        "eyJzdWIiOiJjbGlfdGVzdF9hcHAi".repeat(140),
        "c2ln".repeat(20)
    )
}

#[tokio::test]
async fn the_v3_endpoint_gives_a_four_kilobyte_jwt_that_every_call_carries() {
    let server = MockServer::start().await;
    let jwt = four_kilobyte_jwt();
    assert!(jwt.len() >= 4000, "{}", jwt.len());
    Mock::given(method("POST"))
        .and(path(feishu_vc::transport::OAUTH_V3_TOKEN_PATH))
        .and(body_json(json!({
            "grant_type": "client_credentials", "client_id": APP_ID, "client_secret": APP_SECRET
        })))
        .and(|r: &wiremock::Request| !r.headers.contains_key("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": jwt, "expires_in": 7200, "token_type": "Bearer"
        })))
        .named("v3 token endpoint")
        .expect(1)
        .mount(&server)
        .await;
    mount_get_ok(&server, &jwt, 3).await;
    catch_all(&server).await;
    let client = builder(&server.uri())
        .tenant_token_endpoint(feishu_vc::TenantTokenEndpoint::OAuthV3)
        .build()
        .unwrap();
    for _ in 0..3 {
        client.reserves().get(RESERVE_ID).await.unwrap();
    }
}

#[tokio::test]
async fn the_v3_endpoint_refusing_the_app_is_a_token_error_with_its_code() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(feishu_vc::transport::OAUTH_V3_TOKEN_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 20002, "error": "invalid_client", "error_description": "client secret invalid"
        })))
        .expect(1..)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server.uri())
        .tenant_token_endpoint(feishu_vc::TenantTokenEndpoint::OAuthV3)
        .build()
        .unwrap();
    let err = client.reserves().get(RESERVE_ID).await.unwrap_err();
    let feishu_vc::Error::Token(token) = &err else {
        panic!("expected a token error, got {err:?}")
    };
    assert_eq!(token.code, Some(20002), "{err}");
    assert!(!err.to_string().contains(APP_SECRET));
}

#[test]
fn the_accounts_host_follows_the_brand() {
    use feishu_vc::Brand;
    assert_eq!(Brand::Feishu.accounts_url(), "https://accounts.feishu.cn");
    assert_eq!(Brand::Lark.accounts_url(), "https://accounts.larksuite.com");
}
