use feishu_vc::Client;
use feishu_vc::model::{ApplyReserveRequest, ReserveMeetingSetting, Timestamp};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn apply_fetches_a_token_and_books() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/open-apis/auth/v3/tenant_access_token/internal"))
        .and(body_json(
            json!({"app_id": "cli_a", "app_secret": "s3cret"}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"code":0,"msg":"ok","tenant_access_token":"t-1","expire":7200}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let end = Timestamp::now()
        .checked_add(std::time::Duration::from_secs(3600))
        .unwrap();
    Mock::given(method("POST"))
        .and(path("/open-apis/vc/v1/reserves/apply"))
        .and(query_param("user_id_type", "open_id"))
        .and(header("authorization", "Bearer t-1"))
        .and(body_json(json!({"end_time": end.to_string(), "owner_id": "ou_1", "meeting_settings": {"topic": "t"}})))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-tt-logid", "log-1")
                .set_body_json(json!({"code":0,"msg":"success","data":{"reserve":{"id":"6911188411934973028","meeting_no":"112000358"}}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .app_credentials("cli_a", "s3cret")
        .base_url(server.uri())
        .build()
        .unwrap();
    let booked = client
        .reserves()
        .apply(
            ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("t"))
                .set_end_time(end)
                .set_owner_id("ou_1"),
        )
        .set_user_id_type(feishu_vc::model::UserIdType::OpenId)
        .await
        .unwrap();
    assert_eq!(booked.log_id.as_deref(), Some("log-1"));
    assert_eq!(booked.data.meeting_no, "112000358");
    assert!(booked.warnings.is_empty());
}
