//! Brands resolve to their hosts; plain http is accepted only on loopback.

use feishu_vc::{Brand, Client, Error};

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
