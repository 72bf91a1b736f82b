//! The meeting password, with its three states.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::SecretString;

/// A meeting password as sent in `meeting_settings.password` and returned in reservations.
///
/// The field is tri-state on the wire, and feishu-vc keeps all three apart:
/// - absent (`Option::None` around this type): the owner's personal setting decides, and Feishu may
///   assign a random password;
/// - [`Password::none`], sent as `""`: the meeting has no password;
/// - [`Password::digits`]: that password; Lark accepts 4 to 9 ASCII digits (error 123006 otherwise).
///
/// `Debug` never shows the digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Password(SecretString);

impl Password {
    /// No password: sent as the empty string.
    pub fn none() -> Self {
        Self(SecretString::default())
    }

    /// A password of digits. Whether it has 4 to 9 ASCII digits is checked by validation, not here,
    /// so that a response carrying any value can still be read.
    pub fn digits(digits: impl Into<String>) -> Self {
        Self(SecretString::new(digits))
    }

    /// Whether this is the explicit "no password" value.
    pub fn is_none(&self) -> bool {
        self.0.is_empty()
    }

    /// The password itself.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            f.write_str("Password(none)")
        } else {
            write!(f, "Password({})", crate::secret::REDACTED)
        }
    }
}

impl From<&str> for Password {
    fn from(value: &str) -> Self {
        Self::digits(value)
    }
}

impl From<String> for Password {
    fn from(value: String) -> Self {
        Self::digits(value)
    }
}

impl Serialize for Password {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SecretString::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug)]
    struct Holder {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<Password>,
    }

    #[test]
    fn three_states_round_trip() {
        for json in [r#"{}"#, r#"{"password":""}"#, r#"{"password":"971024"}"#] {
            let h: Holder = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&h).unwrap(), json);
        }
        let h: Holder = serde_json::from_str(r#"{"password":""}"#).unwrap();
        assert!(h.password.unwrap().is_none());
    }

    #[test]
    fn debug_hides_digits() {
        let p = Password::digits("971024");
        let shown = format!("{:?}", Holder { password: Some(p) });
        assert!(!shown.contains("971024"), "{shown}");
        assert_eq!(format!("{:?}", Password::none()), "Password(none)");
    }
}
