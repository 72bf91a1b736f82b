//! What the emulator's bench binaries share: settings from the environment, server runtimes.

use tokio::runtime::Runtime;

/// A positive integer from the environment variable `name`, else `default`; anything else in the
/// variable stops the bench.
pub(crate) fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or_else(|| panic!("{name} must be a positive integer, not {v:?}")),
        Err(_) => default,
    }
}

/// A runtime with one worker thread named `name`.
pub(crate) fn server_runtime(name: &'static str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("runtime")
}
