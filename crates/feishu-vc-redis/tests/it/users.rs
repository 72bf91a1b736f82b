//! Users' OAuth tokens shared through Redis: processes refreshing the same user take turns, so a
//! single-use refresh token is spent once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use feishu_vc::model::SecretString;
use feishu_vc::transport::{OAuthApp, Transport, UserTokenSource, UserTokenStore, UserTokens};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::support::{RedisServer, keys};

const APP_ID: &str = "cli_user_fleet";
const USER: &str = "ou_fleet_user";

/// A token endpoint with single-use refresh tokens: each refresh voids the one it was given
/// (answering 20064 to a reuse) and counts itself.
#[derive(Clone)]
struct TokenEndpoint {
    current: Arc<Mutex<String>>,
    refreshes: Arc<AtomicUsize>,
}

async fn refresh(
    State(ep): State<TokenEndpoint>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let given = body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut current = ep.current.lock().await;
    // Slow enough that racing processes overlap.
    tokio::time::sleep(Duration::from_millis(50)).await;
    if given != *current {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": 20064, "error": "invalid_grant", "error_description": "revoked"})),
        );
    }
    let n = ep.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
    *current = format!("r-{n}");
    (
        StatusCode::OK,
        Json(json!({
            "code": 0, "access_token": format!("u-{n}"), "expires_in": 7200,
            "refresh_token": format!("r-{n}"), "refresh_token_expires_in": 604800,
            "token_type": "Bearer", "scope": "offline_access"
        })),
    )
}

async fn start_endpoint(first_refresh: &str) -> (String, TokenEndpoint) {
    let ep = TokenEndpoint {
        current: Arc::new(Mutex::new(first_refresh.to_owned())),
        refreshes: Arc::new(AtomicUsize::new(0)),
    };
    let app = axum::Router::new()
        .route("/open-apis/authen/v2/oauth/token", post(refresh))
        .with_state(ep.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, ep)
}

fn expiring(refresh: &str) -> UserTokens {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    UserTokens {
        access_token: SecretString::from("u-0"),
        access_expires_at: now + 10,
        refresh_token: Some(SecretString::from(refresh)),
        refresh_expires_at: Some(now + 604_800),
        scope: "offline_access".to_owned(),
    }
}

fn source(base: &str, store: Arc<dyn UserTokenStore>) -> UserTokenSource {
    let transport = Transport::builder().base_url(base).build().unwrap();
    UserTokenSource::new(
        transport,
        OAuthApp::new(APP_ID, "client-secret-Fl33t", "https://app.example/cb"),
        store,
    )
}

#[tokio::test]
async fn eight_processes_refreshing_one_user_through_redis_refresh_once_and_all_succeed() {
    let server = RedisServer::start();
    let (base, ep) = start_endpoint("r-0").await;
    server
        .handle("fleet")
        .user_tokens(APP_ID)
        .save(USER, &expiring("r-0"))
        .await
        .unwrap();
    // Eight "processes": each its own connection, store and source, sharing only Redis.
    let sources: Vec<UserTokenSource> = (0..8)
        .map(|_| source(&base, Arc::new(server.handle("fleet").user_tokens(APP_ID))))
        .collect();
    let tasks: Vec<_> = sources
        .into_iter()
        .map(|s| tokio::spawn(async move { s.access_token(USER).await }))
        .collect();
    for task in tasks {
        let token = task.await.unwrap().expect("every process gets a token");
        assert_eq!(token, SecretString::from("u-1"));
    }
    assert_eq!(ep.refreshes.load(Ordering::SeqCst), 1);
    let stored = server
        .handle("fleet")
        .user_tokens(APP_ID)
        .load(USER)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.refresh_token, Some(SecretString::from("r-1")));
    let all = keys(&server.url(), "*").await;
    assert_eq!(
        all,
        vec![format!("fleet:user_token:{APP_ID}:{USER}")],
        "the lock is released"
    );
}

#[tokio::test]
async fn without_a_shared_lock_racing_processes_lose_the_user() {
    // The same race with a store per process: the refresh token is spent once, and the others
    // are told to re-authorize. This is what the Redis store prevents.
    let (base, ep) = start_endpoint("r-0").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = Arc::new(feishu_vc::transport::InMemoryUserTokenStore::new());
        store.save(USER, &expiring("r-0")).await.unwrap();
        let s = source(&base, store);
        tasks.push(tokio::spawn(async move { s.access_token(USER).await }));
    }
    let mut refused = 0;
    for task in tasks {
        if let Err(e) = task.await.unwrap() {
            assert!(e.reauthorization_required(), "{e:?}");
            refused += 1;
        }
    }
    assert_eq!(ep.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(refused, 7);
}

#[tokio::test]
async fn the_store_round_trips_tokens_and_only_the_holder_releases_the_lock() {
    let server = RedisServer::start();
    let store = server.handle("rt").user_tokens(APP_ID);
    assert_eq!(store.load(USER).await.unwrap(), None);
    let tokens = expiring("r-keep");
    store.save(USER, &tokens).await.unwrap();
    assert_eq!(store.load(USER).await.unwrap(), Some(tokens));
    let holder = store
        .try_lock(USER, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.try_lock(USER, Duration::from_secs(5)).await.unwrap(),
        None
    );
    store.unlock(USER, "not-the-holder").await.unwrap();
    assert_eq!(
        store.try_lock(USER, Duration::from_secs(5)).await.unwrap(),
        None
    );
    store.unlock(USER, &holder).await.unwrap();
    assert!(
        store
            .try_lock(USER, Duration::from_secs(5))
            .await
            .unwrap()
            .is_some()
    );
    for key in keys(&server.url(), "*").await {
        assert!(key.starts_with("rt:user_token:"), "{key}");
    }
}

#[tokio::test]
async fn eight_clients_booking_as_one_user_through_redis_and_the_emulator_refresh_once() {
    let server = RedisServer::start();
    let emulator = feishu_vc_emulator::Emulator::builder()
        .start()
        .await
        .unwrap();
    let app_id = emulator.app_id().to_owned();
    let refreshes = Arc::new(AtomicUsize::new(0));
    let make_source = |refreshes: Arc<AtomicUsize>| {
        let transport = Transport::builder()
            .base_url(emulator.base_url())
            .build()
            .unwrap();
        UserTokenSource::new(
            transport,
            OAuthApp::new(&app_id, emulator.app_secret(), "https://app.example/cb"),
            Arc::new(server.handle("emu").user_tokens(&app_id)),
        )
        .on_refresh(move |_, _| {
            refreshes.fetch_add(1, Ordering::SeqCst);
        })
    };
    // The user logs in once; the tokens land in Redis. Then the access token is about to expire.
    let code = emulator.authorize("alice").unwrap();
    let mut tokens = make_source(Arc::new(AtomicUsize::new(0)))
        .log_in("alice", code)
        .await
        .unwrap();
    tokens.access_expires_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 30;
    server
        .handle("emu")
        .user_tokens(&app_id)
        .save("alice", &tokens)
        .await
        .unwrap();

    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let client = feishu_vc::Client::builder()
                .base_url(emulator.base_url())
                .token_provider(make_source(refreshes.clone()).for_user("alice"))
                .build()
                .unwrap();
            let end = feishu_vc::model::Timestamp::now()
                .checked_add(Duration::from_secs(3600))
                .unwrap();
            let request = feishu_vc::model::ApplyReserveRequest::new(
                feishu_vc::model::ReserveMeetingSetting::default()
                    .set_topic(format!("as alice {n}")),
            )
            .set_end_time(end);
            tokio::spawn(async move { client.reserves().apply(request).await })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap()
            .expect("every process books as the user");
    }
    assert_eq!(
        refreshes.load(Ordering::SeqCst),
        1,
        "one refresh for the fleet"
    );
    let stored = server
        .handle("emu")
        .user_tokens(&app_id)
        .load("alice")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored.refresh_token, tokens.refresh_token);
    emulator.shutdown().await.unwrap();
}
