//! Test support (feature `testing`): [`PostgresServer`], a real PostgreSQL server of the test's
//! own, started from a temporary directory on a free loopback port and stopped (its directory
//! removed) on drop, the lifecycle of a test container without Docker.
//!
//! ```no_run
//! # async fn run() {
//! use feishu_vc_ledger_sqlx::testing::PostgresServer;
//!
//! let server = PostgresServer::start();
//! let ledger = server.fresh_ledger().await; // a new, empty database
//! # drop(ledger);
//! # }
//! ```
//!
//! The binaries (`initdb`, `postgres`) are taken from `PATH`, else from the newest
//! `/usr/lib/postgresql/*/bin` (where Debian's `postgresql` package puts them); without them
//! [`PostgresServer::start`] panics saying what to install. PostgreSQL refuses to run as root:
//! as root, the server runs as the `postgres` system user (the package creates it), in a
//! directory given to that user.

use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::PostgresLedger;

/// A `postgres` of the test's own: loopback only, trust authentication, no fsync (a test's data
/// need not survive a power loss). Stopped, and its directory removed, on drop.
#[derive(Debug)]
pub struct PostgresServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    databases: AtomicUsize,
}

/// Who runs the server: the current user, or `postgres` when that is root.
#[derive(Clone, Copy)]
struct RunAs(Option<(u32, u32)>);

impl PostgresServer {
    /// Starts one on a free port and waits until it accepts connections.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts one with server settings of the caller's (`-c name=value`) after the test
    /// defaults: `&[("fsync", "on"), ("synchronous_commit", "on")]` makes it as durable as a
    /// production server, for measurements.
    pub fn start_with(settings: &[(&str, &str)]) -> Self {
        Self::start_inner(settings, false)
    }

    /// Starts one that also accepts TLS (`sslmode=require` URLs), with a self-signed certificate
    /// for `localhost` made by `openssl` (which Debian's `postgresql` package brings) in its
    /// directory.
    pub fn start_tls() -> Self {
        Self::start_inner(&[], true)
    }

    fn start_inner(settings: &[(&str, &str)], tls: bool) -> Self {
        let bin = binaries();
        let run_as = run_as();
        let port = free_port();
        let dir = std::env::temp_dir().join(format!(
            "feishu-vc-postgres-test-{}-{port}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("cannot create the server's temporary directory");
        if let RunAs(Some((uid, gid))) = run_as {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .expect("cannot give the server's directory to the postgres user");
        }
        let mut settings: Vec<(String, String)> = settings
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        if tls {
            let (cert, key) = self_signed_certificate(&dir, run_as);
            settings.push(("ssl".to_owned(), "on".to_owned()));
            settings.push(("ssl_cert_file".to_owned(), cert.display().to_string()));
            settings.push(("ssl_key_file".to_owned(), key.display().to_string()));
        }
        let data = dir.join("data");
        let mut server = Self {
            child: None,
            port,
            dir: dir.clone(),
            databases: AtomicUsize::new(0),
        };

        let mut initdb = run_as.command(&bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .args(["--locale=C", "--no-instructions"]);
        let output = initdb
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.join("initdb").display()));
        assert!(
            output.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );

        let log = std::fs::File::create(dir.join("postgres.log")).unwrap();
        if let RunAs(Some((uid, gid))) = run_as {
            std::os::unix::fs::chown(dir.join("postgres.log"), Some(uid), Some(gid)).unwrap();
        }
        let mut postgres = run_as.command(&bin.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(&dir)
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
            .args(
                settings
                    .iter()
                    .flat_map(|(name, value)| ["-c".to_owned(), format!("{name}={value}")]),
            )
            .stdout(Stdio::null())
            .stderr(log);
        let child = postgres
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.join("postgres").display()));
        server.child = Some(child);
        server.wait_ready(&data);
        server
    }

    /// Waits until the server says it is ready (the last line of `postmaster.pid`) and accepts
    /// TCP connections.
    fn wait_ready(&mut self, data: &Path) {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = std::fs::read_to_string(data.join("postmaster.pid"))
                .is_ok_and(|pid| pid.lines().nth(7).is_some_and(|s| s.trim() == "ready"));
            if ready && std::net::TcpStream::connect(self.addr()).is_ok() {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("postgres exited ({status}): {}", self.log());
            }
            assert!(
                Instant::now() < until,
                "postgres did not start on {}: {}",
                self.addr(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default()
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` as the `postgres` superuser.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a new, empty database and returns its URL.
    pub async fn fresh_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::SeqCst);
        let name = format!("ledger_{n}");
        let mut admin = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .expect("cannot connect to the test server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("cannot create a database");
        admin.close().await.ok();
        self.url(&name)
    }

    /// A ledger in a new, empty database.
    pub async fn fresh_ledger(&self) -> PostgresLedger {
        PostgresLedger::connect(&self.fresh_database().await)
            .await
            .expect("cannot connect the ledger to the test server")
    }

    /// Stops the server now (fast shutdown: clients are disconnected).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let stopped = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if stopped {
            let until = Instant::now() + Duration::from_secs(20);
            while Instant::now() < until {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl RunAs {
    fn command(self, program: &Path) -> Command {
        let mut command = Command::new(program);
        if let RunAs(Some((uid, gid))) = self {
            command.uid(uid).gid(gid);
            // The postgres user may not read the caller's working directory.
            command.current_dir("/");
        }
        command
    }
}

/// A key and a self-signed certificate for `localhost` in `dir`, readable by the server only.
fn self_signed_certificate(dir: &Path, run_as: RunAs) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
    let output = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `openssl` ({e}) to make the TLS test server's certificate; \
                 `cargo xtask test` installs it (Debian/Ubuntu package `openssl`)"
            )
        });
    assert!(
        output.status.success(),
        "openssl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    for file in [&cert, &key] {
        if let RunAs(Some((uid, gid))) = run_as {
            std::os::unix::fs::chown(file, Some(uid), Some(gid)).unwrap();
        }
        std::fs::set_permissions(file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
    }
    (cert, key)
}

/// The `postgres` user's uid and gid when this process runs as root.
fn run_as() -> RunAs {
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    if uid != 0 {
        return RunAs(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let ids = passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        match fields.as_slice() {
            ["postgres", _, uid, gid, ..] => Some((uid.parse().ok()?, gid.parse().ok()?)),
            _ => None,
        }
    });
    match ids {
        Some(ids) => RunAs(Some(ids)),
        None => panic!(
            "running as root, and PostgreSQL refuses to: these tests run it as the `postgres` \
             user, which does not exist; `cargo xtask test` installs PostgreSQL (Debian/Ubuntu \
             package `postgresql`), which creates it"
        ),
    }
}

/// The directory holding `initdb` and `postgres`.
fn binaries() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
    });
    if let Some(dir) = on_path {
        return dir;
    }
    let mut installed: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    installed.sort();
    match installed.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "cannot find PostgreSQL's `initdb` and `postgres` (on PATH or under \
             /usr/lib/postgresql/*/bin): these tests need a real PostgreSQL server; \
             `cargo xtask test` installs it (Debian/Ubuntu package `postgresql`)"
        ),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("cannot find a free loopback port")
}
