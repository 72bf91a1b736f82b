//! Reading the schema into the form the emitters work from: the schemas by name (with which are
//! shared with responses, which are validated and which belong to events), the operations, the
//! webhooks (events) and the error-code table.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

pub(super) const REF_PREFIX: &str = "#/components/schemas/";
pub(super) const PARAM_PREFIX: &str = "#/components/parameters/";
pub(super) const DEFAULT_CODE: i64 = 121_003;

pub(super) struct Model<'a> {
    pub(super) schemas: &'a Map<String, Value>,
    /// The top-level `x-error-codes` table, by code.
    pub(super) error_codes: Vec<CodeRow<'a>>,
    pub(super) operations: Vec<Op<'a>>,
    /// Schemas reachable from a response: every property is optional in Rust.
    pub(super) lenient: BTreeSet<String>,
    /// Schemas reachable from a request: they get validation rules.
    pub(super) validated: BTreeSet<String>,
    /// The events of `webhooks`, in event-type order.
    pub(super) events: Vec<Hook<'a>>,
    /// Schemas reachable from events and from no operation: emitted beside the events, read as
    /// delivered (required fields plain, the rest optional) and never validated.
    pub(super) event_schemas: BTreeSet<String>,
}

/// One event of `webhooks`: the key is the event type (`header.event_type`); the body is the
/// `event` property of the request schema, `allOf` the envelope (an `x-rust-type` schema).
pub(super) struct Hook<'a> {
    pub(super) event_type: &'a str,
    pub(super) rust_name: &'a str,
    pub(super) raw: &'a Map<String, Value>,
    /// The schema of the `event` object.
    pub(super) body: &'a str,
    /// The envelope schema.
    pub(super) envelope: &'a str,
}

pub(super) struct Op<'a> {
    pub(super) id: &'a str,
    pub(super) rust_name: &'a str,
    pub(super) method: &'a str,
    pub(super) path: &'a str,
    pub(super) raw: &'a Map<String, Value>,
    pub(super) params: Vec<&'a Map<String, Value>>,
    pub(super) body: Option<String>,
    pub(super) response: Response,
}

pub(super) enum Response {
    Envelope(String),
    Plain(String),
}

pub(super) fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what} must be an object"))
}

pub(super) fn str_of<'a>(
    v: &'a Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<&'a str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{what}: `{key}` must be a string"))
}

pub(super) fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?.as_str()?.strip_prefix(REF_PREFIX)
}

impl<'a> Model<'a> {
    pub(super) fn read(doc: &'a Value) -> Result<Self, String> {
        let components = obj(doc.get("components").unwrap_or(&Value::Null), "components")?;
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let empty = EMPTY.get_or_init(Map::new);
        let schemas = match components.get("schemas") {
            Some(v) => obj(v, "components.schemas")?,
            None => empty,
        };
        let parameters = match components.get("parameters") {
            Some(v) => obj(v, "components.parameters")?,
            None => empty,
        };
        let error_codes = read_error_codes(doc)?;
        let mut operations = Vec::new();
        let paths = obj(doc.get("paths").unwrap_or(&Value::Null), "paths")?;
        for (path, item) in paths {
            for (method, op) in obj(item, path)? {
                if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                    continue;
                }
                let what = format!("{method} {path}");
                let raw = obj(op, &what)?;
                let mut params = Vec::new();
                for p in raw
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice)
                {
                    let p = match p.get("$ref").and_then(Value::as_str) {
                        Some(r) => {
                            let name = r
                                .strip_prefix(PARAM_PREFIX)
                                .ok_or_else(|| format!("{what}: bad $ref {r}"))?;
                            parameters
                                .get(name)
                                .ok_or_else(|| format!("{what}: no parameter {name}"))?
                        }
                        None => p,
                    };
                    params.push(obj(p, &what)?);
                }
                let body = match raw.pointer_get("requestBody/content/application~1json/schema") {
                    Some(s) => Some(
                        ref_name(s)
                            .ok_or_else(|| format!("{what}: request body must be a $ref"))?
                            .to_owned(),
                    ),
                    None => None,
                };
                let schema = raw
                    .pointer_get("responses/200/content/application~1json/schema")
                    .ok_or_else(|| format!("{what}: no 200 application/json response"))?;
                let response = response_of(schema, schemas).ok_or_else(|| {
                    format!(
                        "{what}: the 200 response must be a $ref or the ApiResponse allOf envelope"
                    )
                })?;
                operations.push(Op {
                    id: str_of(raw, "operationId", &what)?,
                    rust_name: str_of(raw, "x-rust-name", &what)?,
                    method,
                    path,
                    raw,
                    params,
                    body,
                    response,
                });
            }
        }
        operations.sort_by(|a, b| a.id.cmp(b.id));
        let events = read_hooks(doc, schemas)?;
        let mut model = Model {
            schemas,
            error_codes,
            operations,
            lenient: BTreeSet::new(),
            validated: BTreeSet::new(),
            events,
            event_schemas: BTreeSet::new(),
        };
        let mut from_responses = Vec::new();
        let mut from_requests = Vec::new();
        for op in &model.operations {
            match &op.response {
                Response::Envelope(n) | Response::Plain(n) => from_responses.push(n.clone()),
            }
            if let Some(b) = &op.body {
                from_requests.push(b.clone());
            }
        }
        // The envelope's error object is part of every response.
        for s in schemas.values() {
            if s.get("x-rust-type").and_then(Value::as_str) == Some("ApiResponse") {
                model.reach(s, &mut from_responses);
            }
        }
        model.lenient = model.closure(from_responses);
        model.validated = model.closure(from_requests);
        let from_events = model
            .events
            .iter()
            .flat_map(|e| [e.body.to_owned(), e.envelope.to_owned()])
            .collect();
        model.event_schemas = model
            .closure(from_events)
            .into_iter()
            .filter(|n| !model.lenient.contains(n) && !model.validated.contains(n))
            .collect();
        Ok(model)
    }

    pub(super) fn reach(&self, schema: &Value, out: &mut Vec<String>) {
        if let Some(name) = ref_name(schema) {
            out.push(name.to_owned());
        }
        if let Some(items) = schema.get("items") {
            self.reach(items, out);
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for s in all {
                self.reach(s, out);
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for p in props.values() {
                self.reach(p, out);
            }
        }
    }

    pub(super) fn closure(&self, roots: Vec<String>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = roots;
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(s) = self.schemas.get(&name) {
                self.reach(s, &mut todo);
            }
        }
        seen
    }

    pub(super) fn schema(&self, name: &str) -> Result<&'a Value, String> {
        self.schemas
            .get(name)
            .ok_or_else(|| format!("no schema named {name}"))
    }

    /// An enum schema's values with their variant names and descriptions, checked to line up.
    pub(super) fn enum_parts<'v>(
        &self,
        name: &str,
        s: &'v Value,
    ) -> Result<Vec<(&'v Value, &'v str, &'v str)>, String> {
        let values = s
            .get("enum")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{name}: enum must be an array"))?;
        let names = s
            .get("x-enum-varnames")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{name}: x-enum-varnames missing"))?;
        let docs = s.get("x-enum-descriptions").and_then(Value::as_array);
        if names.len() != values.len() || docs.is_some_and(|d| d.len() != values.len()) {
            return Err(format!(
                "{name}: enum, x-enum-varnames and x-enum-descriptions differ in length"
            ));
        }
        let mut parts = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let var = names[i]
                .as_str()
                .ok_or_else(|| format!("{name}: varnames must be strings"))?;
            super::rust::check_ident(var, name)?;
            if var == "Unknown" {
                return Err(format!("{name}: `Unknown` is reserved for unlisted values"));
            }
            let d = docs.and_then(|d| d[i].as_str()).unwrap_or("");
            parts.push((v, var, d));
        }
        Ok(parts)
    }

    pub(super) fn is_int_enum(&self, name: &str) -> bool {
        self.schemas.get(name).is_some_and(|s| {
            s.get("enum").is_some() && s.get("type").and_then(Value::as_str) == Some("integer")
        })
    }

    pub(super) fn is_str_enum(&self, name: &str) -> bool {
        self.schemas.get(name).is_some_and(|s| {
            s.get("enum").is_some() && s.get("type").and_then(Value::as_str) == Some("string")
        })
    }

    pub(super) fn is_struct(&self, name: &str) -> bool {
        self.schemas
            .get(name)
            .is_some_and(|s| s.get("enum").is_none())
    }
}

/// One row of the top-level `x-error-codes` table.
pub(super) struct CodeRow<'a> {
    pub(super) code: i64,
    pub(super) name: &'a str,
    pub(super) msg: &'a str,
    pub(super) status: Option<u64>,
    pub(super) desc: &'a str,
    pub(super) advice: &'a str,
}

fn read_error_codes(doc: &Value) -> Result<Vec<CodeRow<'_>>, String> {
    let mut rows = Vec::new();
    for e in doc
        .get("x-error-codes")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
    {
        let e = obj(e, "x-error-codes[]")?;
        let name = str_of(e, "name", "x-error-codes[]")?;
        super::rust::check_ident(name, "x-error-codes[]")?;
        let text = |key| e.get(key).and_then(Value::as_str).unwrap_or("");
        rows.push(CodeRow {
            code: e
                .get("code")
                .and_then(Value::as_i64)
                .ok_or("x-error-codes[]: code must be an integer")?,
            name,
            msg: text("msg"),
            status: e.get("http_status").and_then(Value::as_u64),
            desc: text("description"),
            advice: text("advice"),
        });
    }
    rows.sort_by_key(|r| r.code);
    Ok(rows)
}

/// Reads `webhooks`: each entry's `post` request body is `allOf` the envelope `$ref` (a schema with
/// `x-rust-type`) and an object whose `event` property is a `$ref` to the body.
fn read_hooks<'a>(
    doc: &'a Value,
    schemas: &'a Map<String, Value>,
) -> Result<Vec<Hook<'a>>, String> {
    let Some(hooks) = doc.get("webhooks") else {
        return Ok(Vec::new());
    };
    let mut events = Vec::new();
    for (event_type, item) in obj(hooks, "webhooks")? {
        let what = format!("webhooks.{event_type}");
        let raw = obj(
            item.get("post")
                .ok_or_else(|| format!("{what}: only `post` is supported"))?,
            &what,
        )?;
        let schema = raw
            .pointer_get("requestBody/content/application~1json/schema")
            .ok_or_else(|| format!("{what}: no application/json request body"))?;
        let all = schema
            .get("allOf")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{what}: the body must be allOf the envelope and the event"))?;
        let envelope = all
            .iter()
            .filter_map(ref_name)
            .find(|n| schemas.get(*n).and_then(|s| s.get("x-rust-type")).is_some())
            .ok_or_else(|| format!("{what}: no envelope ($ref to a schema with x-rust-type)"))?;
        let body = all
            .iter()
            .find_map(|s| s.get("properties")?.get("event"))
            .and_then(ref_name)
            .ok_or_else(|| format!("{what}: the `event` property must be a $ref"))?;
        if !schemas.contains_key(body) {
            return Err(format!("{what}: no schema named {body}"));
        }
        events.push(Hook {
            event_type,
            rust_name: str_of(raw, "x-rust-name", &what)?,
            raw,
            body,
            envelope,
        });
    }
    events.sort_by(|a, b| a.event_type.cmp(b.event_type));
    Ok(events)
}

pub(super) fn response_of(schema: &Value, schemas: &Map<String, Value>) -> Option<Response> {
    if let Some(name) = ref_name(schema) {
        return Some(Response::Plain(name.to_owned()));
    }
    let all = schema.get("allOf")?.as_array()?;
    let envelope = all.iter().any(|s| {
        ref_name(s)
            .and_then(|n| schemas.get(n))
            .and_then(|s| s.get("x-rust-type"))
            .and_then(Value::as_str)
            == Some("ApiResponse")
    });
    let data = all
        .iter()
        .find_map(|s| s.get("properties")?.get("data"))
        .and_then(ref_name)?;
    envelope.then(|| Response::Envelope(data.to_owned()))
}

pub(super) trait PointerGet {
    fn pointer_get(&self, pointer: &str) -> Option<&Value>;
}

impl PointerGet for Map<String, Value> {
    fn pointer_get(&self, pointer: &str) -> Option<&Value> {
        let (first, rest) = pointer.split_once('/').unwrap_or((pointer, ""));
        let v = self.get(first)?;
        if rest.is_empty() {
            Some(v)
        } else {
            v.pointer(&format!("/{rest}"))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rust types of properties

/// How one property is written in Rust.
pub(super) struct FieldType {
    /// The Rust type inside any `Option`.
    pub(super) ty: String,
    /// `Some(item type)` for lists.
    pub(super) item: Option<String>,
    /// Wire form needs `#[serde(with = "crate::wire::int64_string")]`.
    pub(super) int64: bool,
    /// A schema this property refers to (directly or as the list's item).
    pub(super) target: Option<String>,
}

impl Model<'_> {
    pub(super) fn field_type(&self, p: &Value, what: &str) -> Result<FieldType, String> {
        if let Some(name) = ref_name(p) {
            self.schema(name)?;
            return Ok(FieldType {
                ty: name.to_owned(),
                item: None,
                int64: false,
                target: Some(name.to_owned()),
            });
        }
        if let Some(rust) = p.get("x-rust-type").and_then(Value::as_str) {
            return Ok(FieldType {
                ty: format!("crate::{rust}"),
                item: None,
                int64: false,
                target: None,
            });
        }
        let ty = p
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{what}: no type"))?;
        let plain = |ty: &str| FieldType {
            ty: ty.to_owned(),
            item: None,
            int64: false,
            target: None,
        };
        Ok(match ty {
            "string" if p.get("format").and_then(Value::as_str) == Some("int64") => FieldType {
                ty: "i64".to_owned(),
                item: None,
                int64: true,
                target: None,
            },
            "string" => plain("String"),
            "integer" => plain("i64"),
            "boolean" => plain("bool"),
            "number" => plain("f64"),
            "array" => {
                let items = p
                    .get("items")
                    .ok_or_else(|| format!("{what}: array without items"))?;
                let inner = self.field_type(items, what)?;
                if inner.int64 {
                    return Err(format!("{what}: arrays of int64 strings are not supported"));
                }
                FieldType {
                    ty: format!("Vec<{}>", inner.ty),
                    item: Some(inner.ty),
                    int64: false,
                    target: inner.target,
                }
            }
            other => return Err(format!("{what}: unsupported type {other}")),
        })
    }

    /// The argument type of a setter or constructor, and how the value is turned into the field.
    pub(super) fn setter_arg(&self, ft: &FieldType) -> (String, String, String) {
        // (generics, argument type, conversion expression)
        match &ft.item {
            Some(item) => (
                "<I: IntoIterator<Item = V>, V: Into<".to_owned() + item + ">>",
                "I".to_owned(),
                "value.into_iter().map(Into::into).collect()".to_owned(),
            ),
            None if matches!(ft.ty.as_str(), "i64" | "bool" | "f64") => {
                (String::new(), ft.ty.clone(), "value".to_owned())
            }
            None => (
                String::new(),
                format!("impl Into<{}>", ft.ty),
                "value.into()".to_owned(),
            ),
        }
    }
}
