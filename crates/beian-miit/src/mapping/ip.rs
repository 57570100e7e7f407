//! The provider's IP address filing (IP地址备案, upload `IP`): where its address blocks come from
//! (来源 `Ly`: the range and the unit that gave it, by the bureau's table of reporting units)
//! and how each range inside them is used (分配使用 `Fpsy`: re-allocated to another reporting
//! unit, used by the provider itself, or reserved), added (`XZBA`) and deleted (`SCBA`) by the
//! bureau's ids; the bureau's verdict per record comes back in the download `IP` `BAJG`
//! (2998 done, 2001–2056 why not), with the bureau's id of an added record.
//!
//! Both sides use this module. Allocation to a customer unit (`Fpfs` 1, with the unit's name,
//! nature, address, contact and gateway) is not offered: a hosting provider's access addresses
//! are its own use (3); the spec's broadcast (`Gbjs`) and own-IP (`Zdip`) records are not
//! either.

use crate::schema::download::ip as down;
use crate::schema::upload::{self, ip};

/// Where a block comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The provider's own record id (`IspId`).
    pub isp_id: i64,
    /// The range, as the interface's integers.
    pub first: i64,
    pub last: i64,
    /// The unit that gave it (`Lydw`, the bureau's reporting-unit table).
    pub unit: i64,
    pub note: Option<String>,
}

/// How a range is used (`Fpfs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// Re-allocated to another reporting unit (2, `Fpdx`).
    Reallocated { to: i64 },
    /// The provider's own use (3): how addresses are assigned (`Syfs`: 1 static, 2 dynamic,
    /// 3 unknown) and since when (`Fprq`, `YYYY-MM-DD`, kept beside).
    OwnUse { method: i64 },
    /// Reserved (4).
    Reserved,
}

impl Usage {
    pub fn code(self) -> i64 {
        match self {
            Usage::Reallocated { .. } => 2,
            Usage::OwnUse { .. } => 3,
            Usage::Reserved => 4,
        }
    }
}

/// How a range inside a source is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub isp_id: i64,
    pub first: i64,
    pub last: i64,
    pub usage: Usage,
    /// Since when (`Fprq`), for own use.
    pub since: Option<String>,
    pub note: Option<String>,
}

fn note(n: &Option<String>, max: usize) -> Option<String> {
    n.as_deref().map(|t| t.trim().chars().take(max).collect::<String>()).filter(|t| !t.is_empty())
}

fn file(version: &str, unit_id: i64, record: upload::Ip) -> upload::UploadData {
    upload::UploadData {
        version: version.to_owned(),
        choice: upload::UploadDataChoice::Ip(upload::Ip { qqdwid: unit_id, ..record }),
    }
}

fn empty() -> upload::Ip {
    upload::Ip { xzba: None, xgba: None, scba: None, qqdwid: 0 }
}

/// The `IP` `XZBA` file adding `sources` and `allocations` (sources first, as the spec wants).
pub fn add_file(
    version: &str,
    unit_id: i64,
    sources: &[Source],
    allocations: &[Allocation],
) -> upload::UploadData {
    let xzly = (!sources.is_empty()).then(|| ip::xzba::Xzly {
        ly: sources
            .iter()
            .map(|s| ip::xzba::xzly::Ly {
                isp_id: s.isp_id,
                qsip: s.first,
                zzip: s.last,
                lydw: s.unit,
                bz: note(&s.note, 512),
            })
            .collect(),
    });
    let xzfp = (!allocations.is_empty()).then(|| ip::xzba::Xzfp {
        fpsy: allocations
            .iter()
            .map(|a| {
                let (fpdx, syfs) = match a.usage {
                    Usage::Reallocated { to } => (Some(to), None),
                    Usage::OwnUse { method } => (None, Some(method)),
                    Usage::Reserved => (None, None),
                };
                ip::xzba::xzfp::Fpsy {
                    isp_id: a.isp_id,
                    qsip: a.first,
                    zzip: a.last,
                    fpfs: a.usage.code(),
                    fpdx,
                    syfs,
                    fprq: if matches!(a.usage, Usage::OwnUse { .. }) { a.since.clone() } else { None },
                    sfymtz: None,
                    dwmc: None,
                    dwxz: None,
                    dwfl: None,
                    dwhyfl: None,
                    shengid: None,
                    shiid: None,
                    xianid: None,
                    xxdz: None,
                    lxrxm: None,
                    lxrdh: None,
                    lxrdzyj: None,
                    wgip: None,
                    wgdz: None,
                    bz: note(&a.note, 1024),
                }
            })
            .collect(),
    });
    file(
        version,
        unit_id,
        upload::Ip { xzba: Some(ip::Xzba { xzly, xzfp, xzgbjs: None, zdip: None }), ..empty() },
    )
}

/// The `IP` `SCBA` file deleting records by the bureau's ids (allocations before sources).
pub fn delete_file(version: &str, unit_id: i64, sources: &[i64], allocations: &[i64]) -> upload::UploadData {
    let scly = (!sources.is_empty())
        .then(|| ip::scba::Scly { ly: sources.iter().map(|&id| ip::scba::scly::Ly { id }).collect() });
    let scfp = (!allocations.is_empty()).then(|| ip::scba::Scfp {
        fpsy: allocations.iter().map(|&id| ip::scba::scfp::Fpsy { id }).collect(),
    });
    file(
        version,
        unit_id,
        upload::Ip { scba: Some(ip::Scba { scly, scfp, sczd: None, scgbjs: None }), ..empty() },
    )
}

/// What an `IP` upload asks (the bureau's side). Records of kinds not offered here (changes,
/// allocations to a customer unit's details, broadcasts, own IPs) are in `other`, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filing {
    pub add_sources: Vec<Source>,
    pub add_allocations: Vec<(Allocation, i64)>,
    pub delete_sources: Vec<i64>,
    pub delete_allocations: Vec<i64>,
    pub other: Vec<&'static str>,
}

/// Reads an `IP` upload. An allocation comes with its `Fpfs` as written (the bureau checks it:
/// 2041), read as reserved when it is not one offered here.
pub fn filing(ip: &upload::Ip) -> Filing {
    let mut f = Filing::default();
    if let Some(x) = &ip.xzba {
        for l in x.xzly.iter().flat_map(|l| &l.ly) {
            f.add_sources.push(Source {
                isp_id: l.isp_id,
                first: l.qsip,
                last: l.zzip,
                unit: l.lydw,
                note: l.bz.clone(),
            });
        }
        for a in x.xzfp.iter().flat_map(|p| &p.fpsy) {
            let usage = match a.fpfs {
                2 => Usage::Reallocated { to: a.fpdx.unwrap_or_default() },
                3 => Usage::OwnUse { method: a.syfs.unwrap_or_default() },
                _ => Usage::Reserved,
            };
            f.add_allocations.push((
                Allocation {
                    isp_id: a.isp_id,
                    first: a.qsip,
                    last: a.zzip,
                    usage,
                    since: a.fprq.clone(),
                    note: a.bz.clone(),
                },
                a.fpfs,
            ));
        }
        if x.xzgbjs.is_some() {
            f.other.push("Xzgbjs");
        }
        if x.zdip.is_some() {
            f.other.push("Zdip");
        }
    }
    if ip.xgba.is_some() {
        f.other.push("XGBA");
    }
    if let Some(s) = &ip.scba {
        f.delete_sources.extend(s.scly.iter().flat_map(|l| &l.ly).map(|l| l.id));
        f.delete_allocations.extend(s.scfp.iter().flat_map(|p| &p.fpsy).map(|p| p.id));
        if s.sczd.is_some() || s.scgbjs.is_some() {
            f.other.push("SCBA");
        }
    }
    f
}

/// Which kind of IP record a result is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Source,
    Allocation,
}

/// The bureau's verdict on one IP record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpResult {
    pub kind: Kind,
    /// 1 add, 2 change, 3 delete (`Czlx`).
    pub operation: i64,
    pub isp_id: Option<i64>,
    /// The bureau's id of the record (absent when an addition failed).
    pub bureau_id: Option<i64>,
    pub codes: Vec<(i64, String)>,
}

impl IpResult {
    /// Whether the bureau did it (every code 2998).
    pub fn done(&self) -> bool {
        !self.codes.is_empty() && self.codes.iter().all(|(c, _)| *c == crate::codes::result::IP_OK)
    }
}

/// The download `IP` `BAJG` carrying `results` (the bureau's side).
pub fn bajg(results: &[IpResult]) -> down::Bajg {
    fn codes<T>(r: &IpResult, make: impl Fn(i64, String) -> T) -> Vec<T> {
        r.codes
            .iter()
            .map(|(c, d)| {
                make(
                    *c,
                    if d.is_empty() {
                        crate::codes::text(*c).to_owned()
                    } else {
                        d.chars().take(255).collect()
                    },
                )
            })
            .collect()
    }
    let mut b = down::Bajg { lyjg: Vec::new(), fpjg: Vec::new(), gbjs: Vec::new(), zdip: Vec::new() };
    for r in results {
        match r.kind {
            Kind::Source => b.lyjg.push(down::bajg::Lyjg {
                jgxx: codes(r, |jgdm, dmms| down::bajg::lyjg::Jgxx { jgdm, dmms, xgsj: Vec::new() }),
                id: r.bureau_id,
                czlx: r.operation,
                isp_id: r.isp_id,
                bz: None,
            }),
            Kind::Allocation => b.fpjg.push(down::bajg::Fpjg {
                jgxx: codes(r, |jgdm, dmms| down::bajg::fpjg::Jgxx { jgdm, dmms, xgsj: Vec::new() }),
                id: r.bureau_id,
                czlx: r.operation,
                isp_id: r.isp_id,
                bz: None,
            }),
        }
    }
    b
}

/// The verdicts of a download `IP` `BAJG` (the provider's side).
pub fn results(b: &down::Bajg) -> Vec<IpResult> {
    let sources = b.lyjg.iter().map(|r| IpResult {
        kind: Kind::Source,
        operation: r.czlx,
        isp_id: r.isp_id,
        bureau_id: r.id,
        codes: r.jgxx.iter().map(|j| (j.jgdm, j.dmms.clone())).collect(),
    });
    let allocations = b.fpjg.iter().map(|r| IpResult {
        kind: Kind::Allocation,
        operation: r.czlx,
        isp_id: r.isp_id,
        bureau_id: r.id,
        codes: r.jgxx.iter().map(|j| (j.jgdm, j.dmms.clone())).collect(),
    });
    sources.chain(allocations).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::download::{self, DownloadData, DownloadDataChoice};
    use crate::xml::{self, Mode};

    #[test]
    fn a_filing_goes_up_valid_and_reads_back_and_so_do_its_results() {
        let sources = vec![Source {
            isp_id: 1,
            first: 794820608,
            last: 794820863,
            unit: 100001,
            note: Some("上游分配".into()),
        }];
        let allocations = vec![
            Allocation {
                isp_id: 2,
                first: 794820608,
                last: 794820735,
                usage: Usage::OwnUse { method: 1 },
                since: Some("2026-12-01".into()),
                note: None,
            },
            Allocation {
                isp_id: 3,
                first: 794820736,
                last: 794820799,
                usage: Usage::Reallocated { to: 100002 },
                since: Some("2026-12-01".into()),
                note: None,
            },
            Allocation {
                isp_id: 4,
                first: 794820800,
                last: 794820863,
                usage: Usage::Reserved,
                since: None,
                note: None,
            },
        ];
        let up = add_file("V.3.0", 700001, &sources, &allocations);
        let bytes = xml::to_gbk(&up).unwrap();
        crate::testing::assert_valid("upload.xsd", &bytes);
        let back: upload::UploadData = xml::from_bytes(&bytes, Mode::Strict).unwrap();
        let upload::UploadDataChoice::Ip(ip) = &back.choice else { panic!("not IP") };
        let f = filing(ip);
        assert_eq!(f.add_sources, sources);
        let read: Vec<Allocation> = f.add_allocations.iter().map(|(a, _)| a.clone()).collect();
        let mut expected = allocations.clone();
        // `Fprq` is written for own use only.
        expected[1].since = None;
        assert_eq!(read, expected);
        assert!(f.other.is_empty());

        let del = delete_file("V.3.0", 700001, &[11], &[21, 22]);
        let bytes = xml::to_gbk(&del).unwrap();
        crate::testing::assert_valid("upload.xsd", &bytes);
        let back: upload::UploadData = xml::from_bytes(&bytes, Mode::Strict).unwrap();
        let upload::UploadDataChoice::Ip(ip) = &back.choice else { panic!("not IP") };
        let f = filing(ip);
        assert_eq!((f.delete_sources, f.delete_allocations), (vec![11], vec![21, 22]));

        let verdicts = vec![
            IpResult {
                kind: Kind::Source,
                operation: 1,
                isp_id: Some(1),
                bureau_id: Some(11),
                codes: vec![(2998, String::new())],
            },
            IpResult {
                kind: Kind::Allocation,
                operation: 1,
                isp_id: Some(2),
                bureau_id: None,
                codes: vec![(2005, String::new())],
            },
        ];
        let doc = DownloadData {
            version: "V.3.0".into(),
            choice: DownloadDataChoice::Ip(download::Ip { bajg: Some(bajg(&verdicts)), hcjg: None }),
        };
        let bytes = xml::to_gbk(&doc).unwrap();
        crate::testing::assert_valid("download.xsd", &bytes);
        let back: DownloadData = xml::from_bytes(&bytes, Mode::Strict).unwrap();
        let DownloadDataChoice::Ip(ip) = &back.choice else { panic!("not IP") };
        let read = results(ip.bajg.as_ref().unwrap());
        assert_eq!(read.len(), 2);
        assert!(read[0].done() && !read[1].done());
        assert_eq!(read[1].codes[0].1, "此IP段未报备来源信息，请首先报备来源信息", "the official text");
    }
}
