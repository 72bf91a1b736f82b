//! The `feishu-vc` command as a real process: the README's main command, every exit code, dry
//! runs, and the emulator it serves. Loopback only; the built-in emulator's per-user state lives
//! in a temporary directory per test, never in the real home directory.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use feishu_vc_emulator::DEMO_APP_ID;
use serde_json::Value;

mod common;

use common::{BIN, TempDir, code, command, text};

/// Runs the command with a clean environment and a throwaway home.
fn run(args: &[&str]) -> Output {
    let home = TempDir::new("home");
    command(home.path())
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs the command with the built-in emulator's state in `state`, as a user would through the
/// documented environment variable.
fn run_with_state(state: &Path, args: &[&str]) -> Output {
    let home = TempDir::new("home");
    command(home.path())
        .env("FEISHU_VC_EMULATOR_STATE", state)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// The JSON body a successful dry run prints after its first line (method and URL).
fn sent_body(out: &Output) -> Value {
    assert_eq!(code(out), 0, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    serde_json::from_str(stdout.split_once('\n').expect("two parts").1).expect("a JSON body")
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
            .env_remove("RUST_LOG")
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
            DEMO_APP_ID,
            "--app-secret",
            "demo-secret",
        ];
        v.extend_from_slice(rest);
        v
    }
}

impl Served {
    /// `feishu-vc reserve apply` of a one-hour meeting owned by Alice; its JSON answer.
    fn book(&self, topic: &str) -> Value {
        let out = run(&self.args(&[
            "reserve",
            "apply",
            "--topic",
            topic,
            "--end-time",
            "+1h",
            "--owner",
            "ou_3ec3f6a28a0d08c45d895276e8e5e19b",
        ]));
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Starts the meeting of reservation `id` through the control API; the HTTP status.
    fn start_meeting(&self, id: &str) -> u16 {
        let url = format!("{}/_emulator/reserves/{id}/meeting", self.base_url);
        post(&url, String::new(), &[])
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
fn local_validation_exits_2_names_the_flags_and_sends_nothing() {
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
    // Named by the flags typed, with the JSON path beside them; "nothing was sent" said once.
    assert!(
        err.contains("--password (meeting_settings.password)"),
        "{err}"
    );
    assert!(err.contains("--end-time (end_time)"), "{err}");
    assert_eq!(err.matches("nothing was sent").count(), 1, "{err}");
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
        DEMO_APP_ID,
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
    let body = sent_body(&out);
    assert_eq!(body["meeting_settings"]["topic"], "from flag");
    assert_eq!(body["meeting_settings"]["auto_record"], true);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_served_emulator_takes_all_five_operations_from_the_cli() {
    let served = Served::start(&[]);
    let booked = served.book("t");
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
            .app_credentials(DEMO_APP_ID, "demo-secret")
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

/// The shortest booking on the built-in emulator.
const APPLY_ON_EMULATOR: [&str; 7] = [
    "--emulator",
    "reserve",
    "apply",
    "--topic",
    "t",
    "--end-time",
    "+1h",
];

/// `feishu-vc --emulator reserve apply --topic TOPIC --end-time +2h EXTRA...` with the state in
/// `state`; it must succeed.
fn book(state: &Path, topic: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "--emulator",
        "reserve",
        "apply",
        "--topic",
        topic,
        "--end-time",
        "+2h",
    ];
    args.extend_from_slice(extra);
    let out = run_with_state(state, &args);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    out
}

/// The reservation id in an apply or get answer printed as JSON.
fn reserve_id(out: &Output) -> String {
    let data: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    data["reserve"]["id"].as_str().expect("an id").to_owned()
}

/// A loopback listener that no request must reach; `assert_untouched` checks that none did.
struct Untouched(std::net::TcpListener);

impl Untouched {
    fn new() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Self(listener)
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }

    fn assert_untouched(&self) {
        match self.0.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("something was sent: {other:?}"),
        }
    }
}

#[test]
fn a_body_with_an_unknown_field_is_refused_with_its_path_and_nothing_is_sent() {
    let dir = TempDir::new("unknown-field");
    let file = dir.path().join("body.json");
    std::fs::write(
        &file,
        r#"{"end_time":"1764000000","meeting_settings":{"topic":"t","pasword":"971024"}}"#,
    )
    .unwrap();
    let server = Untouched::new();
    let url = server.base_url();
    for op in [
        &["apply", "--owner", "ou_x"][..],
        &["update", "6911188411934973028"],
    ] {
        let mut args = vec!["--base-url", &url, "--app-id", "a", "--app-secret", "b"];
        args.push("reserve");
        args.extend_from_slice(op);
        args.extend_from_slice(&["--body", file.to_str().unwrap()]);
        let out = run(&args);
        assert_eq!(code(&out), 2, "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains("`meeting_settings.pasword`"), "{err}");
        assert!(!err.contains("971024"), "the value is never shown: {err}");
        assert!(out.stdout.is_empty());
    }
    server.assert_untouched();
}

#[test]
fn a_type_error_in_the_body_names_its_path_and_never_echoes_the_value() {
    let dir = TempDir::new("type-error");
    let file = dir.path().join("body.json");
    std::fs::write(&file, r#"{"meeting_settings":{"password":971024}}"#).unwrap();
    let server = Untouched::new();
    let out = run(&[
        "--base-url",
        &server.base_url(),
        "--app-id",
        "a",
        "--app-secret",
        "b",
        "reserve",
        "update",
        "6911188411934973028",
        "--body",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("`meeting_settings.password`"), "{err}");
    assert!(err.contains("a string"), "the expected type: {err}");
    assert!(!err.contains("971024"), "{err}");
    server.assert_untouched();
}

/// Runs the command with its stdout a pipe whose reading end is already closed.
fn run_into_closed_pipe(state: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let home = TempDir::new("home");
    let child = command(home.path())
        .env("FEISHU_VC_EMULATOR_STATE", state)
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_never_panics_and_a_booking_is_reported_as_done_with_output_lost() {
    let dir = TempDir::new("closed-pipe");
    let state = dir.path().join("state");
    let out = run_into_closed_pipe(&state, &APPLY_ON_EMULATOR);
    let err = text(&out.stderr);
    assert_eq!(code(&out), 6, "done, output lost: {err}");
    assert!(!err.contains("panicked"), "{err}");
    // The id and number a script needs are on stderr.
    let id = err
        .split("reservation ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("an id on stderr: {err}"))
        .to_owned();
    assert_eq!(id.len(), 19, "{err}");
    assert!(err.contains("meeting number "), "{err}");
    // It was booked once, and is there.
    let got = run_with_state(&state, &["--emulator", "reserve", "get", &id]);
    assert_eq!(code(&got), 0, "{}", text(&got.stderr));
    // A read whose reader has gone ends quietly.
    let read = run_into_closed_pipe(&state, &["--emulator", "reserve", "get", &id]);
    assert_eq!(code(&read), 0, "{}", text(&read.stderr));
    assert!(!text(&read.stderr).contains("panicked"));
    let help = run_into_closed_pipe(&state, &["--help"]);
    assert_eq!(code(&help), 0, "{}", text(&help.stderr));
    let completions = run_into_closed_pipe(&state, &["completions", "bash"]);
    assert_eq!(code(&completions), 0, "{}", text(&completions.stderr));
}

#[test]
fn verbose_shows_the_call_span_and_never_a_secret_or_token() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator = runtime
        .block_on(feishu_vc_emulator::Emulator::start_default())
        .unwrap();
    // The emulator hands out the same tenant token while it has 30 minutes to live: the one the
    // command will carry.
    let tenant = runtime.block_on(emulator.mint_tenant_token()).unwrap();
    let get_as_app = |flags: &[&str]| {
        let mut args = flags.to_vec();
        args.extend([
            "--base-url",
            emulator.base_url(),
            "--app-id",
            DEMO_APP_ID,
            "--app-secret",
            "demo-secret",
            "reserve",
            "get",
            "6911188411934973028",
        ]);
        run(&args)
    };
    let out = get_as_app(&["-v"]);
    assert_eq!(code(&out), 3, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("feishu_vc.call"), "the call span: {err}");
    assert!(err.contains("121004"), "its code: {err}");
    assert!(!err.contains("demo-secret"), "{err}");
    assert!(!err.contains(tenant.expose_secret()), "{err}");

    let user = runtime
        .block_on(emulator.mint_user_token(feishu_vc_emulator::DEMO_USER_ALICE))
        .unwrap();
    let out = run(&[
        "--verbose",
        "--base-url",
        emulator.base_url(),
        "--user-access-token",
        user.expose_secret(),
        "reserve",
        "get",
        "6911188411934973028",
    ]);
    let err = text(&out.stderr);
    assert!(err.contains("feishu_vc.call"), "{err}");
    assert!(!err.contains(user.expose_secret()), "{err}");

    // Without -v or RUST_LOG, stderr has only the one error line.
    let out = get_as_app(&[]);
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_newcomer_books_reads_renews_and_deletes_with_the_emulator_flag() {
    let dir = TempDir::new("newcomer");
    let state = dir.path().join("state");
    let id = reserve_id(&book(&state, "Weekly sync", &[]));
    let got = run_with_state(&state, &["--emulator", "reserve", "get", &id]);
    assert_eq!(code(&got), 0, "{}", text(&got.stderr));
    let got: Value = serde_json::from_slice(&got.stdout).unwrap();
    assert_eq!(got["reserve"]["meeting_settings"]["topic"], "Weekly sync");
    let renewed = run_with_state(
        &state,
        &["--emulator", "reserve", "update", &id, "--end-time", "+7d"],
    );
    assert_eq!(code(&renewed), 0, "{}", text(&renewed.stderr));
    // The flags also work after the operation.
    let deleted = run_with_state(&state, &["reserve", "delete", &id, "--emulator"]);
    assert_eq!(code(&deleted), 0, "{}", text(&deleted.stderr));
    let gone = run_with_state(&state, &["--emulator", "reserve", "get", &id]);
    assert_eq!(code(&gone), 3, "deleted: {}", text(&gone.stderr));
    assert!(text(&gone.stderr).contains("121004"));
}

#[test]
fn emulator_reset_empties_the_kept_state() {
    let dir = TempDir::new("reset");
    let state = dir.path().join("state");
    let id = reserve_id(&book(&state, "t", &[]));
    let reset = run_with_state(&state, &["emulator", "reset"]);
    assert_eq!(code(&reset), 0, "{}", text(&reset.stderr));
    let gone = run_with_state(&state, &["--emulator", "reserve", "get", &id]);
    assert_eq!(code(&gone), 3, "{}", text(&gone.stderr));
}

#[test]
fn the_default_state_lives_in_the_user_data_directory() {
    let home = TempDir::new("default-state");
    let out = command(home.path())
        .args(APPLY_ON_EMULATOR)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let id = reserve_id(&out);
    assert!(
        home.path()
            .join("data")
            .join("feishu-vc")
            .join("emulator-state")
            .exists()
    );
    let got = command(home.path())
        .args(["--emulator", "reserve", "get", &id])
        .output()
        .unwrap();
    assert_eq!(code(&got), 0, "{}", text(&got.stderr));
}

#[test]
fn every_operation_has_a_dry_run() {
    let id = "6911188411934973028";
    for (op, expected) in [
        (
            vec!["get", id],
            format!("GET https://open.feishu.cn/open-apis/vc/v1/reserves/{id}"),
        ),
        (
            vec!["delete", id],
            format!("DELETE https://open.feishu.cn/open-apis/vc/v1/reserves/{id}"),
        ),
        (
            vec!["active", id, "--with-participants"],
            format!(
                "GET https://open.feishu.cn/open-apis/vc/v1/reserves/{id}/get_active_meeting?with_participants=true"
            ),
        ),
    ] {
        let mut args = vec!["reserve"];
        args.extend(op);
        args.push("--dry-run");
        let out = run(&args);
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).trim(), expected);
    }
}

#[test]
fn plain_http_off_loopback_needs_allow_http() {
    let args = |allow: bool| {
        let mut v = vec!["--base-url", "http://192.0.2.1:8080"];
        if allow {
            v.push("--allow-http");
        }
        v.extend(["reserve", "get", "1", "--dry-run"]);
        v
    };
    let out = run(&args(false));
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    let out = run(&args(true));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "GET http://192.0.2.1:8080/open-apis/vc/v1/reserves/1"
    );
}

#[test]
fn output_table_shows_what_a_person_reads() {
    let dir = TempDir::new("table");
    let state = dir.path().join("state");
    let out = book(&state, "Weekly sync", &["-o", "table"]);
    let shown = text(&out.stdout);
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 2, "{shown}");
    for column in ["ID", "MEETING NO", "END TIME", "URL"] {
        assert!(lines[0].contains(column), "{shown}");
    }
    assert!(serde_json::from_str::<Value>(&shown).is_err(), "not JSON");
    let id = lines[1].split_whitespace().next().unwrap();
    assert_eq!(id.len(), 19, "{shown}");
    let got = run_with_state(&state, &["--emulator", "reserve", "get", id, "-o", "table"]);
    let shown = text(&got.stdout);
    assert!(shown.lines().next().unwrap().contains("TOPIC"), "{shown}");
    assert!(shown.contains("Weekly sync"), "{shown}");
    let json = book(&state, "t", &["--output", "json"]);
    assert!(serde_json::from_slice::<Value>(&json.stdout).is_ok());
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(
            script.contains("feishu-vc") && script.contains("reserve"),
            "{shell}"
        );
    }
}

#[test]
fn the_emulator_shows_its_own_flags_and_prints_its_app_and_users() {
    let out = run(&["emulator", "--help"]);
    assert_eq!(code(&out), 0);
    let help = text(&out.stdout);
    assert!(
        help.contains("--port") && help.contains("--state"),
        "{help}"
    );
    for other in ["--base-url", "--user-access-token", "--brand", "--dry-run"] {
        assert!(!help.contains(other), "{other} in {help}");
    }

    // FEISHU_APP_ID / FEISHU_APP_SECRET are not taken as the emulator's app.
    let home = TempDir::new("home");
    let mut child = command(home.path())
        .env("FEISHU_APP_ID", "cli_mine")
        .env("FEISHU_APP_SECRET", "my-real-secret")
        .args(["emulator", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base_url = first.trim().to_owned();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut banner = String::new();
    while !banner.contains("ou_demo_carol") {
        if stderr.read_line(&mut banner).unwrap() == 0 {
            break;
        }
    }
    let out = run(&[
        "--base-url",
        &base_url,
        "--app-id",
        DEMO_APP_ID,
        "--app-secret",
        "demo-secret",
        "reserve",
        "get",
        "1",
    ]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        banner.contains(&format!("--app-id {DEMO_APP_ID} --app-secret demo-secret")),
        "{banner}"
    );
    assert!(
        banner.contains(feishu_vc_emulator::DEMO_USER_ALICE),
        "{banner}"
    );
    assert!(!banner.contains("my-real-secret"), "{banner}");
    assert_eq!(
        code(&out),
        3,
        "the demo app is accepted: {}",
        text(&out.stderr)
    );
}

#[test]
fn update_help_tells_what_no_password_does_and_auto_record_can_be_turned_off() {
    let out = run(&["reserve", "update", "--help"]);
    let help = text(&out.stdout);
    assert!(
        help.contains("update leaves the password as it is"),
        "{help}"
    );
    let out = run(&[
        "reserve",
        "update",
        "6911188411934973028",
        "--auto-record=false",
        "--dry-run",
    ]);
    let body = sent_body(&out);
    assert_eq!(body["meeting_settings"]["auto_record"], false);
}

#[test]
fn emulator_commands_run_at_the_same_time_lose_no_booking() {
    let dir = TempDir::new("concurrent");
    let state = dir.path().join("state");
    let home = TempDir::new("home");
    let children: Vec<Child> = (0..4)
        .map(|_| {
            command(home.path())
                .env("FEISHU_VC_EMULATOR_STATE", &state)
                .args(APPLY_ON_EMULATOR)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let ids: Vec<String> = children
        .into_iter()
        .map(|child| reserve_id(&child.wait_with_output().unwrap()))
        .collect();
    for id in &ids {
        let got = run_with_state(&state, &["--emulator", "reserve", "get", id]);
        assert_eq!(code(&got), 0, "{id} was kept: {}", text(&got.stderr));
    }
}

/// What the receiver of `served_emulator_pushes_encrypted_signed_events_to_its_callback` got:
/// (headers, raw body) per request.
type Deliveries = std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>;

/// Decrypts an `encrypt` field as Feishu's receivers do (AES-256-CBC, key SHA-256 of the key).
fn decrypt(key: &str, sealed: &str) -> Value {
    use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
    use base64::Engine as _;
    use sha2::Digest as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .unwrap();
    let key: [u8; 32] = sha2::Sha256::digest(key.as_bytes()).into();
    let (iv, ciphertext) = raw.split_at(16);
    let plain = cbc::Decryptor::<aes::Aes256>::new(&key.into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .unwrap();
    serde_json::from_slice(&plain).unwrap()
}

#[test]
fn served_emulator_pushes_encrypted_signed_events_to_its_callback() {
    const KEY: &str = "cli-encrypt-key";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let got: Deliveries = Default::default();
    let url = runtime.block_on(async {
        let got = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: String| async move {
                    let outer: Value = serde_json::from_str(&body).unwrap();
                    let plain = decrypt(KEY, outer["encrypt"].as_str().unwrap());
                    got.lock().unwrap().push((headers, body));
                    axum::Json(serde_json::json!({ "challenge": plain["challenge"] }))
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    });

    let served = Served::start(&[
        "--event-callback",
        &url,
        "--encrypt-key",
        KEY,
        "--verification-token",
        "cli-v-token",
    ]);
    let first = got.lock().unwrap()[0].1.clone();
    let challenge = decrypt(
        KEY,
        serde_json::from_str::<Value>(&first).unwrap()["encrypt"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(challenge["type"], "url_verification");
    assert_eq!(challenge["token"], "cli-v-token");

    let booked = served.book("events");
    let id = booked["reserve"]["id"].as_str().unwrap().to_owned();
    assert_eq!(served.start_meeting(&id), 200);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while got.lock().unwrap().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (headers, body) = got.lock().unwrap()[1].clone();
    let envelope = decrypt(
        KEY,
        serde_json::from_str::<Value>(&body).unwrap()["encrypt"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(
        envelope["header"]["event_type"],
        "vc.meeting.meeting_started_v1"
    );
    assert_eq!(envelope["header"]["token"], "cli-v-token");
    assert_eq!(
        envelope["event"]["meeting"]["meeting_no"],
        booked["reserve"]["meeting_no"]
    );
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
    use sha2::Digest as _;
    let mut hash = sha2::Sha256::new();
    hash.update(header("x-lark-request-timestamp"));
    hash.update(header("x-lark-request-nonce"));
    hash.update(KEY);
    hash.update(body.as_bytes());
    assert_eq!(header("x-lark-signature"), format!("{:x}", hash.finalize()));
}

// `feishu-vc events listen`.

/// The keys given to `events listen` in these tests; neither may ever be printed.
const EVENTS_KEY: &str = "cli-events-encrypt-key";
const EVENTS_TOKEN: &str = "cli-events-verification-token";

impl Served {
    /// Books a meeting, starts it through the control API, and checks that `listener` prints its
    /// first two events (started, the host joined) for that meeting; those lines.
    fn meeting_reaches(&self, listener: &Listener, topic: &str) -> Vec<Value> {
        let booked = self.book(topic);
        let id = booked["reserve"]["id"].as_str().unwrap().to_owned();
        assert_eq!(self.start_meeting(&id), 200);
        let lines: Vec<Value> = (0..2)
            .map(|_| serde_json::from_str(&next_line(&listener.stdout)).unwrap())
            .collect();
        assert_eq!(
            event_types(&lines),
            ["meeting_started_v1", "join_meeting_v1"]
        );
        assert_eq!(
            lines[0]["event"]["meeting"]["meeting_no"],
            booked["reserve"]["meeting_no"]
        );
        lines
    }
}

/// The event types of JSON lines, without `vc.meeting.`.
fn event_types(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            l["header"]["event_type"]
                .as_str()
                .unwrap()
                .trim_start_matches("vc.meeting.")
                .to_owned()
        })
        .collect()
}

/// Runs `feishu-vc events listen --emulator` with `extra` and checks the demo's six events, in
/// order, each with the reservation it booked; stderr, for what it says about the mode.
fn check_events_demo(extra: &[&str]) -> String {
    let home = TempDir::new("home");
    let out = command(home.path())
        .env("FEISHU_ENCRYPT_KEY", EVENTS_KEY)
        .env("FEISHU_VERIFICATION_TOKEN", EVENTS_TOKEN)
        .args(["events", "listen", "--emulator"])
        .args(extra)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(code(&out), 0, "{stderr}");
    assert!(stderr.contains("in-memory emulator"), "{stderr}");
    let booked = stderr
        .split("booked reservation ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("the reservation on stderr: {stderr}"));
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        event_types(&lines),
        [
            "meeting_started_v1",
            "join_meeting_v1",
            "join_meeting_v1",
            "leave_meeting_v1",
            "leave_meeting_v1",
            "meeting_ended_v1"
        ]
    );
    for line in &lines {
        assert_eq!(line["reserve_id"], booked, "{line}");
        assert_eq!(line["schema"], "2.0");
        assert!(line["header"].get("token").is_none(), "{line}");
        assert!(line["event"]["meeting"]["meeting_no"].is_string(), "{line}");
    }
    // Bob joined and left; the owner left when the meeting ended.
    assert_eq!(lines[3]["event"]["leave_reason"], 1);
    assert_eq!(lines[4]["event"]["leave_reason"], 2);
    for secret in [EVENTS_KEY, EVENTS_TOKEN, DEMO_SECRET, "ticket="] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret}"
        );
    }
    stderr
}

/// The demo app's secret, as the served emulator prints it.
const DEMO_SECRET: &str = "demo-secret";

/// The README's events demo, run here as `feishu-vc events listen --emulator`: over the long
/// connection.
#[test]
fn events_listen_emulator_demo_prints_the_meeting_events_in_order_with_the_reservation() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    assert!(readme.contains("cargo run -p feishu-vc-cli -- events listen --emulator\n"));
    let stderr = check_events_demo(&[]);
    assert!(stderr.contains("over the long connection"), "{stderr}");
}

/// The README shows the long connection (no public URL) before webhooks, and both commands it
/// shows are ones this command takes.
#[test]
fn the_readme_shows_the_long_connection_before_webhooks() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let section = readme
        .split("## Receiving events")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Receiving events section");
    let long_connection = section
        .find("FEISHU_APP_SECRET=... feishu-vc events listen\n")
        .expect("the long-connection command");
    let webhook = section
        .find("feishu-vc events listen --webhook 0.0.0.0:8080\n")
        .expect("the webhook command");
    assert!(long_connection < webhook, "{section}");
    assert!(section.contains("no public URL"), "{section}");
}

/// `--emulator --webhook ADDR`: the same demo, its events pushed (encrypted, signed) to a request
/// URL served on ADDR.
#[test]
fn events_listen_emulator_demo_runs_over_webhooks_on_request() {
    let stderr = check_events_demo(&["--webhook", "127.0.0.1:0"]);
    assert!(
        stderr.contains("encrypted and signed, to http://127.0.0.1:"),
        "{stderr}"
    );
}

#[test]
fn events_listen_needs_credentials_or_a_mode_and_a_closed_stdout_ends_the_demo_quietly() {
    let out = run(&["events", "listen"]);
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("--webhook"),
        "{}",
        text(&out.stderr)
    );
    // The long connection needs both credentials, and names them.
    let out = run(&["events", "listen", "--app-id", "cli_x"]);
    assert_eq!(code(&out), 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--app-id and --app-secret") && stderr.contains("FEISHU_APP_SECRET"),
        "{stderr}"
    );
    // Connection flags of reserve commands are refused before `events`.
    let out = run(&["--app-id", "cli_x", "events", "listen", "--emulator"]);
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("feishu-vc events --help"));

    let dir = TempDir::new("events-closed-pipe");
    let out = run_into_closed_pipe(
        &dir.path().join("state"),
        &["events", "listen", "--emulator"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"));
}

/// `feishu-vc events listen --webhook 127.0.0.1:0 ...` in the background, its stdout and stderr
/// read line by line; killed on drop.
struct Listener {
    child: Child,
    url: String,
    stdout: std::sync::mpsc::Receiver<String>,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Listener {
    fn start(extra: &[&str]) -> Self {
        let mut listener = Self::spawn(&[&["--webhook", "127.0.0.1:0"], extra].concat());
        let first = next_line(&listener.stderr);
        listener.url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("the address on stderr: {first}"))
            .to_owned();
        // Then what it checks.
        let checks = next_line(&listener.stderr);
        assert!(checks.contains("verification token"), "{checks}");
        listener
    }

    /// `feishu-vc events listen` with `args`, its output read line by line (no URL yet).
    fn spawn(args: &[&str]) -> Self {
        Self::spawn_with(&[], args)
    }

    /// [`Listener::spawn`] with these environment variables set.
    fn spawn_with(env: &[(&str, &str)], args: &[&str]) -> Self {
        let home = TempDir::new("home");
        let mut child = command(home.path())
            .envs(env.iter().copied())
            .args(["events", "listen"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = |stream: Box<dyn std::io::Read + Send>| {
            let (send, receive) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = send.send(line);
                }
            });
            receive
        };
        let stdout = lines(Box::new(child.stdout.take().unwrap()));
        let stderr = lines(Box::new(child.stderr.take().unwrap()));
        Self {
            child,
            url: String::new(),
            stdout,
            stderr,
        }
    }

    /// Waits (10 s at most) for the command to end; its exit code.
    fn wait(&mut self) -> Option<i32> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still running: {}",
                self.drain()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Sends SIGINT (Ctrl-C) and waits for the command to end; its exit code.
    #[cfg(unix)]
    fn interrupt(&mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(sent.success());
        self.wait()
    }

    /// The lines printed so far after its start, stderr and stdout, for checking secrets.
    fn drain(&self) -> String {
        let mut all = String::new();
        for rx in [&self.stdout, &self.stderr] {
            while let Ok(line) = rx.try_recv() {
                all.push_str(&line);
                all.push('\n');
            }
        }
        all
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn next_line(rx: &std::sync::mpsc::Receiver<String>) -> String {
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .expect("a line within 10 s")
}

/// `{"encrypt": …}` of `plain` under `key`, as Feishu sends it, and its signature headers.
fn sealed_delivery(key: &str, plain: &Value) -> (String, Vec<(&'static str, String)>) {
    use aes::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
    use base64::Engine as _;
    use sha2::Digest as _;
    let aes_key: [u8; 32] = sha2::Sha256::digest(key.as_bytes()).into();
    let iv = [9u8; 16];
    let mut sealed = iv.to_vec();
    sealed.extend(
        cbc::Encryptor::<aes::Aes256>::new(&aes_key.into(), &iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(plain.to_string().as_bytes()),
    );
    let body = serde_json::json!({
        "encrypt": base64::engine::general_purpose::STANDARD.encode(sealed)
    })
    .to_string();
    let (timestamp, nonce) = ("1700000000", "cli-nonce");
    let signature = sha2::Sha256::new()
        .chain_update(timestamp)
        .chain_update(nonce)
        .chain_update(key)
        .chain_update(&body)
        .finalize();
    let headers = vec![
        ("X-Lark-Request-Timestamp", timestamp.to_owned()),
        ("X-Lark-Request-Nonce", nonce.to_owned()),
        ("X-Lark-Signature", format!("{signature:x}")),
    ];
    (body, headers)
}

/// A meeting_started_v1 delivery with `token` in its header.
fn meeting_started(event_id: &str, token: &str) -> Value {
    serde_json::json!({
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": "vc.meeting.meeting_started_v1",
            "create_time": "1700000000000",
            "token": token,
            "app_id": DEMO_APP_ID,
            "tenant_key": "tenant_demo"
        },
        "event": {
            "meeting": {"id": "6911188411934433028", "meeting_no": "235812466", "meeting_source": 4, "start_time": "1700000000"},
            "operator": {"id": {"open_id": "ou_x"}, "user_role": 1, "user_type": 1}
        }
    })
}

/// POSTs `body` (JSON, when not empty) with `headers`; the HTTP status.
fn post(url: &str, body: String, headers: &[(&'static str, String)]) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // reqwest may be built with rustls and no crypto provider of its own (feishu-vc's `rustls`).
        feishu_vc::transport::install_rustls_provider();
        let mut request = reqwest::Client::new().post(url);
        if !body.is_empty() {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.unwrap().status().as_u16()
    })
}

#[test]
fn events_listen_webhook_prints_a_signed_encrypted_delivery_and_refuses_a_wrong_token() {
    let listener = Listener::start(&[
        "--encrypt-key",
        EVENTS_KEY,
        "--verification-token",
        EVENTS_TOKEN,
    ]);

    let (body, headers) = sealed_delivery(EVENTS_KEY, &meeting_started("ev-good", EVENTS_TOKEN));
    assert_eq!(post(&listener.url, body.clone(), &headers), 200);
    let line: Value = serde_json::from_str(&next_line(&listener.stdout)).unwrap();
    assert_eq!(line["header"]["event_id"], "ev-good");
    assert_eq!(
        line["header"]["event_type"],
        "vc.meeting.meeting_started_v1"
    );
    assert_eq!(line["event"]["meeting"]["meeting_no"], "235812466");
    assert!(line["header"].get("token").is_none(), "{line}");
    // Nothing booked it through this command: no reservation is known.
    assert!(line.get("reserve_id").is_none(), "{line}");
    // Delivered again (a Feishu retry): acknowledged, not printed twice.
    assert_eq!(post(&listener.url, body, &headers), 200);

    let wrong = "not-the-app-token";
    let (body, headers) = sealed_delivery(EVENTS_KEY, &meeting_started("ev-bad", wrong));
    assert_eq!(post(&listener.url, body, &headers), 401);
    let report = next_line(&listener.stderr);
    assert!(
        report.contains("refused") && report.contains("wrong verification token"),
        "{report}"
    );
    // A body that does not match its signature.
    let (body, mut headers) =
        sealed_delivery(EVENTS_KEY, &meeting_started("ev-forged", EVENTS_TOKEN));
    headers[2].1 = "0".repeat(64);
    assert_eq!(post(&listener.url, body, &headers), 401);
    let report = next_line(&listener.stderr);
    assert!(report.contains("bad signature"), "{report}");

    std::thread::sleep(std::time::Duration::from_millis(200));
    let rest = listener.drain();
    assert!(!rest.contains("ev-good"), "printed twice: {rest}");
    assert!(
        !rest.contains("ev-bad") && !rest.contains("ev-forged"),
        "{rest}"
    );
    for secret in [EVENTS_KEY, EVENTS_TOKEN, wrong] {
        assert!(!rest.contains(secret), "{secret} in {rest}");
        assert!(!line.to_string().contains(secret));
    }
}

#[test]
fn events_listen_webhook_prints_what_a_served_emulator_pushes() {
    let listener = Listener::start(&[
        "--encrypt-key",
        EVENTS_KEY,
        "--verification-token",
        EVENTS_TOKEN,
    ]);
    let served = Served::start(&[
        "--event-callback",
        &listener.url,
        "--encrypt-key",
        EVENTS_KEY,
        "--verification-token",
        EVENTS_TOKEN,
    ]);
    served.meeting_reaches(&listener, "events listen");
    let rest = listener.drain();
    for secret in [EVENTS_KEY, EVENTS_TOKEN] {
        assert!(!rest.contains(secret), "{secret} in {rest}");
    }
}

/// Ctrl-C (SIGINT) stops `events listen --webhook` cleanly, with exit code 0.
#[cfg(unix)]
#[test]
fn events_listen_webhook_stops_on_ctrl_c() {
    let mut listener = Listener::start(&["--verification-token", EVENTS_TOKEN]);
    assert_eq!(listener.interrupt(), Some(0), "{}", listener.drain());
}

/// `events listen` without `--webhook`: the long connection to a served emulator, with the demo
/// app's credentials from the environment. A meeting driven through the control API prints as
/// the webhook mode prints it; Ctrl-C ends the command with 0; no secret is printed.
#[cfg(unix)]
#[test]
fn events_listen_over_the_long_connection_prints_a_served_emulators_meeting_then_stops_on_ctrl_c() {
    let served = Served::start(&[]);
    let mut listener = Listener::spawn_with(
        &[
            ("FEISHU_APP_ID", DEMO_APP_ID),
            ("FEISHU_APP_SECRET", DEMO_SECRET),
        ],
        &["--base-url", &served.base_url],
    );
    let first = next_line(&listener.stderr);
    assert!(first.contains("over the long connection"), "{first}");

    let lines = served.meeting_reaches(&listener, "events over the long connection");
    assert_eq!(lines[0]["schema"], "2.0");
    assert_eq!(lines[0]["header"]["app_id"], DEMO_APP_ID);

    assert_eq!(listener.interrupt(), Some(0));
    let rest = format!("{first}\n{}", listener.drain());
    for secret in [DEMO_SECRET, "ticket=", "/ws?"] {
        assert!(!rest.contains(secret), "{secret} in {rest}");
    }
}

/// Wrong app credentials end the long connection with exit code 5 at once: no reconnect loop,
/// and the secret is never printed.
#[test]
fn events_listen_over_the_long_connection_with_bad_credentials_exits_5_promptly() {
    let served = Served::start(&[]);
    let wrong = "not-the-demo-secret";
    let mut listener = Listener::spawn(&[
        "--base-url",
        &served.base_url,
        "--app-id",
        DEMO_APP_ID,
        "--app-secret",
        wrong,
    ]);
    let started = std::time::Instant::now();
    assert_eq!(listener.wait(), Some(5), "{}", listener.drain());
    // The emulator's reconnect interval is 1 s: one refused request, no second attempt.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let all = listener.drain();
    assert!(
        all.contains("refused the app") && all.contains("--app-secret"),
        "{all}"
    );
    for secret in [wrong, "ticket="] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
}

/// An app already at its long-connection limit: the refusal ends the command with exit code 3 at
/// once (no reconnect loop), and the emulator refused exactly one connection.
#[test]
fn events_listen_over_the_long_connection_refused_for_the_limit_exits_3() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime
        .block_on(
            feishu_vc_emulator::Emulator::builder()
                .long_connection_limit(0)
                .start(),
        )
        .unwrap();
    let mut listener = Listener::spawn(&[
        "--base-url",
        emulator.base_url(),
        "--app-id",
        DEMO_APP_ID,
        "--app-secret",
        DEMO_SECRET,
    ]);
    assert_eq!(listener.wait(), Some(3), "{}", listener.drain());
    let all = listener.drain();
    assert!(all.contains("maximum number of long connections"), "{all}");
    assert!(
        !all.contains(DEMO_SECRET) && !all.contains("ticket="),
        "{all}"
    );
    let stats = emulator.long_connection_stats();
    assert_eq!(stats.refused_over_limit, 1, "{stats:?}");
    assert_eq!(stats.connections_accepted, 0, "{stats:?}");
}

/// A broken endpoint on loopback: the failure is on stderr at the default verbosity at once,
/// while the command keeps trying (Ctrl-C still ends it with 0); an endpoint echoing the app
/// secret in its refusal still ends it with 5, and the secret is never printed.
#[cfg(unix)]
#[test]
fn events_listen_over_the_long_connection_reports_endpoint_failures_and_never_an_echoed_secret() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let secret = "cli-hostile-app-s3cr3t";
    let endpoint = |status: u16, body: Value| -> String {
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let answer = move || {
            let body = body.clone();
            async move {
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    axum::Json(body),
                )
            }
        };
        let app = axum::Router::new().route("/callback/ws/endpoint", axum::routing::post(answer));
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    };
    let listen = |base_url: &str| {
        Listener::spawn(&[
            "--base-url",
            base_url,
            "--app-id",
            DEMO_APP_ID,
            "--app-secret",
            secret,
        ])
    };

    let mut busy = listen(&endpoint(503, serde_json::json!({})));
    let first = next_line(&busy.stderr);
    assert!(first.contains("over the long connection"), "{first}");
    assert_eq!(
        next_line(&busy.stderr),
        "feishu-vc: long connection: the endpoint request failed: HTTP 503 Service Unavailable; retrying in 120 s"
    );
    assert_eq!(busy.interrupt(), Some(0), "{}", busy.drain());

    let echo = serde_json::json!({"code": 10014, "msg": format!("app secret {secret} is invalid")});
    let mut refused = listen(&endpoint(200, echo));
    assert_eq!(refused.wait(), Some(5), "{}", refused.drain());
    let all = refused.drain();
    assert!(all.contains("app secret [redacted] is invalid"), "{all}");
    assert!(!all.contains(secret), "{all}");
}

/// `feishu-vc auth` and `--as-user`.
#[path = "cli/auth.rs"]
mod auth;

/// `feishu-vc mcp`.
#[path = "cli/mcp.rs"]
mod mcp;

/// `feishu-vc reserve report`, `meeting` and `recording`.
#[path = "cli/after_meeting.rs"]
mod after_meeting;

/// `feishu-vc reserve apply --calendar`.
#[path = "cli/calendar.rs"]
mod calendar;
#[test]
fn the_served_emulator_throttles_with_rate_limit() {
    let served = Served::start(&["--rate-limit"]);
    let base_url = served.base_url.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let statuses = runtime.block_on(async {
        let http = reqwest::Client::new();
        let token: Value = serde_json::from_str(
            &http
                .post(format!("{base_url}/_emulator/tenant_access_token"))
                .body("{}")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        )
        .unwrap();
        let token = token["tenant_access_token"].as_str().unwrap().to_owned();
        let mut statuses = Vec::new();
        for _ in 0..60 {
            let answer = http
                .get(format!(
                    "{base_url}/open-apis/vc/v1/reserves/6911188411934973028"
                ))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            statuses.push(answer.status().as_u16());
        }
        statuses
    });
    drop(served);
    // 50 a second pass (121004: no such reservation), then 429.
    assert_eq!(
        statuses.iter().filter(|s| **s == 404).count(),
        50,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        10,
        "{statuses:?}"
    );
}
