//! JSON the user gives (`--body`), read strictly.
//!
//! The model's types read answers leniently, ignoring fields they do not know, so that a new field
//! in an answer breaks nothing. Input is the other way round: a misspelled field (`"pasword"`)
//! silently dropped would book a meeting the user did not ask for. Every field the types ignore is
//! refused here with its JSON path, and a type error names its path and the expected type, never
//! the value (it may be a password).

use serde::de::DeserializeOwned;

/// Reads `text` as a `T`, refusing unknown fields. `what` names the input in messages (`--body`).
pub(crate) fn parse_strict<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
    let mut unknown = Vec::new();
    let mut json = serde_json::Deserializer::from_str(text);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(
        &mut json,
        &mut |path: serde_ignored::Path<'_>| unknown.push(ignored_path(&path)),
    ));
    let value = match parsed {
        Ok(value) => value,
        Err(e) => {
            let path = e.path().to_string();
            return Err(describe(what, &path, e.inner()));
        }
    };
    json.end().map_err(|e| describe(what, ".", &e))?;
    if !unknown.is_empty() {
        let fields = unknown
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let noun = if unknown.len() == 1 {
            "field"
        } else {
            "fields"
        };
        return Err(format!(
            "{what}: unknown {noun} {fields} (misspelled? the API does not know it; nothing was sent)"
        ));
    }
    Ok(value)
}

/// Says what is wrong and where, without the value.
fn describe(what: &str, path: &str, e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {} column {}", e.line(), e.column());
    match e.classify() {
        Category::Io => format!("{what}: could not be read: {e}"),
        Category::Syntax | Category::Eof => {
            format!("{what}: not valid JSON at {at} (nothing was sent)")
        }
        Category::Data => {
            let message = e.to_string();
            let field = if path == "." {
                "the body".to_owned()
            } else {
                format!("`{path}`")
            };
            let why = if let Some(missing) = message.strip_prefix("missing field ") {
                // `missing field `x` at line..`: the field's name, not a value.
                let name = missing.split(" at line").next().unwrap_or(missing);
                format!("lacks the required field {name}")
            } else {
                match expected(&message) {
                    Some(expected) => format!("must be {expected}"),
                    None => "has a value of the wrong type or form".to_owned(),
                }
            };
            format!("{what}: {field} {why} ({at}; the value is not shown; nothing was sent)")
        }
    }
}

/// The `expected ...` part of a serde message (`invalid type: integer `971024`, expected a
/// string`): it describes the type, while the part before it may quote the value.
fn expected(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once(", expected ")?;
    Some(rest.split(" at line ").next().unwrap_or(rest))
}

/// `meeting_settings.assign_host_list[0].idd`, from serde_ignored's path.
fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        Path::Map { parent, key } => {
            let parent = ignored_path(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}

#[cfg(test)]
mod tests {
    use feishu_vc::model::{ApplyReserveBody, UpdateReserveBody};

    use super::*;

    #[test]
    fn unknown_fields_are_refused_with_their_paths() {
        let e = parse_strict::<ApplyReserveBody>(
            r#"{"end_time":"1764000000","meeting_settings":{"topic":"t","pasword":"971024",
                "assign_host_list":[{"id":"ou_a","idd":"x"}]},"ownr":"ou_b"}"#,
            "--body",
        )
        .unwrap_err();
        assert!(e.contains("`meeting_settings.pasword`"), "{e}");
        assert!(
            e.contains("`meeting_settings.assign_host_list[0].idd`"),
            "{e}"
        );
        assert!(e.contains("`ownr`"), "{e}");
        assert!(!e.contains("971024"), "{e}");
    }

    #[test]
    fn known_fields_are_read() {
        let body: UpdateReserveBody = parse_strict(
            r#"{"meeting_settings":{"topic":"t","auto_record":false}}"#,
            "--body",
        )
        .unwrap();
        assert_eq!(body.meeting_settings.unwrap().auto_record, Some(false));
    }

    #[test]
    fn a_type_error_names_the_path_and_type_but_never_the_value() {
        let e = parse_strict::<ApplyReserveBody>(
            r#"{"meeting_settings":{"password":971024}}"#,
            "--body",
        )
        .unwrap_err();
        assert!(e.contains("`meeting_settings.password`"), "{e}");
        assert!(e.contains("must be a string"), "{e}");
        assert!(!e.contains("971024"), "{e}");
    }

    #[test]
    fn bad_json_and_trailing_text_are_refused() {
        let e = parse_strict::<UpdateReserveBody>("{\"end_time\":", "--body").unwrap_err();
        assert!(e.contains("not valid JSON"), "{e}");
        let e = parse_strict::<UpdateReserveBody>("{} {}", "--body").unwrap_err();
        assert!(e.contains("not valid JSON"), "{e}");
    }
}
