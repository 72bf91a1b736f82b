//! `feishu-vc reserve list [--refresh] [--batch NAME]`: the reservations in the ledger.

use feishu_vc_ledger::{RecordFilter, State};
use serde_json::Value;

use crate::args::{ListArgs, OutputFormat};
use crate::outcome::Failure;
use crate::output::{self, Effect};
use crate::records::{record_json, table};
use crate::session::Session;
use crate::term::note;

/// `feishu-vc reserve list [--refresh] [--batch NAME]`.
pub(crate) async fn run(session: &Session, args: &ListArgs) -> Result<(), Failure> {
    let location = session.ledger_location()?;
    let ledger = session.ledger().await?;
    let mut filter = RecordFilter::all();
    if let Some(batch) = &args.batch {
        filter = filter.batch(batch.clone());
    }
    let mut records = ledger
        .store()
        .list(&filter)
        .await
        .map_err(|e| crate::ledger::store_failure(location, &e))?;
    if args.refresh {
        for record in &mut records {
            let Some(id) = record.reserve_id.clone() else {
                continue;
            };
            if record.state != State::Booked {
                continue;
            }
            match ledger.refresh(&id).await {
                Ok(fresh) => *record = fresh,
                Err(e) => note(&format!(
                    "feishu-vc: warning: could not refresh {id}: {}",
                    location.scrub(&crate::ledger::describe(&e))
                )),
            }
        }
    }
    let now = session.clock.timestamp();
    let text = match session.printer.format() {
        OutputFormat::Json => {
            let rows: Vec<Value> = records.iter().map(|r| record_json(r, now)).collect();
            output::json(&Value::Array(rows))?
        }
        OutputFormat::Table => table(&records, now, &session.printer),
    };
    output::emit(&text, Effect::Read, String::new)
}
