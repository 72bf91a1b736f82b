//! What the test suite needs on the machine, found or installed before any test runs.
//!
//! The tests start real servers of their own on free loopback ports (Redis for
//! `feishu-vc-redis`, PostgreSQL for the ledger's store, with `openssl` making the TLS server's
//! certificate), the official Python SDK's interop runs in a venv and the official Node SDK's
//! under `target/` with Node.js and npm. `cargo xtask test` looks for
//! each; on Debian and Ubuntu it installs what is missing with `apt-get` (as root, or through
//! `sudo`), and elsewhere it names the package for that system and stops before any test runs.
//! Deciding ([`plan`]) is kept apart from looking ([`missing`]) and doing ([`install`]), so the
//! decision is tested on every kind of machine from this one.

use std::io::IsTerminal;
use std::path::Path;
use std::process::{Command, Stdio};

/// One thing the tests need from the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// `redis-server` on `PATH`: the Redis tests start their own.
    Redis,
    /// PostgreSQL's `initdb` and `postgres`, on `PATH` or under `/usr/lib/postgresql/*/bin`.
    Postgres,
    /// The `postgres` system user: PostgreSQL refuses to run as root, so as root the tests run
    /// it as that user.
    PostgresUser,
    /// `openssl`, which makes the certificate of the PostgreSQL server the TLS tests start.
    Openssl,
    /// `python3` with `venv` and `ensurepip`: the official Python SDK is installed into a venv
    /// under `target/` for the interop test.
    PythonVenv,
    /// Node.js 18 or later (`node`): the official Node SDK's interop test runs on it.
    Node,
    /// `npm`: it installs the official Node SDK under `target/` from the lock file.
    Npm,
}

impl Need {
    /// What it is and why, for messages.
    pub fn what(self) -> &'static str {
        match self {
            Need::Redis => "`redis-server` (the Redis tests start their own server)",
            Need::Postgres => {
                "PostgreSQL's `initdb` and `postgres` (the ledger's PostgreSQL tests start their own server)"
            }
            Need::PostgresUser => {
                "a `postgres` system user (as root, the tests run PostgreSQL as that user)"
            }
            Need::Openssl => "`openssl` (it makes the TLS test server's certificate)",
            Need::PythonVenv => {
                "`python3` with `venv` and `ensurepip` (the official Python SDK's interop test)"
            }
            Need::Node => "Node.js 18 or later, `node` (the official Node SDK's interop test)",
            Need::Npm => "`npm` (it installs the official Node SDK for its interop test)",
        }
    }

    /// The package that brings it on `system`, where one package does.
    pub fn package(self, system: System) -> Option<&'static str> {
        Some(match (self, system) {
            (Need::Redis, System::Debian) => "redis-server",
            (Need::Redis, System::Fedora | System::Alpine | System::MacOs) => "redis",
            (Need::Postgres | Need::PostgresUser, System::Debian | System::Alpine) => "postgresql",
            (Need::Postgres | Need::PostgresUser, System::Fedora) => "postgresql-server",
            (Need::Postgres, System::MacOs) => "postgresql@17",
            (Need::Openssl, System::Debian | System::Fedora | System::Alpine) => "openssl",
            (Need::Openssl, System::MacOs) => "openssl@3",
            (Need::PythonVenv, System::Debian) => "python3-venv",
            (Need::PythonVenv, System::Fedora | System::Alpine) => "python3",
            (Need::PythonVenv, System::MacOs) => "python",
            (Need::Node, System::Debian | System::Fedora | System::Alpine) => "nodejs",
            (Need::Npm, System::Debian | System::Alpine) => "npm",
            (Need::Npm, System::Fedora) => "nodejs-npm",
            (Need::Node | Need::Npm, System::MacOs) => "node",
            _ => return None,
        })
    }
}

/// The kind of system, as far as its package manager goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    /// Debian, Ubuntu and their derivatives: `apt-get`. The only kind installed to by itself.
    Debian,
    /// Fedora, RHEL, CentOS: `dnf`.
    Fedora,
    /// Alpine: `apk`.
    Alpine,
    /// macOS, with Homebrew.
    MacOs,
    /// Anything else.
    Other,
}

impl System {
    /// This machine's kind: macOS by the target, Linux by `/etc/os-release`'s `ID` and `ID_LIKE`.
    pub fn detect() -> Self {
        if cfg!(target_os = "macos") {
            return System::MacOs;
        }
        let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        Self::from_os_release(&release)
    }

    /// The kind an `/etc/os-release` text names.
    pub fn from_os_release(text: &str) -> Self {
        let mut ids = Vec::new();
        for line in text.lines() {
            if let Some(value) = line
                .strip_prefix("ID=")
                .or_else(|| line.strip_prefix("ID_LIKE="))
            {
                ids.extend(
                    value
                        .trim_matches('"')
                        .split_whitespace()
                        .map(str::to_owned),
                );
            }
        }
        let has = |names: &[&str]| ids.iter().any(|id| names.contains(&id.as_str()));
        if has(&["debian", "ubuntu"]) {
            System::Debian
        } else if has(&["fedora", "rhel", "centos"]) {
            System::Fedora
        } else if has(&["alpine"]) {
            System::Alpine
        } else {
            System::Other
        }
    }

    /// The command that installs `packages` here, as a user would type it.
    fn install_line(self, packages: &[&str]) -> Option<String> {
        let packages = packages.join(" ");
        Some(match self {
            System::Debian => format!("sudo apt-get install -y {packages}"),
            System::Fedora => format!("sudo dnf install -y {packages}"),
            System::Alpine => format!("sudo apk add {packages}"),
            System::MacOs => format!("brew install {packages}"),
            System::Other => return None,
        })
    }
}

/// Who runs the tests, as far as installing goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Host {
    /// The system's kind.
    pub system: System,
    /// Running as root.
    pub root: bool,
    /// `sudo` is on `PATH`.
    pub sudo: bool,
    /// Standard input is a terminal, so `sudo` may ask for a password.
    pub terminal: bool,
}

impl Host {
    /// This machine and process.
    pub fn detect() -> Self {
        Host {
            system: System::detect(),
            root: is_root(),
            sudo: on_path("sudo"),
            terminal: std::io::stdin().is_terminal(),
        }
    }
}

/// What to do about what is missing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Everything is there.
    Ready,
    /// Install these Debian packages: `prefix` (empty as root, `sudo` or `sudo -n` otherwise)
    /// before `apt-get`.
    Install {
        /// What goes before `apt-get`.
        prefix: Vec<String>,
        /// The packages, each once.
        packages: Vec<&'static str>,
    },
    /// Nothing can be installed from here: this says what to install, and how.
    Refuse(String),
}

/// Decides what to do about `missing` on `host`.
pub fn plan(missing: &[Need], host: &Host) -> Plan {
    if missing.is_empty() {
        return Plan::Ready;
    }
    let mut packages: Vec<&'static str> = missing
        .iter()
        .filter_map(|need| need.package(host.system))
        .collect();
    packages.sort_unstable();
    packages.dedup();
    if host.system == System::Debian && (host.root || host.sudo) {
        let prefix = match (host.root, host.terminal) {
            (true, _) => vec![],
            (false, true) => vec!["sudo".to_owned()],
            (false, false) => vec!["sudo".to_owned(), "-n".to_owned()],
        };
        return Plan::Install { prefix, packages };
    }
    let mut message = String::from("the tests need what this machine lacks:\n");
    for need in missing {
        message.push_str(&format!("  - {}", need.what()));
        match need.package(host.system) {
            Some(package) => message.push_str(&format!(": package `{package}`\n")),
            None => message.push('\n'),
        }
    }
    match host.system.install_line(&packages) {
        Some(line) if !packages.is_empty() => {
            message.push_str(&format!("install it with `{line}`"));
        }
        _ => message.push_str("install it with this system's package manager"),
    }
    if missing.contains(&Need::PostgresUser) {
        message.push_str(", or run the tests as a user other than root");
    }
    message.push_str(", then run `cargo xtask test` again; no test was run");
    Plan::Refuse(message)
}

/// `cargo xtask provision`, and the first step of `cargo xtask test`: installs what this
/// machine lacks of what the tests need (`redis-server`, PostgreSQL's `initdb` and `postgres`,
/// `openssl`, python3's `venv`, Node.js and npm) when it can, and otherwise says what to install
/// and how. Afterwards everything is there, or this is an error: no test is ever skipped for a
/// missing server.
pub fn ensure(host: &Host) -> Result<(), String> {
    let missing = missing();
    match plan(&missing, host) {
        Plan::Ready => Ok(()),
        Plan::Install { prefix, packages } => {
            let whats: Vec<&str> = missing.iter().map(|need| need.what()).collect();
            eprintln!(
                "xtask: installing {} from Debian's packages for {}",
                packages.join(" "),
                whats.join("; ")
            );
            install(&prefix, &packages)?;
            let still = self::missing();
            if still.is_empty() {
                return Ok(());
            }
            let whats: Vec<&str> = still.iter().map(|need| need.what()).collect();
            Err(format!(
                "still missing after installing {}: {}; no test runs without it",
                packages.join(" "),
                whats.join("; ")
            ))
        }
        Plan::Refuse(message) => Err(message),
    }
}

/// What this machine lacks of what the tests need.
pub fn missing() -> Vec<Need> {
    let mut out = Vec::new();
    if !on_path("redis-server") {
        out.push(Need::Redis);
    }
    if !postgres_found() {
        out.push(Need::Postgres);
    }
    if is_root() && !system_user_exists("postgres") {
        out.push(Need::PostgresUser);
    }
    if !on_path("openssl") {
        out.push(Need::Openssl);
    }
    let venv = Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !venv.is_ok_and(|status| status.success()) {
        out.push(Need::PythonVenv);
    }
    let node = Command::new("node")
        .args([
            "-e",
            "process.exit(Number(process.versions.node.split('.')[0]) >= 18 ? 0 : 1)",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|status| status.success()) {
        out.push(Need::Node);
    }
    if !on_path("npm") {
        out.push(Need::Npm);
    }
    out
}

/// Runs `apt-get update` and `apt-get install` for `packages`, behind `prefix`.
pub fn install(prefix: &[String], packages: &[&str]) -> Result<(), String> {
    let run = |args: &[&str]| -> Result<(), String> {
        let mut words: Vec<&str> = prefix.iter().map(String::as_str).collect();
        words.extend_from_slice(args);
        eprintln!("xtask: {}", words.join(" "));
        let status = Command::new(words[0])
            .args(&words[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("cannot run `{}`: {e}", words[0]))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "`{}` failed ({status}); install the packages {} by hand, then run `cargo xtask test` again; no test was run",
                words.join(" "),
                packages.join(", ")
            ))
        }
    };
    run(&["apt-get", "update"])?;
    let mut args = vec![
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "install",
        "-y",
    ];
    args.extend_from_slice(packages);
    run(&args)
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Where the ledger's PostgreSQL tests look: `PATH`, then `/usr/lib/postgresql/*/bin`.
fn postgres_found() -> bool {
    let both = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| both(&dir)));
    on_path
        || std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| both(&entry.path().join("bin")))
}

#[cfg(unix)]
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // The owner of `/proc/self` is this process's user on Linux; elsewhere `ps` would be needed,
    // and there root is rare enough to assume it is not.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

fn system_user_exists(name: &str) -> bool {
    std::fs::read_to_string("/etc/passwd")
        .unwrap_or_default()
        .lines()
        .any(|line| line.split(':').next() == Some(name))
}
