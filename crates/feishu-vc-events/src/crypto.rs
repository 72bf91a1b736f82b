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
