//! `feishu-vc mcp`: the reservation tools of `feishu-vc-mcp` served to an agent over stdio, on
//! the session's client and ledger (so `reserve list` shows what an agent booked).

use crate::args::McpArgs;
use crate::outcome::Failure;
use crate::session::Session;

/// Serves the tools until the client closes stdin.
pub(crate) async fn run(session: &Session, args: &McpArgs) -> Result<(), Failure> {
    if session.dry_run {
        return Err(Failure::usage(
            "--dry-run is an argument of each MCP tool call (`dry_run`), not of `mcp`",
        ));
    }
    let ledger = session.ledger().await?;
    let mut tools = feishu_vc_mcp::VcTools::new(ledger, session.default_owner.clone());
    if args.read_only {
        tools = tools.read_only();
    }
    match args.http {
        Some(addr) => feishu_vc_mcp::serve_http(tools, addr).await,
        None => feishu_vc_mcp::serve_stdio(tools).await,
    }
    .map_err(Failure::usage)
}
