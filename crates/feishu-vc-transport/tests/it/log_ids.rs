//! Every answer from the server, success or error, exposes its log id: `X-Tt-Logid`, else
//! `X-Request-Id`, else the body's `error.log_id`.

use feishu_vc_transport::{CallOptions, Error};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

fn success() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"code": 0, "msg": "success", "data": reserve_data()}))
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "code": 121004, "msg": "data not exist",
        "error": {"log_id": "log-body", "troubleshooter": "https://open.feishu.cn/search?log_id=log-body"}
    }))
}

#[tokio::test]
async fn successful_responses_expose_the_log_id() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    let cases = [
        ("r-tt", success().insert_header("x-tt-logid", "log-tt")),
        (
            "r-request-id",
            success().insert_header("x-request-id", "req-1"),
        ),
        (
            "r-both",
            success()
                .insert_header("x-request-id", "req-2")
                .insert_header("X-Tt-Logid", "log-both"),
        ),
        (
            "r-empty-tt",
            success()
                .insert_header("x-tt-logid", "")
                .insert_header("x-request-id", "req-3"),
        ),
        ("r-none", success()),
    ];
    for (id, answer) in cases {
        get_reserve(id)
            .respond_with(answer)
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path(reserve_path("r-delete")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-tt-logid", "log-delete")
                .set_body_json(json!({"code": 0, "msg": "success", "data": {}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let transport = transport(&server);
    let opts = CallOptions::new();
    for (id, expected) in [
        ("r-tt", Some("log-tt")),
        ("r-request-id", Some("req-1")),
        ("r-both", Some("log-both")),
        ("r-empty-tt", Some("req-3")),
        ("r-none", None),
    ] {
        let got = transport.send(&get(id), &opts).await.unwrap();
        assert_eq!(got.log_id.as_deref(), expected, "{id}");
    }
    let deleted = transport
        .send(
            &feishu_vc_model::DeleteReserveRequest::new("r-delete"),
            &opts,
        )
        .await
        .unwrap();
    assert_eq!(deleted.log_id.as_deref(), Some("log-delete"));
}

#[tokio::test]
async fn errors_from_the_server_expose_the_log_id() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    let cases = [
        ("api-tt", not_found().insert_header("x-tt-logid", "log-tt")),
        (
            "api-request-id",
            not_found().insert_header("x-request-id", "req-1"),
        ),
        ("api-body", not_found()),
        (
            "throttled-body",
            ResponseTemplate::new(429).set_body_json(json!({
                "code": 99991400, "msg": "request trigger frequency limit",
                "error": {"log_id": "log-throttled-body"}
            })),
        ),
        (
            "throttled-tt",
            ResponseTemplate::new(429)
                .insert_header("x-tt-logid", "log-throttled")
                .set_body_json(json!({"code": 99991400, "msg": "request trigger frequency limit"})),
        ),
        (
            "decode-request-id",
            ResponseTemplate::new(502)
                .insert_header("x-request-id", "req-decode")
                .set_body_string("<html>bad gateway</html>"),
        ),
    ];
    for (id, answer) in cases {
        get_reserve(id)
            .respond_with(answer)
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("x-tt-logid", "log-apply")
                .set_body_json(json!({"code": 121001, "msg": "internal error"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let transport = transport_without_retries(&server);
    let opts = CallOptions::new();
    for (id, expected) in [
        ("api-tt", "log-tt"),
        ("api-request-id", "req-1"),
        ("api-body", "log-body"),
        ("throttled-body", "log-throttled-body"),
        ("throttled-tt", "log-throttled"),
        ("decode-request-id", "req-decode"),
    ] {
        let err = transport.send(&get(id), &opts).await.unwrap_err();
        assert_eq!(err.log_id(), Some(expected), "{id}: {err:?}");
        assert!(err.to_string().contains(expected), "{id}: {err}");
        if id.starts_with("api-") {
            // The body's error details stay reachable.
            let api = err.api().unwrap();
            assert_eq!(
                api.troubleshooter(),
                Some("https://open.feishu.cn/search?log_id=log-body")
            );
        }
    }
    let err = transport.send(&apply(), &opts).await.unwrap_err();
    assert!(err.is_outcome_unknown());
    assert_eq!(err.log_id(), Some("log-apply"));
    assert!(err.to_string().contains("log-apply"), "{err}");
}

#[tokio::test]
async fn token_endpoint_errors_expose_the_log_id() {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-tt-logid", "log-token")
                .set_body_json(json!({"code": 10014, "msg": "app secret invalid"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_token(), "{err:?}");
    assert_eq!(err.log_id(), Some("log-token"));
    assert_eq!(err.http_status(), Some(400));
    let Error::Token(token) = &err else {
        unreachable!()
    };
    assert_eq!(token.code, Some(10014));
    assert_eq!(token.msg, "app secret invalid");
}
