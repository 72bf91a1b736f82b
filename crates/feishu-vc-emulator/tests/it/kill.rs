//! `kill -9` under load: whatever the emulator acknowledged is in its store after a restart.
//!
//! The emulator runs in a child process: this test binary, re-run with [`CHILD_ENV`] naming the
//! store, serves an emulator on it (the same test function plays the child). The parent sends
//! concurrent applies, kills the child with SIGKILL at a random moment, restarts it on the same
//! store, and does that [`ROUNDS`] times; then every apply that was answered with code 0 must be
//! found, with its meeting number.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use feishu_vc::RetryPolicy;
use feishu_vc::model::{MeetingNo, ReserveId};
use feishu_vc_emulator::Emulator;

use crate::{alice_meeting, builder, temp_dir};

/// Set in the child: the store to serve.
const CHILD_ENV: &str = "FEISHU_VC_EMULATOR_KILL_TEST_STORE";
/// What the child prints once it listens, followed by its base URL.
const LISTENING: &str = "kill-test-child listening on ";
const ROUNDS: usize = 12;
const CLIENTS: usize = 16;

/// Starts a child serving the store at `store`; returns it and its base URL.
fn spawn_child(store: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "kill::acknowledged_applies_survive_kill_9",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, store)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let base_url = loop {
        let line = lines
            .next()
            .expect("the child printed its address")
            .unwrap();
        // libtest may print the test's name on the same line first.
        if let Some((_, url)) = line.split_once(LISTENING) {
            break url.trim().to_owned();
        }
    };
    // Keep draining its output so that it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, base_url)
}

/// The child: serves an emulator on the store until it is killed.
async fn serve_child(store: String) {
    let emulator = Emulator::builder().state_file(store).start().await.unwrap();
    println!("{LISTENING}{}", emulator.base_url());
    std::future::pending::<()>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_applies_survive_kill_9() {
    if let Ok(store) = std::env::var(CHILD_ENV) {
        return serve_child(store).await;
    }
    let dir = temp_dir("kill");
    let store = dir.join("state.db");
    let acknowledged: Arc<Mutex<Vec<(ReserveId, MeetingNo)>>> = Arc::default();
    // The requests need the emulator's notion of now: it runs on the system clock, as here.
    let template = Emulator::start_default().await.unwrap();
    for round in 0..ROUNDS {
        let store = store.clone();
        let (mut child, base_url) = tokio::task::spawn_blocking(move || spawn_child(&store))
            .await
            .unwrap();
        let client = builder(&template)
            .base_url(&base_url)
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let load: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let client = client.clone();
                let acknowledged = acknowledged.clone();
                let request = alice_meeting(&template, &format!("round {round} client {c}"));
                tokio::spawn(async move {
                    loop {
                        match client.reserves().apply(request.clone()).await {
                            Ok(answer) => {
                                let booked = answer.data;
                                acknowledged
                                    .lock()
                                    .unwrap()
                                    .push((booked.reserve_id, booked.meeting_no));
                            }
                            // The child is gone: this apply may or may not have been stored.
                            Err(e) if e.code().is_none() => return,
                            Err(e) => panic!("an apply was refused: {e}"),
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(fastrand::u64(150..400))).await;
        child.kill().unwrap();
        child.wait().unwrap();
        for task in load {
            task.await.unwrap();
        }
    }
    template.shutdown().await.unwrap();

    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(
        acknowledged.len() >= ROUNDS,
        "the load was real: {} applies acknowledged",
        acknowledged.len()
    );
    println!(
        "{} applies acknowledged across {ROUNDS} kills",
        acknowledged.len()
    );
    let emulator = Emulator::builder()
        .state_file(&store)
        .start()
        .await
        .unwrap();
    let client = crate::client(&emulator);
    for (id, no) in &acknowledged {
        let got = client.reserves().get(id.clone()).await;
        let reserve = got
            .unwrap_or_else(|e| panic!("acknowledged reservation {id} was lost: {e}"))
            .data
            .reserve
            .unwrap();
        assert_eq!(reserve.meeting_no.as_ref(), Some(no), "{id}");
    }
    emulator.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
