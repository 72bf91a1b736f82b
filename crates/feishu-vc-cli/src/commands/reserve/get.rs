//! `feishu-vc reserve get ID`: one reservation as Feishu has it.

use feishu_vc::model::GetReserveRequest;

use crate::outcome::Failure;
use crate::output::Effect;
use crate::session::Session;
use crate::settings::no_flags;

pub(crate) async fn run(session: &Session, id: &str) -> Result<(), Failure> {
    let t = session.user_id_type;
    let mut request = GetReserveRequest::new(id);
    request.user_id_type = t;
    if session.dry_run {
        return session.dry_run(&request, no_flags);
    }
    let mut call = session
        .client
        .reserves()
        .get(id.to_owned())
        .with_options(session.options());
    if let Some(t) = t {
        call = call.set_user_id_type(t);
    }
    session.show(call.await, no_flags, None, Effect::Read)
}
