//! Which encoding a page is in. Many Chinese sites are GBK/GB2312 with a missing or wrong
//! `Content-Type` charset, so the order is the browser's: byte-order mark, then the header,
//! then a `<meta>` prescan of the first 1,024 bytes; a page that declares nothing is UTF-8
//! when its bytes are valid UTF-8 and GB18030 (a superset of GBK and GB2312) otherwise.
//! Never guesses from the text's meaning.

use encoding_rs::{Encoding, GB18030, UTF_8};
use serde::Serialize;

/// How many bytes the `<meta>` prescan looks at, as in the HTML standard.
pub const PRESCAN_BYTES: usize = 1024;

/// Where the encoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CharsetSource {
    Bom,
    Header,
    Meta,
    /// Nothing declared; the bytes were valid UTF-8.
    DetectedUtf8,
    /// Nothing declared and not UTF-8: GB18030.
    Fallback,
}

/// The encoding declared by BOM, header or `<meta>` in `head` (the first bytes of the body),
/// or `None` when the page declares nothing.
pub fn declared(header_charset: Option<&str>, head: &[u8]) -> Option<(&'static Encoding, CharsetSource)> {
    if let Some((enc, _)) = Encoding::for_bom(head) {
        return Some((enc, CharsetSource::Bom));
    }
    if let Some(enc) = header_charset.and_then(|l| Encoding::for_label(l.trim().as_bytes())) {
        return Some((ascii_compatible(enc), CharsetSource::Header));
    }
    meta_charset(&head[..head.len().min(PRESCAN_BYTES)]).map(|e| (e, CharsetSource::Meta))
}

/// The encoding of a whole body that declared none.
pub fn undeclared(body: &[u8], truncated: bool) -> (&'static Encoding, CharsetSource) {
    let valid = match std::str::from_utf8(body) {
        Ok(_) => true,
        // A body cut at the cap may end inside a character.
        Err(e) => truncated && e.error_len().is_none(),
    };
    if valid { (UTF_8, CharsetSource::DetectedUtf8) } else { (GB18030, CharsetSource::Fallback) }
}

/// A page declaring UTF-16 in its header or `<meta>` is read as UTF-8 (its bytes would have a
/// BOM if they were UTF-16), as browsers do; `x-user-defined` likewise means windows-1252.
fn ascii_compatible(enc: &'static Encoding) -> &'static Encoding {
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        UTF_8
    } else if enc == encoding_rs::X_USER_DEFINED {
        encoding_rs::WINDOWS_1252
    } else {
        enc
    }
}

/// The charset named by a `<meta charset>` or `<meta http-equiv content="…charset=…">` in
/// `head`, skipping comments.
pub fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let mut i = 0;
    while i < head.len() {
        let rest = &head[i..];
        if rest.starts_with(b"<!--") {
            let end = find(&rest[4..], b"-->").map_or(head.len(), |e| i + 4 + e + 3);
            i = end;
            continue;
        }
        if rest.len() > 5 && rest[..5].eq_ignore_ascii_case(b"<meta") && is_attr_gap(rest[5]) {
            let end = rest.iter().position(|&b| b == b'>').unwrap_or(rest.len());
            if let Some(enc) = charset_in(&rest[5..end]) {
                return Some(ascii_compatible(enc));
            }
            i += end.max(1);
            continue;
        }
        i += 1;
    }
    None
}

fn is_attr_gap(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/')
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The label after `charset` (attribute or inside `content`) in a meta tag's attributes.
fn charset_in(attrs: &[u8]) -> Option<&'static Encoding> {
    let lower = attrs.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"charset") {
        let mut j = from + at + "charset".len();
        while lower.get(j).is_some_and(|b| b.is_ascii_whitespace()) {
            j += 1;
        }
        if lower.get(j) == Some(&b'=') {
            j += 1;
            while lower.get(j).is_some_and(|b| b.is_ascii_whitespace() || *b == b'"' || *b == b'\'') {
                j += 1;
            }
            let end = lower[j..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')))
                .map_or(lower.len(), |e| j + e);
            if let Some(enc) = Encoding::for_label(&lower[j..end]) {
                return Some(enc);
            }
        }
        from += at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{GBK, UTF_16LE};

    #[test]
    fn bom_beats_header_beats_meta() {
        let head = b"\xEF\xBB\xBF<meta charset=gbk>";
        assert_eq!(declared(Some("gbk"), head), Some((UTF_8, CharsetSource::Bom)));
        assert_eq!(declared(Some("GB2312"), b"<meta charset=utf-8>"), Some((GBK, CharsetSource::Header)));
        assert_eq!(declared(Some("nonsense"), b"<meta charset=utf-8>"), Some((UTF_8, CharsetSource::Meta)));
        assert_eq!(declared(None, b"\xFF\xFEa\0"), Some((UTF_16LE, CharsetSource::Bom)));
        assert_eq!(declared(Some("utf-16"), b"<p>"), Some((UTF_8, CharsetSource::Header)));
    }

    #[test]
    fn meta_prescan_reads_both_forms_and_skips_comments() {
        assert_eq!(meta_charset(b"<html><head><META CHARSET=\"GB2312\">"), Some(GBK));
        assert_eq!(
            meta_charset(b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\" />"),
            Some(GBK)
        );
        assert_eq!(meta_charset(b"<!-- <meta charset=gbk> --><meta charset='utf-8'>"), Some(UTF_8));
        assert_eq!(meta_charset(b"<metadata charset=gbk>"), None);
        assert_eq!(meta_charset(b"<meta name=description content=\"charset\">"), None);
        assert_eq!(meta_charset(b"<meta charset=\"utf-16\">"), Some(UTF_8));
    }

    #[test]
    fn undeclared_bodies_are_utf8_when_valid_else_gb18030() {
        assert_eq!(undeclared("京ICP备".as_bytes(), false).0, UTF_8);
        let (gbk, _, _) = GBK.encode("京ICP备16020626号");
        assert_eq!(undeclared(&gbk, false), (GB18030, CharsetSource::Fallback));
        // Cut inside a three-byte character by the body cap: still UTF-8.
        let cut = &"京ICP备".as_bytes()[..2];
        assert_eq!(undeclared(cut, true).0, UTF_8);
        assert_eq!(undeclared(cut, false).0, GB18030);
    }
}
