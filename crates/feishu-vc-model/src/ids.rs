//! Newtypes for the ids Lark sends as strings.

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Sent as a JSON string; a JSON integer is also accepted when reading.
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }

            /// Whether the id is the empty string.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<&String> for $name {
            fn from(value: &String) -> Self {
                Self(value.clone())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl crate::wire::WireStr for $name {
            fn wire_str(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(crate::wire::StringOrInteger).map(Self)
            }
        }
    };
}

string_id!(
    /// A reservation id (预约ID), such as `"6911188411934973028"`: a 64-bit number sent as a
    /// string. It is not the meeting id, which exists only once the meeting starts.
    ReserveId
);
string_id!(
    /// A 9-digit meeting number (9位会议号), such as `"112000358"`.
    MeetingNo
);
string_id!(
    /// A meeting id (会议ID): exists only after the meeting has started.
    MeetingId
);
string_id!(
    /// A user id. Whether it is an `open_id`, a `union_id` or a `user_id` depends on the
    /// `user_id_type` of the call (`open_id` by default). `open_id`s differ between apps.
    UserId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_strings_and_integers_and_write_strings() {
        let id: ReserveId = serde_json::from_str("\"6911188411934973028\"").unwrap();
        assert_eq!(id, "6911188411934973028");
        let id: ReserveId = serde_json::from_str("6911188411934973028").unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"6911188411934973028\""
        );
        assert!(serde_json::from_str::<ReserveId>("1.5").is_err());
    }
}
