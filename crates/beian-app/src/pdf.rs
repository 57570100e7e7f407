//! Finding active content in an uploaded PDF: scripts (`/JavaScript`, `/JS`), actions run on
//! opening or on events (`/OpenAction`, `/AA` naming an action), launching programs
//! (`/Launch`), embedded files, rich media, XFA forms and form submission. A filing document
//! is a scan or a certificate; none of these belongs in one, so such a PDF is refused at
//! upload rather than stored and served to a reviewer.
//!
//! The file is read as tokens, not parsed: names are compared after their `#xx` escapes are
//! decoded, strings are skipped (a name in a text is not a key), and every `FlateDecode`-able
//! stream — object streams included, where dictionaries hide — is inflated and read the same
//! way, within a budget. A file whose streams inflate beyond the budget is refused as well:
//! what cannot be read cannot be vouched for. This module must never log the file's content.

use std::io::Read;

/// Names that make a PDF active wherever they appear as a key or a value.
const ACTIVE: &[&[u8]] = &[
    b"JavaScript",
    b"JS",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"RichMedia",
    b"XFA",
    b"SubmitForm",
    b"ImportData",
];

/// Keys that are active when they name an action (a dictionary or a reference), and harmless
/// when they name a destination (an array: "open at page 1, fit width").
const ACTIONS: &[&[u8]] = &[b"OpenAction", b"AA"];

/// Most bytes all streams of one file may inflate to.
const INFLATE_BUDGET: usize = 64 * 1024 * 1024;

/// Why a PDF was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Active {
    /// It names this active feature.
    Feature(String),
    /// Its streams inflate beyond the budget.
    TooComplex,
}

/// The first active feature found in `pdf`, if any.
pub fn active_content(pdf: &[u8]) -> Option<Active> {
    let mut budget = INFLATE_BUDGET;
    let mut pending = vec![pdf.to_vec()];
    while let Some(bytes) = pending.pop() {
        let scan = scan(&bytes);
        if let Some(found) = scan.active {
            return Some(Active::Feature(found));
        }
        for (start, end) in scan.streams {
            let mut out = Vec::new();
            let limit = u64::try_from(budget).unwrap_or(u64::MAX) + 1;
            let read = flate2::read::ZlibDecoder::new(&bytes[start..end]).take(limit).read_to_end(&mut out);
            // Not deflated (an image, say), or damaged: nothing to read inside.
            if read.is_err() && out.is_empty() {
                continue;
            }
            if out.len() > budget {
                return Some(Active::TooComplex);
            }
            budget -= out.len();
            pending.push(out);
        }
    }
    None
}

struct Scan {
    active: Option<String>,
    /// The byte ranges of the streams' data.
    streams: Vec<(usize, usize)>,
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b"()<>[]{}/%".contains(&b) || b == 0
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// A name token at `i` (just after its '/'): its decoded bytes and where it ends.
fn name(bytes: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    while i < bytes.len() && !is_delimiter(bytes[i]) {
        if bytes[i] == b'#'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    (out, i)
}

/// Skips a literal string starting at `i` (its '('), with nesting and escapes.
fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

fn scan(bytes: &[u8]) -> Scan {
    let mut s = Scan { active: None, streams: Vec::new() };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => i = skip_string(bytes, i),
            b'%' => {
                // A comment, to the end of the line.
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            // A dictionary opens.
            b'<' if bytes.get(i + 1) == Some(&b'<') => i += 2,
            b'<' => {
                // A hex string.
                i = find(bytes, b">", i).map_or(bytes.len(), |e| e + 1);
            }
            b'/' => {
                let (n, end) = name(bytes, i + 1);
                if ACTIVE.contains(&n.as_slice()) {
                    s.active = Some(String::from_utf8_lossy(&n).into_owned());
                    return s;
                }
                if ACTIONS.contains(&n.as_slice()) {
                    let next = bytes[end..].iter().position(|b| !b.is_ascii_whitespace()).map(|p| end + p);
                    if next.is_some_and(|p| bytes[p] != b'[') {
                        s.active = Some(String::from_utf8_lossy(&n).into_owned());
                        return s;
                    }
                }
                i = end.max(i + 1);
            }
            b's' if bytes[i..].starts_with(b"stream") && (i == 0 || is_delimiter(bytes[i - 1])) => {
                let mut start = i + b"stream".len();
                if bytes.get(start) == Some(&b'\r') {
                    start += 1;
                }
                if bytes.get(start) == Some(&b'\n') {
                    start += 1;
                }
                let end = find(bytes, b"endstream", start).unwrap_or(bytes.len());
                s.streams.push((start, end));
                i = end + b"endstream".len();
            }
            _ => i += 1,
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use proptest::prelude::*;

    use super::*;

    const PLAIN: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >> endobj\n\
        4 0 obj << /Length 44 >> stream\nBT /F1 12 Tf (about /JavaScript and \\(JS\\)) Tj ET\nendstream endobj\n\
        5 0 obj << /URI (https://beian.miit.gov.cn/) /S /URI >> endobj\n%%EOF\n";

    fn deflate(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_plain_pdf_with_a_destination_a_link_and_the_word_in_its_text_passes() {
        assert_eq!(active_content(PLAIN), None);
    }

    #[test]
    fn scripts_actions_launches_and_embedded_files_are_found_however_spelled() {
        for (pdf, found) in [
            (
                &b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj"[..],
                "OpenAction",
            ),
            (b"%PDF-1.4\n1 0 obj << /OpenAction 7 0 R >> endobj", "OpenAction"),
            (b"%PDF-1.4\n1 0 obj << /Type /Annot /AA << /E 9 0 R >> >> endobj", "AA"),
            (b"%PDF-1.4\n1 0 obj << /S /J#61vaScript >> endobj", "JavaScript"),
            (b"%PDF-1.4\n1 0 obj << /S /Launch /F (calc.exe) >> endobj", "Launch"),
            (b"%PDF-1.4\n1 0 obj << /Names << /EmbeddedFiles 3 0 R >> >> endobj", "EmbeddedFiles"),
            (b"%PDF-1.4\n1 0 obj << /AcroForm << /XFA 5 0 R >> >> endobj", "XFA"),
        ] {
            assert_eq!(
                active_content(pdf),
                Some(Active::Feature(found.into())),
                "{}",
                String::from_utf8_lossy(pdf)
            );
        }
    }

    #[test]
    fn what_an_object_stream_hides_is_found_too() {
        let hidden = deflate(b"1 0 obj << /S /JavaScript /JS (x) >> endobj");
        let mut pdf = b"%PDF-1.5\n2 0 obj << /Type /ObjStm /Filter /FlateDecode >> stream\r\n".to_vec();
        pdf.extend(&hidden);
        pdf.extend(b"\r\nendstream endobj\n%%EOF");
        assert_eq!(active_content(&pdf), Some(Active::Feature("JavaScript".into())));
        // Nested deflation is read as deep as it goes.
        let twice = deflate(&pdf);
        let mut outer = b"%PDF-1.5\n3 0 obj << >> stream\n".to_vec();
        outer.extend(&twice);
        outer.extend(b"\nendstream");
        assert_eq!(active_content(&outer), Some(Active::Feature("JavaScript".into())));
    }

    #[test]
    fn a_deflate_bomb_is_refused_without_inflating_it_all() {
        let bomb = deflate(&vec![b' '; INFLATE_BUDGET + 1]);
        let mut pdf = b"%PDF-1.5\n1 0 obj << >> stream\n".to_vec();
        pdf.extend(&bomb);
        pdf.extend(b"\nendstream");
        assert_eq!(active_content(&pdf), Some(Active::TooComplex));
    }

    proptest! {
        #[test]
        fn any_bytes_are_read_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = active_content(&bytes);
        }
    }
}
