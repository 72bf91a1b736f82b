//! Helpers the generated `validator` rules call. Compiled only with the `validate` feature.

use std::borrow::Cow;

use validator::ValidationError;

use crate::enums::{IntEnum, StrEnum};
use crate::wire::WireStr;

/// Whether a value keeps every single-field rule of the schema: the same rules as its
/// `validator::Validate`, as plain checks that allocate nothing. `true` exactly when
/// `validator::Validate::validate` gives `Ok`; only a value that fails needs that report, with its
/// paths, codes and messages. Implemented by the generator for every validated type.
pub trait SchemaValid {
    /// Whether every rule holds.
    fn schema_valid(&self) -> bool;
}

impl<T: SchemaValid> SchemaValid for Option<T> {
    fn schema_valid(&self) -> bool {
        self.as_ref().is_none_or(T::schema_valid)
    }
}

impl<T: SchemaValid> SchemaValid for Vec<T> {
    fn schema_valid(&self) -> bool {
        self.iter().all(T::schema_valid)
    }
}

/// The code of a rule the generated code could not attribute; never produced by the schema.
const UNSET: &str = "121003";

/// Fails when an enum holds a value the schema does not list.
pub(crate) fn known_value<E: IntEnum>(value: &E) -> Result<(), ValidationError> {
    if value.is_known() {
        return Ok(());
    }
    let listed: Vec<String> = E::known_values()
        .iter()
        .map(|(v, name)| format!("{v} ({name})"))
        .collect();
    Err(ValidationError::new(UNSET)
        .with_message(Cow::Owned(format!("must be one of {}", listed.join(", ")))))
}

/// Fails when an open string enum holds a value the schema does not list.
pub(crate) fn known_str<E: StrEnum>(value: &E) -> Result<(), ValidationError> {
    if value.is_known() {
        return Ok(());
    }
    let listed: Vec<String> = E::known_values().iter().map(|v| format!("`{v}`")).collect();
    Err(ValidationError::new(UNSET)
        .with_message(Cow::Owned(format!("must be one of {}", listed.join(", ")))))
}

/// Fails when a string does not match `pattern`.
pub(crate) fn matches(value: &impl WireStr, pattern: &regex::Regex) -> Result<(), ValidationError> {
    if pattern.is_match(value.wire_str()) {
        Ok(())
    } else {
        Err(ValidationError::new(UNSET))
    }
}

/// Fails when a string has fewer than `min` characters.
pub(crate) fn min_length(value: &impl WireStr, min: usize) -> Result<(), ValidationError> {
    if value.wire_str().chars().count() >= min {
        Ok(())
    } else {
        Err(ValidationError::new(UNSET))
    }
}

/// Checks the number of items of an optional list, for the struct-level rules the generator emits
/// (a field-level rule would hide the items' own violations). The error names the field in its
/// `field` parameter.
pub(crate) fn item_count<T>(
    list: Option<&[T]>,
    field: &'static str,
    min: Option<usize>,
    max: Option<usize>,
    code: &'static str,
    message: &'static str,
) -> Result<(), ValidationError> {
    let Some(list) = list else { return Ok(()) };
    let too_few = min.is_some_and(|m| list.len() < m);
    let too_many = max.is_some_and(|m| list.len() > m);
    if !(too_few || too_many) {
        return Ok(());
    }
    let mut err = ValidationError::new(code).with_message(Cow::Borrowed(message));
    err.add_param(Cow::Borrowed("field"), &field);
    Err(err)
}
