//! `reserve apply --batch FILE`: every row checked, then booked through the ledger with bounded
//! concurrency under Feishu's rate limit, with progress on stderr and a summary on stdout.

mod file;
mod row;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use feishu_vc::model::Timestamp;
use feishu_vc_ledger::{
    BatchEvent, BatchOptions, BatchRow, BatchSummary, LedgerError, Record, RecordFilter, State,
    batch_key,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use self::row::RowContext;
use crate::args::{ApplyArgs, OutputFormat};
use crate::outcome::Failure;
use crate::output::{self, Effect};
use crate::session::Session;
use crate::term::{StopSignals, note};

/// A stopped batch waits for the answers in flight this much longer than a request may take.
const STOP_GRACE_PAST_TIMEOUT: Duration = Duration::from_secs(5);

/// Plain progress lines (stderr not a terminal) come every this many rows...
const LINE_EVERY_ROWS: usize = 50;
/// ...or this often, whichever comes first.
const LINE_EVERY: Duration = Duration::from_secs(2);

/// Runs `reserve apply --batch`.
pub(crate) async fn run(session: &Session, args: &ApplyArgs) -> Result<(), Failure> {
    let Some(path) = &args.batch else {
        return Err(Failure::usage("--batch needs a file"));
    };
    if crate::settings::settings_given(&args.settings)
        || args.settings.end_time.is_some()
        || args.settings.body.is_some()
    {
        return Err(Failure::usage(
            "--batch takes each meeting's fields from the file; give them as columns, not flags (only --owner, the owner of rows without one, goes with --batch)",
        ));
    }
    let canonical = std::fs::canonicalize(path)
        .map_err(|e| Failure::usage(format!("reading {}: {e}", path.display())))?;
    // The batch's name: the same file (by its canonical path) is the same batch on every run.
    let batch = canonical.display().to_string();
    let default_owner = if session.user_token.is_some() {
        None
    } else {
        args.owner.clone().or_else(|| session.default_owner.clone())
    };
    let context = RowContext {
        user_id_type: session.user_id_type,
        default_owner,
        token: session.token_kind(),
        now: session.clock.now(),
    };
    let rows = file::read(&canonical, &context).map_err(|errors| {
        for e in &errors {
            note(&format!("feishu-vc: {}: {e}", path.display()));
        }
        let noun = if errors.len() == 1 {
            "problem"
        } else {
            "problems"
        };
        Failure::usage(format!(
            "{} {noun} in {}; nothing was sent",
            errors.len(),
            path.display()
        ))
    })?;
    let total = rows.len();
    if session.dry_run {
        let text = format!(
            "{total} rows of {} are valid; nothing was sent\n",
            path.display()
        );
        return output::emit(&text, Effect::Read, String::new);
    }
    let location = session.ledger_location()?;
    let ledger = session.ledger().await?;
    // A relative end time (`+2h`) means "from when the row was first recorded": on a re-run the
    // recorded time is sent again, so that the row is the same request and is not booked twice.
    let recorded: HashMap<String, Timestamp> = ledger
        .store()
        .list(&RecordFilter::all().batch(batch.clone()))
        .await
        .map_err(|e| crate::ledger::store_failure(location, &e))?
        .into_iter()
        .map(|r| (r.key().as_str().to_owned(), r.intent.end_time))
        .collect();
    let rows: Vec<BatchRow> = rows
        .into_iter()
        .map(|mut r| {
            if r.relative_end
                && let Some(end) = recorded.get(batch_key(&batch, &r.key).as_str())
            {
                r.request.body.end_time = Some(*end);
            }
            BatchRow::new(r.key, r.line, r.request).keep(r.keep)
        })
        .collect();
    let options = BatchOptions::default()
        .concurrency(usize::from(args.concurrency))
        .resend_unknown(args.resend_unknown.clone());
    let progress = Progress::new();
    // The first Ctrl-C or SIGTERM stops the batch gracefully; a second one stops it at once.
    let grace = session.timeout + STOP_GRACE_PAST_TIMEOUT;
    let mut signals = StopSignals::catch();
    let stop = async move {
        signals.next().await;
        note(&format!(
            "feishu-vc: stopping the batch: nothing more is sent; waiting up to {}s for the answers in flight (again to stop at once)",
            grace.as_secs()
        ));
        tokio::spawn(async move {
            let code = signals.next().await;
            std::process::exit(i32::from(code));
        });
    };
    let summary = ledger
        .book_batch_until(&batch, rows, options, &|event| progress.on(event), stop, grace)
        .await
        .map_err(|e| match e {
            LedgerError::NotResendable { rows } => {
                for (key, why) in &rows {
                    note(&format!(
                        "feishu-vc: --resend-unknown {key}: row `{key}` is {why}"
                    ));
                }
                Failure::usage(format!(
                    "--resend-unknown takes only rows of the batch whose outcome is unknown; {} given are not; nothing was sent",
                    rows.len()
                ))
            }
            LedgerError::Conflict { key, .. } => Failure::usage(format!(
                "row `{}` is already in the ledger for another request (was the file changed after it was booked?); nothing was sent. Give it a new key, or use another file",
                row_key(&batch, key.as_str())
            )),
            LedgerError::WrongState { key, state, .. } => Failure::usage(format!(
                "row `{}` is {state} in the ledger and cannot be sent again",
                row_key(&batch, key.as_str())
            )),
            LedgerError::BatchBusy { .. } => Failure::busy(format!(
                "another run of this batch is in progress (the batch {batch}); nothing was sent. Let it finish, then run again if rows are left"
            )),
            other => crate::ledger::store_failure(location, &other),
        })?;
    progress.finish();
    let text = match session.printer.format() {
        OutputFormat::Json => output::json(&summary_json(&batch, total, &summary))?,
        OutputFormat::Table => summary_table(&batch, total, &summary),
    };
    output::emit(&text, Effect::Changed("booked"), || {
        format!("the batch {batch} (`feishu-vc reserve list --batch` shows it)")
    })?;
    if summary.stopped {
        return Err(Failure::incomplete(format!(
            "stopped: {} of {total} rows not sent (run again to send them), {} refused, {} with an unknown outcome (see the summary)",
            summary.not_started.len() + summary.not_sent.len(),
            summary.refused.len(),
            summary.unknown.len(),
        )));
    }
    let not_booked = summary.refused.len() + summary.unknown.len() + summary.not_sent.len();
    if not_booked > 0 {
        return Err(Failure::incomplete(format!(
            "{not_booked} of {total} rows not booked: {} refused, {} with an unknown outcome, {} not sent (run again to send them; see the summary)",
            summary.refused.len(),
            summary.unknown.len(),
            summary.not_sent.len()
        )));
    }
    Ok(())
}

/// A row's key from its intent key (`"{batch}#{row}"`).
fn row_key<'a>(batch: &str, key: &'a str) -> &'a str {
    key.strip_prefix(batch)
        .and_then(|k| k.strip_prefix('#'))
        .unwrap_or(key)
}

fn row_json(batch: &str, record: &Record) -> Value {
    let refusal = record.refusal.as_ref();
    json!({
        "key": row_key(batch, record.key().as_str()),
        "code": refusal.and_then(|r| r.code),
        "message": refusal.map(|r| r.message.as_str()),
        "log_id": record.log_id,
    })
}

fn summary_json(batch: &str, total: usize, summary: &BatchSummary) -> Value {
    let rows =
        |records: &[Record]| -> Vec<Value> { records.iter().map(|r| row_json(batch, r)).collect() };
    json!({
        "batch": batch,
        "rows": total,
        "booked": summary.booked,
        "already_booked": summary.already_booked,
        "refused": rows(&summary.refused),
        "unknown": rows(&summary.unknown),
        "interrupted": rows(&summary.interrupted),
        "not_sent": rows(&summary.not_sent),
        "stopped": summary.stopped,
        "not_started": rows(&summary.not_started),
    })
}

fn summary_table(batch: &str, total: usize, summary: &BatchSummary) -> String {
    let mut out = format!(
        "batch {batch}: {total} rows\n  booked now      {}\n  already booked  {}\n  refused         {}\n  unknown         {}\n  interrupted     {}\n  not sent        {}\n",
        summary.booked,
        summary.already_booked,
        summary.refused.len(),
        summary.unknown.len(),
        summary.interrupted.len(),
        summary.not_sent.len()
    );
    if summary.stopped {
        let keys: Vec<&str> = summary
            .not_started
            .iter()
            .map(|r| row_key(batch, r.key().as_str()))
            .collect();
        out.push_str(&format!(
            "  stopped; not started {}: {}; run again to send them\n",
            keys.len(),
            if keys.is_empty() {
                "none".to_owned()
            } else {
                keys.join(", ")
            }
        ));
    }
    for r in &summary.refused {
        let refusal = r.refusal.as_ref();
        out.push_str(&format!(
            "refused  row {}: {} (code {})\n",
            row_key(batch, r.key().as_str()),
            refusal.map_or("refused", |r| r.message.as_str()),
            refusal
                .and_then(|r| r.code)
                .map_or_else(|| "none".to_owned(), |c| c.to_string())
        ));
    }
    for r in &summary.not_sent {
        let refusal = r.refusal.as_ref();
        out.push_str(&format!(
            "not sent row {}: {}; run again to send them\n",
            row_key(batch, r.key().as_str()),
            refusal.map_or("not booked", |r| r.message.as_str()),
        ));
    }
    for r in &summary.unknown {
        let interrupted = summary.interrupted.iter().any(|i| i.key() == r.key());
        out.push_str(&format!(
            "unknown  row {}: {} (log id {}); not sent again unless given in --resend-unknown\n",
            row_key(batch, r.key().as_str()),
            if interrupted {
                "interrupted while in flight"
            } else {
                "no answer"
            },
            r.log_id.as_deref().unwrap_or("none")
        ));
    }
    out
}

/// Progress on stderr: a bar on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    counts: Mutex<Counts>,
}

#[derive(Debug)]
struct Counts {
    to_send: usize,
    settled: usize,
    booked: usize,
    refused: usize,
    unknown: usize,
    not_sent: usize,
    last_line: Instant,
}

impl Progress {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:40} {pos}/{len} {msg} [{elapsed_precise}, {eta} left]",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Self {
            bar,
            counts: Mutex::new(Counts {
                to_send: 0,
                settled: 0,
                booked: 0,
                refused: 0,
                unknown: 0,
                not_sent: 0,
                last_line: Instant::now(),
            }),
        }
    }

    fn on(&self, event: BatchEvent) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match event {
            BatchEvent::Started {
                total,
                to_send,
                already_done,
            } => {
                counts.to_send = to_send;
                let line = format!(
                    "feishu-vc: batch of {total} rows: {to_send} to send, {already_done} done before"
                );
                match &self.bar {
                    Some(bar) => {
                        bar.set_length(to_send as u64);
                        bar.println(line);
                    }
                    None => note(&line),
                }
            }
            BatchEvent::Settled(record) => {
                counts.settled += 1;
                match record.state {
                    State::Booked => counts.booked += 1,
                    State::Refused => counts.refused += 1,
                    State::Pending => counts.not_sent += 1,
                    _ => counts.unknown += 1,
                }
                let status = format!(
                    "booked {}, refused {}, unknown {}, not sent {}",
                    counts.booked, counts.refused, counts.unknown, counts.not_sent
                );
                match &self.bar {
                    Some(bar) => {
                        bar.set_message(status);
                        bar.inc(1);
                    }
                    None => {
                        let due = counts.settled.is_multiple_of(LINE_EVERY_ROWS)
                            || counts.last_line.elapsed() >= LINE_EVERY
                            || counts.settled == counts.to_send;
                        if due {
                            counts.last_line = Instant::now();
                            note(&format!(
                                "feishu-vc: batch: {}/{} sent ({status})",
                                counts.settled, counts.to_send
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use feishu_vc_ledger::{Intent, Refusal};

    use super::*;

    #[test]
    fn rows_not_sent_are_listed_with_their_error_and_what_to_do() {
        let at = Timestamp::from_unix_seconds(1_800_000_000);
        let intent = Intent::new(batch_key("b.csv", "7"), "fp", at, "{}", at);
        let mut record = Record::pending(intent);
        record.refusal = Some(Refusal {
            code: Some(99991400),
            message: "rate limited (HTTP 429)".to_owned(),
        });
        let mut summary = BatchSummary::default();
        summary.not_sent.push(record);
        let table = summary_table("b.csv", 1, &summary);
        assert!(table.contains("  not sent        1\n"), "{table}");
        assert!(
            table.contains("not sent row 7: rate limited (HTTP 429); run again to send them"),
            "{table}"
        );
        let json = summary_json("b.csv", 1, &summary);
        assert_eq!(json["not_sent"][0]["key"], "7");
        assert_eq!(json["not_sent"][0]["code"], 99991400);
    }
}
