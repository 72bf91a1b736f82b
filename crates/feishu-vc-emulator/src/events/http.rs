//! The long connection's routes: `POST /callback/ws/endpoint` hands out a one-time ticket URL,
//! `GET /ws` upgrades it to a WebSocket, whose frames go to and from the hub
//! (`events/longconn.rs`).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use feishu_vc_events::longconn::frame::{self, EndpointData, EndpointResponse};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::events::longconn::{Hub, Out, SERVICE_ID, lock};
use crate::shared::Shared;

/// The long connection's endpoint and WebSocket.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            feishu_vc_events::longconn::frame::ENDPOINT_PATH,
            post(endpoint),
        )
        .route("/ws", get(upgrade))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EndpointRequest {
    #[serde(rename = "AppID", default)]
    app_id: String,
    #[serde(default)]
    app_secret: String,
}

/// `POST /callback/ws/endpoint`: the app's credentials in, a one-time connection URL out.
pub(crate) async fn endpoint(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = |code: i64, msg: &str, data: Option<EndpointData>| {
        let body = EndpointResponse {
            code,
            msg: msg.to_owned(),
            data,
        };
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            serde_json::to_string(&body).unwrap_or_default(),
        )
            .into_response()
    };
    let Ok(request) = serde_json::from_slice::<EndpointRequest>(&body) else {
        return answer(10003, "invalid param", None);
    };
    let known = shared
        .app(&request.app_id)
        .is_some_and(|app| !request.app_secret.is_empty() && app.app_secret == request.app_secret);
    if !known {
        return answer(10014, "app id or secret invalid", None);
    }
    let hub = shared.events.long_connections();
    let ticket = crate::ids::token("");
    let device_id = fastrand::u64(1..);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let url =
        format!("ws://{host}/ws?device_id={device_id}&service_id={SERVICE_ID}&ticket={ticket}");
    {
        let mut inner = lock(&hub.inner);
        inner.tickets.insert(ticket, request.app_id);
        inner.stats.endpoint_requests += 1;
    }
    answer(
        0,
        "ok",
        Some(EndpointData {
            url,
            client_config: Some(hub.settings.client_config),
        }),
    )
}

#[derive(Deserialize)]
pub(crate) struct Ticket {
    #[serde(default)]
    ticket: String,
}

/// `GET /ws?ticket=…`: the WebSocket upgrade, refused as Feishu refuses (a non-101 answer with
/// `Handshake-Status`, `Handshake-Msg` and `Handshake-Autherrcode`).
pub(crate) async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Query(ticket): Query<Ticket>,
    ws: WebSocketUpgrade,
) -> Response {
    let hub = shared.events.long_connections();
    let refuse = |code: i64, msg: &str| {
        (
            StatusCode::FORBIDDEN,
            [
                (
                    frame::HANDSHAKE_STATUS,
                    frame::HANDSHAKE_AUTH_FAILED.to_string(),
                ),
                (frame::HANDSHAKE_MSG, msg.to_owned()),
                (frame::HANDSHAKE_AUTH_ERRCODE, code.to_string()),
            ],
        )
            .into_response()
    };
    let app_id = {
        let mut inner = lock(&hub.inner);
        let Some(app_id) = inner.tickets.remove(&ticket.ticket) else {
            return refuse(1_000_040_351, "ticket invalid or used");
        };
        let open = inner.clients.iter().filter(|c| c.app_id == app_id).count();
        if open >= hub.settings.connection_limit {
            inner.stats.refused_over_limit += 1;
            return refuse(frame::CODE_EXCEED_CONN_LIMIT, "exceed connection limit");
        }
        app_id
    };
    ws.on_upgrade(move |socket| serve(hub, app_id, socket))
}

async fn serve(hub: Arc<Hub>, app_id: String, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut outgoing) = mpsc::unbounded_channel();
    let id = hub.connect(app_id, out.clone());
    loop {
        tokio::select! {
            next = outgoing.recv() => match next {
                Some(Out::Frame(bytes)) => {
                    if sink.send(Message::Binary(bytes.into())).await.is_err() {
                        break;
                    }
                }
                Some(Out::Close) | None => {
                    let _ = sink.close().await;
                    break;
                }
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Binary(bytes))) => hub.receive(&bytes, &out),
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
    hub.disconnect(id);
}
