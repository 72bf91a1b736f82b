//! Emits `error_codes.rs`: `ErrorCode` from the `x-error-codes` table.

use std::fmt::Write as _;

use super::rust::*;
use super::schema::*;

impl Model<'_> {
    pub(super) fn error_codes(&self) -> Result<String, String> {
        let mut out = String::from(
            "//! The error codes documented for the reserve API and the platform.\n\n",
        );
        let rows = &self.error_codes;
        out.push_str("/// An error code from the body of a response (`code` other than 0).\n///\n/// An open enum: a code the schema does not list is kept as [`Self::Unknown`].\n#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n#[non_exhaustive]\npub enum ErrorCode {\n");
        for CodeRow {
            code,
            name,
            msg,
            status,
            desc,
            advice,
        } in rows
        {
            let status = status.map_or_else(String::new, |s| format!(", HTTP {s}"));
            let mut text = if msg.is_empty() {
                format!("`{code}`{status}: {desc}")
            } else {
                format!("`{code}` {msg}{status}: {desc}")
            };
            if !advice.is_empty() {
                text.push_str("\n\nAdvice: ");
                text.push_str(advice);
            }
            doc(&mut out, &text);
            let _ = writeln!(out, "{name},");
        }
        out.push_str("/// A code this version of feishu-vc does not know; [`ErrorCode::code`] gives the number.\nUnknown(crate::UnknownValue),\n}\n\nimpl ErrorCode {\n");
        out.push_str(
            "/// Every known code, in ascending order.\npub const ALL: &'static [ErrorCode] = &[",
        );
        for r in rows {
            let _ = write!(out, "Self::{}, ", r.name);
        }
        out.push_str(
            "];\n\n/// The number on the wire.\npub const fn code(self) -> i64 {\nmatch self {\n",
        );
        for r in rows {
            let _ = writeln!(out, "Self::{} => {},", r.name, r.code);
        }
        out.push_str("Self::Unknown(v) => v.0,\n}\n}\n\n/// The variant for a code; codes the schema does not list are kept.\npub const fn from_code(code: i64) -> Self {\nmatch code {\n");
        for r in rows {
            let _ = writeln!(out, "{} => Self::{},", r.code, r.name);
        }
        out.push_str("other => Self::Unknown(crate::UnknownValue(other)),\n}\n}\n\n");
        let mut table = |fn_name: &str,
                         doc_line: &str,
                         ty: &str,
                         f: &dyn Fn(&CodeRow<'_>) -> Option<String>| {
            let _ = writeln!(
                out,
                "/// {doc_line}\npub const fn {fn_name}(self) -> Option<{ty}> {{\nmatch self {{"
            );
            for r in rows {
                if let Some(v) = f(r) {
                    let _ = writeln!(out, "Self::{} => Some({v}),", r.name);
                }
            }
            out.push_str("_ => None,\n}\n}\n\n");
        };
        table(
            "msg",
            "The documented `msg`, where Lark documents one.",
            "&'static str",
            &|r| (!r.msg.is_empty()).then(|| rust_string(r.msg)),
        );
        table(
            "http_status",
            "The HTTP status the code is documented to arrive with.",
            "u16",
            &|r| r.status.map(|s| s.to_string()),
        );
        table(
            "description",
            "What the code means (English, then the Chinese of Lark's docs).",
            "&'static str",
            &|r| (!r.desc.is_empty()).then(|| rust_string(r.desc)),
        );
        table(
            "advice",
            "What to do about it (English, then Lark's 排查建议).",
            "&'static str",
            &|r| (!r.advice.is_empty()).then(|| rust_string(r.advice)),
        );
        out.push_str("}\n\n");
        out.push_str(
            "impl From<i64> for ErrorCode {\nfn from(code: i64) -> Self { Self::from_code(code) }\n}\n\nimpl serde::Serialize for ErrorCode {\nfn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {\nserializer.serialize_i64(self.code())\n}\n}\n\nimpl<'de> serde::Deserialize<'de> for ErrorCode {\nfn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {\ncrate::enums::deserialize_int(deserializer).map(Self::from_code)\n}\n}\n",
        );
        Ok(out)
    }

    pub(super) fn error_variant(&self, code: i64) -> Result<String, String> {
        self.error_codes
            .iter()
            .find(|r| r.code == code)
            .map(|r| format!("crate::ErrorCode::{}", r.name))
            .ok_or_else(|| format!("error code {code} is not in the top-level x-error-codes table"))
    }
}
