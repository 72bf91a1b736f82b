//! `feishu-vc recording get MEETING_ID`: a meeting's recording once ready.

use feishu_vc::model::GetRecordingRequest;

use crate::args::Recording;
use crate::outcome::Failure;
use crate::output::Effect;
use crate::session::Session;
use crate::settings::no_flags;

/// Runs the verb `op` asks for.
pub(crate) async fn run(session: &Session, op: &Recording) -> Result<(), Failure> {
    match op {
        Recording::Get { meeting_id } => {
            if session.dry_run {
                return session.dry_run(&GetRecordingRequest::new(meeting_id.as_str()), no_flags);
            }
            let call = session
                .client
                .recordings()
                .get(meeting_id.to_owned())
                .with_options(session.options());
            session.show(call.await, no_flags, None, Effect::Read)
        }
    }
}
