//! Unfiled websites on a provider's addresses: the bureau's list (`WBAWZLB` 未备案网站列表, one
//! entry per domain it found answering on the provider's IPs without a filing) and the
//! provider's report of what it did about each (`WBACLJG` 未备案处理结果, the action by the
//! bureau's table `Wbacl_dms` and an opinion).
//!
//! Both sides use this module: the simulator writes lists and reads reports, the provider
//! reads lists and writes reports. The reporter's name and phone (`Sbrxm`, `Sbrdh`), optional
//! in the spec, are never written: they are a person's data the bureau does not need here.

use std::net::Ipv4Addr;

use crate::schema::download::icp::{Wbawzlb, wbawzlb};
use crate::schema::upload::{self, icp::wbacljg};

/// One unfiled website as the bureau lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The bureau's record id (`Id`): the same entry listed again carries the same id.
    pub id: i64,
    /// Lower case, no trailing dot.
    pub domain: String,
    pub ip: Ipv4Addr,
    /// The operator (`Yys`) and access provider (`Jrs`) the bureau attributes it to.
    pub operator: i64,
    pub access_provider: Option<i64>,
    /// The province (`Sssh`), when the list says.
    pub province: Option<i64>,
    /// First and latest detection (`Scjcsj`, `Dqjcsj`: `YYYY-MM-DD HH:MM:SS`), and how often.
    pub first_detected: Option<String>,
    pub detected: Option<String>,
    pub times: Option<i64>,
}

/// An address as the interface writes it: the IPv4 address as an integer.
pub fn ip_number(ip: Ipv4Addr) -> i64 {
    i64::from(u32::from(ip))
}

/// The integer back as an address (`None` when it is none).
pub fn ip_of(n: i64) -> Option<Ipv4Addr> {
    u32::try_from(n).ok().map(Ipv4Addr::from)
}

fn domain(raw: &str) -> Option<String> {
    let d = raw.trim().trim_end_matches('.').to_lowercase();
    (!d.is_empty()).then_some(d)
}

/// The entries of a `WBAWZLB` list, in its order (an entry without a domain or a valid address
/// is skipped: nothing could be blocked or reported for it).
pub fn found(list: &Wbawzlb) -> Vec<Found> {
    list.wbawz_xx
        .iter()
        .filter_map(|x| {
            Some(Found {
                id: x.id,
                domain: domain(&x.wzym_mc)?,
                ip: ip_of(x.ip)?,
                operator: x.yys,
                access_provider: x.jrs,
                province: x.sssh,
                first_detected: x.scjcsj.clone(),
                detected: x.dqjcsj.clone(),
                times: x.jccs,
            })
        })
        .collect()
}

/// The `WBAWZLB` list that hands entries down (the bureau's side).
pub fn wbawzlb(entries: &[Found]) -> Wbawzlb {
    Wbawzlb {
        wbawz_xx: entries
            .iter()
            .map(|f| wbawzlb::WbawzXx {
                id: f.id,
                wzym_mc: f.domain.clone(),
                yylb: None,
                ip: ip_number(f.ip),
                dqjcsj: f.detected.clone(),
                jccs: f.times,
                sssh: f.province,
                scjcsj: f.first_detected.clone(),
                jrs: f.access_provider,
                yys: f.operator,
                bz: None,
            })
            .collect(),
    }
}

/// What the provider did about one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub found: Found,
    /// The province the report is for (`Shengid`): the entry's, else the provider's.
    pub province: i64,
    /// The action, by the bureau's table `Wbacl_dms` (e.g. 1 已关停).
    pub action: i64,
    /// At most 255 characters (the spec's limit; longer is cut at a character boundary).
    pub opinion: String,
    /// When the entry reached the provider's list (`Rbsj`) and the handling deadline it
    /// worked to (`Clsx`): `YYYY-MM-DD`.
    pub listed_on: String,
    pub deadline: String,
}

/// A report as the bureau reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub domain: String,
    pub ip: Option<Ipv4Addr>,
    pub action: i64,
    pub opinion: String,
}

/// The `WBACLJG` upload file reporting `handled` (the provider's side).
pub fn report_file(version: &str, unit_id: i64, handled: &[Handled]) -> upload::UploadData {
    let clxx = handled
        .iter()
        .map(|h| wbacljg::Clxx {
            ym: h.found.domain.clone(),
            ip: ip_number(h.found.ip),
            yys: h.found.operator,
            jrs: h.found.access_provider.unwrap_or(unit_id),
            shengid: h.province,
            cljg: h.action,
            clyj: h.opinion.trim().chars().take(255).collect(),
            rbsj: h.listed_on.clone(),
            clsx: h.deadline.clone(),
            sbrxm: None,
            sbrdh: None,
            sbrdzyj: None,
        })
        .collect();
    upload::UploadData {
        version: version.to_owned(),
        choice: upload::UploadDataChoice::Icp(upload::Icp {
            xzba: None,
            xzwz: None,
            xzjr: None,
            bgba: None,
            hsjg: None,
            wbacljg: Some(upload::icp::Wbacljg { clxx }),
            zxba: None,
            xzhyd: None,
            qqdwid: unit_id,
        }),
    }
}

/// The reports of an upload file's `WBACLJG` part (the bureau's side).
pub fn reports(icp: &upload::Icp) -> Vec<Report> {
    icp.wbacljg
        .iter()
        .flat_map(|w| &w.clxx)
        .filter_map(|c| {
            Some(Report {
                domain: domain(&c.ym)?,
                ip: ip_of(c.ip),
                action: c.cljg,
                opinion: c.clyj.trim().to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::download::{DownloadData, DownloadDataChoice};
    use crate::xml::{self, Mode};

    fn entry() -> Found {
        Found {
            id: 41,
            domain: "unfiled-shop.example.cn".into(),
            ip: Ipv4Addr::new(47, 96, 0, 10),
            operator: 700001,
            access_provider: Some(700001),
            province: Some(330000),
            first_detected: Some("2026-12-01 10:00:00".into()),
            detected: Some("2026-12-05 10:00:00".into()),
            times: Some(3),
        }
    }

    #[test]
    fn a_listed_website_reaches_the_provider_as_written_and_its_report_reaches_the_bureau() {
        let doc = DownloadData {
            version: "V.3.0".into(),
            choice: DownloadDataChoice::Icp(crate::schema::download::Icp {
                wbawzlb: Some(wbawzlb(&[entry()])),
                ..crate::schema::download::Icp::empty()
            }),
        };
        let bytes = xml::to_gbk(&doc).unwrap();
        crate::testing::assert_valid("download.xsd", &bytes);
        let back: DownloadData = xml::from_bytes(&bytes, Mode::Strict).unwrap();
        let DownloadDataChoice::Icp(icp) = &back.choice else { panic!("not ICP") };
        assert_eq!(found(icp.wbawzlb.as_ref().unwrap()), vec![entry()]);

        let handled = Handled {
            found: entry(),
            province: 330000,
            action: 1,
            opinion: format!("已在接入层屏蔽该域名。{}", "长".repeat(300)),
            listed_on: "2026-12-06".into(),
            deadline: "2026-12-07".into(),
        };
        let file = report_file("V.3.0", 700001, &[handled]);
        let bytes = xml::to_gbk(&file).unwrap();
        crate::testing::assert_valid("upload.xsd", &bytes);
        let back: upload::UploadData = xml::from_bytes(&bytes, Mode::Strict).unwrap();
        let upload::UploadDataChoice::Icp(icp) = &back.choice else { panic!("not ICP") };
        let r = reports(icp);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].domain.as_str(), r[0].ip, r[0].action),
            ("unfiled-shop.example.cn", Some(entry().ip), 1)
        );
        assert_eq!(r[0].opinion.chars().count(), 255, "cut to the spec's limit");
        assert!(!String::from_utf8_lossy(&bytes).contains("Sbrdh"), "no reporter's phone");
    }

    #[test]
    fn addresses_are_the_interfaces_integers() {
        assert_eq!(ip_number(Ipv4Addr::new(47, 96, 0, 10)), 794820618);
        assert_eq!(ip_of(794820874), Some(Ipv4Addr::new(47, 96, 1, 10)));
        assert_eq!(ip_of(-1), None);
        assert_eq!(ip_of(1 << 32), None);
    }
}
