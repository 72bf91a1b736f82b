//! The terminal and the process: notes on stderr, stdout written whole, and the signals that stop
//! a command. A leaf: it imports nothing of the crate.

use std::io::{self, Write};

/// Writes a line to stderr; a closed or failing stderr is ignored (there is nowhere left to say so).
pub(crate) fn note(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Writes `text` to stdout and flushes.
pub(crate) fn write_stdout(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one. The signals are caught from this call
/// on (not from the first poll): call it before saying the command is ready, so that a Ctrl-C
/// right after that stops it cleanly instead of killing it.
pub(crate) fn interrupted() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let caught = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        );
        async move {
            match caught {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
