//! `feishu-vc reserve active ID [--with-participants]`: the reservation's live meeting.

use feishu_vc::model::GetActiveMeetingRequest;

use crate::outcome::Failure;
use crate::output::Effect;
use crate::session::Session;
use crate::settings::no_flags;

pub(crate) async fn run(
    session: &Session,
    id: &str,
    with_participants: bool,
) -> Result<(), Failure> {
    let t = session.user_id_type;
    let mut request = GetActiveMeetingRequest::new(id).set_with_participants(with_participants);
    request.user_id_type = t;
    if session.dry_run {
        return session.dry_run(&request, no_flags);
    }
    let mut call = session
        .client
        .reserves()
        .get_active_meeting(id.to_owned())
        .with_options(session.options())
        .set_with_participants(with_participants);
    if let Some(t) = t {
        call = call.set_user_id_type(t);
    }
    session.show(call.await, no_flags, None, Effect::Read)
}
