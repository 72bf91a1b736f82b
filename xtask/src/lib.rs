//! Maintainer tasks for feishu-vc. The binary is `cargo xtask`; the library exists so that the
//! tasks can be tested.
//!
//! - `cargo xtask test [-- CARGO TEST ARGS]`: the README's test command ([`suite`]): installs what
//!   the tests need ([`provision`]) and runs the whole suite.
//! - `cargo xtask codegen [--check]`: regenerates the model from `docs/schema/` ([`codegen`]).
//! - `cargo xtask structure`: no import cycle in any crate, no hand-written file over 600 lines
//!   ([`structure`]).

pub mod codegen;
mod pretty;
pub mod provision;
pub mod structure;
pub mod suite;

use std::path::{Path, PathBuf};

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
