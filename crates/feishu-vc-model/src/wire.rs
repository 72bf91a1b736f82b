//! Small pieces of the wire format shared by the hand-written and the generated types.

use std::fmt;

use serde::de::{self, Visitor};

/// Reads a JSON string, or a JSON integer written as its decimal digits.
///
/// Lark documents 64-bit ids, timestamps and counts as strings, but responses have been seen to
/// drift to numbers; reading accepts both, writing always produces a string.
pub(crate) struct StringOrInteger;

impl Visitor<'_> for StringOrInteger {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Parses the decimal digits of a 64-bit integer sent as a string.
pub(crate) fn parse_i64<E: de::Error>(digits: &str) -> Result<i64, E> {
    digits
        .parse::<i64>()
        .map_err(|_| E::invalid_value(de::Unexpected::Str(digits), &"a decimal 64-bit integer"))
}

/// `serde(with)` for `Option<i64>` fields that travel as decimal strings (`"format": "int64"`).
pub mod int64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the integer as a decimal string.
    pub fn serialize<S: Serializer>(value: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.collect_str(v),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a decimal string or a JSON integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Int(i64),
            Str(String),
        }
        match Option::<Repr>::deserialize(deserializer)? {
            None => Ok(None),
            Some(Repr::Int(v)) => Ok(Some(v)),
            Some(Repr::Str(s)) => super::parse_i64(&s).map(Some),
        }
    }
}

/// The text a string-like field puts on the wire; used by the generated validation rules.
pub trait WireStr {
    /// The string as it is sent.
    fn wire_str(&self) -> &str;
}

impl WireStr for String {
    fn wire_str(&self) -> &str {
        self
    }
}

impl WireStr for crate::Password {
    fn wire_str(&self) -> &str {
        self.expose_secret()
    }
}

impl WireStr for crate::SecretString {
    fn wire_str(&self) -> &str {
        self.expose_secret()
    }
}

/// Every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment: every byte outside RFC 3986's unreserved set becomes `%XX`,
/// so `/`, `?`, `#` and `%` cannot change the path.
pub(crate) fn encode_path_segment(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, PATH_SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_cannot_escape() {
        assert_eq!(
            encode_path_segment("6911188411934973028"),
            "6911188411934973028"
        );
        assert_eq!(
            encode_path_segment("a/../b?x=1#f"),
            "a%2F..%2Fb%3Fx%3D1%23f"
        );
        assert_eq!(encode_path_segment("100%"), "100%25");
        assert_eq!(encode_path_segment("会"), "%E4%BC%9A");
        assert_eq!(encode_path_segment(" \t%2F"), "%20%09%252F");
    }

    #[test]
    fn path_segments_decode_back_to_the_id() {
        for id in [
            "6911188411934973028",
            "a/b",
            "%2e%2e",
            "会议 ~-._!*'()",
            "\u{0}\u{7f}\u{10ffff}",
        ] {
            let encoded = encode_path_segment(id);
            assert!(
                encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b))
            );
            let decoded = percent_encoding::percent_decode_str(&encoded)
                .decode_utf8()
                .unwrap();
            assert_eq!(decoded, id);
        }
    }
}
