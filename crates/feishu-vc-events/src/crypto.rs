//! The two cryptographic steps of a delivery: the `encrypt` field's AES-256-CBC decryption and
//! the `X-Lark-Signature` check. Both come from RustCrypto crates; nothing here is hand-rolled.

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use feishu_vc_model::SecretString;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::Undecryptable;

const BLOCK: usize = 16;

/// The app's Encrypt Key with the AES key derived from it (SHA-256 of its UTF-8 bytes).
#[derive(Clone)]
pub(crate) struct EncryptKey {
    secret: SecretString,
    aes_key: [u8; 32],
}

impl std::fmt::Debug for EncryptKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(feishu_vc_model::REDACTED)
    }
}

impl EncryptKey {
    pub(crate) fn new(secret: SecretString) -> Self {
        let aes_key = Sha256::digest(secret.expose_secret().as_bytes()).into();
        Self { secret, aes_key }
    }

    /// Decrypts the base64 `encrypt` field: the first block is the IV, the rest the ciphertext,
    /// PKCS#7 padding checked.
    pub(crate) fn decrypt(&self, encrypted: &str) -> Result<Vec<u8>, Undecryptable> {
        let buffer = STANDARD
            .decode(encrypted)
            .map_err(|_| Undecryptable::Base64)?;
        if buffer.len() < 2 * BLOCK || buffer.len() % BLOCK != 0 {
            return Err(Undecryptable::Length(buffer.len()));
        }
        let (iv, ciphertext) = buffer.split_at(BLOCK);
        cbc::Decryptor::<Aes256>::new(&self.aes_key.into(), iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            .map_err(|_| Undecryptable::Padding)
    }

    /// Whether `signature` is the lowercase hex SHA-256 of timestamp ‖ nonce ‖ key ‖ body,
    /// compared in constant time.
    pub(crate) fn signature_matches(
        &self,
        timestamp: &str,
        nonce: &str,
        body: &[u8],
        signature: &str,
    ) -> bool {
        let expected = self.sign(timestamp, nonce, body);
        bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
    }

    /// The signature Feishu sends for this body: lowercase hex SHA-256 of timestamp ‖ nonce ‖
    /// encrypt key ‖ body.
    pub(crate) fn sign(&self, timestamp: &str, nonce: &str, body: &[u8]) -> String {
        let digest = Sha256::new()
            .chain_update(timestamp.as_bytes())
            .chain_update(nonce.as_bytes())
            .chain_update(self.secret.expose_secret().as_bytes())
            .chain_update(body)
            .finalize();
        format!("{digest:x}")
    }
}

/// Whether two secrets are equal, in constant time (for the verification token).
pub(crate) fn secrets_equal(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference §2.4 vector 1, byte for byte, with the computed key.
    #[test]
    fn documented_vector_1_gives_hello_world() {
        let key = EncryptKey::new(SecretString::new("test key"));
        let hex: String = key.aes_key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "fa2bdca424f01f01ffb48df93acc35d439c7fd331a1a7fba6ac2fd83aa9ab31a"
        );
        let plain = key
            .decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=")
            .unwrap();
        assert_eq!(plain, b"hello world");
    }

    /// Reference §2.4 vector 2 (fifteen bytes of padding), byte for byte.
    #[test]
    fn documented_vector_2_gives_its_exact_plaintext() {
        let key = EncryptKey::new(SecretString::new("1212121212"));
        let encrypted = "4T4ivT/PR2APX9OYkhRKtu54s1rtIpj9xJU69Hs1yWQ/1RutbufsBs9xjx5YC3u/0hMRF49sN0kevQiEL8iB3bVEdpfyJXzXGDfKUjvKQTmG64GbMdTW6qRpadVPem3f32jHuT6fc+4TRg4BigwoUId+l/D+vcIwu3mDgAEbaqzWfmvccmpiRMfQbh9JhdK/akmrRjo/CXPLM+hZciFXJMSpKueV3SjZJoSls5y0ZTHC8zak/Mp/DSl1wa4mYe5laP367Lnl4ylGiXBKx3Ku29oWv79rYcO/5QT63H4rkl8bwYmAzScpb2KNnV11L3xiDzJp3hFdfXczUvm93FXu4Lw8eDAsRzIWCccKrqHh0UvtDJD95tNn6LvYew4+Xbk1RD4k7UzWJS9AMobOK778NLNxfQ+Kn7MKzBHilXnSIVY5V+dcsOOdfqJviW4yWmT73JHYKq1qJip7Cw7lbkmRMUmettUwdVFWxeXH6iTex3YXCgqoriCx/MzeQhdNEycipooB/vHItRt1CF44uFWj9tf8n3TdbdH4dNMD0hw8ejHJSbEHb9HAGCugUniN8BzL9wxE959JU4cu3BKjDuIk5oS9hLR1mSc3vKBuSa3VKOE=";
        let expected = r#"{"schema":"2.0","header":{"event_id":"f7984f25108f8137722bb63cee927e66","event_type":"contact.user.created_v3","app_id":"cli_xxxxxxxx","tenant_key":"xxxxxxx","create_time":"1603977298000000","token":"v"},"event":{"object":{"open_id":"ou_7dab8a3d3cdcc9da365777c7ad535d62","union_id":"on_576833b917gda3d939b9a3c2d53e72c8","user_id":"e33ggbyz","name":"张三","employee_no":"employee_no"}},"challenge":"1212","type":"url_verification1"}"#;
        assert_eq!(
            String::from_utf8(key.decrypt(encrypted).unwrap()).unwrap(),
            expected
        );
    }

    /// Reference §2.5 computed vector, and the constant-time check both ways.
    #[test]
    fn the_signature_formula_gives_the_reference_hex() {
        let key = EncryptKey::new(SecretString::new("test key"));
        let body = br#"{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}"#;
        let expected = "b322b5c524c73507f884ce6160ad6dc89b01398815a5e04d98b67ba828f54803";
        assert_eq!(key.sign("1700000000", "1234567890", body), expected);
        assert!(key.signature_matches("1700000000", "1234567890", body, expected));
        assert!(!key.signature_matches("1700000001", "1234567890", body, expected));
        assert!(!key.signature_matches("1700000000", "1234567890", body, &expected[..63]));
    }
}
