//! `feishu-vc auth` and `--as-user` as real processes, against an emulator served in-process on
//! a free loopback port by each test (and stopped at its end). Each test's token file lives in its
//! own temporary home.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use feishu_vc_emulator::{DEMO_USER_BOB, DEMO_USER_CAROL, Emulator};
use serde_json::Value;

use super::{TempDir, code, command, reserve_id, text};

/// Past the access token's two hours by the emulator's clock (the refresh token lives 7 days).
const PAST_ACCESS_EXPIRY: Duration = Duration::from_secs(2 * 3600 + 60);

/// One test's emulator, home directory and token file.
struct Setup {
    emulator: Emulator,
    home: TempDir,
    tokens: PathBuf,
}

impl Setup {
    async fn start() -> Self {
        let emulator = Emulator::start_default()
            .await
            .expect("the emulator starts");
        let home = TempDir::new("auth");
        let tokens = home.path().join("tokens").join("users.json");
        Self {
            emulator,
            home,
            tokens,
        }
    }

    /// The command pointed at the emulator, with the app's credentials and the token file in the
    /// environment, as a user would set them.
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = command(self.home.path());
        command
            .env("FEISHU_BASE_URL", self.emulator.base_url())
            .env("FEISHU_APP_ID", self.emulator.app_id())
            .env("FEISHU_APP_SECRET", self.emulator.app_secret())
            .env("FEISHU_VC_USER_TOKENS", &self.tokens)
            .args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the binary runs")
    }

    /// `auth login` of the user `name`; the code is given by `extra` (`--code`) or on stdin.
    fn login(&self, name: &str, extra: &[&str]) -> std::process::Command {
        let mut command = self.command(&[
            "auth",
            "login",
            "--user",
            name,
            "--redirect-uri",
            "http://127.0.0.1:8400/callback",
        ]);
        command.args(extra);
        command
    }

    /// Logs `user_id` in under `name` with a code from the emulator's authorize step.
    fn log_in(&self, name: &str, user_id: &str) -> Output {
        let grant = self.emulator.authorize(user_id).expect("a code");
        let out = self.login(name, &["--code", &grant]).output().unwrap();
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        out
    }

    /// The token file's entry for `name`.
    fn stored(&self, name: &str) -> Value {
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(&self.tokens).unwrap()).unwrap();
        file["users"][name].clone()
    }

    fn book_as(&self, as_user: &str) -> Output {
        self.command(&[
            as_user,
            "reserve",
            "apply",
            "--topic",
            "1:1",
            "--end-time",
            "+1d",
        ])
        .output()
        .expect("the binary runs")
    }

    async fn stop(self) {
        self.emulator.shutdown().await.unwrap();
    }
}

fn token_texts(stored: &Value) -> Vec<String> {
    ["access_token", "refresh_token"]
        .iter()
        .map(|k| stored[k].as_str().expect("a token").to_owned())
        .collect()
}

fn assert_no_token(outputs: &[&Output], tokens: &[String]) {
    for out in outputs {
        for token in tokens {
            for stream in [&out.stdout, &out.stderr] {
                assert!(
                    !text(stream).contains(token.as_str()),
                    "a token was printed: {}",
                    text(stream)
                );
            }
        }
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Spends `refresh_token` directly at the emulator's token endpoint, as another program holding
/// a copy of it would; the HTTP status.
async fn spend(emulator: &Emulator, refresh_token: &str) -> u16 {
    let body = serde_json::json!({
        "grant_type": "refresh_token",
        "client_id": emulator.app_id(),
        "client_secret": emulator.app_secret(),
        "refresh_token": refresh_token,
    });
    reqwest::Client::new()
        .post(format!(
            "{}/open-apis/authen/v2/oauth/token",
            emulator.base_url()
        ))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logged_in_user_books_as_themself_and_no_token_is_ever_printed() {
    let s = Setup::start().await;
    let login = s.log_in("bob", DEMO_USER_BOB);
    // The authorization page of the app, on the emulator (the --base-url) here.
    let shown = text(&login.stderr);
    assert!(
        shown.contains(&format!(
            "{}/open-apis/authen/v1/authorize?client_id={}",
            s.emulator.base_url(),
            s.emulator.app_id()
        )),
        "{shown}"
    );
    assert!(shown.contains("offline_access"), "{shown}");
    let said: Value = serde_json::from_slice(&login.stdout).unwrap();
    assert_eq!(said["user"], "bob");
    assert!(
        said["access_token_expires_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    #[cfg(unix)]
    {
        assert_eq!(mode(&s.tokens), 0o600);
        assert_eq!(mode(s.tokens.parent().unwrap()), 0o700);
    }
    let tokens = token_texts(&s.stored("bob"));

    // No --owner: the logged-in user owns the meeting.
    let booked = s.book_as("--as-user");
    assert_eq!(code(&booked), 0, "{}", text(&booked.stderr));
    let id = reserve_id(&booked);
    let state = s.emulator.state();
    let reservation = state.reservation(&id).expect("booked on the emulator");
    assert_eq!(reservation.owner.as_str(), DEMO_USER_BOB);

    let verbose = s
        .command(&["-vv", "--as-user=bob", "reserve", "get", &id])
        .output()
        .unwrap();
    assert_eq!(code(&verbose), 0, "{}", text(&verbose.stderr));
    let status = s.run(&["auth", "status"]);
    assert_eq!(code(&status), 0, "{}", text(&status.stderr));
    let listed: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(listed[0]["user"], "bob");
    assert_eq!(listed[0]["access_token_expired"], false);
    assert_no_token(&[&login, &booked, &verbose, &status], &tokens);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_is_read_from_stdin_and_several_users_need_a_name() {
    let s = Setup::start().await;
    s.log_in("bob", DEMO_USER_BOB);
    // The code on stdin, as pasted: the whole address the browser was sent to.
    let grant = s.emulator.authorize(DEMO_USER_CAROL).unwrap();
    let mut child = s
        .login("carol", &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "http://127.0.0.1:8400/callback?code={grant}").unwrap();
    }
    let login = child.wait_with_output().unwrap();
    assert_eq!(code(&login), 0, "{}", text(&login.stderr));

    let unnamed = s.book_as("--as-user");
    assert_eq!(code(&unnamed), 2, "{}", text(&unnamed.stderr));
    let why = text(&unnamed.stderr);
    assert!(
        why.contains("bob") && why.contains("carol") && why.contains("--as-user=NAME"),
        "{why}"
    );

    let booked = s.book_as("--as-user=carol");
    assert_eq!(code(&booked), 0, "{}", text(&booked.stderr));
    let state = s.emulator.state();
    assert_eq!(state.reservations.len(), 1, "the unnamed one sent nothing");
    assert_eq!(
        state
            .reservation(&reserve_id(&booked))
            .unwrap()
            .owner
            .as_str(),
        DEMO_USER_CAROL
    );

    let unknown = s.book_as("--as-user=dave");
    assert_eq!(code(&unknown), 5, "{}", text(&unknown.stderr));
    assert!(text(&unknown.stderr).contains("auth login --user dave"));

    let out = s.run(&["auth", "logout", "--user", "carol"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(s.stored("carol").is_null());
    assert!(!s.stored("bob").is_null());
    // One user left: --as-user needs no name again.
    assert_eq!(code(&s.book_as("--as-user")), 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_refreshed_once_and_the_new_refresh_token_is_saved() {
    let s = Setup::start().await;
    s.log_in("bob", DEMO_USER_BOB);
    let before = token_texts(&s.stored("bob"));
    s.emulator.advance(PAST_ACCESS_EXPIRY).await.unwrap();

    // -vv: the refresh's own call is traced too, and shows no token either.
    let booked = s
        .command(&[
            "-vv",
            "--as-user",
            "reserve",
            "apply",
            "--topic",
            "1:1",
            "--end-time",
            "+1d",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&booked), 0, "{}", text(&booked.stderr));
    let after = token_texts(&s.stored("bob"));
    assert_ne!(after[0], before[0], "a new access token is saved");
    assert_ne!(after[1], before[1], "the new refresh token is saved");
    // One refresh: the one access token issued since the old one expired.
    assert_eq!(s.emulator.state().live_tokens, 1);
    #[cfg(unix)]
    assert_eq!(mode(&s.tokens), 0o600);
    // The saved refresh token is the live one: the old one is spent, the new one works.
    assert_eq!(spend(&s.emulator, &before[1]).await, 400);
    assert_eq!(spend(&s.emulator, &after[1]).await, 200);
    assert_no_token(&[&booked], &[before, after].concat());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_refresh_token_asks_for_a_new_login_with_its_own_exit_code() {
    let s = Setup::start().await;
    s.log_in("bob", DEMO_USER_BOB);
    let stored = token_texts(&s.stored("bob"));
    // Another program spent the refresh token; then the access token expires.
    assert_eq!(spend(&s.emulator, &stored[1]).await, 200);
    s.emulator.advance(PAST_ACCESS_EXPIRY).await.unwrap();

    let out = s.book_as("--as-user");
    assert_eq!(code(&out), 5, "{}", text(&out.stderr));
    let why = text(&out.stderr);
    assert!(why.contains("re-authorization required"), "{why}");
    assert!(why.contains("feishu-vc auth login --user bob"), "{why}");
    assert!(
        s.emulator.state().reservations.is_empty(),
        "nothing was booked"
    );
    assert_no_token(&[&out], &stored);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_refreshing_at_once_refresh_once_and_all_book() {
    let s = Setup::start().await;
    s.log_in("bob", DEMO_USER_BOB);
    s.emulator.advance(PAST_ACCESS_EXPIRY).await.unwrap();

    let children: Vec<_> = (0..4)
        .map(|_| {
            s.command(&[
                "--as-user",
                "reserve",
                "apply",
                "--topic",
                "race",
                "--end-time",
                "+1d",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    }
    let state = s.emulator.state();
    assert_eq!(state.reservations.len(), 4);
    assert!(
        state
            .reservations
            .iter()
            .all(|r| r.owner.as_str() == DEMO_USER_BOB)
    );
    // Exactly one refresh: one access token issued since the old one expired.
    assert_eq!(state.live_tokens, 1);
    // And the refresh token saved is the one that still works.
    assert_eq!(
        spend(&s.emulator, &token_texts(&s.stored("bob"))[1]).await,
        200
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_file_others_can_read_is_refused_and_nothing_is_sent() {
    let s = Setup::start().await;
    s.log_in("bob", DEMO_USER_BOB);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&s.tokens, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = s.book_as("--as-user");
        assert_eq!(code(&out), 5, "{}", text(&out.stderr));
        let why = text(&out.stderr);
        assert!(why.contains("chmod 600"), "{why}");
        assert!(why.contains(&s.tokens.display().to_string()), "{why}");
        assert!(s.emulator.state().reservations.is_empty());
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_used_twice_is_refused_and_nothing_is_stored() {
    let s = Setup::start().await;
    let grant = s.emulator.authorize(DEMO_USER_BOB).unwrap();
    let login = |name: &str| s.login(name, &["--code", &grant]).output().unwrap();
    assert_eq!(code(&login("bob")), 0);
    let again = login("eve");
    assert_eq!(code(&again), 5, "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("auth login"),
        "{}",
        text(&again.stderr)
    );
    assert!(s.stored("eve").is_null());
    s.stop().await;
}

#[test]
fn as_user_is_refused_with_a_user_token_or_the_per_command_emulator() {
    let home = TempDir::new("as-user");
    let with_token = command(home.path())
        .args([
            "--as-user",
            "--user-access-token",
            "u-x",
            "reserve",
            "get",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&with_token), 2, "{}", text(&with_token.stderr));
    let on_emulator = command(home.path())
        .args(["--emulator", "--as-user", "reserve", "get", "1"])
        .output()
        .unwrap();
    assert_eq!(code(&on_emulator), 2, "{}", text(&on_emulator.stderr));
    assert!(text(&on_emulator.stderr).contains("feishu-vc emulator"));
}
