//! What the command's process tests share.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The command under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_feishu-vc");

/// The command with a clean environment (no FEISHU_* variables leak in, no RUST_LOG) and a home
/// directory of its own, so that nothing reaches the user's real data directory.
pub(crate) fn command(home: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("FEISHU_APP_ID")
        .env_remove("FEISHU_APP_SECRET")
        .env_remove("FEISHU_USER_ACCESS_TOKEN")
        .env_remove("FEISHU_BASE_URL")
        .env_remove("FEISHU_VC_EMULATOR_STATE")
        .env_remove("RUST_LOG")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .stdin(Stdio::null());
    command
}

/// A fresh directory under the system's temporary directory, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "feishu-vc-cli-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}
