//! Random identifiers: reservation and meeting ids, tokens, live links, passwords, log ids.

use std::sync::atomic::{AtomicU64, Ordering};

/// The smallest 19-digit number.
const MIN_19_DIGITS: u64 = 1_000_000_000_000_000_000;

/// A random 19-digit id that fits an `i64`, like Lark's reservation and meeting ids.
pub(crate) fn id_19() -> String {
    fastrand::u64(MIN_19_DIGITS..=i64::MAX as u64).to_string()
}

/// `prefix` followed by 32 random lowercase hex digits.
pub(crate) fn token(prefix: &str) -> String {
    format!(
        "{prefix}{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    )
}

/// The path part of a live link: 13 lowercase base-36 characters.
pub(crate) fn live_code() -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..13)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect()
}

/// A random meeting password of 6 ASCII digits.
pub(crate) fn password() -> String {
    format!("{:06}", fastrand::u32(..1_000_000))
}

/// A log id in Feishu's form: the time as `YYYYMMDDHHMMSS` followed by 20 uppercase hex digits
/// (a process-wide counter and random bits, so that no two responses share one).
///
/// Every response carries one, so the time part is formatted once per second and thread.
pub(crate) fn log_id(unix_seconds: i64) -> String {
    use std::fmt::Write as _;

    thread_local! {
        static CIVIL: std::cell::RefCell<(i64, String)> =
            const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xff_ffff_ffff;
    let random = fastrand::u64(..) & 0xff_ffff_ffff;
    let mut id = String::with_capacity(34);
    CIVIL.with_borrow_mut(|(second, civil)| {
        if *second != unix_seconds {
            *civil = civil_time(unix_seconds);
            *second = unix_seconds;
        }
        id.push_str(civil);
    });
    let _ = write!(id, "{n:010X}{random:010X}");
    id
}

/// `YYYYMMDDHHMMSS` in UTC.
fn civil_time(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Year, month and day of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = id_19();
        assert_eq!(id.len(), 19, "{id}");
        assert!(id.parse::<i64>().is_ok());
        assert!(token("t-").starts_with("t-"));
        assert_eq!(token("t-").len(), 34);
        assert_eq!(live_code().len(), 13);
        assert_eq!(password().len(), 6);
        assert_eq!(civil_time(0), "19700101000000");
        assert_eq!(civil_time(1_608_888_867), "20201225093427");
        let a = log_id(1_608_888_867);
        let b = log_id(1_608_888_867);
        assert_eq!(a.len(), 34);
        assert_ne!(a, b);
        assert!(a.starts_with("20201225093427"));
        // The time part follows the clock from one call to the next, backwards too.
        assert!(log_id(1_608_888_868).starts_with("20201225093428"));
        assert!(log_id(0).starts_with("19700101000000"));
    }
}
