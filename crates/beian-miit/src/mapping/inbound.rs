//! An uploaded record as an order: how the simulator, acting as the bureau, takes a provider's
//! upload into the filing process it runs (SMS verification, review, numbers, records).
//!
//! A record that names something on file (新增网站 by subject, 新增接入 by website, 变更 and
//! 注销 by the bureau's ids) is resolved by the caller first, which reads its records; what
//! it found is passed in. Every coded field is read back through the bureau's tables; a code
//! the tables do not have fails with the result code the spec gives for it
//! ([`MappingError::result_code`]).

use beian_core::model::{
    Access, Certificate, CertificateKind, Order, OrderKind, Person, PreApproval, Subject, SubjectNature,
    Website,
};
use beian_core::province::ProvinceCode;

use super::outbound::{RecordIds, SiteIds};
use super::{MappingError, ip_text, names};
use crate::codes::result;
use crate::jcdm::{CodeTables, Table, Unmapped};
use crate::schema::upload::icp;

impl MappingError {
    /// The data-processing result code (spec §3-5) a record failing this way gets.
    pub fn result_code(&self) -> i64 {
        match self {
            MappingError::Unmapped { source, .. } => match source.table {
                Table::Nature => result::INVALID_NATURE,
                Table::CertificateType => result::INVALID_CERTIFICATE,
                Table::Region => result::REGION_INVALID,
                Table::ServiceContent => result::SERVICE_CONTENT_INVALID,
                Table::Language => result::LANGUAGE_INVALID,
                Table::ContentType => result::PRE_APPROVAL_KIND_INVALID,
                Table::AccessMethod => result::ACCESS_METHOD_INVALID,
                Table::CancelReason => result::CANCEL_REASON_INVALID,
                Table::AttachmentFormat => result::ATTACHMENT_FORMAT_INVALID,
                Table::AttachmentUse => result::ATTACHMENT_USE_INVALID,
                _ => result::ICP_OTHER,
            },
            MappingError::Missing { .. } => result::NOT_ON_RECORD,
            MappingError::Invalid { .. } | MappingError::Unsupported(_) => result::ICP_OTHER,
        }
    }
}

fn name_of(tables: &CodeTables, table: Table, id: i64, field: &str) -> Result<String, MappingError> {
    match tables.name(table, id) {
        Some(n) if tables.valid(table, id) => Ok(n.to_owned()),
        _ => Err(MappingError::Unmapped {
            field: field.to_owned(),
            source: Unmapped { table, value: id.to_string() },
        }),
    }
}

/// The first of several values the spec lets one field carry, separated by `;`.
fn first(s: &str) -> String {
    s.split([';', '；']).next().unwrap_or_default().trim().to_owned()
}

/// The fields every head (`Fzr`, `Wz_Fzr`) carries, read into a person.
struct HeadFields<'a> {
    pub name: Option<&'a str>,
    pub office: Option<&'a str>,
    pub mobile: &'a str,
    pub email: &'a str,
    pub cert_type: Option<i64>,
    pub cert: Option<&'a str>,
}

fn person(
    tables: &CodeTables,
    h: HeadFields<'_>,
    fallback_name: &str,
    field: &str,
) -> Result<Person, MappingError> {
    let kind = match h.cert_type {
        Some(id) => {
            let name = name_of(tables, Table::CertificateType, id, &format!("{field}.certificate.kind"))?;
            names().certificate_of(&name).ok_or(MappingError::Unmapped {
                field: format!("{field}.certificate.kind"),
                source: Unmapped { table: Table::CertificateType, value: name },
            })?
        }
        None => CertificateKind::ResidentId,
    };
    let mobile = first(h.mobile);
    Ok(Person {
        name: h.name.map(str::to_owned).unwrap_or_else(|| fallback_name.to_owned()),
        certificate: Certificate { kind, number: h.cert.unwrap_or_default().to_owned() },
        certificate_valid_until: None,
        emergency_phone: h.office.map(first).unwrap_or_else(|| mobile.clone()),
        office_phone: h.office.map(first),
        mobile,
        email: first(h.email),
        authorization_letter: false,
    })
}

/// The GB/T 2260 code of the most precise region given (the simulator's region ids are the
/// codes themselves).
fn region(
    tables: &CodeTables,
    sheng: i64,
    shi: Option<i64>,
    xian: Option<i64>,
) -> Result<(String, ProvinceCode), MappingError> {
    let bad = |v: i64| MappingError::Unmapped {
        field: "subject.region".into(),
        source: Unmapped { table: Table::Region, value: v.to_string() },
    };
    for id in [Some(sheng), shi, xian].into_iter().flatten() {
        if !tables.valid(Table::Region, id) {
            return Err(bad(id));
        }
    }
    let code = xian.or(shi).unwrap_or(sheng);
    let province = u8::try_from(sheng / 10_000).ok().and_then(ProvinceCode::new).ok_or_else(|| bad(sheng))?;
    Ok((code.to_string(), province))
}

fn nature(
    tables: &CodeTables,
    dwxz: Option<i64>,
    cert: CertificateKind,
) -> Result<SubjectNature, MappingError> {
    let Some(id) = dwxz else {
        // Individuals may leave the nature out.
        return if cert.is_personal() {
            Ok(SubjectNature::Individual)
        } else {
            Err(MappingError::Missing { field: "subject.nature".into(), what: "the unit's nature" })
        };
    };
    let name = name_of(tables, Table::Nature, id, "subject.nature")?;
    names().nature_of(&name).ok_or(MappingError::Unmapped {
        field: "subject.nature".into(),
        source: Unmapped { table: Table::Nature, value: name },
    })
}

/// The website fields every record carries, in one shape whatever the record's own types.
struct SiteFields<'a> {
    pub name: &'a str,
    pub pre_approvals: Vec<(i64, &'a str)>,
    pub service_content: &'a [i64],
    pub languages: &'a [i64],
    pub domains: Vec<&'a str>,
    pub access_methods: Vec<i64>,
    pub ips: Vec<(i64, i64)>,
    pub head: HeadFields<'a>,
    pub remark: Option<&'a str>,
    pub existing_number: Option<&'a str>,
}

/// Reads a website's fields into the order's shape.
fn website(tables: &CodeTables, s: SiteFields<'_>, field: &str) -> Result<Website, MappingError> {
    let names_of = |table: Table, ids: &[i64], what: &str| -> Result<Vec<String>, MappingError> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| name_of(tables, table, *id, &format!("{field}.{what}[{i}]")))
            .collect()
    };
    let method = access_method(tables, s.access_methods.first(), &format!("{field}.access.method"))?;
    Ok(Website {
        name: s.name.to_owned(),
        domains: s.domains.iter().map(|d| d.trim().to_owned()).collect(),
        service_content: names_of(Table::ServiceContent, s.service_content, "service_content")?,
        languages: names_of(Table::Language, s.languages, "languages")?,
        pre_approvals: s
            .pre_approvals
            .iter()
            .enumerate()
            .map(|(i, (kind, number))| {
                Ok(PreApproval {
                    kind: name_of(
                        tables,
                        Table::ContentType,
                        *kind,
                        &format!("{field}.pre_approvals[{i}].kind"),
                    )?,
                    number: (*number).to_owned(),
                    document: None,
                })
            })
            .collect::<Result<_, MappingError>>()?,
        head: person(tables, s.head, s.name, &format!("{field}.head"))?,
        access: Access {
            ips: s.ips.iter().map(|(a, b)| ip_text(*a, *b)).collect(),
            service_number: None,
            method,
        },
        remark: s.remark.map(str::to_owned),
        existing_number: s.existing_number.map(str::to_owned),
    })
}

macro_rules! site_fields {
    ($w:expr) => {{
        let w = $w;
        let jr = w.jr_xx.first();
        SiteFields {
            name: &w.wzmc,
            pre_approvals: w
                .nrlx
                .as_ref()
                .map(|n| n.nrlx_xx.iter().map(|p| (p.nrlx_id, p.qzsph.as_str())).collect())
                .unwrap_or_default(),
            service_content: &w.fwnr.fwnr_id,
            languages: &w.yylb.yylb_id,
            domains: w.ym_xx.iter().map(|d| d.ym.as_str()).collect(),
            access_methods: jr.map(|j| j.wzjrfs.jrfs.clone()).unwrap_or_default(),
            ips: w.jr_xx.iter().flat_map(|j| j.ip_xx.iter().map(|i| (i.qsip, i.zzip))).collect(),
            head: HeadFields {
                name: Some(&w.wz_fzr.fzr_xm),
                office: w.wz_fzr.fzr_dhhm.as_deref(),
                mobile: &w.wz_fzr.fzr_sjhm,
                email: &w.wz_fzr.fzr_dzyj,
                cert_type: w.wz_fzr.fzr_zjlx,
                cert: w.wz_fzr.fzr_zjhm.as_deref(),
            },
            remark: w.wz_bz.as_deref(),
            existing_number: None,
        }
    }};
}

/// The provider's ids of a new website (for the bureau's `BASJ` answer).
macro_rules! site_ids {
    ($w:expr, $i:expr) => {{
        let w = $w;
        SiteIds {
            path: format!("websites[{}]", $i),
            website: Some(w.isp_wzid),
            domains: w.ym_xx.iter().map(|d| (d.ym.clone(), d.isp_ymid)).collect(),
            access: w.jr_xx.first().map(|j| j.isp_jrid),
            ips: w.jr_xx.iter().flat_map(|j| j.ip_xx.iter().map(|i| i.isp_ipid)).collect(),
            location: w.jr_xx.first().map(|j| j.wzfb.fbdd.clone()).unwrap_or_default(),
        }
    }};
}

/// The subject fields every record carrying one (`Zt_Xx`) has, in one shape whatever the
/// record's own types.
struct SubjectFields<'a> {
    pub name: &'a str,
    pub nature: Option<i64>,
    pub cert_type: i64,
    pub cert: &'a str,
    pub cert_address: &'a str,
    pub region: (i64, i64, Option<i64>),
    pub mailing_address: Option<&'a str>,
    pub head: HeadFields<'a>,
    pub investor: Option<&'a str>,
    pub remark: Option<&'a str>,
}

/// Reads a subject into the order's shape, with the province its region lies in. What a record
/// does not carry (whether the head is the legal representative, a residence permit, the
/// number) is left unset for the caller.
fn subject(tables: &CodeTables, z: SubjectFields<'_>) -> Result<(Subject, ProvinceCode), MappingError> {
    let cert_kind = {
        let name = name_of(tables, Table::CertificateType, z.cert_type, "subject.certificate.kind")?;
        names().certificate_of(&name).ok_or(MappingError::Unmapped {
            field: "subject.certificate.kind".into(),
            source: Unmapped { table: Table::CertificateType, value: name },
        })?
    };
    let (sheng, shi, xian) = z.region;
    let (region, province) = region(tables, sheng, Some(shi), xian)?;
    // The head before the nature: a record wrong in both answers with the head's code.
    let head = person(tables, z.head, z.name, "subject.head")?;
    let subject = Subject {
        nature: nature(tables, z.nature, cert_kind)?,
        name: z.name.to_owned(),
        certificate: Certificate { kind: cert_kind, number: z.cert.to_owned() },
        region,
        certificate_address: z.cert_address.to_owned(),
        mailing_address: z.mailing_address.unwrap_or(z.cert_address).to_owned(),
        head,
        head_is_legal_representative: false,
        residence_permit: false,
        investor: z.investor.map(str::to_owned),
        existing_number: None,
        remark: z.remark.map(str::to_owned),
    };
    Ok((subject, province))
}

macro_rules! subject_fields {
    ($z:expr) => {{
        let z = $z;
        SubjectFields {
            name: &z.dwmc,
            nature: z.dwxz,
            cert_type: z.zj.zjlx,
            cert: &z.zj.zjhm,
            cert_address: &z.zj.zjzs,
            region: (z.txdz.shengid, z.txdz.shiid, z.txdz.xianid),
            mailing_address: z.txdz.xxdz.as_deref(),
            head: HeadFields {
                name: z.fzr.fzr_xm.as_deref(),
                office: z.fzr.fzr_dhhm.as_deref(),
                mobile: &z.fzr.fzr_sjhm,
                email: &z.fzr.fzr_dzyj,
                cert_type: z.fzr.fzr_zjlx,
                cert: z.fzr.fzr_zjhm.as_deref(),
            },
            investor: z.tzr.as_deref(),
            remark: z.bz.as_deref(),
        }
    }};
}

/// An order of websites only (every ICP record kind but 注销 carries websites, not apps).
fn website_order(kind: OrderKind, province: ProvinceCode, subject: Subject, websites: Vec<Website>) -> Order {
    Order {
        kind,
        province,
        subject,
        websites,
        apps: Vec::new(),
        target_numbers: Vec::new(),
        cancel_reason: None,
        remark: None,
    }
}

/// The access method (接入方式) of the first code given, by the name the order uses.
fn access_method(
    tables: &CodeTables,
    code: Option<&i64>,
    field: &str,
) -> Result<Option<String>, MappingError> {
    let Some(id) = code else { return Ok(None) };
    let name = name_of(tables, Table::AccessMethod, *id, field)?;
    Ok(Some(names().access_method_of(&name).map(str::to_owned).unwrap_or(name)))
}

/// 新增备案: the whole filing.
pub fn xzba(tables: &CodeTables, b: &icp::xzba::Baxx) -> Result<(Order, RecordIds), MappingError> {
    let (subject, province) = subject(tables, subject_fields!(&b.zt_xx))?;
    let mut websites = Vec::new();
    let mut ids = RecordIds { subject: Some(b.zt_xx.isp_ztid), websites: Vec::new() };
    for (i, w) in b.wz_xx.iter().enumerate() {
        websites.push(website(tables, site_fields!(w), &format!("websites[{i}]"))?);
        ids.websites.push(site_ids!(w, i));
    }
    Ok((website_order(OrderKind::FirstFiling, province, subject, websites), ids))
}

/// 新增网站: new websites for `subject`, which the caller found on file.
pub fn xzwz(
    tables: &CodeTables,
    x: &icp::xzwz::Xzxx,
    subject: Subject,
    province: ProvinceCode,
) -> Result<(Order, RecordIds), MappingError> {
    let mut websites = Vec::new();
    let mut ids = RecordIds::default();
    for (i, w) in x.wz_xx.iter().enumerate() {
        websites.push(website(tables, site_fields!(w), &format!("websites[{i}]"))?);
        ids.websites.push(site_ids!(w, i));
    }
    Ok((website_order(OrderKind::NewServiceHere, province, subject, websites), ids))
}

/// 新增接入: this provider's access to `site` (found on file, with its number) of `subject`.
pub fn xzjr(
    tables: &CodeTables,
    x: &icp::xzjr::Xzxx,
    subject: Subject,
    province: ProvinceCode,
    mut site: Website,
) -> Result<(Order, RecordIds), MappingError> {
    let method = access_method(tables, x.wzjrfs.jrfs.first(), "websites[0].access.method")?;
    site.access = Access {
        ips: x.ip_xx.iter().map(|i| ip_text(i.qsip, i.zzip)).collect(),
        service_number: None,
        method,
    };
    let ids = RecordIds {
        subject: None,
        websites: vec![SiteIds {
            path: "websites[0]".into(),
            access: Some(x.isp_jrid),
            ips: x.ip_xx.iter().map(|i| i.isp_ipid).collect(),
            location: x.wzfb.fbdd.clone(),
            ..SiteIds::default()
        }],
    };
    Ok((website_order(OrderKind::NewAccess, province, subject, vec![site]), ids))
}

/// 变更备案: the subject and its websites as they are to be (numbers from the record).
pub fn bgba(
    tables: &CodeTables,
    b: &icp::bgba::Bgxx,
    on_file: &Subject,
) -> Result<(Order, RecordIds), MappingError> {
    let z = &b.zt_xx;
    let (mut subject, province) = subject(tables, subject_fields!(z))?;
    // What the bureau's record does not carry stays as on file.
    subject.head_is_legal_representative = on_file.head_is_legal_representative;
    subject.residence_permit = on_file.residence_permit;
    subject.existing_number = Some(z.baxh.clone());
    let mut websites = Vec::new();
    let mut ids = RecordIds::default();
    for (i, w) in b.wz_xx.iter().enumerate() {
        let mut f = site_fields!(w);
        f.existing_number = Some(&w.baxh);
        websites.push(website(tables, f, &format!("websites[{i}]"))?);
        ids.websites.push(SiteIds {
            path: format!("websites[{i}]"),
            domains: w.ym_xx.iter().map(|d| (d.ym.clone(), d.isp_ymid)).collect(),
            ips: w.jr_xx.iter().flat_map(|j| j.ip_xx.iter().map(|i| i.isp_ipid)).collect(),
            location: w.jr_xx.first().map(|j| j.wzfb.fbdd.clone()).unwrap_or_default(),
            ..SiteIds::default()
        });
    }
    Ok((website_order(OrderKind::ChangeFiling, province, subject, websites), ids))
}

/// 注销: cancelling a subject (0), websites (1) or this provider's access to websites (2), whose
/// numbers the caller resolved from the bureau's ids.
pub fn zxba(
    tables: &CodeTables,
    category: i64,
    reason: i64,
    subject: Subject,
    province: ProvinceCode,
    numbers: Vec<String>,
    remark: Option<&str>,
) -> Result<Order, MappingError> {
    name_of(tables, Table::CancelReason, reason, "remark")?;
    let kind = match category {
        0 => OrderKind::CancelSubject,
        1 => OrderKind::CancelService,
        2 => OrderKind::CancelAccess,
        _ => {
            return Err(MappingError::Invalid { field: "Zxlb".into(), why: "no such cancellation category" });
        }
    };
    Ok(Order {
        kind,
        province,
        subject,
        websites: Vec::new(),
        apps: Vec::new(),
        target_numbers: numbers,
        cancel_reason: tables.name(Table::CancelReason, reason).map(str::to_owned),
        remark: remark.map(str::to_owned),
    })
}
