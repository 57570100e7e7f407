//! # beian-seam
//!
//! How a provider's system and the regulator talk: every request between them is signed with
//! the provider's key, so the regulator knows who sent it, that nobody changed it on the way,
//! and that it is not a replay of an old one. Both sides use this crate — the provider to
//! sign submissions, the regulator to sign status callbacks and to verify submissions — so the
//! canonical form cannot drift between them.
//!
//! The signature is HMAC-SHA256 over the canonical string
//!
//! ```text
//! METHOD \n PATH \n TIMESTAMP \n NONCE \n hex(SHA-256(body))
//! ```
//!
//! carried in four headers: [`HEADER_PROVIDER`], [`HEADER_TIMESTAMP`] (unix seconds),
//! [`HEADER_NONCE`] (unique per request) and [`HEADER_SIGNATURE`] (lower-case hex).
//! Verification refuses an unknown provider, a timestamp outside the allowed skew, a wrong
//! signature (compared in constant time) and a nonce already seen.
//!
//! This crate does no IO: time, keys and the nonce store are passed in.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const HEADER_PROVIDER: &str = "x-beian-provider";
pub const HEADER_TIMESTAMP: &str = "x-beian-timestamp";
pub const HEADER_NONCE: &str = "x-beian-nonce";
pub const HEADER_SIGNATURE: &str = "x-beian-signature";

/// How far a request's clock may be from the verifier's, in seconds.
pub const MAX_SKEW_SECS: i64 = 300;

/// A provider's shared signing key. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// Keys shorter than 32 bytes are refused.
    pub fn new(bytes: Vec<u8>) -> Option<SigningKey> {
        (bytes.len() >= 32).then_some(SigningKey(bytes))
    }

    pub fn from_hex(s: &str) -> Option<SigningKey> {
        SigningKey::new(hex::decode(s.trim()).ok()?)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

/// The signature headers of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub provider: String,
    pub timestamp: i64,
    pub nonce: String,
    pub signature: String,
}

impl Signed {
    /// The headers as (name, value) pairs.
    pub fn headers(&self) -> [(&'static str, String); 4] {
        [
            (HEADER_PROVIDER, self.provider.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_NONCE, self.nonce.clone()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }
}

fn canonical(method: &str, path: &str, timestamp: i64, nonce: &str, body: &[u8]) -> String {
    format!(
        "{}\n{path}\n{timestamp}\n{nonce}\n{}",
        method.to_ascii_uppercase(),
        hex::encode(Sha256::digest(body))
    )
}

fn mac(key: &SigningKey, text: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&key.0).expect("HMAC takes any key length");
    m.update(text.as_bytes());
    m
}

/// Signs a request. `nonce` must be unique per request (a random token or a UUID).
pub fn sign(
    provider: &str,
    key: &SigningKey,
    method: &str,
    path: &str,
    body: &[u8],
    now: i64,
    nonce: &str,
) -> Signed {
    let signature = hex::encode(mac(key, &canonical(method, path, now, nonce, body)).finalize().into_bytes());
    Signed { provider: provider.to_owned(), timestamp: now, nonce: nonce.to_owned(), signature }
}

/// Why a signed request was refused. Each has a stable code for the audit log and the response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeamError {
    #[error("signature headers are missing or malformed")]
    Malformed,
    #[error("unknown provider")]
    UnknownProvider,
    #[error("timestamp is outside the allowed clock skew")]
    StaleTimestamp,
    #[error("signature does not match")]
    BadSignature,
    #[error("this request was already received (replay)")]
    Replayed,
}

impl SeamError {
    pub fn code(&self) -> &'static str {
        match self {
            SeamError::Malformed => "SIGNATURE_MALFORMED",
            SeamError::UnknownProvider => "PROVIDER_UNKNOWN",
            SeamError::StaleTimestamp => "SIGNATURE_STALE",
            SeamError::BadSignature => "SIGNATURE_INVALID",
            SeamError::Replayed => "REQUEST_REPLAYED",
        }
    }
}

/// Where verification records nonces it has seen. The regulator keeps them in its database
/// (for at least twice [`MAX_SKEW_SECS`]) so replays are caught across processes.
pub trait NonceStore {
    /// Records `nonce` for `provider`; returns false if it was already recorded.
    fn first_use(&mut self, provider: &str, nonce: &str, timestamp: i64) -> bool;
}

/// The header values of a received request, as strings (any may be missing).
#[derive(Debug, Clone, Default)]
pub struct Received<'a> {
    pub provider: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// A request whose signature checked out; its nonce still has to be recorded (see
/// [`verify`], or record it in a database and refuse it as [`SeamError::Replayed`] if it was
/// there already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub provider: String,
    pub nonce: String,
    pub timestamp: i64,
}

/// Verifies everything but replay: headers, provider, clock skew and signature. A service
/// that keeps nonces in a database calls this, then records the nonce in the same
/// transaction as the request's effect.
pub fn verify_signature<'k>(
    got: &Received<'_>,
    method: &str,
    path: &str,
    body: &[u8],
    now: i64,
    key_of: impl FnOnce(&str) -> Option<&'k SigningKey>,
) -> Result<Verified, SeamError> {
    let (Some(provider), Some(ts), Some(nonce), Some(sig)) =
        (got.provider, got.timestamp, got.nonce, got.signature)
    else {
        return Err(SeamError::Malformed);
    };
    let timestamp: i64 = ts.trim().parse().map_err(|_| SeamError::Malformed)?;
    if nonce.is_empty() || nonce.len() > 128 || !nonce.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SeamError::Malformed);
    }
    let sig = hex::decode(sig.trim()).map_err(|_| SeamError::Malformed)?;
    let key = key_of(provider).ok_or(SeamError::UnknownProvider)?;
    if (now - timestamp).abs() > MAX_SKEW_SECS {
        return Err(SeamError::StaleTimestamp);
    }
    mac(key, &canonical(method, path, timestamp, nonce, body))
        .verify_slice(&sig)
        .map_err(|_| SeamError::BadSignature)?;
    Ok(Verified { provider: provider.to_owned(), nonce: nonce.to_owned(), timestamp })
}

/// Verifies a received request, replay included. `key_of` finds a provider's key; the nonce
/// is recorded only when everything else checks out, so a forged request cannot burn a real
/// nonce.
pub fn verify<'k>(
    got: &Received<'_>,
    method: &str,
    path: &str,
    body: &[u8],
    now: i64,
    key_of: impl FnOnce(&str) -> Option<&'k SigningKey>,
    nonces: &mut impl NonceStore,
) -> Result<String, SeamError> {
    let v = verify_signature(got, method, path, body, now, key_of)?;
    if !nonces.first_use(&v.provider, &v.nonce, v.timestamp) {
        return Err(SeamError::Replayed);
    }
    Ok(v.provider)
}

/// An in-memory nonce store (tests, and a single-process verifier).
#[derive(Debug, Default)]
pub struct MemoryNonces(std::collections::HashSet<(String, String)>);

impl NonceStore for MemoryNonces {
    fn first_use(&mut self, provider: &str, nonce: &str, _timestamp: i64) -> bool {
        self.0.insert((provider.to_owned(), nonce.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::new(vec![7; 32]).unwrap()
    }

    fn received(s: &Signed) -> (String, String, String, String) {
        (s.provider.clone(), s.timestamp.to_string(), s.nonce.clone(), s.signature.clone())
    }

    fn check(
        parts: &(String, String, String, String),
        body: &[u8],
        now: i64,
        nonces: &mut MemoryNonces,
    ) -> Result<String, SeamError> {
        let k = key();
        let got = Received {
            provider: Some(&parts.0),
            timestamp: Some(&parts.1),
            nonce: Some(&parts.2),
            signature: Some(&parts.3),
        };
        verify(&got, "POST", "/api/v1/submissions", body, now, |p| (p == "aliyun").then_some(&k), nonces)
    }

    #[test]
    fn a_signed_request_verifies_once() {
        let body = br#"{"order":1}"#;
        let s = sign("aliyun", &key(), "post", "/api/v1/submissions", body, 1_000, "n-1");
        let parts = received(&s);
        let mut nonces = MemoryNonces::default();
        assert_eq!(check(&parts, body, 1_010, &mut nonces), Ok("aliyun".into()));
        assert_eq!(check(&parts, body, 1_011, &mut nonces), Err(SeamError::Replayed));
    }

    #[test]
    fn every_failure_mode_is_refused_with_its_code() {
        let body = br#"{"order":1}"#;
        let s = sign("aliyun", &key(), "POST", "/api/v1/submissions", body, 1_000, "n-2");
        let mut n = MemoryNonces::default();
        let mut p = received(&s);
        assert_eq!(check(&p, br#"{"order":2}"#, 1_000, &mut n).unwrap_err().code(), "SIGNATURE_INVALID");
        assert_eq!(check(&p, body, 1_000 + MAX_SKEW_SECS + 1, &mut n).unwrap_err().code(), "SIGNATURE_STALE");
        p.0 = "stranger".into();
        assert_eq!(check(&p, body, 1_000, &mut n).unwrap_err().code(), "PROVIDER_UNKNOWN");
        let mut p = received(&s);
        p.3 = "zz".into();
        assert_eq!(check(&p, body, 1_000, &mut n).unwrap_err().code(), "SIGNATURE_MALFORMED");
        let forged = sign(
            "aliyun",
            &SigningKey::new(vec![8; 32]).unwrap(),
            "POST",
            "/api/v1/submissions",
            body,
            1_000,
            "n-2",
        );
        assert_eq!(check(&received(&forged), body, 1_000, &mut n).unwrap_err().code(), "SIGNATURE_INVALID");
        // None of the refused attempts used up the nonce: the real request still passes.
        assert_eq!(check(&received(&s), body, 1_000, &mut n), Ok("aliyun".into()));
        let k = key();
        let missing = Received { provider: Some("aliyun"), ..Received::default() };
        assert_eq!(verify(&missing, "POST", "/", b"", 0, |_| Some(&k), &mut n), Err(SeamError::Malformed));
    }

    #[test]
    fn method_path_and_timestamp_are_covered_by_the_signature() {
        let body = b"{}";
        let s = sign("aliyun", &key(), "POST", "/api/v1/submissions", body, 1_000, "n-3");
        let k = key();
        let mut n = MemoryNonces::default();
        let got = Received {
            provider: Some("aliyun"),
            timestamp: Some("1001"),
            nonce: Some("n-3"),
            signature: Some(&s.signature),
        };
        assert_eq!(
            verify(&got, "POST", "/api/v1/submissions", body, 1_000, |_| Some(&k), &mut n),
            Err(SeamError::BadSignature)
        );
        let got = Received { timestamp: Some("1000"), ..got };
        assert_eq!(
            verify(&got, "PUT", "/api/v1/submissions", body, 1_000, |_| Some(&k), &mut n),
            Err(SeamError::BadSignature)
        );
        assert_eq!(
            verify(&got, "POST", "/api/v1/other", body, 1_000, |_| Some(&k), &mut n),
            Err(SeamError::BadSignature)
        );
        assert!(verify(&got, "POST", "/api/v1/submissions", body, 1_000, |_| Some(&k), &mut n).is_ok());
        assert!(SigningKey::new(vec![1; 16]).is_none(), "short keys are refused");
        assert_eq!(format!("{:?}", key()), "SigningKey(***)");
    }
}

/// Times on the wire. Both services keep instants as Unix microseconds; what they say to
/// others is RFC 3339 in China time (`2026-12-07T08:42:35.123456+08:00`), microseconds kept,
/// as the provider's own API writes them.
pub mod times {
    use schemars::{Schema, SchemaGenerator, json_schema};
    use time::format_description::well_known::Rfc3339;

    /// China time, the offset every filing deadline is counted in.
    const CHINA: time::UtcOffset = match time::UtcOffset::from_hms(8, 0, 0) {
        Ok(o) => o,
        Err(_) => panic!("valid offset"),
    };

    /// `us` (Unix microseconds) as RFC 3339, China time.
    pub fn format(us: i64) -> String {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
            .ok()
            .and_then(|t| t.to_offset(CHINA).format(&Rfc3339).ok())
            .unwrap_or_default()
    }

    /// An RFC 3339 time as Unix microseconds.
    pub fn parse(text: &str) -> Option<i64> {
        let t = time::OffsetDateTime::parse(text, &Rfc3339).ok()?;
        i64::try_from(t.unix_timestamp_nanos() / 1000).ok()
    }

    /// A time in a JSON value: RFC 3339, or Unix microseconds as an earlier regulator wrote
    /// them.
    pub fn of_json(v: &serde_json::Value) -> Option<i64> {
        v.as_i64().or_else(|| v.as_str().and_then(parse))
    }

    /// The schema of a time on the wire.
    pub fn schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "date-time" })
    }

    /// `#[serde(with = "rfc3339")]` for an `i64` of Unix microseconds.
    pub mod rfc3339 {
        use serde::{Deserialize, Deserializer, Serializer, de::Error};

        pub fn serialize<S: Serializer>(us: &i64, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&super::format(*us))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
            let v = serde_json::Value::deserialize(d)?;
            super::of_json(&v).ok_or_else(|| D::Error::custom("not an RFC 3339 time"))
        }
    }

    /// `#[serde(with = "rfc3339_opt")]` for an `Option<i64>` of Unix microseconds.
    pub mod rfc3339_opt {
        use serde::{Deserialize, Deserializer, Serializer, de::Error};

        pub fn serialize<S: Serializer>(us: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
            match us {
                Some(us) => s.serialize_str(&super::format(*us)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
            match serde_json::Value::deserialize(d)? {
                serde_json::Value::Null => Ok(None),
                v => super::of_json(&v).map(Some).ok_or_else(|| D::Error::custom("not an RFC 3339 time")),
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use proptest::prelude::*;

        use super::*;

        #[test]
        fn china_time_with_microseconds() {
            assert_eq!(format(1_796_604_155_123_456), "2026-12-07T08:42:35.123456+08:00");
            assert_eq!(format(1_796_604_155_000_000), "2026-12-07T08:42:35+08:00");
            assert_eq!(parse("2026-12-07T00:42:35.123456Z"), Some(1_796_604_155_123_456));
            assert_eq!(of_json(&serde_json::json!(5)), Some(5), "the earlier integer form");
            assert_eq!(parse("2026-12-07 08:42"), None);
        }

        proptest! {
            #[test]
            fn every_instant_survives_the_wire(us in 0i64..4_102_444_800_000_000) {
                prop_assert_eq!(parse(&format(us)), Some(us));
            }
        }
    }
}

/// The JSON both sides exchange besides the order itself: regulator events, as the status
/// API returns them and callbacks push them.
pub mod wire {
    use serde::{Deserialize, Serialize};

    pub use super::times;

    /// One step of a submission at the regulator. `kind` is one of `sms_sent`
    /// (`recipients`, `deadline`), `sms_verified` (`recipient`), `sms_wrong_code` (`wrong`,
    /// `left`), `sms_resent` (`recipient`), `sms_timeout` (`pending`, `deadline`),
    /// `sms_failed`, `bureau_review`, `approved` (`subject_number`, `services`, `cancelled`,
    /// `empty_shells`; a PSB submission's: [`PsbDecision`]), `psb_review`, `rejected`
    /// (`reasons`), `withdrawn`. Details never carry PII.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
    pub struct Event {
        /// 1, 2, 3 … per submission: apply in order, each once.
        pub seq: i64,
        pub kind: String,
        /// When it happened (RFC 3339, China time; Unix microseconds in memory).
        #[serde(with = "times::rfc3339")]
        #[schemars(schema_with = "times::schema")]
        pub at: i64,
        /// What the kind names (see above), never PII.
        pub detail: serde_json::Value,
    }

    /// What a bureau approval issued or changed: the detail of an `approved` event.
    #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    pub struct Decision {
        pub subject_number: Option<String>,
        pub services: Vec<IssuedService>,
        /// Numbers cancelled by this order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub cancelled: Vec<String>,
        /// Numbers left without any access provider (取消接入 at the last one).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub empty_shells: Vec<String>,
        /// Numbers whose access through this provider ended (取消接入).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub access_withdrawn: Vec<String>,
        /// The parts of the order the bureau refused while it approved the rest (a V3.0 order
        /// of several records is decided record by record): what, and why.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub refused: Vec<String>,
    }

    /// A service the approval filed, gave access to or changed.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    pub struct IssuedService {
        /// The service in the order (`websites[0]`, `apps[1]`).
        pub path: String,
        pub name: String,
        pub number: String,
        pub kind: beian_core::number::ServiceKind,
        #[serde(default)]
        pub domains: Vec<String>,
    }

    /// What a PSB officer's approval issued: the detail of a PSB submission's `approved` event.
    #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    pub struct PsbDecision {
        /// `浙公网安备33010602000001号`.
        pub psb_number: String,
        /// The website's ICP number it belongs to.
        pub icp_number: String,
    }

    /// The body of a status callback: every event the provider has not acknowledged.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct CallbackBody {
        pub submission_id: String,
        pub status: String,
        pub events: Vec<Event>,
    }
}
