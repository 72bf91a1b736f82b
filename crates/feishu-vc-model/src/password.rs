//! The meeting password, with its three states.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::SecretString;

/// A meeting password as sent in `meeting_settings.password` and returned in reservations.
///
/// The field is tri-state on the wire, and feishu-vc keeps all three apart:
///
/// | Rust | JSON | meaning |
/// | --- | --- | --- |
/// | `None` (the field is not set) | absent | apply: the owner's personal setting decides, and Feishu may assign a random password; update: the password is left as it is |
/// | `Some(Password::no_password())` | `""` | the meeting has no password (on update: the password is removed) |
/// | `Some(Password::digits("971024"))` | `"971024"` | that password; Lark accepts 4 to 9 ASCII digits (error 123006 otherwise) |
///
/// `Option::None` is only ever "not sent"; "no password" is the explicit value
/// [`Password::no_password`].
///
/// `Debug` never shows the digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Password(SecretString);

impl Password {
    /// The meeting has no password (on update: remove it): sent as the empty string. Not the same
    /// as leaving the field unset (`None`), which lets Feishu decide or keeps the current one.
    pub fn no_password() -> Self {
        Self(SecretString::default())
    }

    /// A password of digits. Whether it has 4 to 9 ASCII digits is checked by validation, not here,
    /// so that a response carrying any value can still be read.
    pub fn digits(digits: impl Into<String>) -> Self {
        Self(SecretString::new(digits))
    }

    /// Whether this is the explicit "no password" value, [`Password::no_password`].
    pub fn is_no_password(&self) -> bool {
        self.0.is_empty()
    }

    /// The password itself.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The password as the [`SecretString`] it is kept in, to pass on without copying it.
    pub fn as_secret(&self) -> &SecretString {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_no_password() {
            f.write_str("Password(no password)")
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
        assert!(h.password.unwrap().is_no_password());
        let h: Holder = serde_json::from_str(r#"{}"#).unwrap();
        assert!(h.password.is_none(), "absent is not `no password`");
    }

    #[test]
    fn debug_hides_digits() {
        let p = Password::digits("971024");
        let shown = format!("{:?}", Holder { password: Some(p) });
        assert!(!shown.contains("971024"), "{shown}");
        assert_eq!(
            format!("{:?}", Password::no_password()),
            "Password(no password)"
        );
    }
}
