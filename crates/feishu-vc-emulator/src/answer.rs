//! What an Open API operation answers, before HTTP: a success body already serialized, or a
//! failure (code, message, field violations, throttling) that the HTTP layer puts in Feishu's
//! envelope.

use feishu_vc_model::{ApiResponse, ErrorCode, FieldViolation};
use feishu_vc_validate::Violation;
use serde::Serialize;

use crate::ratelimit::Throttled;

/// An API error, answered in Feishu's envelope.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: ErrorCode,
    pub(crate) msg: String,
    pub(crate) violations: Vec<FieldViolation>,
    pub(crate) throttled: Option<Throttled>,
}

impl Failure {
    pub(crate) fn new(code: ErrorCode, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
            violations: Vec::new(),
            throttled: None,
        }
    }

    /// 121003, with what is wrong.
    pub(crate) fn param(detail: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::ParamError, format!("param error: {detail}"))
    }

    /// 121003 for one field, with the field named as a violation too.
    pub(crate) fn field(path: &str, rule: &str) -> Self {
        let mut f = Self::param(format!("{path}: {rule}"));
        f.violations.push(
            FieldViolation::default()
                .set_field(path)
                .set_description(rule),
        );
        f
    }

    /// 121001.
    pub(crate) fn internal(detail: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorCode::InternalError,
            format!("internal error: {detail}"),
        )
    }

    pub(crate) fn not_found() -> Self {
        Self::new(ErrorCode::DataNotExist, "data not exist")
    }

    /// The HTTP status: the code table's, else 400 (the token errors 99991661 and 99991663 come
    /// with HTTP 400 from Feishu's gateway).
    pub(crate) fn http_status(&self) -> u16 {
        self.code.http_status().unwrap_or(400)
    }
}

/// The first violation as the answer, every violation in `error.field_violations`.
pub(crate) fn first_violation(found: Vec<Violation>) -> Result<(), Failure> {
    // Values Feishu accepts and ignores (warnings) are not refused.
    let found: Vec<Violation> = found.into_iter().filter(Violation::is_error).collect();
    let Some(first) = found.first() else {
        return Ok(());
    };
    let code = first.code();
    let mut failure = Failure::new(
        code,
        format!("{}: {first}", code.msg().unwrap_or("param error")),
    );
    failure.violations = found
        .iter()
        .map(|v| {
            FieldViolation::default()
                .set_field(v.path())
                .set_description(v.rule())
        })
        .collect();
    Err(failure)
}

/// What a reserve call answers: its success envelope, serialized, or an error.
pub(crate) type Outcome = Result<Answer, Failure>;

/// A success answer, `{code: 0, msg: "success", data}`, serialized straight from the model's
/// types (no `serde_json::Value` in between).
#[derive(Debug)]
pub(crate) struct Answer(pub(crate) Vec<u8>);

/// The success answer of `value`.
pub(crate) fn data(value: impl Serialize) -> Outcome {
    serde_json::to_vec(&ApiResponse::success(value))
        .map(Answer)
        .map_err(Failure::internal)
}
