//! The bureau's blacklists as entries the provider keeps: `HMDLB` (黑名单列表: subjects by
//! certificate, websites by domain; each entry added, changed or removed) and `FFJRHMD`
//! (非法接入黑名单: domains found served without a filing, with the address and the
//! provider that served them). The provider's pre-check refuses a blacklisted subject or
//! domain, and flags an illegally served domain for its reviewer.

use beian_core::model::{Certificate, SubjectNature};

use super::{MappingError, code, names};
use crate::jcdm::{CodeTables, Table};
use crate::schema::download::Icp;
use crate::schema::download::icp::{Hmdlb, hmdlb};

/// What an entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// A subject, by its certificate number as the bureau wrote it.
    Subject { certificate: String },
    /// A website's domain (lower case, no trailing dot).
    Domain(String),
    /// A domain found served without a filing.
    IllegalAccess(String),
}

/// An entry and whether it joins (or changes on) the list or leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub listed: Listed,
    pub removed: bool,
    /// The bureau's remark (`Bz`): why it listed the entry, when it says.
    pub note: Option<String>,
}

/// `Czlx` 0: 增加.
const ADD: i64 = 0;
/// `Czlx` 2: 删除.
const REMOVE: i64 = 2;

/// What the bureau puts on (or takes off) its blacklist.
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    Subject { name: &'a str, nature: SubjectNature, certificate: &'a Certificate },
    Website { name: &'a str, domains: &'a [String] },
}

/// The `HMDLB` list that hands one change down (the bureau's side).
pub fn hmdlb(
    tables: &CodeTables,
    listing: Listing<'_>,
    removed: bool,
    note: Option<&str>,
) -> Result<Hmdlb, MappingError> {
    let czlx = if removed { REMOVE } else { ADD };
    let bz = note.map(str::to_owned);
    Ok(match listing {
        Listing::Subject { name, nature, certificate } => Hmdlb {
            zthmdxxs: vec![hmdlb::Zthmdxxs {
                zt_xx: Some(hmdlb::zthmdxxs::ZtXx {
                    dwmc: name.trim().to_owned(),
                    dwxz: Some(code(tables, Table::Nature, &names().nature(nature), "subject.nature")?),
                    zj: hmdlb::zthmdxxs::zt_xx::Zj {
                        zjlx: code(
                            tables,
                            Table::CertificateType,
                            &names().certificate(certificate.kind),
                            "subject.certificate.kind",
                        )?,
                        zjhm: certificate.number.trim().to_owned(),
                    },
                }),
                czlx,
                bz,
            }],
            wzhmdxxs: Vec::new(),
        },
        Listing::Website { name, domains } => {
            if domains.is_empty() {
                return Err(MappingError::Missing { field: "domains".into(), what: "a domain" });
            }
            Hmdlb {
                zthmdxxs: Vec::new(),
                wzhmdxxs: vec![hmdlb::Wzhmdxxs {
                    wz_xx: hmdlb::wzhmdxxs::WzXx {
                        wzmc: name.trim().to_owned(),
                        ym_xx: domains
                            .iter()
                            .map(|d| hmdlb::wzhmdxxs::wz_xx::YmXx { ym: d.trim().to_owned() })
                            .collect(),
                        syurl: None,
                    },
                    czlx,
                    bz,
                }],
            }
        }
    })
}

fn note(bz: Option<&str>) -> Option<String> {
    bz.map(str::trim).filter(|b| !b.is_empty()).map(str::to_owned)
}

fn domain(raw: &str) -> Option<String> {
    let d = raw.trim().trim_end_matches('.').to_lowercase();
    (!d.is_empty()).then_some(d)
}

/// Every blacklist entry of a file's ICP part, in the file's order.
pub fn entries(icp: &Icp) -> Vec<Entry> {
    let mut out = Vec::new();
    if let Some(h) = &icp.hmdlb {
        for z in &h.zthmdxxs {
            let Some(zt) = &z.zt_xx else { continue };
            let certificate = zt.zj.zjhm.trim().to_owned();
            if !certificate.is_empty() {
                out.push(Entry {
                    listed: Listed::Subject { certificate },
                    removed: z.czlx == REMOVE,
                    note: note(z.bz.as_deref()),
                });
            }
        }
        for w in &h.wzhmdxxs {
            for d in w.wz_xx.ym_xx.iter().filter_map(|y| domain(&y.ym)) {
                out.push(Entry {
                    listed: Listed::Domain(d),
                    removed: w.czlx == REMOVE,
                    note: note(w.bz.as_deref()),
                });
            }
        }
    }
    if let Some(f) = &icp.ffjrhmd {
        for x in &f.ffjrxx {
            if let Some(d) = domain(&x.ym) {
                out.push(Entry { listed: Listed::IllegalAccess(d), removed: false, note: None });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::download::{DownloadData, DownloadDataChoice};
    use crate::xml::{self, Mode};

    const FILE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DownloadData version="V.3.0"><ICP>
<HMDLB>
  <Zthmdxxs><Zt_xx><Dwmc>某某网络科技有限公司</Dwmc><Zj><Zjlx>1</Zjlx><Zjhm> 91330106MA2B00000X </Zjhm></Zj></Zt_xx><Czlx>0</Czlx></Zthmdxxs>
  <Zthmdxxs><Czlx>1</Czlx></Zthmdxxs>
  <Wzhmdxxs><Wz_xx><Wzmc>坏网站</Wzmc><Ym_xx><Ym>Bad.Example.CN.</Ym></Ym_xx><Ym_xx><Ym>bad2.example.cn</Ym></Ym_xx></Wz_xx><Czlx>2</Czlx></Wzhmdxxs>
</HMDLB>
<FFJRHMD><Ffjrxx><Id>7</Id><Ym>unfiled.example.com</Ym><Ip>794820874</Ip><Zjjrz>700001</Zjjrz><Szs>330000</Szs><Dqjcsj>2026-12-01 10:00:00</Dqjcsj></Ffjrxx></FFJRHMD>
</ICP></DownloadData>"#;

    #[test]
    fn blacklists_become_entries_with_their_operation() {
        let doc: DownloadData = xml::from_bytes(FILE.as_bytes(), Mode::Strict).unwrap();
        let DownloadDataChoice::Icp(icp) = &doc.choice else { panic!("not ICP") };
        assert_eq!(
            entries(icp),
            vec![
                Entry {
                    listed: Listed::Subject { certificate: "91330106MA2B00000X".into() },
                    removed: false,
                    note: None,
                },
                Entry { listed: Listed::Domain("bad.example.cn".into()), removed: true, note: None },
                Entry { listed: Listed::Domain("bad2.example.cn".into()), removed: true, note: None },
                Entry {
                    listed: Listed::IllegalAccess("unfiled.example.com".into()),
                    removed: false,
                    note: None
                },
            ]
        );
    }

    #[test]
    fn what_the_bureau_lists_reaches_the_provider_as_the_same_entries() {
        use crate::mapping::round_trip::{example, tables};
        let order = example("company");
        let subject = Listing::Subject {
            name: &order.subject.name,
            nature: order.subject.nature,
            certificate: &order.subject.certificate,
        };
        let domains = vec!["Bad.example.cn".to_owned()];
        let site = Listing::Website { name: "坏网站", domains: &domains };
        let mut icp = crate::schema::download::Icp::empty();
        let added = hmdlb(&tables(), subject, false, Some("虚假材料")).unwrap();
        let removed = hmdlb(&tables(), site, true, None).unwrap();
        icp.hmdlb = Some(Hmdlb { zthmdxxs: added.zthmdxxs, wzhmdxxs: removed.wzhmdxxs });
        let doc = DownloadData { version: "V.3.0".into(), choice: DownloadDataChoice::Icp(icp) };
        let bytes = xml::to_gbk(&doc).unwrap();
        let path = std::env::temp_dir().join(format!("beian-miit-hmdlb-{}.xml", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        let verdict = crate::testing::xmllint("download.xsd", std::slice::from_ref(&path));
        let _ = std::fs::remove_file(&path);
        verdict.unwrap();
        let back: DownloadData = xml::from_bytes(&bytes, Mode::Strict).unwrap();
        let DownloadDataChoice::Icp(icp) = &back.choice else { panic!("not ICP") };
        assert_eq!(
            entries(icp),
            vec![
                Entry {
                    listed: Listed::Subject { certificate: order.subject.certificate.number.clone() },
                    removed: false,
                    note: Some("虚假材料".into()),
                },
                Entry { listed: Listed::Domain("bad.example.cn".into()), removed: true, note: None },
            ]
        );
        let none: &[String] = &[];
        assert!(hmdlb(&tables(), Listing::Website { name: "x", domains: none }, false, None).is_err());
    }
}
