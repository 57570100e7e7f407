//! Reading and writing the interface's XML exactly as its XSDs define it.
//!
//! The types in [`crate::schema`] are generated from the published XSDs by `build.rs`; each
//! implements [`Element`] by calling the small toolkit here: [`Reader`] takes an element's
//! children by name with their occurrence bounds (in order for `xs:sequence`, in any order
//! for `xs:all`), [`Writer`] writes them, and both check every leaf against its facets
//! ([`Facets`]: lengths and ranges). A file that breaks the schema is refused with the path of
//! the first offending element, never half-read or half-written.
//!
//! Files are written in GBK, as the bureau expects (characters GBK cannot hold become numeric
//! character references, which every XML reader turns back), and read in GBK, GB18030 or
//! UTF-8 according to their declaration.
//!
//! Nothing here knows what an element means; that is `crate::mapping`'s job.

#[cfg(test)]
pub(crate) mod sample;
pub mod tree;

use std::fmt;

pub use tree::{Node, TreeError};

/// How strictly a document is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// As the XSD says: order, occurrence, facets, no unknown elements. The simulator reads
    /// uploads this way (a file that fails answers 5001).
    Strict,
    /// Required elements must be there; order, facets, upper bounds and unknown elements are
    /// not checked. The provider reads the bureau's downloads this way, so a bureau that
    /// bends the schema does not stop its results from being applied.
    Lenient,
}

/// The facets of a leaf's simple type. Lengths count characters, as XSD does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facets {
    pub min_inclusive: Option<i64>,
    pub max_inclusive: Option<i64>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub length: Option<usize>,
}

impl Facets {
    pub const NONE: Facets =
        Facets { min_inclusive: None, max_inclusive: None, min_length: None, max_length: None, length: None };

    fn check_long(&self, v: i64) -> Result<(), Problem> {
        if self.min_inclusive.is_some_and(|m| v < m) || self.max_inclusive.is_some_and(|m| v > m) {
            return Err(Problem::OutOfRange { value: v, min: self.min_inclusive, max: self.max_inclusive });
        }
        Ok(())
    }

    fn check_str(&self, v: &str) -> Result<(), Problem> {
        let n = v.chars().count();
        let bad = self.length.is_some_and(|l| n != l)
            || self.min_length.is_some_and(|l| n < l)
            || self.max_length.is_some_and(|l| n > l);
        if bad {
            return Err(Problem::Length {
                length: n,
                min: self.length.or(self.min_length),
                max: self.length.or(self.max_length),
            });
        }
        Ok(())
    }
}

/// What is wrong at one place in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not XML, or not in a supported encoding.
    Tree(TreeError),
    /// The root element is not the one expected.
    Root { expected: &'static str, found: String },
    /// A required element is missing (or fewer than its minimum).
    Missing { min: usize, found: usize },
    /// More occurrences than the schema allows.
    TooMany { max: usize, found: usize },
    /// An element the schema does not have here, or out of order.
    Unexpected,
    /// None of a choice's alternatives is present.
    NoChoice,
    /// A leaf that must be a number is not.
    NotANumber,
    /// A number outside its range.
    OutOfRange { value: i64, min: Option<i64>, max: Option<i64> },
    /// A text whose length (in characters) is outside its bounds.
    Length { length: usize, min: Option<usize>, max: Option<usize> },
    /// An element that must hold only text has child elements.
    NotALeaf,
    /// A required attribute is missing.
    MissingAttribute(&'static str),
    /// A character XML cannot carry (a control character).
    InvalidCharacter,
    /// A leaf that must be base64 is not.
    NotBase64,
}

/// A schema violation with the path of the element where it was found
/// (`UploadData/ICP/XZBA/Baxx[2]/Zt_xx/Dwmc`). Values never appear in it: they may be
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// Path segments, innermost first while the error travels up; see [`XmlError::path`].
    segments: Vec<String>,
    pub problem: Problem,
}

impl XmlError {
    pub fn new(problem: Problem) -> XmlError {
        XmlError { segments: Vec::new(), problem }
    }

    fn at(name: &str, problem: Problem) -> XmlError {
        XmlError { segments: vec![name.to_owned()], problem }
    }

    /// Adds the enclosing element's name as the error travels up.
    pub fn within(mut self, segment: impl Into<String>) -> XmlError {
        self.segments.push(segment.into());
        self
    }

    /// The path from the root, `/`-separated.
    pub fn path(&self) -> String {
        let mut parts: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        parts.reverse();
        parts.join("/")
    }
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        let at = if path.is_empty() { String::new() } else { format!("{path}: ") };
        match &self.problem {
            Problem::Tree(e) => write!(f, "{at}{e}"),
            Problem::Root { expected, found } => {
                write!(f, "root element is {found:?}, expected {expected:?}")
            }
            Problem::Missing { min, found } => {
                write!(f, "{at}required at least {min} time(s), found {found}")
            }
            Problem::TooMany { max, found } => write!(f, "{at}allowed at most {max} time(s), found {found}"),
            Problem::Unexpected => write!(f, "{at}not allowed here (unknown, repeated or out of order)"),
            Problem::NoChoice => write!(f, "{at}none of the allowed alternatives is present"),
            Problem::NotANumber => write!(f, "{at}not a whole number"),
            Problem::OutOfRange { min, max, .. } => write!(f, "{at}out of range ({min:?}..={max:?})"),
            Problem::Length { length, min, max } => {
                write!(
                    f,
                    "{at}length {length} outside {}..={}",
                    min.unwrap_or(0),
                    max.map_or("∞".into(), |m| m.to_string())
                )
            }
            Problem::NotALeaf => write!(f, "{at}must hold text only"),
            Problem::MissingAttribute(a) => write!(f, "{at}attribute {a:?} is required"),
            Problem::InvalidCharacter => write!(f, "{at}holds a character XML cannot carry"),
            Problem::NotBase64 => write!(f, "{at}not base64"),
        }
    }
}

impl std::error::Error for XmlError {}

/// An element of the schema with its own type: read from a [`Node`], written by a [`Writer`].
pub trait Element: Sized {
    /// The element's name in the XML.
    const NAME: &'static str;
    fn read(node: &Node, mode: Mode) -> Result<Self, XmlError>;
    fn write(&self, w: &mut Writer) -> Result<(), XmlError>;
}

/// A document's root element (`UploadData`, `DownloadData`, `return`).
pub trait Root: Element {}

/// Writes `doc` as a GBK-encoded document with its XML declaration. Fails on the first
/// element that breaks the schema.
pub fn to_gbk<T: Root>(doc: &T) -> Result<Vec<u8>, XmlError> {
    let text = to_text(doc, "GBK")?;
    // Characters GBK cannot hold come out as `&#NNNN;`, which is exactly XML's escape.
    let (bytes, _, _) = encoding_rs::GBK.encode(&text);
    Ok(bytes.into_owned())
}

/// Writes `doc` as text whose declaration names `encoding` (the caller encodes it).
pub fn to_text<T: Root>(doc: &T, encoding: &str) -> Result<String, XmlError> {
    let mut w = Writer::new();
    w.out.push_str("<?xml version=\"1.0\" encoding=\"");
    w.out.push_str(encoding);
    w.out.push_str("\"?>");
    doc.write(&mut w)?;
    Ok(w.out)
}

/// Reads a document (GBK, GB18030 or UTF-8 by its declaration) whose root is `T`.
pub fn from_bytes<T: Root>(bytes: &[u8], mode: Mode) -> Result<T, XmlError> {
    let text = tree::decode(bytes).map_err(|e| XmlError::new(Problem::Tree(e)))?;
    let node = tree::parse_str(&text).map_err(|e| XmlError::new(Problem::Tree(e)))?;
    from_node(&node, mode)
}

/// Reads a parsed document whose root is `T`.
pub fn from_node<T: Root>(node: &Node, mode: Mode) -> Result<T, XmlError> {
    if node.name != T::NAME {
        return Err(XmlError::new(Problem::Root { expected: T::NAME, found: node.name.to_string() }));
    }
    T::read(node, mode).map_err(|e| e.within(T::NAME))
}

/// Writes one element on its own, without a declaration (an entry of a list kept apart from
/// its file).
pub fn element_to_string<T: Element>(v: &T) -> Result<String, XmlError> {
    let mut w = Writer::new();
    w.child(v)?;
    Ok(w.into_string())
}

/// Reads one element written by [`element_to_string`].
pub fn element_from_str<T: Element>(text: &str, mode: Mode) -> Result<T, XmlError> {
    let node = tree::parse_str(text).map_err(|e| XmlError::new(Problem::Tree(e)))?;
    if node.name != T::NAME {
        return Err(XmlError::new(Problem::Root { expected: T::NAME, found: node.name.to_string() }));
    }
    T::read(&node, mode).map_err(|e| e.within(T::NAME))
}

/// Takes a complex element's children by name, in the order its compositor demands.
#[derive(Debug)]
pub struct Reader<'a> {
    node: &'a Node<'a>,
    mode: Mode,
    /// `xs:sequence` in strict mode: children must come in schema order.
    ordered: bool,
    pos: usize,
    used: Vec<bool>,
}

impl<'a> Reader<'a> {
    /// `sequence`: whether the compositor is `xs:sequence` (order matters when strict).
    pub fn new(node: &'a Node<'a>, mode: Mode, sequence: bool) -> Reader<'a> {
        Reader {
            node,
            mode,
            ordered: sequence && mode == Mode::Strict,
            pos: 0,
            used: vec![false; node.children.len()],
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The children called `name`, between `min` and `max` of them.
    pub fn take(
        &mut self,
        name: &'static str,
        min: usize,
        max: Option<usize>,
    ) -> Result<Vec<&'a Node<'a>>, XmlError> {
        let mut found = Vec::new();
        if self.ordered {
            while let Some(c) = self.node.children.get(self.pos) {
                if c.name != name {
                    break;
                }
                self.used[self.pos] = true;
                self.pos += 1;
                found.push(c);
            }
        } else {
            for (i, c) in self.node.children.iter().enumerate() {
                if !self.used[i] && c.name == name {
                    self.used[i] = true;
                    found.push(c);
                }
            }
        }
        if found.len() < min {
            return Err(XmlError::at(name, Problem::Missing { min, found: found.len() }));
        }
        if self.mode == Mode::Strict
            && let Some(max) = max
            && found.len() > max
        {
            return Err(XmlError::at(name, Problem::TooMany { max, found: found.len() }));
        }
        Ok(found)
    }

    /// Exactly one child called `name`, read by `f`.
    pub fn one<T>(
        &mut self,
        name: &'static str,
        f: impl Fn(&Node, Mode) -> Result<T, XmlError>,
    ) -> Result<T, XmlError> {
        let nodes = self.take(name, 1, Some(1))?;
        f(nodes[0], self.mode).map_err(|e| e.within(name))
    }

    /// At most one child called `name`.
    pub fn opt<T>(
        &mut self,
        name: &'static str,
        f: impl Fn(&Node, Mode) -> Result<T, XmlError>,
    ) -> Result<Option<T>, XmlError> {
        let nodes = self.take(name, 0, Some(1))?;
        nodes.first().map(|n| f(n, self.mode).map_err(|e| e.within(name))).transpose()
    }

    /// Between `min` and `max` children called `name`.
    pub fn many<T>(
        &mut self,
        name: &'static str,
        min: usize,
        max: Option<usize>,
        f: impl Fn(&Node, Mode) -> Result<T, XmlError>,
    ) -> Result<Vec<T>, XmlError> {
        let nodes = self.take(name, min, max)?;
        nodes
            .iter()
            .enumerate()
            .map(|(i, n)| f(n, self.mode).map_err(|e| e.within(format!("{name}[{i}]"))))
            .collect()
    }

    /// The one alternative of a choice that is present: its index in `names` and its node.
    pub fn choice(&mut self, names: &[&'static str]) -> Result<Option<(usize, &'a Node<'a>)>, XmlError> {
        let hit = if self.ordered {
            self.node
                .children
                .get(self.pos)
                .and_then(|c| names.iter().position(|n| *n == c.name).map(|i| (i, self.pos)))
        } else {
            self.node
                .children
                .iter()
                .enumerate()
                .find_map(|(at, c)| names.iter().position(|n| *n == c.name).map(|i| (i, at)))
        };
        let Some((i, at)) = hit else { return Ok(None) };
        self.used[at] = true;
        if self.ordered {
            self.pos = at + 1;
        }
        Ok(Some((i, &self.node.children[at])))
    }

    /// A required attribute.
    pub fn attr(&self, name: &'static str) -> Result<String, XmlError> {
        self.node.attr(name).map(str::to_owned).ok_or_else(|| XmlError::new(Problem::MissingAttribute(name)))
    }

    /// An optional attribute.
    pub fn opt_attr(&self, name: &'static str) -> Option<String> {
        self.node.attr(name).map(str::to_owned)
    }

    /// In strict mode, refuses any child not taken (unknown, repeated or out of order).
    pub fn finish(self) -> Result<(), XmlError> {
        if self.mode == Mode::Strict
            && let Some(i) = self.used.iter().position(|u| !u)
        {
            return Err(XmlError::at(&self.node.children[i].name, Problem::Unexpected));
        }
        Ok(())
    }
}

fn leaf_text<'n>(n: &'n Node<'_>, mode: Mode) -> Result<&'n str, XmlError> {
    if mode == Mode::Strict && !n.children.is_empty() {
        return Err(XmlError::new(Problem::NotALeaf));
    }
    Ok(&n.text)
}

/// A leaf of type `xs:long` (surrounding whitespace collapsed, as XSD does).
pub fn long(n: &Node, mode: Mode, f: &Facets) -> Result<i64, XmlError> {
    let v: i64 = leaf_text(n, mode)?.trim().parse().map_err(|_| XmlError::new(Problem::NotANumber))?;
    if mode == Mode::Strict {
        f.check_long(v).map_err(XmlError::new)?;
    }
    Ok(v)
}

/// A leaf of type `xs:string` (or untyped), its text exactly as written.
pub fn string(n: &Node, mode: Mode, f: &Facets) -> Result<String, XmlError> {
    let v = leaf_text(n, mode)?;
    if mode == Mode::Strict {
        f.check_str(v).map_err(XmlError::new)?;
    }
    Ok(v.to_owned())
}

/// A leaf of type `xs:base64Binary`, kept as its text (checked to be base64 when strict).
pub fn base64(n: &Node, mode: Mode) -> Result<String, XmlError> {
    let v = leaf_text(n, mode)?;
    if mode == Mode::Strict && !is_base64(v) {
        return Err(XmlError::new(Problem::NotBase64));
    }
    Ok(v.to_owned())
}

/// Whether `v` is base64 (whitespace between groups allowed, as XSD does).
pub fn is_base64(v: &str) -> bool {
    use base64::Engine as _;
    let compact: String = v.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact).is_ok()
}

/// Writes elements as text. Every leaf is checked against its facets and every list against
/// its occurrence bounds before it is written, so nothing invalid leaves this writer.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Writer {
        Writer { out: String::with_capacity(4096) }
    }

    /// The text written so far.
    pub fn into_string(self) -> String {
        self.out
    }

    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Opens an element with attributes (values escaped).
    pub fn open_with(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v, true);
            self.out.push('"');
        }
        self.out.push('>');
    }

    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn long(&mut self, name: &str, v: i64, f: &Facets) -> Result<(), XmlError> {
        f.check_long(v).map_err(|p| XmlError::at(name, p))?;
        self.open(name);
        self.out.push_str(&v.to_string());
        self.close(name);
        Ok(())
    }

    pub fn string(&mut self, name: &str, v: &str, f: &Facets) -> Result<(), XmlError> {
        f.check_str(v).map_err(|p| XmlError::at(name, p))?;
        if !v.chars().all(xml_char) {
            return Err(XmlError::at(name, Problem::InvalidCharacter));
        }
        self.open(name);
        escape_into(&mut self.out, v, false);
        self.close(name);
        Ok(())
    }

    pub fn base64(&mut self, name: &str, v: &str) -> Result<(), XmlError> {
        if !is_base64(v) {
            return Err(XmlError::at(name, Problem::NotBase64));
        }
        self.open(name);
        self.out.push_str(v);
        self.close(name);
        Ok(())
    }

    /// Checks a list's length against its occurrence bounds.
    pub fn count(&mut self, name: &str, n: usize, min: usize, max: Option<usize>) -> Result<(), XmlError> {
        if n < min {
            return Err(XmlError::at(name, Problem::Missing { min, found: n }));
        }
        if let Some(max) = max
            && n > max
        {
            return Err(XmlError::at(name, Problem::TooMany { max, found: n }));
        }
        Ok(())
    }

    /// Writes a child element with its own type.
    pub fn child<T: Element>(&mut self, v: &T) -> Result<(), XmlError> {
        v.write(self).map_err(|e| e.within(T::NAME))
    }

    /// Writes a list of child elements, checking the list's bounds.
    pub fn children<T: Element>(&mut self, v: &[T], min: usize, max: Option<usize>) -> Result<(), XmlError> {
        self.count(T::NAME, v.len(), min, max)?;
        for (i, item) in v.iter().enumerate() {
            item.write(self).map_err(|e| e.within(format!("{}[{i}]", T::NAME)))?;
        }
        Ok(())
    }
}

/// Escapes text for element content and attribute values. Carriage returns, and in
/// attributes also tabs and newlines, are written as character references, because XML
/// readers would otherwise normalise them away.
pub fn escape_into(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

/// Whether XML 1.0 can carry `c` at all (control characters other than tab, newline and
/// carriage return cannot, not even as references).
pub fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}
