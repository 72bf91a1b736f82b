//! Everything the command writes: answers on stdout as JSON or a table, notes on stderr.
//!
//! No write here can panic. A closed stdout (`feishu-vc ... | head -1`) ends a read quietly; after
//! a change (apply, update, delete) the reservation id and meeting number go to stderr and the
//! command exits with [`crate::outcome::OUTPUT_LOST`], so that a script does not book again.

use std::io::{self, IsTerminal};

use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};

use crate::args::OutputFormat;
use crate::outcome::Failure;
use crate::term::write_stdout;

/// What an answer is about, for when it cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Nothing changed (get, active, dry runs, completions).
    Read,
    /// A reservation was booked, changed or deleted.
    Changed(&'static str),
}

/// How answers are printed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    format: OutputFormat,
    offset: UtcOffset,
}

impl Printer {
    /// `format` if given, else a table on a terminal and JSON otherwise. `offset` is the local
    /// time zone's, read before any thread started.
    pub(crate) fn new(format: Option<OutputFormat>, offset: UtcOffset) -> Self {
        let format = format.unwrap_or(if io::stdout().is_terminal() {
            OutputFormat::Table
        } else {
            OutputFormat::Json
        });
        Self { format, offset }
    }

    /// The format answers are printed in.
    pub(crate) fn format(&self) -> OutputFormat {
        self.format
    }

    /// A time in the local zone, as tables show it.
    pub(crate) fn local_time(&self, at: feishu_vc::model::Timestamp) -> String {
        local_time(&Value::from(at.unix_seconds()), self.offset)
    }

    /// Prints an answer's `data` (`reserve_id` names the reservation of a delete, whose answer is
    /// empty).
    pub(crate) fn answer(
        &self,
        data: &Value,
        reserve_id: Option<&str>,
        effect: Effect,
    ) -> Result<(), Failure> {
        let text = match self.format {
            OutputFormat::Json => json(data)?,
            OutputFormat::Table => table(data, reserve_id, self.offset),
        };
        emit(&text, effect, || {
            let reserve = &data["reserve"];
            let id = reserve["id"].as_str().or(reserve_id).unwrap_or("?");
            match reserve["meeting_no"].as_str() {
                Some(no) => format!("reservation {id}, meeting number {no}"),
                None => format!("reservation {id}"),
            }
        })
    }
}

/// Writes `text`; on failure, what `effect` requires (see the module docs).
pub(crate) fn emit(
    text: &str,
    effect: Effect,
    what: impl FnOnce() -> String,
) -> Result<(), Failure> {
    match (write_stdout(text), effect) {
        (Ok(()), _) => Ok(()),
        (Err(e), Effect::Read) if e.kind() == io::ErrorKind::BrokenPipe => Err(Failure::quiet()),
        (Err(e), Effect::Read) => Err(Failure::output_lost(format!(
            "could not write the output: {e}"
        ))),
        (Err(e), Effect::Changed(verb)) => Err(Failure::output_lost(format!(
            "{verb} {}, but stdout could not be written ({e}); do not repeat it",
            what()
        ))),
    }
}

/// Pretty JSON and a newline.
pub(crate) fn json(value: &Value) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| Failure::usage(format!("could not print the answer: {e}")))
}

/// The columns a person reads, one row per answer.
fn table(data: &Value, reserve_id: Option<&str>, offset: UtcOffset) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    };
    let time = |v: &Value| local_time(v, offset);
    let rows: Vec<(&str, String)> = if let Some(reserve) = data.get("reserve") {
        vec![
            ("ID", text(&reserve["id"])),
            ("MEETING NO", text(&reserve["meeting_no"])),
            ("TOPIC", text(&reserve["meeting_settings"]["topic"])),
            ("END TIME", time(&reserve["end_time"])),
            ("URL", text(&reserve["url"])),
            // Placed on a calendar (`reserve apply --calendar`).
            ("CALENDAR EVENT", text(&data["calendar"]["event_id"])),
        ]
    } else if let Some(meeting) = data.get("meeting") {
        if meeting.is_null() {
            return "no meeting in progress\n".to_owned();
        }
        vec![
            ("MEETING ID", text(&meeting["id"])),
            ("MEETING NO", text(&meeting["meeting_no"])),
            ("TOPIC", text(&meeting["topic"])),
            ("STARTED", time(&meeting["start_time"])),
            ("PARTICIPANTS", text(&meeting["participant_count"])),
        ]
    } else if data.as_object().is_some_and(|o| o.is_empty()) {
        return match reserve_id {
            Some(id) => format!("deleted reservation {id}\n"),
            None => "done\n".to_owned(),
        };
    } else {
        return json(data).unwrap_or_default();
    };
    // An answer without a field (apply does not echo the topic) has no column for it.
    let rows: Vec<(&str, String)> = rows.into_iter().filter(|(_, v)| v != "-").collect();
    let head: Vec<&str> = rows.iter().map(|(h, _)| *h).collect();
    let values: Vec<String> = rows.into_iter().map(|(_, v)| v).collect();
    columns(&head, &[values])
}

/// A header line and one line per row, each column as wide as its widest cell.
pub(crate) fn columns(head: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = head
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .chain([h.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let mut line = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ");
        line.truncate(line.trim_end().len());
        line.push('\n');
        line
    };
    let mut out = line(head.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// Unix seconds (a string on the wire) as `2026-11-30 15:00 +08:00`.
fn local_time(value: &Value, offset: UtcOffset) -> String {
    let seconds = match value {
        Value::String(s) => s.parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    let Some(at) = seconds.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()) else {
        return "-".to_owned();
    };
    let at = at.to_offset(offset);
    let (h, m, _) = offset.as_hms();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} {}{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        if offset.is_negative() { '-' } else { '+' },
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_is_a_row_with_its_end_time_in_the_given_zone() {
        let data = serde_json::json!({"reserve": {
            "id": "6911188411934973028", "meeting_no": "112000358", "end_time": "1764489600",
            "url": "https://vc.feishu.cn/j/112000358", "meeting_settings": {"topic": "Weekly sync"}
        }});
        let shanghai = UtcOffset::from_hms(8, 0, 0).unwrap();
        let shown = table(&data, None, shanghai);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 2, "{shown}");
        assert!(lines[0].starts_with("ID") && lines[0].contains("END TIME"));
        assert!(lines[1].contains("6911188411934973028") && lines[1].contains("Weekly sync"));
        assert!(lines[1].contains("2025-11-30 16:00 +08:00"), "{shown}");
        let newfoundland = UtcOffset::from_hms(-3, -30, 0).unwrap();
        assert!(table(&data, None, newfoundland).contains("2025-11-30 04:30 -03:30"));
    }
}
