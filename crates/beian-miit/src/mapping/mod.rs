//! Between beian's order model (`beian_core::model::Order`) and the interface's records.
//!
//! [`outbound`] turns an order the provider approved into the record of the upload file its
//! kind calls for (新增备案 `XZBA`, 新增网站 `XZWZ`, 新增接入 `XZJR`, 变更备案 `BGBA`, 注销备案
//! `ZXBA`); [`inbound`] turns such a record back into an order, which is how the simulator
//! takes an upload into the process it already runs (SMS verification, bureau review,
//! numbers). Coded fields go through the bureau's base code tables ([`crate::jcdm`]) by the
//! names in `data/names.toml`, never through fixed numbers.
//!
//! What V3.0 cannot carry — apps, mini programs and quick apps (filed since 2023), the face
//! check, certificate validity dates, emergency phones — is not here: apps stay on the JSON
//! seam, the rest stays with the provider.

pub mod filed;
pub mod inbound;
pub mod ip;
pub mod lists;
pub mod outbound;
pub mod results;
pub mod status;
pub mod unfiled;
pub mod verify;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use beian_core::model::{CertificateKind, SubjectNature};
use serde::Deserialize;

use crate::jcdm::{CodeTables, Table, Unmapped};

/// The names of beian's values in the bureau's tables (`data/names.toml`).
#[derive(Debug, Deserialize)]
pub struct Names {
    pub source: String,
    pub date: String,
    nature: BTreeMap<String, Vec<String>>,
    certificate: BTreeMap<String, Vec<String>>,
    access_method: BTreeMap<String, Vec<String>>,
    attachment: Vec<AttachmentName>,
    format: BTreeMap<String, Vec<String>>,
    cancel: BTreeMap<String, Vec<String>>,
    status_query: Vec<StatusQueryRow>,
}

#[derive(Debug, Deserialize)]
struct StatusQueryRow {
    certificate: String,
    #[serde(default)]
    nature: Option<String>,
    condition: i64,
}

#[derive(Debug, Deserialize)]
struct AttachmentName {
    document: String,
    #[serde(default)]
    subject_uses: Vec<String>,
    #[serde(default)]
    website_uses: Vec<String>,
}

/// The names, parsed once.
pub fn names() -> &'static Names {
    static NAMES: LazyLock<Names> = LazyLock::new(|| {
        toml::from_str(include_str!("../../data/names.toml")).expect("data/names.toml is valid")
    });
    &NAMES
}

fn key<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn strs(v: Option<&Vec<String>>) -> Vec<&str> {
    v.map(|v| v.iter().map(String::as_str).collect()).unwrap_or_default()
}

impl Names {
    pub fn nature(&self, n: SubjectNature) -> Vec<&str> {
        strs(self.nature.get(&key(n)))
    }
    pub fn certificate(&self, k: CertificateKind) -> Vec<&str> {
        strs(self.certificate.get(&key(k)))
    }
    /// The names of an access method, by beian's code or by one of its names (a provider
    /// profile says `租赁虚拟空间`); anything else is its own name.
    pub fn access_method<'a>(&'a self, value: &'a str) -> Vec<&'a str> {
        let by_name = || self.access_method.values().find(|names| names.iter().any(|n| n == value));
        match self.access_method.get(value).or_else(by_name) {
            Some(v) => strs(Some(v)),
            None => vec![value],
        }
    }
    pub fn jpeg(&self) -> Vec<&str> {
        strs(self.format.get("jpeg"))
    }
    pub fn default_cancel_reason(&self) -> Vec<&str> {
        strs(self.cancel.get("default"))
    }
    /// The reasons offered before a bureau's table has come down (or without a bureau link).
    pub fn offered_cancel_reasons(&self) -> Vec<&str> {
        strs(self.cancel.get("offered"))
    }
    /// The attachment uses of a document kind, for a subject's or a website's document.
    pub fn attachment_uses(&self, document: &str, website: bool) -> Vec<&str> {
        self.attachment
            .iter()
            .find(|a| a.document == document)
            .map(|a| if website { &a.website_uses } else { &a.subject_uses })
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The status query's condition type for a subject's certificate, if it has one.
    pub fn status_condition(&self, nature: SubjectNature, kind: CertificateKind) -> Option<i64> {
        let (nature, kind) = (key(nature), key(kind));
        let rows = || self.status_query.iter().filter(|r| r.certificate == kind);
        rows()
            .find(|r| r.nature.as_deref() == Some(nature.as_str()))
            .or_else(|| rows().find(|r| r.nature.is_none()))
            .map(|r| r.condition)
    }

    /// The beian value whose names include `name`, for a table read back.
    fn reverse<'a>(map: &'a BTreeMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
        map.iter().find(|(_, names)| names.iter().any(|n| n == name)).map(|(k, _)| k.as_str())
    }
    pub fn nature_of(&self, name: &str) -> Option<SubjectNature> {
        serde_json::from_value(serde_json::Value::String(Self::reverse(&self.nature, name)?.to_owned())).ok()
    }
    pub fn certificate_of(&self, name: &str) -> Option<CertificateKind> {
        serde_json::from_value(serde_json::Value::String(Self::reverse(&self.certificate, name)?.to_owned()))
            .ok()
    }
    pub fn access_method_of(&self, name: &str) -> Option<&str> {
        Self::reverse(&self.access_method, name)
    }
}

/// Why an order cannot become a record (or a record an order).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// A value the bureau's tables do not have.
    #[error("{field}: {source}")]
    Unmapped { field: String, source: Unmapped },
    /// Something the interface requires that the order does not carry.
    #[error("{field}: the interface requires {what}")]
    Missing { field: String, what: &'static str },
    /// A value the interface cannot carry in this form.
    #[error("{field}: {why}")]
    Invalid { field: String, why: &'static str },
    /// An order kind the interface has no record for.
    #[error("the interface has no record for this order kind ({0})")]
    Unsupported(&'static str),
}

impl MappingError {
    pub fn field(&self) -> Option<&str> {
        match self {
            MappingError::Unmapped { field, .. }
            | MappingError::Missing { field, .. }
            | MappingError::Invalid { field, .. } => Some(field),
            MappingError::Unsupported(_) => None,
        }
    }
}

/// A lookup in the tables, with the order path of the value for the error.
pub(crate) fn code(
    tables: &CodeTables,
    table: Table,
    names: &[&str],
    field: &str,
) -> Result<i64, MappingError> {
    tables.id(table, names).map_err(|source| MappingError::Unmapped { field: field.to_owned(), source })
}

/// An IPv4 range (`a.b.c.d`, `a.b.c.d-e.f.g.h` or `a.b.c.d/n`) as the interface's numbers.
pub fn ip_range(s: &str) -> Option<(i64, i64)> {
    let ip = |t: &str| t.trim().parse::<std::net::Ipv4Addr>().ok().map(|a| i64::from(u32::from(a)));
    if let Some((a, b)) = s.split_once('-') {
        let (a, b) = (ip(a)?, ip(b)?);
        return (a <= b).then_some((a, b));
    }
    if let Some((a, n)) = s.split_once('/') {
        let (a, n) = (ip(a)?, n.trim().parse::<u32>().ok()?);
        if n > 32 {
            return None;
        }
        let size = 1i64 << (32 - n);
        let start = a / size * size;
        return Some((start, start + size - 1));
    }
    ip(s).map(|a| (a, a))
}

/// The interface's numbers back as text: one address, or `a-b`.
pub fn ip_text(start: i64, end: i64) -> String {
    let ip = |v: i64| std::net::Ipv4Addr::from(u32::try_from(v).unwrap_or_default()).to_string();
    if start == end { ip(start) } else { format!("{}-{}", ip(start), ip(end)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nature_and_certificate_kind_has_a_name() {
        for n in SubjectNature::ALL {
            assert!(!names().nature(n).is_empty(), "{n:?}");
            assert_eq!(names().nature_of(names().nature(n)[0]), Some(n));
        }
        for k in CertificateKind::ALL {
            assert!(!names().certificate(k).is_empty(), "{k:?}");
            assert_eq!(names().certificate_of(names().certificate(k)[0]), Some(k));
        }
        for m in beian_core::psb::access_methods() {
            assert_ne!(names().access_method(&m.code), vec![m.code.as_str()], "{}", m.code);
            assert_eq!(names().access_method(&m.zh), names().access_method(&m.code), "{}", m.zh);
        }
    }

    #[test]
    fn ip_ranges_in_three_spellings() {
        assert_eq!(ip_range("47.96.1.10"), Some((794_820_874, 794_820_874)));
        assert_eq!(ip_range("10.0.0.1-10.0.0.3"), Some((167_772_161, 167_772_163)));
        assert_eq!(ip_range("10.0.0.0/30"), Some((167_772_160, 167_772_163)));
        assert_eq!(ip_range("10.0.0.3-10.0.0.1"), None);
        assert_eq!(ip_range("2001:db8::1"), None);
        assert_eq!(ip_text(794_820_874, 794_820_874), "47.96.1.10");
        assert_eq!(ip_text(167_772_161, 167_772_163), "10.0.0.1-10.0.0.3");
    }
}

#[cfg(test)]
mod round_trip;
