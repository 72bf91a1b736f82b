//! `cargo xtask test`: the README's test command. It finds or installs what the tests need
//! ([`crate::provision`]), then runs the whole suite: `cargo test --workspace` and the official
//! Python SDK (`lark-oapi`, from PyPI) and the official Node SDK (`@larksuiteoapi/node-sdk`, from
//! npm) against the emulator. `.ci/run` runs exactly this.

use std::path::Path;
use std::process::Command;

use crate::provision::{self, Host};

/// The script of the Python SDK's interop test, from the workspace root.
const LARK_OAPI: &str = "crates/feishu-vc-emulator/tests/lark_oapi/run.sh";
/// The script of the Node SDK's interop test, from the workspace root.
const NODE_SDK: &str = "crates/feishu-vc-emulator/tests/node_sdk/run.sh";

/// The script of the MCP interop test: the official MCP Python SDK drives `feishu-vc mcp`.
const MCP_PYTHON: &str = "crates/feishu-vc-mcp/tests/python/run.sh";

/// Provisions, then runs `cargo test` with `cargo_args` (`--workspace` when none) and, for the
/// whole suite only, the SDK interop.
pub fn run(root: &Path, cargo_args: &[&str]) -> Result<(), String> {
    provision::ensure(&Host::detect())?;

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let args: Vec<&str> = if cargo_args.is_empty() {
        vec!["--workspace"]
    } else {
        cargo_args.to_vec()
    };
    step(root, &cargo, &[&["test"], args.as_slice()].concat())?;
    if cargo_args.is_empty() {
        eprintln!(
            "\nxtask test: the official Python SDK (lark-oapi) hears the emulator over the long connection"
        );
        step(root, "bash", &[LARK_OAPI])?;
        eprintln!(
            "\nxtask test: the official Node SDK books on the emulator and hears it over the long connection and a webhook"
        );
        step(root, "bash", &[NODE_SDK])?;
        eprintln!(
            "\nxtask test: the official MCP Python SDK (mcp) books through `feishu-vc mcp` on the emulator"
        );
        step(root, "bash", &[MCP_PYTHON])?;
    }
    Ok(())
}

fn step(root: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}
