//! `feishu-vc reserve update ID`: renew (`--end-time`) or change a reservation, keeping the
//! ledger true.

use feishu_vc::model::{UpdateReserveBody, UpdateReserveRequest};

use crate::args::UpdateArgs;
use crate::outcome::Failure;
use crate::output::Effect;
use crate::session::{Change, Session, is_gone};
use crate::settings::{apply_settings, flag_of, read_body, settings_given};
use feishu_vc::when;

pub(crate) async fn run(session: &Session, args: &UpdateArgs) -> Result<(), Failure> {
    let flags = |path: &str| flag_of(path, &args.settings, false);
    let request = request(session, args)?;
    if session.dry_run {
        return session.dry_run(&request, flags);
    }
    let renews = request.body.end_time.is_some();
    let reserve_id = request.reserve_id.clone();
    let call = session
        .client
        .reserves()
        .update(request.reserve_id.clone(), request.body)
        .with_options(session.options());
    let call = match request.user_id_type {
        Some(t) => call.set_user_id_type(t),
        None => call,
    };
    let answer = call.await;
    match &answer {
        Ok(response) if renews => {
            if let Some(end) = response.data.end_time {
                session.record(&reserve_id, Change::EndTime(end)).await;
            }
        }
        Err(e) if is_gone(e) => {
            session
                .record(&reserve_id, Change::Ended(feishu_vc_ledger::State::Gone))
                .await;
        }
        _ => {}
    }
    session.show(answer, flags, None, Effect::Changed("updated"))
}

/// The request the flags (and `--body`) describe.
fn request(session: &Session, args: &UpdateArgs) -> Result<UpdateReserveRequest, Failure> {
    let mut body: UpdateReserveBody = match &args.settings.body {
        Some(path) => read_body(path)?,
        None => UpdateReserveBody::default(),
    };
    if let Some(end) = &args.settings.end_time {
        body.end_time = Some(
            when::parse_when(end, session.clock.now())
                .map_err(|e| Failure::usage(e.to_string()))?,
        );
    }
    let touches_settings = args.clear_hosts || settings_given(&args.settings);
    if touches_settings {
        let mut settings =
            apply_settings(body.meeting_settings.unwrap_or_default(), &args.settings)?;
        if args.clear_hosts {
            // Sent as `[]`: an update clears what it sends empty.
            settings.assign_host_list = Some(Vec::new());
        }
        body.meeting_settings = Some(settings);
    }
    let mut request = UpdateReserveRequest::from_body(args.id.clone(), body);
    if let Some(t) = session.user_id_type {
        request = request.set_user_id_type(t);
    }
    Ok(request)
}
