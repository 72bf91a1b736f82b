//! User tokens end to end: the SDK's user-token source against the emulator's OAuth endpoint.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use feishu_vc::model::{ApplyReserveRequest, ReserveMeetingSetting};
use feishu_vc::transport::Transport;
use feishu_vc::{
    Client, Error, InMemoryUserTokenStore, OAuthApp, UserTokenError, UserTokenSource,
    UserTokenStore,
};
use feishu_vc_emulator::Emulator;

use crate::later;

const ALICE: &str = "alice";

fn source_for(emulator: &Emulator, store: Arc<dyn UserTokenStore>) -> UserTokenSource {
    let transport = Transport::builder()
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    let app = OAuthApp::new(
        emulator.app_id(),
        emulator.app_secret(),
        "https://app.example/callback",
    );
    UserTokenSource::new(transport, app, store)
}

fn acting_as(emulator: &Emulator, source: &UserTokenSource, user: &str) -> Client {
    Client::builder()
        .base_url(emulator.base_url())
        .token_provider(source.for_user(user))
        .build()
        .unwrap()
}

fn meeting(emulator: &Emulator, topic: &str) -> ApplyReserveRequest {
    ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic(topic))
        .set_end_time(later(emulator, 3600))
}

#[tokio::test]
async fn twenty_calls_near_expiry_refresh_once_and_the_old_refresh_token_is_then_refused() {
    let emulator = Emulator::start_default().await.unwrap();
    let store = Arc::new(InMemoryUserTokenStore::new());
    let refreshes = Arc::new(AtomicUsize::new(0));
    let counter = refreshes.clone();
    let source = source_for(&emulator, store.clone()).on_refresh(move |_, _| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let code = emulator.authorize(ALICE).unwrap();
    let first = source.log_in(ALICE, code).await.unwrap();
    let old_refresh = first.refresh_token.clone().unwrap();
    // The access token is about to expire: 30 s left, inside the 5-minute refresh margin.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut near_expiry = first.clone();
    near_expiry.access_expires_at = now + 30;
    store.save(ALICE, &near_expiry).await.unwrap();
    refreshes.store(0, Ordering::SeqCst);

    let client = acting_as(&emulator, &source, ALICE);
    let calls: Vec<_> = (0..20)
        .map(|n| {
            let client = client.clone();
            let request = meeting(&emulator, &format!("user-{n}"));
            tokio::spawn(async move { client.reserves().apply(request).await })
        })
        .collect();
    for call in calls {
        call.await
            .unwrap()
            .expect("every call is booked as the user");
    }
    assert_eq!(refreshes.load(Ordering::SeqCst), 1, "exactly one refresh");
    let now_stored = store.load(ALICE).await.unwrap().unwrap();
    let new_refresh = now_stored.refresh_token.clone().unwrap();
    assert_ne!(
        new_refresh, old_refresh,
        "the store holds the new refresh token"
    );
    assert_ne!(now_stored.access_token, first.access_token);

    // A process that kept the old, spent refresh token is refused and told to re-authorize.
    let stale = Arc::new(InMemoryUserTokenStore::new());
    stale.save(ALICE, &near_expiry).await.unwrap();
    let stale_source = source_for(&emulator, stale);
    let err = stale_source.access_token(ALICE).await.unwrap_err();
    assert!(
        matches!(
            err,
            UserTokenError::ReauthorizationRequired {
                code: Some(20073),
                ..
            }
        ),
        "{err:?}"
    );
    let err = acting_as(&emulator, &stale_source, ALICE)
        .reserves()
        .apply(meeting(&emulator, "stale"))
        .await
        .unwrap_err();
    let Error::Token(token) = &err else {
        panic!("expected a token error, got {err:?}")
    };
    assert!(token.reauthorization_required(), "{err}");
    assert!(
        err.to_string().contains("re-authorization required"),
        "{err}"
    );
    // The new refresh token still works: the refusal spent nothing.
    assert!(source.access_token(ALICE).await.is_ok());
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_token_the_emulator_says_expired_is_refreshed_and_the_call_replayed() {
    let emulator = Emulator::start_default().await.unwrap();
    let store = Arc::new(InMemoryUserTokenStore::new());
    let source = source_for(&emulator, store.clone());
    let first = source
        .log_in(ALICE, emulator.authorize(ALICE).unwrap())
        .await
        .unwrap();
    // By the emulator's time the access token is now expired (99991677); by the SDK's it is not.
    emulator
        .advance(Duration::from_secs(2 * 7200))
        .await
        .unwrap();
    acting_as(&emulator, &source, ALICE)
        .reserves()
        .apply(meeting(&emulator, "after expiry"))
        .await
        .unwrap();
    let now_stored = store.load(ALICE).await.unwrap().unwrap();
    assert_ne!(now_stored.access_token, first.access_token);
    assert_ne!(now_stored.refresh_token, first.refresh_token);
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_authorization_code_works_once_and_needs_the_apps_secret() {
    let emulator = Emulator::start_default().await.unwrap();
    let store = Arc::new(InMemoryUserTokenStore::new());
    let code = emulator.authorize(ALICE).unwrap();
    let wrong = UserTokenSource::new(
        Transport::builder()
            .base_url(emulator.base_url())
            .build()
            .unwrap(),
        OAuthApp::new(
            emulator.app_id(),
            "not-the-secret",
            "https://app.example/cb",
        ),
        store.clone(),
    );
    let err = wrong.log_in(ALICE, code.clone()).await.unwrap_err();
    assert!(
        matches!(
            err,
            UserTokenError::ReauthorizationRequired {
                code: Some(20002),
                ..
            }
        ),
        "{err:?}"
    );
    let source = source_for(&emulator, store);
    source.log_in(ALICE, code.clone()).await.unwrap();
    let err = source.log_in(ALICE, code).await.unwrap_err();
    assert!(err.reauthorization_required(), "{err:?}");
    assert!(emulator.authorize("nobody-at-all").is_err());
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_client_on_the_v3_token_endpoint_books_through_the_emulator() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = Client::builder()
        .app_credentials(emulator.app_id(), emulator.app_secret())
        .base_url(emulator.base_url())
        .tenant_token_endpoint(feishu_vc::TenantTokenEndpoint::OAuthV3)
        .build()
        .unwrap();
    let booked = client
        .reserves()
        .apply(crate::alice_meeting(&emulator, "v3"))
        .await
        .unwrap();
    client.reserves().get(booked.data.reserve_id).await.unwrap();
    let wrong = Client::builder()
        .app_credentials(emulator.app_id(), "not-the-secret")
        .base_url(emulator.base_url())
        .tenant_token_endpoint(feishu_vc::TenantTokenEndpoint::OAuthV3)
        .build()
        .unwrap();
    let err = wrong
        .reserves()
        .apply(crate::alice_meeting(&emulator, "v3 wrong"))
        .await
        .unwrap_err();
    let Error::Token(token) = &err else {
        panic!("expected a token error, got {err:?}")
    };
    assert_eq!(token.code, Some(20002), "{err}");
    emulator.shutdown().await.unwrap();
}
