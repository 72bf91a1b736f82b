//! `feishu-vc meeting get ID | list --meeting-no NO --from WHEN [--to WHEN]`: meetings held
//! under reservations.

use feishu_vc::model::{GetMeetingRequest, ListMeetingsByNoRequest, Meeting as Held};
use feishu_vc::when::parse_when;
use futures_util::StreamExt;

use crate::args::{Meeting, OutputFormat};
use crate::outcome::Failure;
use crate::output::{self, Effect, columns};
use crate::session::Session;
use crate::settings::no_flags;

/// Runs the verb `op` asks for.
pub(crate) async fn run(session: &Session, op: &Meeting) -> Result<(), Failure> {
    match op {
        Meeting::Get {
            id,
            with_participants,
        } => get(session, id, *with_participants).await,
        Meeting::List {
            meeting_no,
            from,
            to,
            page_size,
        } => list(session, meeting_no, from, to.as_deref(), *page_size).await,
    }
}

async fn get(session: &Session, id: &str, with_participants: bool) -> Result<(), Failure> {
    let t = session.user_id_type;
    let mut request = GetMeetingRequest::new(id).set_with_participants(with_participants);
    request.user_id_type = t;
    if session.dry_run {
        return session.dry_run(&request, no_flags);
    }
    let mut call = session
        .client
        .meetings()
        .get(id.to_owned())
        .with_options(session.options())
        .set_with_participants(with_participants);
    if let Some(t) = t {
        call = call.set_user_id_type(t);
    }
    session.show(call.await, no_flags, None, Effect::Read)
}

/// The flag that set a field of list_by_no, for error messages.
fn list_flag(path: &str) -> Option<String> {
    let flag = match path {
        "meeting_no" => "--meeting-no",
        "start_time" => "--from",
        "end_time" => "--to",
        "page_size" => "--page-size",
        _ => return None,
    };
    Some(flag.to_owned())
}

async fn list(
    session: &Session,
    meeting_no: &str,
    from: &str,
    to: Option<&str>,
    page_size: Option<i64>,
) -> Result<(), Failure> {
    let now = session.clock.now();
    let start = parse_when(from, now).map_err(|e| Failure::usage(format!("--from: {e}")))?;
    let end = match to {
        Some(to) => parse_when(to, now).map_err(|e| Failure::usage(format!("--to: {e}")))?,
        None => session.clock.timestamp(),
    };
    let mut request = ListMeetingsByNoRequest::new(meeting_no, start, end);
    if let Some(size) = page_size {
        request = request.set_page_size(size);
    }
    if session.dry_run {
        return session.dry_run(&request, list_flag);
    }
    let mut call = session
        .client
        .meetings()
        .list_by_no(meeting_no, start, end)
        .with_options(session.options());
    if let Some(size) = page_size {
        call = call.set_page_size(size);
    }
    let stream = call.into_stream();
    let mut stream = std::pin::pin!(stream);
    let mut meetings: Vec<Held> = Vec::new();
    while let Some(meeting) = stream.next().await {
        meetings.push(meeting.map_err(|e| Failure::invalid(e, list_flag))?);
    }
    let text = match session.printer.format() {
        OutputFormat::Json => output::json(
            &serde_json::to_value(&meetings)
                .map_err(|e| Failure::usage(format!("could not print the answer: {e}")))?,
        )?,
        OutputFormat::Table => {
            let time = |t: Option<feishu_vc::model::Timestamp>| {
                t.map_or_else(|| "-".to_owned(), |t| session.printer.local_time(t))
            };
            let rows: Vec<Vec<String>> = meetings
                .iter()
                .map(|m| {
                    vec![
                        m.id.as_ref().map_or("-", |i| i.as_str()).to_owned(),
                        time(m.start_time),
                        time(m.end_time),
                        m.topic.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            columns(&["MEETING ID", "STARTED", "ENDED", "TOPIC"], &rows)
        }
    };
    output::emit(&text, Effect::Read, String::new)
}
