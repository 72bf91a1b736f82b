//! The flags of `auth`.

use clap::{Args, Subcommand};
use feishu_vc::model::SecretString;

use super::connection::Connection;

/// `feishu-vc auth ...`: the connection flags may also come after the action.
#[derive(Debug, Args)]
pub(crate) struct AuthCommand {
    #[command(flatten)]
    pub(crate) connection: Connection,

    #[command(subcommand)]
    pub(crate) action: AuthAction,
}

/// The user name `auth login` stores tokens under when --user is not given.
pub(crate) const DEFAULT_USER: &str = "default";

#[derive(Debug, Subcommand)]
pub(crate) enum AuthAction {
    /// Log a user in: prints the authorization page's address, reads the code Feishu sends back
    /// (--code, or one line on stdin: the code or the whole address the browser was sent to),
    /// exchanges it, and saves the user's tokens in a file only you can read. Prints who is
    /// logged in and until when, never a token.
    Login(LoginArgs),
    /// List the logged-in users, with when their access and refresh tokens expire.
    Status,
    /// Forget a logged-in user's tokens.
    Logout {
        /// The user [default: the only one stored].
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The name to keep the user's tokens under, for --as-user=NAME.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_USER)]
    pub(crate) user: String,

    /// The authorization code (or the whole address the browser was sent to); without it, it is
    /// read from stdin. Codes work once, for five minutes.
    #[arg(long, value_name = "CODE")]
    pub(crate) code: Option<SecretString>,

    /// The redirect URL registered for the app (its Security settings); Feishu sends the user
    /// there with the code.
    #[arg(long, value_name = "URL", env = "FEISHU_REDIRECT_URI")]
    pub(crate) redirect_uri: Option<String>,

    /// A scope to ask for; repeat for more. `offline_access` (for refreshing) is always added.
    #[arg(long = "scope", value_name = "SCOPE", default_values = ["vc:reserve", "vc:reserve:readonly"])]
    pub(crate) scopes: Vec<String>,
}
