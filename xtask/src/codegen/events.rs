//! Emits `events.rs`: the types reachable only from `webhooks`, and `Event`, one variant per event
//! type plus `Other` for a type the schema does not list (kept as raw JSON).

use std::fmt::Write as _;

use serde_json::Value;

use super::rust::*;
use super::schema::*;

impl Model<'_> {
    pub(super) fn events(&self) -> Result<String, String> {
        let mut out = String::from(
            "//! Event bodies of `webhooks` and [`Event`], read by `header.event_type`.\n\n#[allow(unused_imports)]\nuse super::types::*;\n\n",
        );
        for name in &self.event_schemas {
            self.schema_item(&mut out, name, self.schema(name)?)?;
        }
        self.event_enum(&mut out)?;
        Ok(out)
    }

    /// The schema that every event's `meeting` property refers to, if any event has one.
    fn meeting_schema(&self) -> Result<Option<&str>, String> {
        let mut found: Option<&str> = None;
        for e in &self.events {
            let Some(p) = self.schema(e.body)?.pointer("/properties/meeting") else {
                continue;
            };
            let target =
                ref_name(p).ok_or_else(|| format!("{}: `meeting` must be a $ref", e.body))?;
            match found {
                Some(f) if f != target => {
                    return Err(format!(
                        "{}: `meeting` refers to {target}, other events to {f}",
                        e.body
                    ));
                }
                _ => found = Some(target),
            }
        }
        Ok(found)
    }

    fn event_enum(&self, out: &mut String) -> Result<(), String> {
        let mut variants = Vec::new();
        for e in &self.events {
            check_ident(e.rust_name, e.event_type)?;
            if e.rust_name == "Other" {
                return Err(format!(
                    "{}: `Other` is reserved for unlisted event types",
                    e.event_type
                ));
            }
            if variants.iter().any(|(v, _)| *v == e.rust_name) {
                return Err(format!(
                    "{}: x-rust-name {} is used twice",
                    e.event_type, e.rust_name
                ));
            }
            variants.push((e.rust_name, e));
        }
        out.push_str("/// One event, by its type (`header.event_type`).\n///\n/// An event type the schema does not list is kept as [`Event::Other`] with its raw JSON, so a\n/// new Feishu event never breaks a receiver.\n#[derive(Clone, Debug, PartialEq, Eq)]\n#[non_exhaustive]\npub enum Event {\n");
        for (var, e) in &variants {
            let summary = e.raw.get("summary").and_then(Value::as_str).unwrap_or("");
            doc(
                out,
                &format!(
                    "`{}`: {summary}\n\n{}",
                    e.event_type,
                    description(&Value::Object(e.raw.clone()))
                ),
            );
            let _ = writeln!(out, "{var}({}),", e.body);
        }
        out.push_str(
            "/// Any other event type, kept as raw JSON.\nOther(crate::event_body::OtherEvent),\n}\n\n",
        );

        out.push_str("impl Event {\n/// Every event type the schema lists, in order.\npub const KNOWN_TYPES: &'static [&'static str] = &[");
        for (_, e) in &variants {
            let _ = write!(out, "{}, ", rust_string(e.event_type));
        }
        out.push_str("];\n\n");
        // Text is decoded straight into the body's type; only an unknown type becomes a `Value`.
        for (name, doc_text, arg, decode, raw) in [
            (
                "from_json",
                "/// Reads the `event` object (JSON text) of a delivery whose type is `event_type`. A type the\n/// schema does not list becomes [`Event::Other`]; a listed type whose object does not fit is an\n/// error that names the field.",
                "&str",
                "decode_str",
                "serde_json::from_str(event)?",
            ),
            (
                "from_value",
                "/// [`Event::from_json`] for an `event` object already parsed.",
                "serde_json::Value",
                "decode",
                "event",
            ),
        ] {
            let _ = writeln!(
                out,
                "{doc_text}\npub fn {name}(event_type: &str, event: {arg}) -> Result<Self, serde_json::Error> {{\nOk(match event_type {{"
            );
            for (var, e) in &variants {
                let _ = writeln!(
                    out,
                    "{} => Self::{var}(crate::event_body::{decode}(event)?),",
                    rust_string(e.event_type)
                );
            }
            let event = if raw == "event" {
                "event".to_owned()
            } else {
                format!("event: {raw}")
            };
            let _ = writeln!(
                out,
                "other => Self::Other(crate::event_body::OtherEvent {{ event_type: other.to_owned(), {event} }}),\n}})\n}}\n"
            );
        }
        out.push_str("/// The event type, as in `header.event_type`.\npub fn event_type(&self) -> &str {\nmatch self {\n");
        for (var, e) in &variants {
            let _ = writeln!(out, "Self::{var}(_) => {},", rust_string(e.event_type));
        }
        out.push_str("Self::Other(o) => &o.event_type,\n}\n}\n\n");
        if let Some(meeting) = self.meeting_schema()? {
            let _ = writeln!(
                out,
                "/// The meeting the event is about, for the events that carry one.\npub fn meeting(&self) -> Option<&{meeting}> {{\nmatch self {{"
            );
            for (var, e) in &variants {
                if self
                    .schema(e.body)?
                    .pointer("/properties/meeting")
                    .is_some()
                {
                    let _ = writeln!(out, "Self::{var}(e) => e.meeting.as_ref(),");
                } else {
                    let _ = writeln!(out, "Self::{var}(_) => None,");
                }
            }
            out.push_str("Self::Other(_) => None,\n}\n}\n\n");
        }
        out.push_str("/// The `event` object as JSON, as it would be delivered.\npub fn to_json(&self) -> serde_json::Value {\nlet value = match self {\n");
        for (var, _) in &variants {
            let _ = writeln!(out, "Self::{var}(e) => serde_json::to_value(e),");
        }
        out.push_str("Self::Other(o) => Ok(o.event.clone()),\n};\n// The event types serialize plain fields only; this cannot fail.\nvalue.unwrap_or(serde_json::Value::Null)\n}\n}\n");
        Ok(())
    }
}
