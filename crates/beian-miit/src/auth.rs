//! The authentication every call carries (spec §2): a fresh random string `randVal`, and
//! `pwdHash` = base64(hash(GBK(password + randVal))) with the algorithm `hashAlgorithm`
//! names (0 = MD5).
//!
//! Decisions where the spec's text leaves a choice (ARCHITECTURE.md, "MIIT interface"):
//! `randVal` shorter than 20 characters answers 16 as the spec says; one of 20 to 64
//! printable ASCII characters is accepted (a longer or non-ASCII one answers 12); the
//! simulator refuses a `randVal` it has already seen from the same provider within a day
//! (12), so a captured call cannot be replayed. This module is pure: randomness is passed in.

use base64::Engine as _;
use md5::{Digest, Md5};

use crate::codes::msg;
use crate::package::HashAlgorithm;

/// The length of a `randVal` the provider makes, and the shortest the bureau accepts.
pub const RAND_VAL_LEN: usize = 20;
/// The longest `randVal` the simulator accepts.
pub const RAND_VAL_MAX: usize = 64;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A `randVal` of 20 digits and ASCII letters from 20 random bytes.
pub fn rand_val(random: [u8; RAND_VAL_LEN]) -> String {
    random.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

/// Whether the bureau accepts `v` as a `randVal`: `Err` carries the `msg_code`.
pub fn check_rand_val(v: &str) -> Result<(), i64> {
    if v.chars().count() < RAND_VAL_LEN {
        return Err(msg::RANDVAL_TOO_SHORT);
    }
    if v.len() > RAND_VAL_MAX || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(msg::AUTH_REFUSED);
    }
    Ok(())
}

/// `pwdHash` for `password` and `rand_val`.
pub fn pwd_hash(password: &str, rand_val: &str, alg: HashAlgorithm) -> String {
    let joined = format!("{password}{rand_val}");
    let (gbk, _, _) = encoding_rs::GBK.encode(&joined);
    match alg {
        HashAlgorithm::Md5 => base64::engine::general_purpose::STANDARD.encode(Md5::digest(&gbk)),
    }
}

/// Whether `given` is the right `pwdHash` (compared in constant time).
pub fn verify_pwd_hash(password: &str, rand_val: &str, alg: HashAlgorithm, given: &str) -> bool {
    let expected = pwd_hash(password, rand_val, alg);
    let (a, b) = (expected.as_bytes(), given.trim().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The arguments every call starts with: `ispId`, `userName`, `randVal`, `pwdHash`,
/// `hashAlgorithm`.
pub fn call_args(
    isp_id: i64,
    user: &str,
    password: &str,
    rand_val: &str,
    alg: HashAlgorithm,
) -> Vec<(&'static str, String)> {
    vec![
        ("ispId", isp_id.to_string()),
        ("userName", user.to_owned()),
        ("randVal", rand_val.to_owned()),
        ("pwdHash", pwd_hash(password, rand_val, alg)),
        ("hashAlgorithm", alg.code().to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rand_val_is_twenty_letters_and_digits() {
        let v = rand_val([0, 9, 10, 35, 36, 61, 62, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(v.len(), 20);
        assert!(v.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(v.starts_with("09AZaz0"));
        assert_eq!(check_rand_val(&v), Ok(()));
    }

    #[test]
    fn short_long_and_odd_rand_vals_are_refused_with_their_codes() {
        assert_eq!(check_rand_val("abc"), Err(16));
        assert_eq!(check_rand_val(&"a".repeat(19)), Err(16));
        assert_eq!(check_rand_val(&"a".repeat(65)), Err(12));
        assert_eq!(check_rand_val("aaaaaaaaaa aaaaaaaaaa"), Err(12));
        assert_eq!(check_rand_val("随机数随机数随机数随机数随机数随机数随机数"), Err(12));
    }

    #[test]
    fn pwd_hash_is_base64_md5_of_the_gbk_bytes() {
        // MD5("secret" + "0123456789abcdefghij") in base64, computed independently:
        // python3 -c "import hashlib,base64;print(base64.b64encode(hashlib.md5(b'secret0123456789abcdefghij').digest()))"
        assert_eq!(
            pwd_hash("secret", "0123456789abcdefghij", HashAlgorithm::Md5),
            "GZ7vOiAqGPV6xz5R5NUk+w=="
        );
        // A Chinese password is hashed in GBK, not UTF-8: 密码 is C3 DC C2 EB.
        let gbk = pwd_hash("密码", "0123456789abcdefghij", HashAlgorithm::Md5);
        let mut bytes = vec![0xC3, 0xDC, 0xC2, 0xEB];
        bytes.extend_from_slice(b"0123456789abcdefghij");
        assert_eq!(gbk, base64::engine::general_purpose::STANDARD.encode(Md5::digest(&bytes)));
        assert!(verify_pwd_hash("密码", "0123456789abcdefghij", HashAlgorithm::Md5, &gbk));
        assert!(!verify_pwd_hash("密碼", "0123456789abcdefghij", HashAlgorithm::Md5, &gbk));
    }
}
