//! A string that never shows itself in `Debug` or `Display`, and is wiped from memory when dropped.

use std::fmt;
use std::hash::{Hash, Hasher};

use secrecy::ExposeSecret;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What `Debug` prints in place of a secret.
pub const REDACTED: &str = "** redacted **";

/// A secret string: an app secret, an access token.
///
/// It holds a [`secrecy::SecretString`], so its memory is zeroized on drop (clones included). It
/// serializes to its real value (it has to reach the wire), but `Debug` prints `** redacted **` and
/// there is no `Display`. Read it with [`SecretString::expose_secret`].
#[derive(Clone, Default)]
pub struct SecretString(secrecy::SecretString);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secrecy::SecretString::from(secret.into()))
    }

    /// The secret itself. Call this only where the value must be sent.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.expose_secret().is_empty()
    }
}

impl ExposeSecret<str> for SecretString {
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

// The inner `SecretBox` zeroizes its buffer when dropped.
impl secrecy::zeroize::ZeroizeOnDrop for SecretString {}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

impl Eq for SecretString {}

impl Hash for SecretString {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.expose_secret().hash(state);
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(secrecy::SecretString::from(value))
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(secrecy::SecretString::from(value))
    }
}

impl From<secrecy::SecretString> for SecretString {
    fn from(value: secrecy::SecretString) -> Self {
        Self(value)
    }
}

impl From<SecretString> for secrecy::SecretString {
    fn from(value: SecretString) -> Self {
        value.0
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose_secret())
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = SecretString::new("app-secret-value");
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(
            format!("{:?}", Some(s.clone())),
            format!("Some({REDACTED})")
        );
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"app-secret-value\"");
    }

    fn zeroized_on_drop<T: secrecy::zeroize::ZeroizeOnDrop>(_: &T) {}

    #[test]
    fn is_a_secrecy_secret_both_ways() {
        let ours = SecretString::from(secrecy::SecretString::from("tok-123"));
        zeroized_on_drop(&ours);
        assert_eq!(ExposeSecret::<str>::expose_secret(&ours), "tok-123");
        let theirs: secrecy::SecretString = ours.clone().into();
        assert_eq!(theirs.expose_secret(), "tok-123");
        assert_eq!(ours, SecretString::new("tok-123"));
        assert!(SecretString::default().is_empty());
        let back: SecretString = serde_json::from_str("\"tok-123\"").unwrap();
        assert_eq!(back, ours);
    }
}
