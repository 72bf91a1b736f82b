//! Turns `validator`'s nested error maps into flat, path-named violations.

use std::borrow::Cow;

use feishu_vc_model::{ErrorCode, SchemaValid};
use validator::{ValidationErrors, ValidationErrorsKind};

use crate::Violation;

/// The key `validator` files struct-level errors under; the generator's item-count rules name
/// their field in the `field` parameter.
const STRUCT_LEVEL: &str = "__all__";

/// Runs the schema's single-field rules on `value`, naming paths below `prefix`. A valid value
/// costs the generated plain checks only; `validator`'s report, with its maps of paths, is built
/// only for a value that breaks a rule.
pub(crate) fn schema_rules(
    value: &(impl validator::Validate + SchemaValid),
    prefix: &str,
    out: &mut Vec<Violation>,
) {
    if value.schema_valid() {
        return;
    }
    if let Err(errors) = value.validate() {
        flatten(&errors, prefix, out);
    }
}

fn flatten(errors: &ValidationErrors, prefix: &str, out: &mut Vec<Violation>) {
    for (field, kind) in errors.errors() {
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let name = if field == STRUCT_LEVEL {
                        e.params
                            .get("field")
                            .and_then(|v| v.as_str())
                            .unwrap_or(STRUCT_LEVEL)
                    } else {
                        field.as_ref()
                    };
                    let code = e
                        .code
                        .parse::<i64>()
                        .map_or(ErrorCode::ParamError, ErrorCode::from_code);
                    let rule = e.message.clone().unwrap_or(Cow::Borrowed("is invalid"));
                    out.push(Violation::new(join(prefix, name), rule, code));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, &join(prefix, field), out),
            ValidationErrorsKind::List(items) => {
                let list = join(prefix, field);
                for (index, inner) in items {
                    flatten(inner, &format!("{list}[{index}]"), out);
                }
            }
        }
    }
}

/// `prefix.name`, or `name` at the top.
pub(crate) fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Sorts violations by path, list indices compared as numbers, then by code.
pub(crate) fn sort(violations: &mut [Violation]) {
    violations.sort_by_cached_key(|v| (path_key(v.path()), v.code().code()));
}

fn path_key(path: &str) -> Vec<Result<u64, String>> {
    path.split(['.', '[', ']'])
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u64>().map_err(|_| s.to_owned()))
        .collect()
}
