//! Reads a home page as it streams in: decodes each chunk, feeds it to lol_html, and keeps
//! only what a footer check needs — the visible text (node boundaries marked so a number's
//! digits never join across elements), the links with the stretch of text they cover and
//! whether they hold an image, whether scripts mention a filing number, and a meta refresh.
//! Memory is the page's visible text, not its markup; this module never fetches anything.

use std::sync::{Arc, Mutex, PoisonError};

use encoding_rs::{CoderResult, Decoder, Encoding};
use lol_html::html_content::TextType;
use lol_html::send::{HtmlRewriter, Settings};
use lol_html::{MemorySettings, doc_text, element, end_tag};

/// Marks a text-node boundary: filler between the parts of a number, never inside digits.
/// The core extractor treats it like a removed tag.
pub const BOUNDARY: char = beian_core::number::NODE_BOUNDARY;

/// Words in script text that mean the footer is written by JavaScript.
const SCRIPT_HINTS: [&str; 5] = ["ICP备", "公网安备", "beian.miit.gov.cn", "beian.mps.gov.cn", "ICP\\u5907"];
const SCRIPT_TAIL: usize = 24;
const TITLE_MAX: usize = 200;

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
    /// The parser gave up (memory limit on a pathological tag); the text is what came before.
    pub parse_error: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    page: PageText,
    open: Vec<usize>,
    script_tail: String,
}

fn lock(s: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

type Sink = fn(&[u8]);

fn discard(_: &[u8]) {}

/// A streaming reader for one page in one encoding.
pub struct PageReader {
    decoder: Decoder,
    utf8: String,
    rewriter: Option<HtmlRewriter<'static, Sink>>,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for PageReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageReader")
            .field("encoding", &self.decoder.encoding().name())
            .finish_non_exhaustive()
    }
}

impl PageReader {
    pub fn new(encoding: &'static Encoding) -> PageReader {
        let state = Arc::new(Mutex::new(State::default()));
        let (s_text, s_link, s_img) = (state.clone(), state.clone(), state.clone());
        let (s_meta, s_script) = (state.clone(), state.clone());
        let handlers = vec![
            element!("a[href]", move |el| {
                let href = el.get_attribute("href").unwrap_or_default();
                let idx = {
                    let mut st = lock(&s_link);
                    let start = st.page.text.len();
                    st.page.links.push(Link { href, start, end: start, image: None });
                    let idx = st.page.links.len() - 1;
                    st.open.push(idx);
                    idx
                };
                let s_end = s_link.clone();
                if let Some(handlers) = el.end_tag_handlers() {
                    handlers.push(end_tag!(move |_| {
                        let mut st = lock(&s_end);
                        let end = st.page.text.len();
                        st.page.links[idx].end = end;
                        st.open.retain(|&i| i != idx);
                        Ok(())
                    }));
                }
                Ok(())
            }),
            element!("img[src]", move |el| {
                let mut st = lock(&s_img);
                if let Some(&top) = st.open.last()
                    && st.page.links[top].image.is_none()
                {
                    st.page.links[top].image = el.get_attribute("src");
                }
                Ok(())
            }),
            element!("meta[http-equiv][content]", move |el| {
                let equiv = el.get_attribute("http-equiv").unwrap_or_default();
                if equiv.trim().eq_ignore_ascii_case("refresh") {
                    let content = el.get_attribute("content").unwrap_or_default();
                    lock(&s_meta).page.meta_refresh = refresh_target(&content);
                }
                Ok(())
            }),
            element!("script", move |_| {
                lock(&s_script).page.scripts += 1;
                Ok(())
            }),
        ];
        let text_handler = doc_text!(move |t| {
            let mut st = lock(&s_text);
            match t.text_type() {
                TextType::Data | TextType::CDataSection | TextType::PlainText => {
                    st.page.text.push_str(t.as_str());
                    if t.last_in_text_node() {
                        st.page.text.push(BOUNDARY);
                    }
                }
                TextType::RCData => {
                    if st.page.title.len() < TITLE_MAX {
                        let room = TITLE_MAX - st.page.title.len();
                        let piece = truncate(t.as_str(), room);
                        st.page.title.push_str(piece);
                    }
                }
                TextType::ScriptData => {
                    if !st.page.script_mentions_number {
                        let window = format!("{}{}", st.script_tail, t.as_str());
                        if SCRIPT_HINTS.iter().any(|h| window.contains(h)) {
                            st.page.script_mentions_number = true;
                        }
                        st.script_tail = tail(&window, SCRIPT_TAIL).to_owned();
                    }
                }
                TextType::RawText => {}
            }
            Ok(())
        });
        let mut settings = Settings::new_send()
            .append_document_content_handler(text_handler)
            .with_memory_settings(MemorySettings::new().with_max_allowed_memory_usage(8 << 20));
        for h in handlers {
            settings = settings.append_element_content_handler(h);
        }
        let rewriter = HtmlRewriter::new(settings, discard as Sink);
        PageReader {
            decoder: encoding.new_decoder_with_bom_removal(),
            utf8: String::new(),
            rewriter: Some(rewriter),
            state,
        }
    }

    /// Feeds the next bytes of the body.
    pub fn write(&mut self, bytes: &[u8]) {
        self.decode(bytes, false);
    }

    fn decode(&mut self, mut bytes: &[u8], last: bool) {
        loop {
            self.utf8.clear();
            self.utf8.reserve(
                self.decoder.max_utf8_buffer_length(bytes.len()).unwrap_or(bytes.len() * 3).min(64 << 10),
            );
            let (result, read, _) = self.decoder.decode_to_string(bytes, &mut self.utf8, last);
            self.feed();
            bytes = &bytes[read..];
            if result == CoderResult::InputEmpty {
                break;
            }
        }
    }

    fn feed(&mut self) {
        let Some(rw) = self.rewriter.as_mut() else { return };
        if let Err(e) = rw.write(self.utf8.as_bytes()) {
            lock(&self.state).page.parse_error = Some(e.to_string());
            self.rewriter = None;
        }
    }

    /// Ends the body and returns what was read.
    pub fn finish(mut self) -> PageText {
        self.decode(&[], true);
        if let Some(rw) = self.rewriter.take()
            && let Err(e) = rw.end()
        {
            lock(&self.state).page.parse_error = Some(e.to_string());
        }
        let mut st = lock(&self.state);
        // An `<a>` never closed covers the rest of the page, as in a browser.
        let end = st.page.text.len();
        for idx in std::mem::take(&mut st.open) {
            st.page.links[idx].end = end;
        }
        std::mem::take(&mut st.page)
    }
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
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
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
}
