//! `reserve apply --calendar [ID] --attendee ID... --starts WHEN`: what to put on which
//! calendar, checked before anything is booked, and the placement once it is.

use feishu_vc::model::{ApplyReserveRequest, Timestamp};
use feishu_vc::when;
use feishu_vc_ledger::{CalendarRequest, Record};

use crate::args::ApplyArgs;
use crate::ledger;
use crate::outcome::Failure;
use crate::session::Session;

/// The placement the flags ask for (`None` without `--calendar`), refused before booking when it
/// could never be made: an empty attendee, a start after the reservation's end.
pub(crate) fn request(
    session: &Session,
    args: &ApplyArgs,
    apply: &ApplyReserveRequest,
) -> Result<Option<CalendarRequest>, Failure> {
    let Some(calendar) = &args.calendar else {
        return Ok(None);
    };
    let mut request = CalendarRequest::new();
    if !calendar.is_empty() {
        request = request.calendar(calendar.clone());
    }
    let now = session.clock.now();
    let start = match &args.starts {
        Some(text) => {
            when::parse_when(text, now).map_err(|e| Failure::usage(format!("--starts: {e}")))?
        }
        None => session.clock.timestamp(),
    };
    if let Some(end) = apply.body.end_time
        && start > end
    {
        return Err(Failure::usage(
            "--starts is after the reservation's end time (--end-time): the event would end before it starts; nothing was sent",
        ));
    }
    request = request.start(start);
    if let Some(owner) = &apply.body.owner_id {
        request = request.attendee(owner.as_str());
    }
    for attendee in &args.attendee {
        if attendee.trim().is_empty() {
            return Err(Failure::usage(
                "--attendee must name a user (an id of the --user-id-type kind); nothing was sent",
            ));
        }
        request = request.attendee(attendee.clone());
    }
    if let Some(kind) = session.user_id_type {
        request = request.user_id_type(kind);
    }
    Ok(Some(request))
}

/// Puts the booked `record` on the calendar; a failure says the meeting is booked and how to
/// place it again without booking twice: the same command with its key and, since a relative
/// `--end-time` would ask for another end (another request under the same key), the end time
/// `apply` sent.
pub(crate) async fn place(
    session: &Session,
    record: &Record,
    sent_end: Option<Timestamp>,
    request: CalendarRequest,
) -> Result<Record, Failure> {
    let Some(reserve_id) = record.reserve_id.clone() else {
        return Ok(record.clone());
    };
    let location = session.ledger_location()?;
    let placed = session
        .ledger()
        .await?
        .place_on_calendar(&reserve_id, request)
        .await;
    match placed {
        Ok((record, _)) => Ok(record),
        Err(e) => {
            let end = sent_end
                .map(|t| format!(" --end-time {}", t.unix_seconds()))
                .unwrap_or_default();
            Err(ledger::book_failure(location, e).with_message(|why| {
                format!(
                    "booked as {reserve_id}, but not put on the calendar: {why}; run the same command with --key {}{end} to place it (it is not booked again)",
                    record.key()
                )
            }))
        }
    }
}
