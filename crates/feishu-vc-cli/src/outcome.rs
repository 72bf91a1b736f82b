//! How a failed command ends: one line on stderr and an exit code that says what kind of failure
//! it was.

use std::process::ExitCode;

use feishu_vc::Error;
use feishu_vc::model::ErrorCode;

/// Exit code 2: bad usage or local validation; nothing was sent.
pub(crate) const USAGE: u8 = 2;
/// Exit code 3: the API answered with an error.
pub(crate) const API: u8 = 3;
/// Exit code 4: network, timeout, undecodable answer, or outcome unknown.
pub(crate) const NETWORK: u8 = 4;
/// Exit code 5: credentials or token.
pub(crate) const CREDENTIALS: u8 = 5;

/// A failed command.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl Failure {
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

    pub(crate) fn network(message: impl Into<String>) -> Self {
        Self {
            code: NETWORK,
            message: message.into(),
        }
    }

    /// Prints the message as one line and returns the exit code.
    pub(crate) fn report(self) -> ExitCode {
        let line = self.message.replace('\n', " ");
        eprintln!("feishu-vc: error: {line}");
        ExitCode::from(self.code)
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
            | Error::Decode(_) => NETWORK,
            _ => API,
        };
        let hint = match &e {
            Error::InvalidRequest(_) => " (nothing was sent)",
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
