//! A filing as the bureau hands it down once approved (`BASJ` 备案数据): the subject and its
//! websites with the bureau's ids (`Ztid`, `Wzid`, `Ymid`, `Jrid`, `Ipid`), their numbers, and
//! the provider's own ids echoed back — and, on the provider's side, what it learns from it
//! ([`OnFile`] for later changes and cancellations, and each website's number by its own id).

use std::collections::BTreeMap;

use beian_core::model::{Order, Person};
use serde::{Deserialize, Serialize};

use super::outbound::{FiledSite, OnFile, RecordIds, SiteIds};
use super::{MappingError, code, ip_range, names};
use crate::jcdm::{CodeTables, Table};
use crate::schema::download::icp::basj::{self, baxx};

/// The bureau's ids of a filing, website by website in the order's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BureauIds {
    pub subject: i64,
    pub websites: Vec<SiteBureauIds>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteBureauIds {
    pub website: i64,
    pub domains: BTreeMap<String, i64>,
    /// This provider's access.
    pub access: i64,
    pub ips: Vec<i64>,
}

/// What goes into a `BASJ` record.
#[derive(Debug, Clone, Copy)]
pub struct Filed<'a> {
    /// The filing as approved.
    pub order: &'a Order,
    pub subject_number: &'a str,
    /// The number of each website, in the order's order.
    pub website_numbers: &'a [String],
    pub ids: &'a BureauIds,
    /// The provider's ids from its record, echoed so it can match them.
    pub isp: &'a RecordIds,
    /// The provider's reporting-unit id (`Ispid` of its access).
    pub unit_id: i64,
    /// First filed and last changed, `YYYY-MM-DD HH:MM:SS`.
    pub first_filed: &'a str,
    pub changed: &'a str,
    /// Who reviewed it at the bureau.
    pub reviewer: Option<&'a str>,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn cert_type(tables: &CodeTables, p: &Person, field: &str) -> Result<i64, MappingError> {
    code(tables, Table::CertificateType, &names().certificate(p.certificate.kind), field)
}

/// The `BASJ` record of an approved filing.
pub fn basj(tables: &CodeTables, f: Filed<'_>) -> Result<basj::Baxx, MappingError> {
    let o = f.order;
    let s = &o.subject;
    let region = |code: &str| -> Result<(i64, Option<i64>, Option<i64>), MappingError> {
        let n: i64 = code.trim().parse().map_err(|_| MappingError::Invalid {
            field: "subject.region".into(),
            why: "not a region code",
        })?;
        let sheng = n / 10_000 * 10_000;
        let shi = n / 100 * 100;
        Ok((sheng, (shi != sheng).then_some(shi), (n != shi).then_some(n)))
    };
    let (shengid, shiid, xianid) = region(&s.region)?;
    let zt_xx = baxx::ZtXx {
        isp_ztid: f.isp.subject,
        ztid: f.ids.subject,
        dwmc: s.name.clone(),
        dwxz: Some(code(tables, Table::Nature, &names().nature(s.nature), "subject.nature")?),
        txdz: baxx::zt_xx::Txdz { shengid, shiid, xianid, xxdz: opt(&s.mailing_address) },
        zj: baxx::zt_xx::Zj {
            zjlx: code(
                tables,
                Table::CertificateType,
                &names().certificate(s.certificate.kind),
                "subject.certificate.kind",
            )?,
            zjhm: s.certificate.number.clone(),
            zjzs: s.certificate_address.clone(),
        },
        fzr: baxx::zt_xx::Fzr {
            fzr_xm: opt(&s.head.name),
            fzr_dhhm: s.head.office_phone.as_deref().and_then(opt),
            fzr_sjhm: opt(&s.head.mobile),
            fzr_dzyj: s.head.email.clone(),
            msn: None,
            qq: None,
            fzr_zjhm: opt(&s.head.certificate.number),
            fzr_zjlx: Some(cert_type(tables, &s.head, "subject.head.certificate.kind")?),
        },
        baxh: Some(f.subject_number.to_owned()),
        bbyhlx: 1,
        tzr: s.investor.clone(),
        scbbsj: f.first_filed.to_owned(),
        zjxgsj: f.changed.to_owned(),
        zsyxq: None,
        zslj: None,
        zsxh: None,
        shrxm: f.reviewer.map(str::to_owned),
        shsj: Some(f.changed.to_owned()),
        bz: None,
    };
    let mut wz_xx = Vec::new();
    for (i, w) in o.websites.iter().enumerate() {
        let field = format!("websites[{i}]");
        let ids = f
            .ids
            .websites
            .get(i)
            .ok_or(MappingError::Missing { field: field.clone(), what: "the website's ids" })?;
        let isp: Option<&SiteIds> = f.isp.websites.iter().find(|s| s.path == field);
        let method = w.access.method.as_deref().unwrap_or_default();
        let jrfs = code(
            tables,
            Table::AccessMethod,
            &names().access_method(method),
            &format!("{field}.access.method"),
        )?;
        let location =
            isp.map(|s| s.location.clone()).filter(|l| !l.is_empty()).ok_or(MappingError::Missing {
                field: format!("{field}.access"),
                what: "where the website's servers stand",
            })?;
        let mut ip_xx = Vec::new();
        for (j, ip) in w.access.ips.iter().enumerate() {
            let (qsip, zzip) = ip_range(ip).ok_or(MappingError::Invalid {
                field: format!("{field}.access.ips[{j}]"),
                why: "not an IPv4 range",
            })?;
            ip_xx.push(baxx::wz_xx::jr_xx::IpXx {
                isp_ipid: isp.and_then(|s| s.ips.get(j).copied()),
                ipid: ids.ips.get(j).copied().ok_or(MappingError::Missing {
                    field: format!("{field}.access.ips[{j}]"),
                    what: "the address's id",
                })?,
                qsip,
                zzip,
            });
        }
        wz_xx.push(baxx::WzXx {
            isp_wzid: isp.and_then(|s| s.website),
            wzid: ids.website,
            wzmc: w.name.clone(),
            nrlx: None,
            fwnr: Some(baxx::wz_xx::Fwnr {
                fwnr_id: w
                    .service_content
                    .iter()
                    .map(|c| {
                        code(
                            tables,
                            Table::ServiceContent,
                            &[c.as_str()],
                            &format!("{field}.service_content"),
                        )
                    })
                    .collect::<Result<_, _>>()?,
            }),
            yylb: baxx::wz_xx::Yylb {
                yylb_id: w
                    .languages
                    .iter()
                    .map(|l| code(tables, Table::Language, &[l.as_str()], &format!("{field}.languages")))
                    .collect::<Result<_, _>>()?,
            },
            ym_xx: w
                .domains
                .iter()
                .map(|d| {
                    Ok(baxx::wz_xx::YmXx {
                        isp_ymid: isp.and_then(|s| s.domains.get(d).copied()),
                        ymid: ids.domains.get(d).copied().ok_or(MappingError::Missing {
                            field: format!("{field}.domains"),
                            what: "the domain's id",
                        })?,
                        ym: d.clone(),
                    })
                })
                .collect::<Result<_, MappingError>>()?,
            jr_xx: vec![baxx::wz_xx::JrXx {
                isp_jrid: isp.and_then(|s| s.access),
                jrid: ids.access,
                ispid: f.unit_id,
                wzfb: baxx::wz_xx::jr_xx::Wzfb { fbdd: location },
                wzjrfs: baxx::wz_xx::jr_xx::Wzjrfs { jrfs: vec![jrfs] },
                ip_xx,
            }],
            wz_fzr: baxx::wz_xx::WzFzr {
                fzr_xm: w.head.name.clone(),
                fzr_dhhm: w.head.office_phone.as_deref().and_then(opt),
                fzr_sjhm: opt(&w.head.mobile),
                fzr_dzyj: opt(&w.head.email),
                msn: None,
                qq: None,
                fzr_zjlx: Some(cert_type(tables, &w.head, &format!("{field}.head.certificate.kind"))?),
                fzr_zjhm: opt(&w.head.certificate.number),
            },
            syurl: w.domains.first().map(|d| format!("http://{d}")),
            wz_bz: w.remark.clone(),
            scbbsj: Some(f.first_filed.to_owned()),
            zjxgsj: Some(f.changed.to_owned()),
            baxh: f.website_numbers.get(i).cloned(),
        });
    }
    Ok(basj::Baxx { zt_xx, wz_xx, bz: None })
}

/// What a provider learns from a `BASJ` record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Learned {
    /// The bureau's ids and numbers, for later changes and cancellations.
    pub on_file: OnFile,
    /// The provider's own subject id, if the bureau echoed it.
    pub isp_subject: Option<i64>,
    /// Each website's number by the provider's own website id.
    pub numbers_by_isp_website: BTreeMap<i64, String>,
}

/// Reads a `BASJ` record; `unit_id` picks this provider's access among the website's.
pub fn learn(b: &basj::Baxx, unit_id: i64) -> Learned {
    let mut out = Learned {
        on_file: OnFile {
            subject_id: b.zt_xx.ztid,
            subject_number: b.zt_xx.baxh.clone().unwrap_or_default(),
            websites: BTreeMap::new(),
        },
        isp_subject: b.zt_xx.isp_ztid,
        numbers_by_isp_website: BTreeMap::new(),
    };
    for w in &b.wz_xx {
        let Some(number) = w.baxh.clone() else { continue };
        if let Some(id) = w.isp_wzid {
            out.numbers_by_isp_website.insert(id, number.clone());
        }
        out.on_file.websites.insert(
            number,
            FiledSite {
                id: w.wzid,
                access_id: w.jr_xx.iter().find(|j| j.ispid == unit_id).map(|j| j.jrid),
                domains: w.ym_xx.iter().map(|d| (d.ym.clone(), d.ymid)).collect(),
            },
        );
    }
    out
}
