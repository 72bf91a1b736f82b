//! get_active_meeting, with meetings started and ended through the control API.

use feishu_vc::model::{MeetingStatus, ParticipantStatus, UserIdType, UserType};
use feishu_vc_emulator::{
    DEMO_USER_ALICE, DEMO_USER_BOB, Emulator, Error, MeetingSpec, ParticipantSpec,
};
use reqwest::Method;
use serde_json::json;

use crate::{alice_meeting, client, raw};

#[tokio::test]
async fn active_meeting_appears_when_started_and_participants_only_when_asked() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let reserve = client
        .reserves()
        .apply(alice_meeting(&emulator, "Stand-up"))
        .await
        .unwrap()
        .data
        .reserve;
    let id = reserve.id.unwrap();
    assert!(
        client
            .reserves()
            .get_active_meeting(id.clone())
            .await
            .unwrap()
            .data
            .meeting
            .is_none()
    );

    let started = emulator
        .start_meeting(
            id.as_str(),
            MeetingSpec::new().participant("bob").with_participant(
                ParticipantSpec::new("+86-13800000000").with_user_type(UserType::PstnUser),
            ),
        )
        .await
        .unwrap();
    assert_eq!(started.participants.as_ref().unwrap().len(), 3);

    let m = client
        .reserves()
        .get_active_meeting(id.clone())
        .await
        .unwrap()
        .data
        .meeting
        .unwrap();
    assert_eq!(m.id, started.id);
    assert_eq!(m.id.as_ref().unwrap().as_str().len(), 19);
    assert_eq!(m.topic.as_deref(), Some("Stand-up"));
    assert_eq!(m.meeting_no, reserve.meeting_no);
    assert_eq!(m.url, reserve.url);
    assert_eq!(m.status, Some(MeetingStatus::OnTheCall));
    assert_eq!(m.host_user.unwrap().id.unwrap(), DEMO_USER_ALICE);
    assert_eq!(m.participant_count, Some(3));
    assert_eq!(m.participant_count_accumulated, Some(3));
    assert!(m.start_time.is_some() && m.create_time.is_some());
    assert!(m.participants.is_none(), "participants only when asked");

    let m = client
        .reserves()
        .get_active_meeting(id.clone())
        .set_with_participants(true)
        .set_user_id_type(UserIdType::UserId)
        .await
        .unwrap()
        .data
        .meeting
        .unwrap();
    assert_eq!(m.host_user.unwrap().id.unwrap(), "alice");
    let people = m.participants.unwrap();
    let ids: Vec<&str> = people
        .iter()
        .map(|p| p.id.as_ref().unwrap().as_str())
        .collect();
    assert_eq!(ids, ["alice", "bob", "+86-13800000000"]);
    assert_eq!(people[0].is_host, Some(true));
    assert_eq!(people[1].is_host, Some(false));
    assert_eq!(people[1].is_external, Some(false));
    assert_eq!(people[2].is_external, Some(true));
    assert_eq!(people[2].user_type, Some(UserType::PstnUser));
    assert!(
        people
            .iter()
            .all(|p| p.status == Some(ParticipantStatus::OnTheCall))
    );

    // At most one meeting in progress.
    assert!(matches!(
        emulator
            .start_meeting(id.as_str(), MeetingSpec::new())
            .await,
        Err(Error::MeetingInProgress(_))
    ));

    // End it through the control API over HTTP.
    let url = format!("{}/_emulator/reserves/{id}/meeting", emulator.base_url());
    let ended = raw(Method::DELETE, url.clone(), None, None).await;
    assert_eq!(ended.status, 200);
    assert!(
        client
            .reserves()
            .get_active_meeting(id.clone())
            .await
            .unwrap()
            .data
            .meeting
            .is_none()
    );
    let again = raw(Method::DELETE, url.clone(), None, None).await;
    assert_eq!(again.status, 409);

    // A field the control API does not have is refused, not ignored: a misspelt host would
    // otherwise start a meeting hosted by someone else.
    let misspelt = raw(
        Method::POST,
        url.clone(),
        None,
        Some(json!({"host": DEMO_USER_BOB})),
    )
    .await;
    assert_eq!(misspelt.status, 400, "{}", misspelt.body);
    assert!(
        misspelt.body["error"].as_str().unwrap().contains("host"),
        "{}",
        misspelt.body
    );
    let leave = format!("{url}/leave");
    let misspelt = raw(
        Method::POST,
        leave,
        None,
        Some(json!({"id": DEMO_USER_BOB})),
    )
    .await;
    assert_eq!(misspelt.status, 400, "{}", misspelt.body);

    // Start one over HTTP, hosted by Bob.
    let started = raw(
        Method::POST,
        url,
        None,
        Some(json!({"host_id": DEMO_USER_BOB, "participants": [{"id": DEMO_USER_ALICE}]})),
    )
    .await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert_eq!(started.body["meeting"]["host_user"]["id"], DEMO_USER_BOB);
    assert_eq!(started.body["meeting"]["participant_count"], "2");
    let unknown = raw(
        Method::POST,
        format!("{}/_emulator/reserves/1/meeting", emulator.base_url()),
        None,
        None,
    )
    .await;
    assert_eq!(unknown.status, 404);
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn control_api_over_http() {
    let emulator = Emulator::start_default().await.unwrap();
    let base = emulator.base_url().to_owned();
    let before = emulator.now();
    let advanced = raw(
        Method::POST,
        format!("{base}/_emulator/clock/advance"),
        None,
        Some(json!({"seconds": 90})),
    )
    .await;
    assert_eq!(advanced.status, 200);
    let now: i64 = advanced.body["now"].as_str().unwrap().parse().unwrap();
    assert!(now >= before.unix_seconds() + 90);
    let clock = raw(Method::GET, format!("{base}/_emulator/clock"), None, None).await;
    assert_eq!(clock.body["offset_seconds"], 90);

    let token = raw(
        Method::POST,
        format!("{base}/_emulator/user_access_token"),
        None,
        Some(json!({"user_id": "on_bob"})),
    )
    .await;
    assert_eq!(token.status, 200);
    assert!(
        token.body["user_access_token"]
            .as_str()
            .unwrap()
            .starts_with("u-")
    );
    assert_eq!(token.body["expire"], 7200);
    let unknown = raw(
        Method::POST,
        format!("{base}/_emulator/user_access_token"),
        None,
        Some(json!({"user_id": "ou_nobody"})),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.body["error"]
            .as_str()
            .unwrap()
            .contains("ou_nobody")
    );

    let tenant = raw(
        Method::POST,
        format!("{base}/_emulator/tenant_access_token"),
        None,
        None,
    )
    .await;
    assert!(
        tenant.body["tenant_access_token"]
            .as_str()
            .unwrap()
            .starts_with("t-")
    );

    let state = raw(Method::GET, format!("{base}/_emulator/state"), None, None).await;
    assert_eq!(state.body["clock_offset_seconds"], 90);
    assert_eq!(state.body["live_tokens"], 2);
    assert_eq!(state.body["reservations"], json!([]));
    emulator.shutdown().await.unwrap();
}
