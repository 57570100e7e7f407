//! An approved order as the record of an upload file.
//!
//! | order kind | record |
//! |---|---|
//! | 首次备案 `first_filing` | `XZBA/Baxx`: subject, websites (domains, access, IPs), attachments |
//! | 新增网站 `new_service_here`, `new_service_elsewhere` | `XZWZ/Xzxx`: the filed subject by number, the new websites |
//! | 新增接入 `new_access` | `XZJR/Xzxx` per website: the filed website by number, this provider's access |
//! | 变更 `change_*` | `BGBA/Bgxx`: the subject and its websites as they are to be, with the bureau's ids |
//! | 注销主体/注销网站/取消接入 `cancel_*` | `ZXBA/Zx_xx` per target: category, the bureau's id, reason |
//!
//! The provider's own ids (`IspZtid`, `IspWzid`, `IspYmid`, `IspJrid`, `IspIpid`) come from
//! the caller, which keeps them durably: the bureau's results name them. The bureau's ids a
//! change or a cancellation needs (`Ztid`, `Wzid`, `Jrid`, `Ymid`) come from [`OnFile`],
//! which the provider learned from the bureau's `BASJ` download.

use std::collections::BTreeMap;

use beian_core::model::{Order, OrderKind, Website};
use serde::{Deserialize, Serialize};

use super::{MappingError, code, ip_range, names};
use crate::jcdm::{CodeTables, Table};
use crate::schema::upload::{self, icp};

mod records;

/// The largest attachment the spec allows: 150 KB for the verification sheet, 100 KB for the
/// rest (bytes of the JPEG).
pub const MAX_ATTACHMENT: usize = 100 * 1024;
pub const MAX_VERIFICATION_SHEET: usize = 150 * 1024;

/// The provider's side of every record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// The provider's reporting-unit id at the bureau (`Qqdwid`).
    pub unit_id: i64,
    /// Where its servers stand: a GB/T 2260 code (`Fbdd`, through the region table).
    pub server_region: String,
    /// How sites reach it: beian's access-method code (`Jrfs`, through the access-method table).
    pub access_method: String,
}

/// A document sent with the record: whose it is (`subject`, `subject.head`, `websites[1]`,
/// `websites[1].head`), its kind (`id_front`, …) and the JPEG, already within the limits.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    pub path: String,
    pub document: String,
    pub jpeg: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("path", &self.path)
            .field("document", &self.document)
            .field("bytes", &self.jpeg.len())
            .finish()
    }
}

/// What the bureau has on file for a subject, with its ids (from `BASJ`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnFile {
    /// `Ztid`.
    pub subject_id: i64,
    pub subject_number: String,
    /// By website number.
    pub websites: BTreeMap<String, FiledSite>,
}

/// A filed website's ids at the bureau.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiledSite {
    /// `Wzid`.
    pub id: i64,
    /// `Jrid` of this provider's access, if it has one.
    #[serde(default)]
    pub access_id: Option<i64>,
    /// `Ymid` by domain.
    #[serde(default)]
    pub domains: BTreeMap<String, i64>,
}

/// Everything a record is made of.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub order: &'a Order,
    pub attachments: &'a [Attachment],
    pub on_file: Option<&'a OnFile>,
    /// The subject's filing password (`ICPmm`), if the applicant gave one: 新增接入 needs it.
    pub filing_password: Option<&'a str>,
    /// The cancellation reason's name (`Zxly`); the default reason when `None`.
    pub cancel_reason: Option<&'a str>,
}

/// One record of an upload file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Xzba(icp::xzba::Baxx),
    Xzwz(icp::xzwz::Xzxx),
    Xzjr(Vec<icp::xzjr::Xzxx>),
    Bgba(icp::bgba::Bgxx),
    Zxba(Vec<icp::zxba::ZxXx>),
}

impl Record {
    /// How many records it counts for (a file holds at most 1,000).
    pub fn count(&self) -> usize {
        match self {
            Record::Xzjr(v) => v.len(),
            Record::Zxba(v) => v.len(),
            _ => 1,
        }
    }

    /// The operation type (`Czlx`) the bureau's result for it will carry.
    pub fn operation(&self) -> i64 {
        match self {
            Record::Xzba(_) => 1,
            Record::Xzwz(_) => 2,
            Record::Xzjr(_) => 3,
            Record::Bgba(_) => 4,
            Record::Zxba(v) => match v.first().map(|z| z.zxlb) {
                Some(0) => 6,
                Some(1) => 7,
                _ => 5,
            },
        }
    }
}

/// The provider's ids in a record, to match the bureau's results and data to the order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordIds {
    /// `IspZtid` of a first filing.
    pub subject: Option<i64>,
    pub websites: Vec<SiteIds>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteIds {
    /// The website's path in the order (`websites[0]`).
    pub path: String,
    /// `IspWzid` of a new website.
    pub website: Option<i64>,
    /// `IspYmid` by domain.
    pub domains: BTreeMap<String, i64>,
    /// `IspJrid` of a new access.
    pub access: Option<i64>,
    /// `IspIpid` of each address range, in the order's order.
    pub ips: Vec<i64>,
    /// Where the servers stand (`Fbdd`), as the bureau keeps it from the record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<i64>,
}

/// The file that carries `records` (at most 1,000 of them): the provider is `unit_id`.
pub fn upload_file(version: &str, unit_id: i64, records: Vec<Record>) -> upload::UploadData {
    let mut i = upload::Icp {
        xzba: None,
        xzwz: None,
        xzjr: None,
        bgba: None,
        hsjg: None,
        wbacljg: None,
        zxba: None,
        xzhyd: None,
        qqdwid: unit_id,
    };
    for r in records {
        match r {
            Record::Xzba(b) => i.xzba.get_or_insert_with(|| icp::Xzba { baxx: Vec::new() }).baxx.push(b),
            Record::Xzwz(x) => i.xzwz.get_or_insert_with(|| icp::Xzwz { xzxx: Vec::new() }).xzxx.push(x),
            Record::Xzjr(x) => i.xzjr.get_or_insert_with(|| icp::Xzjr { xzxx: Vec::new() }).xzxx.extend(x),
            Record::Bgba(b) => i.bgba.get_or_insert_with(|| icp::Bgba { bgxx: Vec::new() }).bgxx.push(b),
            Record::Zxba(z) => i.zxba.get_or_insert_with(|| icp::Zxba { zx_xx: Vec::new() }).zx_xx.extend(z),
        }
    }
    upload::UploadData { version: version.to_owned(), choice: upload::UploadDataChoice::Icp(i) }
}

/// How many of the provider's ids a record of `order` uses at most.
pub fn ids_needed(order: &Order) -> usize {
    1 + order.websites.iter().map(|w| 2 + w.domains.len() + w.access.ips.len().max(1)).sum::<usize>()
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn opt_ref(s: Option<&String>) -> Option<String> {
    s.and_then(|s| opt(s))
}

fn required(s: &str, field: &str, what: &'static str) -> Result<String, MappingError> {
    opt(s).ok_or_else(|| MappingError::Missing { field: field.to_owned(), what })
}

/// Builds records of one order.
#[derive(Debug)]
pub struct Builder<'a, F: FnMut() -> i64> {
    tables: &'a CodeTables,
    provider: &'a Provider,
    input: Input<'a>,
    next_id: F,
    ids: RecordIds,
}

/// The record of `input.order`, with the provider's ids it used (drawn from `next_id`).
pub fn record<F: FnMut() -> i64>(
    tables: &CodeTables,
    provider: &Provider,
    input: Input<'_>,
    next_id: F,
) -> Result<(Record, RecordIds), MappingError> {
    let mut b = Builder { tables, provider, input, next_id, ids: RecordIds::default() };
    let r = b.build()?;
    Ok((r, b.ids))
}

/// The region ids (province, city, county) of a GB/T 2260 code.
fn regions(tables: &CodeTables, code: &str, field: &str) -> Result<(i64, i64, Option<i64>), MappingError> {
    let n: u32 = code
        .trim()
        .parse()
        .map_err(|_| MappingError::Invalid { field: field.into(), why: "not a region code" })?;
    let path = beian_core::division::divisions().path(n);
    let unmapped = || MappingError::Invalid { field: field.into(), why: "not a region code" };
    let province = path.first().ok_or_else(unmapped)?;
    let look = |d: &beian_core::division::Division, level: i64| {
        tables
            .region(i64::from(d.code), d.name, level)
            .map_err(|source| MappingError::Unmapped { field: field.to_owned(), source })
    };
    let sheng = look(province, 1)?;
    // Municipalities have no city level in some editions: the province stands for it.
    let city = path.iter().find(|d| d.level() == beian_core::division::Level::City);
    let shi = match city {
        Some(c) => look(c, 2)?,
        None => sheng,
    };
    let county = path.iter().find(|d| d.level() == beian_core::division::Level::County);
    let xian = county.map(|c| look(c, 3)).transpose()?;
    Ok((sheng, shi, xian))
}

impl<'a, F: FnMut() -> i64> Builder<'a, F> {
    fn id(&mut self) -> i64 {
        (self.next_id)()
    }

    fn build(&mut self) -> Result<Record, MappingError> {
        let order = self.input.order;
        if !order.apps.is_empty() {
            return Err(MappingError::Invalid {
                field: "apps".into(),
                why: "V3.0 carries websites only; apps go through the JSON seam",
            });
        }
        Ok(match order.kind {
            OrderKind::FirstFiling => Record::Xzba(self.xzba()?),
            OrderKind::NewServiceHere | OrderKind::NewServiceElsewhere => Record::Xzwz(self.xzwz()?),
            OrderKind::NewAccess => Record::Xzjr(self.xzjr()?),
            OrderKind::ChangeSubject
            | OrderKind::ChangeService
            | OrderKind::ChangeFiling
            | OrderKind::ChangeAccess => Record::Bgba(self.bgba()?),
            OrderKind::CancelSubject | OrderKind::CancelService | OrderKind::CancelAccess => {
                Record::Zxba(self.zxba()?)
            }
            OrderKind::MigrateService => return Err(MappingError::Unsupported("migrate_service")),
            OrderKind::TransferFiling => return Err(MappingError::Unsupported("transfer_filing")),
            OrderKind::ClaimFiling => return Err(MappingError::Unsupported("claim_filing")),
        })
    }

    fn nature(&self) -> Result<i64, MappingError> {
        code(self.tables, Table::Nature, &names().nature(self.input.order.subject.nature), "subject.nature")
    }

    fn cert_type(&self, kind: beian_core::model::CertificateKind, field: &str) -> Result<i64, MappingError> {
        code(self.tables, Table::CertificateType, &names().certificate(kind), field)
    }

    fn fwnr(&self, w: &Website, field: &str) -> Result<Vec<i64>, MappingError> {
        if w.service_content.is_empty() {
            return Err(MappingError::Missing {
                field: format!("{field}.service_content"),
                what: "a service content",
            });
        }
        w.service_content
            .iter()
            .enumerate()
            .map(|(i, c)| {
                code(
                    self.tables,
                    Table::ServiceContent,
                    &[c.as_str()],
                    &format!("{field}.service_content[{i}]"),
                )
            })
            .collect()
    }

    fn yylb(&self, w: &Website, field: &str) -> Result<Vec<i64>, MappingError> {
        if w.languages.is_empty() {
            return Err(MappingError::Missing { field: format!("{field}.languages"), what: "a language" });
        }
        w.languages
            .iter()
            .enumerate()
            .map(|(i, l)| {
                code(self.tables, Table::Language, &[l.as_str()], &format!("{field}.languages[{i}]"))
            })
            .collect()
    }

    fn location_and_method(&self, w: &Website, field: &str) -> Result<(i64, i64), MappingError> {
        let (sheng, _, _) = regions(self.tables, &self.provider.server_region, "provider.server_region")?;
        let province = u8::try_from(sheng / 10_000).ok().and_then(beian_core::province::ProvinceCode::new);
        let name = province.map(|p| p.province().name).unwrap_or_default();
        let fbdd = self
            .tables
            .location(sheng, name)
            .map_err(|source| MappingError::Unmapped { field: "provider.server_region".into(), source })?;
        let method = w
            .access
            .method
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .unwrap_or(&self.provider.access_method);
        let jrfs = code(
            self.tables,
            Table::AccessMethod,
            &names().access_method(method),
            &format!("{field}.access.method"),
        )?;
        Ok((fbdd, jrfs))
    }

    fn ip_ranges(&self, w: &Website, field: &str) -> Result<Vec<(i64, i64)>, MappingError> {
        if w.access.ips.is_empty() {
            return Err(MappingError::Missing {
                field: format!("{field}.access.ips"),
                what: "an IP address",
            });
        }
        w.access
            .ips
            .iter()
            .enumerate()
            .map(|(i, ip)| {
                ip_range(ip).ok_or_else(|| MappingError::Invalid {
                    field: format!("{field}.access.ips[{i}]"),
                    why: "V3.0 carries IPv4 addresses and ranges only",
                })
            })
            .collect()
    }

    /// Pre-approvals with their scans (`pre_approval` documents of the website, in order).
    fn pre_approvals<T>(
        &self,
        w: &Website,
        field: &str,
        make: impl Fn(i64, String, Vec<String>) -> T,
    ) -> Result<Vec<T>, MappingError> {
        let scans: Vec<String> = self
            .input
            .attachments
            .iter()
            .filter(|a| a.document == "pre_approval" && a.path == field)
            .map(|a| base64_of(&a.jpeg))
            .collect();
        w.pre_approvals
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let f = format!("{field}.pre_approvals[{i}]");
                let kind = code(self.tables, Table::ContentType, &[p.kind.as_str()], &format!("{f}.kind"))?;
                let number = required(&p.number, &format!("{f}.number"), "the pre-approval's number")?;
                if scans.is_empty() {
                    return Err(MappingError::Missing {
                        field: f,
                        what: "a scan of the pre-approval (JPEG)",
                    });
                }
                Ok(make(kind, number, scans.iter().take(10).cloned().collect()))
            })
            .collect()
    }

    /// The attachments of the subject (`subject`, `subject.head`) or of website `i`.
    fn attachments(&self, website: Option<usize>) -> Result<Vec<(i64, i64, String)>, MappingError> {
        let jpg = code(self.tables, Table::AttachmentFormat, &names().jpeg(), "documents")?;
        let mut out = Vec::new();
        for a in self.input.attachments {
            let belongs = match website {
                None => a.path == "subject" || a.path == "subject.head",
                Some(i) => a.path == format!("websites[{i}]") || a.path == format!("websites[{i}].head"),
            };
            let uses = names().attachment_uses(&a.document, website.is_some());
            if !belongs || uses.is_empty() {
                continue;
            }
            if a.jpeg.len() > MAX_ATTACHMENT {
                return Err(MappingError::Invalid {
                    field: a.path.clone(),
                    why: "an attachment is larger than 100 KB",
                });
            }
            let fjyt = code(self.tables, Table::AttachmentUse, &uses, &a.path)?;
            out.push((jpg, fjyt, base64_of(&a.jpeg)));
        }
        Ok(out)
    }

    fn filed_site(&self, w: &Website, field: &str) -> Result<(String, FiledSite), MappingError> {
        let number = w.existing_number.clone().ok_or(MappingError::Missing {
            field: format!("{field}.existing_number"),
            what: "the website's number",
        })?;
        let site = self.input.on_file.and_then(|f| f.websites.get(&number)).cloned().ok_or(
            MappingError::Missing {
                field: format!("{field}.existing_number"),
                what: "the bureau's id of the website (from its BASJ data)",
            },
        )?;
        Ok((number, site))
    }

    fn on_file(&self) -> Result<&'a OnFile, MappingError> {
        self.input.on_file.ok_or(MappingError::Missing {
            field: "subject.existing_number".into(),
            what: "the bureau's id of the subject (from its BASJ data)",
        })
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `ICPmm`: the filing password's MD5 as 32 lower-case hex characters.
pub fn md5_hex(password: &str) -> String {
    use md5::Digest as _;
    md5::Md5::digest(password.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
