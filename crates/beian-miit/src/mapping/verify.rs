//! Verification tasks and inspections: the bureau asks a provider to verify filings it gives
//! access to (`HSRW` 核实任务: the subject and its websites as the bureau holds them), the
//! provider answers with its verdict (`HSJG` 核实结果: passed 0 or refused 1, who verified, when,
//! an opinion, and the filing as verified), and the bureau hands down what its own inspection
//! found (`HCJG` 核查结果: subjects with an error, accesses reported where the site is not (多报)
//! or not reported where it is (少报), empty shells, sites found alive).
//!
//! Both sides use this module: the simulator writes tasks and inspections and reads answers,
//! the provider reads tasks and inspections and writes answers. An answer echoes the filing
//! as the task carried it: the provider verified that data, and the spec gives it no other
//! source of the bureau's ids (`Ymid`, `Jrid`, `Ipid`).

use crate::schema::download::icp::basj;
use crate::schema::download::icp::{Hcjg, Hsrw, hcjg, hsrw};
use crate::schema::upload::{self, icp::hsjg};

/// What a task asks about, as the provider's work list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// The bureau's subject id (`Ztid`): the provider finds its own subject by it.
    pub subject_id: i64,
    pub subject_name: String,
    pub websites: Vec<TaskSite>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSite {
    /// The bureau's website id (`Wzid`).
    pub id: i64,
    pub name: String,
    /// Lower case, no trailing dot.
    pub domains: Vec<String>,
}

fn domain(raw: &str) -> String {
    raw.trim().trim_end_matches('.').to_lowercase()
}

/// What a task (one `Baxx` of an `HSRW` list) asks about.
pub fn task(b: &hsrw::Baxx) -> Task {
    Task {
        subject_id: b.zt_xx.ztid,
        subject_name: b.zt_xx.dwmc.clone(),
        websites: b
            .wz_xx
            .iter()
            .map(|w| TaskSite {
                id: w.wzid,
                name: w.wzmc.clone(),
                domains: w.ym_xx.iter().map(|d| domain(&d.ym)).filter(|d| !d.is_empty()).collect(),
            })
            .collect(),
        note: b.bz.clone(),
    }
}

/// The task about a filing, from its record as the bureau hands it down (`BASJ`), asking
/// reporting unit `unit_id` about the websites it gives access to, with its accesses only (the
/// bureau's side). `None` when it gives none of them access.
pub fn task_of_filing(b: basj::Baxx, unit_id: i64, note: Option<String>) -> Option<hsrw::Baxx> {
    use hsrw::baxx::{self, wz_xx, zt_xx};
    let z = b.zt_xx;
    let websites: Vec<basj::baxx::WzXx> =
        b.wz_xx.into_iter().filter(|w| w.jr_xx.iter().any(|j| j.ispid == unit_id)).collect();
    if websites.is_empty() {
        return None;
    }
    Some(hsrw::Baxx {
        zt_xx: baxx::ZtXx {
            ztid: z.ztid,
            dwmc: z.dwmc,
            dwxz: z.dwxz,
            txdz: zt_xx::Txdz {
                shengid: z.txdz.shengid,
                shiid: z.txdz.shiid,
                xianid: z.txdz.xianid,
                xxdz: z.txdz.xxdz,
            },
            zj: zt_xx::Zj { zjlx: z.zj.zjlx, zjhm: z.zj.zjhm, zjzs: z.zj.zjzs },
            fzr: zt_xx::Fzr {
                fzr_xm: z.fzr.fzr_xm,
                fzr_dhhm: z.fzr.fzr_dhhm,
                fzr_sjhm: z.fzr.fzr_sjhm,
                fzr_dzyj: z.fzr.fzr_dzyj,
                msn: z.fzr.msn,
                qq: z.fzr.qq,
                fzr_zjlx: z.fzr.fzr_zjlx,
                fzr_zjhm: z.fzr.fzr_zjhm,
            },
            tzr: z.tzr,
            bbyhlx: z.bbyhlx,
            scbbsj: z.scbbsj,
            zjxgsj: Some(z.zjxgsj),
            bz: z.bz,
        },
        wz_xx: websites
            .into_iter()
            .map(|w| baxx::WzXx {
                wzid: w.wzid,
                wzmc: w.wzmc,
                nrlx: w.nrlx.map(|n| wz_xx::Nrlx {
                    nrlx_xx: n
                        .nrlx_xx
                        .into_iter()
                        .map(|x| wz_xx::nrlx::NrlxXx { nrlx_id: x.nrlx_id, qzsph: x.qzsph, spwj: x.spwj })
                        .collect(),
                }),
                fwnr: w.fwnr.map(|f| wz_xx::Fwnr { fwnr_id: f.fwnr_id }),
                yylb: Some(wz_xx::Yylb { yylb_id: w.yylb.yylb_id }),
                ym_xx: w.ym_xx.into_iter().map(|d| wz_xx::YmXx { ymid: d.ymid, ym: d.ym }).collect(),
                jr_xx: w
                    .jr_xx
                    .into_iter()
                    .filter(|j| j.ispid == unit_id)
                    .map(|j| wz_xx::JrXx {
                        jrid: j.jrid,
                        wzfb: wz_xx::jr_xx::Wzfb { fbdd: j.wzfb.fbdd },
                        wzjrfs: wz_xx::jr_xx::Wzjrfs { jrfs: j.wzjrfs.jrfs },
                        ip_xx: j
                            .ip_xx
                            .into_iter()
                            .map(|i| wz_xx::jr_xx::IpXx { ipid: i.ipid, qsip: i.qsip, zzip: i.zzip })
                            .collect(),
                        bbyhid: unit_id,
                        bbyhlx: 1,
                    })
                    .collect(),
                wz_fzr: wz_xx::WzFzr {
                    fzr_xm: w.wz_fzr.fzr_xm,
                    fzr_dhhm: w.wz_fzr.fzr_dhhm,
                    fzr_sjhm: w.wz_fzr.fzr_sjhm,
                    fzr_dzyj: w.wz_fzr.fzr_dzyj,
                    msn: w.wz_fzr.msn,
                    qq: w.wz_fzr.qq,
                    fzr_zjlx: w.wz_fzr.fzr_zjlx,
                    fzr_zjhm: w.wz_fzr.fzr_zjhm,
                },
                syurl: w.syurl,
                wz_bz: w.wz_bz,
                scbbsj: w.scbbsj,
                zjxgsj: w.zjxgsj,
            })
            .collect(),
        bz: note,
    })
}

/// A provider's verdict on one task.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    pub task: &'a hsrw::Baxx,
    /// True: the filing is as the bureau holds it (`Hsjg` 0); false: refused (1).
    pub passed: bool,
    /// Who verified (`Hsrxm`, at most 128 characters) and when (`Hssj`, `YYYY-MM-DD`).
    pub verifier: String,
    pub date: String,
    /// The opinion (`Hsyj`, at most 1024 characters) and, when refused, what is wrong
    /// (`Cwxx`, at most 4000).
    pub opinion: String,
    pub errors: Option<String>,
}

fn cut(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

/// The filing as verified, in the answer's shape (the task's data echoed).
fn verified(b: &hsrw::Baxx) -> hsjg::hsjgxx::Baxx {
    use hsjg::hsjgxx::baxx::{self, wz_xx, zt_xx};
    let z = &b.zt_xx;
    hsjg::hsjgxx::Baxx {
        zt_xx: baxx::ZtXx {
            ztid: z.ztid,
            dwmc: z.dwmc.clone(),
            dwxz: z.dwxz,
            txdz: zt_xx::Txdz {
                shengid: z.txdz.shengid,
                // The answer requires a city; a record without one is a municipality's or
                // the province's own, named by the province.
                shiid: z.txdz.shiid.unwrap_or(z.txdz.shengid),
                xianid: z.txdz.xianid,
                xxdz: z.txdz.xxdz.clone(),
            },
            tzr: z.tzr.clone(),
            zj: zt_xx::Zj { zjlx: z.zj.zjlx, zjhm: z.zj.zjhm.clone(), zjzs: z.zj.zjzs.clone() },
            fzr: zt_xx::Fzr {
                fzr_xm: z.fzr.fzr_xm.clone(),
                fzr_dhhm: z.fzr.fzr_dhhm.clone(),
                // Required here, optional in the task: a record without the head's mobile is
                // answered with the office phone it has.
                sjhm: z.fzr.fzr_sjhm.clone().or_else(|| z.fzr.fzr_dhhm.clone()).unwrap_or_default(),
                fzr_dzyj: z.fzr.fzr_dzyj.clone(),
                msn: z.fzr.msn.clone(),
                qq: z.fzr.qq.clone(),
                fzr_zjlx: z.fzr.fzr_zjlx,
                fzr_zjhm: z.fzr.fzr_zjhm.clone(),
            },
            bz: z.bz.clone(),
        },
        wz_xx: b
            .wz_xx
            .iter()
            .map(|w| baxx::WzXx {
                wzid: w.wzid,
                wzmc: w.wzmc.clone(),
                nrlx: w.nrlx.as_ref().map(|n| wz_xx::Nrlx {
                    nrlx_xx: n
                        .nrlx_xx
                        .iter()
                        .map(|x| wz_xx::nrlx::NrlxXx {
                            nrlx_id: x.nrlx_id,
                            qzsph: x.qzsph.clone(),
                            spwj: x.spwj.clone(),
                        })
                        .collect(),
                }),
                fwnr: wz_xx::Fwnr { fwnr_id: w.fwnr.as_ref().map(|f| f.fwnr_id.clone()).unwrap_or_default() },
                ym_xx: w.ym_xx.iter().map(|d| wz_xx::YmXx { ymid: d.ymid, ym: d.ym.clone() }).collect(),
                jr_xx: w
                    .jr_xx
                    .iter()
                    .map(|j| wz_xx::JrXx {
                        jrid: j.jrid,
                        wzfb: wz_xx::jr_xx::Wzfb { fbdd: j.wzfb.fbdd.clone() },
                        wzjrfs: wz_xx::jr_xx::Wzjrfs { jrfs: j.wzjrfs.jrfs.clone() },
                        ip_xx: j
                            .ip_xx
                            .iter()
                            .map(|i| wz_xx::jr_xx::IpXx { ipid: i.ipid, qsip: i.qsip, zzip: i.zzip })
                            .collect(),
                        bbfs: j.bbyhlx,
                    })
                    .collect(),
                wz_fzr: wz_xx::WzFzr {
                    fzr_xm: w.wz_fzr.fzr_xm.clone(),
                    fzr_dhhm: w.wz_fzr.fzr_dhhm.clone(),
                    sjhm: w.wz_fzr.fzr_sjhm.clone(),
                    fzr_dzyj: w.wz_fzr.fzr_dzyj.clone().unwrap_or_default(),
                    msn: w.wz_fzr.msn.clone(),
                    qq: w.wz_fzr.qq.clone(),
                    fzr_zjlx: w.wz_fzr.fzr_zjlx,
                    fzr_zjhm: w.wz_fzr.fzr_zjhm.clone(),
                },
                syurl: w.syurl.clone(),
                wz_bz: w.wz_bz.clone(),
            })
            .collect(),
    }
}

/// The `HSJG` upload file answering `answers` (the provider's side).
pub fn answer_file(version: &str, unit_id: i64, answers: &[Answer<'_>]) -> upload::UploadData {
    let hsjgxx = answers
        .iter()
        .map(|a| hsjg::Hsjgxx {
            hsjg: i64::from(!a.passed),
            hsrxm: cut(&a.verifier, 128),
            hssj: a.date.clone(),
            bbdw: unit_id,
            hsyj: cut(&a.opinion, 1024),
            cwxx: a.errors.as_deref().map(|e| cut(e, 4000)).filter(|e| !e.is_empty()),
            baxx: verified(a.task),
        })
        .collect();
    upload::UploadData {
        version: version.to_owned(),
        choice: upload::UploadDataChoice::Icp(upload::Icp {
            xzba: None,
            xzwz: None,
            xzjr: None,
            bgba: None,
            hsjg: Some(upload::icp::Hsjg { hsjgxx }),
            wbacljg: None,
            zxba: None,
            xzhyd: None,
            qqdwid: unit_id,
        }),
    }
}

/// An answer as the bureau reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub subject_id: i64,
    pub passed: bool,
    pub verifier: String,
    pub date: String,
    pub opinion: String,
    pub errors: Option<String>,
}

/// The answers of an upload file's `HSJG` (the bureau's side).
pub fn answers(icp: &upload::Icp) -> Vec<Answered> {
    icp.hsjg
        .iter()
        .flat_map(|h| &h.hsjgxx)
        .map(|a| Answered {
            subject_id: a.baxx.zt_xx.ztid,
            passed: a.hsjg == 0,
            verifier: a.hsrxm.trim().to_owned(),
            date: a.hssj.trim().to_owned(),
            opinion: a.hsyj.trim().to_owned(),
            errors: a.cwxx.clone(),
        })
        .collect()
}

/// The `HSRW` list handing `tasks` down (the bureau's side).
pub fn hsrw(tasks: Vec<hsrw::Baxx>) -> Hsrw {
    Hsrw { baxx: tasks }
}

/// What an inspection found, as the provider's work list shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inspection {
    /// Subjects whose data the bureau found wrong: the bureau's id, the name and why.
    pub subjects: Vec<InspectedSubject>,
    pub sites: Vec<InspectedSite>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectedSubject {
    pub id: i64,
    pub name: String,
    pub error: Option<String>,
}

/// What an inspection found about one website.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectedSite {
    /// The bureau's website id and number (`Wz_Baxh`).
    pub id: i64,
    pub number: String,
    pub domain: Option<String>,
    /// The address the domain resolved to, when the bureau says.
    pub ip: Option<std::net::Ipv4Addr>,
    pub finding: Finding,
    /// When it was inspected, as the bureau wrote it.
    pub at: String,
    pub note: Option<String>,
}

/// An inspection's finding about a website.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    /// Access reported by this provider, the site not on its addresses (`Jrhc` 1 多报).
    AccessOverReported,
    /// The site on this provider's addresses, the access not reported (`Jrhc` 2 少报).
    AccessUnderReported,
    /// An access check with a result code the spec does not name.
    AccessOther(i64),
    /// Empty-shell check: the site answers (`Kkwzhc` 0) or does not (1).
    ShellAlive,
    ShellDead,
    /// Found alive (`Wzch`).
    Alive,
}

impl Finding {
    /// A stable code for the API.
    pub fn code(self) -> String {
        match self {
            Self::AccessOverReported => "ACCESS_OVER_REPORTED".into(),
            Self::AccessUnderReported => "ACCESS_UNDER_REPORTED".into(),
            Self::AccessOther(c) => format!("ACCESS_RESULT_{c}"),
            Self::ShellAlive => "SHELL_ALIVE".into(),
            Self::ShellDead => "SHELL_DEAD".into(),
            Self::Alive => "ALIVE".into(),
        }
    }
}

/// What an `HCJG` inspection found.
pub fn inspection(j: &hcjg::Jgxx) -> Inspection {
    let ip = |n: Option<i64>| n.and_then(super::unfiled::ip_of).filter(|a| !a.is_unspecified());
    let mut sites: Vec<InspectedSite> = j
        .jrhc
        .iter()
        .map(|x| InspectedSite {
            id: x.wzid,
            number: x.wz_baxh.trim().to_owned(),
            domain: x.ym.as_deref().map(domain).filter(|d| !d.is_empty()),
            ip: ip(x.jxip),
            finding: match x.hcjg {
                1 => Finding::AccessOverReported,
                2 => Finding::AccessUnderReported,
                c => Finding::AccessOther(c),
            },
            at: x.hcsj.clone(),
            note: x.bz.clone(),
        })
        .collect();
    sites.extend(j.kkwzhc.iter().map(|x| InspectedSite {
        id: x.wzid,
        number: x.wz_baxh.trim().to_owned(),
        domain: x.syurl.as_deref().and_then(host_of),
        ip: None,
        finding: if x.hcjg == 0 { Finding::ShellAlive } else { Finding::ShellDead },
        at: x.hcsj.clone(),
        note: x.bz.clone(),
    }));
    sites.extend(j.wzch.iter().map(|x| InspectedSite {
        id: x.wzid,
        number: x.wz_baxh.trim().to_owned(),
        domain: x.syurl.as_deref().and_then(host_of),
        ip: None,
        finding: Finding::Alive,
        at: x.hcsj.clone(),
        note: x.bz.clone(),
    }));
    Inspection {
        subjects: j
            .zthc
            .iter()
            .map(|z| InspectedSubject { id: z.ztid, name: z.dwmc.clone(), error: z.cwyy.clone() })
            .collect(),
        sites,
    }
}

/// The host of a home-page URL (`http://www.example.cn/`), or the text when it is a bare name.
fn host_of(url: &str) -> Option<String> {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?.split(':').next()?;
    let d = domain(host);
    (!d.is_empty()).then_some(d)
}

/// The `HCJG` element reporting access findings about sites (the bureau's side): only the
/// access checks (多报/少报), which are what an officer issues on demand.
pub fn hcjg(sites: &[InspectedSite]) -> Hcjg {
    Hcjg {
        jgxx: hcjg::Jgxx {
            zthc: Vec::new(),
            jrhc: sites
                .iter()
                .map(|s| hcjg::jgxx::Jrhc {
                    wzid: s.id,
                    wz_baxh: s.number.clone(),
                    ym: s.domain.clone(),
                    jxip: s.ip.map(super::unfiled::ip_number),
                    bbisp: None,
                    hcjg: match s.finding {
                        Finding::AccessUnderReported => 2,
                        Finding::AccessOther(c) => c,
                        _ => 1,
                    },
                    hcsj: s.at.clone(),
                    jrid: None,
                    bz: s.note.clone(),
                })
                .collect(),
            kkwzhc: Vec::new(),
            wzch: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::schema::download::{self, DownloadData, DownloadDataChoice};
    use crate::xml::sample::{Gen, Sample};
    use crate::xml::{self, Mode};

    fn valid_download(icp: download::Icp) -> download::Icp {
        let doc = DownloadData { version: "V.3.0".into(), choice: DownloadDataChoice::Icp(icp) };
        let bytes = xml::to_gbk(&doc).unwrap();
        crate::testing::assert_valid("download.xsd", &bytes);
        let back: DownloadData = xml::from_bytes(&bytes, Mode::Strict).unwrap();
        let DownloadDataChoice::Icp(icp) = back.choice else { panic!("not ICP") };
        icp
    }

    /// Any filing the bureau holds becomes a task valid against download.xsd, and the answer
    /// to it a file valid against upload.xsd that names the same subject: over random records.
    #[test]
    fn any_filing_goes_down_as_a_task_and_comes_back_answered() {
        for seed in 1..=24u64 {
            let mut g = Gen::new(seed);
            let mut filing = basj::Baxx::sample(&mut g);
            // A filed subject's head always has a mobile (the filing cannot be made without).
            filing.zt_xx.fzr.fzr_sjhm.get_or_insert_with(|| "13800138000".into());
            for w in &mut filing.wz_xx {
                w.wz_fzr.fzr_dzyj.get_or_insert_with(|| "web@example.cn".into());
                // And a website its service content.
                if w.fwnr.as_ref().is_none_or(|f| f.fwnr_id.is_empty()) {
                    w.fwnr = Some(basj::baxx::wz_xx::Fwnr { fwnr_id: vec![1] });
                }
            }
            let unit = filing.wz_xx[0].jr_xx[0].ispid;
            filing.wz_xx[0].ym_xx[0].ym = "WWW.Example.CN.".into();
            let expected_subject = filing.zt_xx.ztid;
            let others =
                filing.wz_xx.iter().skip(1).filter(|w| w.jr_xx.iter().all(|j| j.ispid != unit)).count();
            let sites = filing.wz_xx.len();
            let task_xml = task_of_filing(filing, unit, Some("请于5个工作日内核实".into())).unwrap();
            assert_eq!(task_xml.wz_xx.len(), sites - others, "only the sites it gives access to");
            let back =
                valid_download(download::Icp { hsrw: Some(hsrw(vec![task_xml])), ..download::Icp::empty() });
            let baxx = &back.hsrw.as_ref().unwrap().baxx[0];
            let t = task(baxx);
            assert_eq!(t.subject_id, expected_subject, "seed {seed}");
            assert_eq!(t.websites[0].domains[0], "www.example.cn", "seed {seed}");
            assert!(
                baxx.wz_xx.iter().flat_map(|w| &w.jr_xx).all(|j| j.bbyhid == unit),
                "only the asked provider's accesses (seed {seed})"
            );

            let passed = seed % 2 == 0;
            let file = answer_file(
                "V.3.0",
                unit,
                &[Answer {
                    task: baxx,
                    passed,
                    verifier: "张审核".into(),
                    date: "2026-12-06".into(),
                    opinion: "已电话核实主体与网站信息。".into(),
                    errors: (!passed).then(|| "网站负责人手机号码已停机".into()),
                }],
            );
            let bytes = xml::to_gbk(&file).unwrap();
            crate::testing::assert_valid("upload.xsd", &bytes);
            let read: upload::UploadData = xml::from_bytes(&bytes, Mode::Strict).unwrap();
            let upload::UploadDataChoice::Icp(up) = &read.choice else { panic!("not ICP") };
            let a = answers(up);
            assert_eq!(a.len(), 1);
            assert_eq!((a[0].subject_id, a[0].passed), (expected_subject, passed), "seed {seed}");
            assert_eq!(a[0].errors.is_some(), !passed);
        }
    }

    #[test]
    fn an_inspection_reads_as_findings_per_site() {
        let sites = vec![
            InspectedSite {
                id: 7,
                number: "浙ICP备2026000001号-1".into(),
                domain: Some("shop.example.cn".into()),
                ip: Some(Ipv4Addr::new(47, 96, 0, 10)),
                finding: Finding::AccessOverReported,
                at: "2026-12-05 10:00:00".into(),
                note: None,
            },
            InspectedSite {
                id: 8,
                number: "浙ICP备2026000001号-2".into(),
                domain: Some("blog.example.cn".into()),
                ip: None,
                finding: Finding::AccessUnderReported,
                at: "2026-12-05 10:00:00".into(),
                note: Some("抽查".into()),
            },
        ];
        let back = valid_download(download::Icp { hcjg: Some(hcjg(&sites)), ..download::Icp::empty() });
        let i = inspection(&back.hcjg.as_ref().unwrap().jgxx);
        assert_eq!(i.sites, sites);
        assert!(i.subjects.is_empty());
        let mut nobody = basj::Baxx::sample(&mut Gen::new(3));
        nobody.wz_xx.iter_mut().flat_map(|w| &mut w.jr_xx).for_each(|j| j.ispid = 1);
        assert!(task_of_filing(nobody, 2, None).is_none(), "no task for a provider without access");
        assert_eq!(Finding::AccessOther(9).code(), "ACCESS_RESULT_9");
    }

    #[test]
    fn a_home_page_url_names_its_host() {
        assert_eq!(host_of("http://WWW.example.cn:8080/index.html").as_deref(), Some("www.example.cn"));
        assert_eq!(host_of("example.cn").as_deref(), Some("example.cn"));
        assert_eq!(host_of("https://user@example.cn?x").as_deref(), Some("example.cn"));
        assert_eq!(host_of("http:///"), None);
    }
}
