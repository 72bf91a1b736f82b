//! Building deliveries the way Feishu sends them: encrypt with a test IV, sign the raw body.

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockEncryptMut, KeyIvInit};
use feishu_vc_events::Decoder;
use sha2::{Digest, Sha256};

pub(crate) const KEY: &str = "test key";
pub(crate) const TOKEN: &str = "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV";
pub(crate) const TS: &str = "1700000000";
pub(crate) const NONCE: &str = "1234567890";

/// The documented meeting_started_v1 example (reference §1.3), with `event_id` and `meeting_no`
/// given.
pub(crate) fn meeting_started(event_id: &str, meeting_no: &str, start: i64) -> String {
    meeting_started_by(event_id, meeting_no, start, "ou_owner")
}

/// [`meeting_started`] with the meeting's owner (open id) given.
pub(crate) fn meeting_started_by(
    event_id: &str,
    meeting_no: &str,
    start: i64,
    owner: &str,
) -> String {
    serde_json::json!({
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": "vc.meeting.meeting_started_v1",
            "create_time": "1608725989000",
            "token": TOKEN,
            "app_id": "cli_9f5343c580712544",
            "tenant_key": "2ca1d211f64f6438"
        },
        "event": {
            "meeting": {
                "id": "6911188411934433028",
                "topic": "my meeting",
                "meeting_no": meeting_no,
                "meeting_source": 4,
                "start_time": start.to_string(),
                "end_time": (start + 600).to_string(),
                "owner": {"id": {"union_id": "on_8ed6", "user_id": "e33ggbyz", "open_id": owner}, "user_role": 1, "user_type": 1},
                "calendar_event_id": "efa67a98-06a8-4df5-8559-746c8f4477ef_0"
            },
            "operator": {"id": {"open_id": owner}, "user_role": 1, "user_type": 1}
        }
    })
    .to_string()
}

/// `{"encrypt":…}` of `plaintext` under `key`, with a fixed IV.
pub(crate) fn encrypt(key: &str, plaintext: &[u8]) -> String {
    let aes_key: [u8; 32] = Sha256::digest(key.as_bytes()).into();
    let iv = [7u8; 16];
    let ciphertext = cbc::Encryptor::<Aes256>::new(&aes_key.into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut buffer = iv.to_vec();
    buffer.extend_from_slice(&ciphertext);
    serde_json::json!({ "encrypt": STANDARD.encode(buffer) }).to_string()
}

/// The signature headers for `body`, computed by the formula (independently of the crate).
pub(crate) fn signed_headers(key: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let digest = Sha256::new()
        .chain_update(TS)
        .chain_update(NONCE)
        .chain_update(key)
        .chain_update(body)
        .finalize();
    vec![
        ("X-Lark-Request-Timestamp", TS.to_owned()),
        ("X-Lark-Request-Nonce", NONCE.to_owned()),
        ("X-Lark-Signature", format!("{digest:x}")),
    ]
}

pub(crate) fn as_pairs<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

pub(crate) fn decoder() -> Decoder {
    Decoder::new().encrypt_key(KEY).verification_token(TOKEN)
}

/// Encrypts and signs `plain`, has `receiver` accept it at `now`, and gives the reservation it was
/// attributed to.
pub(crate) async fn attributed(
    receiver: &feishu_vc_events::Receiver,
    plain: &str,
    now: std::time::SystemTime,
) -> Option<feishu_vc_model::ReserveId> {
    let body = encrypt(KEY, plain.as_bytes());
    let headers = signed_headers(KEY, body.as_bytes());
    let accepted = receiver
        .accept(as_pairs(&headers).as_slice(), body.as_bytes(), now)
        .await
        .unwrap();
    let feishu_vc_events::Accepted::Event(mut delivery) = accepted else {
        panic!("expected an event, got {accepted:?}");
    };
    receiver.attribute(&mut delivery, now).await.unwrap();
    delivery.reserve_id
}

/// A facade client of the emulator's app whose booking hook fills `ledger`, validating against
/// the emulator's clock.
pub(crate) fn booking_client(
    emulator: &feishu_vc_emulator::Emulator,
    ledger: &std::sync::Arc<feishu_vc_events::InMemoryReservations>,
) -> feishu_vc::Client {
    let now = emulator.now();
    feishu_vc::Client::builder()
        .app_credentials(emulator.app_id(), emulator.app_secret())
        .base_url(emulator.base_url())
        .validation_clock(move || now)
        .booking_observer(ledger.clone())
        .build()
        .unwrap()
}

/// Books an hour-long meeting owned by Alice through `client`.
pub(crate) async fn book_an_hour(
    client: &feishu_vc::Client,
    emulator: &feishu_vc_emulator::Emulator,
) -> feishu_vc_model::Booked {
    use feishu_vc::model::{ApplyReserveRequest, ReserveMeetingSetting};
    let end = emulator
        .now()
        .checked_add(std::time::Duration::from_secs(3600))
        .unwrap();
    client
        .reserves()
        .apply(
            ApplyReserveRequest::new(ReserveMeetingSetting::default().set_topic("sync"))
                .set_end_time(end)
                .set_owner_id(feishu_vc_emulator::DEMO_USER_ALICE),
        )
        .await
        .unwrap()
        .data
}
