//! Store apps' token endpoints and their documented codes (the ticket itself arrives as an event:
//! see feishu-vc-events' store-app test for the push and the tenants kept apart).

use feishu_vc_emulator::{DEMO_TENANT_KEY, Emulator};
use serde_json::{Value, json};

const STORE_APP: &str = "cli_5707e0c0de5a1b2c";
const STORE_SECRET: &str = "store-secret-codes-Ty61";

async fn post(emulator: &Emulator, path: &str, body: Value) -> Value {
    crate::http()
        .post(format!("{}{path}", emulator.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_store_endpoints_answer_their_documented_codes() {
    let emulator = Emulator::builder()
        .add_store_app(STORE_APP, STORE_SECRET, [DEMO_TENANT_KEY])
        .start()
        .await
        .unwrap();
    let app_token = "/open-apis/auth/v3/app_access_token";
    let answer = post(
        &emulator,
        app_token,
        json!({"app_id": STORE_APP, "app_secret": STORE_SECRET, "app_ticket": "never-pushed"}),
    )
    .await;
    assert_eq!(answer["code"], 10012, "{answer}");
    let answer = post(
        &emulator,
        app_token,
        json!({"app_id": STORE_APP, "app_secret": "wrong", "app_ticket": "never-pushed"}),
    )
    .await;
    assert_eq!(answer["code"], 10014, "{answer}");
    let answer = post(
        &emulator,
        "/open-apis/auth/v3/tenant_access_token",
        json!({"app_access_token": "a-forged", "tenant_key": DEMO_TENANT_KEY}),
    )
    .await;
    assert_eq!(answer["code"], 99991664, "{answer}");
    let answer = post(
        &emulator,
        "/open-apis/auth/v3/app_ticket/resend",
        json!({"app_id": STORE_APP, "app_secret": STORE_SECRET}),
    )
    .await;
    assert_eq!(answer, json!({"code": 0, "msg": "success"}));
    // A self-built app's credentials are not a store app's.
    let answer = post(
        &emulator,
        "/open-apis/auth/v3/app_ticket/resend",
        json!({"app_id": emulator.app_id(), "app_secret": emulator.app_secret()}),
    )
    .await;
    assert_eq!(answer["code"], 10003, "{answer}");
}
