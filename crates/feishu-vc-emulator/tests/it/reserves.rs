//! The five operations end to end through the facade.

use feishu_vc::Warning;
use feishu_vc::model::{
    ApplyReserveRequest, ErrorCode, ExpireStatus, Password, ReserveAssignHost,
    ReserveMeetingSetting, UpdateReserveBody, UserIdType,
};
use feishu_vc_emulator::{
    DEMO_USER_ALICE, DEMO_USER_BOB, DEMO_USER_CAROL, Emulator, OTHER_TENANT_USER,
};

use crate::{alice_meeting, client, later};

fn host(id: &str) -> ReserveAssignHost {
    ReserveAssignHost::default().set_id(id).set_user_type(1)
}

#[tokio::test]
async fn all_five_operations_through_the_facade() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let end = later(&emulator, 7200);

    // apply
    let booked = client
        .reserves()
        .apply(
            ApplyReserveRequest::new(
                ReserveMeetingSetting::default()
                    .set_topic("Weekly sync")
                    .set_password(Password::digits("971024"))
                    .set_assign_host_list([host(DEMO_USER_BOB)]),
            )
            .set_end_time(end)
            .set_owner_id(DEMO_USER_ALICE),
        )
        .await
        .unwrap();
    assert!(booked.log_id.is_some());
    assert!(booked.warnings.is_empty(), "{:?}", booked.warnings);
    let reserve = booked.data.reserve;
    let id = reserve.id.clone().unwrap();
    let no = reserve.meeting_no.clone().unwrap();
    assert_eq!(id.as_str().len(), 19, "{id}");
    assert!(id.as_str().bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(no.as_str().len(), 9, "{no}");
    assert_eq!(
        reserve.url.as_deref(),
        Some(format!("https://vc.feishu.cn/j/{no}").as_str())
    );
    let app_link = reserve.app_link.unwrap();
    assert!(
        app_link.starts_with("https://applink.feishu.cn/client/videochat/open?"),
        "{app_link}"
    );
    assert!(app_link.contains(&format!("id={id}")), "{app_link}");
    assert!(app_link.contains("preview={?}&mic={?}&speaker={?}&camera={?}"));
    assert!(
        reserve
            .live_link
            .unwrap()
            .starts_with("https://meetings.feishu.cn/s/")
    );
    assert_eq!(reserve.end_time, Some(end));
    assert_eq!(reserve.password.unwrap().expose_secret(), "971024");
    // apply answers no expire_status (the documented subset).
    assert_eq!(reserve.expire_status, None);

    // get
    let got = client.reserves().get(id.clone()).await.unwrap();
    let r = got.data.reserve.unwrap();
    assert_eq!(r.meeting_no.as_ref(), Some(&no));
    assert_eq!(r.expire_status, Some(ExpireStatus::NotExpired));
    assert_eq!(r.reserve_user_id.unwrap(), DEMO_USER_ALICE);
    let settings = r.meeting_settings.unwrap();
    assert_eq!(settings.topic.as_deref(), Some("Weekly sync"));
    assert_eq!(
        settings.assign_host_list.unwrap()[0].id.as_ref().unwrap(),
        DEMO_USER_BOB
    );

    // update
    let updated = client
        .reserves()
        .update(
            id.clone(),
            UpdateReserveBody::default()
                .set_meeting_settings(ReserveMeetingSetting::default().set_topic("Renamed")),
        )
        .await
        .unwrap();
    let r = updated.data.reserve;
    assert_eq!(r.meeting_no.as_ref(), Some(&no));
    assert_eq!(r.expire_status, Some(ExpireStatus::NotExpired));
    assert_eq!(r.app_link, None, "update answers no app_link");
    let r = client
        .reserves()
        .get(id.clone())
        .await
        .unwrap()
        .data
        .reserve
        .unwrap();
    assert_eq!(
        r.meeting_settings.unwrap().topic.as_deref(),
        Some("Renamed")
    );

    // get_active_meeting: nothing in progress
    let active = client
        .reserves()
        .get_active_meeting(id.clone())
        .await
        .unwrap();
    assert!(active.data.meeting.is_none());

    // delete, for good
    client.reserves().delete(id.clone()).await.unwrap();
    let err = client.reserves().get(id.clone()).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::DataNotExist));
    assert_eq!(err.http_status(), Some(404));
    assert!(!emulator.state().is_taken(no.as_str()));
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn update_clears_fields_sent_empty_and_keeps_the_rest() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let booked = client
        .reserves()
        .apply(
            ApplyReserveRequest::new(
                ReserveMeetingSetting::default()
                    .set_topic("Keep me?")
                    .set_auto_record(true)
                    .set_password(Password::digits("1234"))
                    .set_assign_host_list([host(DEMO_USER_BOB)]),
            )
            .set_end_time(later(&emulator, 3600))
            .set_owner_id(DEMO_USER_ALICE),
        )
        .await
        .unwrap();
    let id = booked.data.reserve.id.unwrap();

    client
        .reserves()
        .update(
            id.clone(),
            UpdateReserveBody::default().set_meeting_settings(
                ReserveMeetingSetting::default()
                    .set_topic("")
                    .set_assign_host_list(Vec::<ReserveAssignHost>::new()),
            ),
        )
        .await
        .unwrap();
    let r = client
        .reserves()
        .get(id.clone())
        .await
        .unwrap()
        .data
        .reserve
        .unwrap();
    let settings = r.meeting_settings.unwrap();
    assert_eq!(settings.topic, None, "topic sent empty is cleared");
    assert_eq!(
        settings.assign_host_list, None,
        "hosts sent empty are cleared"
    );
    assert_eq!(
        settings.auto_record,
        Some(true),
        "auto_record not sent is kept"
    );
    assert_eq!(
        r.password.unwrap().expose_secret(),
        "1234",
        "password not sent is kept"
    );

    // password "" means no password.
    let updated = client
        .reserves()
        .update(
            id.clone(),
            UpdateReserveBody::default().set_meeting_settings(
                ReserveMeetingSetting::default().set_password(Password::no_password()),
            ),
        )
        .await
        .unwrap();
    assert!(updated.data.reserve.password.unwrap().is_no_password());
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn user_token_books_for_its_user_and_ids_follow_user_id_type() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let alice = emulator.mint_user_token("alice").await.unwrap();
    let booked = client
        .reserves()
        .apply(
            ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("Mine"))
                .set_end_time(later(&emulator, 3600)),
        )
        .with_user_access_token(alice.clone())
        .await
        .unwrap();
    let reserve = booked.data.reserve;
    // No password given: Alice's setting gives a random 6-digit one.
    let password = reserve.password.unwrap();
    assert_eq!(password.expose_secret().len(), 6);
    assert!(password.expose_secret().bytes().all(|b| b.is_ascii_digit()));
    let id = reserve.id.unwrap();

    for (kind, expected) in [
        (UserIdType::OpenId, DEMO_USER_ALICE),
        (UserIdType::UnionId, "on_alice"),
        (UserIdType::UserId, "alice"),
    ] {
        let r = client
            .reserves()
            .get(id.clone())
            .set_user_id_type(kind)
            .with_user_access_token(alice.clone())
            .await
            .unwrap()
            .data
            .reserve
            .unwrap();
        assert_eq!(r.reserve_user_id.unwrap(), expected, "{kind}");
    }
    assert_eq!(
        emulator.state().reservation(id.as_str()).unwrap().owner,
        DEMO_USER_ALICE
    );

    // Carol's setting: no password unless one is given.
    let carol = emulator.mint_user_token(DEMO_USER_CAROL).await.unwrap();
    let booked = client
        .reserves()
        .apply(
            ApplyReserveRequest::new(ReserveMeetingSetting::default())
                .set_end_time(later(&emulator, 3600)),
        )
        .with_user_access_token(carol)
        .await
        .unwrap();
    assert!(booked.data.reserve.password.unwrap().is_no_password());
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn hosts_outside_the_directory_come_back_invalid() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let booked = client
        .reserves()
        .apply(alice_meeting(&emulator, "Hosts").set_meeting_settings(
            ReserveMeetingSetting::default().set_assign_host_list([
                host(DEMO_USER_BOB),
                host("ou_stranger"),
                host(OTHER_TENANT_USER),
            ]),
        ))
        .await
        .unwrap();
    assert_eq!(
        booked.warnings,
        [Warning::InvalidHostIds(vec![
            "ou_stranger".into(),
            OTHER_TENANT_USER.into()
        ])]
    );
    let id = booked.data.reserve.id.unwrap();
    let r = client
        .reserves()
        .get(id.clone())
        .await
        .unwrap()
        .data
        .reserve
        .unwrap();
    let hosts = r.meeting_settings.unwrap().assign_host_list.unwrap();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0].id.as_ref().unwrap(), DEMO_USER_BOB);

    // On update too; hosts given as user ids are answered as open ids.
    let updated = client
        .reserves()
        .update(
            id.clone(),
            UpdateReserveBody::default().set_meeting_settings(
                ReserveMeetingSetting::default()
                    .set_assign_host_list([host("carol"), host("nobody")]),
            ),
        )
        .set_user_id_type(UserIdType::UserId)
        .await
        .unwrap();
    assert_eq!(
        updated.warnings,
        [Warning::InvalidHostIds(vec!["nobody".into()])]
    );
    let r = client
        .reserves()
        .get(id)
        .await
        .unwrap()
        .data
        .reserve
        .unwrap();
    let hosts = r.meeting_settings.unwrap().assign_host_list.unwrap();
    assert_eq!(hosts[0].id.as_ref().unwrap(), DEMO_USER_CAROL);
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn owner_id_with_a_user_token_is_accepted_and_ignored() {
    // Lark: owner_id "使用 user_access_token 时不生效" — it has no effect, it is not an error.
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let alice = emulator.mint_user_token("alice").await.unwrap();
    let booked = client
        .reserves()
        .apply(
            ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("Mine"))
                .set_end_time(later(&emulator, 3600))
                .set_owner_id(DEMO_USER_BOB),
        )
        .with_user_access_token(alice)
        .await
        .unwrap();
    assert!(
        matches!(&booked.warnings[..], [feishu_vc::Warning::Ignored { path, .. }] if path == "owner_id"),
        "{:?}",
        booked.warnings
    );
    let id = booked.data.reserve.id.unwrap();
    assert_eq!(
        emulator.state().reservation(id.as_str()).unwrap().owner,
        DEMO_USER_ALICE
    );
    emulator.shutdown().await.unwrap();
}
