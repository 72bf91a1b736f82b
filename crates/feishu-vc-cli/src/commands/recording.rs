//! `feishu-vc recording get | start | stop | permission MEETING_ID`: a meeting's recording.
//! Reading takes any token; starting and stopping take the host's user token, sharing the
//! owner's (--as-user or --user-access-token).

use feishu_vc::model::{
    GetRecordingRequest, RecordingPermissionAction, RecordingPermissionLevel,
    RecordingPermissionObject, RecordingPermissionType, SetRecordingPermissionBody,
    SetRecordingPermissionRequest, StartRecordingBody, StartRecordingRequest, StopRecordingRequest,
};

use crate::args::{PermissionArgs, Recording};
use crate::outcome::Failure;
use crate::output::Effect;
use crate::session::Session;
use crate::settings::no_flags;

/// The flag that set a field of these requests, for error messages.
fn flag(path: &str) -> Option<String> {
    if path == "timezone" {
        return Some("--timezone".to_owned());
    }
    path.starts_with("permission_objects")
        .then(|| "--user / --group / --tenant / --public".to_owned())
}

/// Runs the verb `op` asks for.
pub(crate) async fn run(session: &Session, op: &Recording) -> Result<(), Failure> {
    let recordings = session.client.recordings();
    match op {
        Recording::Get { meeting_id } => {
            if session.dry_run {
                return session.dry_run(&GetRecordingRequest::new(meeting_id.as_str()), no_flags);
            }
            let call = recordings
                .get(meeting_id.to_owned())
                .with_options(session.options());
            session.show(call.await, no_flags, None, Effect::Read)
        }
        Recording::Start {
            meeting_id,
            timezone,
        } => {
            if session.dry_run {
                let mut body = StartRecordingBody::default();
                body.timezone = *timezone;
                let request = StartRecordingRequest::from_body(meeting_id.as_str(), body);
                return session.dry_run(&request, flag);
            }
            let mut call = recordings
                .start(meeting_id.to_owned())
                .with_options(session.options());
            if let Some(hours) = timezone {
                call = call.set_timezone(*hours);
            }
            session.show(call.await, flag, None, Effect::Changed("recording started"))
        }
        Recording::Stop { meeting_id } => {
            if session.dry_run {
                return session.dry_run(&StopRecordingRequest::new(meeting_id.as_str()), flag);
            }
            let call = recordings
                .stop(meeting_id.to_owned())
                .with_options(session.options());
            session.show(call.await, flag, None, Effect::Changed("recording stopped"))
        }
        Recording::Permission(args) => permission(session, args).await,
    }
}

async fn permission(session: &Session, args: &PermissionArgs) -> Result<(), Failure> {
    let view = RecordingPermissionLevel::View;
    let mut grantees: Vec<RecordingPermissionObject> = Vec::new();
    for (ids, kind) in [
        (&args.users, RecordingPermissionType::User),
        (&args.groups, RecordingPermissionType::Group),
    ] {
        grantees.extend(
            ids.iter()
                .map(|id| RecordingPermissionObject::new(view, kind).set_id(id.clone())),
        );
    }
    for (on, kind) in [
        (args.tenant, RecordingPermissionType::Tenant),
        (args.public, RecordingPermissionType::Public),
    ] {
        if on {
            grantees.push(RecordingPermissionObject::new(view, kind));
        }
    }
    if grantees.is_empty() {
        return Err(Failure::usage(
            "name who may view the recording: --user ID, --group CHAT_ID, --tenant or --public",
        ));
    }
    let mut body = SetRecordingPermissionBody::new(grantees);
    if args.revoke {
        body = body.set_action_type(RecordingPermissionAction::Revoke);
    }
    let mut request = SetRecordingPermissionRequest::from_body(args.meeting_id.as_str(), body);
    request.user_id_type = session.user_id_type;
    if session.dry_run {
        return session.dry_run(&request, flag);
    }
    let mut call = session
        .client
        .recordings()
        .set_permission(args.meeting_id.to_owned(), request.body)
        .with_options(session.options());
    if let Some(t) = session.user_id_type {
        call = call.set_user_id_type(t);
    }
    let done = if args.revoke {
        "recording permission revoked"
    } else {
        "recording shared"
    };
    session.show(call.await, flag, None, Effect::Changed(done))
}
