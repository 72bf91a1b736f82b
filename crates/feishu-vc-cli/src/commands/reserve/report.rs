//! `feishu-vc reserve report ID`: the meetings a reservation booked through the ledger held,
//! who came and for how long, and each recording.

use feishu_vc::model::{ReserveId, Timestamp};
use feishu_vc_ledger::{AttendanceReport, RecordingStatus};

use crate::args::OutputFormat;
use crate::outcome::Failure;
use crate::output::{self, Effect, Printer, columns};
use crate::session::Session;

/// `feishu-vc reserve report ID`.
pub(crate) async fn run(session: &Session, id: &str) -> Result<(), Failure> {
    if session.dry_run {
        return Err(Failure::usage(
            "reserve report only reads; it has nothing to show without sending (leave out --dry-run)",
        ));
    }
    let location = session.ledger_location()?;
    let ledger = session.ledger().await?;
    let report = ledger
        .report(&ReserveId::from(id))
        .await
        .map_err(|e| crate::ledger::book_failure(location, e))?;
    let text = match session.printer.format() {
        OutputFormat::Json => output::json(&serde_json::to_value(&report).map_err(|e| {
            Failure::output_lost(format!("the report cannot be written as JSON: {e}"))
        })?)?,
        OutputFormat::Table => table(&report, &session.printer),
    };
    output::emit(&text, Effect::Read, String::new)
}

fn clock(printer: &Printer, at: Option<i64>) -> String {
    at.map_or_else(
        || "-".to_owned(),
        |s| printer.local_time(Timestamp::from_unix_seconds(s)),
    )
}

fn minutes(seconds: Option<i64>) -> String {
    seconds.map_or_else(|| "-".to_owned(), |s| format!("{}m{:02}s", s / 60, s % 60))
}

fn table(report: &AttendanceReport, printer: &Printer) -> String {
    let mut out = format!(
        "reservation {} (meeting {}): {} meeting(s)\n",
        report.reserve_id,
        report.meeting_no,
        report.meetings.len()
    );
    for m in &report.meetings {
        let recording = match &m.recording {
            RecordingStatus::Ready { url, .. } => url.clone(),
            RecordingStatus::Processing => "processing".to_owned(),
            _ => "none".to_owned(),
        };
        out.push_str(&format!(
            "\nmeeting {}: {} to {} ({}), recording: {recording}\n",
            m.meeting_id,
            clock(printer, m.start_time),
            m.end_time
                .map_or_else(|| "now".to_owned(), |e| clock(printer, Some(e))),
            minutes(m.duration_seconds),
        ));
        let rows: Vec<Vec<String>> = m
            .participants
            .iter()
            .map(|p| {
                vec![
                    p.user_id.clone().unwrap_or_else(|| "-".to_owned()),
                    clock(printer, p.first_join_time),
                    p.final_leave_time
                        .map_or_else(|| "in the meeting".to_owned(), |t| clock(printer, Some(t))),
                    minutes(p.seconds_in_meeting),
                    if p.is_host { "host" } else { "" }.to_owned(),
                ]
            })
            .collect();
        out.push_str(&columns(&["USER", "JOINED", "LEFT", "TIME", ""], &rows));
    }
    out
}
