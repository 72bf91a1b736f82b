//! Meeting events pushed to callbacks: each step's event, the envelope, encryption and
//! signature, retries, the challenge. A receiver on loopback records what arrives.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use feishu_vc::model::events::Event;
use feishu_vc_emulator::{
    DEMO_APP_ID, DEMO_TENANT_KEY, DEMO_USER_ALICE, DEMO_USER_BOB, DEMO_USER_CAROL, Emulator,
    EmulatorBuilder, Error, LeaveReason, MeetingSpec, ParticipantSpec, demo_directory,
};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{book, client, raw};

/// One request the receiver got: its headers, raw body, and the envelope (decrypted).
#[derive(Clone, Debug)]
pub(crate) struct Arrival {
    pub(crate) headers: HeaderMap,
    pub(crate) raw: String,
    pub(crate) plain: Value,
    pub(crate) at: Instant,
}

impl Arrival {
    fn event_type(&self) -> &str {
        self.plain["header"]["event_type"].as_str().unwrap_or("")
    }

    fn event_id(&self) -> &str {
        self.plain["header"]["event_id"].as_str().unwrap()
    }

    fn event(&self) -> &Value {
        &self.plain["event"]
    }
}

#[derive(Default)]
struct Inbox {
    key: Option<String>,
    challenges: Mutex<Vec<Arrival>>,
    events: Mutex<Vec<Arrival>>,
    /// How many event deliveries to fail (HTTP 500) before accepting.
    fail: AtomicUsize,
    /// How many event deliveries to answer only after 5 s, past the emulator's 3 s timeout.
    hang: AtomicUsize,
    /// Whether to echo challenges.
    echo: bool,
}

/// A webhook receiver on loopback that records every delivery.
pub(crate) struct Receiver {
    pub(crate) url: String,
    inbox: Arc<Inbox>,
}

pub(crate) fn decrypt(key: &str, sealed: &str) -> Vec<u8> {
    let raw = STANDARD.decode(sealed).unwrap();
    let key: [u8; 32] = Sha256::digest(key.as_bytes()).into();
    let (iv, ciphertext) = raw.split_at(16);
    cbc::Decryptor::<aes::Aes256>::new(&key.into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .unwrap()
}

async fn receive(
    State(inbox): State<Arc<Inbox>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let raw = String::from_utf8(body.to_vec()).unwrap();
    let outer: Value = serde_json::from_str(&raw).unwrap();
    let plain: Value = match (outer.get("encrypt"), &inbox.key) {
        (Some(sealed), Some(key)) => {
            serde_json::from_slice(&decrypt(key, sealed.as_str().unwrap())).unwrap()
        }
        _ => outer,
    };
    let arrival = Arrival {
        headers,
        raw,
        plain: plain.clone(),
        at: Instant::now(),
    };
    if plain["type"] == "url_verification" {
        inbox.challenges.lock().unwrap().push(arrival);
        return if inbox.echo {
            axum::Json(json!({"challenge": plain["challenge"]})).into_response()
        } else {
            axum::Json(json!({"msg": "no"})).into_response()
        };
    }
    inbox.events.lock().unwrap().push(arrival);
    let hanging = inbox
        .hang
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if hanging {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let failing = inbox
        .fail
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    } else {
        axum::Json(json!({"msg": "success"})).into_response()
    }
}

impl Receiver {
    pub(crate) async fn start(key: Option<&str>, echo: bool, fail: usize) -> Self {
        let inbox = Arc::new(Inbox {
            key: key.map(str::to_owned),
            echo,
            fail: AtomicUsize::new(fail),
            ..Default::default()
        });
        let app = axum::Router::new()
            .route("/events", axum::routing::post(receive))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/events", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, inbox }
    }

    pub(crate) fn challenges(&self) -> Vec<Arrival> {
        self.inbox.challenges.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until `n` event deliveries have arrived; returns them all.
    pub(crate) async fn events(&self, n: usize) -> Vec<Arrival> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.inbox.events.lock().unwrap().clone();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn ids_of(open_id: &str) -> Value {
    let u = demo_directory()
        .into_iter()
        .find(|u| u.open_id() == open_id)
        .unwrap();
    json!({"union_id": u.union_id(), "user_id": u.user_id(), "open_id": u.open_id()})
}

async fn emulator_for(receiver: &Receiver, builder: EmulatorBuilder) -> Emulator {
    builder
        .event_callback(&receiver.url)
        .verification_token("v-token")
        .start()
        .await
        .unwrap()
}

/// An emulator pushing to `receiver` in which Alice has booked a meeting (`topic`) and started
/// it alone.
async fn meeting_alone(receiver: &Receiver, builder: EmulatorBuilder, topic: &str) -> Emulator {
    let emulator = emulator_for(receiver, builder).await;
    let id = book(&client(&emulator), &emulator, topic).await;
    emulator
        .start_meeting(id.as_str(), MeetingSpec::new())
        .await
        .unwrap();
    emulator
}

#[tokio::test]
async fn each_meeting_step_pushes_its_event_in_order_with_the_reservations_fields() {
    let receiver = Receiver::start(None, true, 0).await;
    let emulator = emulator_for(&receiver, Emulator::builder()).await;
    let client = client(&emulator);
    let id = book(&client, &emulator, "Planning").await;
    let booked = client
        .reserves()
        .get(id.clone())
        .await
        .unwrap()
        .data
        .reserve
        .unwrap();
    let r = id.as_str();

    let started = emulator
        .start_meeting(r, MeetingSpec::new().participant(DEMO_USER_BOB))
        .await
        .unwrap();
    emulator
        .join_meeting(r, ParticipantSpec::new(DEMO_USER_CAROL))
        .await
        .unwrap();
    emulator
        .start_screen_share(r, DEMO_USER_CAROL)
        .await
        .unwrap();
    emulator.end_screen_share(r).await.unwrap();
    emulator.start_recording(r, None).await.unwrap();
    emulator.advance(Duration::from_secs(30)).await.unwrap();
    emulator.end_recording(r).await.unwrap();
    emulator
        .leave_meeting(r, DEMO_USER_CAROL, LeaveReason::Left)
        .await
        .unwrap();
    emulator.end_meeting(r).await.unwrap();
    let file = emulator.recording_ready(r, None).await.unwrap();

    let got = receiver.events(13).await;
    let types: Vec<&str> = got.iter().map(Arrival::event_type).collect();
    assert_eq!(
        types,
        [
            "vc.meeting.meeting_started_v1",
            "vc.meeting.join_meeting_v1",
            "vc.meeting.join_meeting_v1",
            "vc.meeting.join_meeting_v1",
            "vc.meeting.share_started_v1",
            "vc.meeting.share_ended_v1",
            "vc.meeting.recording_started_v1",
            "vc.meeting.recording_ended_v1",
            "vc.meeting.leave_meeting_v1",
            "vc.meeting.leave_meeting_v1",
            "vc.meeting.leave_meeting_v1",
            "vc.meeting.meeting_ended_v1",
            "vc.meeting.recording_ready_v1",
        ]
    );
    let mut event_ids: Vec<&str> = got.iter().map(Arrival::event_id).collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    assert_eq!(event_ids.len(), 13, "each event has its own event_id");

    let meeting_id = started.id.unwrap().as_str().to_owned();
    let alice = ids_of(DEMO_USER_ALICE);
    let carol = ids_of(DEMO_USER_CAROL);
    for a in &got {
        assert_eq!(a.plain["schema"], "2.0");
        let header = &a.plain["header"];
        assert_eq!(header["token"], "v-token");
        assert_eq!(header["app_id"], DEMO_APP_ID);
        assert_eq!(header["tenant_key"], DEMO_TENANT_KEY);
        let create_ms: i64 = header["create_time"].as_str().unwrap().parse().unwrap();
        assert!(create_ms >= emulator.now().unix_seconds() * 1000 - 60_000);
        let m = &a.event()["meeting"];
        assert_eq!(m["id"], meeting_id.as_str());
        assert_eq!(
            m["meeting_no"],
            booked.meeting_no.as_ref().unwrap().as_str()
        );
        assert_eq!(m["meeting_source"], 4);
        assert_eq!(m["topic"], "Planning");
        assert_eq!(m["owner"]["id"], alice, "the owner with all three ids");
        let calendar = matches!(
            a.event_type(),
            "vc.meeting.meeting_started_v1" | "vc.meeting.meeting_ended_v1"
        );
        assert_eq!(
            m.get("calendar_event_id").is_some(),
            calendar,
            "{}",
            a.event_type()
        );
        let body = serde_json::to_string(a.event()).unwrap();
        let read = Event::from_json(a.event_type(), &body).unwrap();
        assert_eq!(read.event_type(), a.event_type());
        assert_eq!(read.meeting().unwrap().meeting_no, booked.meeting_no);
    }

    let ev = |i: usize| got[i].event();
    let start_s: i64 = ev(0)["meeting"]["start_time"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (start_s - (emulator.now().unix_seconds() - 30)).abs() <= 2,
        "started at the emulator's clock"
    );
    assert_eq!(ev(0)["operator"]["id"], alice, "the host starts it");
    assert_eq!(ev(0)["meeting"]["host_user"]["user_role"], 2);
    assert_eq!(ev(3)["operator"]["id"], carol, "Carol joins");
    assert_eq!(ev(4)["operator"]["id"], carol, "Carol shares");
    assert_eq!(ev(6)["operator"]["id"], alice, "the host records");
    assert_eq!(ev(8)["leave_reason"], 1);
    assert_eq!(ev(8)["leave_user"]["id"], carol);
    assert_eq!(ev(9)["leave_reason"], 2, "the meeting ended");
    assert_eq!(ev(10)["leave_user"]["id"], ids_of(DEMO_USER_BOB));
    let end_s: i64 = ev(11)["meeting"]["end_time"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(end_s - start_s, 30);

    let ready = ev(12);
    assert_eq!(ready["duration"], "30000", "30 s recorded, in ms");
    assert_eq!(ready["url"], file.url.as_str());
    assert_eq!(file.duration_ms, 30_000);
    assert!(ready.get("operator").is_none());
    let mut keys: Vec<&String> = ready["meeting"].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["id", "meeting_no", "meeting_source", "owner", "topic"]
    );
    assert_eq!(ready["meeting"]["owner"], json!({"id": alice}));

    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn events_are_encrypted_and_signed_when_a_key_is_set() {
    let key = "test key";
    let receiver = Receiver::start(Some(key), true, 0).await;
    let emulator = meeting_alone(&receiver, Emulator::builder().encrypt_key(key), "Secret").await;

    let challenge = &receiver.challenges()[0];
    let got = receiver.events(2).await;
    assert_eq!(got.len(), 2);
    for a in got.iter().chain(std::iter::once(challenge)) {
        let outer: Value = serde_json::from_str(&a.raw).unwrap();
        assert_eq!(
            outer.as_object().unwrap().len(),
            1,
            "only `encrypt`: {outer}"
        );
        assert!(!a.raw.contains("v-token") && !a.raw.contains("meeting"));
        let header = |n: &str| a.headers.get(n).unwrap().to_str().unwrap().to_owned();
        let mut hash = Sha256::new();
        hash.update(header("x-lark-request-timestamp"));
        hash.update(header("x-lark-request-nonce"));
        hash.update(key);
        hash.update(a.raw.as_bytes());
        assert_eq!(header("x-lark-signature"), format!("{:x}", hash.finalize()));
    }
    assert_eq!(challenge.plain["token"], "v-token");
    assert_eq!(got[0].event_type(), "vc.meeting.meeting_started_v1");
    assert_eq!(got[0].plain["header"]["token"], "v-token");
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_event_id_after_the_scaled_delay() {
    // 15 s × 0.01 = 150 ms before the first retry.
    let receiver = Receiver::start(None, true, 1).await;
    let emulator = meeting_alone(
        &receiver,
        Emulator::builder().event_retry_scale(0.01),
        "Flaky",
    )
    .await;

    let got = receiver.events(3).await;
    let types: Vec<&str> = got.iter().map(Arrival::event_type).collect();
    assert_eq!(
        types,
        [
            "vc.meeting.meeting_started_v1",
            "vc.meeting.meeting_started_v1",
            "vc.meeting.join_meeting_v1"
        ],
        "the failed event is sent again before the next one"
    );
    assert_eq!(got[0].event_id(), got[1].event_id());
    assert_eq!(got[0].plain, got[1].plain, "the same envelope");
    assert!(got[1].at - got[0].at >= Duration::from_millis(150));
    assert_ne!(got[2].event_id(), got[0].event_id());
    emulator.shutdown().await.unwrap();
}

/// `POST /_emulator/event_callbacks` for `url`.
async fn register(emulator: &Emulator, url: &str) -> crate::Raw {
    let route = format!("{}/_emulator/event_callbacks", emulator.base_url());
    raw(Method::POST, route, None, Some(json!({ "url": url }))).await
}

#[tokio::test]
async fn a_failing_callback_gets_four_retries_on_the_scaled_schedule_then_no_more() {
    // × 0.0002: 3 ms, 60 ms, 720 ms, 4.32 s after each failure.
    let receiver = Receiver::start(None, true, usize::MAX).await;
    let emulator = meeting_alone(
        &receiver,
        Emulator::builder().event_retry_scale(0.0002),
        "Down",
    )
    .await;
    // Five attempts of the started event, then it is given up and the host's join follows.
    let got = receiver.events(6).await;
    assert!(
        got.len() >= 6,
        "one attempt and four retries, then the next event"
    );
    assert!(got[..5].iter().all(|a| a.event_id() == got[0].event_id()));
    let expected_ms = [3, 60, 720, 4320];
    for (pair, ms) in got[..5].windows(2).zip(expected_ms) {
        assert!(pair[1].at - pair[0].at >= Duration::from_millis(ms));
    }
    assert_eq!(got[5].event_type(), "vc.meeting.join_meeting_v1");
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_attempt_unanswered_within_3_s_is_retried() {
    let receiver = Receiver::start(None, true, 0).await;
    receiver.inbox.hang.store(1, Ordering::SeqCst);
    let emulator = meeting_alone(
        &receiver,
        Emulator::builder().event_retry_scale(0.01),
        "Slow",
    )
    .await;
    let got = receiver.events(2).await;
    assert!(got.len() >= 2);
    assert_eq!(got[0].event_id(), got[1].event_id());
    let gap = got[1].at - got[0].at;
    assert!(
        gap >= Duration::from_millis(3150),
        "3 s timeout + 150 ms: {gap:?}"
    );
    assert!(
        gap < Duration::from_secs(5),
        "not waiting for the late answer: {gap:?}"
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn registering_a_callback_sends_the_challenge_and_requires_its_echo() {
    let emulator = Emulator::builder()
        .verification_token("v-token")
        .start()
        .await
        .unwrap();
    let good = Receiver::start(None, true, 0).await;
    let answer = register(&emulator, &good.url).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["callbacks"], json!([good.url]));
    let challenges = good.challenges();
    assert_eq!(challenges.len(), 1);
    assert_eq!(challenges[0].plain["type"], "url_verification");
    assert_eq!(challenges[0].plain["token"], "v-token");
    assert!(
        challenges[0].plain["challenge"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );

    let mute = Receiver::start(None, false, 0).await;
    let answer = register(&emulator, &mute.url).await;
    assert_eq!(answer.status, 502, "{:?}", answer.body);
    assert!(answer.body["error"].as_str().unwrap().contains(&mute.url));
    assert_eq!(emulator.event_callbacks(), vec![good.url.clone()]);
    assert_eq!(mute.challenges().len(), 1);

    // Only the verified callback gets events.
    let client = client(&emulator);
    let id = book(&client, &emulator, "Verified").await;
    emulator
        .start_meeting(id.as_str(), MeetingSpec::new())
        .await
        .unwrap();
    assert_eq!(good.events(2).await.len(), 2);
    assert!(mute.inbox.events.lock().unwrap().is_empty());

    let refused = Emulator::builder().event_callback(&mute.url).start().await;
    assert!(
        matches!(refused, Err(Error::CallbackRejected { .. })),
        "{refused:?}"
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn get_active_meeting_reflects_participants_screen_share_and_recording() {
    let emulator = Emulator::start_default().await.unwrap();
    let client = client(&emulator);
    let id = book(&client, &emulator, "Review").await;
    let r = id.as_str();
    emulator.start_meeting(r, MeetingSpec::new()).await.unwrap();
    let active = || async {
        client
            .reserves()
            .get_active_meeting(id.clone())
            .set_with_participants(true)
            .await
            .unwrap()
            .data
            .meeting
            .unwrap()
    };
    let m = active().await;
    let ability = m.ability.unwrap();
    assert_eq!(ability.use_share_screen, Some(false));
    assert_eq!(ability.use_recording, Some(false));

    emulator
        .join_meeting(r, ParticipantSpec::new(DEMO_USER_BOB))
        .await
        .unwrap();
    emulator
        .join_meeting(r, ParticipantSpec::new(DEMO_USER_CAROL))
        .await
        .unwrap();
    emulator.start_screen_share(r, DEMO_USER_BOB).await.unwrap();
    emulator
        .start_recording(r, Some(DEMO_USER_BOB))
        .await
        .unwrap();
    emulator
        .leave_meeting(r, DEMO_USER_CAROL, LeaveReason::Removed)
        .await
        .unwrap();
    let m = active().await;
    let people: Vec<String> = m
        .participants
        .unwrap()
        .iter()
        .map(|p| p.id.as_ref().unwrap().as_str().to_owned())
        .collect();
    assert_eq!(people, [DEMO_USER_ALICE, DEMO_USER_BOB]);
    assert_eq!(m.participant_count, Some(2));
    assert_eq!(m.participant_count_accumulated, Some(3));
    let ability = m.ability.unwrap();
    assert_eq!(ability.use_share_screen, Some(true));
    assert_eq!(ability.use_recording, Some(true));
    emulator.shutdown().await.unwrap();
}

/// A control call: method, route under `.../meeting`, body, expected status, what it shows, the
/// error text expected when refused.
type Step<'a> = (Method, &'a str, Option<Value>, u16, &'a str, &'a str);

#[tokio::test]
async fn meeting_steps_through_the_control_api_and_their_refusals() {
    let receiver = Receiver::start(None, true, 0).await;
    let emulator = emulator_for(&receiver, Emulator::builder()).await;
    let client = client(&emulator);
    let id = book(&client, &emulator, "Over HTTP").await;
    let bob = json!({"id": DEMO_USER_BOB});
    let bob_shares = json!({"user_id": DEMO_USER_BOB});
    let (post, delete) = (Method::POST, Method::DELETE);
    let steps: Vec<Step<'_>> = vec![
        (
            post.clone(),
            "/participants",
            Some(bob.clone()),
            409,
            "no meeting yet",
            "no meeting in progress",
        ),
        (post.clone(), "", None, 200, "start", ""),
        (
            post.clone(),
            "/participants",
            Some(bob.clone()),
            200,
            "Bob joins",
            "",
        ),
        (
            post.clone(),
            "/participants",
            Some(bob),
            409,
            "Bob is in already",
            "already in the meeting",
        ),
        (
            post.clone(),
            "/screen_share",
            Some(bob_shares),
            200,
            "Bob shares",
            "",
        ),
        (
            post.clone(),
            "/screen_share",
            Some(json!({"user_id": DEMO_USER_ALICE})),
            409,
            "one share at a time",
            "already sharing",
        ),
        (delete.clone(), "/screen_share", None, 200, "share ends", ""),
        (
            delete.clone(),
            "/screen_share",
            None,
            409,
            "no share to end",
            "nobody is sharing",
        ),
        (
            post.clone(),
            "/recording",
            None,
            200,
            "recording starts",
            "",
        ),
        (
            delete.clone(),
            "/recording",
            None,
            200,
            "recording ends",
            "",
        ),
        (
            post.clone(),
            "/leave",
            Some(json!({"user_id": DEMO_USER_BOB, "leave_reason": 2})),
            400,
            "2 is not for callers",
            "leave_reason",
        ),
        (
            post.clone(),
            "/leave",
            Some(json!({"user_id": DEMO_USER_BOB, "leave_reason": 3})),
            200,
            "Bob is removed",
            "",
        ),
        (delete, "", None, 200, "end", ""),
        (
            post.clone(),
            "/recording/ready",
            Some(json!({"url": "https://meetings.feishu.cn/minutes/x"})),
            200,
            "ready",
            "",
        ),
        (
            post,
            "/recording/ready",
            None,
            409,
            "once per recording",
            "no recording has ended",
        ),
    ];
    for (method, tail, body, status, what, error) in steps {
        let route = format!(
            "{}/_emulator/reserves/{}/meeting{tail}",
            emulator.base_url(),
            id.as_str()
        );
        let answer = raw(method, route, None, body).await;
        assert_eq!(answer.status, status, "{what}: {:?}", answer.body);
        if status == 200 && tail == "/participants" {
            assert_eq!(answer.body["meeting"]["participant_count"], "2", "{what}");
        }
        if status == 200 && tail == "/recording/ready" {
            assert_eq!(answer.body["url"], "https://meetings.feishu.cn/minutes/x");
        }
        if status != 200 {
            assert!(
                answer.body["error"].as_str().unwrap().contains(error),
                "{what}: {:?}",
                answer.body
            );
        }
    }

    let got = receiver.events(11).await;
    let types: Vec<&str> = got.iter().map(Arrival::event_type).collect();
    assert_eq!(
        types,
        [
            "vc.meeting.meeting_started_v1",
            "vc.meeting.join_meeting_v1",
            "vc.meeting.join_meeting_v1",
            "vc.meeting.share_started_v1",
            "vc.meeting.share_ended_v1",
            "vc.meeting.recording_started_v1",
            "vc.meeting.recording_ended_v1",
            "vc.meeting.leave_meeting_v1",
            "vc.meeting.leave_meeting_v1",
            "vc.meeting.meeting_ended_v1",
            "vc.meeting.recording_ready_v1",
        ]
    );
    assert_eq!(got[7].event()["leave_reason"], 3);
    assert_eq!(
        got[7].event()["operator"]["id"],
        ids_of(DEMO_USER_ALICE),
        "the host removes"
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn event_settings_are_checked_and_their_secrets_never_shown() {
    let builder = Emulator::builder()
        .encrypt_key("encrypt-key-secret")
        .verification_token("verification-token-secret");
    let shown = format!("{builder:?}");
    assert!(!shown.contains("encrypt-key-secret"), "{shown}");
    assert!(!shown.contains("verification-token-secret"), "{shown}");

    for scale in [f64::NAN, -1.0, f64::INFINITY] {
        let refused = Emulator::builder().event_retry_scale(scale).start().await;
        match refused {
            Err(Error::Config(why)) => assert!(why.contains("retry scale"), "{why}"),
            other => panic!("scale {scale} was accepted: {other:?}"),
        }
    }
    let refused = Emulator::builder()
        .event_callback("ftp://127.0.0.1/x")
        .start()
        .await;
    match refused {
        Err(Error::Config(why)) => assert!(why.contains("ftp://127.0.0.1/x"), "{why}"),
        other => panic!("a non-http callback was accepted: {other:?}"),
    }
}

#[tokio::test]
async fn a_meetings_share_and_recording_survive_a_restart_on_the_state_file() {
    let dir = crate::temp_dir("meeting-steps");
    let file = dir.join("state.db");
    let emulator = Emulator::builder().state_file(&file).start().await.unwrap();
    let id = book(&client(&emulator), &emulator, "Kept").await;
    let r = id.as_str();
    emulator
        .start_meeting(r, MeetingSpec::new().participant(DEMO_USER_BOB))
        .await
        .unwrap();
    emulator.start_screen_share(r, DEMO_USER_BOB).await.unwrap();
    // The emulator's time is the system's plus the advances: real seconds pass too.
    let real = std::time::Instant::now();
    emulator.start_recording(r, None).await.unwrap();
    emulator.advance(Duration::from_secs(12)).await.unwrap();
    emulator.shutdown().await.unwrap();

    let receiver = Receiver::start(None, true, 0).await;
    let emulator = emulator_for(&receiver, Emulator::builder().state_file(&file)).await;
    let m = emulator.end_screen_share(r).await.unwrap();
    assert_eq!(m.ability.unwrap().use_share_screen, Some(true));
    emulator.end_meeting(r).await.unwrap();
    let passed = i64::try_from(real.elapsed().as_secs()).unwrap() + 1;
    let file = emulator.recording_ready(r, None).await.unwrap();
    assert!(
        (12_000..=(12 + passed) * 1000).contains(&file.duration_ms),
        "recorded before and after the restart: {} ms, {passed} s of real time",
        file.duration_ms
    );
    let got = receiver.events(6).await;
    let types: Vec<&str> = got.iter().map(Arrival::event_type).collect();
    assert_eq!(
        types,
        [
            "vc.meeting.share_ended_v1",
            "vc.meeting.recording_ended_v1",
            "vc.meeting.leave_meeting_v1",
            "vc.meeting.leave_meeting_v1",
            "vc.meeting.meeting_ended_v1",
            "vc.meeting.recording_ready_v1",
        ]
    );
    assert_eq!(got[0].event()["operator"]["id"], ids_of(DEMO_USER_BOB));
    emulator.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
