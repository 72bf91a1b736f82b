//! Brands resolve to their hosts; plain http is accepted only on loopback.

use feishu_vc::{Brand, Client, Error};
use wiremock::Mock;
use wiremock::matchers::{method, path};

fn config_error(url: &str) -> Error {
    let err = Client::builder()
        .app_credentials("cli_a", "secret")
        .base_url(url)
        .build()
        .expect_err(url);
    assert!(matches!(err, Error::Config(_)), "{url}: {err:?}");
    assert!(!err.is_invalid_request());
    err
}

#[test]
fn lark_brand_resolves_to_open_larksuite_com() {
    let client = Client::builder()
        .app_credentials("cli_a", "secret")
        .brand(Brand::Lark)
        .build()
        .unwrap();
    assert_eq!(client.transport().base_url(), "https://open.larksuite.com");
}

#[test]
fn default_brand_is_feishu() {
    let client = Client::builder()
        .app_credentials("cli_a", "secret")
        .build()
        .unwrap();
    assert_eq!(client.transport().base_url(), "https://open.feishu.cn");
    let explicit = Client::builder().brand(Brand::Feishu).build().unwrap();
    assert_eq!(explicit.transport().base_url(), "https://open.feishu.cn");
}

#[test]
fn plain_http_base_url_off_loopback_is_a_config_error() {
    for url in [
        "http://open.feishu.cn",
        "http://10.0.0.5:8080",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
    ] {
        let err = config_error(url);
        assert!(err.to_string().contains("plain http"), "{err}");
    }
    // Other mistakes are configuration errors too.
    config_error("ftp://open.feishu.cn");
    config_error("not a url");
    config_error("https://user:pass@open.feishu.cn");
}

#[test]
fn plain_http_on_loopback_or_when_allowed_is_accepted() {
    for (url, expected) in [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:8080/", "http://localhost:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        (
            "https://gw.example.com/feishu/",
            "https://gw.example.com/feishu",
        ),
    ] {
        let client = Client::builder().base_url(url).build().unwrap();
        assert_eq!(client.transport().base_url(), expected);
    }
    let allowed = Client::builder()
        .base_url("http://10.0.0.5:8080")
        .allow_http(true)
        .build()
        .unwrap();
    assert_eq!(allowed.transport().base_url(), "http://10.0.0.5:8080");
}

#[test]
fn empty_credentials_are_a_config_error() {
    let err = Client::builder()
        .app_credentials("cli_a", "")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn the_body_limit_reaches_the_transport() {
    use crate::support::*;
    use wiremock::MockServer;

    let server = MockServer::start().await;
    // Two clients: each fetches its own token.
    mount_token(&server, "t-limit", 2).await;
    let topic = "t".repeat(4096);
    Mock::given(method("GET"))
        .and(path(reserve_path(RESERVE_ID)))
        .respond_with(ok(
            serde_json::json!({"reserve": {"id": RESERVE_ID, "meeting_settings": {"topic": topic}}}),
        ))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let small = builder(&server.uri()).max_body_bytes(2048).build().unwrap();
    let err = small.reserves().get(RESERVE_ID).await.unwrap_err();
    assert!(err.is_body_too_large(), "{err:?}");
    let default = builder(&server.uri()).build().unwrap();
    default.reserves().get(RESERVE_ID).await.unwrap();
}
