//! The state store: written before each answer, loaded on start, private, checked at start.

use std::time::Duration;

use feishu_vc::model::UpdateReserveBody;
use feishu_vc_emulator::{DEMO_USER_BOB, Emulator, Error, MeetingSpec};

use crate::{alice_meeting, book, client, later, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restart_on_the_same_state_file_loses_nothing() {
    const N: usize = 1000;
    let dir = temp_dir("restart");
    let file = dir.join("state.db");

    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let client = client(&emulator);
    let calls: Vec<_> = (0..N)
        .map(|i| {
            let client = client.clone();
            let request = alice_meeting(&emulator, &format!("meeting {i}"));
            tokio::spawn(async move { client.reserves().apply(request).await })
        })
        .collect();
    let mut booked = Vec::with_capacity(N);
    for call in calls {
        let reserve = call.await.unwrap().unwrap().data.reserve;
        booked.push((reserve.id.unwrap(), reserve.meeting_no.unwrap()));
    }
    // More kinds of change: a renewal, a deletion, a meeting, a user token, a clock advance.
    let renewed_end = later(&emulator, 86_400);
    client
        .reserves()
        .update(
            booked[0].0.clone(),
            UpdateReserveBody::default().set_end_time(renewed_end),
        )
        .await
        .unwrap();
    let (deleted, _) = booked.pop().unwrap();
    client.reserves().delete(deleted.clone()).await.unwrap();
    let meeting = emulator
        .start_meeting(
            booked[1].0.as_str(),
            MeetingSpec::new().participant(DEMO_USER_BOB),
        )
        .await
        .unwrap();
    let bob = emulator.mint_user_token(DEMO_USER_BOB).await.unwrap();
    emulator.advance(Duration::from_secs(60)).await.unwrap();
    let port = emulator.local_addr().port();
    emulator.shutdown().await.unwrap();
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["state.db"], "no temporary file is left behind");

    // Same file, same port: the old client (and its cached token) carries on.
    let emulator = Emulator::builder()
        .state_file(&file)
        .port(port)
        .start()
        .await
        .unwrap();
    assert_eq!(emulator.state().clock_offset_seconds, 60);
    assert_eq!(emulator.state().reservations.len(), N - 1);
    for (id, no) in &booked {
        let got = client.reserves().get(id.clone()).await.unwrap();
        assert_eq!(got.data.reserve.unwrap().meeting_no.as_ref(), Some(no));
    }
    let err = client.reserves().get(deleted).await.unwrap_err();
    assert_eq!(err.code(), Some(feishu_vc::model::ErrorCode::DataNotExist));
    let renewed = client.reserves().get(booked[0].0.clone()).await.unwrap();
    assert_eq!(renewed.data.reserve.unwrap().end_time, Some(renewed_end));
    let active = client
        .reserves()
        .get_active_meeting(booked[1].0.clone())
        .await
        .unwrap();
    assert_eq!(active.data.meeting.unwrap().id, meeting.id);
    // Bob's token survived too: he is not the owner, so he is refused, not unauthenticated.
    let err = client
        .reserves()
        .get(booked[2].0.clone())
        .with_user_access_token(bob)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(feishu_vc::model::ErrorCode::NoPermission));
    emulator.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn each_change_is_on_disk_before_it_is_answered() {
    let dir = temp_dir("durable");
    let file = dir.join("state.db");
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let client = client(&emulator);
    for i in 0..5 {
        let id = client
            .reserves()
            .apply(alice_meeting(&emulator, &format!("m{i}")))
            .await
            .unwrap()
            .data
            .reserve
            .id
            .unwrap();
        // Copy the files while the emulator runs, before anything else happens, and read the
        // copy with another emulator: that is what a crash now would leave.
        let copy = dir.join(format!("copy{i}.db"));
        for suffix in ["", "-wal"] {
            let from = format!("{}{suffix}", file.display());
            if std::path::Path::new(&from).exists() {
                std::fs::copy(&from, format!("{}{suffix}", copy.display())).unwrap();
            }
        }
        let reader = Emulator::builder().state_file(&copy).start().await.unwrap();
        let on_disk = reader.state();
        assert!(
            on_disk.reservations.iter().any(|r| r.id == id),
            "reservation {id} is on disk when its answer arrives"
        );
        assert_eq!(on_disk.reservations.len(), i + 1);
        reader.shutdown().await.unwrap();
    }
    // A dropped emulator (no shutdown) loses nothing either.
    drop(emulator);
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    assert_eq!(emulator.state().reservations.len(), 5);
    emulator.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_file_that_is_not_a_state_file_is_refused() {
    let dir = temp_dir("corrupt");
    let file = dir.join("state.db");
    std::fs::write(&file, b"{ not json").unwrap();
    let err = Emulator::builder()
        .state_file(&file)
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StateFormat { .. }), "{err}");
    // It is left as it was.
    assert_eq!(std::fs::read(&file).unwrap(), b"{ not json");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_store_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("private");
    let file = dir.join("state.db");
    // An existing file with wider permissions is narrowed too.
    std::fs::write(&file, b"").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let client = client(&emulator);
    client
        .reserves()
        .apply(alice_meeting(&emulator, "secret"))
        .await
        .unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{:?} has mode {mode:o}", entry.file_name());
        seen += 1;
    }
    assert!(seen >= 2, "the database and its write-ahead log");
    emulator.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_unusable_location_is_refused_at_start_with_the_reason() {
    let dir = temp_dir("unusable");
    let missing = dir.join("no-such-dir").join("state.db");
    let err = Emulator::builder()
        .state_file(&missing)
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OpenState { .. }), "{err}");
    let reason = std::error::Error::source(&err).unwrap().to_string();
    assert!(reason.contains("No such file or directory"), "{reason}");
    // A file where a directory should be.
    std::fs::write(dir.join("plain"), b"x").unwrap();
    let err = Emulator::builder()
        .state_file(dir.join("plain").join("state.db"))
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OpenState { .. }), "{err}");
    let reason = std::error::Error::source(&err).unwrap().to_string();
    assert!(reason.contains("Not a directory"), "{reason}");
    assert!(!missing.exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_json_state_file_of_the_earlier_version_is_migrated() {
    let dir = temp_dir("migrate");
    let file = dir.join("state.json");
    let legacy = serde_json::json!({
        "format": 1,
        "clock_offset": 120,
        "reservations": {
            "6911188411934433028": {
                "id": "6911188411934433028",
                "meeting_no": 112000358,
                "owner": feishu_vc_emulator::DEMO_USER_ALICE,
                "tenant_key": feishu_vc_emulator::DEMO_TENANT_KEY,
                "app_id": feishu_vc_emulator::DEMO_APP_ID,
                "create_time": 1_600_000_000,
                "end_time": 4_000_000_000_i64,
                "password": "971024",
                "live_link": "https://meetings.feishu.cn/s/1gub381l4gglv",
                "settings": {"topic": "kept"}
            }
        },
        "tokens": {}
    });
    std::fs::write(&file, serde_json::to_vec(&legacy).unwrap()).unwrap();
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let state = emulator.state();
    assert_eq!(state.clock_offset_seconds, 120);
    assert_eq!(state.reservations.len(), 1);
    assert_eq!(state.reservations[0].topic.as_deref(), Some("kept"));
    let got = client(&emulator)
        .reserves()
        .get("6911188411934433028")
        .await
        .unwrap();
    assert_eq!(
        got.data.reserve.unwrap().meeting_no.unwrap().as_str(),
        "112000358"
    );
    emulator.shutdown().await.unwrap();
    // The JSON is kept beside the database.
    let backup: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("state.json.v1.json")).unwrap()).unwrap();
    assert_eq!(backup, legacy);
    assert!(
        std::fs::read(&file)
            .unwrap()
            .starts_with(b"SQLite format 3\0")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_survives_its_log_being_compacted() {
    const TOKENS: usize = 4500;
    let dir = temp_dir("compact");
    let file = dir.join("state.db");
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let client = client(&emulator);
    let mut kept = Vec::new();
    for i in 0..3 {
        kept.push(book(&client, &emulator, &format!("kept {i}")).await);
    }
    // Many changes that end up dead: user tokens, all expired and purged by the next mint.
    let url = format!("{}/_emulator/user_access_token", emulator.base_url());
    let http = crate::http();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                for _ in 0..TOKENS / 50 {
                    let answer = http
                        .post(&url)
                        .json(&serde_json::json!({"user_id": "bob"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(answer.status(), 200);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(emulator.state().live_tokens, TOKENS + 1);
    emulator.advance(Duration::from_secs(7201)).await.unwrap();
    // Past its slack, the log is replaced by the live rows on a later write.
    let alice = emulator.mint_user_token("alice").await.unwrap();
    client.reserves().delete(kept.pop().unwrap()).await.unwrap();
    let renewed = later(&emulator, 3600);
    client
        .reserves()
        .update(
            kept[0].clone(),
            UpdateReserveBody::default().set_end_time(renewed),
        )
        .await
        .unwrap();
    kept.push(book(&client, &emulator, "after").await);
    let before = emulator.state();
    emulator.shutdown().await.unwrap();

    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let after = emulator.state();
    assert_eq!(after.reservations.len(), 3);
    assert_eq!(
        format!("{:?}", after.reservations),
        format!("{:?}", before.reservations)
    );
    assert_eq!(after.live_tokens, before.live_tokens);
    let got = crate::client(&emulator)
        .reserves()
        .get(kept[0].clone())
        .with_user_access_token(alice)
        .await
        .unwrap();
    assert_eq!(got.data.reserve.unwrap().end_time, Some(renewed));
    emulator.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_store_of_the_format_before_calendar_events_opens_and_one_of_a_later_format_does_not() {
    let dir = temp_dir("format");
    let file = dir.join("state.db");
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let id = book(&client(&emulator), &emulator, "kept").await;
    emulator.shutdown().await.unwrap();
    let set_format = |value: i64| {
        let connection = rusqlite::Connection::open(&file).unwrap();
        connection
            .execute("UPDATE meta SET value = ?1 WHERE key = 'format'", [value])
            .unwrap();
    };
    let format = || -> i64 {
        let connection = rusqlite::Connection::open(&file).unwrap();
        connection
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |row| {
                row.get(0)
            })
            .unwrap()
    };

    // Format 2 had no calendar events: its log is read as it is and the store is marked 3.
    set_format(2);
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    assert!(emulator.state().reservations.iter().any(|r| r.id == id));
    emulator.shutdown().await.unwrap();
    assert_eq!(format(), 3);

    // A format this version does not know is refused and left untouched.
    set_format(9);
    let err = Emulator::builder()
        .state_file(&file)
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StateFormat { .. }), "{err}");
    assert!(err.to_string().contains("store format 9"), "{err}");
    assert_eq!(format(), 9);
    let _ = std::fs::remove_dir_all(dir);
}
