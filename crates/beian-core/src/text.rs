//! Input normalization shared by every parser: trimming, folding full-width forms and
//! masking PII for display.
//!
//! Chinese input methods produce full-width digits, letters and punctuation
//! (`１１０１０５…`, `ＩＣＰ`, `－`); forms copied from PDFs carry ideographic spaces.
//! Parsers fold those to ASCII before checking, and report that they did, but never
//! change anything else: a wrong character stays wrong.

use std::borrow::Cow;

/// Folds one full-width ASCII variant (U+FF01..U+FF5E) and the ideographic space to ASCII;
/// also maps the dashes people type for a hyphen. Other characters are returned unchanged.
#[inline]
pub fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' | '\u{FE63}' => '-',
        _ => c,
    }
}

/// True when `c` is whitespace in any script people paste from (including NBSP and
/// zero-width characters that web pages scatter through numbers).
#[inline]
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{00A0}')
}

/// Trims and folds full-width characters. Borrows when the input is already plain ASCII
/// without surrounding space, which is the common case on bulk imports.
pub fn fold(input: &str) -> Cow<'_, str> {
    let trimmed = input.trim_matches(is_space);
    if trimmed.is_ascii() {
        return Cow::Borrowed(trimmed);
    }
    Cow::Owned(trimmed.chars().map(fold_char).collect())
}

/// Like [`fold`] but also drops every inner space, for identifiers that are written
/// in groups (`110105 19491231 002X`).
pub fn fold_compact(input: &str) -> Cow<'_, str> {
    let folded = fold(input);
    if !folded.chars().any(is_space) {
        return folded;
    }
    Cow::Owned(folded.chars().filter(|c| !is_space(*c)).collect())
}

/// Masks all but the first `keep_start` and last `keep_end` characters with `*`,
/// e.g. `110***********002X`. Values shorter than the kept parts are fully masked.
pub fn mask(value: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    if n <= keep_start + keep_end {
        return "*".repeat(n);
    }
    let mut out = String::with_capacity(value.len());
    out.extend(&chars[..keep_start]);
    out.extend(std::iter::repeat_n('*', n - keep_start - keep_end));
    out.extend(&chars[n - keep_end..]);
    out
}

/// Masks a person's name: keeps the first character (`张*`, `欧**`).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Escapes text for HTML content and quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The offset of `needle` (which starts with `<`, e.g. `</script`) in `hay`, ASCII case
/// ignored.
pub fn find_markup_ignore_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(rel) = memchr::memchr(b'<', &hay[from..]) {
        let at = from + rel;
        if hay.len() >= at + needle.len() && hay[at..at + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_digits_letters_and_space() {
        assert_eq!(fold("　１１０１０５ＡＢｃ－"), "110105ABc-");
        assert!(matches!(fold(" 123 "), Cow::Borrowed("123")));
    }

    #[test]
    fn compact_drops_inner_spaces() {
        assert_eq!(fold_compact("110105 19491231\u{3000}002X"), "11010519491231002X");
    }

    #[test]
    fn masks_keep_ends() {
        assert_eq!(mask("11010519491231002X", 3, 4), "110***********002X");
        assert_eq!(mask("abc", 2, 2), "***");
        assert_eq!(mask_name("欧阳修"), "欧**");
        assert_eq!(mask_name(""), "");
    }
}
