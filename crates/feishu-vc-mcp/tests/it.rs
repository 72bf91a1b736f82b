//! The tool list and its schemas against a checked-in snapshot, and the tools' behaviour on the
//! emulator.

use std::sync::Arc;

use feishu_vc_ledger::{InMemoryLedger, Ledger};
use feishu_vc_mcp::{BookArgs, VcTools};
use rmcp::handler::server::wrapper::Parameters;

fn tools_on(base_url: &str) -> VcTools {
    let client = feishu_vc::Client::builder()
        .base_url(base_url)
        .app_credentials(
            feishu_vc_emulator::DEMO_APP_ID,
            feishu_vc_emulator::DEMO_APP_SECRET,
        )
        .build()
        .unwrap();
    let ledger = Ledger::new(client, Arc::new(InMemoryLedger::new()));
    VcTools::new(ledger, Some(feishu_vc_emulator::DEMO_USER_ALICE.to_owned()))
}

/// `UPDATE_SNAPSHOT=1 cargo test -p feishu-vc-mcp` rewrites tests/tools.json.
#[test]
fn the_tool_list_and_schemas_match_the_snapshot() {
    let tools = tools_on("http://127.0.0.1:9").tool_list();
    let shown = serde_json::to_string_pretty(&tools).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools.json");
    if std::env::var_os("UPDATE_SNAPSHOT").is_some() {
        std::fs::write(path, &shown).unwrap();
    }
    let recorded = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        recorded == shown,
        "the tool list changed; review it and run UPDATE_SNAPSHOT=1 cargo test -p feishu-vc-mcp:\n{shown}"
    );
}

#[test]
fn read_only_lists_only_reading_tools() {
    let names: Vec<String> = tools_on("http://127.0.0.1:9")
        .read_only()
        .tool_list()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(names, ["get_reservation", "list_reservations"]);
}

fn book(key: &str) -> BookArgs {
    serde_json::from_value(serde_json::json!({ "key": key, "topic": "Review", "end_time": "+2h" }))
        .unwrap()
}

#[tokio::test]
async fn a_repeated_key_books_once_and_a_bad_password_names_its_field() {
    let emulator = feishu_vc_emulator::Emulator::start_default().await.unwrap();
    let tools = tools_on(emulator.base_url());
    let first = tools.book_meeting(Parameters(book("k1"))).await.unwrap().0;
    let again = tools.book_meeting(Parameters(book("k1"))).await.unwrap().0;
    let id = first.reservation.unwrap().reserve_id.unwrap();
    assert_eq!(again.reservation.unwrap().reserve_id.unwrap(), id);
    assert_eq!(emulator.state().applies, 1);

    let mut bad = book("k2");
    bad.password = Some("12ab".to_owned());
    let Err(refused) = tools.book_meeting(Parameters(bad)).await else {
        panic!("a bad password was booked");
    };
    assert_eq!(refused.is_error, Some(true));
    let text = serde_json::to_string(&refused.content).unwrap();
    assert!(text.contains("meeting_settings.password"), "{text}");

    let mut dry = book("k3");
    dry.dry_run = true;
    assert!(tools.book_meeting(Parameters(dry)).await.unwrap().0.dry_run);
    assert_eq!(emulator.state().applies, 1);
}
