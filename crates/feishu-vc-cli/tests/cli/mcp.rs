//! `feishu-vc mcp` as a real process over stdio: the demo on the built-in emulator with no
//! account, `--read-only`, and what it refuses before serving.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use serde_json::{Value, json};

use super::{TempDir, code, command, text};

/// Sends `requests` (JSON-RPC, after the initialize handshake) to `feishu-vc mcp ARGS` and
/// returns the answers to them, in order; every line on stdout must be a JSON-RPC message.
fn session(home: &TempDir, args: &[&str], requests: &[Value]) -> Vec<Value> {
    let mut child = command(home.path())
        .arg("mcp")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut send = |message: Value| writeln!(stdin, "{message}").unwrap();
    let mut read = || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let message: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
        message
    };
    send(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"}}}),
    );
    assert_eq!(read()["result"]["serverInfo"]["name"], "feishu-vc");
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let mut answers = Vec::new();
    for (id, request) in requests.iter().enumerate() {
        let mut request = request.clone();
        request["jsonrpc"] = json!("2.0");
        request["id"] = json!(id + 1);
        send(request);
        answers.push(read()["result"].clone());
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "", "stdout after the session");
    answers
}

fn call(name: &str, arguments: Value) -> Value {
    json!({"method": "tools/call", "params": {"name": name, "arguments": arguments}})
}

#[test]
fn the_demo_books_on_the_built_in_emulator_once_per_key() {
    let home = TempDir::new("mcp-demo");
    let book = call(
        "book_meeting",
        json!({"key": "demo-1", "topic": "Demo", "end_time": "+1h"}),
    );
    let answers = session(
        &home,
        &["--emulator"],
        &[book.clone(), book, call("list_reservations", json!({}))],
    );
    let first = &answers[0]["structuredContent"]["reservation"];
    assert_eq!(first["state"], "booked", "{}", answers[0]);
    assert_eq!(
        answers[1]["structuredContent"]["reservation"]["reserve_id"],
        first["reserve_id"]
    );
    let listed = answers[2]["structuredContent"]["reservations"]
        .as_array()
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");

    // The same ledger from the command line: what the agent booked is there.
    let out = command(home.path())
        .args(["reserve", "list", "--emulator", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("demo-1"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn read_only_serves_only_the_reading_tools() {
    let home = TempDir::new("mcp-read-only");
    let answers = session(
        &home,
        &["--emulator", "--read-only"],
        &[
            json!({"method": "tools/list"}),
            call("book_meeting", json!({"key": "no", "end_time": "+1h"})),
        ],
    );
    let mut names: Vec<&str> = answers[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "active_meeting",
            "get_reservation",
            "list_reservations",
            "meeting_report"
        ]
    );
    // A hidden tool cannot be called either: the answer is an error, not a booking.
    assert!(answers[1].is_null(), "{}", answers[1]);
}

#[test]
fn a_non_loopback_http_address_is_refused_before_serving() {
    let home = TempDir::new("mcp-http");
    let out = command(home.path())
        .args(["mcp", "--emulator", "--http", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("loopback"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "");
}
