//! Reading an Open API body strictly into the model's type: a field the API does not have is
//! refused (121003), as Feishu refuses it, and messages never echo values.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::answer::Failure;

/// Decodes a body into the model's type: not JSON, a wrong type or a field the API does not have
/// (Feishu answers 121003 for unknown fields) is a param error. Messages never echo values, which
/// may be passwords.
///
/// A body that is a JSON object of known fields only, the usual case, is read once, straight into
/// its type. Any other body (not JSON, not an object, a wrong type, a field the type ignores) is
/// read again by [`decode_checked`], which names what is wrong.
pub(crate) fn decode<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, Failure> {
    let is_object = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    if is_object {
        let mut ignored = false;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let typed = serde_ignored::deserialize(&mut de, |_| ignored = true)
            .and_then(|typed: T| de.end().map(|()| typed));
        if let Ok(typed) = typed
            && !ignored
        {
            return Ok(typed);
        }
    }
    decode_checked(bytes)
}

/// [`decode`] of a body that is not a JSON object of known fields: parsed as JSON, then into the
/// type, whose fields are compared with the body's to find one the type dropped (a field given
/// as `null` is not refused).
fn decode_checked<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, Failure> {
    let raw: Value = serde_json::from_slice(bytes).map_err(|e| {
        Failure::param(format!(
            "the body is not JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if !raw.is_object() {
        return Err(Failure::param("the body must be a JSON object"));
    }
    let typed: T = serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        if text.starts_with("missing field") || text.starts_with("duplicate field") {
            Failure::param(format!("the body {text}"))
        } else {
            Failure::param(format!(
                "the body does not match the schema (line {}, column {})",
                e.line(),
                e.column()
            ))
        }
    })?;
    let back = serde_json::to_value(&typed).map_err(Failure::internal)?;
    if let Some(path) = unknown_field(&raw, &back, "") {
        return Err(Failure::param(format!("{path}: unknown field")));
    }
    Ok(typed)
}

/// The path of the first non-null value of `raw` that the typed value dropped.
fn unknown_field(raw: &Value, typed: &Value, path: &str) -> Option<String> {
    match (raw, typed) {
        (Value::Object(raw), Value::Object(typed)) => raw.iter().find_map(|(key, value)| {
            if value.is_null() {
                return None;
            }
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match typed.get(key) {
                None => Some(here),
                Some(t) => unknown_field(value, t, &here),
            }
        }),
        (Value::Array(raw), Value::Array(typed)) => raw
            .iter()
            .zip(typed)
            .enumerate()
            .find_map(|(i, (r, t))| unknown_field(r, t, &format!("{path}[{i}]"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use feishu_vc_model::ApplyReserveBody;
    use serde_json::json;

    use super::*;

    #[test]
    fn unknown_fields_are_found_and_nulls_ignored() {
        let raw = json!({"meeting_settings": {"topic": "t", "invitees": ["x"]}, "owner_id": null});
        let typed = json!({"meeting_settings": {"topic": "t"}});
        assert_eq!(
            unknown_field(&raw, &typed, "").as_deref(),
            Some("meeting_settings.invitees")
        );
        let raw = json!({"a": [{"b": 1}, {"b": 1, "c": 2}]});
        let typed = json!({"a": [{"b": 1}, {"b": 1}]});
        assert_eq!(unknown_field(&raw, &typed, "").as_deref(), Some("a[1].c"));
    }

    fn decoded(body: &str) -> Result<ApplyReserveBody, String> {
        decode::<ApplyReserveBody>(body.as_bytes()).map_err(|f| f.msg)
    }

    #[test]
    fn a_body_of_known_fields_is_decoded_into_its_type() {
        let body = decoded(
            r#" {"end_time":"1700000000","owner_id":"ou_a","meeting_settings":{"topic":"t",
                "action_permissions":[{"permission":1,"permission_checkers":[{"check_field":1,
                "check_mode":1,"check_list":["ou_b"]}]}]},"unknown_but_null":null}"#,
        )
        .unwrap();
        assert_eq!(body.meeting_settings.topic.as_deref(), Some("t"));
        assert_eq!(body.owner_id.as_ref().map(|o| o.as_str()), Some("ou_a"));
    }

    #[test]
    fn every_body_the_type_does_not_fully_take_is_refused_with_its_reason() {
        let cases = [
            (
                r#"{"meeting_settings":{"topic":"t","invitees":["x"]}}"#,
                "meeting_settings.invitees: unknown field",
            ),
            (
                r#"{"meeting_settings":{"action_permissions":[{"permission":1,"extra":2}]}}"#,
                "meeting_settings.action_permissions[0].extra: unknown field",
            ),
            // A struct can be read from an array in field order; the API takes objects only.
            (r#"[{"topic":"t"}]"#, "the body must be a JSON object"),
            (
                r#"{"meeting_settings":{}} x"#,
                "the body is not JSON (line 1, column 25)",
            ),
            (
                r#"{"meeting_settings":{"topic":5}}"#,
                "the body does not match the schema (line 1, column 30)",
            ),
            (
                "{}",
                "the body missing field `meeting_settings` at line 1 column 2",
            ),
        ];
        for (body, msg) in cases {
            assert_eq!(
                decoded(body).unwrap_err(),
                format!("param error: {msg}"),
                "{body}"
            );
        }
    }
}
