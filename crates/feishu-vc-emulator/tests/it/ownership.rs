//! Only your own reservations: 121005 for anyone else.

use feishu_vc::model::{ApplyReserveRequest, ErrorCode, ReserveMeetingSetting, UpdateReserveBody};
use feishu_vc_emulator::{DEMO_USER_BOB, Emulator, OTHER_TENANT_KEY, OTHER_TENANT_USER};

use crate::{alice_meeting, client, later, unchecked_client};

#[tokio::test]
async fn another_users_token_gets_121005() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let alice = emulator.mint_user_token("alice").await.unwrap();
    let bob = emulator.mint_user_token(DEMO_USER_BOB).await.unwrap();
    let booked = client
        .reserves()
        .apply(
            ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("Alice's"))
                .set_end_time(later(&emulator, 3600)),
        )
        .with_user_access_token(alice.clone())
        .await
        .unwrap();
    let id = booked.data.reserve.id.unwrap();

    let get = client
        .reserves()
        .get(id.clone())
        .with_user_access_token(bob.clone())
        .await
        .unwrap_err();
    let update = client
        .reserves()
        .update(
            id.clone(),
            UpdateReserveBody::default().set_end_time(later(&emulator, 7200)),
        )
        .with_user_access_token(bob.clone())
        .await
        .unwrap_err();
    let active = client
        .reserves()
        .get_active_meeting(id.clone())
        .with_user_access_token(bob.clone())
        .await
        .unwrap_err();
    let delete = client
        .reserves()
        .delete(id.clone())
        .with_user_access_token(bob)
        .await
        .unwrap_err();
    for err in [get, update, active, delete] {
        assert_eq!(err.code(), Some(ErrorCode::NoPermission), "{err}");
        assert_eq!(err.http_status(), Some(403));
    }

    // The owner still can; so can the app that booked it, with its tenant token.
    client
        .reserves()
        .get(id.clone())
        .with_user_access_token(alice)
        .await
        .unwrap();
    client.reserves().get(id.clone()).await.unwrap();
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn another_apps_tenant_token_gets_121005() {
    let emulator = Emulator::builder()
        .add_app("cli_0be1a2c3d4e5f607", "other-secret", OTHER_TENANT_KEY)
        .start()
        .await
        .unwrap();
    let ours = client(&emulator);
    let theirs = feishu_vc::Client::builder()
        .app_credentials("cli_0be1a2c3d4e5f607", "other-secret")
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    let booked = ours
        .reserves()
        .apply(alice_meeting(&emulator, "Ours"))
        .await
        .unwrap();
    let id = booked.data.reserve.id.unwrap();
    let err = theirs.reserves().get(id.clone()).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NoPermission), "{err}");
    let err = theirs.reserves().delete(id.clone()).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NoPermission), "{err}");

    // The other app may book for its own tenant's users only.
    let err = theirs
        .reserves()
        .apply(alice_meeting(&emulator, "Not theirs"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::ParamError), "{err}");
    theirs
        .reserves()
        .apply(alice_meeting(&emulator, "Theirs").set_owner_id(OTHER_TENANT_USER))
        .await
        .unwrap();
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn owner_outside_the_directory_or_tenant_is_121003() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = unchecked_client(&emulator);
    for owner in [OTHER_TENANT_USER, "ou_unknown"] {
        let err = client
            .reserves()
            .apply(alice_meeting(&emulator, "x").set_owner_id(owner))
            .await
            .unwrap_err();
        let api = err.api().unwrap();
        assert_eq!(api.code, ErrorCode::ParamError, "{err}");
        assert_eq!(api.http_status, 400);
        assert!(api.msg.contains("owner_id"), "{}", api.msg);
    }
    assert!(emulator.state().reservations.is_empty());
    emulator.shutdown().await.unwrap();
}
