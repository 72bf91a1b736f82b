//! Reading an Open API query string: each name once, booleans in the forms the official SDKs
//! write, `user_id_type`, required values. Failures are 121003 (the VC operations' param error);
//! a domain that answers another code for a malformed request maps them.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::Uri;
use feishu_vc_model::UserIdType;

use crate::answer::Failure;

/// A boolean in a query string, in the forms the official SDKs write: `true`/`false` (Go, Java,
/// Node.js) and `True`/`False` (the Python SDK formats values with `str()`). Anything else is
/// refused.
pub(crate) fn query_bool(value: &str) -> Option<bool> {
    match value {
        "true" | "True" => Some(true),
        "false" | "False" => Some(false),
        _ => None,
    }
}

/// The query as name → value; a name given twice is refused.
pub(crate) fn query(uri: &Uri) -> Result<HashMap<String, String>, Failure> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|_| Failure::param("the query string cannot be read"))?;
    let mut out = HashMap::new();
    for (name, value) in pairs {
        if out.insert(name.clone(), value).is_some() {
            return Err(Failure::field(&name, "is given more than once"));
        }
    }
    Ok(out)
}

/// The boolean `name`, false when absent.
pub(crate) fn flag(q: &HashMap<String, String>, name: &str) -> Result<bool, Failure> {
    flag_or(q, name, false)
}

/// The boolean `name`, `default` when absent.
pub(crate) fn flag_or(
    q: &HashMap<String, String>,
    name: &str,
    default: bool,
) -> Result<bool, Failure> {
    q.get(name).map_or(Ok(default), |v| {
        query_bool(v).ok_or_else(|| Failure::field(name, "must be true or false"))
    })
}

/// `user_id_type`, open_id when absent.
pub(crate) fn user_id_type(q: &HashMap<String, String>) -> Result<UserIdType, Failure> {
    q.get("user_id_type").map_or(Ok(UserIdType::OpenId), |v| {
        v.parse()
            .map_err(|e| Failure::field("user_id_type", &format!("{e}")))
    })
}

/// The value of `name`, which must be there.
pub(crate) fn required<'q>(q: &'q HashMap<String, String>, name: &str) -> Result<&'q str, Failure> {
    q.get(name)
        .map(String::as_str)
        .ok_or_else(|| Failure::field(name, "is required"))
}
