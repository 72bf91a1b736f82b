//! `reserve apply --batch FILE`: the rows of a batch file, read strictly and validated whole
//! before anything is sent.
//!
//! A CSV file (`.csv`, a header row first) or JSON lines (`.jsonl`, `.ndjson`, one object a
//! line) holds one meeting a row, with the fields the `reserve apply` flags set. Every row is read
//! and checked (the same local rules the facade applies before sending, with the server's codes),
//! and every problem is listed with its row and field; one problem anywhere and nothing is sent.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::row::{Cell, FIELDS, RawRow, Row, RowContext, RowError, build};

/// The file's format, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    JsonLines,
}

fn format_of(path: &Path) -> Result<Format, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(Format::Csv),
        Some("jsonl" | "ndjson") => Ok(Format::JsonLines),
        _ => Err(format!(
            "{}: a batch file must be CSV (.csv) or JSON lines (.jsonl, .ndjson)",
            path.display()
        )),
    }
}

/// Reads `path` and checks every row; every problem is returned, or none and every row.
pub(crate) fn read(path: &Path, context: &RowContext) -> Result<Vec<Row>, Vec<RowError>> {
    let file_error = |message: String| {
        vec![RowError {
            row: 0,
            line: 0,
            field: None,
            message,
        }]
    };
    let format = format_of(path).map_err(file_error)?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| file_error(format!("reading {}: {e}", path.display())))?;
    let (raw, mut errors) = match format {
        Format::Csv => read_csv(&text),
        Format::JsonLines => read_json_lines(&text),
    };
    if raw.is_empty() && errors.is_empty() {
        errors.push(RowError {
            row: 0,
            line: 1,
            field: None,
            message: "the batch has no rows".to_owned(),
        });
    }
    let mut rows = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for raw in raw {
        let (row, line) = (raw.row, raw.line);
        match build(raw, context) {
            Ok(built) => {
                if let Some(first) = seen.insert(built.key.clone(), row) {
                    errors.push(RowError {
                        row,
                        line,
                        field: Some("key".to_owned()),
                        message: format!("the same key as row {first}: each row needs its own"),
                    });
                }
                rows.push(built);
            }
            Err(row_errors) => errors.extend(row_errors),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        errors.sort_by_key(|e| (e.row, e.line));
        Err(errors)
    }
}

/// The known field named `name`.
fn known(name: &str) -> Option<&'static str> {
    FIELDS.iter().copied().find(|f| *f == name)
}

fn unknown_field(row: usize, line: usize, name: &str) -> RowError {
    RowError {
        row,
        line,
        field: Some(name.to_owned()),
        message: format!("unknown field (the fields are {})", FIELDS.join(", ")),
    }
}

fn read_csv(text: &str) -> (Vec<RawRow>, Vec<RowError>) {
    let mut errors = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(RowError {
                row: 0,
                line: 1,
                field: None,
                message: format!("the header row cannot be read: {e}"),
            });
            return (Vec::new(), errors);
        }
    };
    let mut columns = Vec::new();
    for (i, name) in headers.iter().enumerate() {
        match known(name) {
            Some(field) if columns.iter().any(|(_, f)| *f == field) => errors.push(RowError {
                row: 0,
                line: 1,
                field: Some(name.to_owned()),
                message: "the column appears twice".to_owned(),
            }),
            Some(field) => columns.push((i, field)),
            None => errors.push(unknown_field(0, 1, name)),
        }
    }
    if !errors.is_empty() {
        return (Vec::new(), errors);
    }
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let row = n + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                errors.push(RowError {
                    row,
                    line,
                    field: None,
                    message: csv_problem(&e),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let mut cells = HashMap::new();
        for (i, field) in &columns {
            let value = record.get(*i).unwrap_or_default();
            if value.is_empty() {
                continue;
            }
            let cell = match *field {
                "hosts" => Cell::List(
                    value
                        .split(';')
                        .map(str::trim)
                        .filter(|h| !h.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ),
                "keep" | "auto_record" | "no_password" => match parse_bool(value) {
                    Some(b) => Cell::Bool(b),
                    None => {
                        errors.push(RowError {
                            row,
                            line,
                            field: Some((*field).to_owned()),
                            message: "must be true or false (also yes/no, 1/0)".to_owned(),
                        });
                        continue;
                    }
                },
                _ => Cell::Text(value.to_owned()),
            };
            cells.insert(*field, cell);
        }
        rows.push(RawRow { row, line, cells });
    }
    (rows, errors)
}

/// What is wrong with a CSV record, without its content.
fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8".to_owned(),
        _ => "cannot be read as CSV".to_owned(),
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

fn read_json_lines(text: &str) -> (Vec<RawRow>, Vec<RowError>) {
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut row = 0;
    for (i, content) in text.lines().enumerate() {
        let line = i + 1;
        if content.trim().is_empty() {
            continue;
        }
        row += 1;
        let object = match serde_json::from_str::<Value>(content) {
            Ok(Value::Object(object)) => object,
            Ok(_) => {
                errors.push(RowError {
                    row,
                    line,
                    field: None,
                    message: "must be a JSON object".to_owned(),
                });
                continue;
            }
            Err(e) => {
                errors.push(RowError {
                    row,
                    line,
                    field: None,
                    message: format!("not valid JSON at column {}", e.column()),
                });
                continue;
            }
        };
        let mut cells = HashMap::new();
        for (name, value) in object {
            let Some(field) = known(&name) else {
                errors.push(unknown_field(row, line, &name));
                continue;
            };
            let mut wrong = |expected: &str| {
                errors.push(RowError {
                    row,
                    line,
                    field: Some(name.clone()),
                    message: format!("must be {expected}"),
                });
            };
            let cell = match (field, value) {
                (_, Value::Null) => continue,
                ("hosts", Value::Array(items)) => {
                    let hosts: Option<Vec<String>> = items
                        .into_iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect();
                    match hosts {
                        Some(hosts) => Cell::List(hosts),
                        None => {
                            wrong("an array of user ids (strings)");
                            continue;
                        }
                    }
                }
                ("hosts", _) => {
                    wrong("an array of user ids (strings)");
                    continue;
                }
                ("keep" | "auto_record" | "no_password", Value::Bool(b)) => Cell::Bool(b),
                ("keep" | "auto_record" | "no_password", _) => {
                    wrong("true or false");
                    continue;
                }
                ("end_time" | "key", Value::Number(n)) => Cell::Text(n.to_string()),
                (_, Value::String(s)) => Cell::Text(s),
                ("end_time" | "key", _) => {
                    wrong("a string or a number");
                    continue;
                }
                _ => {
                    wrong("a string");
                    continue;
                }
            };
            cells.insert(field, cell);
        }
        rows.push(RawRow { row, line, cells });
    }
    (rows, errors)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use feishu_vc::model::TokenKind;

    use super::*;

    fn context() -> RowContext {
        RowContext {
            user_id_type: None,
            default_owner: Some("ou_owner".to_owned()),
            token: TokenKind::Tenant,
            now: SystemTime::now(),
        }
    }

    fn file(name: &str, content: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "feishu-vc-batch-unit-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn csv_rows_become_requests_with_keys_hosts_and_keep() {
        let path = file(
            "ok.csv",
            "topic,end_time,hosts,keep,key,password\n\
             \"Weekly, sync\",+2h,ou_a;ou_b,true,,\n\
             Standup,+1d,,no,standup,123456\n",
        );
        let rows = read(&path, &context()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].key, "1");
        assert_eq!(rows[0].line, 2);
        assert!(rows[0].keep);
        let settings = &rows[0].request.body.meeting_settings;
        assert_eq!(settings.topic.as_deref(), Some("Weekly, sync"));
        assert_eq!(settings.assign_host_list.as_ref().unwrap().len(), 2);
        assert_eq!(rows[1].key, "standup");
        assert!(!rows[1].keep);
        assert_eq!(
            rows[1].request.body.owner_id.as_ref().unwrap().as_str(),
            "ou_owner"
        );
    }

    #[test]
    fn every_problem_is_listed_with_row_and_field_and_never_the_password() {
        let path = file(
            "bad.csv",
            "topic,end_time,password,keep\n\
             ok,+1h,,\n\
             ,tomorrow,12,maybe\n\
             late,+40d,,\n\
             dup,+1h,,\n",
        );
        let errors = read(&path, &context()).unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let has = |row: usize, field: &str| {
            errors
                .iter()
                .any(|e| e.row == row && e.field.as_deref() == Some(field))
        };
        assert!(has(2, "end_time"), "{shown:#?}");
        assert!(has(2, "keep"), "{shown:#?}");
        assert!(has(2, "password"), "{shown:#?}");
        assert!(has(3, "end_time"), "{shown:#?}");
        assert!(
            !errors.iter().any(|e| e.row == 1 || e.row == 4),
            "{shown:#?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("row 3 (line 4), `end_time`")),
            "{shown:#?}"
        );
        assert!(
            !shown
                .iter()
                .any(|s| s.contains("\"12\"") || s.contains(" 12 "))
        );
    }

    #[test]
    fn unknown_columns_and_fields_and_other_extensions_are_refused() {
        let errors = read(&file("a.csv", "topic,colour\nx,red\n"), &context()).unwrap_err();
        assert_eq!(errors[0].field.as_deref(), Some("colour"));
        let errors = read(
            &file(
                "b.jsonl",
                "{\"topic\":\"x\",\"end_time\":\"+1h\",\"colour\":1}\n",
            ),
            &context(),
        )
        .unwrap_err();
        assert_eq!(errors[0].field.as_deref(), Some("colour"));
        assert_eq!(errors[0].row, 1);
        let errors = read(&file("c.txt", "topic\nx\n"), &context()).unwrap_err();
        assert!(errors[0].message.contains(".csv"), "{errors:?}");
    }

    #[test]
    fn json_lines_take_arrays_and_booleans_and_skip_blank_lines() {
        let path = file(
            "ok.ndjson",
            "{\"topic\":\"a\",\"end_time\":\"+1h\",\"hosts\":[\"ou_a\"],\"keep\":true,\"key\":7}\n\n\
             {\"topic\":\"b\",\"end_time\":\"+1h\",\"keep\":\"yes\"}\n",
        );
        let errors = read(&path, &context()).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].row, errors[0].line), (2, 3));
        assert_eq!(errors[0].field.as_deref(), Some("keep"));
        let path = file(
            "ok.jsonl",
            "{\"topic\":\"a\",\"end_time\":\"+1h\",\"hosts\":[\"ou_a\"],\"keep\":true,\"key\":7}\n",
        );
        let rows = read(&path, &context()).unwrap();
        assert_eq!(rows[0].key, "7");
        assert!(rows[0].keep);
    }

    #[test]
    fn the_same_key_twice_is_refused() {
        let path = file("dup.csv", "key,topic,end_time\na,x,+1h\na,y,+1h\n");
        let errors = read(&path, &context()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].row, errors[0].field.as_deref()),
            (2, Some("key"))
        );
    }
}
