//! A whole XML document as a small tree of elements, decoded from GBK or UTF-8.
//!
//! The interface's files are small enough (≤ 50 MB, usually far less) to read whole, and a
//! tree lets the typed readers check occurrence and order with plain loops. The build script
//! includes this file too (`#[path]`), to read the XSDs themselves, so it depends only on
//! `quick-xml` and `encoding_rs` and must never use anything else of the crate.

use std::borrow::Cow;

use quick_xml::events::Event;

/// One element: its local name, attributes, the text directly inside it, and its child
/// elements in document order. Names and text borrow from the document's text where they
/// can: a file of 1,000 filings has some 70,000 elements, and allocating each name and text
/// was most of the time it took to read one.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Node<'a> {
    pub name: Cow<'a, str>,
    pub attrs: Vec<(String, String)>,
    pub text: Cow<'a, str>,
    pub children: Vec<Node<'a>>,
}

impl std::fmt::Debug for Node<'_> {
    // The text may be personal data (a certificate number, a phone): names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("name", &self.name).field("children", &self.children.len()).finish()
    }
}

impl<'a> Node<'a> {
    /// The value of attribute `name` (by local name), if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Node<'a>> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Why a document could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeError {
    /// The declared encoding is not one this interface uses (GBK, GB2312, GB18030, UTF-8).
    UnknownEncoding(String),
    /// The bytes are not valid in the declared encoding.
    BadBytes,
    /// Not well-formed XML, with quick-xml's reason and the byte offset.
    Syntax(String),
    /// No root element, or something after it.
    NoRoot,
}

impl std::fmt::Display for TreeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TreeError::UnknownEncoding(e) => write!(f, "unsupported encoding {e:?}"),
            TreeError::BadBytes => f.write_str("bytes not valid in the declared encoding"),
            TreeError::Syntax(why) => write!(f, "not well-formed XML: {why}"),
            TreeError::NoRoot => f.write_str("no single root element"),
        }
    }
}

/// The encoding a document declares (`<?xml … encoding="…"?>`), lower-cased; UTF-8 when it
/// declares none or starts with a UTF-8 byte-order mark.
pub fn declared_encoding(bytes: &[u8]) -> String {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return "utf-8".into();
    }
    let head = &bytes[..bytes.len().min(256)];
    let Some(end) = head.windows(2).position(|w| w == b"?>") else { return "utf-8".into() };
    let decl = String::from_utf8_lossy(&head[..end]);
    if !decl.trim_start().starts_with("<?xml") {
        return "utf-8".into();
    }
    let Some(at) = decl.find("encoding") else { return "utf-8".into() };
    let rest = decl[at + "encoding".len()..].trim_start().trim_start_matches('=').trim_start();
    let quote = rest.chars().next().unwrap_or('"');
    rest.trim_start_matches(quote).split(quote).next().unwrap_or("utf-8").trim().to_ascii_lowercase()
}

/// Decodes a document to text by its declared encoding: GBK and GB2312 are read as GB18030
/// (their superset), anything declaring UTF-8 (or nothing) as UTF-8.
pub fn decode(bytes: &[u8]) -> Result<String, TreeError> {
    let enc = declared_encoding(bytes);
    match enc.as_str() {
        "gbk" | "gb2312" | "gb18030" | "cp936" => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                return Err(TreeError::BadBytes);
            }
            Ok(text.into_owned())
        }
        "utf-8" | "utf8" => {
            let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
            String::from_utf8(bytes.to_vec()).map_err(|_| TreeError::BadBytes)
        }
        other => Err(TreeError::UnknownEncoding(other.to_owned())),
    }
}

/// Reads a document that is already text (see [`decode`]) into its root element.
pub fn parse_str(text: &str) -> Result<Node<'_>, TreeError> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let syntax = |e: &dyn std::fmt::Display, at: u64| TreeError::Syntax(format!("{e} at byte {at}"));
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| syntax(&e, at))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() && stack.is_empty() => {
                return Err(TreeError::NoRoot);
            }
            Event::Start(e) => stack.push(element(text, at, e).map_err(|e| syntax(&e, at))?),
            Event::Empty(e) => {
                let node = element(text, at, e).map_err(|e| syntax(&e, at))?;
                close(&mut stack, &mut root, node);
            }
            Event::End(_) => {
                let node = stack.pop().ok_or(TreeError::NoRoot)?;
                close(&mut stack, &mut root, node);
            }
            Event::Text(t) => {
                let t = t.decode().map_err(|e| syntax(&e, at))?;
                if let Some(top) = stack.last_mut() {
                    append(&mut top.text, t);
                } else if !t.trim().is_empty() {
                    return Err(TreeError::Syntax(format!("text outside the root element at byte {at}")));
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    append(&mut top.text, t.decode().map_err(|e| syntax(&e, at))?);
                }
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref().map_err(|e| syntax(&e, at))? {
                    Some(c) => c,
                    None => match r.decode().map_err(|e| syntax(&e, at))?.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err(TreeError::Syntax(format!("unknown entity &{other}; at byte {at}")));
                        }
                    },
                };
                if let Some(top) = stack.last_mut() {
                    top.text.to_mut().push(ch);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(TreeError::Syntax("unclosed element at the end of the document".into()));
    }
    root.ok_or(TreeError::NoRoot)
}

/// Adds text to an element's: borrowed while it is the only piece, owned once joined.
fn append<'a>(text: &mut Cow<'a, str>, more: Cow<'a, str>) {
    if text.is_empty() {
        *text = more;
    } else {
        text.to_mut().push_str(&more);
    }
}

fn close<'a>(stack: &mut [Node<'a>], root: &mut Option<Node<'a>>, node: Node<'a>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

/// The element whose tag `e` starts at byte `at` of `text`.
fn element<'a>(
    text: &'a str,
    at: u64,
    e: quick_xml::events::BytesStart<'_>,
) -> Result<Node<'a>, quick_xml::Error> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(quick_xml::Error::InvalidAttr)?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let key = match key.split_once(':') {
            Some(("xmlns", _)) | None => key,
            Some((_, local)) => local.to_owned(),
        };
        attrs.push((key, a.normalized_value(quick_xml::XmlVersion::Implicit1_0)?.into_owned()));
    }
    let qname = e.name();
    let qname = qname.as_ref();
    // The tag is `<` and its name at `at`: borrow the name from the text.
    let start = usize::try_from(at).unwrap_or(usize::MAX).saturating_add(1);
    let name = match text.get(start..start + qname.len()) {
        Some(n) if n.as_bytes() == qname => Cow::Borrowed(local(n)),
        _ => Cow::Owned(local(&String::from_utf8_lossy(qname)).to_owned()),
    };
    Ok(Node { name, attrs, text: Cow::Borrowed(""), children: Vec::new() })
}

/// `xs:element` → `element`.
fn local(qname: &str) -> &str {
    qname.rsplit_once(':').map_or(qname, |(_, l)| l)
}
