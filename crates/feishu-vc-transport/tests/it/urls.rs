//! Where calls go. The URL of an operation whose path has no parameters (apply, the token
//! endpoint) is built once per client and reused; every other call builds its own.

use feishu_vc_model::ApplyReserveData;
use feishu_vc_transport::{CallOptions, Response};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::support::{
    APPLY_PATH, RESERVE_ID, TOKEN_PATH, apply, bearer, builder, catch_all, get, ok, reserve_data,
    reserve_path, token_answer,
};

const OTHER_ID: &str = "6911188411934973029";

/// Mounts, below `prefix`, the token endpoint (once), apply (`applies` times) and a get of each id.
async fn mount_below(server: &MockServer, prefix: &str, token: &str, applies: u64, ids: &[&str]) {
    Mock::given(method("POST"))
        .and(path(format!("{prefix}{TOKEN_PATH}")))
        .respond_with(token_answer(token))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{prefix}{APPLY_PATH}")))
        .and(bearer(token))
        .respond_with(ok(reserve_data()))
        .expect(applies)
        .mount(server)
        .await;
    for id in ids {
        Mock::given(method("GET"))
            .and(path(format!("{prefix}{}", reserve_path(id))))
            .and(bearer(token))
            .respond_with(ok(reserve_data()))
            .expect(1)
            .mount(server)
            .await;
    }
    catch_all(server).await;
}

#[tokio::test]
async fn calls_with_cached_and_built_urls_all_go_below_the_base_urls_path() {
    let server = MockServer::start().await;
    let prefix = "/gateway/feishu";
    mount_below(&server, prefix, "t-gw", 3, &[RESERVE_ID, OTHER_ID]).await;
    let transport = builder(&format!("{}{prefix}/", server.uri()))
        .build()
        .unwrap();
    let opts = CallOptions::new();

    for id in [RESERVE_ID, OTHER_ID, ""] {
        let booked: Response<ApplyReserveData> = transport.send(&apply(), &opts).await.unwrap();
        assert!(booked.data.reserve.is_some());
        if !id.is_empty() {
            transport.send(&get(id), &opts).await.unwrap();
        }
    }
}

#[tokio::test]
async fn each_client_keeps_its_own_urls() {
    let (first, second) = (MockServer::start().await, MockServer::start().await);
    mount_below(&first, "", "t-first", 2, &[]).await;
    mount_below(&second, "/lark", "t-second", 2, &[]).await;
    let a = builder(&first.uri()).build().unwrap();
    let b = builder(&format!("{}/lark", second.uri())).build().unwrap();
    let opts = CallOptions::new();

    for transport in [&a, &b, &a, &b] {
        let booked: Response<ApplyReserveData> = transport.send(&apply(), &opts).await.unwrap();
        assert!(booked.data.reserve.is_some());
    }
}
