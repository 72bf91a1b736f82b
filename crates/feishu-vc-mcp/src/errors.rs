//! Failures as tool results with `isError`: one line per violated field, "outcome unknown" with
//! its key, and nothing secret (the transport's `Display` already scrubs what it knows).

use feishu_vc_ledger::{BookError, LedgerError};
use rmcp::model::{CallToolResult, ContentBlock};

pub(crate) fn error(lines: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(lines.into())])
}

pub(crate) fn violations_result(violations: &feishu_vc::validate::Violations) -> CallToolResult {
    let lines: Vec<String> = violations
        .iter()
        .filter(|v| v.is_error())
        .map(|v| format!("{}: {} (code {})", v.path(), v.rule(), v.code().code()))
        .collect();
    error(format!(
        "invalid request, nothing sent:\n{}",
        lines.join("\n")
    ))
}

pub(crate) fn book_error(e: &BookError) -> CallToolResult {
    match e {
        BookError::Sdk(e) => sdk_error(e),
        BookError::Ledger(LedgerError::Conflict { key, .. }) => error(format!(
            "key: `{key}` already booked another request; nothing was sent (use another key)"
        )),
        // The store's own words (which record, which state), not the wrapper's.
        BookError::Ledger(e) => store_error(e),
        other => error(format!("{other}")),
    }
}

pub(crate) fn sdk_error(e: &feishu_vc::Error) -> CallToolResult {
    if let Some(v) = e.violations() {
        return violations_result(v);
    }
    error(e.to_string())
}

pub(crate) fn store_error(e: &LedgerError) -> CallToolResult {
    error(e.to_string())
}
