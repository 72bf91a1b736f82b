//! A batch's stop as each of its applies sees it: once stopped, no apply goes out, and the ones
//! that went out before are counted until they are answered. A leaf: it imports nothing of the
//! crate.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Whether a batch still sends, and how many of its applies are out unanswered.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    stopped: AtomicBool,
    in_flight: AtomicUsize,
}

impl Gate {
    /// No apply goes out from now on.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Lets an apply go out unless the batch is stopped; one that goes is counted in flight until
    /// [`Gate::answered`]. Counted before the check, so that a stop that sees none in flight
    /// knows every later apply sees it stopped.
    pub(crate) fn pass(&self) -> bool {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        if self.is_stopped() {
            self.answered();
            return false;
        }
        true
    }

    /// An apply that went out has its outcome recorded.
    pub(crate) fn answered(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// How many applies are out and not yet recorded.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_passes_once_stopped_and_what_passed_is_counted_until_answered() {
        let gate = Gate::default();
        assert!(gate.pass());
        assert_eq!(gate.in_flight(), 1);
        gate.stop();
        assert!(!gate.pass());
        assert_eq!(gate.in_flight(), 1);
        gate.answered();
        assert_eq!(gate.in_flight(), 0);
    }
}
