//! Answers that are not the JSON envelope: HTML, empty, truncated and plain-text bodies.

use feishu_vc_transport::{CallOptions, Error};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const HTML: &str = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
const TRUNCATED: &str = r#"{"code":0,"msg":"success","data":{"reserve":{"id":"69111884"#;

fn answer(status: u16, content_type: &str, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-tt-logid", format!("log-{status}").as_str())
        .set_body_raw(body.as_bytes().to_vec(), content_type)
}

/// `get` answered with `body` under HTTP 502 and HTTP 200 (no retries): a decode error that keeps
/// the status, the log id and an excerpt of the body.
async fn get_answered_with(content_type: &str, body: &str) {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    for status in [502, 200] {
        get_reserve(&format!("r-{status}"))
            .respond_with(answer(status, content_type, body))
            .expect(1)
            .mount(&server)
            .await;
    }
    catch_all(&server).await;

    let transport = transport_without_retries(&server);
    for status in [502, 200] {
        let err = transport
            .send(&get(&format!("r-{status}")), &CallOptions::new())
            .await
            .unwrap_err();
        assert!(err.is_decode(), "{status}: {err:?}");
        assert_eq!(err.http_status(), Some(status));
        assert_eq!(err.log_id(), Some(format!("log-{status}").as_str()));
        assert!(err.to_string().contains(&format!("log-{status}")), "{err}");
        let Error::Decode(decode) = &err else {
            unreachable!()
        };
        assert_eq!(decode.excerpt, body);
        assert!(
            std::error::Error::source(&err).is_some(),
            "the JSON error is kept as the source"
        );
    }
}

#[tokio::test]
async fn html_body_is_a_decode_error_with_status_and_log_id() {
    get_answered_with("text/html", HTML).await;
}

#[tokio::test]
async fn empty_body_is_a_decode_error_with_status_and_log_id() {
    get_answered_with("application/json", "").await;
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_with_status_and_log_id() {
    get_answered_with("application/json", TRUNCATED).await;
}

#[tokio::test]
async fn non_json_body_is_a_decode_error_with_status_and_log_id() {
    get_answered_with(
        "text/plain",
        "upstream connect error or disconnect/reset before headers",
    )
    .await;
}

#[tokio::test]
async fn html_502_on_get_is_retried_before_it_is_reported() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(answer(502, "text/html", HTML))
        .expect(3)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    assert_eq!(err.http_status(), Some(502));
}

#[tokio::test]
async fn html_200_on_apply_is_outcome_unknown_and_not_resent() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(answer(200, "text/html", HTML))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .send(&apply(), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(err.http_status(), Some(200));
    assert_eq!(err.log_id(), Some("log-200"));
    let Error::OutcomeUnknown(inner) = &err else {
        unreachable!()
    };
    assert!(inner.is_decode(), "{inner:?}");
}

#[tokio::test]
async fn envelope_whose_data_does_not_fit_is_a_decode_error() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    get_reserve(RESERVE_ID)
        .respond_with(answer(
            200,
            "application/json",
            r#"{"code":0,"msg":"success","data":{"reserve":{"id":[1,2]}}}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .send(&get(RESERVE_ID), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    assert_eq!(err.log_id(), Some("log-200"));
}

#[tokio::test]
async fn apply_that_succeeded_with_unreadable_data_is_outcome_unknown() {
    // Code 0 means the booking was made, but without its data the caller does not learn the
    // reservation id: it must look before booking again, exactly as for an unknown outcome.
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(answer(
            200,
            "application/json",
            r#"{"code":0,"msg":"success","data":{"reserve":{"id":{"nested":true}}}}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .send(&apply(), &CallOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(err.log_id(), Some("log-200"));
    let Error::OutcomeUnknown(inner) = &err else {
        unreachable!()
    };
    assert!(inner.is_decode(), "{inner:?}");
}
