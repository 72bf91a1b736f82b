//! An MCP server for agents that book Feishu / Lark meetings: the reservation tools over the
//! `feishu-vc` facade and its ledger, served over stdio ([`serve_stdio`]) or
//! Streamable HTTP on a loopback address ([`serve_http`]).
//!
//! Every change is validated before anything is sent; a validation failure is a tool result with
//! `isError` and one line per violated field (path, rule, code). `book_meeting` goes through the
//! ledger under an idempotency key, so a repeated call returns the first booking and never books
//! twice. Results never carry a secret (no token, no app secret).

mod args;
mod errors;
mod tools;
mod views;

pub use args::{BookArgs, MeetingArgs, RenewArgs, ReportArgs, ReservationArgs, UpdateArgs};
pub use tools::VcTools;
pub use views::{
    ActiveMeeting, Booking, HeldMeetingView, MeetingView, ParticipantView, ReportView,
    ReservationList, ReservationView,
};

/// Serves `tools` over stdin / stdout until the client closes the stream. Nothing but protocol
/// messages is written on stdout.
pub async fn serve_stdio(tools: VcTools) -> Result<(), String> {
    use rmcp::ServiceExt;
    let running = tools
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("the MCP session did not start: {e}"))?;
    running
        .waiting()
        .await
        .map(drop)
        .map_err(|e| format!("the MCP session ended with an error: {e}"))
}

/// Serves `tools` over Streamable HTTP at `http://ADDR/mcp` until the process ends. Only a
/// loopback address is accepted: the tools book as the configured app or user, with no
/// authentication of their own.
pub async fn serve_http(tools: VcTools, addr: std::net::SocketAddr) -> Result<(), String> {
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService,
    };
    if !addr.ip().is_loopback() {
        return Err(format!(
            "--http {addr}: only a loopback address (127.0.0.1, [::1]) is served; the tools have no authentication of their own"
        ));
    }
    let service = StreamableHttpService::new(
        move || Ok(tools.clone()),
        std::sync::Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("--http {addr}: cannot listen: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("feishu-vc: MCP over Streamable HTTP at http://{bound}/mcp");
    axum::serve(listener, router)
        .await
        .map_err(|e| format!("the HTTP server failed: {e}"))
}
