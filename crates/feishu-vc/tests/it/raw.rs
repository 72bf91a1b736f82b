//! `Client::raw` goes through the same tokens and errors as the typed operations.

use feishu_vc::model::{ErrorCode, Method};
use feishu_vc::{CallOptions, RawRequest};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::*;

const MEETING_PATH: &str = "/open-apis/vc/v1/meetings/6911188411932033028";

#[tokio::test]
async fn raw_call_replays_once_after_a_rejected_token() {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(TokenSeq::new(7200))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MEETING_PATH))
        .and(bearer("t-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": 99991663, "msg": "invalid token"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(MEETING_PATH))
        .and(bearer("t-2"))
        .and(|r: &Request| r.url.query() == Some("with_participants=false"))
        .respond_with(ok(
            json!({"meeting": {"id": "6911188411932033028", "new": 1}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let answer = client(&server)
        .raw(
            RawRequest::new(Method::Get, MEETING_PATH).query("with_participants", "false"),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(answer.data["meeting"]["id"], "6911188411932033028");
    assert_eq!(answer.log_id.as_deref(), Some("log-ok"));
}

#[tokio::test]
async fn raw_call_errors_are_typed_and_the_post_is_not_retried() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path("/open-apis/vc/v1/meetings/1/invite"))
        .and(bearer("t-1"))
        .and(body_json(json!({"invitees": [{"id": "ou_1"}]})))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("x-tt-logid", "log-raw")
                .set_body_json(json!({"code": 121001, "msg": "internal error"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = client(&server)
        .raw(
            RawRequest::new(Method::Post, "/open-apis/vc/v1/meetings/1/invite")
                .json_body(&json!({"invitees": [{"id": "ou_1"}]})),
            &CallOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::InternalError));
    assert_eq!(err.log_id(), Some("log-raw"));
}

#[tokio::test]
async fn raw_path_outside_open_apis_is_refused_locally() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 0).await;
    catch_all(&server).await;

    let client = client(&server);
    for p in [
        "/vc/v1/meetings",
        "open-apis/vc/v1/meetings",
        "/open-apisx/vc",
        "",
        "/open-apis/../admin",
    ] {
        let err = client
            .raw(RawRequest::new(Method::Get, p), &CallOptions::new())
            .await
            .unwrap_err();
        assert!(err.is_invalid_request(), "{p}: {err:?}");
    }
}
