//! Emits `types.rs`: one Rust type per schema of `components.schemas` (those of events aside),
//! and the enum and struct emitters the events emitter shares.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use heck::ToSnakeCase;
use serde_json::{Map, Value};

use super::rust::*;
use super::schema::*;

impl Model<'_> {
    pub(super) fn types(&self) -> Result<String, String> {
        let mut out = String::from(
            "//! Schemas of `components.schemas`: enums and structs.\n\n#[cfg(feature = \"validate\")]\nuse validator::Validate;\n\n",
        );
        for (name, s) in self.schemas {
            if !self.event_schemas.contains(name) {
                self.schema_item(&mut out, name, s)?;
            }
        }
        Ok(out)
    }

    /// One schema as a Rust enum or struct; nothing for a hand-written (`x-rust-type`) one.
    pub(super) fn schema_item(
        &self,
        out: &mut String,
        name: &str,
        s: &Value,
    ) -> Result<(), String> {
        check_ident(name, "schema")?;
        if s.get("x-rust-type").is_some() {
            Ok(())
        } else if self.is_int_enum(name) {
            self.int_enum(out, name, s)
        } else if self.is_str_enum(name) {
            self.str_enum(out, name, s)
        } else {
            self.structure(out, name, s)
        }
    }

    pub(super) fn int_enum(&self, out: &mut String, name: &str, s: &Value) -> Result<(), String> {
        let parts = self.enum_parts(name, s)?;
        let mut ints = Vec::new();
        for (v, var, _) in &parts {
            ints.push((
                v.as_i64()
                    .ok_or_else(|| format!("{name}: values must be integers"))?,
                *var,
            ));
        }
        doc(out, description(s));
        out.push_str("///\n/// An open enum: a number the schema does not list is kept as [`Self::Unknown`] and written back\n/// unchanged.\n");
        out.push_str("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n#[non_exhaustive]\n");
        let _ = writeln!(out, "pub enum {name} {{");
        for ((_, var, d), (v, _)) in parts.iter().zip(&ints) {
            doc(out, &format!("`{v}`: {d}"));
            let _ = writeln!(out, "{var},");
        }
        let _ = writeln!(
            out,
            "/// A value this version of feishu-vc does not know; [`{name}::value`] gives the number.\nUnknown(crate::UnknownValue),\n}}\n"
        );
        let _ = writeln!(out, "impl {name} {{");
        out.push_str(
            "/// The number on the wire.\npub const fn value(self) -> i64 {\nmatch self {\n",
        );
        for (v, var) in &ints {
            let _ = writeln!(out, "Self::{var} => {v},");
        }
        out.push_str("Self::Unknown(v) => v.0,\n}\n}\n\n");
        out.push_str("/// The variant for a wire number; numbers the schema does not list are kept.\npub const fn from_value(value: i64) -> Self {\nmatch value {\n");
        for (v, var) in &ints {
            let _ = writeln!(out, "{v} => Self::{var},");
        }
        out.push_str("other => Self::Unknown(crate::UnknownValue(other)),\n}\n}\n}\n\n");
        let list: Vec<String> = ints
            .iter()
            .map(|(v, var)| format!("({v}, {})", rust_string(var)))
            .collect();
        let _ = write!(
            out,
            "impl crate::IntEnum for {name} {{
fn value(self) -> i64 {{ {name}::value(self) }}
fn is_known(self) -> bool {{ !matches!(self, Self::Unknown(_)) }}
fn known_values() -> &'static [(i64, &'static str)] {{ &[{list}] }}
}}

impl From<i64> for {name} {{
fn from(value: i64) -> Self {{ Self::from_value(value) }}
}}

impl From<{name}> for i64 {{
fn from(value: {name}) -> Self {{ value.value() }}
}}

impl serde::Serialize for {name} {{
fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{
serializer.serialize_i64(self.value())
}}
}}

impl<'de> serde::Deserialize<'de> for {name} {{
fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{
crate::enums::deserialize_int(deserializer).map(Self::from_value)
}}
}}

",
            list = list.join(", ")
        );
        Ok(())
    }

    pub(super) fn str_enum(&self, out: &mut String, name: &str, s: &Value) -> Result<(), String> {
        let parts = self.enum_parts(name, s)?;
        let default = s.get("default").and_then(Value::as_str);
        // An enum that answers carry is open: a value the schema does not list is kept, as for
        // integer enums, so a new value Lark adds is read rather than refused.
        let open = self.lenient.contains(name);
        doc(out, description(s));
        if open {
            out.push_str("///\n/// An open enum: a value the schema does not list is kept as [`Self::Unknown`] and written back\n/// unchanged.\n");
        }
        let derive_default = if default.is_some() { ", Default" } else { "" };
        let copy = if open { "" } else { " Copy," };
        let _ = writeln!(
            out,
            "#[derive(Clone,{copy} Debug, PartialEq, Eq, Hash{derive_default})]\n#[non_exhaustive]\npub enum {name} {{"
        );
        let mut strs = Vec::new();
        for (v, var, d) in &parts {
            let v = v
                .as_str()
                .ok_or_else(|| format!("{name}: values must be strings"))?;
            let is_default = default == Some(v);
            doc(
                out,
                &format!(
                    "`{v}`{}: {d}",
                    if is_default { " (the default)" } else { "" }
                ),
            );
            if is_default {
                out.push_str("#[default]\n");
            }
            let _ = writeln!(out, "{var},");
            strs.push((v, *var));
        }
        if open {
            let _ = writeln!(
                out,
                "/// A value this version of feishu-vc does not know; [`{name}::as_str`] gives it.\nUnknown(crate::UnknownString),"
            );
        }
        out.push_str("}\n\n");
        let signature = if open {
            "fn as_str(&self) -> &str"
        } else {
            "const fn as_str(self) -> &'static str"
        };
        let _ = writeln!(
            out,
            "impl {name} {{\n/// The value on the wire.\npub {signature} {{\nmatch self {{"
        );
        for (v, var) in &strs {
            let _ = writeln!(out, "Self::{var} => {},", rust_string(v));
        }
        if open {
            out.push_str("Self::Unknown(v) => v.as_str(),\n");
        }
        out.push_str(
            "}\n}\n\n/// Every value the schema lists, in schema order.\npub const ALL: &'static [Self] = &[",
        );
        for (_, var) in &strs {
            let _ = write!(out, "Self::{var}, ");
        }
        out.push_str("];\n");
        if open {
            let _ = write!(
                out,
                "
/// The variant for a wire value; values the schema does not list are kept.
pub fn from_wire(value: &str) -> Self {{
Self::ALL.iter().find(|v| v.as_str() == value).cloned().unwrap_or_else(|| Self::Unknown(crate::UnknownString(value.to_owned())))
}}

/// Whether the schema lists this value.
pub fn is_known(&self) -> bool {{ !matches!(self, Self::Unknown(_)) }}
"
            );
        }
        out.push_str("}\n\n");
        let expected: Vec<String> = strs.iter().map(|(v, _)| format!("`{v}`")).collect();
        let read = if open {
            "Ok(Self::from_wire(&value))"
        } else {
            "value.parse().map_err(serde::de::Error::custom)"
        };
        let iter_find = if open {
            "Self::ALL.iter().find(|v| v.as_str() == value)"
        } else {
            "Self::ALL.iter().copied().find(|v| v.as_str() == value)"
        };
        let _ = write!(
            out,
            "impl std::fmt::Display for {name} {{
fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{ f.write_str(self.as_str()) }}
}}

/// Only the values the schema lists parse (answers are read with every value kept).
impl std::str::FromStr for {name} {{
type Err = crate::ParseEnumError;
fn from_str(value: &str) -> Result<Self, Self::Err> {{
{iter_find}{cloned}.ok_or_else(|| crate::ParseEnumError::new({ty}, value, {expected}))
}}
}}

impl serde::Serialize for {name} {{
fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{
serializer.serialize_str(self.as_str())
}}
}}

impl<'de> serde::Deserialize<'de> for {name} {{
fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{
let value = String::deserialize(deserializer)?;
{read}
}}
}}

",
            cloned = if open { ".cloned()" } else { "" },
            ty = rust_string(name),
            expected = rust_string(&expected.join(", ")),
        );
        if open {
            let list: Vec<String> = strs.iter().map(|(v, _)| rust_string(v)).collect();
            let _ = write!(
                out,
                "impl crate::StrEnum for {name} {{
fn is_known(&self) -> bool {{ {name}::is_known(self) }}
fn known_values() -> &'static [&'static str] {{ &[{list}] }}
}}

",
                list = list.join(", ")
            );
        }
        Ok(())
    }

    pub(super) fn structure(&self, out: &mut String, name: &str, s: &Value) -> Result<(), String> {
        let props = match s.get("properties") {
            Some(p) => obj(p, name)?.clone(),
            None => Map::new(),
        };
        let required: BTreeSet<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for r in &required {
            if !props.contains_key(*r) {
                return Err(format!("{name}: required property {r} is not defined"));
            }
        }
        let lenient = self.lenient.contains(name);
        let validated = self.validated.contains(name);
        // Required fields are plain (non-Option) only in request-only types.
        let plain = |field: &str| required.contains(field) && !lenient;
        let has_required = !required.is_empty();

        struct F {
            json: String,
            ident: String,
            ft: FieldType,
            optional: bool,
            required: bool,
            p: Value,
        }
        let mut fields = Vec::new();
        for (json, p) in &props {
            check_field_ident(json, name)?;
            let ft = self.field_type(p, &format!("{name}.{json}"))?;
            fields.push(F {
                json: json.clone(),
                ident: field_ident(json),
                optional: !plain(json),
                required: required.contains(json.as_str()),
                ft,
                p: p.clone(),
            });
        }

        // Struct-level rules: item counts (a field-level rule would hide the items' violations).
        let mut helpers = String::new();
        let mut struct_rules = Vec::new();
        let mut field_rules: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // The same rules as plain checks, for `SchemaValid`: a valid value costs the checks only.
        let mut checks = Vec::new();
        if validated {
            for f in &fields {
                let ident = &f.ident;
                // A rule on one value holds for an absent optional field, as `validator`'s does.
                let on_value = |check: &str| {
                    if f.optional {
                        format!("self.{ident}.as_ref().is_none_or(|v| {check}(v).is_ok())")
                    } else {
                        format!("{check}(&self.{ident}).is_ok()")
                    }
                };
                let code =
                    f.p.get("x-error-code")
                        .and_then(Value::as_i64)
                        .unwrap_or(DEFAULT_CODE);
                let rule = f.p.get("x-rule").and_then(Value::as_str);
                let rules = field_rules.entry(f.json.clone()).or_default();
                if f.required && f.optional {
                    rules.push(format!(
                        "required(code = \"{DEFAULT_CODE}\", message = \"is required\")"
                    ));
                    checks.push(format!("self.{ident}.is_some()"));
                }
                if let Some(target) = &f.ft.target {
                    if self.is_struct(target) && self.validated.contains(target) {
                        rules.push("nested".to_owned());
                        checks.push(format!(
                            "crate::validation::SchemaValid::schema_valid(&self.{ident})"
                        ));
                    } else if self.is_int_enum(target) && f.ft.item.is_none() {
                        rules.push(format!("custom(function = \"crate::validation::known_value\", code = \"{code}\")"));
                        checks.push(on_value("crate::validation::known_value"));
                    } else if self.is_str_enum(target)
                        && self.lenient.contains(target)
                        && f.ft.item.is_none()
                    {
                        rules.push(format!(
                            "custom(function = \"crate::validation::known_str\", code = \"{code}\")"
                        ));
                        checks.push(on_value("crate::validation::known_str"));
                    }
                }
                let fn_base = format!("{}_{}", name.to_snake_case(), f.json);
                if let Some(min) = f.p.get("minLength").and_then(Value::as_u64) {
                    let fn_name = format!("validate_min_length_{fn_base}");
                    let message = rule.map_or_else(
                        || format!("must have at least {min} characters"),
                        str::to_owned,
                    );
                    let _ = write!(
                        helpers,
                        "#[cfg(feature = \"validate\")]\nfn {fn_name}(value: &{ty}) -> Result<(), validator::ValidationError> {{\ncrate::validation::min_length(value, {min})\n}}\n\n",
                        ty = f.ft.ty
                    );
                    rules.push(format!(
                        "custom(function = \"{fn_name}\", code = \"{code}\", message = {})",
                        rust_string(&message)
                    ));
                    checks.push(on_value(&fn_name));
                }
                if let Some(pattern) = f.p.get("pattern").and_then(Value::as_str) {
                    let fn_name = format!("validate_pattern_{fn_base}");
                    let message =
                        rule.map_or_else(|| format!("must match {pattern}"), str::to_owned);
                    let _ = write!(
                        helpers,
                        "#[cfg(feature = \"validate\")]\nfn {fn_name}(value: &{ty}) -> Result<(), validator::ValidationError> {{\nstatic PATTERN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new({pat}).expect(\"the schema's pattern compiles\"));\ncrate::validation::matches(value, &PATTERN)\n}}\n\n",
                        ty = f.ft.ty,
                        pat = rust_string(pattern)
                    );
                    rules.push(format!(
                        "custom(function = \"{fn_name}\", code = \"{code}\", message = {})",
                        rust_string(&message)
                    ));
                    checks.push(on_value(&fn_name));
                }
                let min_items = f.p.get("minItems").and_then(Value::as_u64);
                let max_items = f.p.get("maxItems").and_then(Value::as_u64);
                if min_items.is_some() || max_items.is_some() {
                    let fn_name = format!("validate_items_{fn_base}");
                    let message =
                        rule.map(str::to_owned)
                            .unwrap_or_else(|| match (min_items, max_items) {
                                (Some(a), Some(b)) => format!("must have {a} to {b} items"),
                                (Some(a), None) => format!("must have at least {a} items"),
                                (_, Some(b)) => format!("must have at most {b} items"),
                                (None, None) => String::new(),
                            });
                    let list = if f.optional {
                        format!("value.{}.as_deref()", f.ident)
                    } else {
                        format!("Some(value.{}.as_slice())", f.ident)
                    };
                    let opt = |v: Option<u64>| {
                        v.map_or_else(|| "None".to_owned(), |v| format!("Some({v})"))
                    };
                    let _ = write!(
                        helpers,
                        "#[cfg(feature = \"validate\")]\nfn {fn_name}(value: &{name}) -> Result<(), validator::ValidationError> {{\ncrate::validation::item_count({list}, {json}, {min}, {max}, \"{code}\", {message})\n}}\n\n",
                        json = rust_string(&f.json),
                        min = opt(min_items),
                        max = opt(max_items),
                        message = rust_string(&message),
                    );
                    struct_rules.push(format!(
                        "schema(function = \"{fn_name}\", skip_on_field_errors = false)"
                    ));
                    checks.push(format!("{fn_name}(self).is_ok()"));
                }
            }
        }

        doc(out, description(s));
        if has_required {
            let _ = writeln!(
                out,
                "///\n/// Build it with [`{name}::new`], which takes the required fields."
            );
        }
        let mut derives = vec![
            "Clone",
            "Debug",
            "PartialEq",
            "serde::Serialize",
            "serde::Deserialize",
        ];
        // An event's types are compared and built by receivers and tests: `Eq` (events carry no
        // floats) and `Default` (a required field of an event is a string or a list).
        let event = self.event_schemas.contains(name);
        if event && fields.iter().all(|f| !f.ft.ty.contains("f64")) {
            derives.insert(3, "Eq");
        }
        let defaultable = fields
            .iter()
            .all(|f| f.optional || f.ft.ty == "String" || f.ft.item.is_some());
        if (fields.iter().all(|f| f.optional) && !has_required) || (event && defaultable) {
            derives.push("Default");
        }
        let _ = writeln!(out, "#[derive({})]", derives.join(", "));
        if validated {
            out.push_str("#[cfg_attr(feature = \"validate\", derive(validator::Validate))]\n");
            for r in &struct_rules {
                let _ = writeln!(out, "#[cfg_attr(feature = \"validate\", validate({r}))]");
            }
        }
        let _ = writeln!(out, "#[non_exhaustive]\npub struct {name} {{");
        for f in &fields {
            let mut text = description(&f.p).to_owned();
            if f.required {
                text.push_str("\n\nRequired.");
            }
            doc(out, &text);
            if f.ft.int64 {
                out.push_str("#[serde(default, skip_serializing_if = \"Option::is_none\", with = \"crate::wire::int64_string\")]\n");
            } else if f.optional {
                out.push_str("#[serde(default, skip_serializing_if = \"Option::is_none\")]\n");
            }
            if let Some(rules) = field_rules.get(&f.json).filter(|r| !r.is_empty()) {
                let _ = writeln!(
                    out,
                    "#[cfg_attr(feature = \"validate\", validate({}))]",
                    rules.join(", ")
                );
            }
            if f.ft.int64 && !f.optional {
                return Err(format!(
                    "{name}.{}: a required int64 string is not supported",
                    f.json
                ));
            }
            let ty = if f.optional {
                format!("Option<{}>", f.ft.ty)
            } else {
                f.ft.ty.clone()
            };
            let _ = writeln!(out, "pub {}: {ty},", f.ident);
        }
        out.push_str("}\n\n");

        // Constructor and setters.
        let _ = writeln!(out, "impl {name} {{");
        if has_required {
            let mut generics = Vec::new();
            let mut args = Vec::new();
            let mut inits = Vec::new();
            let mut arg_docs = Vec::new();
            for f in &fields {
                let init = if f.required {
                    let arg = f.json.trim_start_matches("r#").to_owned();
                    let (conv, ty) = match &f.ft.item {
                        Some(item) => {
                            let g = format!("V{}", generics.len());
                            generics.push(format!("{g}: Into<{item}>"));
                            (
                                format!("{arg}.into_iter().map(Into::into).collect()"),
                                format!("impl IntoIterator<Item = {g}>"),
                            )
                        }
                        None if matches!(f.ft.ty.as_str(), "i64" | "bool" | "f64") => {
                            (arg.clone(), f.ft.ty.clone())
                        }
                        None => (format!("{arg}.into()"), format!("impl Into<{}>", f.ft.ty)),
                    };
                    args.push(format!("{}: {ty}", field_ident(&arg)));
                    arg_docs.push(format!("`{}`", f.json));
                    let conv = conv.replace(&format!("{arg}."), &format!("{}.", field_ident(&arg)));
                    let conv = if conv == arg { field_ident(&arg) } else { conv };
                    if f.optional {
                        format!("Some({conv})")
                    } else {
                        conv
                    }
                } else {
                    "None".to_owned()
                };
                inits.push(format!("{}: {init}", f.ident));
            }
            let generics = if generics.is_empty() {
                String::new()
            } else {
                format!("<{}>", generics.join(", "))
            };
            let _ = writeln!(
                out,
                "/// A value with the required fields ({}) set and every other field absent.\npub fn new{generics}({}) -> Self {{\nSelf {{ {} }}\n}}\n",
                arg_docs.join(", "),
                args.join(", "),
                inits.join(", ")
            );
        }
        for f in &fields {
            let (generics, arg, conv) = self.setter_arg(&f.ft);
            let value = if f.optional {
                format!("Some({conv})")
            } else {
                conv
            };
            let setter = format!("set_{}", f.json);
            let link = if f.ident.starts_with("r#") {
                format!("`{}`", f.json)
            } else {
                format!("[`Self::{}`]", f.ident)
            };
            let _ = writeln!(
                out,
                "/// Sets {link}.\npub fn {setter}{generics}(mut self, value: {arg}) -> Self {{\nself.{} = {value};\nself\n}}\n",
                f.ident
            );
        }
        out.push_str("}\n\n");
        if validated {
            let all = if checks.is_empty() {
                "true".to_owned()
            } else {
                checks.join(" && ")
            };
            let _ = write!(
                out,
                "#[cfg(feature = \"validate\")]\nimpl crate::validation::SchemaValid for {name} {{\nfn schema_valid(&self) -> bool {{\n{all}\n}}\n}}\n\n"
            );
        }
        out.push_str(&helpers);
        Ok(())
    }
}
