//! Files the command keeps for the user: directories only the user can read.

use std::path::Path;

/// Creates `dir` and its parents; the last one only the user can enter (the state holds tokens
/// and meeting passwords, the user-token file tokens).
pub(crate) fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
