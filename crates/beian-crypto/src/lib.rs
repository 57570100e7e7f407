//! # beian-crypto
//!
//! Field and blob encryption for PII, and blind indexes — shared by the provider system and
//! the regulator, which both hold responsible persons' certificates and phones.
//!
//! Ciphertexts are `key_id (1 byte) ‖ nonce (12) ‖ AES-256-GCM(ciphertext ‖ tag)` with
//! associated data binding them to where they are stored (`orders/<id>/data`), so a
//! ciphertext copied into another row does not decrypt. The key id lets keys rotate: new
//! writes use the current key, old rows keep decrypting with theirs.
//!
//! Blind indexes are HMAC-SHA256 under a separate key over a normalized value, for equality
//! lookups (one person, one individual subject) without decrypting anything.
//!
//! Keys never appear in `Debug` output, logs or errors.

pub mod passwords;

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The key set: data keys by id, the current one, and the blind-index key.
#[derive(Clone)]
pub struct Keys {
    current: u8,
    data: BTreeMap<u8, [u8; 32]>,
    index: [u8; 32],
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keys {{ current: {}, ids: {:?}, .. }}", self.current, self.data.keys().collect::<Vec<_>>())
    }
}

/// The key file as stored on disk (mode 0600) or in `BEIAN_KEYS`: hex-encoded 32-byte keys.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    pub current: u8,
    pub data_keys: BTreeMap<String, String>,
    pub index_key: String,
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyFile {{ current: {}, .. }}", self.current)
    }
}

/// Why a key file or a ciphertext was refused.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("invalid key file: {0}")]
    KeyFile(String),
    #[error("ciphertext is damaged, was moved from another row, or uses an unknown key")]
    Decrypt,
    #[error("no randomness available")]
    Random,
}

fn key_from_hex(s: &str) -> Result<[u8; 32], CryptoError> {
    let bytes = hex::decode(s.trim()).map_err(|_| CryptoError::KeyFile("keys must be hex".into()))?;
    bytes.try_into().map_err(|_| CryptoError::KeyFile("keys must be 32 bytes (64 hex digits)".into()))
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(buf).map_err(|_| CryptoError::Random)
}

/// Whether two secrets (a CSRF token and the session's) are equal, in time that depends only on
/// their length: a comparison that stops at the first difference would tell an attacker how
/// many leading characters were right.
pub fn same_secret(a: &str, b: &str) -> bool {
    let diff = a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    a.len() == b.len() && std::hint::black_box(diff) == 0
}

/// A random token, URL-safe base64 of 32 bytes.
pub fn random_token() -> Result<String, CryptoError> {
    use base64::Engine;
    let mut b = [0u8; 32];
    random_bytes(&mut b)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// SHA-256 of a token, as stored for sessions and API tokens.
pub fn token_hash(token: &str) -> Vec<u8> {
    use sha2::Digest;
    Sha256::digest(token.as_bytes()).to_vec()
}

impl Keys {
    /// Fresh random keys (for `beian demo` and tests).
    pub fn generate() -> Result<Keys, CryptoError> {
        let mut data = [0u8; 32];
        let mut index = [0u8; 32];
        random_bytes(&mut data)?;
        random_bytes(&mut index)?;
        Ok(Keys { current: 1, data: BTreeMap::from([(1, data)]), index })
    }

    pub fn from_file(f: &KeyFile) -> Result<Keys, CryptoError> {
        let mut data = BTreeMap::new();
        for (id, hex) in &f.data_keys {
            let id: u8 =
                id.parse().map_err(|_| CryptoError::KeyFile(format!("key id `{id}` is not 0-255")))?;
            data.insert(id, key_from_hex(hex)?);
        }
        if !data.contains_key(&f.current) {
            return Err(CryptoError::KeyFile(format!("current key {} is not in data_keys", f.current)));
        }
        Ok(Keys { current: f.current, data, index: key_from_hex(&f.index_key)? })
    }

    pub fn from_json(s: &str) -> Result<Keys, CryptoError> {
        let f: KeyFile = serde_json::from_str(s).map_err(|e| CryptoError::KeyFile(e.to_string()))?;
        Keys::from_file(&f)
    }

    /// The key file for these keys (to write at first start).
    pub fn to_file(&self) -> KeyFile {
        KeyFile {
            current: self.current,
            data_keys: self.data.iter().map(|(id, k)| (id.to_string(), hex::encode(k))).collect(),
            index_key: hex::encode(self.index),
        }
    }

    /// Adds a new data key and makes it current (rotation); old ciphertexts still decrypt.
    pub fn rotate(&mut self) -> Result<u8, CryptoError> {
        let id = self
            .data
            .keys()
            .max()
            .copied()
            .unwrap_or(0)
            .checked_add(1)
            .ok_or(CryptoError::KeyFile("too many keys".into()))?;
        let mut k = [0u8; 32];
        random_bytes(&mut k)?;
        self.data.insert(id, k);
        self.current = id;
        Ok(id)
    }

    /// Encrypts `plaintext` bound to `aad` (e.g. `orders/<id>/data`).
    pub fn encrypt(&self, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key = &self.data[&self.current];
        let cipher = Aes256Gcm::new(key.into());
        let mut nonce = [0u8; 12];
        random_bytes(&mut nonce)?;
        let ct = cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: aad.as_bytes() })
            .map_err(|_| CryptoError::Decrypt)?;
        let mut out = Vec::with_capacity(1 + 12 + ct.len());
        out.push(self.current);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn decrypt(&self, aad: &str, blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if blob.len() < 1 + 12 + 16 {
            return Err(CryptoError::Decrypt);
        }
        let key = self.data.get(&blob[0]).ok_or(CryptoError::Decrypt)?;
        let nonce: [u8; 12] = blob[1..13].try_into().map_err(|_| CryptoError::Decrypt)?;
        Aes256Gcm::new(key.into())
            .decrypt(&Nonce::from(nonce), Payload { msg: &blob[13..], aad: aad.as_bytes() })
            .map_err(|_| CryptoError::Decrypt)
    }

    /// Blind index of a value of a given kind (`cert`, `mobile`); `value` must already be
    /// normalized (the same person always gives the same bytes).
    pub fn blind_index(&self, kind: &str, value: &str) -> Vec<u8> {
        let mut mac =
            <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.index).expect("HMAC takes any key length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_the_same_only_when_every_byte_is() {
        assert!(same_secret("abc", "abc"));
        for other in ["abd", "xbc", "ab", "abcd", ""] {
            assert!(!same_secret("abc", other), "{other}");
        }
    }

    #[test]
    fn round_trip_and_binding() {
        let k = Keys::generate().unwrap();
        let ct = k.encrypt("orders/1/data", b"11010519491231002X").unwrap();
        assert_eq!(k.decrypt("orders/1/data", &ct).unwrap(), b"11010519491231002X");
        assert!(k.decrypt("orders/2/data", &ct).is_err(), "moved to another row");
        let mut tampered = ct.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(k.decrypt("orders/1/data", &tampered).is_err());
        assert!(!ct.windows(18).any(|w| w == b"11010519491231002X"));
        assert_ne!(k.encrypt("a", b"x").unwrap(), k.encrypt("a", b"x").unwrap(), "random nonces");
    }

    #[test]
    fn rotation_keeps_old_rows_readable() {
        let mut k = Keys::generate().unwrap();
        let old = k.encrypt("a", b"old").unwrap();
        assert_eq!(k.rotate().unwrap(), 2);
        let new = k.encrypt("a", b"new").unwrap();
        assert_eq!((old[0], new[0]), (1, 2));
        assert_eq!(k.decrypt("a", &old).unwrap(), b"old");
        let reloaded = Keys::from_file(&k.to_file()).unwrap();
        assert_eq!(reloaded.decrypt("a", &new).unwrap(), b"new");
    }

    #[test]
    fn blind_index_is_deterministic_and_keyed() {
        let k = Keys::generate().unwrap();
        assert_eq!(k.blind_index("cert", "X"), k.blind_index("cert", "X"));
        assert_ne!(k.blind_index("cert", "X"), k.blind_index("mobile", "X"));
        assert_ne!(Keys::generate().unwrap().blind_index("cert", "X"), k.blind_index("cert", "X"));
    }

    #[test]
    fn key_files_are_validated_and_debug_is_redacted() {
        assert!(Keys::from_json(r#"{"current":1,"data_keys":{"1":"00"},"index_key":"00"}"#).is_err());
        assert!(Keys::from_json(r#"{"current":2,"data_keys":{},"index_key":"00"}"#).is_err());
        let k = Keys::generate().unwrap();
        let text = format!("{k:?}");
        assert!(!text.contains(&hex::encode(k.index)));
    }
}
