//! An MCP server for agents that book Feishu / Lark meetings: the reservation tools over the
//! `feishu-vc` facade and its ledger, served over stdio ([`serve_stdio`]).
//!
//! Every change is validated before anything is sent; a validation failure is a tool result with
//! `isError` and one line per violated field (path, rule, code). `book_meeting` goes through the
//! ledger under an idempotency key, so a repeated call returns the first booking and never books
//! twice. Results never carry a secret (no token, no app secret).

mod tools;
mod when;

pub use tools::{
    BookArgs, Booking, RenewArgs, ReservationArgs, ReservationList, ReservationView, VcTools,
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
