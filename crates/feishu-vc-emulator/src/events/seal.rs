//! How an event body goes out to a webhook: plain, or sealed with the app's Encrypt Key
//! (AES-256-CBC, base64) and signed (`X-Lark-Signature`), as §2 of the events reference says. Pure
//! functions of the key and the bytes.

use std::time::{SystemTime, UNIX_EPOCH};

use aes::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use sha2::{Digest, Sha256};

/// A request body as it goes out, with its signature headers when there is a key.
#[derive(Debug)]
pub(crate) struct Sealed {
    pub(crate) body: String,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Sealed {
    pub(crate) fn plain(plaintext: &str) -> Self {
        Self {
            body: plaintext.to_owned(),
            headers: Vec::new(),
        }
    }

    /// `{"encrypt": base64(iv ‖ AES-256-CBC(SHA-256(key), iv, PKCS#7(plaintext)))}`, signed with
    /// `X-Lark-Request-Timestamp` (Unix seconds), `X-Lark-Request-Nonce` and `X-Lark-Signature`.
    pub(crate) fn seal(encrypt_key: &str, plaintext: &str) -> Self {
        let iv: [u8; 16] = std::array::from_fn(|_| fastrand::u8(..));
        let body = json!({"encrypt": encrypt(encrypt_key, &iv, plaintext.as_bytes())}).to_string();
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .to_string();
        let nonce = format!("{:016x}", fastrand::u64(..));
        let signature = signature(&timestamp, &nonce, encrypt_key, body.as_bytes());
        Self {
            body,
            headers: vec![
                ("X-Lark-Request-Timestamp", timestamp),
                ("X-Lark-Request-Nonce", nonce),
                ("X-Lark-Signature", signature),
            ],
        }
    }
}

/// The `encrypt` field: standard base64 of the IV followed by the ciphertext.
pub(crate) fn encrypt(encrypt_key: &str, iv: &[u8; 16], plaintext: &[u8]) -> String {
    let key: [u8; 32] = Sha256::digest(encrypt_key.as_bytes()).into();
    let ciphertext = cbc::Encryptor::<aes::Aes256>::new(&key.into(), iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut sealed = Vec::with_capacity(16 + ciphertext.len());
    sealed.extend_from_slice(iv);
    sealed.extend_from_slice(&ciphertext);
    STANDARD.encode(sealed)
}

/// `X-Lark-Signature`: lowercase hex SHA-256 of timestamp ‖ nonce ‖ encrypt key ‖ raw body.
pub(crate) fn signature(timestamp: &str, nonce: &str, encrypt_key: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(timestamp.as_bytes());
    hash.update(nonce.as_bytes());
    hash.update(encrypt_key.as_bytes());
    hash.update(body);
    format!("{:x}", hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::BlockDecryptMut;
    use serde_json::Value;

    fn decrypt(encrypt_key: &str, sealed: &str) -> Vec<u8> {
        let raw = STANDARD.decode(sealed).unwrap();
        let key: [u8; 32] = Sha256::digest(encrypt_key.as_bytes()).into();
        let (iv, ciphertext) = raw.split_at(16);
        cbc::Decryptor::<aes::Aes256>::new(&key.into(), iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            .unwrap()
    }

    #[test]
    fn encryption_reproduces_the_documented_vector() {
        // Vector 1 of the reference: key "test key", IV 3f7ef0f9…, "hello world".
        let iv: [u8; 16] = [
            0x3f, 0x7e, 0xf0, 0xf9, 0x56, 0x48, 0x98, 0xd8, 0x0f, 0x10, 0xed, 0x51, 0x06, 0x12,
            0x7a, 0x46,
        ];
        assert_eq!(
            encrypt("test key", &iv, b"hello world"),
            "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="
        );
        assert_eq!(
            decrypt("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="),
            b"hello world"
        );
    }

    #[test]
    fn sealed_bodies_decrypt_to_the_plaintext_with_a_fresh_iv() {
        let a = Sealed::seal("1212121212", r#"{"schema":"2.0"}"#);
        let b = Sealed::seal("1212121212", r#"{"schema":"2.0"}"#);
        assert_ne!(a.body, b.body, "each seal draws its own IV");
        let encrypt: Value = serde_json::from_str(&a.body).unwrap();
        let plain = decrypt("1212121212", encrypt["encrypt"].as_str().unwrap());
        assert_eq!(plain, br#"{"schema":"2.0"}"#);
    }

    #[test]
    fn signature_matches_the_computed_vector() {
        assert_eq!(
            signature(
                "1700000000",
                "1234567890",
                "test key",
                br#"{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}"#
            ),
            "b322b5c524c73507f884ce6160ad6dc89b01398815a5e04d98b67ba828f54803"
        );
        let sealed = Sealed::seal("k", "{}");
        let header = |n: &str| {
            sealed
                .headers
                .iter()
                .find(|(h, _)| *h == n)
                .unwrap()
                .1
                .clone()
        };
        assert_eq!(
            header("X-Lark-Signature"),
            signature(
                &header("X-Lark-Request-Timestamp"),
                &header("X-Lark-Request-Nonce"),
                "k",
                sealed.body.as_bytes()
            )
        );
    }
}
