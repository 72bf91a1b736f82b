//! The CPU cost of decoding one encrypted, signed delivery with `feishu-vc-events` (signature
//! check, base64 + AES-256-CBC decryption, envelope and typed event parsing, verification token,
//! in-memory dedup) against the bare minimum (base64 + AES-256-CBC decryption of the same bytes,
//! then `serde_json::from_slice::<Value>`), measured in the same run.
//!
//! ```sh
//! cargo bench -p feishu-vc-events --bench decode
//! ```
//!
//! Each sample decodes `BENCH_ITERS` distinct deliveries (default 20000; distinct event ids, so
//! dedup records each one) with one variant; the variants take turns within a round, in an order
//! rotated per round, for `BENCH_SAMPLES` rounds (default 11). Reported: the median ns/op of each
//! variant and the median of the per-round ratios to the baseline.

#[path = "../../feishu-vc/benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use feishu_vc_events::{DEFAULT_WINDOW, Decoder, InMemoryDedup, Incoming};
use serde_json::Value;
use sha2::{Digest, Sha256};

use common::{env_usize, median, range};

const KEY: &str = "bench encrypt key";
const TOKEN: &str = "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// base64 + AES-256-CBC + `serde_json::from_slice::<Value>`.
    Bare,
    /// `Decoder::decode` + `InMemoryDedup::insert`.
    Subject,
}

struct Delivery {
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

/// The documented meeting_started_v1 example with event id `i`, encrypted and signed.
fn delivery(i: usize, aes_key: &[u8; 32]) -> Delivery {
    let plain = serde_json::json!({
        "schema": "2.0",
        "header": {"event_id": format!("5e3702a84e847582be8db7fb7328{i:06}"), "event_type": "vc.meeting.meeting_started_v1", "create_time": "1608725989000", "token": TOKEN, "app_id": "cli_9f5343c580712544", "tenant_key": "2ca1d211f64f6438"},
        "event": {
            "meeting": {
                "id": "6911188411934433028", "topic": "my meeting", "meeting_no": "235812466", "meeting_source": 4,
                "start_time": "1608883322", "end_time": "1608883899",
                "host_user": {"id": {"union_id": "on_8ed6aa67826108097d9ee143816345", "user_id": "e33ggbyz", "open_id": "ou_84aad35d084aa403a838cf73ee18467"}, "user_role": 1, "user_type": 1},
                "owner": {"id": {"union_id": "on_8ed6aa67826108097d9ee143816345", "user_id": "e33ggbyz", "open_id": "ou_84aad35d084aa403a838cf73ee18467"}, "user_role": 1, "user_type": 1},
                "calendar_event_id": "efa67a98-06a8-4df5-8559-746c8f4477ef_0"
            },
            "operator": {"id": {"union_id": "on_8ed6aa67826108097d9ee143816345", "user_id": "e33ggbyz", "open_id": "ou_84aad35d084aa403a838cf73ee18467"}, "user_role": 1, "user_type": 1}
        }
    })
    .to_string();
    let iv = [(i % 251) as u8; 16];
    let mut buffer = iv.to_vec();
    buffer.extend(
        cbc::Encryptor::<Aes256>::new(aes_key.into(), &iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes()),
    );
    let body = serde_json::json!({ "encrypt": STANDARD.encode(buffer) })
        .to_string()
        .into_bytes();
    let (ts, nonce) = ("1700000000", format!("nonce{i}"));
    let signature = Sha256::new()
        .chain_update(ts)
        .chain_update(&nonce)
        .chain_update(KEY)
        .chain_update(&body)
        .finalize();
    Delivery {
        body,
        headers: vec![
            ("x-lark-request-timestamp", ts.to_owned()),
            ("x-lark-request-nonce", nonce),
            ("x-lark-signature", format!("{signature:x}")),
        ],
    }
}

/// The bare baseline: read `encrypt`, base64, AES-256-CBC, parse the plaintext as a `Value`.
fn bare(body: &[u8], aes_key: &[u8; 32]) -> Value {
    #[derive(serde::Deserialize)]
    struct Outer<'a> {
        #[serde(borrow)]
        encrypt: &'a str,
    }
    let outer: Outer<'_> = serde_json::from_slice(body).expect("JSON");
    let buffer = STANDARD.decode(outer.encrypt).expect("base64");
    let (iv, ciphertext) = buffer.split_at(16);
    let plain = cbc::Decryptor::<Aes256>::new(aes_key.into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .expect("decrypts");
    serde_json::from_slice(&plain).expect("JSON")
}

fn sample(variant: Variant, deliveries: &[Delivery], decoder: &Decoder, aes_key: &[u8; 32]) -> f64 {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let dedup = InMemoryDedup::new(DEFAULT_WINDOW, deliveries.len());
    let pairs: Vec<Vec<(&str, &str)>> = deliveries
        .iter()
        .map(|d| d.headers.iter().map(|(n, v)| (*n, v.as_str())).collect())
        .collect();
    let started = Instant::now();
    match variant {
        Variant::Bare => {
            for d in deliveries {
                black_box(bare(black_box(&d.body), aes_key));
            }
        }
        Variant::Subject => {
            for (d, headers) in deliveries.iter().zip(&pairs) {
                let incoming = decoder
                    .decode(headers.as_slice(), black_box(&d.body), now)
                    .expect("decodes");
                let Incoming::Event(delivery) = incoming else {
                    panic!("an event")
                };
                assert!(dedup.insert(delivery.event_id(), now), "a fresh id");
                black_box(delivery);
            }
        }
    }
    started.elapsed().as_nanos() as f64 / deliveries.len() as f64
}

fn main() {
    let iters = env_usize("BENCH_ITERS", 20_000);
    let samples = env_usize("BENCH_SAMPLES", 11);
    let aes_key: [u8; 32] = Sha256::digest(KEY.as_bytes()).into();
    let deliveries: Vec<Delivery> = (0..iters).map(|i| delivery(i, &aes_key)).collect();
    let decoder = Decoder::new().encrypt_key(KEY).verification_token(TOKEN);
    eprintln!(
        "decode: {samples} rounds of {iters} deliveries per variant; body {} bytes",
        deliveries[0].body.len()
    );

    let variants = [Variant::Bare, Variant::Subject];
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut ratios = Vec::new();
    for round in 0..samples {
        let mut this = [0.0; 2];
        for k in 0..variants.len() {
            let i = (k + round) % variants.len();
            this[i] = sample(variants[i], &deliveries, &decoder, &aes_key);
            times[i].push(this[i]);
        }
        ratios.push(this[1] / this[0]);
    }
    let names = [
        "baseline: base64 + AES-256-CBC + serde_json::from_slice::<Value>",
        "subject: Decoder::decode (verify, decrypt, parse, token) + InMemoryDedup::insert",
    ];
    for (i, name) in names.iter().enumerate() {
        let (lo, hi) = range(&times[i]);
        println!(
            "{name}: median {:.0} ns/op (range {lo:.0}..{hi:.0})",
            median(&times[i])
        );
    }
    let (lo, hi) = range(&ratios);
    println!(
        "ratio subject / baseline: median {:.2}x (range {lo:.2}..{hi:.2})",
        median(&ratios)
    );
}
