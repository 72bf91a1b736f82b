//! Rust text: doc comments, string literals and identifiers.

use std::fmt::Write as _;

use serde_json::Value;

pub(super) fn description(v: &Value) -> &str {
    v.get("description").and_then(Value::as_str).unwrap_or("")
}

/// Escapes text for rustdoc: brackets and angle brackets outside code spans are escaped, bare URLs
/// become autolinks, and lines are trimmed so that nothing turns into a code block.
pub(super) fn doc_text(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part);
            continue;
        }
        let mut rest = part;
        while !rest.is_empty() {
            if let Some(pos) = rest.find("https://").or_else(|| rest.find("http://")) {
                out.push_str(&escape_md(&rest[..pos]));
                let url_len = rest[pos..]
                    .find(|c: char| {
                        c.is_whitespace()
                            || !c.is_ascii()
                            || matches!(c, ')' | ',' | '"' | '\'' | '<' | '>')
                    })
                    .unwrap_or(rest.len() - pos);
                let url = rest[pos..pos + url_len].trim_end_matches(['.', ';', ':']);
                let _ = write!(out, "<{url}>");
                rest = &rest[pos + url.len()..];
            } else {
                out.push_str(&escape_md(rest));
                rest = "";
            }
        }
    }
    out
}

pub(super) fn escape_md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '[' | ']' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(super) fn doc(out: &mut String, text: &str) {
    let text = doc_text(text);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let start = lines
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(start, |e| e + 1);
    for line in &lines[start..end] {
        if line.is_empty() {
            out.push_str("///\n");
        } else {
            let _ = writeln!(out, "/// {line}");
        }
    }
}

pub(super) fn rust_string(s: &str) -> String {
    format!("{s:?}")
}

/// The Rust identifier of a field: the name itself, or `r#name` for a keyword, strict or reserved
/// (syn knows which words are keywords; a hand-kept list missed the reserved ones). syn reads every
/// edition alike, so the words edition 2024 reserves on top are listed here.
pub(super) fn field_ident(name: &str) -> String {
    const EDITION_2024_RESERVED: &[&str] = &["gen"];
    if syn::parse_str::<syn::Ident>(name).is_ok() && !EDITION_2024_RESERVED.contains(&name) {
        name.to_owned()
    } else {
        format!("r#{name}")
    }
}

/// Refuses a field name that cannot be a Rust field even as a raw identifier (`self`, `crate` …).
pub(super) fn check_field_ident(name: &str, what: &str) -> Result<(), String> {
    check_ident(name, what)?;
    match syn::parse_str::<syn::Ident>(&field_ident(name)) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!("{what}: `{name}` cannot be a Rust field name")),
    }
}

pub(super) fn check_ident(name: &str, what: &str) -> Result<(), String> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("{what}: `{name}` is not a Rust identifier"))
    }
}
