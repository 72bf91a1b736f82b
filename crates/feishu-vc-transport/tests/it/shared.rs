//! State shared by a fleet: a tenant-token cache several transports use together, one that fails,
//! and a rate limiter awaited before each call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use feishu_vc_model::SecretString;
use feishu_vc_transport::{
    BoxError, BoxFuture, CallOptions, RateLimiter, RateScope, SharedToken, TokenCache,
    tenant_token_key,
};
use wiremock::MockServer;

use crate::support::*;

/// A cache in memory standing in for a shared backend; `down` makes every operation fail.
#[derive(Debug, Default)]
pub(crate) struct FakeCache {
    tokens: Mutex<HashMap<String, SecretString>>,
    leases: Mutex<HashMap<String, String>>,
    down: AtomicBool,
}

impl FakeCache {
    /// The keys holding a token.
    pub(crate) fn keys(&self) -> Vec<String> {
        self.tokens.lock().unwrap().keys().cloned().collect()
    }

    fn check(&self) -> Result<(), BoxError> {
        if self.down.load(Ordering::SeqCst) {
            Err("the fake cache is down".into())
        } else {
            Ok(())
        }
    }
}

impl TokenCache for FakeCache {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<SharedToken>, BoxError>> {
        Box::pin(async move {
            self.check()?;
            Ok(self.tokens.lock().unwrap().get(key).map(|v| SharedToken {
                value: v.clone(),
                usable_for: Duration::from_secs(600),
            }))
        })
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        token: &'a SharedToken,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            self.check()?;
            self.tokens
                .lock()
                .unwrap()
                .insert(key.to_owned(), token.value.clone());
            Ok(())
        })
    }

    fn evict<'a>(
        &'a self,
        key: &'a str,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            self.check()?;
            let mut tokens = self.tokens.lock().unwrap();
            if tokens.get(key) == Some(rejected) {
                tokens.remove(key);
            }
            Ok(())
        })
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        _lease: Duration,
    ) -> BoxFuture<'a, Result<Option<String>, BoxError>> {
        Box::pin(async move {
            self.check()?;
            let mut leases = self.leases.lock().unwrap();
            if leases.contains_key(key) {
                return Ok(None);
            }
            leases.insert(key.to_owned(), "holder".to_owned());
            Ok(Some("holder".to_owned()))
        })
    }

    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            self.check()?;
            let mut leases = self.leases.lock().unwrap();
            if leases.get(key).map(String::as_str) == Some(holder) {
                leases.remove(key);
            }
            Ok(())
        })
    }
}

/// `GET` of the test reservation with `token`, answered, expected `times` times.
async fn mount_reserve(server: &MockServer, token: &str, times: u64) {
    get_reserve(RESERVE_ID)
        .and(bearer(token))
        .respond_with(ok(reserve_data()))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn transports_sharing_a_token_cache_fetch_one_token() {
    let server = MockServer::start().await;
    // One token for the whole "fleet" of four transports (wiremock checks the count on drop).
    mount_token(&server, "t-fleet", 1).await;
    mount_reserve(&server, "t-fleet", 8).await;
    catch_all(&server).await;

    let cache = Arc::new(FakeCache::default());
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let transport = builder(&server.uri())
                .token_cache(cache.clone())
                .build()
                .unwrap();
            tokio::spawn(async move {
                for _ in 0..2 {
                    transport
                        .send(&get(RESERVE_ID), &CallOptions::new())
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let key = tenant_token_key(APP_ID, &SecretString::from(APP_SECRET));
    assert_eq!(
        cache.tokens.lock().unwrap().get(&key),
        Some(&SecretString::from("t-fleet"))
    );
    assert!(
        cache.leases.lock().unwrap().is_empty(),
        "the lease was given back"
    );
}

#[tokio::test]
async fn a_failing_token_cache_falls_back_to_the_processs_own_token() {
    let server = MockServer::start().await;
    // Each of the two transports fetches its own token, and both calls succeed.
    mount_token(&server, "t-own", 2).await;
    mount_reserve(&server, "t-own", 2).await;
    catch_all(&server).await;

    let cache = Arc::new(FakeCache::default());
    cache.down.store(true, Ordering::SeqCst);
    for _ in 0..2 {
        let transport = builder(&server.uri())
            .token_cache(cache.clone())
            .build()
            .unwrap();
        transport
            .send(&get(RESERVE_ID), &CallOptions::new())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_rejected_token_is_evicted_from_the_shared_cache() {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(TokenSeq::default())
        .expect(1)
        .mount(&server)
        .await;
    get_reserve(RESERVE_ID)
        .and(bearer("t-stale"))
        .respond_with(wiremock::ResponseTemplate::new(400).set_body_json(
            serde_json::json!({"code": 99991663, "msg": "tenant access token invalid"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    mount_reserve(&server, "t-1", 1).await;
    catch_all(&server).await;

    let cache = Arc::new(FakeCache::default());
    let key = tenant_token_key(APP_ID, &SecretString::from(APP_SECRET));
    cache
        .tokens
        .lock()
        .unwrap()
        .insert(key.clone(), SecretString::from("t-stale"));
    let transport = builder(&server.uri())
        .token_cache(cache.clone())
        .build()
        .unwrap();
    transport
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(
        cache.tokens.lock().unwrap().get(&key),
        Some(&SecretString::from("t-1")),
        "the stale token was replaced in the shared cache"
    );
}

/// Records the scopes it is asked for.
#[derive(Debug, Default)]
struct Recorder {
    scopes: Mutex<Vec<(String, Option<String>, &'static str)>>,
    calls: AtomicUsize,
}

impl RateLimiter for Recorder {
    fn acquire<'a>(&'a self, scope: RateScope<'a>) -> BoxFuture<'a, ()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.scopes.lock().unwrap().push((
            scope.app_id.to_owned(),
            scope.tenant_key.map(str::to_owned),
            scope.operation,
        ));
        Box::pin(async {})
    }
}

#[tokio::test]
async fn the_rate_limiter_is_awaited_before_each_call_with_its_scope() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(ok(reserve_data()))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let limiter = Arc::new(Recorder::default());
    let transport = builder(&server.uri())
        .rate_limiter(limiter.clone())
        .build()
        .unwrap();
    transport
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap();
    transport
        .send(
            &get(RESERVE_ID),
            &CallOptions::new().with_tenant_key("tenant-b"),
        )
        .await
        .unwrap();
    let scopes = limiter.scopes.lock().unwrap().clone();
    // The token request is not paced; the two calls are, each with its tenant.
    assert_eq!(
        scopes,
        vec![
            (APP_ID.to_owned(), None, "get_reserve"),
            (
                APP_ID.to_owned(),
                Some("tenant-b".to_owned()),
                "get_reserve"
            ),
        ]
    );
}
