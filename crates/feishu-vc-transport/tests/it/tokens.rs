//! The token source at the transport: failures of the token endpoint, shared failures, retries of
//! the token request, and custom providers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use feishu_vc_model::{ErrorCode, SecretString, TokenKind};
use feishu_vc_transport::{
    BoxFuture, CallOptions, ProvidedToken, TokenError, TokenProvider, Transport,
};
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

use crate::support::*;

#[tokio::test]
async fn concurrent_callers_share_one_failed_token_fetch() {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(
            ResponseTemplate::new(400)
                .set_delay(Duration::from_millis(200))
                .set_body_json(json!({"code": 10014, "msg": "app secret invalid"})),
        )
        // 20 concurrent callers share the first fetch; the later call makes the second.
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let transport = transport(&server);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let transport = transport.clone();
            tokio::spawn(async move { transport.send(&get(RESERVE_ID), &CallOptions::new()).await })
        })
        .collect();
    for task in tasks {
        let err = task.await.unwrap().unwrap_err();
        assert!(err.is_token(), "{err:?}");
        assert_eq!(err.code(), Some(ErrorCode::AppSecretInvalid));
    }
    // A failure is not cached: the next call asks again.
    let err = transport
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_token(), "{err:?}");
}

#[tokio::test]
async fn token_answer_without_a_token_is_a_token_error() {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 0, "msg": "ok"})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_token(), "{err:?}");
    assert_eq!(err.http_status(), Some(200));
}

#[tokio::test]
async fn token_endpoint_answering_500_is_retried() {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>busy</html>"))
        .up_to_n_times(1)
        .named("token endpoint busy once")
        .expect(1)
        .mount(&server)
        .await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .and(bearer("t-1"))
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    transport(&server)
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn tokens_are_cached_per_transport_and_shared_by_clones() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 2).await;
    get_reserve(RESERVE_ID)
        .and(bearer("t-1"))
        .respond_with(ok(reserve_data()))
        .expect(4)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let first = transport(&server);
    let clone = first.clone();
    let second = transport(&server);
    for t in [&first, &clone, &second, &first] {
        t.send(&get(RESERVE_ID), &CallOptions::new()).await.unwrap();
    }
}

/// Hands out `p-<tenant>-<n>` and records rejections.
#[derive(Debug, Default)]
struct Provider {
    issued: AtomicUsize,
    rejected: Mutex<Vec<(String, Option<String>)>>,
}

impl TokenProvider for Provider {
    fn token<'a>(
        &'a self,
        tenant_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ProvidedToken, TokenError>> {
        Box::pin(async move {
            let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(ProvidedToken::new(format!(
                "p-{}-{n}",
                tenant_key.unwrap_or("none")
            )))
        })
    }

    fn reject(&self, token: &SecretString, tenant_key: Option<&str>) {
        self.rejected.lock().unwrap().push((
            token.expose_secret().to_owned(),
            tenant_key.map(str::to_owned),
        ));
    }

    fn kind(&self) -> TokenKind {
        TokenKind::User
    }
}

#[tokio::test]
async fn provider_tokens_are_rejected_once_and_replayed() {
    let server = MockServer::start().await;
    get_reserve(RESERVE_ID)
        .and(bearer("p-tk1-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": 99991663, "msg": "invalid token"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    get_reserve(RESERVE_ID)
        .and(bearer("p-tk1-2"))
        .respond_with(ok(reserve_data()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let provider = Arc::new(Provider::default());
    let transport = Transport::builder()
        .base_url(server.uri())
        .token_provider(provider.clone())
        .build()
        .unwrap();
    let opts = CallOptions::new().with_tenant_key("tk1");
    assert_eq!(transport.token_kind(&opts), Some(TokenKind::User));
    transport.send(&get(RESERVE_ID), &opts).await.unwrap();
    assert_eq!(
        *provider.rejected.lock().unwrap(),
        [("p-tk1-1".to_owned(), Some("tk1".to_owned()))]
    );
}

#[test]
fn credentials_and_a_provider_together_are_a_config_error() {
    let err = Transport::builder()
        .app_credentials(APP_ID, APP_SECRET)
        .token_provider(Arc::new(Provider::default()))
        .build()
        .unwrap_err();
    assert!(
        matches!(err, feishu_vc_transport::Error::Config(_)),
        "{err:?}"
    );
    assert_hides(&err, &[APP_SECRET]);
}
