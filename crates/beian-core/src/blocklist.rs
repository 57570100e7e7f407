//! The block list an edge enforces: domains the provider must not serve (an unfiled website the
//! bureau found on its addresses, or one its own reviewer blocked), and the lookup by an HTTP
//! request's `Host` that an edge runs on every request.
//!
//! An entry blocks its domain and every name under it (`example.com` blocks
//! `www.example.com`), as nginx's `map` with `hostnames` does for `.example.com`, so the plain
//! file, the nginx snippet and [`BlockSet::lookup`] agree on what is blocked.
//!
//! The lookup never allocates for an ASCII host: it lower-cases into a stack buffer and probes
//! the host and each parent name in one hash set (every parent: a long prefix of labels must
//! not slip a blocked name past the edge).
//!
//! Entries are checked here ([`normalize`]): only letters, digits, `-` and `.` (IDN as
//! punycode) reach a file an edge reads or a configuration it includes, so a name from the
//! bureau's file cannot inject configuration.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The longest name (RFC 1035).
const MAX_NAME: usize = 253;

/// Why a name cannot be a block-list entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("not a domain name: {0:?}")]
    NotADomain(String),
    #[error("a block-list entry needs at least two labels (no top-level domain alone): {0:?}")]
    TooShort(String),
}

/// A domain as an entry: lower case, punycode, no trailing dot, two labels at least, only
/// `a-z 0-9 - .` and labels of 1–63 characters.
pub fn normalize(raw: &str) -> Result<String, EntryError> {
    let trimmed = raw.trim().trim_end_matches('.');
    let trimmed = trimmed.strip_prefix("*.").unwrap_or(trimmed);
    let ascii = if trimmed.is_ascii() {
        trimmed.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(trimmed).map_err(|_| EntryError::NotADomain(raw.to_owned()))?
    };
    let labels_ok = ascii.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    if ascii.is_empty() || ascii.len() > MAX_NAME || !labels_ok {
        return Err(EntryError::NotADomain(raw.to_owned()));
    }
    if !ascii.contains('.') {
        return Err(EntryError::TooShort(raw.to_owned()));
    }
    Ok(ascii)
}

/// FNV-1a: a short name hashes in a few nanoseconds (the default SipHash costs more than the
/// rest of a lookup). The set holds names the provider chose, so flooding is not a concern.
#[derive(Debug, Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The entries an edge matches hosts against, each with its index in the list it was built from.
#[derive(Debug, Default, Clone)]
pub struct BlockSet {
    names: HashMap<Box<str>, usize, BuildHasherDefault<Fnv>>,
}

impl BlockSet {
    /// Builds the set from entries already [`normalize`]d (others are skipped: they match
    /// nothing an edge would see). The first of two equal entries wins.
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a str>) -> BlockSet {
        let mut names: HashMap<Box<str>, usize, BuildHasherDefault<Fnv>> = HashMap::default();
        for (i, e) in entries.into_iter().enumerate() {
            if normalize(e).is_ok_and(|n| n == e) {
                names.entry(e.into()).or_insert(i);
            }
        }
        BlockSet { names }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The entry that blocks `host` (a `Host` header: any case, maybe a port, maybe a trailing
    /// dot), as its index; `None` when nothing does. An IP literal is never blocked by name.
    pub fn lookup(&self, host: &str) -> Option<usize> {
        let host = strip_port(host).trim_end_matches('.');
        if host.is_empty() || host.len() > MAX_NAME {
            return None;
        }
        if !host.is_ascii() {
            return idna::domain_to_ascii(host).ok().and_then(|a| self.lookup_lower(a.as_bytes()));
        }
        let mut buf = [0u8; MAX_NAME];
        let lower = &mut buf[..host.len()];
        lower.copy_from_slice(host.as_bytes());
        lower.make_ascii_lowercase();
        self.lookup_lower(lower)
    }

    fn lookup_lower(&self, name: &[u8]) -> Option<usize> {
        let mut start = 0;
        loop {
            let rest = &name[start..];
            // A top-level domain alone is never an entry.
            let dot = memchr::memchr(b'.', rest)?;
            // The bytes are ASCII: the str is valid.
            if let Ok(s) = std::str::from_utf8(rest)
                && let Some(i) = self.names.get(s)
            {
                return Some(*i);
            }
            start += dot + 1;
        }
    }
}

/// `example.com:8080` → `example.com`; `[::1]:80` stays (an IP literal matches nothing).
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host;
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// The plain file an edge can read: a comment header, then one entry per line.
pub fn plain(entries: &[&str], generated_at: &str) -> String {
    let mut out = format!(
        "# beian block list: {} domain(s), generated {generated_at}\n\
         # Each line blocks the domain and every name under it.\n",
        entries.len()
    );
    for e in entries.iter().filter(|e| normalize(e).is_ok_and(|n| n == **e)) {
        out.push_str(e);
        out.push('\n');
    }
    out
}

/// An nginx configuration for the `http` block: `$beian_blocked` is 1 for a blocked host.
/// A server then refuses with `if ($beian_blocked) { return 451; }`.
pub fn nginx_map(entries: &[&str], generated_at: &str) -> String {
    let mut out = format!(
        "# beian block list for nginx: {} domain(s), generated {generated_at}.\n\
         # Include this file in the http block, then in each server block:\n\
         #     if ($beian_blocked) {{ return 451; }}\n\
         map $host $beian_blocked {{\n    hostnames;\n    default 0;\n",
        entries.len()
    );
    for e in entries.iter().filter(|e| normalize(e).is_ok_and(|n| n == **e)) {
        out.push_str("    .");
        out.push_str(e);
        out.push_str(" 1;\n");
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn entries_are_normalized_and_refused_when_they_are_not_names() {
        assert_eq!(normalize(" WWW.Example.COM. ").unwrap(), "www.example.com");
        assert_eq!(normalize("*.example.com").unwrap(), "example.com");
        assert_eq!(normalize("例子.中国").unwrap(), "xn--fsqu00a.xn--fiqs8s");
        for bad in ["", "com", "a..b", "-a.com", "a b.com", "a.com;\n}", "a.com 1", "$host.com", "a_b.com"] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_entry_blocks_its_name_and_everything_under_it_only() {
        let set = BlockSet::new(["example.com", "shop.example.cn"]);
        assert_eq!(set.lookup("example.com"), Some(0));
        assert_eq!(set.lookup("WWW.Example.Com:8443"), Some(0));
        assert_eq!(set.lookup("a.b.example.com."), Some(0));
        assert_eq!(set.lookup("shop.example.cn"), Some(1));
        assert_eq!(set.lookup("x.shop.example.cn"), Some(1));
        let deep = format!("{}example.com", "a.".repeat(100));
        assert_eq!(set.lookup(&deep), Some(0), "a long prefix of labels is still under the entry");
        for free in ["example.cn", "notexample.com", "com", "example.com.evil.net", "[::1]:80", "", "::"] {
            assert_eq!(set.lookup(free), None, "{free:?}");
        }
        assert_eq!(BlockSet::new(["例子.中国"]).len(), 0, "entries must be normalized first");
        assert_eq!(BlockSet::new(["xn--fsqu00a.xn--fiqs8s"]).lookup("WWW.例子.中国"), Some(0));
    }

    #[test]
    fn files_carry_only_names() {
        let entries = ["example.com", "bad entry;\n}", "shop.example.cn"];
        let p = plain(&entries, "2026-12-06T00:00:00Z");
        assert!(p.ends_with("example.com\nshop.example.cn\n"), "{p}");
        let n = nginx_map(&entries, "2026-12-06T00:00:00Z");
        assert!(n.contains("    .example.com 1;\n    .shop.example.cn 1;\n}\n"), "{n}");
        assert!(!n.contains("bad entry"), "{n}");
        assert_eq!(n.matches('{').count(), n.matches('}').count(), "{n}");
    }

    proptest! {
        /// Whatever the host, the lookup agrees with a plain walk over its parents.
        #[test]
        fn lookup_agrees_with_a_walk_over_parent_names(
            labels in proptest::collection::vec("[a-cA-C0-9-]{1,3}", 1..6),
            port in proptest::option::of(0u16..),
        ) {
            let entries = ["a.b", "b.c", "aa.b.c", "0-1.a"];
            let set = BlockSet::new(entries);
            let host = labels.join(".");
            let lower = host.to_ascii_lowercase();
            let parts: Vec<&str> = lower.split('.').collect();
            let expected = (0..parts.len().saturating_sub(1))
                .map(|i| parts[i..].join("."))
                .find_map(|n| entries.iter().position(|e| *e == n));
            let with_port = port.map_or(host.clone(), |p| format!("{host}:{p}"));
            prop_assert_eq!(set.lookup(&with_port), expected);
        }
    }
}
