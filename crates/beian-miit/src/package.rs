//! Packaging a data file for the wire, both directions (spec §2): the XML is zipped as the
//! one entry of an archive, the archive is hashed, optionally encrypted with AES-CBC and
//! PKCS#5 padding under the bureau's key and IV, and both are sent as base64
//! (`beianInfo`, `beianInfoHash`).
//!
//! Decisions where the spec's text leaves a choice (see ARCHITECTURE.md, "MIIT interface"):
//! - the hash is taken over the **zip bytes before encryption**, and sent as base64 of the
//!   **raw digest** (the text: "对压缩后的数据进行哈希运算，然后进行base64编码");
//! - the AES key and IV are used as the **bytes of the strings** the bureau issues (its
//!   example IV `0102030405060708` is 16 characters: 16 bytes, where hex-decoding would give
//!   an 8-byte IV that AES cannot use); a key of 16, 24 or 32 bytes selects AES-128/192/256;
//! - the zip entry is named after the file (ASCII letters and digits), its timestamp is the
//!   zip epoch, so the same XML always packs to the same bytes and a re-upload is identical.
//!
//! Reading is tolerant of the entry's name; it insists on exactly one entry and caps the
//! unpacked size, so a zip bomb costs nothing.

use std::io::{Read, Write};

use base64::Engine as _;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use md5::{Digest, Md5};

use crate::codes::msg;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The largest data file the spec allows (50 MB), unpacked.
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;

/// `hashAlgorithm`: 0 = MD5, the only one the spec names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    Md5,
}

/// `compressionFormat`: 0 = zip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Zip,
}

/// `encryptAlgorithm`: 0 = none, 1 = AES.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    None,
    Aes,
}

impl HashAlgorithm {
    pub fn code(self) -> i64 {
        0
    }
    pub fn from_code(code: i64) -> Result<HashAlgorithm, PackageError> {
        match code {
            0 => Ok(HashAlgorithm::Md5),
            _ => Err(PackageError::UnknownHash),
        }
    }
}

impl Compression {
    pub fn code(self) -> i64 {
        0
    }
    pub fn from_code(code: i64) -> Result<Compression, PackageError> {
        match code {
            0 => Ok(Compression::Zip),
            _ => Err(PackageError::UnknownCompression),
        }
    }
}

impl Encryption {
    pub fn code(self) -> i64 {
        match self {
            Encryption::None => 0,
            Encryption::Aes => 1,
        }
    }
    pub fn from_code(code: i64) -> Result<Encryption, PackageError> {
        match code {
            0 => Ok(Encryption::None),
            1 => Ok(Encryption::Aes),
            _ => Err(PackageError::UnknownEncryption),
        }
    }
}

/// The three algorithm codes of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Algorithms {
    pub hash: HashAlgorithm,
    pub compression: Compression,
    pub encryption: Encryption,
}

impl Algorithms {
    pub const PLAIN: Algorithms =
        Algorithms { hash: HashAlgorithm::Md5, compression: Compression::Zip, encryption: Encryption::None };
    pub const AES: Algorithms =
        Algorithms { hash: HashAlgorithm::Md5, compression: Compression::Zip, encryption: Encryption::Aes };

    /// From the codes a call carries; an unknown code answers 10, 11 or 9.
    pub fn from_codes(hash: i64, compression: i64, encryption: i64) -> Result<Algorithms, PackageError> {
        Ok(Algorithms {
            hash: HashAlgorithm::from_code(hash)?,
            compression: Compression::from_code(compression)?,
            encryption: Encryption::from_code(encryption)?,
        })
    }
}

/// The bureau's AES key and IV. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey {
    key: Vec<u8>,
    iv: [u8; 16],
}

impl std::fmt::Debug for AesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesKey(***)")
    }
}

impl AesKey {
    /// The key (16, 24 or 32 bytes) and IV (16 bytes) as the bureau issues them: strings
    /// whose bytes are used as they are.
    pub fn new(key: &str, iv: &str) -> Option<AesKey> {
        let key = key.as_bytes().to_vec();
        let iv: [u8; 16] = iv.as_bytes().try_into().ok()?;
        matches!(key.len(), 16 | 24 | 32).then_some(AesKey { key, iv })
    }

    fn encrypt(&self, data: &[u8]) -> Vec<u8> {
        match self.key.len() {
            16 => cbc::Encryptor::<aes::Aes128>::new_from_slices(&self.key, &self.iv)
                .map(|c| c.encrypt_padded_vec::<Pkcs7>(data)),
            24 => cbc::Encryptor::<aes::Aes192>::new_from_slices(&self.key, &self.iv)
                .map(|c| c.encrypt_padded_vec::<Pkcs7>(data)),
            _ => cbc::Encryptor::<aes::Aes256>::new_from_slices(&self.key, &self.iv)
                .map(|c| c.encrypt_padded_vec::<Pkcs7>(data)),
        }
        .expect("key and IV lengths are checked in AesKey::new")
    }

    fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, PackageError> {
        let out = match self.key.len() {
            16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(&self.key, &self.iv)
                .map(|c| c.decrypt_padded_vec::<Pkcs7>(data)),
            24 => cbc::Decryptor::<aes::Aes192>::new_from_slices(&self.key, &self.iv)
                .map(|c| c.decrypt_padded_vec::<Pkcs7>(data)),
            _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(&self.key, &self.iv)
                .map(|c| c.decrypt_padded_vec::<Pkcs7>(data)),
        };
        match out {
            Ok(Ok(plain)) => Ok(plain),
            _ => Err(PackageError::Decrypt),
        }
    }
}

/// Why a file could not be packed or unpacked; each maps to the `msg_code` the bureau
/// answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    #[error("unknown hash algorithm")]
    UnknownHash,
    #[error("unknown compression format")]
    UnknownCompression,
    #[error("unknown encryption algorithm")]
    UnknownEncryption,
    #[error("encryption requested but no AES key and IV are configured")]
    NoKey,
    #[error("decryption failed")]
    Decrypt,
    #[error("the hash does not match the file")]
    Hash,
    #[error("not base64")]
    Base64,
    #[error("not a readable zip archive")]
    Unzip,
    #[error("the archive must hold exactly one file")]
    EntryCount,
    #[error("the file is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge,
    #[error("file names are ASCII letters and digits, at most 128 of them")]
    BadName,
}

impl PackageError {
    /// The `msg_code` this failure answers.
    pub fn msg_code(&self) -> i64 {
        match self {
            PackageError::UnknownHash => msg::BAD_HASH_ALGORITHM,
            PackageError::UnknownCompression => msg::BAD_COMPRESSION,
            PackageError::UnknownEncryption => msg::BAD_ENCRYPTION_ALGORITHM,
            PackageError::NoKey | PackageError::Decrypt => msg::DECRYPT_FAILED,
            PackageError::Hash | PackageError::Base64 => msg::HASH_MISMATCH,
            PackageError::Unzip | PackageError::BadName => msg::UNZIP_FAILED,
            PackageError::EntryCount => msg::FILE_COUNT,
            PackageError::TooLarge => msg::FILE_TOO_LARGE,
        }
    }
}

/// A file on the wire: `beianInfo` and `beianInfoHash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub info: String,
    pub hash: String,
}

/// Whether `name` is a file name the spec allows: ASCII letters and digits, 1 to 128.
pub fn valid_file_name(name: &str) -> bool {
    (1..=128).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Zips `xml` as the archive's one entry, called `name`.
pub fn zip(name: &str, xml: &[u8]) -> Result<Vec<u8>, PackageError> {
    if !valid_file_name(name) {
        return Err(PackageError::BadName);
    }
    if xml.len() > MAX_FILE_BYTES {
        return Err(PackageError::TooLarge);
    }
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(xml.len() / 4 + 256)));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    w.start_file(name, options).map_err(|_| PackageError::Unzip)?;
    w.write_all(xml).map_err(|_| PackageError::Unzip)?;
    Ok(w.finish().map_err(|_| PackageError::Unzip)?.into_inner())
}

/// The one entry of an archive: its name and its bytes, at most `limit` of them.
pub fn unzip(archive: &[u8], limit: usize) -> Result<(String, Vec<u8>), PackageError> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(archive)).map_err(|_| PackageError::Unzip)?;
    if z.len() != 1 {
        return Err(PackageError::EntryCount);
    }
    let entry = z.by_index(0).map_err(|_| PackageError::Unzip)?;
    if entry.is_dir() {
        return Err(PackageError::EntryCount);
    }
    let name = entry.name().map_err(|_| PackageError::Unzip)?.into_owned();
    let mut out = Vec::new();
    // Read one byte past the limit: an archive that claims a small size but inflates to
    // more is caught without inflating it all.
    entry.take(limit as u64 + 1).read_to_end(&mut out).map_err(|_| PackageError::Unzip)?;
    if out.len() > limit {
        return Err(PackageError::TooLarge);
    }
    Ok((name, out))
}

/// Hashes and (if asked) encrypts an archive for the wire.
pub fn seal(archive: &[u8], algs: Algorithms, key: Option<&AesKey>) -> Result<Sealed, PackageError> {
    let hash = B64.encode(Md5::digest(archive));
    let body = match algs.encryption {
        Encryption::None => B64.encode(archive),
        Encryption::Aes => B64.encode(key.ok_or(PackageError::NoKey)?.encrypt(archive)),
    };
    Ok(Sealed { info: body, hash })
}

/// The archive inside `beianInfo`, decrypted if need be and checked against `beianInfoHash`.
pub fn open(info: &str, hash: &str, algs: Algorithms, key: Option<&AesKey>) -> Result<Vec<u8>, PackageError> {
    let compact = |s: &str| s.chars().filter(|c| !c.is_ascii_whitespace()).collect::<String>();
    // base64 grows by a third; refuse before decoding what could never unpack under the cap.
    if info.len() > MAX_FILE_BYTES / 3 * 4 + 1024 {
        return Err(PackageError::TooLarge);
    }
    let body = B64.decode(compact(info)).map_err(|_| PackageError::Base64)?;
    let archive = match algs.encryption {
        Encryption::None => body,
        Encryption::Aes => key.ok_or(PackageError::NoKey)?.decrypt(&body)?,
    };
    let expected = B64.decode(compact(hash)).map_err(|_| PackageError::Hash)?;
    if Md5::digest(&archive).as_slice() != expected.as_slice() {
        return Err(PackageError::Hash);
    }
    Ok(archive)
}

/// Zips and seals an XML file: what `isp_upload` sends and `isp_download` answers.
pub fn pack(name: &str, xml: &[u8], algs: Algorithms, key: Option<&AesKey>) -> Result<Sealed, PackageError> {
    seal(&zip(name, xml)?, algs, key)
}

/// Opens and unzips a file from the wire: the entry's name and the XML.
pub fn unpack(
    info: &str,
    hash: &str,
    algs: Algorithms,
    key: Option<&AesKey>,
) -> Result<(String, Vec<u8>), PackageError> {
    unzip(&open(info, hash, algs, key)?, MAX_FILE_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AesKey {
        AesKey::new("beian-demo-key16", "0102030405060708").unwrap()
    }

    #[test]
    fn packs_and_unpacks_with_and_without_aes() {
        let xml = "<?xml version=\"1.0\" encoding=\"GBK\"?><UploadData/>".as_bytes();
        for (algs, key) in [(Algorithms::PLAIN, None), (Algorithms::AES, Some(key()))] {
            let sealed = pack("U1", xml, algs, key.as_ref()).unwrap();
            let (name, back) = unpack(&sealed.info, &sealed.hash, algs, key.as_ref()).unwrap();
            assert_eq!((name.as_str(), back.as_slice()), ("U1", xml));
        }
    }

    #[test]
    fn the_same_file_packs_to_the_same_bytes() {
        let a = pack("U7", b"<x/>", Algorithms::AES, Some(&key())).unwrap();
        let b = pack("U7", b"<x/>", Algorithms::AES, Some(&key())).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn refusals_carry_the_spec_codes() {
        let sealed = pack("U1", b"<x/>", Algorithms::AES, Some(&key())).unwrap();
        let other = AesKey::new("another-key-16by", "0102030405060708").unwrap();
        let err = unpack(&sealed.info, &sealed.hash, Algorithms::AES, Some(&other)).unwrap_err();
        // A wrong key either fails the padding (6) or yields bytes the hash refuses (7).
        assert!(matches!(err.msg_code(), 6 | 7), "{err:?}");
        let plain = pack("U1", b"<x/>", Algorithms::PLAIN, None).unwrap();
        let wrong_hash = B64.encode(Md5::digest(b"something else"));
        assert_eq!(unpack(&plain.info, &wrong_hash, Algorithms::PLAIN, None).unwrap_err().msg_code(), 7);
        assert_eq!(unpack("%%%", &plain.hash, Algorithms::PLAIN, None).unwrap_err().msg_code(), 7);
        let not_zip = seal(b"not a zip", Algorithms::PLAIN, None).unwrap();
        assert_eq!(unpack(&not_zip.info, &not_zip.hash, Algorithms::PLAIN, None).unwrap_err().msg_code(), 8);
        assert_eq!(Algorithms::from_codes(1, 0, 0).unwrap_err().msg_code(), 10);
        assert_eq!(Algorithms::from_codes(0, 1, 0).unwrap_err().msg_code(), 11);
        assert_eq!(Algorithms::from_codes(0, 0, 2).unwrap_err().msg_code(), 9);
    }

    #[test]
    fn an_archive_must_hold_one_file() {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default();
        for n in ["a", "b"] {
            w.start_file(n, o).unwrap();
            w.write_all(b"<x/>").unwrap();
        }
        let two = w.finish().unwrap().into_inner();
        assert_eq!(unzip(&two, MAX_FILE_BYTES).unwrap_err(), PackageError::EntryCount);
    }

    #[test]
    fn a_zip_bomb_is_refused_without_inflating_it() {
        let big = vec![b' '; 5 * 1024 * 1024];
        let archive = zip("Bomb", &big).unwrap();
        assert!(archive.len() < 64 * 1024, "5 MB of spaces compress well: {}", archive.len());
        assert_eq!(unzip(&archive, 1024 * 1024).unwrap_err(), PackageError::TooLarge);
    }

    #[test]
    fn file_names_are_letters_and_digits() {
        assert!(valid_file_name("U20261206000001"));
        for bad in ["", "a.xml", "文件", "a b", &"a".repeat(129)] {
            assert!(!valid_file_name(bad), "{bad}");
            assert_eq!(zip(bad, b"<x/>").unwrap_err(), PackageError::BadName);
        }
    }

    #[test]
    fn keys_have_aes_lengths() {
        assert!(AesKey::new("0123456789abcdef", "0102030405060708").is_some());
        assert!(AesKey::new(&"k".repeat(24), "0102030405060708").is_some());
        assert!(AesKey::new(&"k".repeat(32), "0102030405060708").is_some());
        assert!(AesKey::new("short", "0102030405060708").is_none());
        assert!(AesKey::new("0123456789abcdef", "01020304").is_none());
        assert_eq!(format!("{:?}", key()), "AesKey(***)");
    }
}
