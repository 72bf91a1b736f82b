//! `feishu-vc keep [--watch]`: renew the reservations marked to keep before Feishu releases
//! their meeting numbers.

use std::time::Duration;

use feishu_vc_ledger::{KeepOptions, KeepReport, Record};
use serde_json::{Value, json};

use crate::args::{KeepArgs, OutputFormat};
use crate::outcome::Failure;
use crate::output::{self, Effect};
use crate::records::{record_json, table};
use crate::session::Session;
use crate::term::note;

/// Feishu keeps a reservation at most this long: a margin as long would renew at every pass.
const LONGEST: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Runs `feishu-vc keep`.
pub(crate) async fn run(session: &Session, args: &KeepArgs) -> Result<(), Failure> {
    if args.margin >= LONGEST {
        return Err(Failure::usage(
            "--margin must be less than 30 days (Feishu keeps a reservation at most 30 days)",
        ));
    }
    if session.dry_run {
        return Err(Failure::usage("keep has no --dry-run"));
    }
    // Unique per process: claims name their keeper, and a keeper that died leaves claims that
    // lapse rather than ones a new process would mistake for its own.
    let worker = format!("keep-{}-{:016x}", std::process::id(), fastrand::u64(..));
    let options = KeepOptions::new(worker).margin(args.margin);
    let location = session.ledger_location()?;
    let ledger = session.ledger().await?;
    if !args.watch {
        let report = ledger
            .keep_pass(&options)
            .await
            .map_err(|e| crate::ledger::store_failure(location, &e))?;
        print(session, &report, false)?;
        return outcome(&report);
    }
    let stop = crate::term::interrupted();
    tokio::pin!(stop);
    loop {
        match ledger.keep_pass(&options).await {
            Ok(report) => print(session, &report, true)?,
            Err(e) => note(&format!(
                "feishu-vc: keep: {}; trying again next pass",
                crate::ledger::store_failure(location, &e).message()
            )),
        }
        tokio::select! {
            () = tokio::time::sleep(args.interval) => {}
            () = &mut stop => return Ok(()),
        }
    }
}

/// Exit 7 when a reservation could not be renewed or was found lost.
fn outcome(report: &KeepReport) -> Result<(), Failure> {
    if report.failed.is_empty() && report.lost.is_empty() {
        return Ok(());
    }
    Err(Failure::incomplete(format!(
        "{} not renewed, {} found already expired (meeting number lost)",
        report.failed.len(),
        report.lost.len()
    )))
}

fn print(session: &Session, report: &KeepReport, watching: bool) -> Result<(), Failure> {
    let now = session.clock.timestamp();
    let text = match session.printer.format() {
        OutputFormat::Json => {
            let rows = |records: &[Record]| -> Vec<Value> {
                records.iter().map(|r| record_json(r, now)).collect()
            };
            let failed: Vec<Value> = report
                .failed
                .iter()
                .map(|(r, why)| {
                    let mut row = record_json(r, now);
                    row["error"] = Value::from(why.as_str());
                    row
                })
                .collect();
            let value = json!({
                "renewed": rows(&report.renewed),
                "lost": rows(&report.lost),
                "gone": rows(&report.gone),
                "failed": failed,
            });
            if watching {
                // One line per pass, for a log.
                format!("{value}\n")
            } else {
                output::json(&value)?
            }
        }
        OutputFormat::Table => {
            let mut out = format!(
                "renewed {}, lost {}, gone {}, failed {}\n",
                report.renewed.len(),
                report.lost.len(),
                report.gone.len(),
                report.failed.len()
            );
            for (title, records) in [
                ("renewed", &report.renewed),
                (
                    "lost (expired before renewal: meeting number released)",
                    &report.lost,
                ),
                ("gone (deleted elsewhere)", &report.gone),
            ] {
                if !records.is_empty() {
                    out.push_str(&format!("\n{title}:\n"));
                    out.push_str(&table(records, now, &session.printer));
                }
            }
            for (record, why) in &report.failed {
                out.push_str(&format!(
                    "\nfailed {}: {why}\n",
                    record
                        .reserve_id
                        .as_ref()
                        .map_or_else(|| record.key().to_string(), |id| id.as_str().to_owned())
                ));
            }
            out
        }
    };
    output::emit(&text, Effect::Changed("renewed"), || {
        format!("{} reservations", report.renewed.len())
    })
}
