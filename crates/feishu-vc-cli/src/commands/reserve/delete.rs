//! `feishu-vc reserve delete ID [--yes]`: cancel a reservation, asking first on a terminal.

use std::io::IsTerminal;

use feishu_vc::model::DeleteReserveRequest;

use crate::outcome::Failure;
use crate::output::Effect;
use crate::session::{Change, Session, is_gone};
use crate::settings::no_flags;

pub(crate) async fn run(session: &Session, id: &str, yes: bool) -> Result<(), Failure> {
    if session.dry_run {
        return session.dry_run(&DeleteReserveRequest::new(id), no_flags);
    }
    if !yes && std::io::stdin().is_terminal() && !confirm(id)? {
        return Err(Failure::usage("not deleted; nothing was sent"));
    }
    let answer = session
        .client
        .reserves()
        .delete(id.to_owned())
        .with_options(session.options())
        .await;
    let reserve_id = feishu_vc::model::ReserveId::from(id);
    let ended = match &answer {
        Ok(_) => Some(feishu_vc_ledger::State::Deleted),
        Err(e) if is_gone(e) => Some(feishu_vc_ledger::State::Gone),
        Err(_) => None,
    };
    if let Some(state) = ended {
        session.record(&reserve_id, Change::Ended(state)).await;
    }
    session.show(answer, no_flags, Some(id), Effect::Changed("deleted"))
}

/// Asks on the terminal whether to delete; true for `y` or `yes`.
fn confirm(id: &str) -> Result<bool, Failure> {
    confirm_with(id, &mut std::io::stdin().lock(), &mut std::io::stderr())
        .map_err(|e| Failure::usage(format!("reading the answer: {e}")))
}

/// Asks on `ask` whether to delete `id` and reads the answer from `answer`.
fn confirm_with(
    id: &str,
    answer: &mut impl std::io::BufRead,
    ask: &mut impl std::io::Write,
) -> std::io::Result<bool> {
    // The question is a courtesy: a closed stderr must not stop the answer being read.
    let _ = write!(ask, "Delete reservation {id} for good? [y/N] ");
    let _ = ask.flush();
    let mut line = String::new();
    answer.read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_goes_ahead_only_on_yes() {
        for (typed, goes) in [
            ("y\n", true),
            ("YES\n", true),
            ("\n", false),
            ("n\n", false),
            ("", false),
        ] {
            let mut asked = Vec::new();
            let answer = confirm_with("691", &mut typed.as_bytes(), &mut asked).unwrap();
            assert_eq!(answer, goes, "{typed:?}");
            assert!(String::from_utf8(asked).unwrap().contains("691"));
        }
    }
}
