//! The accept loop: hyper's HTTP/1 connections (Feishu's header case, a header-read timeout,
//! upgrades for the long connection), graceful shutdown by hand, and each connection's switch to
//! drop its answer (the dropped-answer fault).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How connections are served: bounds that keep slow or idle clients from holding the server.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionLimits {
    /// The longest a connection may take to send a request's headers, counted from when the
    /// server starts waiting for them: it bounds slow senders and idle keep-alive connections.
    pub(crate) header_read_timeout: Duration,
}

/// Accepts connections and serves `app` on each until `stop` resolves, then lets the requests
/// under way finish and returns.
///
/// Served with hyper's HTTP/1 connection builder rather than `axum::serve`, for what that hides:
/// response header names in Feishu's case (`X-Tt-Logid`, which some SDKs look up
/// case-sensitively) and a header-read timeout that also closes idle keep-alive connections.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .title_case_headers(true)
        .keep_alive(true);
    // Graceful shutdown by hand: hyper-util's `GracefulShutdown` does not take connections that
    // may upgrade (the long connection's WebSocket). `stopping` tells every connection to finish
    // its request and close; each holds a clone of `live`, so `all_closed` ends when they have.
    let (stopping, _) = tokio::sync::watch::channel(false);
    let (live, mut all_closed) = tokio::sync::mpsc::channel::<()>(1);
    tokio::pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "the emulator could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let cut = Cut::default();
        let service = {
            let cut = cut.clone();
            tower::util::MapRequest::new(app.clone(), move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(cut.clone());
                request
            })
        };
        let connection = http
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            // The long connection's WebSocket upgrade.
            .with_upgrades();
        let mut stopping = stopping.subscribe();
        let live = live.clone();
        tokio::spawn(async move {
            let _live = live;
            tokio::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                // Closed without an answer: dropping the connection drops its socket.
                () = cut.0.notified() => Ok(()),
                () = async { let _ = stopping.wait_for(|stop| *stop).await; } => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = outcome {
                tracing::debug!(error = %e, "emulator connection closed");
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    drop(live);
    let _ = all_closed.recv().await;
    Ok(())
}

/// A connection's switch to close it at once, without answering the request under way (the
/// dropped-answer fault).
#[derive(Clone, Debug, Default)]
pub(crate) struct Cut(pub(crate) Arc<tokio::sync::Notify>);
