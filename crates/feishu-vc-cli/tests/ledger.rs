//! The ledger commands as real processes: `reserve apply --batch` killed and restarted,
//! `feishu-vc keep` after the emulator's clock moved, several keepers on one PostgreSQL ledger,
//! strict batch input, `reserve list`. The emulator is served by this test process on loopback;
//! the command runs as child processes against it with `--base-url` and the demo app.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use feishu_vc_emulator::{DEMO_USER_ALICE, Emulator, Snapshot};
use serde_json::Value;

mod common;

use common::{TempDir, code, text};

/// The exit code of a batch or keeper that did not do everything.
const INCOMPLETE: i32 = 7;

/// What `settle_interrupted` says of a row left in flight by a process that died.
const INTERRUPTED: &str = "interrupted while in flight";

/// An emulator served by this process (on its own runtime), and a home and ledger for the
/// commands run against it.
struct Bed {
    runtime: tokio::runtime::Runtime,
    emulator: Option<Emulator>,
    dir: TempDir,
    ledger: String,
}

impl Bed {
    fn start(name: &str, rate_limit: bool) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let emulator = runtime
            .block_on(Emulator::builder().rate_limit(rate_limit).start())
            .unwrap();
        let dir = TempDir::new(name);
        let ledger = dir.path().join("ledger.sqlite3").display().to_string();
        Self {
            runtime,
            emulator: Some(emulator),
            dir,
            ledger,
        }
    }

    fn emulator(&self) -> &Emulator {
        self.emulator.as_ref().unwrap()
    }

    fn state(&self) -> Snapshot {
        self.emulator().state()
    }

    fn advance_days(&self, days: u64) {
        self.runtime
            .block_on(self.emulator().advance(Duration::from_secs(days * 86_400)))
            .unwrap();
    }

    /// The command against the emulator, with its clock, on this bed's ledger.
    fn command(&self, args: &[&str]) -> Command {
        self.command_on(&self.ledger, args)
    }

    fn command_on(&self, ledger: &str, args: &[&str]) -> Command {
        let mut command = common::command(&self.dir.path().join("home"));
        command
            .env("FEISHU_VC_EMULATOR_CLOCK", "1")
            .env("FEISHU_VC_LEDGER", ledger)
            .args([
                "--base-url",
                self.emulator().base_url(),
                "--app-id",
                self.emulator().app_id(),
                "--app-secret",
                self.emulator().app_secret(),
                "-o",
                "json",
            ])
            .args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the binary runs")
    }

    /// `reserve apply --batch FILE` with Alice owning the rows.
    fn batch(&self, file: &Path) -> Output {
        self.run(&[
            "reserve",
            "apply",
            "--batch",
            file.to_str().unwrap(),
            "--owner",
            DEMO_USER_ALICE,
        ])
    }

    /// A file in the bed's directory.
    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            let _ = self.runtime.block_on(emulator.shutdown());
        }
    }
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

/// A CSV of `rows` one-hour meetings with unique topics `row-1` ... (no key column: each row's
/// key is its number).
fn csv_rows(rows: usize) -> String {
    let mut csv = String::from("topic,end_time\n");
    for n in 1..=rows {
        csv.push_str(&format!("row-{n},+2h\n"));
    }
    csv
}

/// How many reservations of the emulator have each topic.
fn topics(state: &Snapshot) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for r in &state.reservations {
        *seen.entry(r.topic.clone().unwrap_or_default()).or_insert(0) += 1;
    }
    seen
}

/// The keys of a batch summary's list `what`, with their messages.
fn rows_of(summary: &Value, what: &str) -> Vec<(String, String)> {
    summary[what]
        .as_array()
        .unwrap_or_else(|| panic!("no `{what}` in {summary}"))
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_batch_killed_five_times_books_every_row_exactly_once() {
    const ROWS: usize = 500;
    let started = Instant::now();
    let seed = std::env::var("FEISHU_VC_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("kill moments seeded with {seed} (FEISHU_VC_KILL_SEED={seed} repeats them)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let bed = Bed::start("kill", true);
    let file = bed.file("meetings.csv", &csv_rows(ROWS));
    let file = file.to_str().unwrap();
    let batch = |extra: &[&str]| {
        let mut args = vec![
            "reserve",
            "apply",
            "--batch",
            file,
            "--owner",
            DEMO_USER_ALICE,
        ];
        args.extend_from_slice(extra);
        bed.command(&args)
    };

    // The first apply of the first run books, but its answer is dropped: outcome unknown.
    bed.emulator().drop_next_apply_answers(1);
    for kill in 1..=5 {
        let log = bed.dir.path().join(format!("run-{kill}.stderr"));
        let mut child: Child = batch(&[])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        // Killed mid-batch, with applies in flight: the first run writes the 500 intents first
        // (a second or two), later runs start sending sooner; at 48 applies a second the batch
        // needs over ten seconds of sending in all, more than the five runs get.
        let window = if kill == 1 { 1500..3000 } else { 800..2000 };
        let wait = Duration::from_millis(rng.u64(window));
        std::thread::sleep(wait);
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(
            status.code().is_none(),
            "run {kill} ended by itself before it was killed: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        println!(
            "run {kill} killed after {wait:?}: {} applies so far",
            bed.state().applies
        );
    }
    assert!(
        bed.state().applies < ROWS as u64,
        "the kills came too late to test anything"
    );

    // Run to the end: every row not yet sent is booked; those whose outcome is unknown (in flight
    // when a run was killed, or whose answer was dropped) are reported and not sent.
    let out = batch(&[]).output().unwrap();
    assert_eq!(code(&out), INCOMPLETE, "{}", text(&out.stderr));
    let summary = json(&out);
    let unknown = rows_of(&summary, "unknown");
    let forced: Vec<&(String, String)> = unknown.iter().filter(|(_, m)| m != INTERRUPTED).collect();
    assert_eq!(
        forced.len(),
        1,
        "the dropped answer is one unknown row: {unknown:?}"
    );
    let forced_key = forced[0].0.clone();
    assert!(
        summary["refused"].as_array().unwrap().is_empty(),
        "{summary}"
    );
    assert_eq!(
        summary["booked"].as_u64().unwrap()
            + summary["already_booked"].as_u64().unwrap()
            + unknown.len() as u64,
        ROWS as u64,
        "{summary}"
    );

    // Run again: nothing is sent, the unknown rows are reported again.
    let applies = bed.state().applies;
    let out = batch(&[]).output().unwrap();
    assert_eq!(code(&out), INCOMPLETE, "{}", text(&out.stderr));
    assert_eq!(rows_of(&json(&out), "unknown").len(), unknown.len());
    assert_eq!(bed.state().applies, applies, "a re-run sent something");

    // The user checks the emulator: rows in flight whose request never arrived are sent again by
    // naming them; the rest (the dropped answer among them) the emulator holds and are not.
    let held = topics(&bed.state());
    let row_topic = |key: &str| format!("row-{key}");
    let resend: Vec<&str> = unknown
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !held.contains_key(&row_topic(k)))
        .collect();
    assert_eq!(held.get(&row_topic(&forced_key)), Some(&1));
    assert!(!resend.contains(&forced_key.as_str()));
    if !resend.is_empty() {
        let keys = resend.join(",");
        let out = batch(&["--resend-unknown", &keys]).output().unwrap();
        let summary = json(&out);
        assert_eq!(
            summary["booked"].as_u64(),
            Some(resend.len() as u64),
            "{summary}"
        );
    }

    // Exactly the 500 rows, each once; nothing was ever applied twice.
    let state = bed.state();
    let held = topics(&state);
    for n in 1..=ROWS {
        assert_eq!(held.get(&format!("row-{n}")), Some(&1), "row {n}");
    }
    assert_eq!(state.reservations.len(), ROWS);
    assert_eq!(state.applies, ROWS as u64);
    println!(
        "{} rows interrupted in flight, {} sent again by name; {:?} in all",
        unknown.len() - 1,
        resend.len(),
        started.elapsed()
    );
}

/// Books `n` meetings through the command (kept or not) ending `end`; their reservation ids.
fn book(bed: &Bed, n: usize, keep: bool, end: &str) -> Vec<String> {
    (0..n)
        .map(|i| {
            let topic = format!("{}-{i}", if keep { "kept" } else { "unkept" });
            let mut args = vec![
                "reserve",
                "apply",
                "--topic",
                &topic,
                "--end-time",
                end,
                "--owner",
                DEMO_USER_ALICE,
            ];
            if keep {
                args.push("--keep");
            }
            let out = bed.run(&args);
            assert_eq!(code(&out), 0, "{}", text(&out.stderr));
            json(&out)["reserve"]["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn ids(report: &Value, what: &str) -> HashSet<String> {
    report[what]
        .as_array()
        .unwrap_or_else(|| panic!("no `{what}` in {report}"))
        .iter()
        .map(|r| r["reserve_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn keep_renews_every_kept_reservation_keeping_its_meeting_number() {
    let bed = Bed::start("keep", true);
    let kept = book(&bed, 3, true, "+29d");
    let unkept = book(&bed, 1, false, "+29d");
    let before = bed.state();
    bed.advance_days(25);

    let out = bed.run(&["keep"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let report = json(&out);
    assert_eq!(ids(&report, "renewed"), kept.iter().cloned().collect());
    assert!(ids(&report, "lost").is_empty() && ids(&report, "failed").is_empty());
    let after = bed.state();
    for id in &kept {
        let (was, is) = (
            before.reservation(id).unwrap(),
            after.reservation(id).unwrap(),
        );
        assert_eq!(is.meeting_no, was.meeting_no, "{id}");
        assert!(is.holds_meeting_no && !is.expired);
        assert_eq!(is.updates, 1);
        // Renewed to about 30 days from the emulator's now.
        let left = is.end_time.unix_seconds() - after.now.unix_seconds();
        assert!(left > 29 * 86_400 && left <= 30 * 86_400, "{left}");
    }
    let untouched = after.reservation(&unkept[0]).unwrap();
    assert_eq!(untouched.updates, 0);
    assert_eq!(
        untouched.end_time,
        before.reservation(&unkept[0]).unwrap().end_time
    );

    // Nothing is due any more: a second pass renews nothing.
    let out = bed.run(&["keep"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(ids(&json(&out), "renewed").is_empty());
    assert!(bed.state().reservations.iter().all(|r| r.updates <= 1));
}

#[test]
fn without_keep_numbers_are_released_after_31_days_and_keep_reports_them_lost() {
    let bed = Bed::start("lost", false);
    let kept = book(&bed, 3, true, "+29d");
    bed.advance_days(31);
    let state = bed.state();
    for id in &kept {
        let r = state.reservation(id).unwrap();
        assert!(r.expired && !r.holds_meeting_no, "{id}");
        assert!(!state.is_taken(r.meeting_no.as_str()));
    }

    let out = bed.run(&["keep"]);
    assert_eq!(code(&out), INCOMPLETE, "{}", text(&out.stderr));
    let report = json(&out);
    assert_eq!(ids(&report, "lost"), kept.iter().cloned().collect());
    assert!(ids(&report, "renewed").is_empty());
    // Lost without asking Feishu to renew them.
    assert!(bed.state().reservations.iter().all(|r| r.updates == 0));
    // The ledger says so.
    let out = bed.run(&["reserve", "list"]);
    let listed = json(&out);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "expired"),
        "{listed}"
    );
}

#[test]
fn four_keepers_on_one_postgres_ledger_renew_each_reservation_once() {
    const RESERVATIONS: usize = 40;
    let bed = Bed::start("keepers", false);
    let server = feishu_vc_ledger_sqlx::testing::PostgresServer::start();
    let url = bed.runtime.block_on(server.fresh_database());
    let csv: String = std::iter::once("topic,end_time,keep\n".to_owned())
        .chain((1..=RESERVATIONS).map(|n| format!("kept-{n},+29d,true\n")))
        .collect();
    let file = bed.file("kept.csv", &csv);
    let out = bed
        .command_on(
            &url,
            &[
                "reserve",
                "apply",
                "--batch",
                file.to_str().unwrap(),
                "--owner",
                DEMO_USER_ALICE,
            ],
        )
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let before = bed.state();
    bed.advance_days(25);

    let keepers: Vec<Child> = (0..4)
        .map(|_| {
            bed.command_on(&url, &["keep"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut renewed = Vec::new();
    for keeper in keepers {
        let out = keeper.wait_with_output().unwrap();
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        renewed.extend(ids(&json(&out), "renewed"));
    }
    let after = bed.state();
    assert_eq!(renewed.len(), RESERVATIONS, "each renewed by one keeper");
    assert_eq!(renewed.iter().collect::<HashSet<_>>().len(), RESERVATIONS);
    for r in &after.reservations {
        assert_eq!(r.updates, 1, "{} renewed {} times", r.id, r.updates);
        assert_eq!(
            r.meeting_no,
            before.reservation(r.id.as_str()).unwrap().meeting_no
        );
    }
    // The URL's password never shows; the server has none, so give one that is not checked.
    let with_password = url.replacen("postgres@", "postgres:hunter2-secret@", 1);
    let out = bed
        .command_on(&with_password, &["reserve", "list"])
        .output()
        .unwrap();
    assert!(
        !text(&out.stderr).contains("hunter2"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stdout).contains("hunter2"));
}

#[test]
fn bad_batch_rows_are_all_listed_and_nothing_is_sent() {
    let bed = Bed::start("bad-rows", false);
    let file = bed.file(
        "bad.csv",
        "topic,end_time,password,keep,hosts\n\
         fine,+1h,,,\n\
         no end,,,,\n\
         too late,+40d,12,,\n\
         typo,+1h,,sometimes,\n\
         fine too,+2h,,true,ou_a;ou_b\n",
    );
    let out = bed.batch(&file);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    for (row, field) in [
        ("row 2 (line 3)", "`end_time`"),
        ("row 3 (line 4)", "`end_time`"),
        ("row 3 (line 4)", "`password`"),
        ("row 4 (line 5)", "`keep`"),
    ] {
        assert!(
            err.lines().any(|l| l.contains(row) && l.contains(field)),
            "{row} {field} in {err}"
        );
    }
    assert!(!err.contains("row 1 ") && !err.contains("row 5 "), "{err}");
    assert!(
        err.contains("4 problems") && err.contains("nothing was sent"),
        "{err}"
    );
    assert!(!err.contains("\"12\""), "never the password: {err}");
    assert_eq!(bed.state().applies, 0);

    // An unknown column and an unknown extension are refused the same way.
    refused_as_usage(
        &bed,
        "colour.csv",
        "topic,end_time,colour\nx,+1h,red\n",
        "`colour`",
    );
    // A dry run checks every row and sends nothing.
    let file = bed.file("good.csv", "topic,end_time\nx,+1h\ny,+2h\n");
    let out = bed.run(&[
        "reserve",
        "apply",
        "--batch",
        file.to_str().unwrap(),
        "--owner",
        DEMO_USER_ALICE,
        "--dry-run",
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("2 rows"),
        "{}",
        text(&out.stdout)
    );
    refused_as_usage(&bed, "meetings.txt", "topic,end_time\nx,+1h\n", ".jsonl");
    assert_eq!(bed.state().applies, 0);
}

/// `reserve apply --batch` of a file `name` holding `content` exits 2 (bad input), its message
/// naming `names`.
fn refused_as_usage(bed: &Bed, name: &str, content: &str, names: &str) {
    let file = bed.file(name, content);
    let out = bed.run(&["reserve", "apply", "--batch", file.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains(names), "{names} in {err}");
}

#[test]
fn reserve_list_shows_a_batch_as_json_and_as_a_table() {
    let bed = Bed::start("list", false);
    let file = bed.file(
        "team.jsonl",
        "{\"key\":\"weekly\",\"topic\":\"Weekly sync\",\"end_time\":\"+2h\",\"keep\":true}\n\
         {\"key\":\"retro\",\"topic\":\"Retro\",\"end_time\":\"+3h\"}\n",
    );
    let out = bed.batch(&file);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    // Plain progress lines on stderr, which is not a terminal here.
    assert!(
        text(&out.stderr).contains("feishu-vc: batch: 2/2 sent (booked 2"),
        "{}",
        text(&out.stderr)
    );
    let summary = json(&out);
    assert_eq!(summary["booked"], 2, "{summary}");
    let batch = summary["batch"].as_str().unwrap().to_owned();

    let out = bed.run(&["reserve", "list", "--batch", &batch]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let listed = json(&out);
    let rows = listed.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{listed}");
    let state = bed.state();
    for row in rows {
        let held = state
            .reservation(row["reserve_id"].as_str().unwrap())
            .unwrap();
        assert_eq!(row["meeting_no"], held.meeting_no.as_str());
        assert_eq!(row["topic"], held.topic.as_deref().unwrap());
        assert_eq!(row["owner"], DEMO_USER_ALICE);
        assert_eq!(row["state"], "booked");
        assert_eq!(row["keep"], row["topic"] == "Weekly sync");
        let left = row["time_left_seconds"].as_i64().unwrap();
        assert!(left > 3600 && left <= 3 * 3600, "{left}");
    }

    let out = bed.run(&["reserve", "list", "--refresh", "-o", "table"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    for head in [
        "ID",
        "MEETING NO",
        "TOPIC",
        "OWNER",
        "END TIME",
        "LEFT",
        "KEPT",
        "STATE",
    ] {
        assert!(lines[0].contains(head), "{table}");
    }
    let weekly = lines.iter().find(|l| l.contains("Weekly sync")).unwrap();
    assert!(
        weekly.contains("yes") && weekly.contains("booked"),
        "{table}"
    );

    // Deleting through the command keeps the ledger true.
    let id = rows[0]["reserve_id"].as_str().unwrap();
    let out = bed.run(&["reserve", "delete", id, "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let listed = json(&bed.run(&["reserve", "list"]));
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reserve_id"] == id)
        .unwrap()
        .clone();
    assert_eq!(row["state"], "deleted");
}

#[test]
fn a_single_apply_with_the_same_key_books_once_and_update_keeps_the_ledger_true() {
    let bed = Bed::start("single", false);
    let apply = |topic: &str, end: &str| {
        bed.run(&[
            "reserve",
            "apply",
            "--key",
            "standup",
            "--topic",
            topic,
            "--end-time",
            end,
            "--owner",
            DEMO_USER_ALICE,
        ])
    };
    // An end time far ahead is refused locally: nothing is sent or recorded.
    let out = apply("Standup", "1999999999");
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert_eq!(bed.state().applies, 0);
    assert!(
        json(&bed.run(&["reserve", "list"]))
            .as_array()
            .unwrap()
            .is_empty()
    );

    let end = (bed.state().now.unix_seconds() + 7200).to_string();
    let apply = |topic: &str| apply(topic, &end);
    let first = apply("Standup");
    assert_eq!(code(&first), 0, "{}", text(&first.stderr));
    let again = apply("Standup");
    assert_eq!(code(&again), 0, "{}", text(&again.stderr));
    assert_eq!(json(&first)["reserve"]["id"], json(&again)["reserve"]["id"]);
    assert_eq!(bed.state().applies, 1, "the same key books once");
    // The same key for another meeting is refused before anything is sent.
    let other = apply("Another meeting");
    assert_eq!(code(&other), 2, "{}", text(&other.stderr));
    assert!(
        text(&other.stderr).contains("standup"),
        "{}",
        text(&other.stderr)
    );
    assert_eq!(bed.state().applies, 1);

    // A renewal through `reserve update` is recorded.
    let id = json(&first)["reserve"]["id"].as_str().unwrap().to_owned();
    let renewed = (bed.state().now.unix_seconds() + 86_400).to_string();
    let out = bed.run(&["reserve", "update", &id, "--end-time", &renewed]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let listed = json(&bed.run(&["reserve", "list"]));
    assert_eq!(listed[0]["end_time"], renewed.as_str(), "{listed}");
}

#[test]
fn keep_watch_renews_each_pass_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let bed = Bed::start("watch", false);
    let kept = book(&bed, 1, true, "+2d");
    let mut child = bed
        .command(&["keep", "--watch", "--interval", "1h"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // One JSON line per pass; the reservation ended within the 7-day margin: renewed.
    let pass: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ids(&pass, "renewed"), kept.iter().cloned().collect());
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "stops cleanly on SIGTERM");
}

#[test]
fn a_postgres_ledger_password_never_shows_in_errors() {
    let bed = Bed::start("pg-password", false);
    // Nothing listens on port 9: the connection fails, and the error names the ledger.
    let url = "postgres://keeper:hunter2-secret@127.0.0.1:9/ledger";
    let out = bed.command_on(url, &["reserve", "list"]).output().unwrap();
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("127.0.0.1:9"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(!text(&out.stdout).contains("hunter2"));
}

#[test]
fn an_unknown_row_is_sent_again_only_when_named() {
    use std::io::Read;
    // A server that reads each request and hangs up without answering: outcome unknown, and
    // nothing booked anywhere.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in silent.incoming().flatten() {
            let mut stream = stream;
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
        }
    });
    let bed = Bed::start("resend", false);
    let token = bed
        .runtime
        .block_on(bed.emulator().mint_user_token(DEMO_USER_ALICE))
        .unwrap();
    let file = bed.file("two.csv", "key,topic,end_time\na,first,+2h\nb,second,+2h\n");
    let batch = |base_url: &str, extra: &[&str]| {
        let mut command = common::command(&bed.dir.path().join("home"));
        command
            .env("FEISHU_VC_LEDGER", &bed.ledger)
            .env("FEISHU_USER_ACCESS_TOKEN", token.expose_secret())
            .args(["--base-url", base_url, "-o", "json", "reserve", "apply"])
            .args(["--batch", file.to_str().unwrap()])
            .args(extra);
        command.output().unwrap()
    };

    let out = batch(&silent_url, &[]);
    assert_eq!(code(&out), INCOMPLETE, "{}", text(&out.stderr));
    let unknown = rows_of(&json(&out), "unknown");
    assert_eq!(unknown.len(), 2, "{unknown:?}");

    // Against the emulator: nothing is sent until a row is named.
    let base_url = bed.emulator().base_url().to_owned();
    let out = batch(&base_url, &[]);
    assert_eq!(code(&out), INCOMPLETE, "{}", text(&out.stderr));
    assert_eq!(bed.state().applies, 0);
    let out = batch(&base_url, &["--resend-unknown", "a"]);
    assert_eq!(code(&out), INCOMPLETE, "{}", text(&out.stderr));
    let summary = json(&out);
    assert_eq!(summary["booked"], 1, "{summary}");
    let still: Vec<String> = rows_of(&summary, "unknown")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(still, vec!["b".to_owned()]);
    let held = topics(&bed.state());
    assert_eq!(held.get("first"), Some(&1));
    assert_eq!(held.get("second"), None);
}

/// The exit code of a second run of a batch while one is live.
const BUSY: i32 = 8;

/// A CSV of `rows` one-hour meetings with topics `{prefix}-1` ...
fn csv_topics(prefix: &str, rows: usize) -> String {
    let mut csv = String::from("topic,end_time\n");
    for n in 1..=rows {
        csv.push_str(&format!("{prefix}-{n},+2h\n"));
    }
    csv
}

/// Waits (up to a minute) until the emulator has booked more than `applies`.
fn wait_for_applies_over(bed: &Bed, applies: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while bed.state().applies <= applies {
        assert!(Instant::now() < deadline, "the batch never started sending");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `reserve apply ARGS` (Alice owning) with the bed's app and ledger against a loopback port
/// nothing listens on: neither the token endpoint nor the API can be reached.
fn during_an_outage(bed: &Bed, args: &[&str]) -> Output {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    common::command(&bed.dir.path().join("home"))
        .env("FEISHU_VC_LEDGER", &bed.ledger)
        .args(["--base-url", &closed_url])
        .args(["--app-id", bed.emulator().app_id()])
        .args(["--app-secret", bed.emulator().app_secret()])
        .args(["-o", "json", "reserve", "apply", "--owner", DEMO_USER_ALICE])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_single_apply_during_an_outage_is_not_booked_and_the_same_key_books_it_later() {
    let bed = Bed::start("single-outage", false);
    let end = (bed.state().now.unix_seconds() + 7200).to_string();
    let args = ["--key", "standup", "--topic", "Standup", "--end-time", &end];
    let out = during_an_outage(&bed, &args);
    // The usual exit code of an unreachable token endpoint: network.
    assert_eq!(code(&out), 4, "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("not booked: no access token"), "{stderr}");
    assert!(stderr.contains("`standup`"), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let listed = json(&bed.run(&["reserve", "list"]));
    assert_eq!(listed[0]["state"], "pending", "{listed}");

    let mut again = vec!["reserve", "apply", "--owner", DEMO_USER_ALICE];
    again.extend_from_slice(&args);
    let out = bed.run(&again);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(json(&out)["ledger"]["state"], "booked");
    assert_eq!(bed.state().applies, 1);
}

#[test]
fn a_batch_during_an_outage_is_not_sent_and_the_next_run_books_every_row_once() {
    let bed = Bed::start("outage", false);
    let file = bed.file("outage.csv", &csv_topics("outage", 5));
    let out = during_an_outage(&bed, &["--batch", file.to_str().unwrap()]);
    assert_eq!(code(&out), INCOMPLETE, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("5 not sent (run again to send them"),
        "{}",
        text(&out.stderr)
    );
    let summary = json(&out);
    assert_eq!(summary["booked"], 0, "{summary}");
    assert!(
        summary["refused"].as_array().unwrap().is_empty(),
        "{summary}"
    );
    assert!(
        summary["unknown"].as_array().unwrap().is_empty(),
        "{summary}"
    );
    let not_sent = rows_of(&summary, "not_sent");
    assert_eq!(not_sent.len(), 5, "{summary}");
    for (_, message) in &not_sent {
        assert!(message.contains("no access token"), "{message}");
    }
    assert_eq!(bed.state().applies, 0);

    // Feishu is back: every row is booked, once.
    let out = bed.batch(&file);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let summary = json(&out);
    assert_eq!(summary["booked"], 5, "{summary}");
    assert!(summary["not_sent"].as_array().unwrap().is_empty());
    let held = topics(&bed.state());
    for n in 1..=5 {
        assert_eq!(held.get(&format!("outage-{n}")), Some(&1), "row {n}");
    }
    assert_eq!(bed.state().applies, 5);
}

#[test]
fn a_second_run_of_a_live_batch_is_refused_and_a_killed_run_holds_nothing() {
    const ROWS: usize = 200;
    let bed = Bed::start("busy", true);
    let file = bed.file("busy.csv", &csv_topics("busy", ROWS));
    let log = bed.dir.path().join("first.stderr");
    let first = bed
        .command(&["reserve", "apply", "--owner", DEMO_USER_ALICE])
        .args(["--batch", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    wait_for_applies_over(&bed, 0);

    // The same file again while the first run sends: refused, nothing sent, nothing settled.
    let out = bed.batch(&file);
    assert_eq!(code(&out), BUSY, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("another run of this batch is in progress"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));

    let out = first.wait_with_output().unwrap();
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(code(&out), 0, "{stderr}");
    let summary = json(&out);
    assert_eq!(summary["booked"], ROWS as u64, "{summary}");
    assert!(
        summary["unknown"].as_array().unwrap().is_empty(),
        "{summary}"
    );
    let held = topics(&bed.state());
    for n in 1..=ROWS {
        assert_eq!(held.get(&format!("busy-{n}")), Some(&1), "row {n}");
    }
    assert_eq!(bed.state().applies, ROWS as u64);

    // A run killed with SIGKILL while sending holds no lock: the next run goes ahead.
    let file = bed.file("killed.csv", &csv_topics("killed", ROWS));
    let mut killed = bed
        .command(&["reserve", "apply", "--owner", DEMO_USER_ALICE])
        .args(["--batch", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_applies_over(&bed, ROWS as u64);
    killed.kill().unwrap();
    assert!(
        killed.wait().unwrap().code().is_none(),
        "killed by the signal"
    );
    let out = bed.batch(&file);
    assert_ne!(code(&out), BUSY, "{}", text(&out.stderr));
    let summary = json(&out);
    let unknown = rows_of(&summary, "unknown").len() as u64;
    assert_eq!(
        summary["booked"].as_u64().unwrap() + summary["already_booked"].as_u64().unwrap() + unknown,
        ROWS as u64,
        "{summary}"
    );
    let held = topics(&bed.state());
    for n in 1..=ROWS {
        assert!(
            held.get(&format!("killed-{n}")).is_none_or(|&c| c == 1),
            "row {n}"
        );
    }
}

/// A batch of 40 rows whose applies are answered 1.5 s late, stopped with `signal` (`INT` or
/// `TERM`) while four are in flight: it sends nothing more, records every answer, prints its
/// summary with the rows not started and exits "incomplete"; no row is left sending, and the next
/// run books the rest, each once.
fn a_batch_stopped_by(signal: &str) {
    const ROWS: usize = 40;
    let name = format!("stop-{}", signal.to_lowercase());
    let bed = Bed::start(&name, false);
    bed.emulator()
        .delay_apply_answers(Duration::from_millis(1500));
    let file = bed.file("stop.csv", &csv_topics(&name, ROWS));
    let child = bed
        .command(&["reserve", "apply", "--owner", DEMO_USER_ALICE])
        .args(["--concurrency", "4", "--batch", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_applies_over(&bed, 0);
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(code(&out), INCOMPLETE, "{stderr}");
    assert!(stderr.contains("stopping the batch"), "{stderr}");
    assert!(stderr.contains("stopped: "), "{stderr}");
    let summary = json(&out);
    assert_eq!(summary["stopped"], true, "{summary}");
    let applies = bed.state().applies;
    assert!(
        (1..ROWS as u64).contains(&applies),
        "{applies} applies: the stop came too late"
    );
    // Every apply that went out was answered within the grace and recorded.
    assert_eq!(summary["booked"].as_u64(), Some(applies), "{summary}");
    assert!(
        summary["unknown"].as_array().unwrap().is_empty(),
        "{summary}"
    );
    let not_started = rows_of(&summary, "not_started").len() as u64;
    assert_eq!(applies + not_started, ROWS as u64, "{summary}");

    let batch = summary["batch"].as_str().unwrap().to_owned();
    let listed = json(&bed.run(&["reserve", "list", "--batch", &batch]));
    let states: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.len(), ROWS, "{listed}");
    assert!(
        states.iter().all(|s| *s == "booked" || *s == "pending"),
        "{states:?}"
    );

    bed.emulator().delay_apply_answers(Duration::ZERO);
    let out = bed.batch(&file);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let summary = json(&out);
    assert_eq!(
        summary["booked"].as_u64(),
        Some(ROWS as u64 - applies),
        "{summary}"
    );
    assert_eq!(
        summary["already_booked"].as_u64(),
        Some(applies),
        "{summary}"
    );
    let held = topics(&bed.state());
    for n in 1..=ROWS {
        assert_eq!(held.get(&format!("{name}-{n}")), Some(&1), "row {n}");
    }
    assert_eq!(bed.state().applies, ROWS as u64);
}

#[test]
fn a_batch_stopped_by_sigterm_settles_what_it_sent_and_the_next_run_books_the_rest_once() {
    a_batch_stopped_by("TERM");
}

#[test]
fn a_batch_stopped_by_sigint_settles_what_it_sent_and_the_next_run_books_the_rest_once() {
    a_batch_stopped_by("INT");
}

#[test]
fn resend_unknown_refuses_a_booked_row_and_one_not_in_the_batch_naming_both() {
    let bed = Bed::start("resend-refused", false);
    let file = bed.file("two.csv", "key,topic,end_time\na,first,+2h\nb,second,+2h\n");
    let out = bed.batch(&file);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = bed.run(&[
        "reserve",
        "apply",
        "--owner",
        DEMO_USER_ALICE,
        "--batch",
        file.to_str().unwrap(),
        "--resend-unknown",
        "a,nosuch",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(code(&out), 2, "{stderr}");
    assert!(
        stderr.contains("row `a` is booked, not unknown"),
        "{stderr}"
    );
    assert!(
        stderr.contains("row `nosuch` is not a row of the batch"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert_eq!(bed.state().applies, 2, "nothing sent");
}
