//! [`Timestamp`] to and from the date-time types of `time`, `chrono` and `jiff`, each behind the
//! feature of the same name.
//!
//! Into a [`Timestamp`] always works and truncates to the whole second below (as unix time does,
//! and as `From<SystemTime>` does). Out of a [`Timestamp`] can fail: each crate has a smaller range
//! than `i64` seconds, and a value outside it is a [`TimestampOutOfRange`].

use std::fmt;

use crate::Timestamp;

/// A [`Timestamp`] that the target date-time type cannot represent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimestampOutOfRange {
    /// The timestamp's unix seconds.
    pub seconds: i64,
    /// The type it was converted to, such as `time::OffsetDateTime`.
    pub target: &'static str,
}

impl fmt::Display for TimestampOutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unix time {} s is outside the range of {}",
            self.seconds, self.target
        )
    }
}

impl std::error::Error for TimestampOutOfRange {}

impl Timestamp {
    /// The error for converting `self` to `target`.
    #[allow(dead_code)] // unused when no conversion feature is on
    fn out_of_range(self, target: &'static str) -> TimestampOutOfRange {
        TimestampOutOfRange {
            seconds: self.unix_seconds(),
            target,
        }
    }
}

#[cfg(feature = "time")]
impl From<time::OffsetDateTime> for Timestamp {
    fn from(value: time::OffsetDateTime) -> Self {
        // Whole seconds, rounded down.
        Self::from_unix_seconds(value.unix_timestamp())
    }
}

#[cfg(feature = "time")]
impl TryFrom<Timestamp> for time::OffsetDateTime {
    type Error = TimestampOutOfRange;

    /// The time in UTC.
    fn try_from(value: Timestamp) -> Result<Self, Self::Error> {
        time::OffsetDateTime::from_unix_timestamp(value.unix_seconds())
            .map_err(|_| value.out_of_range("time::OffsetDateTime"))
    }
}

#[cfg(feature = "chrono")]
impl<Tz: chrono::TimeZone> From<chrono::DateTime<Tz>> for Timestamp {
    fn from(value: chrono::DateTime<Tz>) -> Self {
        // Whole seconds, rounded down.
        Self::from_unix_seconds(value.timestamp())
    }
}

#[cfg(feature = "chrono")]
impl TryFrom<Timestamp> for chrono::DateTime<chrono::Utc> {
    type Error = TimestampOutOfRange;

    fn try_from(value: Timestamp) -> Result<Self, Self::Error> {
        chrono::DateTime::from_timestamp(value.unix_seconds(), 0)
            .ok_or_else(|| value.out_of_range("chrono::DateTime<Utc>"))
    }
}

#[cfg(feature = "jiff")]
impl From<jiff::Timestamp> for Timestamp {
    fn from(value: jiff::Timestamp) -> Self {
        // jiff truncates towards zero; before 1970 a fraction rounds down to the earlier second.
        let seconds = value.as_second();
        if value.subsec_nanosecond() < 0 {
            Self::from_unix_seconds(seconds - 1)
        } else {
            Self::from_unix_seconds(seconds)
        }
    }
}

#[cfg(feature = "jiff")]
impl TryFrom<Timestamp> for jiff::Timestamp {
    type Error = TimestampOutOfRange;

    fn try_from(value: Timestamp) -> Result<Self, Self::Error> {
        jiff::Timestamp::from_second(value.unix_seconds())
            .map_err(|_| value.out_of_range("jiff::Timestamp"))
    }
}
