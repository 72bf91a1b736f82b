//! The transport's own types never show a secret.

use feishu_vc_model::Method;
use feishu_vc_transport::{AccessToken, CallOptions, RawRequest, Transport};
use serde_json::json;
use wiremock::MockServer;
use wiremock::matchers::{method, path};

use crate::support::*;

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
