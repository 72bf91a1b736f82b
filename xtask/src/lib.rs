//! Maintainer tasks for feishu-vc. The binary is `cargo xtask`; the library exists so that the
//! generator can be tested.

pub mod codegen;
mod pretty;
pub mod structure;

use std::path::{Path, PathBuf};

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
