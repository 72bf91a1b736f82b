//! User tokens: the authorization URL, the v2 code exchange and refresh, single-flight refresh per
//! user, the store holding the new refresh token, and 200xx / 99991677 handling.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use feishu_vc_model::{GetReserveRequest, SecretString, TokenKind};
use feishu_vc_transport::{
    Brand, CallOptions, Error, InMemoryUserTokenStore, OAUTH_TOKEN_PATH, OAuthApp, Transport,
    UserTokenError, UserTokenSource, UserTokenStore, UserTokens,
};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{RESERVE_ID, assert_debug_hides, assert_hides, catch_all, reserve_path};

const CLIENT_SECRET: &str = "client-secret-Qw8Zx3";
const USER: &str = "ou_alice";

fn app() -> OAuthApp {
    OAuthApp::new(
        "cli_oauth_app",
        CLIENT_SECRET,
        "https://app.example/callback",
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn stored(access: &str, expires_in: u64, refresh: &str) -> UserTokens {
    UserTokens {
        access_token: SecretString::from(access),
        access_expires_at: now() + expires_in,
        refresh_token: Some(SecretString::from(refresh)),
        refresh_expires_at: Some(now() + 604_800),
        scope: "vc:reserve offline_access".to_owned(),
    }
}

fn plain(server: &MockServer) -> Transport {
    Transport::builder().base_url(server.uri()).build().unwrap()
}

/// A source over `server` whose store holds `tokens` for [`USER`].
async fn source_with(
    server: &MockServer,
    tokens: UserTokens,
) -> (UserTokenSource, Arc<InMemoryUserTokenStore>) {
    let store = Arc::new(InMemoryUserTokenStore::new());
    store.save(USER, &tokens).await.unwrap();
    (
        UserTokenSource::new(plain(server), app(), store.clone()),
        store,
    )
}

fn acting_as(server: &MockServer, source: &UserTokenSource) -> Transport {
    Transport::builder()
        .base_url(server.uri())
        .token_provider(source.for_user(USER))
        .build()
        .unwrap()
}

fn token_answer(access: &str, refresh: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "code": 0, "access_token": access, "expires_in": 7200, "refresh_token": refresh,
        "refresh_token_expires_in": 604800, "token_type": "Bearer", "scope": "vc:reserve offline_access"
    }))
}

fn oauth_error(status: u16, code: i64) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code, "error": "invalid_grant", "error_description": "The refresh token has been used"
    }))
}

async fn mount_refresh(server: &MockServer, old: &str, answer: ResponseTemplate, times: u64) {
    Mock::given(method("POST"))
        .and(path(OAUTH_TOKEN_PATH))
        .and(body_partial_json(json!({
            "grant_type": "refresh_token", "client_id": "cli_oauth_app",
            "client_secret": CLIENT_SECRET, "refresh_token": old
        })))
        .respond_with(answer)
        .expect(times)
        .mount(server)
        .await;
}

async fn mount_reserve(server: &MockServer, token: &str, times: u64) {
    Mock::given(method("GET"))
        .and(path(reserve_path(RESERVE_ID)))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "code": 0, "msg": "success", "data": {"reserve": {"id": RESERVE_ID}}
        })))
        .expect(times)
        .mount(server)
        .await;
}

#[test]
fn the_authorization_url_carries_the_app_the_redirect_the_scopes_and_the_state() {
    let url = app().authorize_url(Brand::Feishu, &["vc:reserve", "offline_access"], "st-9");
    let parsed = reqwest::Url::parse(&url).unwrap();
    assert_eq!(parsed.host_str(), Some("accounts.feishu.cn"));
    assert_eq!(parsed.path(), "/open-apis/authen/v1/authorize");
    let query: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("client_id").as_deref(), Some("cli_oauth_app"));
    assert_eq!(get("response_type").as_deref(), Some("code"));
    assert_eq!(
        get("redirect_uri").as_deref(),
        Some("https://app.example/callback")
    );
    assert_eq!(get("scope").as_deref(), Some("vc:reserve offline_access"));
    assert_eq!(get("state").as_deref(), Some("st-9"));
    assert!(!url.contains(CLIENT_SECRET));
    let lark = app().authorize_url(Brand::Lark, &[], "");
    assert!(lark.starts_with("https://accounts.larksuite.com/open-apis/authen/v1/authorize?"));
}

#[tokio::test]
async fn twenty_calls_with_a_token_about_to_expire_cause_one_refresh_saved_before_use() {
    let server = MockServer::start().await;
    mount_refresh(&server, "r-old", token_answer("u-new", "r-new"), 1).await;
    mount_reserve(&server, "u-new", 20).await;
    catch_all(&server).await;
    let store = Arc::new(InMemoryUserTokenStore::new());
    store
        .save(USER, &stored("u-old", 30, "r-old"))
        .await
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook_seen = seen.clone();
    let hook_store = store.clone();
    let source = UserTokenSource::new(plain(&server), app(), store.clone()).on_refresh(
        move |user, tokens| {
            // The hook runs after the store holds the new tokens.
            let saved = futures_now(hook_store.load(user)).unwrap().unwrap();
            assert_eq!(&saved, tokens);
            hook_seen.lock().unwrap().push(user.to_owned());
        },
    );
    let transport = acting_as(&server, &source);
    assert_eq!(
        transport.token_kind(&CallOptions::new()),
        Some(TokenKind::User)
    );
    let calls = (0..20).map(|_| {
        let transport = transport.clone();
        tokio::spawn(async move {
            transport
                .send(&GetReserveRequest::new(RESERVE_ID), &CallOptions::new())
                .await
        })
    });
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let now_stored = store.load(USER).await.unwrap().unwrap();
    assert_eq!(now_stored.refresh_token, Some(SecretString::from("r-new")));
    assert_eq!(now_stored.access_token, SecretString::from("u-new"));
    assert!(now_stored.access_expires_at >= now() + 7000);
    assert_eq!(*seen.lock().unwrap(), vec![USER.to_owned()]);
}

/// Polls a store future that is ready at once (the in-memory store never waits).
fn futures_now<T>(f: impl std::future::Future<Output = T>) -> T {
    let mut f = std::pin::pin!(f);
    let waker = std::task::Waker::noop();
    match f.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the in-memory store waited"),
    }
}

#[tokio::test]
async fn a_used_refresh_token_means_re_authorization_required() {
    let server = MockServer::start().await;
    mount_refresh(&server, "r-used", oauth_error(400, 20064), 1).await;
    catch_all(&server).await;
    let (source, _) = source_with(&server, stored("u-old", 0, "r-used")).await;
    let transport = acting_as(&server, &source);
    let err = transport
        .send(&GetReserveRequest::new(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    let Error::Token(token) = &err else {
        panic!("expected a token error, got {err:?}")
    };
    assert!(token.reauthorization_required(), "{token:?}");
    assert_eq!(token.code, Some(20064));
    assert!(
        err.to_string().contains("re-authorization required"),
        "{err}"
    );
    assert!(matches!(
        token.user_token_error(),
        Some(UserTokenError::ReauthorizationRequired {
            code: Some(20064),
            ..
        })
    ));
}

#[tokio::test]
async fn a_user_never_logged_in_needs_authorization_and_nothing_is_sent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let source = UserTokenSource::new(
        plain(&server),
        app(),
        Arc::new(InMemoryUserTokenStore::new()),
    );
    let err = source.access_token("ou_nobody").await.unwrap_err();
    assert!(err.reauthorization_required(), "{err:?}");
}

#[tokio::test]
async fn server_errors_20050_and_20072_are_tried_once_more() {
    let server = MockServer::start().await;
    let answers = Arc::new(AtomicUsize::new(0));
    let counter = answers.clone();
    Mock::given(method("POST"))
        .and(path(OAUTH_TOKEN_PATH))
        .respond_with(move |_: &wiremock::Request| {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                oauth_error(500, 20050)
            } else {
                token_answer("u-new", "r-new")
            }
        })
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let (source, store) = source_with(&server, stored("u-old", 0, "r-old")).await;
    let token = source.access_token(USER).await.unwrap();
    assert_eq!(token, SecretString::from("u-new"));
    assert_eq!(
        store.load(USER).await.unwrap().unwrap().refresh_token,
        Some(SecretString::from("r-new"))
    );

    let twice = MockServer::start().await;
    mount_refresh(&twice, "r-old", oauth_error(503, 20072), 2).await;
    catch_all(&twice).await;
    let (source, store) = source_with(&twice, stored("u-old", 0, "r-old")).await;
    let err = source.access_token(USER).await.unwrap_err();
    assert!(
        matches!(err, UserTokenError::Temporary { code: 20072, .. }),
        "{err:?}"
    );
    assert!(!err.reauthorization_required());
    // A temporary failure keeps the stored refresh token for the next try.
    assert_eq!(
        store.load(USER).await.unwrap().unwrap().refresh_token,
        Some(SecretString::from("r-old"))
    );
}

#[tokio::test]
async fn an_expired_user_token_answer_causes_one_refresh_and_one_replay() {
    for code in [99991677, 99991668] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(reserve_path(RESERVE_ID)))
            .and(header("authorization", "Bearer u-early"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "code": code, "msg": "user access token expired"
            })))
            .expect(1)
            .mount(&server)
            .await;
        mount_reserve(&server, "u-new", 1).await;
        mount_refresh(&server, "r-old", token_answer("u-new", "r-new"), 1).await;
        catch_all(&server).await;
        let (source, _) = source_with(&server, stored("u-early", 3600, "r-old")).await;
        let transport = acting_as(&server, &source);
        transport
            .send(&GetReserveRequest::new(RESERVE_ID), &CallOptions::new())
            .await
            .unwrap_or_else(|e| panic!("{code}: {e:?}"));
    }
}

#[tokio::test]
async fn the_code_exchange_saves_the_users_tokens() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(OAUTH_TOKEN_PATH))
        .and(body_partial_json(json!({
            "grant_type": "authorization_code", "client_id": "cli_oauth_app",
            "client_secret": CLIENT_SECRET, "code": "code-xyz",
            "redirect_uri": "https://app.example/callback"
        })))
        .respond_with(token_answer("u-first", "r-first"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let store = Arc::new(InMemoryUserTokenStore::new());
    let source = UserTokenSource::new(plain(&server), app(), store.clone());
    let tokens = source.log_in(USER, "code-xyz").await.unwrap();
    assert_eq!(store.load(USER).await.unwrap(), Some(tokens.clone()));
    assert_eq!(
        source.access_token(USER).await.unwrap(),
        SecretString::from("u-first")
    );
    assert_debug_hides(&tokens, &["u-first", "r-first"]);
    assert_debug_hides(&source, &[CLIENT_SECRET]);
    assert_debug_hides(&app(), &[CLIENT_SECRET]);
}

#[tokio::test]
async fn a_four_kilobyte_user_token_goes_through() {
    let server = MockServer::start().await;
    let jwt = format!("eyJhbGciOiJFUzI1NiIs.{}.sig", "a".repeat(4096));
    mount_reserve(&server, &jwt, 1).await;
    catch_all(&server).await;
    let (source, _) = source_with(&server, stored(&jwt, 7200, "r-old")).await;
    acting_as(&server, &source)
        .send(&GetReserveRequest::new(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_echoing_token_endpoint_never_shows_the_refresh_token_code_or_secret() {
    let server = MockServer::start().await;
    // Not JSON, at 400 and at 200: the error keeps an excerpt of the answer.
    for status in [400, 200] {
        Mock::given(method("POST"))
            .and(path(OAUTH_TOKEN_PATH))
            .respond_with(move |r: &wiremock::Request| {
                let echoed = String::from_utf8_lossy(&r.body).into_owned();
                ResponseTemplate::new(status).set_body_string(format!("bad gateway: {echoed}"))
            })
            .up_to_n_times(2)
            .expect(2)
            .mount(&server)
            .await;
        let (source, _) = source_with(&server, stored("u-old", 0, "r-secret-Zq81")).await;
        let err = source.access_token(USER).await.unwrap_err();
        assert!(matches!(err, UserTokenError::Transport(_)), "{err:?}");
        assert_hides(&err, &["r-secret-Zq81", CLIENT_SECRET]);
        let err = source.log_in(USER, "code-Hk27x").await.unwrap_err();
        assert!(matches!(err, UserTokenError::Transport(_)), "{err:?}");
        assert_hides(&err, &["code-Hk27x", CLIENT_SECRET]);
    }
}

#[tokio::test]
async fn configuring_a_shared_source_makes_a_separate_one_instead_of_failing() {
    let server = MockServer::start().await;
    mount_refresh(&server, "r-old", token_answer("u-new", "r-new"), 1).await;
    catch_all(&server).await;
    let (source, _) = source_with(&server, stored("u-old", 600, "r-old")).await;
    let provider = source.for_user(USER);
    // 600 s left: usable with the default margin, due with a 20-minute one.
    let eager = source
        .clone()
        .refresh_margin(std::time::Duration::from_secs(1200));
    assert_eq!(
        eager.access_token(USER).await.unwrap(),
        SecretString::from("u-new")
    );
    drop(provider);
}
