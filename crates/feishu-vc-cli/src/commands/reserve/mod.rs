//! `feishu-vc reserve <verb>`: one module per verb, each taking the [`Session`].

mod active;
mod apply;
mod batch;
mod calendar;
mod delete;
mod get;
mod list;
mod report;
mod update;

use crate::args::Reserve;
use crate::outcome::Failure;
use crate::session::Session;

/// Runs the verb `op` asks for.
pub(crate) async fn run(session: &Session, op: &Reserve) -> Result<(), Failure> {
    match op {
        Reserve::Apply(args) if args.batch.is_some() => batch::run(session, args).await,
        Reserve::Apply(args) => apply::run(session, args).await,
        Reserve::List(args) => list::run(session, args).await,
        Reserve::Get { id } => get::run(session, id).await,
        Reserve::Update(args) => update::run(session, args).await,
        Reserve::Delete { id, yes } => delete::run(session, id, *yes).await,
        Reserve::Report { id } => report::run(session, id).await,
        Reserve::Active {
            id,
            with_participants,
        } => active::run(session, id, *with_participants).await,
    }
}
