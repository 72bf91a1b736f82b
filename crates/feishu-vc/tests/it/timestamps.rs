//! `model::Timestamp` to and from `time`, `chrono` and `jiff` (features `time`, `chrono`, `jiff`,
//! turned on for these tests).

use feishu_vc::model::{Timestamp, TimestampOutOfRange};

/// 2020-12-25T08:14:27Z.
const SECONDS: i64 = 1_608_884_067;

#[test]
fn time_offset_date_time_both_ways() {
    let dt = time::OffsetDateTime::from_unix_timestamp(SECONDS).unwrap()
        + time::Duration::milliseconds(999);
    let t = Timestamp::from(dt);
    assert_eq!(t.unix_seconds(), SECONDS, "truncated to the second");
    let back = time::OffsetDateTime::try_from(t).unwrap();
    assert_eq!(back.unix_timestamp(), SECONDS);
    assert_eq!(back.offset(), time::UtcOffset::UTC);
    // Before 1970, a fraction rounds down, as unix time does.
    let before = time::OffsetDateTime::UNIX_EPOCH - time::Duration::milliseconds(1500);
    assert_eq!(Timestamp::from(before).unix_seconds(), -2);
    // A different offset is the same instant.
    let shifted = dt.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
    assert_eq!(Timestamp::from(shifted), t);
}

#[test]
fn chrono_date_time_both_ways() {
    use chrono::{DateTime, FixedOffset, TimeZone, Utc};
    let dt = DateTime::from_timestamp(SECONDS, 999_000_000).unwrap();
    let t = Timestamp::from(dt);
    assert_eq!(t.unix_seconds(), SECONDS);
    let back = DateTime::<Utc>::try_from(t).unwrap();
    assert_eq!(back.timestamp(), SECONDS);
    assert_eq!(back.timestamp_subsec_nanos(), 0);
    let east8 = FixedOffset::east_opt(8 * 3600).unwrap();
    assert_eq!(Timestamp::from(east8.from_utc_datetime(&dt.naive_utc())), t);
    let before = DateTime::from_timestamp(-2, 500_000_000).unwrap();
    assert_eq!(Timestamp::from(before).unix_seconds(), -2);
}

#[test]
fn jiff_timestamp_both_ways() {
    let j = jiff::Timestamp::new(SECONDS, 999_000_000).unwrap();
    let t = Timestamp::from(j);
    assert_eq!(t.unix_seconds(), SECONDS);
    let back = jiff::Timestamp::try_from(t).unwrap();
    assert_eq!(back.as_second(), SECONDS);
    assert_eq!(back.subsec_nanosecond(), 0);
    // jiff keeps -1.5 s as -1 s and -500 ms; in whole unix seconds that is -2.
    let before = jiff::Timestamp::new(-1, -500_000_000).unwrap();
    assert_eq!(Timestamp::from(before).unix_seconds(), -2);
    let exact = jiff::Timestamp::new(-2, 0).unwrap();
    assert_eq!(Timestamp::from(exact).unix_seconds(), -2);
}

/// Converting the largest and smallest `Timestamp` into `T` fails, naming the value and `target`.
fn assert_out_of_range<T>(target: &str)
where
    T: TryFrom<Timestamp, Error = TimestampOutOfRange> + std::fmt::Debug,
{
    for seconds in [i64::MAX, i64::MIN] {
        let err = T::try_from(Timestamp::from_unix_seconds(seconds)).unwrap_err();
        assert_eq!((err.seconds, err.target), (seconds, target));
        assert!(err.to_string().contains(&seconds.to_string()), "{err}");
    }
}

#[test]
fn out_of_range_is_a_typed_error_for_every_crate() {
    assert_out_of_range::<time::OffsetDateTime>("time::OffsetDateTime");
    assert_out_of_range::<chrono::DateTime<chrono::Utc>>("chrono::DateTime<Utc>");
    assert_out_of_range::<jiff::Timestamp>("jiff::Timestamp");
}

#[test]
fn the_same_instant_through_every_crate() {
    let t = Timestamp::from_unix_seconds(SECONDS);
    let via_time = Timestamp::from(time::OffsetDateTime::try_from(t).unwrap());
    let via_chrono = Timestamp::from(chrono::DateTime::<chrono::Utc>::try_from(t).unwrap());
    let via_jiff = Timestamp::from(jiff::Timestamp::try_from(t).unwrap());
    assert_eq!([via_time, via_chrono, via_jiff], [t; 3]);
    assert_eq!(
        jiff::Timestamp::try_from(t).unwrap().to_string(),
        "2020-12-25T08:14:27Z"
    );
}
