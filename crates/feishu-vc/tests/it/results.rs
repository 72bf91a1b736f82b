//! What apply and update give: the reservation id and meeting number without unwrapping, and a
//! success answer that lacks them is an error (for apply, outcome unknown: the meeting may exist).

use std::error::Error as _;

use feishu_vc::Response;
use feishu_vc::model::{Booked, IncompleteResponse, Timestamp, UpdateReserveBody};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::support::*;

/// Books a meeting through a mock Feishu that answers the booking, once, with `data`.
async fn book_answered_with(data: Value) -> feishu_vc::Result<Response<Booked>> {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(ok(data))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    client(&server).reserves().apply(valid_apply()).await
}

/// The missing field named by the innermost source of `err`.
fn missing_field(err: &feishu_vc::Error) -> &'static str {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(incomplete) = e.downcast_ref::<IncompleteResponse>() {
            return incomplete.field;
        }
        source = e.source();
    }
    panic!("no IncompleteResponse under {err:?}")
}

#[tokio::test]
async fn apply_gives_the_booking_without_options() {
    let booked = book_answered_with(json!({"reserve": {
        "id": RESERVE_ID, "meeting_no": "112000358",
        "url": "https://vc.feishu.cn/j/112000358", "end_time": "1608883322"
    }}))
    .await
    .unwrap();
    assert_eq!(booked.data.reserve_id, RESERVE_ID);
    assert_eq!(booked.data.meeting_no, "112000358");
    assert_eq!(
        booked.data.url.as_deref(),
        Some("https://vc.feishu.cn/j/112000358")
    );
    assert_eq!(
        booked.data.end_time,
        Some(Timestamp::from_unix_seconds(1_608_883_322))
    );
    assert_eq!(booked.log_id.as_deref(), Some("log-ok"));
}

#[tokio::test]
async fn apply_answered_without_a_reserve_id_is_outcome_unknown() {
    let err = book_answered_with(json!({"reserve": {"meeting_no": "112000358"}}))
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    let feishu_vc::Error::OutcomeUnknown(inner) = &err else {
        unreachable!()
    };
    assert!(inner.is_decode(), "{inner:?}");
    assert_eq!(missing_field(&err), "data.reserve.id");
    assert_eq!(err.log_id(), Some("log-ok"));
    assert_eq!(err.http_status(), Some(200));
}

#[tokio::test]
async fn apply_answered_without_data_or_meeting_number_is_outcome_unknown() {
    for (data, field) in [
        (Value::Null, "data.reserve"),
        (
            json!({"reserve": {"id": RESERVE_ID}}),
            "data.reserve.meeting_no",
        ),
        (
            json!({"reserve": {"id": RESERVE_ID, "meeting_no": ""}}),
            "data.reserve.meeting_no",
        ),
    ] {
        let err = book_answered_with(data).await.unwrap_err();
        assert!(err.is_outcome_unknown(), "{err:?}");
        assert_eq!(missing_field(&err), field);
    }
}

#[tokio::test]
async fn update_gives_the_reservation_and_fails_without_its_meeting_number() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("PUT"))
        .and(path(reserve_path(RESERVE_ID)))
        .respond_with(ok(reserve_data()))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(reserve_path(RESERVE_ID)))
        .respond_with(ok(json!({"reserve": {"id": RESERVE_ID}})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client(&server);
    let renew = || UpdateReserveBody::default().set_end_time(in_one_hour());
    let renewed = client.reserves().update(RESERVE_ID, renew()).await.unwrap();
    assert_eq!(renewed.data.reserve_id, RESERVE_ID);
    assert_eq!(renewed.data.meeting_no, "112000358");

    // The change was made (code 0), so this is not "outcome unknown", but the answer is unusable.
    let err = client
        .reserves()
        .update(RESERVE_ID, renew())
        .await
        .unwrap_err();
    assert!(err.is_decode() && !err.is_outcome_unknown(), "{err:?}");
    assert_eq!(missing_field(&err), "data.reserve.meeting_no");
}
