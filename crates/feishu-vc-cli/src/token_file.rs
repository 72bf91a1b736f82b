//! The file where `feishu-vc auth login` keeps users' tokens: a [`UserTokenStore`] for the CLI.
//!
//! One JSON file per app (`<data dir>/feishu-vc/users/<app id>.json` unless `--user-tokens` or
//! [`TOKENS_ENV`](crate::env::TOKENS_ENV) names another), holding each logged-in user's access and refresh tokens. The
//! file is created readable by its owner only, in a directory only its owner can enter, and is
//! never read when others could read it. Every change is written to a temporary owner-only file
//! beside it and renamed over it, so a crash leaves either the old tokens or the new ones, never
//! half a file.
//!
//! Changes are made under an exclusive lock on `<file>.lock`, and [`UserTokenStore::try_lock`]
//! takes the same lock for the whole of a refresh: a refresh token works once, so two `feishu-vc`
//! processes must never both spend it. The system releases the lock when the process ends,
//! however it ends.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use feishu_vc::model::SecretString;
use feishu_vc::transport::{BoxError, BoxFuture};
use feishu_vc::{UserTokenStore, UserTokens};
use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};

use crate::env::TOKENS_ENV;

/// Why the token file could not be used. Never shows a token.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenFileError {
    /// Others may read the file: it is not read, and the user is told how to fix it.
    #[error(
        "{} holds tokens but others may read it (mode {mode:03o}); it was not used: run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not a token file (or was damaged). Where, but not what: it holds tokens.
    #[error(
        "{} is not a readable token file (line {line}, column {column}); run `feishu-vc auth logout` or delete it, then log in again",
        path.display()
    )]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Where reading stopped.
        line: usize,
        /// Where reading stopped.
        column: usize,
    },
    /// The file belongs to another app: its tokens would be refused, and refreshing them would
    /// send another app's refresh tokens with this app's secret.
    #[error(
        "{} holds the tokens of app {found}, not of {expected}; give --user-tokens another file",
        path.display()
    )]
    OtherApp {
        /// The file.
        path: PathBuf,
        /// The app the command runs as.
        expected: String,
        /// The app the file was written for.
        found: String,
    },
    /// The app id cannot be part of a file name.
    #[error(
        "the app id `{0}` cannot name a token file (letters, digits, `_`, `-` and `.` only); give --user-tokens FILE"
    )]
    AppIdUnfit(String),
    /// The file system refused.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
}

fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> TokenFileError + 'a {
    move |source| TokenFileError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// The token file of `app_id`: `given` (the flag, or [`TOKENS_ENV`](crate::env::TOKENS_ENV)) if any, else
/// `feishu-vc/users/<app_id>.json` in the user's data directory.
pub(crate) fn path_for(given: Option<&Path>, app_id: &str) -> Result<PathBuf, TokenFileError> {
    if let Some(path) = given {
        return Ok(path.to_owned());
    }
    let fit = !app_id.is_empty()
        && !app_id.starts_with('.')
        && app_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !fit {
        return Err(TokenFileError::AppIdUnfit(app_id.to_owned()));
    }
    let dir = dirs::data_dir().ok_or_else(|| TokenFileError::Io {
        action: "find the user data directory for",
        path: PathBuf::from("the token file"),
        source: std::io::Error::other(format!(
            "none is known; give --user-tokens or set {TOKENS_ENV}"
        )),
    })?;
    Ok(dir
        .join("feishu-vc")
        .join("users")
        .join(format!("{app_id}.json")))
}

/// What the file holds.
#[derive(Serialize, Deserialize)]
struct Contents {
    /// The app whose users these are.
    app_id: String,
    /// By the name given at `auth login`.
    #[serde(default)]
    users: BTreeMap<String, Stored>,
}

/// One user's tokens in the file; times are seconds since the Unix epoch.
#[derive(Serialize, Deserialize)]
struct Stored {
    access_token: SecretString,
    access_expires_at: u64,
    #[serde(default)]
    refresh_token: Option<SecretString>,
    #[serde(default)]
    refresh_expires_at: Option<u64>,
    #[serde(default)]
    scope: String,
}

impl From<&UserTokens> for Stored {
    fn from(t: &UserTokens) -> Self {
        Self {
            access_token: t.access_token.clone(),
            access_expires_at: t.access_expires_at,
            refresh_token: t.refresh_token.clone(),
            refresh_expires_at: t.refresh_expires_at,
            scope: t.scope.clone(),
        }
    }
}

impl From<Stored> for UserTokens {
    fn from(s: Stored) -> Self {
        Self {
            access_token: s.access_token,
            access_expires_at: s.access_expires_at,
            refresh_token: s.refresh_token,
            refresh_expires_at: s.refresh_expires_at,
            scope: s.scope,
        }
    }
}

/// Users' tokens in one owner-only file, changed atomically under a lock shared by every
/// `feishu-vc` process. Its `Debug` shows the file, never a token.
#[derive(Clone)]
pub(crate) struct FileTokenStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    lock_path: PathBuf,
    app_id: String,
    /// The lock file while this process holds the lock for a refresh.
    held: Mutex<Option<File>>,
}

impl std::fmt::Debug for FileTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileTokenStore")
            .field("path", &self.inner.path)
            .field("app_id", &self.inner.app_id)
            .finish_non_exhaustive()
    }
}

impl FileTokenStore {
    /// The store in `path` for `app_id`'s users. Nothing is read or created yet.
    pub(crate) fn new(path: PathBuf, app_id: impl Into<String>) -> Self {
        let mut lock = path.clone().into_os_string();
        lock.push(".lock");
        Self {
            inner: Arc::new(Inner {
                path,
                lock_path: PathBuf::from(lock),
                app_id: app_id.into(),
                held: Mutex::new(None),
            }),
        }
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Every stored user and their tokens, by name.
    pub(crate) fn users(&self) -> Result<Vec<(String, UserTokens)>, TokenFileError> {
        Ok(self
            .inner
            .read()?
            .map(|c| c.users.into_iter().map(|(n, s)| (n, s.into())).collect())
            .unwrap_or_default())
    }

    /// Removes `user`'s tokens; false if there were none.
    pub(crate) fn remove(&self, user: &str) -> Result<bool, TokenFileError> {
        self.inner.change(|users| users.remove(user).is_some())
    }
}

impl Inner {
    fn held(&self) -> MutexGuard<'_, Option<File>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The file's contents; `None` when there is no file yet.
    fn read(&self) -> Result<Option<Contents>, TokenFileError> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("read", &self.path)(e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = file
                .metadata()
                .map_err(io("read", &self.path))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(TokenFileError::Exposed {
                    path: self.path.clone(),
                    mode: mode & 0o777,
                });
            }
        }
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut text).map_err(io("read", &self.path))?;
        let contents: Contents =
            serde_json::from_slice(&text).map_err(|e| TokenFileError::Unreadable {
                path: self.path.clone(),
                line: e.line(),
                column: e.column(),
            })?;
        if contents.app_id != self.app_id {
            return Err(TokenFileError::OtherApp {
                path: self.path.clone(),
                expected: self.app_id.clone(),
                found: contents.app_id,
            });
        }
        Ok(Some(contents))
    }

    /// Replaces the file with `contents`: written to an owner-only temporary file in the same
    /// directory (created owner-only if missing), flushed to disk, then renamed over the file.
    fn write(&self, contents: &Contents) -> Result<(), TokenFileError> {
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        crate::files::private_dir(&dir).map_err(io("create the directory", &dir))?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".feishu-vc-tokens-").suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o600));
        }
        let mut temp = builder
            .tempfile_in(&dir)
            .map_err(io("create a temporary file in", &dir))?;
        let text = serde_json::to_vec_pretty(contents).map_err(|e| TokenFileError::Io {
            action: "write",
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        temp.write_all(&text)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(io("write", temp.path()))?;
        temp.persist(&self.path)
            .map_err(|e| io("replace", &self.path)(e.error))?;
        Ok(())
    }

    /// Runs `f` on the users of the file and saves the result, under the lock (this process's
    /// refresh lock when it holds it, else the lock taken for the change and given back after).
    fn change<T>(
        &self,
        f: impl FnOnce(&mut BTreeMap<String, Stored>) -> T,
    ) -> Result<T, TokenFileError> {
        let holding = self.held().is_some();
        let _taken = if holding {
            None
        } else {
            Some(self.lock_blocking()?)
        };
        let mut contents = self.read()?.unwrap_or_else(|| Contents {
            app_id: self.app_id.clone(),
            users: BTreeMap::new(),
        });
        let out = f(&mut contents.users);
        self.write(&contents)?;
        Ok(out)
    }

    fn open_lock(&self) -> Result<File, TokenFileError> {
        if let Some(dir) = self
            .lock_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            crate::files::private_dir(dir).map_err(io("create the directory", dir))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(&self.lock_path)
            .map_err(io("open", &self.lock_path))
    }

    /// The lock, waiting for another process to give it back.
    fn lock_blocking(&self) -> Result<File, TokenFileError> {
        let file = self.open_lock()?;
        FileExt::lock_exclusive(&file).map_err(io("lock", &self.lock_path))?;
        Ok(file)
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    inner: &Arc<Inner>,
    f: impl FnOnce(&Inner) -> Result<T, TokenFileError> + Send + 'static,
) -> Result<T, BoxError> {
    let inner = inner.clone();
    match tokio::task::spawn_blocking(move || f(&inner)).await {
        Ok(result) => result.map_err(BoxError::from),
        Err(e) => Err(BoxError::from(e)),
    }
}

impl UserTokenStore for FileTokenStore {
    fn load<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<Option<UserTokens>, BoxError>> {
        let user = user.to_owned();
        Box::pin(blocking(&self.inner, move |inner| {
            Ok(inner
                .read()?
                .and_then(|mut c| c.users.remove(&user))
                .map(UserTokens::from))
        }))
    }

    fn save<'a>(
        &'a self,
        user: &'a str,
        tokens: &'a UserTokens,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        let user = user.to_owned();
        let stored = Stored::from(tokens);
        Box::pin(blocking(&self.inner, move |inner| {
            inner.change(|users| {
                users.insert(user, stored);
            })
        }))
    }

    /// Takes the file's lock, for every user of the app: a `feishu-vc` process refreshes one user
    /// at a time. It is held until [`UserTokenStore::unlock`] or the end of the process, whichever
    /// comes first, whatever `lease` says.
    fn try_lock<'a>(
        &'a self,
        _user: &'a str,
        _lease: Duration,
    ) -> BoxFuture<'a, Result<Option<String>, BoxError>> {
        let result = (|| {
            let mut held = self.inner.held();
            if held.is_some() {
                return Ok(None);
            }
            let file = self.inner.open_lock()?;
            if !FileExt::try_lock_exclusive(&file).map_err(io("lock", &self.inner.lock_path))? {
                return Ok(None);
            }
            *held = Some(file);
            Ok(Some(std::process::id().to_string()))
        })();
        Box::pin(async move { result.map_err(|e: TokenFileError| BoxError::from(e)) })
    }

    fn unlock<'a>(
        &'a self,
        _user: &'a str,
        _holder: &'a str,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        // Closing the file gives the lock back.
        drop(self.inner.held().take());
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(access: &str, refresh: &str) -> UserTokens {
        UserTokens {
            access_token: access.into(),
            access_expires_at: 4_000_000_000,
            refresh_token: Some(refresh.into()),
            refresh_expires_at: Some(4_000_100_000),
            scope: "vc:reserve offline_access".to_owned(),
        }
    }

    fn temp_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[tokio::test]
    async fn saved_tokens_come_back_and_other_users_stay() {
        let dir = temp_dir();
        let store = FileTokenStore::new(dir.path().join("users").join("cli_a.json"), "cli_a");
        assert!(store.load("alice").await.unwrap().is_none());
        store.save("alice", &tokens("at-1", "rt-1")).await.unwrap();
        store.save("bob", &tokens("at-2", "rt-2")).await.unwrap();
        store.save("alice", &tokens("at-3", "rt-3")).await.unwrap();
        assert_eq!(
            store.load("alice").await.unwrap(),
            Some(tokens("at-3", "rt-3"))
        );
        assert_eq!(
            store.load("bob").await.unwrap(),
            Some(tokens("at-2", "rt-2"))
        );
        assert!(store.remove("bob").unwrap());
        assert!(!store.remove("bob").unwrap());
        let names: Vec<String> = store.users().unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["alice"]);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_file_and_its_directory_are_owner_only_and_an_exposed_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir();
        let path = dir.path().join("users").join("cli_a.json");
        let store = FileTokenStore::new(path.clone(), "cli_a");
        store.save("alice", &tokens("at-1", "rt-1")).await.unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        // Only the file and its lock: no temporary file is left behind.
        let mut names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["cli_a.json", "cli_a.json.lock"]);

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = store.load("alice").await.unwrap_err().to_string();
        assert!(e.contains("chmod 600") && e.contains("cli_a.json"), "{e}");
        assert!(!e.contains("at-1") && !e.contains("rt-1"), "{e}");
    }

    #[tokio::test]
    async fn a_damaged_file_or_another_apps_file_is_refused_without_showing_its_text() {
        let dir = temp_dir();
        let path = dir.path().join("cli_a.json");
        let store = FileTokenStore::new(path.clone(), "cli_a");
        store
            .save("alice", &tokens("at-secret", "rt-secret"))
            .await
            .unwrap();
        let other = FileTokenStore::new(path.clone(), "cli_b");
        let e = other.load("alice").await.unwrap_err().to_string();
        assert!(e.contains("cli_a") && e.contains("cli_b"), "{e}");

        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            text.replace("access_expires_at", "access_expires_at\": \"x\", \"y"),
        )
        .unwrap();
        let e = store.load("alice").await.unwrap_err().to_string();
        assert!(e.contains("not a readable token file"), "{e}");
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn debug_shows_the_file_not_the_tokens() {
        let store = FileTokenStore::new(PathBuf::from("/tmp/x/cli_a.json"), "cli_a");
        let shown = format!("{store:?}");
        assert!(shown.contains("cli_a.json"), "{shown}");
        let stored = format!("{:?}", tokens("at-secret", "rt-secret"));
        assert!(!stored.contains("secret"), "{stored}");
    }

    #[test]
    fn an_app_id_that_is_no_file_name_is_refused() {
        for bad in ["", "../x", "a/b", ".hidden"] {
            let e = path_for(None, bad).unwrap_err();
            assert!(matches!(e, TokenFileError::AppIdUnfit(_)), "{bad}: {e}");
        }
        let given = PathBuf::from("/somewhere/tokens.json");
        assert_eq!(path_for(Some(&given), "../x").unwrap(), given);
    }

    #[tokio::test]
    async fn the_refresh_lock_keeps_another_holder_out_until_given_back() {
        let dir = temp_dir();
        let path = dir.path().join("cli_a.json");
        let one = FileTokenStore::new(path.clone(), "cli_a");
        let two = FileTokenStore::new(path, "cli_a");
        let holder = one
            .try_lock("alice", Duration::from_secs(15))
            .await
            .unwrap();
        assert!(holder.is_some());
        // Another open of the lock file (as another process would) cannot take it.
        assert!(
            two.try_lock("alice", Duration::from_secs(15))
                .await
                .unwrap()
                .is_none()
        );
        // The holder saves under the lock it holds.
        one.save("alice", &tokens("at-1", "rt-1")).await.unwrap();
        one.unlock("alice", &holder.unwrap()).await.unwrap();
        assert!(
            two.try_lock("alice", Duration::from_secs(15))
                .await
                .unwrap()
                .is_some()
        );
    }
}
