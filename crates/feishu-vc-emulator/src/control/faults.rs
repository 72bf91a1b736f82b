//! Faults a test asks for: what the emulator does wrong on purpose, apart from HTTP (which only
//! carries them out).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// The faults still to happen.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// How many of the next successful applies lose their answer.
    drop_apply_answers: AtomicU32,
    /// How long each apply's answer is held back, in milliseconds.
    apply_answer_delay_ms: AtomicU64,
}

impl Faults {
    /// The next `n` applies that book a reservation lose their answer (replaces any count left).
    pub(crate) fn drop_apply_answers(&self, n: u32) {
        self.drop_apply_answers.store(n, Ordering::SeqCst);
    }

    /// Every apply's answer is held back for `delay` after the apply is carried out
    /// (`Duration::ZERO`: answered at once).
    pub(crate) fn delay_apply_answers(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.apply_answer_delay_ms.store(ms, Ordering::SeqCst);
    }

    /// How long an apply's answer is held back.
    pub(crate) fn apply_answer_delay(&self) -> Duration {
        Duration::from_millis(self.apply_answer_delay_ms.load(Ordering::SeqCst))
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

    #[test]
    fn answers_are_held_back_until_the_delay_is_ended() {
        let faults = Faults::default();
        assert_eq!(faults.apply_answer_delay(), Duration::ZERO);
        faults.delay_apply_answers(Duration::from_millis(1500));
        assert_eq!(faults.apply_answer_delay(), Duration::from_millis(1500));
        faults.delay_apply_answers(Duration::ZERO);
        assert_eq!(faults.apply_answer_delay(), Duration::ZERO);
    }
}
