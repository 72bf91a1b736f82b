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
    let mut signals = StopSignals::catch();
    async move {
        signals.next().await;
    }
}

/// The signals that stop a command (SIGINT, and SIGTERM where there is one), caught from
/// [`StopSignals::catch`] on, one after the other: a command that stops gracefully on the first
/// can stop at once on the second.
pub(crate) struct StopSignals {
    #[cfg(unix)]
    caught: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignals {
    pub(crate) fn catch() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let caught = match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(int), Ok(term)) => Some((int, term)),
                _ => None,
            };
            Self { caught }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    /// Waits for the next one; gives the exit code it would have ended the process with
    /// uncaught (130 for SIGINT, 143 for SIGTERM).
    pub(crate) async fn next(&mut self) -> u8 {
        #[cfg(unix)]
        if let Some((int, term)) = &mut self.caught {
            return tokio::select! {
                _ = int.recv() => 130,
                _ = term.recv() => 143,
            };
        }
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}
