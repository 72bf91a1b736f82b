//! `Transport::raw`: any Open Platform path through the same hosts, tokens, retries and errors.

use feishu_vc_model::{ErrorCode, Method};
use feishu_vc_transport::{CallOptions, Error, RawRequest, Transport};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::*;

const MEETING: &str = "/open-apis/vc/v1/meetings/6911188411932033028";
const INVITE: &str = "/open-apis/vc/v1/meetings/6911188411932033028/invite";

#[tokio::test]
async fn raw_get_carries_the_token_and_query_and_returns_data() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("GET"))
        .and(path(MEETING))
        .and(bearer("t-1"))
        .and(|r: &Request| {
            r.url.query() == Some("with_participants=true&user_id_type=open_id&q=a+b%26c")
        })
        .and(|r: &Request| r.body.is_empty())
        .respond_with(ok(
            json!({"meeting": {"id": "6911188411932033028", "topic": "x"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let request = RawRequest::new(Method::Get, MEETING)
        .query("with_participants", "true")
        .query("user_id_type", "open_id")
        .query("q", "a b&c");
    let got = transport(&server)
        .raw(request, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(got.data["meeting"]["topic"], "x");
    assert_eq!(got.log_id.as_deref(), Some("log-ok"));
    assert_eq!(got.http_status, 200);
}

#[tokio::test]
async fn raw_post_sends_the_json_body() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(INVITE))
        .and(bearer("t-1"))
        .and(header("content-type", "application/json; charset=utf-8"))
        .and(body_json(
            json!({"invitees": [{"id": "ou_1", "user_type": 1}]}),
        ))
        .respond_with(ok(json!({"invite_results": []})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let got = transport(&server)
        .raw(
            RawRequest::new(Method::Post, INVITE)
                .json_body(&json!({"invitees": [{"id": "ou_1", "user_type": 1}]})),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(got.data, json!({"invite_results": []}));
}

#[tokio::test]
async fn raw_call_evicts_a_rejected_token_and_replays_once() {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(TokenSeq::default())
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MEETING))
        .and(bearer("t-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"code": 99991663, "msg": "Invalid access token"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MEETING))
        .and(bearer("t-2"))
        .respond_with(ok(json!({"meeting": {"id": "1"}})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let got = transport(&server)
        .raw(RawRequest::new(Method::Get, MEETING), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(got.data["meeting"]["id"], "1");
}

#[tokio::test]
async fn raw_call_with_a_per_call_token_is_not_replayed() {
    let server = MockServer::start().await;
    mount_token(&server, "t-app", 0).await;
    Mock::given(method("GET"))
        .and(path(MEETING))
        .and(bearer("u-user"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": 99991663, "msg": "Invalid access token"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .raw(
            RawRequest::new(Method::Get, MEETING),
            &CallOptions::new().with_user_access_token("u-user"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AccessTokenInvalid));
}

#[tokio::test]
async fn raw_api_errors_are_typed_with_details() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("GET"))
        .and(path(MEETING))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-tt-logid", "log-scope")
                .set_body_json(json!({
                    "code": 99991672, "msg": "Access denied",
                    "error": {
                        "permission_violations": [{"type": "action_scope_required", "subject": "vc:meeting:readonly"}],
                        "helps": [{"url": "https://open.feishu.cn/app/cli_a/auth", "description": "grant"}]
                    }
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .raw(RawRequest::new(Method::Get, MEETING), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_api(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::AppScopeNotGranted));
    assert_eq!(err.log_id(), Some("log-scope"));
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(
        err.api().unwrap().missing_permissions(),
        ["vc:meeting:readonly"]
    );
}

#[tokio::test]
async fn raw_post_answered_500_is_outcome_unknown_and_not_resent() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(INVITE))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"code": 121001, "msg": "internal error"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .raw(
            RawRequest::new(Method::Post, INVITE).json_body(&json!({})),
            &CallOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::InternalError));
}

#[tokio::test]
async fn raw_post_marked_idempotent_is_retried() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(INVITE))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"code": 121001, "msg": "internal error"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(INVITE))
        .respond_with(ok(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    transport(&server)
        .raw(
            RawRequest::new(Method::Post, INVITE)
                .json_body(&json!({}))
                .idempotent(true),
            &CallOptions::new(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn raw_path_outside_open_apis_is_refused_locally() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 0).await;
    catch_all(&server).await;

    let transport = transport(&server);
    for p in [
        "",
        "/",
        "/vc/v1/meetings",
        "open-apis/vc/v1/meetings",
        "/open-apisx/vc",
        "//evil.example.com/open-apis/x",
        "https://evil.example.com/open-apis/x",
        // Dot segments would be resolved away by URL parsing and leave /open-apis/.
        "/open-apis/../admin",
        "/open-apis/./../admin",
        "/open-apis/%2e%2E/admin",
        "/open-apis/.%2e/admin",
        "/open-apis/..\\admin",
        "/open-apis/.\t./admin",
        "/open-apis/vc/v1/reserves/..",
    ] {
        let err = transport
            .raw(RawRequest::new(Method::Get, p), &CallOptions::new())
            .await
            .unwrap_err();
        assert!(err.is_invalid_request(), "{p:?}: {err:?}");
        assert!(matches!(err, Error::InvalidRequest(_)));
    }
}

#[tokio::test]
async fn raw_call_without_any_token_fails_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;

    let transport = Transport::builder().base_url(server.uri()).build().unwrap();
    let err = transport
        .raw(RawRequest::new(Method::Get, MEETING), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_token(), "{err:?}");
    assert_eq!(err.http_status(), None);
}

#[tokio::test]
async fn raw_call_with_a_per_call_token_needs_no_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MEETING))
        .and(bearer("t-given"))
        .respond_with(ok(json!({"meeting": {}})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let transport = Transport::builder().base_url(server.uri()).build().unwrap();
    transport
        .raw(
            RawRequest::new(Method::Get, MEETING),
            &CallOptions::new().with_tenant_access_token("t-given"),
        )
        .await
        .unwrap();
}
