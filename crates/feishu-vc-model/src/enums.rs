//! Support for the schema's open enums: values the schema does not list are kept, not rejected.

use std::fmt;

/// A value an enum does not know (yet). Callers cannot build or destructure one; read the number
/// with the enum's `value()`. It re-encodes to the same number, so a response read and written back
/// is unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnknownValue(pub(crate) i64);

impl fmt::Debug for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Implemented by every integer enum of the schema.
pub trait IntEnum: Copy {
    /// The number on the wire.
    fn value(self) -> i64;
    /// Whether the schema lists this value.
    fn is_known(self) -> bool;
    /// The values the schema lists, with their variant names.
    fn known_values() -> &'static [(i64, &'static str)];
}

/// Reads an enum number: a JSON integer, or (drift tolerance) a string of digits.
pub(crate) fn deserialize_int<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<i64, D::Error> {
    let digits = deserializer.deserialize_any(crate::wire::StringOrInteger)?;
    crate::wire::parse_i64(&digits)
}

/// A string that is not one of a string enum's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseEnumError {
    type_name: &'static str,
    value: String,
    expected: &'static str,
}

impl ParseEnumError {
    pub(crate) fn new(type_name: &'static str, value: &str, expected: &'static str) -> Self {
        Self {
            type_name,
            value: value.to_owned(),
            expected,
        }
    }

    /// The string that was given.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for ParseEnumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a {}; expected one of {}",
            self.value, self.type_name, self.expected
        )
    }
}

impl std::error::Error for ParseEnumError {}

impl<T: IntEnum> IntEnum for &T {
    fn value(self) -> i64 {
        (*self).value()
    }

    fn is_known(self) -> bool {
        (*self).is_known()
    }

    fn known_values() -> &'static [(i64, &'static str)] {
        T::known_values()
    }
}

/// A string value an enum does not know (yet). Callers cannot build or destructure one; read it
/// with the enum's `as_str()`. It re-encodes to the same string.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UnknownString(pub(crate) String);

impl UnknownString {
    /// The value as it came.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UnknownString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Implemented by every open string enum of the schema (those answers carry).
pub trait StrEnum {
    /// Whether the schema lists this value.
    fn is_known(&self) -> bool;
    /// The values the schema lists.
    fn known_values() -> &'static [&'static str];
}

impl<T: StrEnum> StrEnum for &T {
    fn is_known(&self) -> bool {
        (**self).is_known()
    }

    fn known_values() -> &'static [&'static str] {
        T::known_values()
    }
}
