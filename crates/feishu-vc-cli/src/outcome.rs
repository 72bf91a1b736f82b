//! How a failed command ends: one line on stderr and an exit code that says what kind of failure
//! it was.

use std::process::ExitCode;

use feishu_vc::model::ErrorCode;
use feishu_vc::{Error, UserTokenError};

use crate::token_file::TokenFileError;

/// Exit code 2: bad usage or local validation; nothing was sent.
pub(crate) const USAGE: u8 = 2;
/// Exit code 3: the API answered with an error.
pub(crate) const API: u8 = 3;
/// Exit code 4: network, timeout, undecodable answer, or outcome unknown.
pub(crate) const NETWORK: u8 = 4;
/// Exit code 5: credentials or token.
pub(crate) const CREDENTIALS: u8 = 5;
/// Exit code 6: done, output lost. The change was made, but stdout could not be written; what a
/// script needs (reservation id, meeting number) went to stderr instead.
pub(crate) const OUTPUT_LOST: u8 = 6;
/// Exit code 7: not everything was done: rows of a batch were refused, their outcome is unknown or
/// they could not be sent this time (no connection, no token, rate limited), or the batch was
/// stopped by a signal before it sent every row, or `keep` could not renew a reservation or found
/// one already expired. The summary says which.
pub(crate) const INCOMPLETE: u8 = 7;
/// Exit code 8: busy: another run of the same batch is in progress; nothing was sent.
pub(crate) const BUSY: u8 = 8;

/// A failed command, or one that ends early without a message (a reader whose stdout closed).
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// Ends the command with exit code 0 and nothing more to say: nothing was changed and the
    /// reader of its output has gone (`| head -1`).
    pub(crate) fn quiet() -> Self {
        Self {
            code: 0,
            message: String::new(),
        }
    }

    /// The change was made but its output could not be written.
    pub(crate) fn output_lost(message: impl Into<String>) -> Self {
        Self {
            code: OUTPUT_LOST,
            message: message.into(),
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            code: USAGE,
            message: message.into(),
        }
    }

    pub(crate) fn credentials(message: impl Into<String>) -> Self {
        Self {
            code: CREDENTIALS,
            message: message.into(),
        }
    }

    pub(crate) fn api(message: impl Into<String>) -> Self {
        Self {
            code: API,
            message: message.into(),
        }
    }

    /// Some of the work was not done; the summary printed says what.
    pub(crate) fn incomplete(message: impl Into<String>) -> Self {
        Self {
            code: INCOMPLETE,
            message: message.into(),
        }
    }

    /// Another run of the same batch holds its lock; nothing was sent.
    pub(crate) fn busy(message: impl Into<String>) -> Self {
        Self {
            code: BUSY,
            message: message.into(),
        }
    }

    /// A booking the ledger recorded as refused (or left pending, not booked), by its code: credentials (5), another API
    /// error (3), or none, which is a failure below the API such as a refused connection (4).
    pub(crate) fn refused(code: Option<i64>, message: impl Into<String>) -> Self {
        let code = match code.map(ErrorCode::from_code) {
            Some(code) if is_credential_code(code) => CREDENTIALS,
            Some(_) => API,
            None => NETWORK,
        };
        Self {
            code,
            message: message.into(),
        }
    }

    /// The same failure (exit code), saying what `say` makes of its message.
    pub(crate) fn with_message(self, say: impl FnOnce(&str) -> String) -> Self {
        Self {
            message: say(&self.message),
            ..self
        }
    }

    /// What it says.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn network(message: impl Into<String>) -> Self {
        Self {
            code: NETWORK,
            message: message.into(),
        }
    }

    /// The exit code it ends the command with.
    #[cfg(test)]
    pub(crate) fn code(&self) -> u8 {
        self.code
    }

    /// Prints the message as one line (if there is one) and returns the exit code.
    pub(crate) fn report(self) -> ExitCode {
        if !self.message.is_empty() {
            let line = self.message.replace('\n', " ");
            let kind = if self.code == OUTPUT_LOST {
                "done, output lost"
            } else {
                "error"
            };
            crate::term::note(&format!("feishu-vc: {kind}: {line}"));
        }
        ExitCode::from(self.code)
    }

    /// A request refused locally, each violation named by the flag that set it when `flag_of`
    /// knows one (`--password (meeting_settings.password): ...`). Never shows a value.
    pub(crate) fn invalid(e: Error, flag_of: impl Fn(&str) -> Option<String>) -> Self {
        let Some(violations) = e.violations() else {
            return Self::from(e);
        };
        let named: Vec<String> = violations
            .iter()
            .map(|v| match flag_of(v.path()) {
                Some(flag) if v.is_error() => format!(
                    "{flag} ({}): {} (code {})",
                    v.path(),
                    v.rule(),
                    v.code().code()
                ),
                Some(_) | None => v.to_string(),
            })
            .collect();
        Self::usage(format!(
            "invalid request, nothing was sent: {}",
            named.join("; ")
        ))
    }
}

/// Codes that mean the credentials or the token are wrong, whatever the endpoint.
fn is_credential_code(code: ErrorCode) -> bool {
    code.is_token_rejected()
        || matches!(
            code,
            ErrorCode::AuthorizationMissing
                | ErrorCode::UserAccessTokenInvalid
                | ErrorCode::UserAccessTokenExpired
                | ErrorCode::AppCredentialsInvalid
                | ErrorCode::AppSecretInvalid
                | ErrorCode::TokenRequestInvalid
        )
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        // A user's token (--as-user): re-authorization required has its own message.
        if let Error::Token(t) = &e
            && let Some(user_token) = t.user_token_error()
        {
            return user_token_failure(user_token);
        }
        let code = match &e {
            Error::InvalidRequest(_) | Error::Config(_) => USAGE,
            // The token endpoint could not be reached: a network problem, not a credentials one.
            Error::Token(t)
                if t.http_status.is_none() && std::error::Error::source(&e).is_some() =>
            {
                NETWORK
            }
            Error::Token(_) => CREDENTIALS,
            Error::Api(api) if is_credential_code(api.code) => CREDENTIALS,
            Error::Connect(_)
            | Error::Timeout(_)
            | Error::Network(_)
            | Error::OutcomeUnknown(_)
            | Error::Decode(_)
            | Error::BodyTooLarge(_) => NETWORK,
            _ => API,
        };
        // `InvalidRequest` says "nothing was sent" itself.
        let hint = match &e {
            Error::OutcomeUnknown(_) => {
                " (run `feishu-vc reserve get` on the id you expect, or check the owner's meetings, before booking again)"
            }
            Error::Connect(_) => " (check the network, or --base-url)",
            _ => "",
        };
        Self {
            code,
            message: format!("{e}{hint}"),
        }
    }
}

/// How a user-token error ends a command: re-authorization required gets its own message and
/// the credentials exit code.
pub(crate) fn user_token_failure(e: &UserTokenError) -> Failure {
    match e {
        UserTokenError::ReauthorizationRequired { user, .. } => Failure::credentials(format!(
            "{e}: the stored login of {user} can no longer be refreshed; run `feishu-vc auth login --user {user}` again"
        )),
        UserTokenError::Temporary { .. } => Failure::network(format!("{e}; try again in a moment")),
        UserTokenError::Store(source) => match source.downcast_ref::<TokenFileError>() {
            Some(file) => file_failure_of(file),
            None => Failure::credentials(format!("{e}: {source}")),
        },
        UserTokenError::Transport(inner) => Failure::network(format!("{e}: {inner}")),
        other => Failure::credentials(other.to_string()),
    }
}

pub(crate) fn file_failure_of(e: &TokenFileError) -> Failure {
    match std::error::Error::source(e) {
        Some(source) => Failure::credentials(format!("{e}: {source}")),
        None => Failure::credentials(e.to_string()),
    }
}
