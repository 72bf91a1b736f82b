//! Dialling the endpoint's URL: TCP, TLS and the WebSocket upgrade within one timeout, with the
//! socket's message and frame limits set to the client's own, and the handshake refusal read.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, http};

use super::error::{Failed, LongConnectionError};
use super::frame;
use super::scrub::Scrubber;
use super::status::{FailureKind, Seconds};

/// What a data frame carries besides its payload (ids, service, method, headers), allowed on top
/// of the largest message: a WebSocket message over both is refused before it is buffered whole.
pub(crate) const FRAME_OVERHEAD: usize = 64 << 10;

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects to `url` within `timeout`, taking WebSocket messages (and frames) of at most
/// `max_message` bytes.
pub(crate) async fn dial(
    url: &str,
    max_message: usize,
    timeout: Duration,
    scrubber: &Scrubber,
) -> Result<Socket, Failed> {
    let limit = max_message.saturating_add(FRAME_OVERHEAD);
    let config = WebSocketConfig::default()
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    let connecting = tokio_tungstenite::connect_async_with_config(url, Some(config), false);
    let retry = |why: String| Failed::Retry(FailureKind::Dial, scrubber.clean(&why));
    match tokio::time::timeout(timeout, connecting).await {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(tungstenite::Error::Http(response))) => Err(refusal(&response, scrubber)),
        Ok(Err(error)) => Err(retry(describe(&error))),
        Err(_) => Err(retry(format!(
            "no WebSocket connection within {} (TCP, TLS and the upgrade)",
            Seconds(timeout)
        ))),
    }
}

/// A dial error, without the URL (it carries a ticket): tungstenite's URL errors may quote it.
fn describe(error: &tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Url(_) => "the endpoint's URL could not be dialled".to_owned(),
        other => other.to_string(),
    }
}

/// A refused handshake: fatal for the connection limit and 403, else worth retrying.
fn refusal(response: &http::Response<Option<Vec<u8>>>, scrubber: &Scrubber) -> Failed {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let status: i64 = header(frame::HANDSHAKE_STATUS).parse().unwrap_or(0);
    let code: i64 = header(frame::HANDSHAKE_AUTH_ERRCODE).parse().unwrap_or(0);
    let msg = scrubber.clean(&header(frame::HANDSHAKE_MSG));
    if status == i64::from(frame::HANDSHAKE_AUTH_FAILED) && code == frame::CODE_EXCEED_CONN_LIMIT {
        Failed::Fatal(LongConnectionError::ConnectionLimit { msg })
    } else if status == i64::from(frame::HANDSHAKE_FORBIDDEN) {
        Failed::Fatal(LongConnectionError::Forbidden { msg })
    } else {
        Failed::Retry(
            FailureKind::Dial,
            format!(
                "handshake refused: HTTP {}, status {status}, code {code}: {msg}",
                response.status()
            ),
        )
    }
}
