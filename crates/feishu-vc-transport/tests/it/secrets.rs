//! The transport's own types never show a secret.

use feishu_vc_model::{Method, REDACTED};
use feishu_vc_transport::{AccessToken, CallOptions, Error, RawRequest, Transport};
use serde_json::json;
use wiremock::MockServer;
use wiremock::matchers::{method, path};

use crate::support::*;
use crate::tracing_spans::Captured;

const TOKEN: &str = "t-secret-token-5150";
const PASSWORD: &str = "97102455";

#[test]
fn transport_and_builder_hide_the_app_secret() {
    let builder = Transport::builder().app_credentials(APP_ID, APP_SECRET);
    assert_debug_hides(&builder, &[APP_SECRET]);
    let transport = builder.build().unwrap();
    assert_debug_hides(&transport, &[APP_SECRET]);
    assert!(format!("{transport:?}").contains("https://open.feishu.cn"));
}

#[test]
fn options_tokens_and_raw_requests_hide_secrets() {
    let opts = CallOptions::new()
        .with_user_access_token(TOKEN)
        .with_tenant_key("tenant-1");
    assert_debug_hides(&opts, &[TOKEN]);
    assert_debug_hides(&AccessToken::tenant(TOKEN), &[TOKEN]);
    let raw = RawRequest::new(Method::Post, "/open-apis/vc/v1/reserves/apply")
        .json_body(&json!({"meeting_settings": {"password": PASSWORD}, "app_secret": APP_SECRET}));
    assert_debug_hides(&raw, &[PASSWORD, APP_SECRET]);
}

#[tokio::test]
async fn api_error_for_a_rejected_per_call_token_hides_it() {
    let server = MockServer::start().await;
    wiremock::Mock::given(method("GET"))
        .and(path(reserve_path(RESERVE_ID)))
        .and(bearer(TOKEN))
        .respond_with(
            wiremock::ResponseTemplate::new(401)
                .set_body_json(json!({"code": 99991663, "msg": "Invalid access token"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = transport(&server)
        .send(
            &get(RESERVE_ID),
            &CallOptions::new().with_tenant_access_token(TOKEN),
        )
        .await
        .unwrap_err();
    assert!(err.is_api(), "{err:?}");
    assert_hides(&err, &[TOKEN, APP_SECRET]);
}

const SOURCE_TOKEN: &str = "t-source-token-7731";

/// Fails if the trace shows any of `secrets`.
fn assert_trace_hides(captured: &Captured, secrets: &[&str]) {
    let out = captured.text();
    assert!(out.contains("feishu_vc.call"), "nothing traced: {out}");
    for secret in secrets {
        assert!(
            !out.contains(secret),
            "`{secret}` reached the trace:\n{out}"
        );
    }
}

#[tokio::test]
async fn an_html_page_echoing_the_token_and_app_secret_is_scrubbed() {
    let (captured, _guard) = Captured::start();
    let server = MockServer::start().await;
    mount_token(&server, SOURCE_TOKEN, 1).await;
    let page = format!(
        "<html><body>Forbidden: Authorization: Bearer {SOURCE_TOKEN}; app_secret={APP_SECRET}</body></html>"
    );
    mount_only(
        &server,
        get_reserve(RESERVE_ID),
        wiremock::ResponseTemplate::new(403)
            .insert_header("content-type", "text/html")
            .insert_header("x-tt-logid", format!("log-{SOURCE_TOKEN}").as_str())
            .set_body_string(page),
    )
    .await;

    let err = get_error(&transport(&server), &CallOptions::new()).await;
    let Error::Decode(decode) = &err else {
        panic!("{err:?}")
    };
    assert!(
        decode
            .excerpt
            .starts_with("<html><body>Forbidden: Authorization: Bearer ")
            && decode.excerpt.contains(REDACTED),
        "{}",
        decode.excerpt
    );
    assert_eq!(err.log_id(), Some(format!("log-{REDACTED}").as_str()));
    assert_hides(&err, &[SOURCE_TOKEN, APP_SECRET]);
    assert_trace_hides(&captured, &[SOURCE_TOKEN, APP_SECRET]);
}

#[tokio::test]
async fn an_api_error_echoing_the_token_and_the_password_is_scrubbed() {
    let (captured, _guard) = Captured::start();
    let server = MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .and(bearer(TOKEN))
        .respond_with(
            wiremock::ResponseTemplate::new(400)
                .insert_header("x-tt-logid", TOKEN)
                .set_body_json(json!({
                    "code": 123006,
                    "msg": format!("invalid password {PASSWORD} for token {TOKEN}"),
                    "error": {
                        "field_violations": [{"field": "meeting_settings.password", "value": PASSWORD,
                                              "description": format!("{PASSWORD} is not allowed")}],
                        "troubleshooter": format!("https://open.feishu.cn/search?q={TOKEN}")
                    }
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let opts = CallOptions::new()
        .with_tenant_access_token(TOKEN)
        .with_secret(PASSWORD);
    let err = transport(&server).send(&apply(), &opts).await.unwrap_err();
    let api = err.api().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(api.code.code(), 123006);
    assert_eq!(
        api.msg,
        format!("invalid password {REDACTED} for token {REDACTED}")
    );
    let detail = api.detail.as_ref().unwrap();
    let violation = &detail.field_violations.as_ref().unwrap()[0];
    assert_eq!(
        violation.field.as_deref(),
        Some("meeting_settings.password"),
        "what is not secret stays"
    );
    assert_hides(&err, &[TOKEN, PASSWORD]);
    assert_trace_hides(&captured, &[TOKEN, PASSWORD]);
}

#[tokio::test]
async fn a_token_endpoint_echoing_the_app_secret_is_scrubbed() {
    let (captured, _guard) = Captured::start();
    let server = MockServer::start().await;
    mount_only(
        &server,
        token_endpoint(),
        wiremock::ResponseTemplate::new(400).set_body_json(
            json!({"code": 10014, "msg": format!("app secret {APP_SECRET} is invalid")}),
        ),
    )
    .await;

    let err = get_error(&transport_without_retries(&server), &CallOptions::new()).await;
    assert!(err.is_token(), "{err:?}");
    assert!(
        err.to_string()
            .contains("app secret ** redacted ** is invalid"),
        "{err}"
    );
    assert_hides(&err, &[APP_SECRET]);
    assert_trace_hides(&captured, &[APP_SECRET]);
}
