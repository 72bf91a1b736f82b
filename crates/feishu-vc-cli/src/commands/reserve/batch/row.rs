//! One row of a batch file: what it holds, how a raw row read from CSV or JSON lines becomes a
//! validated request, and how a problem names its row and field.

use std::collections::HashMap;
use std::time::SystemTime;

use feishu_vc::model::{
    ApplyReserveBody, ApplyReserveRequest, Password, ReserveMeetingSetting, TokenKind, UserIdType,
};
use feishu_vc::validate::{Context, Validate};

use crate::args::Settings;
use feishu_vc::when::parse_when;

/// The fields a row may have: the apply flags', plus `keep` and `key`.
pub(crate) const FIELDS: [&str; 11] = [
    "key",
    "topic",
    "end_time",
    "owner_id",
    "password",
    "no_password",
    "hosts",
    "auto_record",
    "call",
    "nickname",
    "keep",
];

/// One row, read and validated.
#[derive(Debug)]
pub(crate) struct Row {
    /// Its key: the `key` field, else its data row number (1-based).
    pub(crate) key: String,
    /// Its line in the file (1-based).
    pub(crate) line: usize,
    /// What to send.
    pub(crate) request: ApplyReserveRequest,
    /// Whether to keep it alive.
    pub(crate) keep: bool,
    /// Whether its end time was given relative to now (`+2h`): fixed when the row is first
    /// recorded, so that a re-run sends the same request.
    pub(crate) relative_end: bool,
}

/// A problem with one field of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowError {
    /// The data row (1-based; 0 for the file or its header).
    pub(crate) row: usize,
    /// The line in the file.
    pub(crate) line: usize,
    /// The field (column), when the problem is one field's.
    pub(crate) field: Option<String>,
    /// What is wrong; never the value (it may be a password).
    pub(crate) message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.row, &self.field) {
            (0, Some(field)) => write!(f, "line {}, `{field}`: {}", self.line, self.message),
            (0, None) => write!(f, "line {}: {}", self.line, self.message),
            (row, Some(field)) => write!(
                f,
                "row {row} (line {}), `{field}`: {}",
                self.line, self.message
            ),
            (row, None) => write!(f, "row {row} (line {}): {}", self.line, self.message),
        }
    }
}

/// What every row shares: how ids are read, the default owner, the token kind and the time.
#[derive(Debug, Clone)]
pub(crate) struct RowContext {
    pub(crate) user_id_type: Option<UserIdType>,
    /// The owner of rows without `owner_id` (the demo user on the emulator).
    pub(crate) default_owner: Option<String>,
    pub(crate) token: TokenKind,
    /// "Now", for relative end times and validation.
    pub(crate) now: SystemTime,
}

/// One field's value as given.
#[derive(Debug, Clone)]
pub(super) enum Cell {
    Text(String),
    Bool(bool),
    List(Vec<String>),
}

/// A row before it is checked: its fields as given.
#[derive(Debug)]
pub(super) struct RawRow {
    pub(super) row: usize,
    pub(super) line: usize,
    pub(super) cells: HashMap<&'static str, Cell>,
}

/// The flag's name of a field, for messages: the field as the file names it.
fn field_of_path(path: &str) -> &'static str {
    let settings = path.strip_prefix("meeting_settings.");
    match (path, settings) {
        ("end_time", _) => "end_time",
        ("owner_id", _) => "owner_id",
        (_, Some("topic")) => "topic",
        (_, Some("password")) => "password",
        (_, Some("auto_record")) => "auto_record",
        (_, Some(s)) if s.starts_with("assign_host_list") => "hosts",
        (_, Some(s)) if s.ends_with("nickname") => "nickname",
        (_, Some(s)) if s.starts_with("call_setting") || s == "meeting_initial_type" => "call",
        _ => "",
    }
}

/// Checks one row and builds its request.
pub(super) fn build(mut raw: RawRow, context: &RowContext) -> Result<Row, Vec<RowError>> {
    let (row, line) = (raw.row, raw.line);
    let mut errors = Vec::new();
    let error = |field: &str, message: String| RowError {
        row,
        line,
        field: Some(field.to_owned()),
        message,
    };
    let mut text = |field: &'static str| match raw.cells.remove(field) {
        Some(Cell::Text(t)) => Some(t),
        _ => None,
    };
    let key = text("key").unwrap_or_else(|| row.to_string());
    let topic = text("topic");
    let end_time = text("end_time");
    let owner = text("owner_id").or_else(|| context.default_owner.clone());
    let password = text("password");
    let call = text("call");
    let nickname = text("nickname");
    let flag = |cells: &mut HashMap<&'static str, Cell>, field| match cells.remove(field) {
        Some(Cell::Bool(b)) => Some(b),
        _ => None,
    };
    let keep = flag(&mut raw.cells, "keep").unwrap_or(false);
    let auto_record = flag(&mut raw.cells, "auto_record");
    let no_password = flag(&mut raw.cells, "no_password").unwrap_or(false);
    let hosts = match raw.cells.remove("hosts") {
        Some(Cell::List(hosts)) => hosts,
        _ => Vec::new(),
    };

    if password.is_some() && no_password {
        errors.push(error(
            "password",
            "give a password or no_password, not both".to_owned(),
        ));
    }
    if nickname.is_some() && call.is_none() {
        errors.push(error(
            "nickname",
            "is for a 1-to-1 call: give `call` too".to_owned(),
        ));
    }
    // The same settings the flags would give.
    let flags = Settings {
        topic,
        end_time: None,
        password: password.map(Password::from),
        no_password,
        hosts,
        auto_record,
        call,
        nickname,
        body: None,
    };
    let settings = crate::settings::apply_settings(ReserveMeetingSetting::default(), &flags)
        .unwrap_or_else(|failure| {
            errors.push(RowError {
                row,
                line,
                field: None,
                message: failure.message().to_owned(),
            });
            ReserveMeetingSetting::default()
        });
    let mut body = ApplyReserveBody::new(settings);
    let relative_end = end_time
        .as_deref()
        .is_some_and(|e| e.trim().starts_with('+'));
    if let Some(end) = end_time {
        match parse_when(&end, context.now) {
            Ok(at) => body.end_time = Some(at),
            Err(_) => errors.push(error(
                "end_time",
                format!("is not a time: {}", feishu_vc::when::FORMS),
            )),
        }
    }
    if let Some(owner) = owner {
        body.owner_id = Some(owner.into());
    }
    let mut request = ApplyReserveRequest::from_body(body);
    if let Some(t) = context.user_id_type {
        request = request.set_user_id_type(t);
    }
    let check = Context::new(context.token).at(context.now);
    for v in request.violations(&check) {
        if !v.is_error() {
            continue;
        }
        // A malformed end time is already listed; its absence would be reported again.
        let field = field_of_path(v.path());
        if field == "end_time"
            && errors
                .iter()
                .any(|e| e.field.as_deref() == Some("end_time"))
        {
            continue;
        }
        let field = if field.is_empty() { v.path() } else { field };
        errors.push(error(
            field,
            format!("{} (code {})", v.rule(), v.code().code()),
        ));
    }
    if errors.is_empty() {
        Ok(Row {
            key,
            line,
            request,
            keep,
            relative_end,
        })
    } else {
        Err(errors)
    }
}
