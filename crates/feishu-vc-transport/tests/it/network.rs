//! Failures below HTTP say what failed (DNS, refused, TLS, timeout, reset) and where, keep their
//! source chain, and show neither the URL nor a secret.

use std::time::Duration;

use feishu_vc_model::Method;
use feishu_vc_transport::{CallOptions, Error, Failure, FailureKind, RawRequest, RetryPolicy};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

use crate::support::*;

const TOKEN: &str = "t-network-secret-6620";
const QUERY_SECRET: &str = "query-value-not-for-logs";

/// A raw `GET` of a reservation through a transport aimed at `base`, with one attempt of at most
/// 300 ms, a per-call token and a query that must not show up in the error.
async fn call(base: &str) -> Error {
    let transport = builder(base)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_millis(300))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let request = RawRequest::new(Method::Get, reserve_path(RESERVE_ID)).query("q", QUERY_SECRET);
    transport
        .raw(request, &CallOptions::new().with_tenant_access_token(TOKEN))
        .await
        .unwrap_err()
}

/// The failure inside `err`, checked for what every network error promises: the host and the kind
/// in `Display`, an intact source chain down to the I/O or TLS cause, and no URL or secret shown.
fn checked<'e>(err: &'e Error, host: &str, kind: FailureKind) -> &'e Failure {
    let failure = match err {
        Error::Connect(f) | Error::Timeout(f) | Error::Network(f) => f,
        other => panic!("not a network error: {other:?}"),
    };
    assert_eq!(failure.kind(), kind, "{err:?}");
    assert_eq!(failure.host(), host);
    let shown = err.to_string();
    assert!(shown.contains(host), "{shown}");
    if kind != FailureKind::Timeout {
        assert!(shown.contains(&kind.to_string()), "{shown}");
    }
    let first = std::error::Error::source(err).expect("the cause is kept");
    assert!(
        first.is::<feishu_vc_transport::reqwest::Error>(),
        "{first:?}"
    );
    let depth = std::iter::successors(Some(first), |e| e.source()).count();
    assert!(depth >= 2, "the chain stops at reqwest: {first:?}");
    assert_hides(err, &[TOKEN, QUERY_SECRET, "http://", "https://"]);
    failure
}

/// A loopback listener; `serve` runs on each accepted connection.
async fn listener<F, Fut>(serve: F) -> std::net::SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    addr
}

/// Reads (part of) the request and returns the stream.
async fn read_some(mut stream: TcpStream) -> TcpStream {
    let mut buf = [0u8; 4096];
    let _ = stream.read(&mut buf).await;
    stream
}

#[tokio::test]
async fn an_unknown_host_is_a_dns_failure() {
    // `.invalid` never resolves (RFC 6761); the resolver says so at once, without the network.
    let err = call("https://feishu-vc-test.invalid").await;
    assert!(err.is_connect(), "{err:?}");
    checked(&err, "feishu-vc-test.invalid", FailureKind::Dns);
}

#[tokio::test]
async fn a_closed_port_is_a_refused_connection() {
    let addr = closed_port().await;
    let err = call(&format!("http://{addr}")).await;
    assert!(err.is_connect(), "{err:?}");
    checked(&err, &addr.to_string(), FailureKind::Refused);
}

#[tokio::test]
async fn https_against_a_plain_http_server_is_a_tls_failure() {
    let addr = listener(|stream| async move {
        use tokio::io::AsyncWriteExt;
        let mut stream = read_some(stream).await;
        let _ = stream
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await;
    })
    .await;
    let host = addr.to_string();
    let err = call(&format!("https://{host}")).await;
    assert!(err.is_connect(), "{err:?}");
    checked(&err, &host, FailureKind::Tls);
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let addr = listener(|stream| async move {
        let _held = read_some(stream).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let err = call(&format!("http://{addr}")).await;
    assert!(err.is_timeout(), "{err:?}");
    let failure = checked(&err, &addr.to_string(), FailureKind::Timeout);
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(failure.attempts(), 1);
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_is_a_reset() {
    let addr = listener(|stream| async move {
        drop(read_some(stream).await);
    })
    .await;
    let err = call(&format!("http://{addr}")).await;
    assert!(matches!(err, Error::Network(_)), "{err:?}");
    checked(&err, &addr.to_string(), FailureKind::Reset);
}

#[tokio::test]
async fn a_connection_reset_by_the_server_is_a_reset() {
    let addr = listener(|stream| async move {
        let stream = read_some(stream).await;
        // Linger 0: closing sends RST instead of FIN.
        let _ = stream.set_zero_linger();
        drop(stream);
    })
    .await;
    let err = call(&format!("http://{addr}")).await;
    assert!(matches!(err, Error::Network(_)), "{err:?}");
    checked(&err, &addr.to_string(), FailureKind::Reset);
}
