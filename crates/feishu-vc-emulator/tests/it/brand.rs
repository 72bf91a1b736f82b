//! The emulator playing Lark: links on Lark's hosts, end to end through the facade.

use feishu_vc::model::{ErrorCode, UpdateReserveBody};
use feishu_vc_emulator::{Brand, Emulator};

use crate::{alice_meeting, client, later};

#[tokio::test]
async fn as_lark_it_mints_links_on_larks_hosts_end_to_end() {
    let emulator = Emulator::builder()
        .brand(Brand::Lark)
        .start()
        .await
        .unwrap();
    // The client holds only the app's credentials: its token comes from the emulator's token
    // endpoint, as it would from open.larksuite.com.
    let client = client(&emulator);
    assert_eq!(emulator.state().live_tokens, 0);

    let applied = client
        .reserves()
        .apply(alice_meeting(&emulator, "Lark sync"))
        .await
        .unwrap();
    assert_eq!(emulator.state().live_tokens, 1, "a token was fetched");
    let reserve = applied.data.reserve;
    let id = reserve.id.clone().unwrap();
    let no = reserve.meeting_no.clone().unwrap();
    assert_eq!(
        reserve.url.as_deref(),
        Some(format!("https://vc.larksuite.com/j/{}", no.as_str()).as_str())
    );
    let app_link = reserve.app_link.unwrap();
    assert!(
        app_link.starts_with("https://applink.larksuite.com/client/videochat/open?"),
        "{app_link}"
    );
    assert!(
        app_link.contains(&format!("&id={}&", id.as_str())),
        "{app_link}"
    );
    let live_link = reserve.live_link.unwrap();
    assert!(
        live_link.starts_with("https://meetings.larksuite.com/s/"),
        "{live_link}"
    );

    let got = client.reserves().get(id.clone()).await.unwrap();
    let got = got.data.reserve.unwrap();
    assert_eq!(got.url, reserve.url);
    assert_eq!(got.live_link.as_deref(), Some(live_link.as_str()));
    let updated = client
        .reserves()
        .update(
            id.clone(),
            UpdateReserveBody::default().set_end_time(later(&emulator, 7200)),
        )
        .await
        .unwrap();
    assert_eq!(updated.data.reserve.url, reserve.url);

    // Errors point to Lark's troubleshooter.
    let err = client
        .reserves()
        .get("1234567890123456789")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::DataNotExist));
    let troubleshooter = err.api().unwrap().troubleshooter().unwrap();
    assert!(
        troubleshooter.starts_with("https://open.larksuite.com/search?from=openapi&log_id="),
        "{troubleshooter}"
    );
    client.reserves().delete(id).await.unwrap();
    emulator.shutdown().await.unwrap();

    // Feishu stays the default.
    let emulator = Emulator::start_default().await.unwrap();
    let url = meeting_url(&emulator).await;
    assert!(url.starts_with("https://vc.feishu.cn/j/"), "{url}");
    emulator.shutdown().await.unwrap();
}

async fn meeting_url(emulator: &Emulator) -> String {
    client(emulator)
        .reserves()
        .apply(alice_meeting(emulator, "Feishu sync"))
        .await
        .unwrap()
        .data
        .reserve
        .url
        .unwrap()
}
