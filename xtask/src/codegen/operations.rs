//! Emits `operations.rs`: per operation a request type, a response type and an `Operation` entry.

use std::fmt::Write as _;

use serde_json::Value;

use super::rust::*;
use super::schema::*;

impl Model<'_> {
    pub(super) fn operations(&self) -> Result<String, String> {
        let mut out = String::from(
            "//! One request and one response type per operation, and the table of operations.\n\n#[allow(unused_imports)]\nuse super::types::*;\n\n",
        );
        let mut consts = Vec::new();
        for op in &self.operations {
            self.operation(&mut out, op)?;
            consts.push(op.id.to_uppercase());
        }
        out.push_str(
            "/// Every operation of the schema.\npub const OPERATIONS: &[&crate::Operation] = &[",
        );
        for c in &consts {
            let _ = write!(out, "&{c}, ");
        }
        out.push_str("];\n");
        Ok(out)
    }

    pub(super) fn operation(&self, out: &mut String, op: &Op<'_>) -> Result<(), String> {
        let name = op.rust_name;
        check_ident(name, op.id)?;
        let method = match op.method {
            "get" => "Get",
            "post" => "Post",
            "put" => "Put",
            "patch" => "Patch",
            "delete" => "Delete",
            other => return Err(format!("{}: unsupported method {other}", op.id)),
        };
        let summary = op.raw.get("summary").and_then(Value::as_str).unwrap_or("");
        let http_line = format!("`{} {}`", op.method.to_uppercase(), op.path);

        // The table entry.
        let mut tokens = Vec::new();
        for s in op
            .raw
            .get("security")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
        {
            for key in s.as_object().into_iter().flat_map(|m| m.keys()) {
                tokens.push(match key.as_str() {
                    "tenant_access_token" => "crate::TokenKind::Tenant",
                    "user_access_token" => "crate::TokenKind::User",
                    other => return Err(format!("{}: unknown security scheme {other}", op.id)),
                });
            }
        }
        let scopes: Vec<String> = op
            .raw
            .get("x-scopes")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(Value::as_str)
            .map(rust_string)
            .collect();
        let rate = match op.raw.get("x-rate-limit") {
            Some(r) => format!(
                "Some(crate::RateLimit {{ per_second: {}, per_minute: {} }})",
                r.get("per_second")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| format!("{}: x-rate-limit.per_second", op.id))?,
                r.get("per_minute")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| format!("{}: x-rate-limit.per_minute", op.id))?
            ),
            None => "None".to_owned(),
        };
        let mut codes = Vec::new();
        for c in op
            .raw
            .get("x-error-codes")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
        {
            codes.push(
                self.error_variant(
                    c.as_i64()
                        .ok_or_else(|| format!("{}: x-error-codes must be integers", op.id))?,
                )?,
            );
        }
        let enveloped = matches!(op.response, Response::Envelope(_));
        let const_name = op.id.to_uppercase();
        let _ = writeln!(
            out,
            "/// The `{id}` operation: {http_line}.\npub const {const_name}: crate::Operation = crate::Operation {{\nid: {id_s},\nmethod: crate::Method::{method},\npath_template: {path},\ntoken_kinds: &[{tokens}],\nscopes: &[{scopes}],\nrate_limit: {rate},\nerror_codes: &[{codes}],\nenveloped: {enveloped},\n}};\n",
            id = op.id,
            id_s = rust_string(op.id),
            path = rust_string(op.path),
            tokens = tokens.join(", "),
            scopes = scopes.join(", "),
            codes = codes.join(", "),
        );

        // The response type.
        let response = format!("{name}Response");
        match &op.response {
            Response::Envelope(data) => {
                let _ = writeln!(
                    out,
                    "/// The response of {http_line}: the envelope around [`{data}`].\npub type {response} = crate::ApiResponse<{data}>;\n"
                );
            }
            Response::Plain(schema) if *schema != response => {
                let _ = writeln!(
                    out,
                    "/// The response of {http_line}.\npub type {response} = {schema};\n"
                );
            }
            Response::Plain(_) => {}
        }

        // The request type.
        struct Param {
            name: String,
            ident: String,
            ft: FieldType,
            location: String,
            required: bool,
            doc: String,
        }
        let mut params = Vec::new();
        for p in &op.params {
            let pname = str_of(p, "name", op.id)?;
            check_ident(pname, op.id)?;
            let location = str_of(p, "in", op.id)?.to_owned();
            if !matches!(location.as_str(), "path" | "query") {
                return Err(format!(
                    "{}: parameter {pname} in {location} is not supported",
                    op.id
                ));
            }
            let schema = p
                .get("schema")
                .ok_or_else(|| format!("{}: parameter {pname} has no schema", op.id))?;
            let ft = self.field_type(schema, &format!("{}.{pname}", op.id))?;
            if ft.item.is_some() || ft.int64 {
                return Err(format!(
                    "{}: parameter {pname}: lists and int64 strings are not supported",
                    op.id
                ));
            }
            let required =
                p.get("required").and_then(Value::as_bool).unwrap_or(false) || location == "path";
            params.push(Param {
                ident: field_ident(pname),
                name: pname.to_owned(),
                ft,
                location,
                required,
                doc: description(&Value::Object((*p).clone())).to_owned(),
            });
        }
        let body_schema = match &op.body {
            Some(b) => Some((b.clone(), self.schema(b)?)),
            None => None,
        };

        let mut text = format!("The request of {http_line}");
        if !summary.is_empty() {
            let _ = write!(text, ": {summary}");
        }
        text.push_str(".\n\n");
        text.push_str(description(&Value::Object(op.raw.clone())));
        doc(out, &text);
        let _ = writeln!(
            out,
            "///\n/// Build it with [`{name}Request::new`]; send it with `feishu-vc`, or turn it into method, path, query and\n/// body with [`crate::ApiRequest::to_http`]."
        );
        let _ = writeln!(
            out,
            "#[derive(Clone, Debug, PartialEq)]\n#[non_exhaustive]\npub struct {name}Request {{"
        );
        for p in &params {
            doc(
                out,
                &format!(
                    "{}{}",
                    p.doc,
                    if p.location == "path" {
                        "\n\nPath parameter."
                    } else {
                        "\n\nQuery parameter."
                    }
                ),
            );
            let ty = if p.required {
                p.ft.ty.clone()
            } else {
                format!("Option<{}>", p.ft.ty)
            };
            let _ = writeln!(out, "pub {}: {ty},", p.ident);
        }
        if let Some((b, _)) = &body_schema {
            let _ = writeln!(out, "/// The JSON body.\npub body: {b},");
        }
        out.push_str("}\n\n");

        // Constructor: required parameters, then the body's required fields.
        let mut args = Vec::new();
        let mut inits = Vec::new();
        let mut generics = Vec::new();
        let mut body_args = Vec::new();
        for p in &params {
            if p.required {
                let (ty, conv) = if matches!(p.ft.ty.as_str(), "i64" | "bool" | "f64") {
                    (p.ft.ty.clone(), p.ident.clone())
                } else {
                    (
                        format!("impl Into<{}>", p.ft.ty),
                        format!("{}.into()", p.ident),
                    )
                };
                args.push(format!("{}: {ty}", p.ident));
                inits.push(format!("{}: {conv}", p.ident));
            } else {
                inits.push(format!("{}: None", p.ident));
            }
        }
        let mut from_body_args = args.clone();
        let mut from_body_inits = inits.clone();
        if let Some((b, bs)) = &body_schema {
            let required: Vec<&str> = bs
                .get("required")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let props = bs.get("properties").and_then(Value::as_object);
            for r in &required {
                let p = props
                    .and_then(|m| m.get(*r))
                    .ok_or_else(|| format!("{b}: required {r} undefined"))?;
                let ft = self.field_type(p, &format!("{b}.{r}"))?;
                let ident = field_ident(r);
                match &ft.item {
                    Some(item) => {
                        let g = format!("V{}", generics.len());
                        generics.push(format!("{g}: Into<{item}>"));
                        args.push(format!("{ident}: impl IntoIterator<Item = {g}>"));
                    }
                    None if matches!(ft.ty.as_str(), "i64" | "bool" | "f64") => {
                        args.push(format!("{ident}: {}", ft.ty))
                    }
                    None => args.push(format!("{ident}: impl Into<{}>", ft.ty)),
                }
                body_args.push(ident);
            }
            let body_new = if required.is_empty() {
                format!("{b}::default()")
            } else {
                format!("{b}::new({})", body_args.join(", "))
            };
            inits.push(format!("body: {body_new}"));
            from_body_args.push(format!("body: {b}"));
            from_body_inits.push("body".to_owned());
        }
        let generics = if generics.is_empty() {
            String::new()
        } else {
            format!("<{}>", generics.join(", "))
        };
        let _ = writeln!(out, "impl {name}Request {{");
        let _ = writeln!(
            out,
            "/// A request with the required parameters and body fields set, everything else absent.\npub fn new{generics}({}) -> Self {{\nSelf {{ {} }}\n}}\n",
            args.join(", "),
            inits.join(", ")
        );
        if body_schema.is_some() {
            let _ = writeln!(
                out,
                "/// A request with the required parameters and a body built separately.\npub fn from_body({}) -> Self {{\nSelf {{ {} }}\n}}\n",
                from_body_args.join(", "),
                from_body_inits.join(", ")
            );
        }
        for p in params.iter().filter(|p| !p.required) {
            let (g, arg, conv) = self.setter_arg(&p.ft);
            let _ = writeln!(
                out,
                "/// Sets [`Self::{id}`].\npub fn set_{n}{g}(mut self, value: {arg}) -> Self {{\nself.{id} = Some({conv});\nself\n}}\n",
                id = p.ident,
                n = p.name
            );
        }
        if let Some((_, bs)) = &body_schema {
            let props = bs
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for (json, p) in &props {
                if params.iter().any(|q| q.name == *json) {
                    return Err(format!(
                        "{}: body field {json} clashes with a parameter",
                        op.id
                    ));
                }
                let ft = self.field_type(p, json)?;
                let (g, arg, _) = self.setter_arg(&ft);
                let _ = writeln!(
                    out,
                    "/// Sets the body's `{json}`.\npub fn set_{json}{g}(mut self, value: {arg}) -> Self {{\nself.body = self.body.set_{json}(value);\nself\n}}\n"
                );
            }
        }
        out.push_str("}\n\n");

        // to_http
        let mut path_code = String::from("let mut path = String::new();\n");
        let mut rest = op.path;
        while let Some(open) = rest.find('{') {
            let close = rest[open..]
                .find('}')
                .map(|c| open + c)
                .ok_or_else(|| format!("{}: bad path template", op.id))?;
            let pname = &rest[open + 1..close];
            let p = params
                .iter()
                .find(|p| p.name == pname && p.location == "path")
                .ok_or_else(|| format!("{}: path parameter {pname} is not declared", op.id))?;
            let _ = writeln!(path_code, "path.push_str({});", rust_string(&rest[..open]));
            let value = if p.ft.ty == "String" {
                format!("&self.{}", p.ident)
            } else {
                format!("crate::wire::WireStr::wire_str(&self.{})", p.ident)
            };
            let _ = writeln!(
                path_code,
                "path.push_str(&crate::request::path_parameter({}, {value})?);",
                rust_string(pname)
            );
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            let _ = writeln!(path_code, "path.push_str({});", rust_string(rest));
        }
        let mut query_code = String::new();
        let query: Vec<&Param> = params.iter().filter(|p| p.location == "query").collect();
        let query_mut = if query.is_empty() { "" } else { "mut " };
        let _ = writeln!(query_code, "let {query_mut}query = Vec::new();");
        for p in &query {
            let to_string = match &p.ft.target {
                Some(t) if self.is_str_enum(t) => "value.as_str().to_owned()".to_owned(),
                Some(t) if self.is_int_enum(t) => "value.value().to_string()".to_owned(),
                _ if p.ft.ty == "String" => "value.clone()".to_owned(),
                // Unix seconds, as the wire writes every timestamp.
                _ if p.ft.ty == "crate::Timestamp" => "value.unix_seconds().to_string()".to_owned(),
                _ if matches!(p.ft.ty.as_str(), "i64" | "bool" | "f64") => {
                    "value.to_string()".to_owned()
                }
                _ => "crate::wire::WireStr::wire_str(value).to_owned()".to_owned(),
            };
            if p.required {
                let _ = writeln!(
                    query_code,
                    "{{ let value = &self.{}; query.push(({}, {to_string})); }}",
                    p.ident,
                    rust_string(&p.name)
                );
            } else {
                let _ = writeln!(
                    query_code,
                    "if let Some(value) = &self.{} {{ query.push(({}, {to_string})); }}",
                    p.ident,
                    rust_string(&p.name)
                );
            }
        }
        let body = if body_schema.is_some() {
            "crate::request::json_body(&self.body)?"
        } else {
            "None"
        };
        let _ = writeln!(
            out,
            "impl crate::ApiRequest for {name}Request {{\ntype Response = {response};\nconst OPERATION: &'static crate::Operation = &{const_name};\n\nfn to_http(&self) -> Result<crate::HttpRequest, crate::BuildError> {{\n{path_code}{query_code}Ok(crate::HttpRequest {{ method: crate::Method::{method}, path, query, body: {body} }})\n}}\n}}\n"
        );
        Ok(())
    }
}
