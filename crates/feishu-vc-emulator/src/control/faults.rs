//! Faults a test asks for: what the emulator does wrong on purpose, apart from HTTP (which only
//! carries them out).

use std::sync::atomic::{AtomicU32, Ordering};

/// The faults still to happen.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// How many of the next successful applies lose their answer.
    drop_apply_answers: AtomicU32,
}

impl Faults {
    /// The next `n` applies that book a reservation lose their answer (replaces any count left).
    pub(crate) fn drop_apply_answers(&self, n: u32) {
        self.drop_apply_answers.store(n, Ordering::SeqCst);
    }

    /// How many applies are still to lose their answer.
    pub(crate) fn apply_answers_to_drop(&self) -> u32 {
        self.drop_apply_answers.load(Ordering::SeqCst)
    }

    /// Whether the apply that just booked a reservation loses its answer (counts it when so).
    pub(crate) fn take_apply_answer(&self) -> bool {
        self.drop_apply_answers
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_dropped_answer_is_counted_once() {
        let faults = Faults::default();
        assert!(!faults.take_apply_answer());
        faults.drop_apply_answers(2);
        assert!(faults.take_apply_answer());
        assert_eq!(faults.apply_answers_to_drop(), 1);
        assert!(faults.take_apply_answer());
        assert!(!faults.take_apply_answer());
        assert_eq!(faults.apply_answers_to_drop(), 0);
    }
}
