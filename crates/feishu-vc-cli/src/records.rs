//! How ledger records are shown: as JSON, as a table, and after a booking (by `reserve apply`,
//! `reserve list`, the batch summary and `keep`).

use feishu_vc::model::Timestamp;
use feishu_vc_ledger::{IntentKey, Record, State};
use serde_json::{Value, json};

use crate::outcome::Failure;
use crate::output::{self, Effect, Printer};

/// A record as JSON: what a script needs of it, never a password.
pub(crate) fn record_json(record: &Record, now: Timestamp) -> Value {
    let live = !record.state.is_ended() && record.state == State::Booked;
    json!({
        "key": record.key().as_str(),
        "reserve_id": record.reserve_id.as_ref().map(|id| id.as_str()),
        "meeting_no": record.meeting_no.as_ref().map(|no| no.as_str()),
        "url": record.url,
        "topic": record.intent.topic,
        "owner": record.intent.owner.as_ref().map(|o| o.id.as_str()),
        "end_time": record.end_time,
        "time_left_seconds": live.then(|| (record.end_time.unix_seconds() - now.unix_seconds()).max(0)),
        "keep": record.intent.keep,
        "state": record.state.as_str(),
        "batch": record.intent.batch,
        "log_id": record.log_id,
        "refusal": record.refusal.as_ref().map(|r| json!({"code": r.code, "message": r.message})),
    })
}

/// `reserve apply` (one meeting): prints what the ledger recorded, or fails as the booking did.
pub(crate) fn show_booked(printer: &Printer, record: &Record) -> Result<(), Failure> {
    let key = record.key();
    match record.state {
        State::Refused => {
            let refusal = record.refusal.as_ref();
            let why = refusal.map_or("refused", |r| r.message.as_str());
            Err(Failure::refused(
                refusal.and_then(|r| r.code),
                format!("{why} (recorded in the ledger as `{key}`)"),
            ))
        }
        // Not booked, and may be sent again (the error itself is reported by `not_booked` when
        // this command sent it).
        State::Pending => {
            let refusal = record.refusal.as_ref();
            let why = refusal.map_or("not sent", |r| r.message.as_str());
            Err(not_booked(
                key,
                Failure::refused(refusal.and_then(|r| r.code), why),
            ))
        }
        State::Unknown | State::Sending => {
            let why = record
                .refusal
                .as_ref()
                .map_or("no answer", |r| r.message.as_str());
            Err(Failure::network(format!(
                "outcome unknown: {why}; recorded in the ledger as `{key}` and not sent again (check with `feishu-vc reserve list` or the owner's meetings before booking again)"
            )))
        }
        _ => {
            let data = json!({
                "reserve": {
                    "id": record.reserve_id.as_ref().map(|id| id.as_str()),
                    "meeting_no": record.meeting_no.as_ref().map(|no| no.as_str()),
                    "url": record.url,
                    "end_time": record.end_time,
                    "meeting_settings": {"topic": record.intent.topic},
                },
                "ledger": {
                    "key": key.as_str(),
                    "keep": record.intent.keep,
                    "state": record.state.as_str(),
                },
                "calendar": record.calendar.as_ref().map(|c| json!({
                    "calendar_id": c.calendar_id,
                    "event_id": c.event_id,
                })),
            });
            printer.answer(&data, None, Effect::Changed("booked"))
        }
    }
}

/// A booking left pending under `key` (not booked, may be sent again), ending as `failure` does.
pub(crate) fn not_booked(key: &IntentKey, failure: Failure) -> Failure {
    failure.with_message(|why| {
        format!(
            "not booked: {why}; recorded in the ledger as `{key}`, pending: run the same command again (same --key) to send it"
        )
    })
}

/// A table of records: one line each.
pub(crate) fn table(records: &[Record], now: Timestamp, printer: &Printer) -> String {
    if records.is_empty() {
        return "no reservations in the ledger\n".to_owned();
    }
    let head = [
        "ID",
        "MEETING NO",
        "TOPIC",
        "OWNER",
        "END TIME",
        "LEFT",
        "KEPT",
        "STATE",
    ];
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let left = if r.state == State::Booked {
                time_left(r.end_time.unix_seconds() - now.unix_seconds())
            } else {
                "-".to_owned()
            };
            vec![
                r.reserve_id
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |id| id.as_str().to_owned()),
                r.meeting_no
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |no| no.as_str().to_owned()),
                r.intent.topic.clone().unwrap_or_else(|| "-".to_owned()),
                r.intent
                    .owner
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |o| o.id.clone()),
                printer.local_time(r.end_time),
                left,
                if r.intent.keep { "yes" } else { "no" }.to_owned(),
                r.state.as_str().to_owned(),
            ]
        })
        .collect();
    output::columns(&head, &rows)
}

/// `3d 4h`, `5h 10m`, `12m`, or `expired`.
fn time_left(seconds: i64) -> String {
    if seconds <= 0 {
        return "expired".to_owned();
    }
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (days, hours) {
        (0, 0) => format!("{}m", minutes.max(1)),
        (0, h) => format!("{h}h {minutes}m"),
        (d, h) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_as_a_person_would_say_it() {
        assert_eq!(time_left(-5), "expired");
        assert_eq!(time_left(30), "1m");
        assert_eq!(time_left(3 * 3600 + 120), "3h 2m");
        assert_eq!(time_left(25 * 86_400 + 7200), "25d 2h");
    }
}
