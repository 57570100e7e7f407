//! Reads a home page as it streams in: decodes each chunk and tokenizes it, keeping only
//! what a footer check needs — the visible text (node boundaries marked so a number's digits
//! never join across elements), the links with the stretch of text they cover and whether
//! they hold an image, whether scripts mention a filing number, the title and a meta refresh.
//!
//! The tokenizer is our own, not an HTML rewriter: it only has to find tags, comments and
//! raw-text elements (script, style, title, textarea), and a rewriter that serializes what
//! it reads cost 120 µs per 20 KB page, more than the fetch. It holds at most one incomplete
//! tag between chunks (bounded), so memory is the page's visible text, not its markup.
//! This module never fetches anything.

use encoding_rs::{CoderResult, Decoder, Encoding};

/// Marks a text-node boundary: filler between the parts of a number, never inside digits.
/// The core extractor treats it like a removed tag.
pub const BOUNDARY: char = beian_core::number::NODE_BOUNDARY;

/// Words in script text that mean the footer is written by JavaScript.
const SCRIPT_HINTS: [&str; 5] = ["ICP备", "公网安备", "beian.miit.gov.cn", "beian.mps.gov.cn", "ICP\\u5907"];
const SCRIPT_TAIL: usize = 24;

/// Whether a script's text mentions a filing number or link (it may write the footer).
pub fn mentions_number(script: &str) -> bool {
    SCRIPT_HINTS.iter().any(|h| script.contains(h))
}
const TITLE_MAX: usize = 200;
/// A tag longer than this is not a tag a browser would wait for: it is read as text.
const MAX_TAG: usize = 64 << 10;
/// Frames and external scripts remembered per page.
pub const MAX_REFS: usize = 8;
/// Elements that never have content, so never open a hidden stretch.
const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    "param",
];

/// A link on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    /// Byte range in [`PageText::text`] the link's content covers.
    pub start: usize,
    pub end: usize,
    /// The `src` of the first image inside the link (the PSB badge).
    pub image: Option<String>,
}

/// What the footer check reads of a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageText {
    /// Visible text as in the source (entities not yet decoded), [`BOUNDARY`] between nodes.
    pub text: String,
    pub links: Vec<Link>,
    pub title: String,
    pub scripts: usize,
    /// A script's text mentions a filing number or link.
    pub script_mentions_number: bool,
    /// The target of `<meta http-equiv="refresh" content="…;url=…">`.
    pub meta_refresh: Option<String>,
    /// `src` of the page's iframes, in order (at most [`MAX_REFS`]).
    pub frames: Vec<String>,
    /// `src` of the page's external scripts, in order (at most [`MAX_REFS`]).
    pub script_srcs: Vec<String>,
}

impl PageText {
    /// Appends another document's text and links (a frame's), after a boundary.
    pub fn append(&mut self, other: PageText) {
        self.text.push(BOUNDARY);
        let offset = self.text.len();
        self.text.push_str(&other.text);
        self.links.extend(other.links.into_iter().map(|l| Link {
            start: l.start + offset,
            end: l.end + offset,
            ..l
        }));
        self.script_mentions_number |= other.script_mentions_number;
    }
}

/// Where the tokenizer is between chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Data,
    Comment,
    /// Inside an element whose content is raw text, until its end tag.
    Raw(RawKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RawKind {
    Script,
    Style,
    Title,
    Textarea,
}

impl RawKind {
    fn of(name: &str) -> Option<RawKind> {
        [RawKind::Script, RawKind::Style, RawKind::Title, RawKind::Textarea]
            .into_iter()
            .find(|k| k.end_tag()[2..].eq_ignore_ascii_case(name))
    }

    fn end_tag(self) -> &'static str {
        match self {
            RawKind::Script => "</script",
            RawKind::Style => "</style",
            RawKind::Title => "</title",
            RawKind::Textarea => "</textarea",
        }
    }
}

/// A streaming reader for one page in one encoding.
#[derive(Debug)]
pub struct PageReader {
    decoder: Decoder,
    /// Decoded input not yet consumed (an incomplete tag or end-tag prefix).
    pending: String,
    mode: Mode,
    page: PageText,
    open: Vec<usize>,
    script_tail: String,
    /// Inside an element a visitor does not see (`hidden`, `display:none`, `<template>`): its
    /// name and how deeply it nests in itself. Its text and links are not the page's.
    hidden: Option<(String, u32)>,
}

impl PageReader {
    pub fn new(encoding: &'static Encoding) -> PageReader {
        PageReader {
            decoder: encoding.new_decoder_with_bom_removal(),
            pending: String::new(),
            mode: Mode::Data,
            page: PageText::default(),
            open: Vec::new(),
            script_tail: String::new(),
            hidden: None,
        }
    }

    /// Feeds the next bytes of the body.
    pub fn write(&mut self, bytes: &[u8]) {
        self.decode(bytes, false);
    }

    fn decode(&mut self, mut bytes: &[u8], last: bool) {
        loop {
            let want = self.decoder.max_utf8_buffer_length(bytes.len()).unwrap_or(bytes.len() * 3);
            self.pending.reserve(want.min(256 << 10));
            let (result, read, _) = self.decoder.decode_to_string(bytes, &mut self.pending, last);
            bytes = &bytes[read..];
            self.consume(last && bytes.is_empty() && result == CoderResult::InputEmpty);
            if result == CoderResult::InputEmpty {
                break;
            }
        }
    }

    /// Ends the body and returns what was read.
    pub fn finish(mut self) -> PageText {
        self.decode(&[], true);
        // An `<a>` never closed covers the rest of the page, as in a browser.
        let end = self.page.text.len();
        for idx in std::mem::take(&mut self.open) {
            self.page.links[idx].end = end;
        }
        self.page
    }

    /// Tokenizes as much of `pending` as is complete; at the end of input, everything.
    fn consume(&mut self, at_end: bool) {
        let buf = std::mem::take(&mut self.pending);
        let mut i = 0;
        let bytes = buf.as_bytes();
        while i < bytes.len() {
            match self.mode {
                Mode::Data => {
                    let Some(rel) = memchr::memchr(b'<', &bytes[i..]) else {
                        self.text(&buf[i..]);
                        i = bytes.len();
                        break;
                    };
                    let lt = i + rel;
                    self.text(&buf[i..lt]);
                    match self.markup(&buf[lt..], at_end) {
                        Step::Consumed(n) => i = lt + n,
                        Step::NeedMore => {
                            i = lt;
                            break;
                        }
                    }
                }
                Mode::Comment => match memchr::memmem::find(&bytes[i..], b"-->") {
                    Some(rel) => {
                        i += rel + 3;
                        self.mode = Mode::Data;
                    }
                    None => {
                        // Keep two bytes in case `-->` straddles the chunks.
                        i = buf.floor_char_boundary(bytes.len().saturating_sub(2).max(i));
                        if at_end {
                            i = bytes.len();
                        }
                        break;
                    }
                },
                Mode::Raw(kind) => {
                    let end_tag = kind.end_tag();
                    match beian_core::text::find_markup_ignore_case(&bytes[i..], end_tag.as_bytes()) {
                        Some(rel) => {
                            self.raw_text(kind, &buf[i..i + rel]);
                            self.mode = Mode::Data;
                            i += rel;
                        }
                        None => {
                            let keep = if at_end { 0 } else { end_tag.len() };
                            let upto = buf.floor_char_boundary(bytes.len().saturating_sub(keep).max(i));
                            self.raw_text(kind, &buf[i..upto]);
                            i = upto;
                            break;
                        }
                    }
                }
            }
        }
        if i < buf.len() {
            self.pending.push_str(&buf[i..]);
        }
    }

    /// Text a visitor sees, unless inside a hidden element.
    fn text(&mut self, t: &str) {
        if self.hidden.is_none() {
            self.page.text.push_str(t);
        }
    }

    /// Tracks hidden stretches: returns whether this tag is inside one (or opens one).
    fn hidden_at(&mut self, name: &str, attrs: &str, closing: bool) -> bool {
        if let Some((hidden, depth)) = &mut self.hidden {
            if hidden.eq_ignore_ascii_case(name) {
                if closing {
                    *depth -= 1;
                } else if !attrs.trim_end().ends_with('/') {
                    *depth += 1;
                }
                if *depth == 0 {
                    self.hidden = None;
                }
            }
            return true;
        }
        if closing || VOID.iter().any(|v| v.eq_ignore_ascii_case(name)) || RawKind::of(name).is_some() {
            return false;
        }
        if name.eq_ignore_ascii_case("template") || hides(attrs) {
            self.hidden = Some((name.to_owned(), 1));
            return true;
        }
        false
    }

    /// One marker per tag, never merged: the core extractor allows a bounded run of filler
    /// between the parts of a number and counts each tag of the markup as one, so the reader
    /// must count the same way to find exactly what the extractor finds in the markup.
    fn boundary(&mut self) {
        self.page.text.push(BOUNDARY);
    }

    fn raw_text(&mut self, kind: RawKind, text: &str) {
        match kind {
            RawKind::Script if !self.page.script_mentions_number => {
                let window = format!("{}{}", self.script_tail, text);
                if mentions_number(&window) {
                    self.page.script_mentions_number = true;
                }
                self.script_tail = tail(&window, SCRIPT_TAIL).to_owned();
            }
            RawKind::Title if self.page.title.len() < TITLE_MAX => {
                let room = TITLE_MAX - self.page.title.len();
                self.page.title.push_str(truncate(text, room));
            }
            _ => {}
        }
    }

    /// At a `<`: a comment, a tag, a declaration, or a plain `<`.
    fn markup(&mut self, s: &str, at_end: bool) -> Step {
        let b = s.as_bytes();
        let Some(&next) = b.get(1) else {
            return if at_end { self.literal_lt() } else { Step::NeedMore };
        };
        if next == b'!' {
            if b.len() < 4 && !at_end {
                return Step::NeedMore;
            }
            if b.starts_with(b"<!--") {
                self.mode = Mode::Comment;
                return Step::Consumed(4);
            }
        } else if !(next.is_ascii_alphabetic() || next == b'/' || next == b'?') {
            return self.literal_lt();
        }
        let Some(end) = beian_core::number::html_tag_end(b) else {
            if at_end || b.len() > MAX_TAG {
                return self.literal_lt();
            }
            return Step::NeedMore;
        };
        self.tag(&s[..end]);
        Step::Consumed(end)
    }

    fn literal_lt(&mut self) -> Step {
        self.page.text.push('<');
        Step::Consumed(1)
    }

    /// A complete tag `<…>`.
    fn tag(&mut self, tag: &str) {
        let closing = tag.as_bytes().get(1) == Some(&b'/');
        let body = &tag[if closing { 2 } else { 1 }..tag.len() - 1];
        let name_end =
            body.find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>').unwrap_or(body.len());
        let name = &body[..name_end];
        let attrs = &body[name_end..];
        // Scripts and styles vanish without a trace, as comments do: what is around them
        // reads as one run of text, as on screen (and as the core extractor reads markup).
        if !matches!(RawKind::of(name), Some(RawKind::Script | RawKind::Style)) {
            self.boundary();
        }
        let hidden = self.hidden_at(name, attrs, closing);
        if closing {
            if !hidden
                && name.eq_ignore_ascii_case("a")
                && let Some(idx) = self.open.pop()
            {
                self.page.links[idx].end = self.page.text.len();
            }
            return;
        }
        if let Some(kind) = RawKind::of(name) {
            // HTML ignores the self-closing flag on these elements: `<script/>` still opens one.
            if kind == RawKind::Script {
                self.page.scripts += 1;
                if let Some(src) = attr(attrs, "src").filter(|s| !s.trim().is_empty())
                    && self.page.script_srcs.len() < MAX_REFS
                {
                    self.page.script_srcs.push(src.trim().to_owned());
                }
            }
            self.mode = Mode::Raw(kind);
            return;
        }
        if hidden {
            return;
        }
        if name.eq_ignore_ascii_case("iframe") || name.eq_ignore_ascii_case("frame") {
            if let Some(src) = attr(attrs, "src").filter(|s| !s.trim().is_empty())
                && self.page.frames.len() < MAX_REFS
            {
                self.page.frames.push(src.trim().to_owned());
            }
        } else if name.eq_ignore_ascii_case("a") {
            if let Some(href) = attr(attrs, "href") {
                let start = self.page.text.len();
                self.page.links.push(Link { href, start, end: start, image: None });
                self.open.push(self.page.links.len() - 1);
            }
        } else if name.eq_ignore_ascii_case("img") {
            if let Some(&top) = self.open.last()
                && self.page.links[top].image.is_none()
            {
                self.page.links[top].image = attr(attrs, "src");
            }
        } else if name.eq_ignore_ascii_case("meta")
            && attr(attrs, "http-equiv").is_some_and(|v| v.trim().eq_ignore_ascii_case("refresh"))
        {
            self.page.meta_refresh = attr(attrs, "content").and_then(|c| refresh_target(&c));
        }
    }
}

enum Step {
    Consumed(usize),
    NeedMore,
}

/// The value of attribute `name` (ASCII, case-insensitive) in a tag's attribute text,
/// with the common entities decoded.
fn attr(attrs: &str, name: &str) -> Option<String> {
    let b = attrs.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !(b[i].is_ascii_whitespace() || matches!(b[i], b'=' | b'/' | b'>')) {
            i += 1;
        }
        let key = &attrs[start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = None;
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let (vs, ve) = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let vs = i + 1;
                    let ve = memchr::memchr(q, &b[vs..]).map_or(b.len(), |e| vs + e);
                    i = (ve + 1).min(b.len());
                    (vs, ve)
                }
                _ => {
                    let vs = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    (vs, i)
                }
            };
            value = Some(&attrs[vs..ve]);
        }
        if key.is_empty() {
            i += 1;
            continue;
        }
        if key.eq_ignore_ascii_case(name) {
            return Some(unescape(value.unwrap_or("")));
        }
    }
    None
}

/// Whether a start tag's attributes hide it from visitors: `hidden`, or an inline style with
/// `display: none` or `visibility: hidden`. (Stylesheets and classes are not read.)
fn hides(attrs: &str) -> bool {
    if attr(attrs, "hidden").is_some() {
        return true;
    }
    attr(attrs, "style").is_some_and(|style| {
        let compact: String =
            style.chars().filter(|c| !c.is_ascii_whitespace()).map(|c| c.to_ascii_lowercase()).collect();
        compact.contains("display:none") || compact.contains("visibility:hidden")
    })
}

fn unescape(v: &str) -> String {
    if !v.contains('&') {
        return v.to_owned();
    }
    v.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The URL in a refresh `content` such as `0; url='/home'`.
fn refresh_target(content: &str) -> Option<String> {
    let lower = content.to_ascii_lowercase();
    let at = lower.find("url")?;
    let rest = content[at + 3..].trim_start();
    let rest = rest.strip_prefix('=')?.trim();
    let url = rest.trim_matches(|c| c == '\'' || c == '"').trim();
    (!url.is_empty()).then(|| url.to_owned())
}

fn truncate(s: &str, max: usize) -> &str {
    &s[..s.floor_char_boundary(max.min(s.len()))]
}

fn tail(s: &str, max: usize) -> &str {
    &s[s.ceil_char_boundary(s.len().saturating_sub(max))..]
}

/// Reads a whole body at once (tests, and bodies that declared no encoding).
pub fn read_all(encoding: &'static Encoding, body: &[u8]) -> PageText {
    let mut r = PageReader::new(encoding);
    r.write(body);
    r.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{GBK, UTF_8};

    fn covered<'a>(p: &'a PageText, l: &Link) -> &'a str {
        &p.text[l.start..l.end]
    }

    #[test]
    fn links_cover_their_text_and_hold_their_badge() {
        let p = read_all(
            UTF_8,
            "<p>© 2026 某公司</p><a href=\"https://beian.miit.gov.cn/\">京ICP备<b>16020626</b>号-8</a>\
             <a href=\"https://beian.mps.gov.cn/#/query/webSearch?code=11010502030143\"><img src=\"/ga.png\">京公网安备11010502030143号</a>"
                .as_bytes(),
        );
        assert_eq!(p.links.len(), 2);
        assert_eq!(covered(&p, &p.links[0]).replace(BOUNDARY, ""), "京ICP备16020626号-8");
        assert_eq!(p.links[1].image.as_deref(), Some("/ga.png"));
        assert!(covered(&p, &p.links[1]).contains("11010502030143"));
    }

    #[test]
    fn what_a_visitor_does_not_see_is_not_the_pages_text() {
        let numbers = |html: &str| {
            let p = read_all(UTF_8, html.as_bytes());
            beian_core::number::extract(&p.text).into_iter().filter(|e| e.result.is_ok()).count()
        };
        for hidden in [
            "<div style=\"display: none\">京ICP备16020626号-8</div>",
            "<div style=\"color:red;DISPLAY:NONE\"><p>京ICP备16020626号-8</p></div>",
            "<p style='visibility : hidden'>京ICP备16020626号-8</p>",
            "<div hidden><div><div>x</div></div>京ICP备16020626号-8</div>",
            "<template><a href=\"https://beian.miit.gov.cn/\">京ICP备16020626号-8</a></template>",
            "<!-- <a href=\"https://beian.miit.gov.cn/\">京ICP备16020626号-8</a> -->",
        ] {
            assert_eq!(numbers(hidden), 0, "{hidden}");
            // What follows the hidden element is seen again.
            assert_eq!(numbers(&format!("{hidden}<p>京ICP备16020626号-9</p>")), 1, "{hidden}");
        }
        let p = read_all(UTF_8, b"<div hidden><a href=\"https://beian.miit.gov.cn/\">x</a></div><img hidden src=a.png><p>seen</p>");
        assert!(p.links.is_empty() && p.text.contains("seen"));
        // A hidden element's script still ends where it ends.
        let p = read_all(UTF_8, b"<div hidden><script>var s = '</div>';</script></div><p>seen</p>");
        assert!(p.text.contains("seen"));
    }

    #[test]
    fn frames_and_external_scripts_are_remembered() {
        let p = read_all(
            UTF_8,
            b"<script src=\"/js/footer.js\"></script><script>var x;</script><iframe src=\"/footer.html\"></iframe><frame src=f2.html>",
        );
        assert_eq!(p.script_srcs, ["/js/footer.js"]);
        assert_eq!(p.frames, ["/footer.html", "f2.html"]);
        assert!(mentions_number("document.write('<a href=\"https://beian.miit.gov.cn/\">')"));
        assert!(!mentions_number("var analytics = 1;"));
    }

    #[test]
    fn scripts_and_styles_are_not_text_but_a_script_footer_is_noticed() {
        let p = read_all(
            UTF_8,
            b"<style>.x{}</style><script>document.write('\xe4\xba\xacICP\xe5\xa4\x8716020626\xe5\x8f\xb7')</script><p>hi</p>",
        );
        assert!(!p.text.contains("ICP"));
        assert!(p.script_mentions_number);
        assert_eq!(p.scripts, 1);
    }

    #[test]
    fn chunks_split_anywhere_give_the_same_page() {
        let html = "<html><head><title>某公司官网</title><meta http-equiv=\"refresh\" content=\"5; URL='/new'\"></head>\
                    <body><footer><a href=\"http://beian.miit.gov.cn\">粤ICP备&nbsp;2026000001号</a>\
                    <script>var a='beian.miit.gov.cn';</script></footer></body></html>";
        let (gbk, _, _) = GBK.encode(html);
        let whole = read_all(GBK, &gbk);
        assert_eq!(whole.title, "某公司官网");
        assert_eq!(whole.meta_refresh.as_deref(), Some("/new"));
        for size in [1, 2, 3, 7, 64] {
            let mut r = PageReader::new(GBK);
            for c in gbk.chunks(size) {
                r.write(c);
            }
            assert_eq!(r.finish(), whole, "chunk size {size}");
        }
    }

    #[test]
    fn an_unclosed_link_covers_the_rest() {
        let p = read_all(
            UTF_8,
            b"<a href=\"https://beian.miit.gov.cn/\">\xe4\xba\xacICP\xe5\xa4\x8716020626\xe5\x8f\xb7",
        );
        assert_eq!(p.links[0].end, p.text.len());
    }

    proptest::proptest! {
        /// However a page is cut into chunks, the reader sees the same page, and finds the
        /// same numbers the core extractor finds in the whole markup.
        #[test]
        fn chunking_never_changes_what_is_read(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "<p>", "</p>", "<a href=\"https://beian.miit.gov.cn/\">", "</a>", "<!-- 京ICP备1号 -->",
                "<script>var s = '</p>';</script>", "<span title=\"a>b\">", "京ICP备", "16020626", "号",
                "-8", "&nbsp;", "&#21495;", "浙公网安备", "33010602009975", " ", "<br/>", "© 某公司",
                "a < b", "<style>p{}</style>",
            ]), 0..40),
            cuts in proptest::collection::vec(1usize..64, 1..8),
        ) {
            let html: String = parts.concat();
            let whole = read_all(UTF_8, html.as_bytes());
            let mut r = PageReader::new(UTF_8);
            let (mut at, mut k) = (0, 0);
            while at < html.len() {
                let end = (at + cuts[k % cuts.len()]).min(html.len());
                r.write(&html.as_bytes()[at..end]);
                at = end;
                k += 1;
            }
            proptest::prop_assert_eq!(&r.finish(), &whole);
            let ours: Vec<String> = beian_core::number::extract(&whole.text)
                .into_iter().filter_map(|e| e.result.ok()).map(|p| p.number.to_string()).collect();
            let core: Vec<String> = beian_core::number::extract(&html)
                .into_iter().filter_map(|e| e.result.ok()).map(|p| p.number.to_string()).collect();
            proptest::prop_assert_eq!(ours, core);
        }
    }
}
