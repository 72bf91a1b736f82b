//! A broken rule: where, what, and the code the server would answer.

use std::borrow::Cow;
use std::fmt;

use feishu_vc_model::ErrorCode;

/// Whether Feishu refuses a request that breaks a rule, or accepts it and ignores the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// Feishu refuses the request with the violation's code; nothing should be sent.
    Error,
    /// Feishu accepts the request but ignores the value (`owner_id` with a user token): worth
    /// telling the caller, not worth refusing the request.
    Warning,
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    path: String,
    rule: Cow<'static, str>,
    code: ErrorCode,
    severity: Severity,
}

impl Violation {
    pub(crate) fn new(
        path: impl Into<String>,
        rule: impl Into<Cow<'static, str>>,
        code: ErrorCode,
    ) -> Self {
        Self {
            path: path.into(),
            rule: rule.into(),
            code,
            severity: Severity::Error,
        }
    }

    /// A value Feishu accepts and ignores.
    pub(crate) fn ignored(path: impl Into<String>, rule: impl Into<Cow<'static, str>>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::new(path, rule, ErrorCode::ParamError)
        }
    }

    /// Whether Feishu refuses the request for this, or only ignores the value.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// Whether Feishu refuses the request for this.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The JSON path of the offending value, such as `meeting_settings.assign_host_list[10].id`;
    /// a query or path parameter is named as it is (`reserve_id`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The rule, in plain words (`must be empty (no password) or 4 to 9 ASCII digits`).
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The code the server answers when this rule is broken (for a [`Severity::Warning`], the code
    /// a stricter reading would give; Feishu itself accepts the request).
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl fmt::Display for Violation {
    // Never prints the offending value: it may be a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.severity {
            Severity::Error => write!(
                f,
                "{}: {} (code {})",
                self.path,
                self.rule,
                self.code.code()
            ),
            Severity::Warning => write!(f, "{}: {} (ignored by Feishu)", self.path, self.rule),
        }
    }
}

/// Every rule a request breaks so that Feishu would refuse it. Nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Violations(Vec<Violation>);

impl Violations {
    pub(crate) fn new(violations: Vec<Violation>) -> Self {
        Self(violations)
    }

    /// The violations, in path order.
    pub fn iter(&self) -> std::slice::Iter<'_, Violation> {
        self.0.iter()
    }

    /// The violations, in path order.
    pub fn as_slice(&self) -> &[Violation] {
        &self.0
    }

    /// How many rules are broken (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: an empty set of violations is not an error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The code of the first violation: what the server would most likely have answered.
    pub fn code(&self) -> Option<ErrorCode> {
        self.0.first().map(Violation::code)
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "invalid request ({n} {}): ",
            if n == 1 { "violation" } else { "violations" }
        )?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl IntoIterator for Violations {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Violations {
    type Item = &'a Violation;
    type IntoIter = std::slice::Iter<'a, Violation>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
