//! MIIT SMS verification (工信部短信核验), as the regulator runs it.
//!
//! When an order arrives, each person the order kind requires (see
//! `beian_core::workflow::sms_recipients`) gets a code by SMS. On the verification page they
//! enter the code, their mobile number and the last six characters of their certificate
//! number. The order tolerates five wrong entries; the sixth returns it to the provider. An entry
//! from a person who has already verified never counts against the order. Twenty-four
//! hours after the codes were sent, an order not fully verified returns as *SMS timeout*. A
//! code may be sent again within the window; the window does not restart.
//!
//! This module is the pure decision logic over a [`SmsRound`]; the service persists the round
//! and sends the texts. Codes are kept only as hashes.

use beian_core::id::Mobile;
use sha2::{Digest, Sha256};

/// Hours the persons have to verify (rules.md §1.4).
pub const WINDOW_SECS: i64 = 24 * 3600;
/// Wrong entries tolerated per order; the next one returns it.
pub const MAX_WRONG: u8 = 5;
/// How many times one person's code may be sent again.
pub const MAX_RESENDS: u8 = 3;

fn hash_code(code: &str) -> [u8; 32] {
    Sha256::digest(code.trim().as_bytes()).into()
}

/// Constant-time comparison of two hashes.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One person's challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The person, as the order's JSON path (`subject.head`).
    pub recipient: String,
    /// Normalized mobile (11 digits).
    pub mobile: String,
    /// Last six characters of the certificate number, upper case.
    pub cert_last_six: String,
    code_hash: [u8; 32],
    pub resends: u8,
    pub verified: bool,
}

impl Challenge {
    pub fn new(recipient: &str, mobile: &str, certificate: &str, code: &str) -> Option<Challenge> {
        let mobile = Mobile::parse(mobile).ok()?.value.to_string();
        let cert = beian_core::model::normalize_cert(certificate);
        let last_six = cert.get(cert.len().checked_sub(6)?..)?.to_owned();
        Some(Challenge {
            recipient: recipient.to_owned(),
            mobile,
            cert_last_six: last_six,
            code_hash: hash_code(code),
            resends: 0,
            verified: false,
        })
    }

    /// A challenge as it was stored (the code only as its hash).
    pub fn from_stored(
        recipient: String,
        mobile: String,
        cert_last_six: String,
        code_hash: [u8; 32],
        resends: u8,
        verified: bool,
    ) -> Challenge {
        Challenge { recipient, mobile, cert_last_six, code_hash, resends, verified }
    }

    /// The SHA-256 of the current code, for storage.
    pub fn code_hash(&self) -> [u8; 32] {
        self.code_hash
    }
}

/// A fresh six-digit code from the operating system's random source.
pub fn random_code() -> Result<String, beian_crypto::CryptoError> {
    let mut b = [0u8; 8];
    beian_crypto::random_bytes(&mut b)?;
    Ok(format!("{:06}", u64::from_le_bytes(b) % 1_000_000))
}

/// The verification round of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsRound {
    pub challenges: Vec<Challenge>,
    pub wrong: u8,
    pub sent_at: i64,
    /// Set once the order went back (too many wrong entries or timeout): nothing verifies after.
    pub closed: bool,
}

/// What one entry on the verification page did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// This person is verified; `all_done` when everyone is.
    Verified { recipient: String, all_done: bool },
    /// Wrong code, mobile or certificate digits; `left` entries remain, and if all of them are
    /// wrong the last one returns the order (so `left` is never 0 here).
    Wrong { left: u8 },
    /// The sixth wrong entry: the order returns to the provider.
    Returned,
    /// The 24-hour window has passed: the order returns as SMS timeout.
    Expired,
    /// The person had verified already; nothing changes.
    AlreadyVerified,
    /// The round is closed (returned or timed out).
    Closed,
}

impl SmsRound {
    pub fn new(challenges: Vec<Challenge>, sent_at: i64) -> SmsRound {
        SmsRound { challenges, wrong: 0, sent_at, closed: false }
    }

    pub fn deadline(&self) -> i64 {
        self.sent_at + WINDOW_SECS
    }

    pub fn all_verified(&self) -> bool {
        self.challenges.iter().all(|c| c.verified)
    }

    /// Whether the deadline passed with someone unverified (the timeout job's check).
    pub fn timed_out(&self, now: i64) -> bool {
        !self.closed && now >= self.deadline() && !self.all_verified()
    }

    /// One entry on the verification page.
    pub fn attempt(&mut self, mobile: &str, last_six: &str, code: &str, now: i64) -> Attempt {
        if self.closed {
            return Attempt::Closed;
        }
        if now >= self.deadline() {
            self.closed = !self.all_verified();
            return Attempt::Expired;
        }
        let mobile = Mobile::parse(mobile).map(|m| m.value.to_string()).unwrap_or_default();
        let last_six = beian_core::model::normalize_cert(last_six);
        let entered = hash_code(code);
        let settled = self.settled(&mobile);
        let hit = self
            .challenges
            .iter_mut()
            .find(|c| c.mobile == mobile && c.cert_last_six == last_six && same(&c.code_hash, &entered));
        match hit {
            Some(c) if c.verified => Attempt::AlreadyVerified,
            Some(c) => {
                c.verified = true;
                let recipient = c.recipient.clone();
                Attempt::Verified { recipient, all_done: self.all_verified() }
            }
            // A person who has verified typing again (an old code, a typo) is not a wrong entry
            // against the order: only mobiles still waiting for their code count.
            None if settled => Attempt::AlreadyVerified,
            None => {
                self.wrong += 1;
                if self.wrong > MAX_WRONG {
                    self.closed = true;
                    Attempt::Returned
                } else {
                    Attempt::Wrong { left: self.entries_left() }
                }
            }
        }
    }

    /// Entries still taken before the order returns: every one of them may be right, and if
    /// all are wrong the last returns the order.
    pub fn entries_left(&self) -> u8 {
        (MAX_WRONG + 1).saturating_sub(self.wrong)
    }

    /// Whether this mobile belongs to the round and every person texted at it has verified.
    fn settled(&self, mobile: &str) -> bool {
        let mut same = self.challenges.iter().filter(|c| c.mobile == mobile).peekable();
        same.peek().is_some() && same.all(|c| c.verified)
    }

    /// Replaces a person's code with a new one (a resend), within the window. Returns false
    /// when the round is closed or expired, the person is verified or unknown, or resends are
    /// used up.
    pub fn resend(&mut self, recipient: &str, new_code: &str, now: i64) -> bool {
        if self.closed || now >= self.deadline() {
            return false;
        }
        match self.challenges.iter_mut().find(|c| c.recipient == recipient) {
            Some(c) if !c.verified && c.resends < MAX_RESENDS => {
                c.code_hash = hash_code(new_code);
                c.resends += 1;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round() -> SmsRound {
        SmsRound::new(
            vec![
                Challenge::new("subject.head", "13800138000", "11010519491231002X", "123456").unwrap(),
                Challenge::new("websites[1].head", "+86 139 0013 9000", "440524188001010014", "654321")
                    .unwrap(),
            ],
            1_000,
        )
    }

    #[test]
    fn both_persons_verify_with_code_mobile_and_last_six() {
        let mut r = round();
        assert_eq!(
            r.attempt("13800138000", "31002x", "123456", 2_000),
            Attempt::Verified { recipient: "subject.head".into(), all_done: false }
        );
        assert_eq!(r.attempt("13800138000", "31002X", "123456", 2_001), Attempt::AlreadyVerified);
        assert_eq!(
            r.attempt("13900139000", "010014", "654321", 2_002),
            Attempt::Verified { recipient: "websites[1].head".into(), all_done: true }
        );
        assert!(!r.timed_out(1_000 + WINDOW_SECS));
    }

    #[test]
    fn the_sixth_wrong_entry_returns_the_order() {
        let mut r = round();
        for left in (1..=MAX_WRONG).rev() {
            assert_eq!(r.attempt("13800138000", "31002X", "000000", 2_000), Attempt::Wrong { left });
            assert_eq!(r.entries_left(), left, "what the page shows is what is left");
        }
        assert_eq!(r.attempt("13800138000", "31002X", "000000", 2_000), Attempt::Returned);
        assert_eq!(r.entries_left(), 0);
        assert_eq!(
            r.attempt("13800138000", "31002X", "123456", 2_000),
            Attempt::Closed,
            "not even the right code now"
        );
    }

    #[test]
    fn with_one_entry_left_a_right_code_still_verifies() {
        let mut r = round();
        for _ in 0..MAX_WRONG {
            r.attempt("13800138000", "31002X", "000000", 2_000);
        }
        assert_eq!(r.entries_left(), 1);
        assert_eq!(
            r.attempt("13800138000", "31002X", "123456", 2_000),
            Attempt::Verified { recipient: "subject.head".into(), all_done: false }
        );
    }

    #[test]
    fn a_verified_person_typing_again_never_counts() {
        let mut r = round();
        r.attempt("13800138000", "31002X", "123456", 2_000);
        for _ in 0..20 {
            assert_eq!(r.attempt("13800138000", "31002X", "999999", 2_001), Attempt::AlreadyVerified);
            assert_eq!(r.attempt("13800138000", "00000X", "123456", 2_001), Attempt::AlreadyVerified);
        }
        assert_eq!(r.wrong, 0);
        assert!(!r.closed);
        assert_eq!(r.attempt("13700137000", "31002X", "999999", 2_002), Attempt::Wrong { left: MAX_WRONG });
    }

    #[test]
    fn the_window_is_24_hours_and_a_resend_does_not_extend_it() {
        let mut r = round();
        assert!(r.resend("subject.head", "111111", 50_000));
        assert_eq!(
            r.attempt("13800138000", "31002X", "123456", 50_001),
            Attempt::Wrong { left: MAX_WRONG },
            "the old code is gone"
        );
        assert_eq!(
            r.attempt("13800138000", "31002X", "111111", 50_002),
            Attempt::Verified { recipient: "subject.head".into(), all_done: false }
        );
        assert!(!r.resend("subject.head", "222222", 50_003), "verified persons get no new code");
        assert!(r.timed_out(1_000 + WINDOW_SECS));
        assert_eq!(r.attempt("13900139000", "010014", "654321", 1_000 + WINDOW_SECS), Attempt::Expired);
        assert!(!r.resend("websites[1].head", "333333", 1_000 + WINDOW_SECS));
        assert!(Challenge::new("x", "not a phone", "11010519491231002X", "1").is_none());
    }

    proptest! {
        #[test]
        fn nobody_verifies_without_the_right_code(
            entries in proptest::collection::vec(("[0-9]{6}", proptest::bool::ANY, 0i64..200_000), 0..30)
        ) {
            let mut r = round();
            for (code, first, at) in entries {
                let (mobile, six) = if first { ("13800138000", "31002X") } else { ("13900139000", "010014") };
                let right = (first && code == "123456") || (!first && code == "654321");
                let before = r.clone();
                let out = r.attempt(mobile, six, &code, at);
                if let Attempt::Verified { .. } = out {
                    prop_assert!(right && at < before.deadline() && !before.closed);
                }
                prop_assert!(r.wrong <= MAX_WRONG + 1);
                if before.closed {
                    prop_assert_eq!(out, Attempt::Closed);
                }
            }
        }
    }
}
