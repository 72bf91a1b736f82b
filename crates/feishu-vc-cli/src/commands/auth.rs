//! `feishu-vc auth login | status | logout`: users' OAuth logins, kept in the token file
//! ([`crate::token_file`]); `--as-user` acts as one of them through [`crate::users`].

use std::io::{BufRead, IsTerminal};
use std::time::{SystemTime, UNIX_EPOCH};

use feishu_vc::model::SecretString;
use feishu_vc::transport::reqwest::Url;
use feishu_vc::{OAuthApp, UserTokenError};
use serde_json::json;

use crate::args::{AuthAction, Connection, LoginArgs, OutputFormat};
use crate::outcome::Failure;
use crate::outcome::user_token_failure;
use crate::output::{self, Effect};
use crate::term::note;
use crate::token_file::FileTokenStore;
use crate::users::{app_of, file_failure, only_user, source_of, store_of};

/// `feishu-vc auth ...`.
pub(crate) async fn run(c: &Connection, action: &AuthAction) -> Result<(), Failure> {
    if c.dry_run || c.as_user.is_some() {
        return Err(Failure::usage(
            "--dry-run and --as-user are for reserve commands",
        ));
    }
    let app = app_of(c)?;
    let store = store_of(c, &app.0)?;
    match action {
        AuthAction::Login(args) => login(c, app, &store, args).await,
        AuthAction::Status => status(c, &app.0, &store),
        AuthAction::Logout { user } => {
            let name = match user {
                Some(name) => name.clone(),
                None => {
                    let users = store.users().map_err(file_failure)?;
                    only_user(&store, &users, &app.0, "--user NAME")?
                }
            };
            if !store.remove(&name).map_err(file_failure)? {
                return Err(Failure::usage(format!(
                    "no user `{name}` is logged in to app {} (in {})",
                    app.0,
                    store.path().display()
                )));
            }
            note(&format!(
                "feishu-vc: logged {name} out of app {}; their tokens are deleted",
                app.0
            ));
            Ok(())
        }
    }
}

/// `feishu-vc auth login`.
async fn login(
    c: &Connection,
    app: (String, SecretString),
    store: &FileTokenStore,
    args: &LoginArgs,
) -> Result<(), Failure> {
    if args.user.trim().is_empty() {
        return Err(Failure::usage("--user: a name is needed"));
    }
    let Some(redirect_uri) = &args.redirect_uri else {
        return Err(Failure::usage(
            "--redirect-uri: give the redirect URL registered for the app (its Security settings), or set FEISHU_REDIRECT_URI",
        ));
    };
    // Fail on a damaged or exposed token file before the user spends a code.
    store.users().map_err(file_failure)?;
    let app_id = app.0.clone();
    let oauth = OAuthApp::new(app.0.clone(), app.1.clone(), redirect_uri.clone());
    let mut scopes: Vec<&str> = args.scopes.iter().map(String::as_str).collect();
    if !scopes.contains(&"offline_access") {
        scopes.push("offline_access");
    }
    let state = new_state()?;
    let url = match &c.base_url {
        Some(base) => oauth.authorize_url_at(base, &scopes, &state),
        None => oauth.authorize_url(crate::args::brand_of(c), &scopes, &state),
    };
    note("feishu-vc: open this page, sign in and allow access:");
    note(&format!("  {url}"));
    let entered = match &args.code {
        Some(code) => code.clone(),
        None => {
            if std::io::stdin().is_terminal() {
                note("feishu-vc: then paste the code, or the whole address you were sent to:");
            }
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| Failure::usage(format!("reading the code from stdin: {e}")))?;
            SecretString::new(line.trim().to_owned())
        }
    };
    let code = code_of(&entered, &state)?;
    let source = source_of(c, app, redirect_uri, store)?;
    let tokens = source
        .log_in(&args.user, code)
        .await
        .map_err(|e| login_failure(&e))?;
    if tokens.refresh_token.is_none() {
        note(
            "feishu-vc: warning: no refresh token was granted (is offline_access enabled for the app?); log in again when the access token expires",
        );
    }
    let answer = json!({
        "user": args.user,
        "app_id": app_id,
        "access_token_expires_at": rfc3339(tokens.access_expires_at),
        "refresh_token_expires_at": tokens.refresh_expires_at.map(rfc3339),
        "scope": tokens.scope,
        "token_file": store.path().display().to_string(),
    });
    let text = if wants_json(c) {
        output::json(&answer)?
    } else {
        format!(
            "logged in as {} (app {app_id}) until {}{}\n",
            args.user,
            rfc3339(tokens.access_expires_at),
            tokens
                .refresh_expires_at
                .map(|t| format!("; renewable until {}", rfc3339(t)))
                .unwrap_or_default()
        )
    };
    // The tokens are saved already: a closed stdout loses only this summary.
    output::emit(&text, Effect::Read, String::new)
}

/// `feishu-vc auth status`.
fn status(c: &Connection, app_id: &str, store: &FileTokenStore) -> Result<(), Failure> {
    let users = store.users().map_err(file_failure)?;
    let now = now_secs();
    let rows: Vec<_> = users
        .iter()
        .map(|(name, t)| {
            json!({
                "user": name,
                "access_token_expires_at": rfc3339(t.access_expires_at),
                "access_token_expired": t.access_expires_at <= now,
                "refresh_token_expires_at": t.refresh_expires_at.map(rfc3339),
                "refresh_token_expired": t.refresh_expires_at.map(|r| r <= now),
                "scope": t.scope,
            })
        })
        .collect();
    let text = if wants_json(c) {
        output::json(&json!(rows))?
    } else if users.is_empty() {
        format!(
            "no user is logged in to app {app_id} ({}); `feishu-vc auth login` logs one in\n",
            store.path().display()
        )
    } else {
        let mut text = format!(
            "users logged in to app {app_id} ({}):\n",
            store.path().display()
        );
        for (name, t) in &users {
            let when = |at: u64| {
                let suffix = if at <= now { " (expired)" } else { "" };
                format!("{}{suffix}", rfc3339(at))
            };
            text.push_str(&format!(
                "  {name}: access token until {}, refresh token {}\n",
                when(t.access_expires_at),
                t.refresh_expires_at
                    .map(|r| format!("until {}", when(r)))
                    .unwrap_or_else(|| "none".to_owned())
            ));
        }
        text
    };
    output::emit(&text, Effect::Read, String::new)
}

/// Whether answers are printed as JSON: `-o json`, or stdout is not a terminal.
fn wants_json(c: &Connection) -> bool {
    match c.output {
        Some(format) => format == OutputFormat::Json,
        None => !std::io::stdout().is_terminal(),
    }
}

/// A fresh OAuth `state`: 16 bytes from the operating system, in hex.
fn new_state() -> Result<String, Failure> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Failure::usage(format!("no random bytes for the login's state: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The code in what the user entered: the code itself, or the address the browser was sent to
/// (`…?code=…&state=…`), whose state must be this login's.
fn code_of(entered: &SecretString, state: &str) -> Result<SecretString, Failure> {
    let text = entered.expose_secret().trim();
    if text.is_empty() {
        return Err(Failure::usage(
            "no code given: pass --code, or paste the code on stdin",
        ));
    }
    if !text.contains('?') && !text.contains('=') {
        return Ok(SecretString::new(text.to_owned()));
    }
    let url = Url::parse(text)
        .or_else(|_| {
            Url::parse(&format!(
                "http://localhost/{}",
                text.trim_start_matches('/')
            ))
        })
        .map_err(|_| Failure::usage("the address given is not a URL; paste the code alone"))?;
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = param("error") {
        return Err(Failure::credentials(format!(
            "the authorization was not given ({error}); nothing was stored"
        )));
    }
    match param("state") {
        Some(got) if got != state => {
            return Err(Failure::usage(
                "the address's state is not this login's (an old or forged link); nothing was stored: run `feishu-vc auth login` again",
            ));
        }
        _ => {}
    }
    param("code")
        .map(SecretString::new)
        .ok_or_else(|| Failure::usage("the address given has no code; paste the code alone"))
}

/// A failed code exchange.
fn login_failure(e: &UserTokenError) -> Failure {
    match e {
        UserTokenError::ReauthorizationRequired { code, .. } => Failure::credentials(format!(
            "the code was refused{}: a code works once, for five minutes, with the app it was made for; nothing was stored: run `feishu-vc auth login` again",
            code.map(|c| format!(" (code {c})")).unwrap_or_default()
        )),
        other => user_token_failure(other),
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Seconds since the Unix epoch as RFC 3339 in UTC.
fn rfc3339(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_address_gives_its_code_when_its_state_is_this_logins() {
        let code = |text: &str| code_of(&SecretString::new(text), "st4te");
        assert_eq!(code("abc-123").unwrap().expose_secret(), "abc-123");
        assert_eq!(
            code("https://example.com/cb?code=abc-123&state=st4te")
                .unwrap()
                .expose_secret(),
            "abc-123"
        );
        assert_eq!(
            code("?code=xyz&state=st4te").unwrap().expose_secret(),
            "xyz"
        );
        assert_eq!(
            code("https://example.com/cb?code=abc-123&state=other")
                .unwrap_err()
                .code(),
            2
        );
        assert_eq!(
            code("https://example.com/cb?error=access_denied&state=st4te")
                .unwrap_err()
                .code(),
            5
        );
        assert_eq!(
            code("https://example.com/cb?state=st4te")
                .unwrap_err()
                .code(),
            2
        );
        assert_eq!(code("   ").unwrap_err().code(), 2);
    }

    #[test]
    fn states_are_unpredictable() {
        let (a, b) = (new_state().unwrap(), new_state().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
