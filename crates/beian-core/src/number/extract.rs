//! Finding filing numbers in arbitrary text or HTML, in order, with byte offsets.
//!
//! The extractor first reduces HTML to visible text — tags become a zero-width marker,
//! comments, `<script>` and `<style>` disappear (a footer rendered only by JavaScript is not
//! in the static page), entities are decoded — while keeping a map back to input offsets.
//! It then looks for the characters every number kind contains (`备` of `ICP备`/`公网安备`,
//! `证` of `ICP证`, and `B2`), checks the words around them, and hands the candidate to the
//! strict parser. Tags and spaces may sit *between* the parts of a number
//! (`京ICP备<span>16020626</span>号`), never inside a digit run. Other licences (网文,
//! 新闻许可证, registrar `D3-`) and phone numbers contain no anchor and cannot match.

use std::borrow::Cow;

use memchr::memmem;

use super::{NumberError, ParsedNumber, parse};
use crate::text::{fold_char, is_space};

/// Marker for a removed tag in the decoded text: filler between number parts.
const TAG: char = '\u{1}';

/// A caller that has already split a page into text nodes (the scanner's streaming parser)
/// puts this between nodes: the extractor treats it as a removed tag.
pub const NODE_BOUNDARY: char = TAG;

/// HTML reduced to the text a reader sees: tags and node boundaries become spaces, entities
/// are decoded, comments, scripts and styles are gone.
pub fn visible_text(input: &str) -> String {
    Decoded::new(input).text.replace(TAG, " ")
}

/// One number candidate found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted<'a> {
    /// Byte offset of the first character in the input.
    pub start: usize,
    /// Byte offset just past the last character in the input.
    pub end: usize,
    /// The input between `start` and `end`, tags included.
    pub text: &'a str,
    /// The strict parse of the candidate (tags removed): a number, or why it is not a valid one.
    pub result: Result<ParsedNumber, NumberError>,
}

/// Finds every ICP filing, ICP licence and PSB number in `input`, in order. Candidates that
/// have the shape of a number but fail the strict parse (a wrong prefix, a placeholder) are
/// returned too, with their error: on a footer they are exactly what a checker must report.
pub fn extract(input: &str) -> Vec<Extracted<'_>> {
    let decoded = Decoded::new(input);
    let text = decoded.text.as_ref();
    let bytes = text.as_bytes();
    let mut anchors: Vec<(usize, Anchor)> = Vec::new();
    anchors.extend(memmem::find_iter(bytes, "备".as_bytes()).map(|p| (p, Anchor::Bei)));
    anchors.extend(memmem::find_iter(bytes, "证".as_bytes()).map(|p| (p, Anchor::Zheng)));
    anchors.extend(memmem::find_iter(bytes, b"B2").map(|p| (p, Anchor::B2)));
    if anchors.is_empty() {
        return Vec::new();
    }
    anchors.sort_unstable_by_key(|a| a.0);

    let mut out = Vec::new();
    let mut last_end = 0;
    for (pos, anchor) in anchors {
        if pos < last_end {
            continue;
        }
        let Some((start, end)) = candidate(text, pos, anchor) else { continue };
        last_end = end;
        let cleaned: String = text[start..end].chars().filter(|&c| c != TAG).collect();
        let (in_start, in_end) = (decoded.map_start(start), decoded.map_end(end));
        out.push(Extracted {
            start: in_start,
            end: in_end,
            text: &input[in_start..in_end],
            result: parse(&cleaned),
        });
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    Bei,
    Zheng,
    B2,
}

fn is_filler(c: char) -> bool {
    c == TAG || is_space(c)
}

/// The previous non-filler character before `pos` (folded, upper-cased) and its offset,
/// looking back over at most a few filler characters.
fn prev_solid(text: &str, pos: usize) -> Option<(char, usize)> {
    let mut skipped = 0;
    let mut i = pos;
    for c in text[..pos].chars().rev() {
        i -= c.len_utf8();
        if is_filler(c) {
            skipped += 1;
            if skipped > 8 {
                return None;
            }
            continue;
        }
        return Some((fold_char(c).to_ascii_uppercase(), i));
    }
    None
}

/// The next non-filler character at or after `pos` and its offset.
fn next_solid(text: &str, pos: usize) -> Option<(char, usize)> {
    let mut skipped = 0;
    let mut i = pos;
    for c in text[pos..].chars() {
        if is_filler(c) {
            skipped += 1;
            if skipped > 8 {
                return None;
            }
            i += c.len_utf8();
            continue;
        }
        return Some((fold_char(c).to_ascii_uppercase(), i));
    }
    None
}

/// Matches the letters `word` (already upper-case) backwards, ending just before `pos`.
/// Returns the offset of the word's first character.
fn word_before(text: &str, mut pos: usize, word: &str) -> Option<usize> {
    for want in word.chars().rev() {
        let (c, at) = prev_solid(text, pos)?;
        if c != want {
            return None;
        }
        pos = at;
    }
    Some(pos)
}

/// End offset of a digit run (digits or placeholder x) starting exactly at `pos`, with no
/// filler inside.
fn digit_run(text: &str, pos: usize) -> usize {
    let mut end = pos;
    for c in text[pos..].chars() {
        let f = fold_char(c);
        if f.is_ascii_digit() || f == 'x' || f == 'X' {
            end += c.len_utf8();
        } else {
            break;
        }
    }
    end
}

/// The span of a candidate number around the anchor at `pos`, if the words around it fit.
fn candidate(text: &str, pos: usize, anchor: Anchor) -> Option<(usize, usize)> {
    let (mut start, body) = match anchor {
        Anchor::Bei => {
            let marker = word_before(text, pos, "ICP").or_else(|| word_before(text, pos, "公网安"))?;
            (marker, pos + "备".len())
        }
        Anchor::Zheng => (word_before(text, pos, "ICP")?, pos + "证".len()),
        Anchor::B2 => {
            let (dash, at) = next_solid(text, pos + 2)?;
            if dash != '-' {
                return None;
            }
            (pos, at + text[at..].chars().next()?.len_utf8())
        }
    };
    // Prefix: the one character before the marker, when it is not ASCII (a province or a
    // wrong one the parser will name). ASCII letters glued to `B2` mean another word.
    match anchor {
        Anchor::B2 => {
            if let Some(c) = text[..pos].chars().next_back() {
                if c.is_ascii_alphanumeric() {
                    return None;
                }
                if !c.is_ascii() && !is_filler(c) && !matches!(c, '：' | '，' | '。' | '（' | '【') {
                    start = pos - c.len_utf8();
                }
            }
        }
        _ => {
            if let Some((c, at)) = prev_solid(text, start)
                && !c.is_ascii()
                && !matches!(c, '：' | '，' | '。' | '、' | '（' | '【' | '|' | '©')
            {
                start = at;
            }
        }
    }
    // Serial.
    let (_, digits_at) = next_solid(text, body)?;
    let mut end = digit_run(text, digits_at);
    if end == digits_at {
        return None;
    }
    // 号, suffix, misplaced 号.
    let mut hao = false;
    if let Some(('号', at)) = next_solid(text, end) {
        end = at + '号'.len_utf8();
        hao = true;
    }
    if let Some(('-', at)) = next_solid(text, end) {
        let dash_len = text[at..].chars().next()?.len_utf8();
        if let Some((d, dat)) = next_solid(text, at + dash_len)
            && d.is_ascii_digit()
        {
            let mut e = dat;
            for c in text[dat..].chars() {
                if fold_char(c).is_ascii_digit() {
                    e += c.len_utf8();
                } else {
                    break;
                }
            }
            if let Some(c) = text[e..].chars().next() {
                let f = fold_char(c).to_ascii_uppercase();
                let after = text[e + c.len_utf8()..].chars().next().map(fold_char);
                if matches!(f, 'A' | 'X' | 'K') && !after.is_some_and(|a| a.is_ascii_alphanumeric()) {
                    e += c.len_utf8();
                }
            }
            end = e;
            if !hao && let Some(('号', at)) = next_solid(text, end) {
                end = at + '号'.len_utf8();
            }
        }
    }
    Some((start, end))
}

/// HTML reduced to visible text, with a map from text offsets back to input offsets.
struct Decoded<'a> {
    text: Cow<'a, str>,
    // Runs of text, in order: (text offset, input offset, input length of a replaced item or
    // 0 for a verbatim run).
    segments: Vec<(usize, usize, usize)>,
}

impl<'a> Decoded<'a> {
    fn new(input: &'a str) -> Decoded<'a> {
        let bytes = input.as_bytes();
        if memchr::memchr2(b'<', b'&', bytes).is_none() {
            return Decoded { text: Cow::Borrowed(input), segments: vec![(0, 0, 0)] };
        }
        let mut text = String::with_capacity(input.len());
        let mut segments = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let Some(rel) = memchr::memchr2(b'<', b'&', &bytes[i..]) else {
                segments.push((text.len(), i, 0));
                text.push_str(&input[i..]);
                break;
            };
            let at = i + rel;
            if at > i {
                segments.push((text.len(), i, 0));
                text.push_str(&input[i..at]);
            }
            let (replacement, consumed) =
                if bytes[at] == b'<' { skip_markup(input, at) } else { decode_entity(input, at) };
            match replacement {
                Some(c) => {
                    segments.push((text.len(), at, consumed));
                    text.push(c);
                    i = at + consumed;
                }
                None if consumed > 0 => i = at + consumed,
                None => {
                    // A lone `<` or `&`: keep it verbatim.
                    segments.push((text.len(), at, 0));
                    text.push(bytes[at] as char);
                    i = at + 1;
                }
            }
        }
        Decoded { text: Cow::Owned(text), segments }
    }

    fn segment(&self, t: usize) -> (usize, usize, usize) {
        let idx = self.segments.partition_point(|s| s.0 <= t).saturating_sub(1);
        self.segments[idx]
    }

    fn map_start(&self, t: usize) -> usize {
        let (ts, is, replaced) = self.segment(t);
        if replaced > 0 { is } else { is + (t - ts) }
    }

    fn map_end(&self, t: usize) -> usize {
        // The character ending at `t` starts at some offset < t; map that one and add its length.
        let (ts, is, replaced) = self.segment(t - 1);
        if replaced > 0 { is + replaced } else { is + (t - ts) }
    }
}

/// At a `<`: returns (marker, bytes consumed) for a tag, (None, n) for a comment or a script
/// or style element (dropped whole), (None, 0) when the `<` does not open markup.
fn skip_markup(input: &str, at: usize) -> (Option<char>, usize) {
    let rest = &input.as_bytes()[at..];
    let opens = rest.get(1).is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'));
    if !opens {
        return (None, 0);
    }
    if rest.starts_with(b"<!--") {
        let end = memmem::find(&rest[4..], b"-->").map_or(rest.len(), |e| e + 4 + 3);
        return (None, end);
    }
    let Some(end) = html_tag_end(rest) else { return (None, 0) };
    let close = end - 1;
    for element in [&b"script"[..], b"style"] {
        let name = &rest[1..rest.len().min(1 + element.len())];
        let boundary = rest.get(1 + element.len()).is_none_or(|b| !b.is_ascii_alphanumeric());
        if name.eq_ignore_ascii_case(element) && boundary {
            let mut closing = Vec::with_capacity(element.len() + 2);
            closing.extend_from_slice(b"</");
            closing.extend_from_slice(element);
            let end = crate::text::find_markup_ignore_case(&rest[close..], &closing)
                .and_then(|e| memchr::memchr(b'>', &rest[close + e..]).map(|g| close + e + g + 1))
                .unwrap_or(rest.len());
            return (None, end);
        }
    }
    (Some(TAG), close + 1)
}

/// The length of the tag at `b[0] == b'<'` through its `>`, or `None` when `b` holds no
/// complete tag. A quoted attribute value may contain `>` (`<span title="a>b">`).
pub fn html_tag_end(b: &[u8]) -> Option<usize> {
    let first = memchr::memchr(b'>', b)?;
    // The common case: no quote before the first `>`.
    if memchr::memchr2(b'"', b'\'', &b[..first]).is_none() {
        return Some(first + 1);
    }
    let mut quote: Option<u8> = None;
    let mut after_eq = false;
    for (i, &c) in b.iter().enumerate().skip(1) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'>' => return Some(i + 1),
                b'"' | b'\'' if after_eq => quote = Some(c),
                b'=' => {
                    after_eq = true;
                    continue;
                }
                c if c.is_ascii_whitespace() => continue,
                _ => {}
            },
        }
        after_eq = false;
    }
    None
}

/// At a `&`: decodes a numeric or common named entity to one character.
fn decode_entity(input: &str, at: usize) -> (Option<char>, usize) {
    let rest = &input[at..];
    let window = &rest.as_bytes()[..rest.len().min(16)];
    let Some(semi) = memchr::memchr(b';', window) else { return (None, 0) };
    // Entity names are ASCII; anything else means this `&` is just text.
    let Some(name) = rest.get(1..semi).filter(|n| n.is_ascii()) else { return (None, 0) };
    let c = if let Some(num) = name.strip_prefix('#') {
        let v = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse().ok(),
        };
        v.and_then(char::from_u32)
    } else {
        match name {
            "nbsp" | "ensp" | "emsp" | "thinsp" => Some(' '),
            "ndash" | "mdash" | "minus" | "hyphen" => Some('-'),
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "copy" => Some('©'),
            "zwsp" | "ZeroWidthSpace" => Some('\u{200B}'),
            _ => None,
        }
    };
    match c {
        Some(c) => (Some(c), semi + 1),
        None => (None, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::{Deviation, NumberKind};

    fn found(input: &str) -> Vec<(String, usize, String)> {
        extract(input)
            .into_iter()
            .filter_map(|e| e.result.ok().map(|p| (e.text.to_owned(), e.start, p.number.to_string())))
            .collect()
    }

    #[test]
    fn finds_every_kind_in_order_with_offsets() {
        let page = "© 2024 阿里云 版权所有 浙B2-20080101-4 <a href=\"https://beian.miit.gov.cn/\">浙ICP备12022327号-80</a> \
                    <img src=\"/b.png\">浙公网安备 33010602009975号 京ICP证030173号";
        let got = found(page);
        let normalized: Vec<&str> = got.iter().map(|g| g.2.as_str()).collect();
        assert_eq!(
            normalized,
            ["浙B2-20080101-4", "浙ICP备12022327号-80", "浙公网安备33010602009975号", "京ICP证030173号"]
        );
        for (text, offset, _) in &got {
            assert_eq!(&page[*offset..offset + text.len()], text);
        }
        assert_eq!(got[1].0, "浙ICP备12022327号-80");
        assert_eq!(got[2].0, "浙公网安备 33010602009975号");
    }

    #[test]
    fn tags_and_entities_between_parts() {
        let got = found("<p>京ICP备<span>16020626</span>号-8</p>");
        assert_eq!(got[0].2, "京ICP备16020626号-8");
        assert_eq!(got[0].0, "京ICP备<span>16020626</span>号-8");
        let got = found("京&nbsp;ICP&#22791;16020626&#21495;");
        assert_eq!(got[0].2, "京ICP备16020626号");
        assert_eq!(got[0].1, 0);
        // A tag right after the suffix ends the number: `-1</a>2024` is not `-12024`.
        let got = found("<a>京ICP备16020626号-1</a>2024");
        assert_eq!(got[0].2, "京ICP备16020626号-1");
    }

    #[test]
    fn script_style_and_comments_are_not_static_text() {
        assert!(found("<script>document.write('京ICP备16020626号')</script>").is_empty());
        assert!(found("<STYLE>/* 京ICP备16020626号 */</STYLE>").is_empty());
        assert!(found("<!-- 京ICP备16020626号 -->").is_empty());
        assert_eq!(found("<script>x</script><p>京ICP备16020626号</p>").len(), 1);
    }

    #[test]
    fn no_false_hits_on_other_licences_and_phones() {
        let text = "京网文〔2020〕1039-165号 互联网新闻信息服务许可证：11120180002 网络文化经营许可证 \
                    浙D3-20210002 客服热线 95187 4008013260 电话 010-62345678 ICP备案查询 准备中 证明材料 AB2-123";
        assert!(extract(text).is_empty(), "{:?}", extract(text));
    }

    #[test]
    fn wrong_numbers_are_candidates_with_errors() {
        let e = extract("页脚：川ICP备12345678号 港ICP备12345678号 粤ICP备2022xxxxxx号");
        let codes: Vec<_> = e.iter().map(|x| x.result.as_ref().unwrap_err().clone()).collect();
        assert!(matches!(codes[0], NumberError::PrefixWrong { found: '川', .. }));
        assert!(matches!(codes[1], NumberError::PrefixNotFilingRegion { found: '港' }));
        assert_eq!(codes[2], NumberError::Placeholder);
    }

    #[test]
    fn reports_missing_hao_in_footers() {
        let e = extract("备案号：京ICP备16020626 ");
        let p = e[0].result.as_ref().unwrap();
        assert!(p.deviations.contains(&Deviation::MissingHao));
        assert_eq!(p.number.kind(), NumberKind::IcpFiling);
    }

    #[test]
    fn never_panics_on_arbitrary_markup() {
        for s in [
            "<",
            "&",
            "&#;",
            "&#x110000;",
            "<script",
            "<!--",
            "备",
            "B2-",
            "ICP备",
            "<a>备</a>",
            "京ICP备1号-",
        ] {
            let _ = extract(s);
        }
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn embedded_numbers_are_found_at_their_offset(
            before in "[a-z <>/=\"]{0,30}",
            after in "[ a-z<>/]{0,30}",
            serial in "[1-9][0-9]{7}",
            seq in 1u32..50,
        ) {
            let number = format!("浙ICP备{serial}号-{seq}");
            // Keep the surrounding text from gluing onto the number.
            let page = format!("{before}<p>{number}</p>{after}");
            let found: Vec<_> = extract(&page).into_iter().filter(|e| e.result.is_ok()).collect();
            prop_assert_eq!(found.len(), 1);
            prop_assert_eq!(found[0].text, number.as_str());
            prop_assert_eq!(&page[found[0].start..found[0].end], number.as_str());
        }

        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            for e in extract(&s) {
                prop_assert!(e.start <= e.end && e.end <= s.len());
            }
        }
    }
}
