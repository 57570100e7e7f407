//! The form an order's document takes inside its encryption: its JSON, deflated when that is
//! worth it.
//!
//! An order's document is about 5.5 KB of JSON, which on SQLite's 4 KB pages spilled every
//! order row into an overflow page; deflated it is about 1.3 KB, so a row is one page, a
//! million orders take a third of the disk and the page cache, and a random order read touches
//! half the pages. Compression happens before encryption (ciphertext does not compress); the
//! stored length is never shown to anyone, so it cannot leak what the document holds.
//!
//! Rows written before this hold plain JSON, which always starts with `{`; a deflated document
//! starts with a tag byte JSON never starts with, so both read back and nothing is migrated.
//! Only for JSON objects: the tag relies on that first `{`.

use std::borrow::Cow;
use std::io::{Read, Write};

/// The first byte of a deflated document (zlib stream follows).
const DEFLATED: u8 = 0x01;
/// Below this a document is stored as it is: deflate would save too little to matter.
const WORTH_DEFLATING: usize = 512;
/// The most a stored document inflates to; a larger one is refused as corrupt, not allocated.
const MAX_INFLATED: u64 = 16 << 20;

/// The stored form of `json` (an object's serialization).
pub fn pack(json: Vec<u8>) -> Vec<u8> {
    if json.len() < WORTH_DEFLATING {
        return json;
    }
    let mut out = Vec::with_capacity(json.len() / 3);
    out.push(DEFLATED);
    let mut z = flate2::write::ZlibEncoder::new(out, flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    match z.write_all(&json).and_then(|()| z.finish()) {
        Ok(packed) if packed.len() < json.len() => packed,
        _ => json,
    }
}

/// The JSON `stored` holds, whether it was written deflated or plain.
pub fn unpack(stored: &[u8]) -> Result<Cow<'_, [u8]>, UnpackError> {
    match stored.first() {
        Some(&DEFLATED) => {
            let mut out = Vec::with_capacity((stored.len() * 4).min(MAX_INFLATED as usize));
            flate2::read::ZlibDecoder::new(&stored[1..])
                .take(MAX_INFLATED + 1)
                .read_to_end(&mut out)
                .map_err(|_| UnpackError::Corrupt)?;
            if out.len() as u64 > MAX_INFLATED {
                return Err(UnpackError::TooLarge);
            }
            Ok(Cow::Owned(out))
        }
        _ => Ok(Cow::Borrowed(stored)),
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UnpackError {
    #[error("a stored document's compressed form is corrupt")]
    Corrupt,
    #[error("a stored document inflates past 16 MiB")]
    TooLarge,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EXAMPLE: &str = include_str!("../../../docs/examples/first-filing-company.json");

    #[test]
    fn an_order_document_is_stored_in_under_a_third_of_its_size_and_reads_back_the_same() {
        let packed = pack(EXAMPLE.as_bytes().to_vec());
        assert_eq!(packed[0], DEFLATED);
        assert!(packed.len() * 3 < EXAMPLE.len(), "{} of {} bytes", packed.len(), EXAMPLE.len());
        assert_eq!(unpack(&packed).unwrap(), EXAMPLE.as_bytes());
    }

    #[test]
    fn documents_written_before_compression_read_as_they_are() {
        let plain = EXAMPLE.as_bytes();
        assert!(matches!(unpack(plain).unwrap(), Cow::Borrowed(b) if b == plain));
        let small = br#"{"a":1}"#.to_vec();
        assert_eq!(pack(small.clone()), small, "too small to be worth deflating");
    }

    #[test]
    fn a_corrupt_or_inflating_stored_form_is_an_error_not_an_allocation() {
        assert_eq!(unpack(&[DEFLATED, 1, 2, 3]).unwrap_err(), UnpackError::Corrupt);
        // 64 MiB of zeros deflate to about 64 KB.
        let mut z = flate2::write::ZlibEncoder::new(vec![DEFLATED], flate2::Compression::best());
        z.write_all(&vec![0u8; 64 << 20]).unwrap();
        assert_eq!(unpack(&z.finish().unwrap()).unwrap_err(), UnpackError::TooLarge);
    }

    proptest! {
        #[test]
        fn any_object_reads_back_as_written(fields in proptest::collection::btree_map("[a-z]{1,8}", ".{0,200}", 0..40)) {
            let json = serde_json::to_vec(&fields).unwrap();
            let packed = pack(json.clone());
            prop_assert!(packed.len() <= json.len());
            prop_assert_eq!(unpack(&packed).unwrap().into_owned(), json);
        }
    }
}
