//! Responses are read leniently: unknown fields are ignored, new enum values kept, ids and
//! timestamps accepted as strings or numbers.

use feishu_vc::model::{ExpireStatus, MeetingInitialType, MeetingStatus, ParticipantStatus};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::support::*;

#[tokio::test]
async fn unknown_fields_and_new_enum_values_are_accepted_by_get() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("GET"))
        .and(path(reserve_path(RESERVE_ID)))
        .respond_with(ok(json!({
            "reserve": {
                "id": RESERVE_ID,
                "meeting_no": "112000358",
                "end_time": 1608883322,
                "expire_status": 7,
                "brand_new_field": {"nested": [1, 2, 3]},
                "meeting_settings": {
                    "topic": "my meeting",
                    "meeting_initial_type": 9,
                    "future_setting": true,
                    "assign_host_list": [{"id": "ou_1", "user_type": 5, "extra": "x"}]
                }
            },
            "data_level_extra": 1
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let got = client(&server).reserves().get(RESERVE_ID).await.unwrap();
    let reserve = got.data.reserve.unwrap();
    assert_eq!(reserve.expire_status, Some(ExpireStatus::from_value(7)));
    assert_eq!(reserve.expire_status.unwrap().value(), 7);
    assert!(matches!(
        reserve.expire_status,
        Some(ExpireStatus::Unknown(_))
    ));
    assert_eq!(reserve.end_time.unwrap().unix_seconds(), 1_608_883_322);
    let settings = reserve.meeting_settings.unwrap();
    assert_eq!(
        settings.meeting_initial_type,
        Some(MeetingInitialType::from_value(9))
    );
    assert_eq!(
        settings.assign_host_list.unwrap()[0]
            .user_type
            .unwrap()
            .value(),
        5
    );
}

#[tokio::test]
async fn unknown_fields_and_new_enum_values_are_accepted_by_get_active_meeting() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{}/get_active_meeting",
            reserve_path(RESERVE_ID)
        )))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .insert_header("x-tt-logid", "log-active")
                .set_body_json(json!({
                    "code": 0,
                    "msg": "success",
                    "top_level_extra": {"anything": null},
                    "data": {
                        "meeting": {
                            "id": 6911188411932033028_u64,
                            "status": 9,
                            "participant_count": "3",
                            "participants": [
                                {"id": "ou_1", "status": 42, "user_type": 99, "mood": "happy"}
                            ],
                            "ability": {"use_video": true, "use_hologram": true}
                        }
                    }
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let active = client(&server)
        .reserves()
        .get_active_meeting(RESERVE_ID)
        .await
        .unwrap();
    assert_eq!(active.log_id.as_deref(), Some("log-active"));
    let meeting = active.data.meeting.unwrap();
    assert_eq!(meeting.id.unwrap(), "6911188411932033028");
    assert_eq!(meeting.status, Some(MeetingStatus::from_value(9)));
    assert_eq!(meeting.participant_count, Some(3));
    let participant = &meeting.participants.unwrap()[0];
    assert_eq!(participant.status, Some(ParticipantStatus::from_value(42)));
    assert_eq!(participant.user_type.unwrap().value(), 99);
    assert_eq!(meeting.ability.unwrap().use_video, Some(true));
}

#[tokio::test]
async fn unknown_fields_are_accepted_by_apply_and_the_seed_response_decodes() {
    let server = MockServer::start().await;
    mount_token(&server, "t-1", 1).await;
    let mut answer = seed_apply_response();
    answer["data"]["reserve"]["expire_status"] = json!(7);
    answer["data"]["reserve"]["something_new"] = json!({"a": [1]});
    answer["data"]["reserve_correction_check_info"]["new_check"] = json!(true);
    answer["data"]["reserve_correction_check_info"]["invalid_host_id_list"] = json!([]);
    answer["extra"] = json!("top");
    Mock::given(method("POST"))
        .and(path(APPLY_PATH))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(answer))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let booked = client(&server)
        .reserves()
        .apply(valid_apply())
        .await
        .unwrap();
    assert!(booked.warnings.is_empty(), "{:?}", booked.warnings);
    let reserve = booked.data.reserve;
    assert_eq!(reserve.expire_status.unwrap().value(), 7);
    assert_eq!(
        reserve.live_link.as_deref(),
        Some("https://meetings.feishu.cn/s/1gub381l4gglv")
    );
}
