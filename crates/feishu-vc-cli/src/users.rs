//! Users' logins, shared by `auth` and `--as-user`: the app whose users log in, their token file,
//! and a token source that acts as one stored user and refreshes through the file.

use std::sync::Arc;

use feishu_vc::model::SecretString;
use feishu_vc::transport::Transport;
use feishu_vc::{OAuthApp, TokenProvider, UserTokenSource, UserTokens};

use crate::args::{Connection, brand_of, timeout_of};
use crate::outcome::{Failure, file_failure_of};
use crate::token_file::{self, FileTokenStore, TokenFileError};

/// `--emulator` runs a fresh emulator inside each command, which forgets its codes and refresh
/// tokens when the command ends: logging in needs one that keeps running.
pub(crate) const NOT_WITH_EMULATOR: &str = "--emulator cannot log users in: its emulator lives for one command and forgets refresh tokens; serve `feishu-vc emulator` and give its address with --base-url";

/// The app whose users log in, from --app-id and --app-secret (or their environment variables).
/// The secret is needed: it goes with every code exchange and refresh.
pub(crate) fn app_of(c: &Connection) -> Result<(String, SecretString), Failure> {
    if c.emulator {
        return Err(Failure::usage(NOT_WITH_EMULATOR));
    }
    match (&c.app_id, &c.app_secret) {
        (Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
        _ => Err(Failure::credentials(
            "users log in to an app: give --app-id and --app-secret (or FEISHU_APP_ID and FEISHU_APP_SECRET)",
        )),
    }
}

/// The token file of `app_id`'s users.
pub(crate) fn store_of(c: &Connection, app_id: &str) -> Result<FileTokenStore, Failure> {
    let path = token_file::path_for(c.user_tokens.as_deref(), app_id).map_err(file_failure)?;
    Ok(FileTokenStore::new(path, app_id))
}

/// A source of `app`'s users' tokens, reaching the token endpoint where the other calls go.
pub(crate) fn source_of(
    c: &Connection,
    app: (String, SecretString),
    redirect_uri: &str,
    store: &FileTokenStore,
) -> Result<UserTokenSource, Failure> {
    let mut builder = Transport::builder().brand(brand_of(c));
    if let Some(url) = &c.base_url {
        builder = builder.base_url(url.clone()).allow_http(c.allow_http);
    }
    if let Some(timeout) = timeout_of(c)? {
        builder = builder.timeout(timeout);
    }
    let transport = builder.build().map_err(Failure::from)?;
    Ok(UserTokenSource::new(
        transport,
        OAuthApp::new(app.0, app.1, redirect_uri),
        Arc::new(store.clone()),
    ))
}

/// `--as-user[=NAME]`: a token provider acting as that stored user (the only one stored when no
/// name is given), refreshing through the token file.
pub(crate) fn as_user(
    c: &Connection,
    name: Option<&str>,
) -> Result<Arc<dyn TokenProvider>, Failure> {
    let app = app_of(c)?;
    let store = store_of(c, &app.0)?;
    let users = store.users().map_err(file_failure)?;
    let name = match name {
        Some(name) if users.iter().any(|(n, _)| n == name) => name.to_owned(),
        Some(name) => {
            return Err(Failure::credentials(format!(
                "no user `{name}` is logged in to app {} (in {}): run `feishu-vc auth login --user {name}`",
                app.0,
                store.path().display()
            )));
        }
        None => only_user(&store, &users, &app.0, "--as-user=NAME")?,
    };
    // Refreshing sends no redirect URL; it only matters when logging in.
    let source = source_of(c, app, "", &store)?;
    Ok(source.for_user(name))
}

/// The one stored user, or an error saying how to choose.
pub(crate) fn only_user(
    store: &FileTokenStore,
    users: &[(String, UserTokens)],
    app_id: &str,
    choose: &str,
) -> Result<String, Failure> {
    match users {
        [(name, _)] => Ok(name.clone()),
        [] => Err(Failure::credentials(format!(
            "no user is logged in to app {app_id} (in {}): run `feishu-vc auth login`",
            store.path().display()
        ))),
        several => Err(Failure::usage(format!(
            "several users are logged in to app {app_id}; choose one with {choose} ({})",
            several
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A token file that cannot be used: a credentials problem, nothing was sent.
pub(crate) fn file_failure(e: TokenFileError) -> Failure {
    file_failure_of(&e)
}
