//! What `cargo xtask test` does about a machine that lacks what the tests need, decided for
//! each kind of machine (the looking and the installing are seen in CI, on a machine without
//! them).

use xtask::provision::{Host, Need, Plan, System, plan};

fn host(system: System, root: bool, sudo: bool, terminal: bool) -> Host {
    Host {
        system,
        root,
        sudo,
        terminal,
    }
}

#[test]
fn nothing_missing_installs_nothing() {
    assert_eq!(
        plan(&[], &host(System::Other, false, false, false)),
        Plan::Ready
    );
}

#[test]
fn debian_as_root_installs_each_package_once_with_apt_and_no_sudo() {
    let missing = [
        Need::Redis,
        Need::Postgres,
        Need::PostgresUser,
        Need::PythonVenv,
    ];
    assert_eq!(
        plan(&missing, &host(System::Debian, true, false, false)),
        Plan::Install {
            prefix: vec![],
            packages: vec!["postgresql", "python3-venv", "redis-server"]
        }
    );
}

#[test]
fn debian_without_root_goes_through_sudo_never_waiting_for_a_password_it_cannot_be_given() {
    let at_terminal = plan(&[Need::Redis], &host(System::Debian, false, true, true));
    assert_eq!(
        at_terminal,
        Plan::Install {
            prefix: vec!["sudo".into()],
            packages: vec!["redis-server"]
        }
    );
    let in_a_script = plan(&[Need::Redis], &host(System::Debian, false, true, false));
    assert_eq!(
        in_a_script,
        Plan::Install {
            prefix: vec!["sudo".into(), "-n".into()],
            packages: vec!["redis-server"]
        }
    );
}

fn refusal(missing: &[Need], host: Host) -> String {
    match plan(missing, &host) {
        Plan::Refuse(message) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn debian_without_root_or_sudo_names_the_apt_packages_and_runs_nothing() {
    let message = refusal(
        &[Need::Redis, Need::Openssl],
        host(System::Debian, false, false, true),
    );
    assert!(
        message.contains(
            "`redis-server` (the Redis tests start their own server): package `redis-server`"
        ),
        "{message}"
    );
    assert!(
        message.contains("sudo apt-get install -y openssl redis-server"),
        "{message}"
    );
    assert!(message.ends_with("no test was run"), "{message}");
}

#[test]
fn debian_gets_node_js_and_npm_as_two_packages() {
    assert_eq!(
        plan(
            &[Need::Node, Need::Npm],
            &host(System::Debian, true, false, false)
        ),
        Plan::Install {
            prefix: vec![],
            packages: vec!["nodejs", "npm"]
        }
    );
}

#[test]
fn other_systems_are_told_their_own_package_and_command() {
    let fedora = refusal(
        &[Need::Redis, Need::Postgres],
        host(System::Fedora, true, true, true),
    );
    assert!(
        fedora.contains("sudo dnf install -y postgresql-server redis"),
        "{fedora}"
    );
    let mac = refusal(&[Need::Postgres], host(System::MacOs, false, true, true));
    assert!(mac.contains("brew install postgresql@17"), "{mac}");
    let alpine = refusal(
        &[Need::PythonVenv],
        host(System::Alpine, false, false, false),
    );
    assert!(alpine.contains("sudo apk add python3"), "{alpine}");
    let mac_node = refusal(
        &[Need::Node, Need::Npm],
        host(System::MacOs, false, true, true),
    );
    assert!(mac_node.contains("brew install node`"), "{mac_node}");
    let other = refusal(&[Need::Redis], host(System::Other, true, true, true));
    assert!(
        other.contains("`redis-server`") && other.contains("this system's package manager"),
        "{other}"
    );
}

#[test]
fn root_without_a_postgres_user_is_also_told_it_may_run_as_another_user() {
    let message = refusal(
        &[Need::PostgresUser],
        host(System::Fedora, true, false, false),
    );
    assert!(message.contains("a `postgres` system user"), "{message}");
    assert!(
        message.contains("or run the tests as a user other than root"),
        "{message}"
    );
}

#[test]
fn os_release_files_name_their_system() {
    let ubuntu = "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n";
    assert_eq!(System::from_os_release(ubuntu), System::Debian);
    assert_eq!(
        System::from_os_release("ID=debian\nVERSION_ID=\"12\"\n"),
        System::Debian
    );
    assert_eq!(
        System::from_os_release("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n"),
        System::Fedora
    );
    assert_eq!(System::from_os_release("ID=alpine\n"), System::Alpine);
    assert_eq!(System::from_os_release("ID=arch\n"), System::Other);
    assert_eq!(System::from_os_release(""), System::Other);
}
