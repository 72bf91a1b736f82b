//! The HTTP layer itself: header case on the wire, slow and idle connections, and the envelope
//! on every answer of the Open API routes.

use std::time::Duration;

use feishu_vc_emulator::Emulator;
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::raw;

/// Sends `request` as is on a new connection and reads the answer's head (up to the blank line).
async fn raw_exchange(emulator: &Emulator, request: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).await.unwrap();
        assert_eq!(n, 1, "the connection closed before the answer's head ended");
        head.push(byte[0]);
    }
    (stream, String::from_utf8(head).unwrap())
}

/// Waits until the server closes `stream` (reading and discarding what it still sends); `false`
/// if it is still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn the_log_id_header_is_written_as_feishu_writes_it() {
    let emulator = Emulator::start_default().await.unwrap();
    let (_, head) = raw_exchange(
        &emulator,
        "GET /open-apis/vc/v1/reserves/1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        head.contains("\r\nX-Tt-Logid: "),
        "a case-sensitive lookup of X-Tt-Logid finds it:\n{head}"
    );
    assert!(
        head.contains("\r\nContent-Type: application/json"),
        "{head}"
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed_and_others_still_served() {
    const SLOW: usize = 300;
    let timeout = Duration::from_millis(800);
    let emulator = Emulator::builder()
        .header_read_timeout(timeout)
        .start()
        .await
        .unwrap();
    // Slowloris: connections that never finish their headers, trickling a header line now and
    // then to look alive.
    let mut slow = Vec::with_capacity(SLOW);
    for _ in 0..SLOW {
        let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
        stream
            .write_all(b"GET /open-apis/vc/v1/reserves/1 HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    let trickle = {
        let mut slow = std::mem::take(&mut slow);
        tokio::spawn(async move {
            for _ in 0..3 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                for stream in &mut slow {
                    let _ = stream.write_all(b"X-Slow: 1\r\n").await;
                }
            }
            slow
        })
    };
    // Meanwhile a normal client is answered.
    let url = format!("{}/open-apis/vc/v1/reserves/1", emulator.base_url());
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        raw(Method::GET, url.clone(), None, None),
    )
    .await
    .expect("answered while slow connections are open");
    assert_eq!(answer.body["code"], 99991661);

    // Every slow connection is closed by the server once its time is up.
    let mut slow = trickle.await.unwrap();
    for (i, stream) in slow.iter_mut().enumerate() {
        assert!(
            closed_within(stream, 10 * timeout).await,
            "slow connection {i} is still open"
        );
    }
    // An idle keep-alive connection is closed too.
    let (mut idle, head) = raw_exchange(
        &emulator,
        "GET /open-apis/vc/v1/reserves/1 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(
        closed_within(&mut idle, 10 * timeout).await,
        "an idle keep-alive connection is closed"
    );
    // And the server still answers.
    let answer = raw(Method::GET, url, None, None).await;
    assert_eq!(answer.body["code"], 99991661);
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn rejections_of_the_open_api_routes_are_feishu_envelopes() {
    let emulator = Emulator::start_default().await.unwrap();
    let secret = emulator.mint_tenant_token().await.unwrap();
    let base = emulator.base_url().to_owned();
    // A body over the limit.
    let big = crate::http()
        .post(format!("{base}/open-apis/vc/v1/reserves/apply"))
        .bearer_auth(secret.expose_secret())
        .header("content-type", "application/json")
        .body(vec![b' '; 3 << 20])
        .send()
        .await
        .unwrap();
    let mut answers = vec![(413, crate::Raw::read(big).await)];
    // Paths that are not UTF-8 once decoded, for each route with a reservation id.
    for (method, path) in [
        (Method::GET, "/open-apis/vc/v1/reserves/%FF%FE"),
        (Method::PUT, "/open-apis/vc/v1/reserves/%C3%28"),
        (Method::DELETE, "/open-apis/vc/v1/reserves/%80"),
        (
            Method::GET,
            "/open-apis/vc/v1/reserves/%FF/get_active_meeting",
        ),
    ] {
        let answer = raw(
            method,
            format!("{base}{path}"),
            Some(secret.expose_secret()),
            None,
        )
        .await;
        answers.push((400, answer));
    }
    for (status, answer) in &answers {
        assert_eq!(answer.status, *status, "{}", answer.body);
        assert!(
            answer.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{:?}",
            answer.headers
        );
        assert_eq!(answer.body["code"], 121003, "{}", answer.body);
        assert!(
            answer.body["msg"]
                .as_str()
                .unwrap()
                .starts_with("param error")
        );
        assert_eq!(
            answer.body["error"]["log_id"].as_str(),
            answer.log_id.as_deref(),
            "{}",
            answer.body
        );
    }
    assert!(emulator.state().reservations.is_empty());
    // Unknown paths keep the gateway's plain-text 404.
    let unknown = raw(Method::GET, format!("{base}/open-apis/nothing"), None, None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body, "404 page not found");
    emulator.shutdown().await.unwrap();
}
