//! The one timestamp type: unix seconds, sent as a decimal string.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time in whole unix seconds, as Lark sends `end_time`, `create_time` and the like:
/// a JSON string of decimal seconds (`"1608888867"`). Reading also accepts a JSON integer.
///
/// Seconds, never milliseconds: [`Timestamp::from`] a [`SystemTime`] truncates to the second.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The timestamp `seconds` after 1970-01-01T00:00:00Z (negative: before it).
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// Seconds since the unix epoch.
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// The current time, truncated to the second.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// This timestamp as a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        let magnitude = Duration::from_secs(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH + magnitude
        } else {
            UNIX_EPOCH - magnitude
        }
    }

    /// `self + duration`, or `None` on overflow. Sub-second parts are dropped.
    pub fn checked_add(self, duration: Duration) -> Option<Self> {
        let secs = i64::try_from(duration.as_secs()).ok()?;
        self.0.checked_add(secs).map(Self)
    }

    /// `self - duration`, or `None` on overflow. Sub-second parts are dropped.
    pub fn checked_sub(self, duration: Duration) -> Option<Self> {
        let secs = i64::try_from(duration.as_secs()).ok()?;
        self.0.checked_sub(secs).map(Self)
    }
}

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Self {
        let seconds = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            // Before the epoch: round towards negative infinity, like unix time does.
            Err(before) => {
                let d = before.duration();
                let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                if d.subsec_nanos() > 0 {
                    -whole - 1
                } else {
                    -whole
                }
            }
        };
        Self(seconds)
    }
}

impl From<Timestamp> for SystemTime {
    fn from(value: Timestamp) -> Self {
        value.to_system_time()
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let digits = deserializer.deserialize_any(crate::wire::StringOrInteger)?;
        crate::wire::parse_i64(&digits).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_is_a_string_of_seconds() {
        let t: Timestamp = serde_json::from_str("\"1608888867\"").unwrap();
        assert_eq!(t.unix_seconds(), 1_608_888_867);
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"1608888867\"");
        let n: Timestamp = serde_json::from_str("1608888867").unwrap();
        assert_eq!(n, t);
        assert!(serde_json::from_str::<Timestamp>("\"16088x\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("1.5").is_err());
    }

    #[test]
    fn system_time_conversions_truncate_to_seconds() {
        let st = UNIX_EPOCH + Duration::from_millis(1_608_888_867_999);
        let t = Timestamp::from(st);
        assert_eq!(t.unix_seconds(), 1_608_888_867);
        assert_eq!(
            t.to_system_time(),
            UNIX_EPOCH + Duration::from_secs(1_608_888_867)
        );
        let before = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(Timestamp::from(before).unix_seconds(), -2);
        assert_eq!(
            Timestamp::from_unix_seconds(-2).to_system_time(),
            UNIX_EPOCH - Duration::from_secs(2)
        );
    }
}
