use std::time::{Duration, SystemTime};

use feishu_vc_events::{DecodeError, Decoder, Incoming, Schema, Undecryptable};
use feishu_vc_model::events::Event;

use crate::support::{
    KEY, NONCE, TOKEN, TS, as_pairs, decoder, encrypt, meeting_started, signed_headers,
};

const NO_HEADERS: &[(&str, &str)] = &[];

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn decode_signed(decoder: &Decoder, body: &str) -> Result<Incoming, DecodeError> {
    let headers = signed_headers(KEY, body.as_bytes());
    decoder.decode(as_pairs(&headers).as_slice(), body.as_bytes(), now())
}

/// §2.4 vector 1: `test key`, `hello world` (padding 05×5). The plaintext is not JSON, so the
/// decoder decrypts it and then says so: an unencrypted-JSON error, not an undecryptable one.
#[test]
fn documented_vector_1_decrypts_then_is_not_json() {
    let body = r#"{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}"#;
    // A key that is wrong fails the padding check instead: the vector really was decrypted.
    let wrong = Decoder::new().encrypt_key("other key");
    let err = decode_signed_with(&wrong, "other key", body).unwrap_err();
    assert!(matches!(
        err,
        DecodeError::Undecryptable(Undecryptable::Padding)
    ));
    let err = decode_signed(&decoder(), body).unwrap_err();
    assert!(
        matches!(err, DecodeError::NotJson("decrypted body")),
        "{err:?}"
    );
}

fn decode_signed_with(decoder: &Decoder, key: &str, body: &str) -> Result<Incoming, DecodeError> {
    let headers = signed_headers(key, body.as_bytes());
    decoder.decode(as_pairs(&headers).as_slice(), body.as_bytes(), now())
}

/// §2.4 vector 2 (JV `TestDecryptor`): a challenge-shaped 2.0 envelope with `"type":
/// "url_verification1"`, read as an event of type `contact.user.created_v3`, kept as `Other`.
#[test]
fn documented_vector_2_decrypts_to_its_plaintext_envelope() {
    let encrypted = "4T4ivT/PR2APX9OYkhRKtu54s1rtIpj9xJU69Hs1yWQ/1RutbufsBs9xjx5YC3u/0hMRF49sN0kevQiEL8iB3bVEdpfyJXzXGDfKUjvKQTmG64GbMdTW6qRpadVPem3f32jHuT6fc+4TRg4BigwoUId+l/D+vcIwu3mDgAEbaqzWfmvccmpiRMfQbh9JhdK/akmrRjo/CXPLM+hZciFXJMSpKueV3SjZJoSls5y0ZTHC8zak/Mp/DSl1wa4mYe5laP367Lnl4ylGiXBKx3Ku29oWv79rYcO/5QT63H4rkl8bwYmAzScpb2KNnV11L3xiDzJp3hFdfXczUvm93FXu4Lw8eDAsRzIWCccKrqHh0UvtDJD95tNn6LvYew4+Xbk1RD4k7UzWJS9AMobOK778NLNxfQ+Kn7MKzBHilXnSIVY5V+dcsOOdfqJviW4yWmT73JHYKq1qJip7Cw7lbkmRMUmettUwdVFWxeXH6iTex3YXCgqoriCx/MzeQhdNEycipooB/vHItRt1CF44uFWj9tf8n3TdbdH4dNMD0hw8ejHJSbEHb9HAGCugUniN8BzL9wxE959JU4cu3BKjDuIk5oS9hLR1mSc3vKBuSa3VKOE=";
    let body = format!(r#"{{"encrypt":"{encrypted}"}}"#);
    let decoder = Decoder::new()
        .encrypt_key("1212121212")
        .verification_token("v");
    let incoming = decode_signed_with(&decoder, "1212121212", &body).unwrap();
    let Incoming::Event(delivery) = incoming else {
        panic!("expected an event, got {incoming:?}");
    };
    assert_eq!(delivery.schema, Schema::V2);
    assert_eq!(delivery.header.event_id, "f7984f25108f8137722bb63cee927e66");
    assert_eq!(delivery.header.event_type, "contact.user.created_v3");
    assert_eq!(
        delivery.header.create_time.as_deref(),
        Some("1603977298000000")
    );
    let Event::Other(other) = &delivery.event else {
        panic!("unknown types are kept as Other");
    };
    assert_eq!(other.event["object"]["name"], "张三");
    assert_eq!(
        other.event["object"]["open_id"],
        "ou_7dab8a3d3cdcc9da365777c7ad535d62"
    );
}

/// §2.5 computed vector: the formula over the raw body gives the documented hex.
#[test]
fn signature_formula_matches_the_reference_vector() {
    let body = br#"{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}"#;
    let sig = Decoder::new()
        .encrypt_key(KEY)
        .sign(TS, NONCE, body)
        .unwrap();
    assert_eq!(
        sig,
        "b322b5c524c73507f884ce6160ad6dc89b01398815a5e04d98b67ba828f54803"
    );
    assert_eq!(Decoder::new().sign(TS, NONCE, body), None);
}

#[test]
fn an_encrypted_signed_event_decodes_to_its_typed_event() {
    let body = encrypt(
        KEY,
        meeting_started("ev-1", "235812466", 1_700_000_000).as_bytes(),
    );
    let Incoming::Event(delivery) = decode_signed(&decoder(), &body).unwrap() else {
        panic!("expected an event");
    };
    assert_eq!(delivery.event_id(), "ev-1");
    let Event::MeetingStarted(started) = &delivery.event else {
        panic!("expected MeetingStarted, got {:?}", delivery.event);
    };
    let meeting = started.meeting.as_ref().unwrap();
    assert_eq!(meeting.meeting_no.as_ref().unwrap().as_str(), "235812466");
    assert_eq!(delivery.reserve_id, None);
}

#[test]
fn a_tampered_body_is_a_bad_signature() {
    let body = encrypt(
        KEY,
        meeting_started("ev-1", "235812466", 1_700_000_000).as_bytes(),
    );
    let headers = signed_headers(KEY, body.as_bytes());
    let tampered = body.replacen('A', "B", 1);
    assert_ne!(tampered, body);
    let err = decoder()
        .decode(as_pairs(&headers).as_slice(), tampered.as_bytes(), now())
        .unwrap_err();
    assert!(matches!(err, DecodeError::BadSignature), "{err:?}");
    assert!(err.is_unauthenticated());
}

#[test]
fn a_wrong_signature_is_a_bad_signature() {
    let body = encrypt(
        KEY,
        meeting_started("ev-1", "235812466", 1_700_000_000).as_bytes(),
    );
    let mut headers = signed_headers(KEY, body.as_bytes());
    headers[2].1 = "0".repeat(64);
    let err = decoder()
        .decode(as_pairs(&headers).as_slice(), body.as_bytes(), now())
        .unwrap_err();
    assert!(matches!(err, DecodeError::BadSignature), "{err:?}");
}

#[test]
fn an_event_without_signature_headers_is_refused_when_a_key_is_set() {
    let body = encrypt(
        KEY,
        meeting_started("ev-1", "235812466", 1_700_000_000).as_bytes(),
    );
    let err = decoder()
        .decode(NO_HEADERS, body.as_bytes(), now())
        .unwrap_err();
    assert!(matches!(err, DecodeError::MissingSignature(_)), "{err:?}");
    let mut headers = signed_headers(KEY, body.as_bytes());
    headers.remove(1);
    let err = decoder()
        .decode(as_pairs(&headers).as_slice(), body.as_bytes(), now())
        .unwrap_err();
    assert!(
        matches!(err, DecodeError::MissingSignature("X-Lark-Request-Nonce")),
        "{err:?}"
    );
}

#[test]
fn a_wrong_verification_token_is_refused() {
    let plain = meeting_started("ev-1", "235812466", 1_700_000_000).replace(TOKEN, "not-the-token");
    let body = encrypt(KEY, plain.as_bytes());
    let err = decode_signed(&decoder(), &body).unwrap_err();
    assert!(matches!(err, DecodeError::WrongToken), "{err:?}");
    // Without encryption too, and on a challenge.
    let plain_decoder = Decoder::new().verification_token(TOKEN);
    let err = plain_decoder
        .decode(NO_HEADERS, plain.as_bytes(), now())
        .unwrap_err();
    assert!(matches!(err, DecodeError::WrongToken));
    let challenge = r#"{"challenge":"c","type":"url_verification","token":"nope"}"#;
    let err = plain_decoder
        .decode(NO_HEADERS, challenge.as_bytes(), now())
        .unwrap_err();
    assert!(matches!(err, DecodeError::WrongToken));
}

#[test]
fn a_truncated_ciphertext_is_undecryptable() {
    let body = encrypt(
        KEY,
        meeting_started("ev-1", "235812466", 1_700_000_000).as_bytes(),
    );
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let encrypted = value["encrypt"].as_str().unwrap();
    // Drop one block's worth of base64 (not a multiple of 16 bytes any more), re-padded.
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut bytes = engine.decode(encrypted).unwrap();
    bytes.truncate(bytes.len() - 5);
    let truncated = serde_json::json!({ "encrypt": engine.encode(&bytes) }).to_string();
    let err = decode_signed(&decoder(), &truncated).unwrap_err();
    assert!(
        matches!(err, DecodeError::Undecryptable(Undecryptable::Length(_))),
        "{err:?}"
    );
    // A whole block less: the padding no longer checks out.
    bytes.truncate(bytes.len() - 11);
    let truncated = serde_json::json!({ "encrypt": engine.encode(&bytes) }).to_string();
    let err = decode_signed(&decoder(), &truncated).unwrap_err();
    assert!(
        matches!(err, DecodeError::Undecryptable(Undecryptable::Padding)),
        "{err:?}"
    );
    let not_base64 = r#"{"encrypt":"%%%"}"#;
    let err = decode_signed(&decoder(), not_base64).unwrap_err();
    assert!(matches!(
        err,
        DecodeError::Undecryptable(Undecryptable::Base64)
    ));
}

#[test]
fn a_non_json_body_is_not_json() {
    let err = decode_signed(&decoder(), "this is not json").unwrap_err();
    assert!(matches!(err, DecodeError::NotJson("body")), "{err:?}");
    let err = Decoder::new()
        .decode(NO_HEADERS, b"<xml/>", now())
        .unwrap_err();
    assert!(matches!(err, DecodeError::NotJson("body")));
}

#[test]
fn an_encrypted_body_without_a_key_is_refused() {
    let body = encrypt(KEY, meeting_started("ev-1", "1", 1).as_bytes());
    let err = Decoder::new()
        .decode(NO_HEADERS, body.as_bytes(), now())
        .unwrap_err();
    assert!(matches!(err, DecodeError::EncryptedWithoutKey));
}

#[test]
fn a_known_type_whose_event_does_not_fit_is_malformed_and_names_the_field() {
    let plain =
        meeting_started("ev-1", "235812466", 1).replace(r#""topic":"my meeting""#, r#""topic":5"#);
    let err = Decoder::new()
        .decode(NO_HEADERS, plain.as_bytes(), now())
        .unwrap_err();
    let DecodeError::Malformed { field, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*field, "event");
    let no_id = meeting_started("", "235812466", 1);
    let err = Decoder::new()
        .decode(NO_HEADERS, no_id.as_bytes(), now())
        .unwrap_err();
    assert!(matches!(
        err,
        DecodeError::Malformed {
            field: "header.event_id",
            ..
        }
    ));
}

#[test]
fn the_plain_challenge_is_answered_with_its_value() {
    let body =
        format!(r#"{{"challenge":"ajls384kdj1234","type":"url_verification","token":"{TOKEN}"}}"#);
    let incoming = decoder()
        .decode(NO_HEADERS, body.as_bytes(), now())
        .unwrap();
    assert_eq!(incoming, Incoming::Challenge("ajls384kdj1234".to_owned()));
    assert_eq!(
        feishu_vc_events::challenge_response("ajls384kdj1234"),
        br#"{"challenge":"ajls384kdj1234"}"#
    );
}

#[test]
fn the_encrypted_challenge_is_decrypted_and_answered_in_plain() {
    let plain = format!(r#"{{"challenge":"c-42","type":"url_verification","token":"{TOKEN}"}}"#);
    let body = encrypt(KEY, plain.as_bytes());
    let incoming = decoder()
        .decode(NO_HEADERS, body.as_bytes(), now())
        .unwrap();
    assert_eq!(incoming, Incoming::Challenge("c-42".to_owned()));
}

#[test]
fn a_schema_1_envelope_reads_uuid_and_event_type() {
    let body = format!(
        r#"{{"uuid":"u-1","token":"{TOKEN}","ts":"1502199207.7171419","type":"event_callback","event":{{"type":"app_ticket","app_id":"cli_1","app_ticket":"t"}}}}"#
    );
    let Incoming::Event(delivery) = Decoder::new()
        .verification_token(TOKEN)
        .decode(NO_HEADERS, body.as_bytes(), now())
        .unwrap()
    else {
        panic!("expected an event");
    };
    assert_eq!(delivery.schema, Schema::V1);
    assert_eq!(delivery.event_id(), "u-1");
    assert_eq!(delivery.event.event_type(), "app_ticket");
    assert_eq!(delivery.header.app_id.as_deref(), Some("cli_1"));
    assert!(matches!(delivery.event, Event::Other(_)));
}

#[test]
fn the_staleness_check_is_off_by_default_and_refuses_old_timestamps_when_on() {
    let body = encrypt(KEY, meeting_started("ev-1", "1", 1).as_bytes());
    let later = now() + Duration::from_secs(3600);
    let headers = signed_headers(KEY, body.as_bytes());
    assert!(
        decoder()
            .decode(as_pairs(&headers).as_slice(), body.as_bytes(), later)
            .is_ok()
    );
    let strict = decoder().max_clock_skew(Duration::from_secs(300));
    let err = strict
        .decode(as_pairs(&headers).as_slice(), body.as_bytes(), later)
        .unwrap_err();
    assert!(matches!(err, DecodeError::StaleTimestamp { .. }), "{err:?}");
    assert!(
        strict
            .decode(as_pairs(&headers).as_slice(), body.as_bytes(), now())
            .is_ok()
    );
}

#[test]
fn secrets_never_show_in_debug_or_errors() {
    let decoder = Decoder::new()
        .encrypt_key("super-secret-encrypt-key")
        .verification_token("super-secret-verification-token");
    let shown = format!("{decoder:?}");
    assert!(!shown.contains("super-secret"), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
    let plain = meeting_started("ev-1", "1", 1).replace(TOKEN, "super-secret-verification-token");
    let body = encrypt("super-secret-encrypt-key", plain.as_bytes());
    let headers = signed_headers("super-secret-encrypt-key", body.as_bytes());
    let Incoming::Event(delivery) = decoder
        .decode(as_pairs(&headers).as_slice(), body.as_bytes(), now())
        .unwrap()
    else {
        panic!("expected an event");
    };
    let shown = format!("{delivery:?}");
    assert!(!shown.contains("super-secret"), "{shown}");
    let wrong = Decoder::new()
        .encrypt_key("super-secret-encrypt-key")
        .verification_token("another-secret");
    let err = wrong
        .decode(as_pairs(&headers).as_slice(), body.as_bytes(), now())
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("secret"), "{shown}");
}
