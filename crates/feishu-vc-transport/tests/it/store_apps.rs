//! Store apps: the ticket from the store, the app token, one tenant token per `tenant_key`, and a
//! missing or refused ticket answered by a resend request and a typed error.

use std::sync::Arc;

use feishu_vc_model::SecretString;
use feishu_vc_transport::{
    APP_ACCESS_TOKEN_PATH, APP_TICKET_RESEND_PATH, AppTicketStore, CallOptions, Error,
    InMemoryAppTicketStore, STORE_TENANT_TOKEN_PATH, StoreAppError, StoreAppTokenSource, Transport,
};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    RESERVE_ID, assert_debug_hides, bearer, catch_all, get, get_reserve, ok, reserve_data,
};

const STORE_APP: &str = "cli_store_app";
const STORE_SECRET: &str = "store-secret-Hd72Lq";
const TICKET: &str = "ticket-Zm38Qa";

fn source(server: &MockServer, tickets: Arc<InMemoryAppTicketStore>) -> StoreAppTokenSource {
    let plain = Transport::builder().base_url(server.uri()).build().unwrap();
    StoreAppTokenSource::new(plain, STORE_APP, STORE_SECRET, tickets)
}

fn client(server: &MockServer, source: &StoreAppTokenSource) -> Transport {
    Transport::builder()
        .base_url(server.uri())
        .token_provider(Arc::new(source.clone()))
        .build()
        .unwrap()
}

async fn mount_app_token(server: &MockServer, ticket: &str, answer: ResponseTemplate, times: u64) {
    Mock::given(method("POST"))
        .and(path(APP_ACCESS_TOKEN_PATH))
        .and(body_partial_json(json!({
            "app_id": STORE_APP, "app_secret": STORE_SECRET, "app_ticket": ticket
        })))
        .respond_with(answer)
        .expect(times)
        .mount(server)
        .await;
}

async fn mount_tenant_token(server: &MockServer, tenant: &str, token: &str) {
    Mock::given(method("POST"))
        .and(path(STORE_TENANT_TOKEN_PATH))
        .and(body_partial_json(
            json!({"app_access_token": "a-store", "tenant_key": tenant}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "code": 0, "msg": "success", "tenant_access_token": token, "expire": 7200
        })))
        .expect(1)
        .mount(server)
        .await;
}

async fn mount_resend(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path(APP_TICKET_RESEND_PATH))
        .and(body_partial_json(
            json!({"app_id": STORE_APP, "app_secret": STORE_SECRET}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"code": 0, "msg": "success"})),
        )
        .expect(times)
        .mount(server)
        .await;
}

fn app_token_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "code": 0, "msg": "success", "app_access_token": "a-store", "expire": 7200
    }))
}

#[tokio::test]
async fn each_tenant_gets_its_own_token_from_one_app_token() {
    let server = MockServer::start().await;
    mount_app_token(&server, TICKET, app_token_ok(), 1).await;
    mount_tenant_token(&server, "tenant-a", "t-for-a").await;
    mount_tenant_token(&server, "tenant-b", "t-for-b").await;
    for (token, times) in [("t-for-a", 3), ("t-for-b", 2)] {
        get_reserve(RESERVE_ID)
            .and(bearer(token))
            .respond_with(ok(reserve_data()))
            .expect(times)
            .mount(&server)
            .await;
    }
    catch_all(&server).await;
    let tickets = Arc::new(InMemoryAppTicketStore::new());
    tickets
        .save(STORE_APP, &SecretString::from(TICKET))
        .await
        .unwrap();
    let source = source(&server, tickets);
    let transport = client(&server, &source);
    let calls = ["tenant-a", "tenant-b", "tenant-a", "tenant-b", "tenant-a"].map(|tenant| {
        let transport = transport.clone();
        async move {
            transport
                .send(
                    &get(RESERVE_ID),
                    &CallOptions::new().with_tenant_key(tenant),
                )
                .await
        }
    });
    for result in spawn_all(calls).await {
        result.unwrap();
    }
    assert_debug_hides(&source, &[STORE_SECRET, TICKET, "a-store", "t-for-a"]);
}

async fn spawn_all<F: std::future::Future + Send + 'static>(calls: [F; 5]) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = calls.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_call_without_a_tenant_key_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let tickets = Arc::new(InMemoryAppTicketStore::new());
    tickets
        .save(STORE_APP, &SecretString::from(TICKET))
        .await
        .unwrap();
    let transport = client(&server, &source(&server, tickets));
    let err = transport
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    let Error::Token(token) = &err else {
        panic!("expected a token error, got {err:?}")
    };
    assert!(
        matches!(
            token.store_app_error(),
            Some(StoreAppError::TenantKeyMissing)
        ),
        "{token:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_missing_ticket_asks_for_a_resend_and_fails_typed_then_works_once_it_arrives() {
    let server = MockServer::start().await;
    mount_resend(&server, 1).await;
    mount_app_token(&server, TICKET, app_token_ok(), 1).await;
    mount_tenant_token(&server, "tenant-a", "t-for-a").await;
    get_reserve(RESERVE_ID)
        .and(bearer("t-for-a"))
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let tickets = Arc::new(InMemoryAppTicketStore::new());
    let source = source(&server, tickets.clone());
    let transport = client(&server, &source);
    let opts = CallOptions::new().with_tenant_key("tenant-a");
    for _ in 0..2 {
        // The second failure within the backoff interval does not ask again.
        let err = transport.send(&get(RESERVE_ID), &opts).await.unwrap_err();
        let Error::Token(token) = &err else {
            panic!("expected a token error, got {err:?}")
        };
        assert!(token.ticket_missing(), "{token:?}");
        assert!(!format!("{err} {err:?}").contains(STORE_SECRET));
    }
    // The app_ticket event arrives and the receiver stores it.
    tickets
        .save(STORE_APP, &SecretString::from(TICKET))
        .await
        .unwrap();
    transport.send(&get(RESERVE_ID), &opts).await.unwrap();
}

#[tokio::test]
async fn a_refused_ticket_10012_asks_for_a_resend_and_fails_typed() {
    let server = MockServer::start().await;
    mount_resend(&server, 1).await;
    mount_app_token(
        &server,
        "stale-ticket",
        ResponseTemplate::new(200)
            .set_body_json(json!({"code": 10012, "msg": "app ticket invalid"})),
        1,
    )
    .await;
    catch_all(&server).await;
    let tickets = Arc::new(InMemoryAppTicketStore::new());
    tickets
        .save(STORE_APP, &SecretString::from("stale-ticket"))
        .await
        .unwrap();
    let transport = client(&server, &source(&server, tickets));
    let err = transport
        .send(
            &get(RESERVE_ID),
            &CallOptions::new().with_tenant_key("tenant-a"),
        )
        .await
        .unwrap_err();
    let Error::Token(token) = &err else {
        panic!("expected a token error, got {err:?}")
    };
    assert!(token.ticket_missing(), "{token:?}");
    assert_eq!(token.code, Some(10012));
    assert!(!format!("{err} {err:?}").contains("stale-ticket"));
}

#[tokio::test]
async fn two_processes_sharing_a_token_cache_fetch_each_tenants_token_once_and_keep_tenants_apart()
{
    let server = MockServer::start().await;
    mount_app_token(&server, TICKET, app_token_ok(), 1).await;
    mount_tenant_token(&server, "tenant-a", "t-for-a").await;
    mount_tenant_token(&server, "tenant-b", "t-for-b").await;
    catch_all(&server).await;
    let cache = Arc::new(crate::shared::FakeCache::default());
    let tickets = Arc::new(InMemoryAppTicketStore::new());
    tickets
        .save(STORE_APP, &SecretString::from(TICKET))
        .await
        .unwrap();
    // Two sources with caches of their own in memory, as two processes have.
    let first = source(&server, tickets.clone()).token_cache(cache.clone());
    let second = source(&server, tickets).token_cache(cache.clone());
    for source in [&first, &second] {
        assert_eq!(
            source
                .tenant_access_token("tenant-a")
                .await
                .unwrap()
                .expose_secret(),
            "t-for-a"
        );
        assert_eq!(
            source
                .tenant_access_token("tenant-b")
                .await
                .unwrap()
                .expose_secret(),
            "t-for-b"
        );
    }
    let keys = cache.keys();
    assert_eq!(keys.len(), 3, "{keys:?}");
    for key in &keys {
        assert!(key.starts_with(&format!("store_app:{STORE_APP}:")), "{key}");
        assert!(!key.contains(STORE_SECRET), "{key}");
    }
    assert!(keys.iter().any(|k| k.ends_with(":tenant:tenant-a")));
    assert!(keys.iter().any(|k| k.ends_with(":tenant:tenant-b")));
}
