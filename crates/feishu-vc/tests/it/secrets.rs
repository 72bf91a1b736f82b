//! No `Debug` or `Display` shows a secret: app secret, access tokens, meeting passwords.

use std::time::Duration;

use feishu_vc::model::{Password, ReserveAssignHost, ReserveMeetingSetting, UpdateReserveBody};
use feishu_vc::{CallOptions, Client, Error, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const CACHED_TOKEN: &str = "t-secret-cached-4711";
const USER_TOKEN: &str = "u-secret-user-0815";
const BODY_TOKEN: &str = "t-leaked-in-body-1234";
const PASSWORD: &str = "971024";

const SECRETS: [&str; 5] = [APP_SECRET, CACHED_TOKEN, USER_TOKEN, BODY_TOKEN, PASSWORD];

async fn mount_get(server: &MockServer, id: &str, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(reserve_path(id)))
        .respond_with(answer)
        .named(format!("get {id}"))
        .expect(1)
        .mount(server)
        .await;
}

#[test]
fn client_transport_and_builders_hide_the_app_secret() {
    let builder = Client::builder()
        .app_credentials(APP_ID, APP_SECRET)
        .base_url("http://127.0.0.1:9");
    assert_debug_hides(&builder, &SECRETS);
    assert!(
        format!("{builder:?}").contains(APP_ID),
        "the app id may show: {builder:?}"
    );
    let client = builder.build().unwrap();
    assert_debug_hides(&client, &SECRETS);
    assert_debug_hides(client.transport(), &SECRETS);
    let transport_builder =
        feishu_vc::transport::Transport::builder().app_credentials(APP_ID, APP_SECRET);
    assert_debug_hides(&transport_builder, &SECRETS);
    assert_debug_hides(&transport_builder.build().unwrap(), &SECRETS);
}

#[tokio::test]
async fn client_debug_hides_the_cached_token() {
    let server = MockServer::start().await;
    mount_token(&server, CACHED_TOKEN, 1).await;
    mount_get(&server, RESERVE_ID, ok(reserve_data())).await;
    catch_all(&server).await;

    let client = client(&server);
    client.reserves().get(RESERVE_ID).await.unwrap();
    assert_debug_hides(&client, &SECRETS);
    assert_debug_hides(client.transport(), &SECRETS);
}

#[test]
fn call_options_and_calls_hide_tokens_and_passwords() {
    let options = CallOptions::new().with_user_access_token(USER_TOKEN);
    assert_debug_hides(&options, &SECRETS);
    assert_debug_hides(options.access_token().unwrap(), &SECRETS);
    let tenant = CallOptions::new().with_tenant_access_token(CACHED_TOKEN);
    assert_debug_hides(&tenant, &SECRETS);

    let client = Client::builder()
        .app_credentials(APP_ID, APP_SECRET)
        .build()
        .unwrap();
    let request = valid_apply().set_meeting_settings(
        ReserveMeetingSetting::default().set_password(Password::digits(PASSWORD)),
    );
    assert_debug_hides(&request, &SECRETS);
    let call = client
        .reserves()
        .apply(request)
        .with_user_access_token(USER_TOKEN);
    assert_debug_hides(&call, &SECRETS);
    let call = client.reserves().get(RESERVE_ID).with_options(options);
    assert_debug_hides(&call, &SECRETS);
}

#[tokio::test]
async fn responses_holding_a_meeting_password_hide_it() {
    let server = MockServer::start().await;
    mount_token(&server, CACHED_TOKEN, 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(seed_apply_response()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let booked = client(&server)
        .reserves()
        .apply(valid_apply())
        .await
        .unwrap();
    // The password is there, and readable on purpose …
    let reserve = &booked.data.reserve;
    assert_eq!(reserve.password.as_ref().unwrap().expose_secret(), PASSWORD);
    // … but never shown.
    assert_debug_hides(&booked, &SECRETS);
    assert_debug_hides(&booked.data, &SECRETS);
    for w in &booked.warnings {
        assert!(!w.to_string().contains(PASSWORD));
    }
}

#[tokio::test]
async fn errors_of_every_kind_hide_secrets() {
    let server = MockServer::start().await;
    mount_token(&server, CACHED_TOKEN, 1).await;
    // An API error with details.
    mount_get(
        &server,
        "r-api",
        ResponseTemplate::new(404).insert_header("x-tt-logid", "log-api").set_body_json(json!({
            "code": 121004, "msg": "data not exist",
            "error": {"log_id": "log-api-body", "troubleshooter": "https://open.feishu.cn/search?log_id=x"}
        })),
    )
    .await;
    // A truncated body holding the meeting password.
    mount_get(
        &server,
        "r-cut",
        ResponseTemplate::new(200).set_body_string(format!(
            r#"{{"code":0,"msg":"success","data":{{"reserve":{{"id":"1","password":"{PASSWORD}","url":"https://vc.feishu.cn/j/3"#
        )),
    )
    .await;
    // Well-formed JSON that does not fit the model, holding the password.
    mount_get(
        &server,
        "r-shape",
        ResponseTemplate::new(200).set_body_string(format!(
            r#"{{"code":0,"msg":"success","data":{{"reserve":{{"password":"{PASSWORD}","id":[1,2]}}}}}}"#
        )),
    )
    .await;
    // A gateway page quoting a token.
    mount_get(
        &server,
        "r-gateway",
        ResponseTemplate::new(502).set_body_string(format!(
            r#"<html>bad gateway {{"tenant_access_token": "{BODY_TOKEN}", "expire": 7200, "app_secret":"{APP_SECRET}"}}</html>"#
        )),
    )
    .await;
    mount_get(
        &server,
        "r-throttled",
        ResponseTemplate::new(429)
            .insert_header("x-ogw-ratelimit-reset", "1")
            .set_body_json(json!({"code": 99991400, "msg": "request trigger frequency limit"})),
    )
    .await;
    mount_get(
        &server,
        "r-slow",
        ok(reserve_data()).set_delay(Duration::from_millis(800)),
    )
    .await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"code": 121001, "msg": "internal error"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(reserve_path(RESERVE_ID)))
        .respond_with(ok(json!({
            "reserve": {"id": RESERVE_ID, "password": PASSWORD},
            "reserve_correction_check_info": {"invalid_host_id_list": ["ou_x"]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = builder(&server.uri())
        .retry(RetryPolicy::none())
        .strict_host_check(true)
        .build()
        .unwrap();
    let reserves = client.reserves();
    let mut errors: Vec<Error> = Vec::new();
    errors.push(reserves.get("r-api").await.unwrap_err());
    errors.push(reserves.get("r-cut").await.unwrap_err());
    errors.push(reserves.get("r-shape").await.unwrap_err());
    errors.push(reserves.get("r-gateway").await.unwrap_err());
    errors.push(reserves.get("r-throttled").await.unwrap_err());
    errors.push(
        reserves
            .get("r-slow")
            .with_timeout(Duration::from_millis(100))
            .await
            .unwrap_err(),
    );
    errors.push(
        reserves
            .apply(valid_apply().set_meeting_settings(
                ReserveMeetingSetting::default().set_password(Password::digits(PASSWORD)),
            ))
            .await
            .unwrap_err(),
    );
    errors.push(
        reserves
            .update(
                RESERVE_ID,
                UpdateReserveBody::default().set_meeting_settings(
                    ReserveMeetingSetting::default()
                        .set_password(Password::digits(PASSWORD))
                        .set_assign_host_list([ReserveAssignHost::default().set_id("ou_x")]),
                ),
            )
            .await
            .unwrap_err(),
    );
    // Refused locally: a password one digit too long, and a user token with owner_id.
    errors.push(
        reserves
            .apply(valid_apply().set_meeting_settings(
                ReserveMeetingSetting::default().set_password(Password::digits("9710241234")),
            ))
            .await
            .unwrap_err(),
    );
    errors.push(
        reserves
            .apply(valid_apply().set_meeting_settings(
                ReserveMeetingSetting::default().set_password(Password::digits("1")),
            ))
            .with_user_access_token(USER_TOKEN)
            .await
            .unwrap_err(),
    );

    let kinds: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            Error::Api(_) => "api",
            Error::Decode(_) => "decode",
            Error::RateLimited(_) => "rate-limited",
            Error::Timeout(_) => "timeout",
            Error::OutcomeUnknown(_) => "outcome-unknown",
            Error::HostsRejected(_) => "hosts-rejected",
            Error::InvalidRequest(_) => "invalid-request",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "api",
            "decode",
            "decode",
            "decode",
            "rate-limited",
            "timeout",
            "outcome-unknown",
            "hosts-rejected",
            "invalid-request",
            "invalid-request"
        ]
    );
    let mut secrets = SECRETS.to_vec();
    secrets.push("9710241234");
    for err in &errors {
        assert_hides(err, &secrets);
    }
    // The excerpts are kept, masked.
    let Error::Decode(cut) = &errors[1] else {
        unreachable!()
    };
    assert!(cut.excerpt.contains("\"password\""), "{}", cut.excerpt);
    let Error::Decode(gateway) = &errors[3] else {
        unreachable!()
    };
    assert!(
        gateway.excerpt.contains("bad gateway"),
        "{}",
        gateway.excerpt
    );
}

#[tokio::test]
async fn token_endpoint_rejection_hides_the_app_secret() {
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

    let err = client(&server)
        .reserves()
        .get(RESERVE_ID)
        .await
        .unwrap_err();
    assert!(err.is_token(), "{err:?}");
    assert_eq!(err.code().map(|c| c.code()), Some(10014));
    assert_eq!(err.log_id(), Some("log-token"));
    assert_hides(&err, &SECRETS);
}

#[tokio::test]
async fn token_endpoint_answer_that_cannot_be_decoded_hides_the_token() {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            r#"{{"code":0,"msg":"ok","tenant_access_token":"{BODY_TOKEN}","expire":"two hours"}}"#
        )))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let err = client(&server)
        .reserves()
        .get(RESERVE_ID)
        .await
        .unwrap_err();
    assert!(err.is_token(), "{err:?}");
    assert_hides(&err, &SECRETS);
}

#[tokio::test]
async fn a_password_the_server_echoes_is_scrubbed_from_apply_and_update_errors() {
    let server = MockServer::start().await;
    mount_token(&server, CACHED_TOKEN, 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"code": 123006, "msg": format!("password {PASSWORD} is not allowed")}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(reserve_path(RESERVE_ID)))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_string(format!("<html>rejected: password={PASSWORD}</html>")),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client(&server);
    let settings = || ReserveMeetingSetting::default().set_password(Password::digits(PASSWORD));
    let applied = client
        .reserves()
        .apply(valid_apply().set_meeting_settings(settings()))
        .await
        .unwrap_err();
    let api = applied.api().unwrap_or_else(|| panic!("{applied:?}"));
    assert_eq!(api.msg, "password ** redacted ** is not allowed");
    let updated = client
        .reserves()
        .update(
            RESERVE_ID,
            UpdateReserveBody::default().set_meeting_settings(settings()),
        )
        .await
        .unwrap_err();
    assert!(updated.is_decode(), "{updated:?}");
    for err in [&applied, &updated] {
        assert_hides(err, &SECRETS);
    }
}
