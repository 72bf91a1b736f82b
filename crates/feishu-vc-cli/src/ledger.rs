//! The ledger behind `reserve apply`, `update`, `delete`, `list` and `keep`: where it lives
//! (`--ledger`), the store it opens, and the clock it runs by.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use feishu_vc::model::{SecretString, TokenKind};
use feishu_vc::transport::reqwest::Url;
use feishu_vc::transport::{BoxFuture, ProvidedToken, TokenError};
use feishu_vc::{Client, TokenProvider};
use feishu_vc_ledger::{BookError, LedgerError, LedgerStore};

use crate::clock::Clock;
use crate::env::LEDGER_ENV;
use crate::outcome::Failure;

/// Where the ledger is.
#[derive(Clone)]
pub(crate) enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database, by URL (which may carry a password: never shown).
    Postgres(SecretString),
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

impl Location {
    /// `given` (`--ledger` or `FEISHU_VC_LEDGER`), else the default: for the built-in emulator a
    /// file beside its state (`state`), so that demo bookings never mix with real ones; otherwise
    /// `<data dir>/feishu-vc/ledger.sqlite3`.
    pub(crate) fn resolve(
        given: Option<&str>,
        emulator_state: Option<&Path>,
    ) -> Result<Self, Failure> {
        if let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) {
            if given.starts_with("postgres://") || given.starts_with("postgresql://") {
                return Ok(Self::Postgres(SecretString::new(given.to_owned())));
            }
            if given.contains("://") {
                return Err(Failure::usage(
                    "--ledger takes a SQLite file or a postgres:// URL",
                ));
            }
            return Ok(Self::Sqlite(PathBuf::from(given)));
        }
        if let Some(state) = emulator_state {
            let name = state
                .file_name()
                .map_or_else(|| "emulator".into(), |n| n.to_string_lossy().into_owned());
            return Ok(Self::Sqlite(
                state.with_file_name(format!("{name}-ledger.sqlite3")),
            ));
        }
        let data = dirs::data_dir().ok_or_else(|| {
            Failure::usage(format!(
                "no user data directory for the ledger: give --ledger FILE or set {LEDGER_ENV}"
            ))
        })?;
        Ok(Self::Sqlite(data.join("feishu-vc").join("ledger.sqlite3")))
    }

    /// The location as shown in messages: a PostgreSQL URL without its password.
    pub(crate) fn shown(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(url) => redact_url(url.expose_secret()),
        }
    }

    /// Opens (creating when needed) the store.
    pub(crate) async fn open(&self) -> Result<Arc<dyn LedgerStore>, Failure> {
        let failed = |e: LedgerError| {
            Failure::usage(format!(
                "could not open the ledger {}: {}",
                self.shown(),
                self.scrub(&describe(&e))
            ))
        };
        match self {
            Self::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::files::private_dir(dir).map_err(|e| {
                        Failure::usage(format!("could not create {}: {e}", dir.display()))
                    })?;
                }
                let store = feishu_vc_ledger_sqlx::SqliteLedger::open(path)
                    .await
                    .map_err(failed)?;
                Ok(Arc::new(store))
            }
            Self::Postgres(url) => {
                let store = feishu_vc_ledger_sqlx::PostgresLedger::connect(url.expose_secret())
                    .await
                    .map_err(failed)?;
                Ok(Arc::new(store))
            }
        }
    }

    /// `text` with the PostgreSQL password, if any, replaced.
    pub(crate) fn scrub(&self, text: &str) -> String {
        match self {
            Self::Postgres(url) => passwords_of(url.expose_secret())
                .iter()
                .filter(|p| !p.is_empty())
                .fold(text.to_owned(), |text, p| text.replace(p.as_str(), "***")),
            Self::Sqlite(_) => text.to_owned(),
        }
    }
}

/// The URL's password as written and as decoded (they differ when it is percent-encoded).
fn passwords_of(url: &str) -> Vec<String> {
    let Some(written) = Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    else {
        return Vec::new();
    };
    let decoded = percent_encoding::percent_decode_str(&written)
        .decode_utf8_lossy()
        .into_owned();
    vec![written, decoded]
}

/// A URL with any password replaced by `***`.
fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "a postgres:// URL that cannot be read".to_owned(),
    }
}

/// The error and its causes, in one line.
pub(crate) fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let shown = cause.to_string();
        if !text.contains(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        source = cause.source();
    }
    text
}

/// A failure of the ledger or of the call it made, as the command ends.
pub(crate) fn book_failure(location: &Location, e: BookError) -> Failure {
    match e {
        BookError::Sdk(e) => Failure::from(e),
        BookError::Ledger(LedgerError::Conflict { key, .. }) => Failure::usage(format!(
            "the key `{key}` is already in the ledger for another request; nothing was sent (use another --key)"
        )),
        BookError::Ledger(LedgerError::NotFound(what)) => Failure::usage(format!(
            "{what} is not in the ledger {} (only what was booked through it is)",
            location.shown()
        )),
        other => Failure::api(location.scrub(&describe(&other))),
    }
}

/// A failure of the store alone.
pub(crate) fn store_failure(location: &Location, e: &LedgerError) -> Failure {
    Failure::usage(format!(
        "ledger {}: {}",
        location.shown(),
        location.scrub(&describe(e))
    ))
}

/// A user access token given on the command line, as the ledger's client's token.
pub(crate) struct FixedUserToken(pub(crate) SecretString);

impl std::fmt::Debug for FixedUserToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FixedUserToken(** redacted **)")
    }
}

impl TokenProvider for FixedUserToken {
    fn token<'a>(
        &'a self,
        _tenant_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ProvidedToken, TokenError>> {
        let token = ProvidedToken::new(self.0.clone());
        Box::pin(async move { Ok(token) })
    }

    fn reject(&self, _token: &SecretString, _tenant_key: Option<&str>) {}

    fn kind(&self) -> TokenKind {
        TokenKind::User
    }
}

/// The ledger over `client`, on `store`, by `clock`.
pub(crate) fn ledger(
    client: Client,
    store: Arc<dyn LedgerStore>,
    clock: Clock,
) -> feishu_vc_ledger::Ledger {
    feishu_vc_ledger::Ledger::new(client, store).with_clock(move || clock.timestamp())
}

/// A fresh key for a single booking given no `--key`.
pub(crate) fn fresh_key() -> String {
    format!("apply-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_password_is_never_shown() {
        let location = Location::resolve(
            Some("postgres://keeper:s3cr%40t@db.local:5432/ledger"),
            None,
        )
        .unwrap();
        let shown = location.shown();
        assert!(!shown.contains("s3cr"), "{shown}");
        assert!(
            shown.contains("keeper") && shown.contains("db.local"),
            "{shown}"
        );
        assert!(!format!("{location:?}").contains("s3cr"));
        let scrubbed = location.scrub("password authentication failed for s3cr@t and s3cr%40t");
        assert!(!scrubbed.contains("s3cr"), "{scrubbed}");
    }

    #[test]
    fn the_emulator_has_a_ledger_of_its_own_beside_its_state() {
        let state = Path::new("/tmp/x/emulator-state");
        match Location::resolve(None, Some(state)).unwrap() {
            Location::Sqlite(path) => {
                assert_eq!(path, Path::new("/tmp/x/emulator-state-ledger.sqlite3"));
            }
            other => panic!("{other:?}"),
        }
        match Location::resolve(Some("/tmp/y/l.db"), Some(state)).unwrap() {
            Location::Sqlite(path) => assert_eq!(path, Path::new("/tmp/y/l.db")),
            other => panic!("{other:?}"),
        }
        assert!(Location::resolve(Some("mysql://x"), None).is_err());
    }
}
