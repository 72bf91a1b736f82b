//! The `feishu-vc` command as a real process: the README's main command, every exit code, dry
//! runs, and the emulator it serves. Loopback only.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_feishu-vc");

/// Runs the command with a clean environment (no FEISHU_* variables leak in).
fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("FEISHU_APP_ID")
        .env_remove("FEISHU_APP_SECRET")
        .env_remove("FEISHU_USER_ACCESS_TOKEN")
        .env_remove("FEISHU_BASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

/// `feishu-vc emulator` in the background; killed on drop.
struct Served {
    child: Child,
    base_url: String,
}

impl Served {
    fn start(extra: &[&str]) -> Self {
        let port: &[&str] = if extra.contains(&"--port") {
            &[]
        } else {
            &["--port", "0"]
        };
        let mut child = Command::new(BIN)
            .arg("emulator")
            .args(port)
            .args(extra)
            .env_remove("FEISHU_APP_ID")
            .env_remove("FEISHU_APP_SECRET")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the emulator starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("a first line");
        let base_url = first.trim().to_owned();
        assert!(
            base_url.starts_with("http://127.0.0.1:"),
            "first line is the base URL: {first:?}"
        );
        Self { child, base_url }
    }

    fn args<'a>(&'a self, rest: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec![
            "--base-url",
            self.base_url.as_str(),
            "--app-id",
            "cli_demo",
            "--app-secret",
            "demo-secret",
        ];
        v.extend_from_slice(rest);
        v
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn readme_main_command_books_on_the_built_in_emulator() {
    let out = run(&[
        "--emulator",
        "reserve",
        "apply",
        "--topic",
        "Weekly sync",
        "--end-time",
        "+2h",
    ]);
    assert_eq!(code(&out), 0, "stderr: {}", text(&out.stderr));
    let data: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let no = data["reserve"]["meeting_no"]
        .as_str()
        .expect("a meeting number");
    assert_eq!(no.len(), 9, "{no}");
    assert!(no.bytes().all(|b| b.is_ascii_digit()), "{no}");
    assert!(data["reserve"]["url"].as_str().unwrap().ends_with(no));
    assert_eq!(data["reserve"]["id"].as_str().unwrap().len(), 19);
    assert!(
        text(&out.stderr).contains("nothing is booked on Feishu"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_readme_shows_the_main_command_tested_here() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    assert!(readme.contains(
        "cargo run -p feishu-vc-cli -- --emulator reserve apply --topic \"Weekly sync\" --end-time +2h"
    ));
}

#[test]
fn usage_errors_exit_2() {
    let out = run(&["reserve", "apply", "--no-such-flag"]);
    assert_eq!(code(&out), 2);
    let out = run(&[
        "--emulator",
        "reserve",
        "apply",
        "--topic",
        "t",
        "--end-time",
        "soon",
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("`soon`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn local_validation_exits_2_and_sends_nothing() {
    // No server anywhere: a request that reached the network would fail differently (exit 4).
    let out = run(&[
        "--base-url",
        "http://127.0.0.1:9",
        "--app-id",
        "a",
        "--app-secret",
        "b",
        "reserve",
        "apply",
        "--topic",
        "t",
        "--end-time",
        "+40d",
        "--owner",
        "ou_x",
        "--password",
        "12",
    ]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("end_time") && err.contains("121003"), "{err}");
    assert!(
        err.contains("meeting_settings.password") && err.contains("123006"),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn api_errors_exit_3() {
    let served = Served::start(&[]);
    let out = run(&served.args(&["reserve", "get", "6911188411934973028"]));
    assert_eq!(code(&out), 3, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("121004") && err.contains("log id"), "{err}");
}

#[test]
fn network_failures_exit_4() {
    // Port 9 (discard) on loopback has no listener here: the connection is refused.
    let out = run(&[
        "--base-url",
        "http://127.0.0.1:9",
        "--user-access-token",
        "u-x",
        "--timeout",
        "2",
        "reserve",
        "get",
        "1",
    ]);
    assert_eq!(code(&out), 4, "{}", text(&out.stderr));
    let out = run(&[
        "--base-url",
        "http://127.0.0.1:9",
        "--app-id",
        "a",
        "--app-secret",
        "b",
        "reserve",
        "delete",
        "1",
    ]);
    assert_eq!(
        code(&out),
        4,
        "the token endpoint is unreachable too: {}",
        text(&out.stderr)
    );
}

#[test]
fn credential_failures_exit_5() {
    let out = run(&["reserve", "get", "1"]);
    assert_eq!(code(&out), 5, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("FEISHU_APP_ID"));

    let served = Served::start(&[]);
    let out = run(&[
        "--base-url",
        &served.base_url,
        "--app-id",
        "cli_demo",
        "--app-secret",
        "wrong-secret",
        "reserve",
        "get",
        "1",
    ]);
    assert_eq!(code(&out), 5, "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("wrong-secret"),
        "the secret is never printed"
    );
    let out = run(&[
        "--base-url",
        &served.base_url,
        "--user-access-token",
        "u-not-a-token",
        "reserve",
        "get",
        "1",
    ]);
    assert_eq!(code(&out), 5, "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("u-not-a-token"));
}

#[test]
fn dry_run_prints_what_would_be_sent_and_sends_nothing() {
    let out = run(&[
        "--app-id",
        "a",
        "--app-secret",
        "b",
        "--user-id-type",
        "union_id",
        "reserve",
        "apply",
        "--topic",
        "Weekly sync",
        "--end-time",
        "+2h",
        "--owner",
        "on_owner",
        "--password",
        "971024",
        "--host",
        "on_h1",
        "--host",
        "on_h2",
        "--dry-run",
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let (first, body) = stdout.split_once('\n').unwrap();
    assert_eq!(
        first,
        "POST https://open.feishu.cn/open-apis/vc/v1/reserves/apply?user_id_type=union_id"
    );
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["owner_id"], "on_owner");
    assert_eq!(body["meeting_settings"]["topic"], "Weekly sync");
    assert_eq!(body["meeting_settings"]["password"], "971024");
    assert_eq!(
        body["meeting_settings"]["assign_host_list"][1]["id"],
        "on_h2"
    );
    assert!(body["end_time"].as_str().unwrap().parse::<i64>().is_ok());

    let out = run(&[
        "--brand",
        "lark",
        "reserve",
        "update",
        "6911188411934973028",
        "--clear-hosts",
        "--end-time",
        "+1d",
        "--dry-run",
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let (first, body) = stdout.split_once('\n').unwrap();
    assert_eq!(
        first,
        "PUT https://open.larksuite.com/open-apis/vc/v1/reserves/6911188411934973028"
    );
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        body["meeting_settings"],
        serde_json::json!({"assign_host_list": []})
    );
}

#[test]
fn body_file_and_flags_combine() {
    let dir = std::env::temp_dir().join(format!("feishu-vc-cli-body-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.json");
    std::fs::write(
        &file,
        r#"{"meeting_settings":{"topic":"from file","auto_record":true}}"#,
    )
    .unwrap();
    let out = run(&[
        "reserve",
        "apply",
        "--body",
        file.to_str().unwrap(),
        "--topic",
        "from flag",
        "--end-time",
        "+1h",
        "--owner",
        "ou_x",
        "--dry-run",
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let body: Value = serde_json::from_str(stdout.split_once('\n').unwrap().1).unwrap();
    assert_eq!(body["meeting_settings"]["topic"], "from flag");
    assert_eq!(body["meeting_settings"]["auto_record"], true);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_served_emulator_takes_all_five_operations_from_the_cli() {
    let served = Served::start(&[]);
    let out = run(&served.args(&[
        "reserve",
        "apply",
        "--topic",
        "t",
        "--end-time",
        "+1h",
        "--owner",
        "ou_3ec3f6a28a0d08c45d895276e8e5e19b",
    ]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let booked: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = booked["reserve"]["id"].as_str().unwrap().to_owned();
    let out = run(&served.args(&[
        "reserve",
        "update",
        &id,
        "--end-time",
        "+3d",
        "--topic",
        "renewed",
    ]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = run(&served.args(&["reserve", "get", &id]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        got["reserve"]["meeting_no"],
        booked["reserve"]["meeting_no"]
    );
    assert_eq!(got["reserve"]["meeting_settings"]["topic"], "renewed");
    let out = run(&served.args(&["reserve", "active", &id, "--with-participants"]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = run(&served.args(&["reserve", "delete", &id]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = run(&served.args(&["reserve", "get", &id]));
    assert_eq!(code(&out), 3, "deleted for good: {}", text(&out.stderr));
}

#[test]
fn the_served_emulator_with_a_state_file_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("feishu-vc-cli-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    let state_arg = state.to_str().unwrap();
    let id = {
        let served = Served::start(&["--state", state_arg]);
        let out = run(&served.args(&[
            "reserve",
            "apply",
            "--topic",
            "kept",
            "--end-time",
            "+1h",
            "--owner",
            "ou_3ec3f6a28a0d08c45d895276e8e5e19b",
        ]));
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        let booked: Value = serde_json::from_slice(&out.stdout).unwrap();
        booked["reserve"]["id"].as_str().unwrap().to_owned()
        // Killed here, without a graceful shutdown: what was acknowledged is on disk already.
    };
    let served = Served::start(&["--state", state_arg]);
    let out = run(&served.args(&["reserve", "get", &id]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["reserve"]["meeting_settings"]["topic"], "kept");
    drop(served);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_facade_drives_the_served_emulator_on_a_chosen_port_through_all_five_operations() {
    use feishu_vc::model::{
        ApplyReserveRequest, ErrorCode, ReserveMeetingSetting, UpdateReserveBody,
    };

    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let port_arg = port.to_string();
    let served = Served::start(&["--port", &port_arg]);
    assert_eq!(served.base_url, format!("http://127.0.0.1:{port}"));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = feishu_vc::Client::builder()
            .app_credentials("cli_demo", "demo-secret")
            .base_url(served.base_url.clone())
            .build()
            .unwrap();
        let reserves = client.reserves();
        let now = feishu_vc::model::Timestamp::now();
        let end = now
            .checked_add(std::time::Duration::from_secs(3600))
            .unwrap();
        let booked = reserves
            .apply(
                ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("facade"))
                    .set_end_time(end)
                    .set_owner_id("ou_3ec3f6a28a0d08c45d895276e8e5e19b"),
            )
            .await
            .unwrap();
        let reserve = booked.data.reserve;
        let id = reserve.id.clone().unwrap();
        let renewed_until = now
            .checked_add(std::time::Duration::from_secs(2 * 24 * 3600))
            .unwrap();
        let renewed = reserves
            .update(
                id.clone(),
                UpdateReserveBody::default().set_end_time(renewed_until),
            )
            .await
            .unwrap();
        assert_eq!(
            renewed.data.reserve.meeting_no, reserve.meeting_no,
            "a renewal keeps the number"
        );
        let got = reserves.get(id.clone()).await.unwrap();
        assert_eq!(got.data.reserve.unwrap().end_time, Some(renewed_until));
        let active = reserves
            .get_active_meeting(id.clone())
            .set_with_participants(true)
            .await
            .unwrap();
        assert!(active.data.meeting.is_none(), "no meeting was started");
        reserves.delete(id.clone()).await.unwrap();
        let gone = reserves.get(id).await.unwrap_err();
        assert_eq!(gone.code(), Some(ErrorCode::DataNotExist));
    });
}
