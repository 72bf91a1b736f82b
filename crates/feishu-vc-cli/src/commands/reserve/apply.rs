//! `feishu-vc reserve apply`: one booking, through the ledger (`--key`, `--keep`). A batch
//! (`--batch FILE`) is [`super::batch`].

use feishu_vc::model::{ApplyReserveBody, ApplyReserveRequest, ReserveMeetingSetting};

use super::calendar;
use crate::args::ApplyArgs;
use crate::ledger;
use crate::outcome::Failure;
use crate::records;
use crate::session::Session;
use crate::settings::{apply_settings, flag_of, read_body};
use feishu_vc::when;

/// Validates, records the intent, books, and prints what was booked (or what the key had booked).
pub(crate) async fn run(session: &Session, args: &ApplyArgs) -> Result<(), Failure> {
    let flags = |path: &str| flag_of(path, &args.settings, args.owner.is_some());
    let request = request(session, args)?;
    let placement = calendar::request(session, args, &request)?;
    let sent_end = request.body.end_time;
    if session.dry_run {
        return session.dry_run(&request, flags);
    }
    session.check(&request, flags)?;
    let location = session.ledger_location()?;
    let key = args.key.clone().unwrap_or_else(ledger::fresh_key);
    let (record, error) = session
        .ledger()
        .await?
        .book_with_error(
            feishu_vc_ledger::IntentKey::new(key),
            request,
            feishu_vc_ledger::BookOptions::default().keep(args.keep),
        )
        .await
        .map_err(|e| ledger::book_failure(location, e))?;
    // Not booked, pending again: ends as its error does (a user's login that must be
    // renewed, a network failure, rate limiting), saying it was not booked.
    if let (feishu_vc_ledger::State::Pending, Some(error)) = (record.state, error) {
        return Err(records::not_booked(record.key(), Failure::from(error)));
    }
    let record = match placement {
        Some(placement) if record.state == feishu_vc_ledger::State::Booked => {
            calendar::place(session, &record, sent_end, placement).await?
        }
        _ => record,
    };
    records::show_booked(&session.printer, &record)
}

/// The request the flags (and `--body`) describe.
fn request(session: &Session, args: &ApplyArgs) -> Result<ApplyReserveRequest, Failure> {
    let mut body: ApplyReserveBody = match &args.settings.body {
        Some(path) => read_body(path)?,
        None => ApplyReserveBody::new(ReserveMeetingSetting::default()),
    };
    if let Some(end) = &args.settings.end_time {
        body.end_time = Some(
            when::parse_when(end, session.clock.now())
                .map_err(|e| Failure::usage(e.to_string()))?,
        );
    }
    let owner = args.owner.clone().or_else(|| {
        // On the emulator with its demo app, the demo user owns what is booked.
        body.owner_id
            .is_none()
            .then(|| session.default_owner.clone())
            .flatten()
            .filter(|_| session.user_token.is_none())
    });
    if let Some(owner) = owner {
        body.owner_id = Some(owner.into());
    }
    body.meeting_settings = apply_settings(body.meeting_settings, &args.settings)?;
    let mut request = ApplyReserveRequest::from_body(body);
    if let Some(t) = session.user_id_type {
        request = request.set_user_id_type(t);
    }
    Ok(request)
}
