//! The writers of the upload records, one per record kind (新增备案, 新增网站, 新增接入, 变更备案,
//! 注销), over the builder's lookups in the parent module. The XSD gives every record its own
//! anonymous types, so the parts records share (a head, a subject, a new website) are macros
//! over the record's module rather than functions.

use beian_core::model::{OrderKind, Person, Website};

use super::{Builder, FiledSite, SiteIds, md5_hex, opt, opt_ref, regions, required};
use crate::jcdm::Table;
use crate::mapping::{MappingError, code, names};
use crate::schema::upload::icp;

/// The head of a subject or website in the fields every `Fzr` shares.
struct Head {
    name: Option<String>,
    office: Option<String>,
    mobile: String,
    email: String,
    cert_type: Option<i64>,
    cert: Option<String>,
}

fn head<F: FnMut() -> i64>(b: &Builder<'_, F>, p: &Person, field: &str) -> Result<Head, MappingError> {
    Ok(Head {
        name: opt(&p.name),
        office: opt_ref(p.office_phone.as_ref()).or_else(|| opt(&p.emergency_phone)),
        mobile: required(&p.mobile, &format!("{field}.mobile"), "a mobile number")?,
        email: required(&p.email, &format!("{field}.email"), "an e-mail address")?,
        cert_type: Some(b.cert_type(p.certificate.kind, &format!("{field}.certificate.kind"))?),
        cert: opt(&p.certificate.number),
    })
}

/// The parts of a subject (`Zt_Xx`) a first filing and a change write alike — name, nature,
/// investor, address, certificate and head — in the types of the record's module `$m`, checked
/// in the order the fields are read.
macro_rules! subject_parts {
    ($b:expr, $m:ident) => {{
        let b = $b;
        let s = &b.input.order.subject;
        let (shengid, shiid, xianid) = regions(b.tables, &s.region, "subject.region")?;
        let h = head(b, &s.head, "subject.head")?;
        let dwmc = required(&s.name, "subject.name", "the subject's name")?;
        let dwxz = Some(b.nature()?);
        let zj = $m::zt_xx::Zj {
            zjlx: b.cert_type(s.certificate.kind, "subject.certificate.kind")?,
            zjhm: required(&s.certificate.number, "subject.certificate.number", "the certificate's number")?,
            zjzs: required(
                &s.certificate_address,
                "subject.certificate_address",
                "the address on the certificate",
            )?,
        };
        let fzr = $m::zt_xx::Fzr {
            fzr_xm: h.name,
            fzr_dhhm: h.office,
            fzr_sjhm: h.mobile,
            fzr_dzyj: h.email,
            msn: None,
            qq: None,
            fzr_zjlx: h.cert_type,
            fzr_zjhm: h.cert,
        };
        let txdz = $m::zt_xx::Txdz { shengid, shiid, xianid, xxdz: opt(&s.mailing_address) };
        (dwmc, dwxz, opt_ref(s.investor.as_ref()), txdz, zj, fzr)
    }};
}

/// Builds a website of a new-service record; every such record has the same fields, in types
/// of their own (the XSD's types are anonymous), hence a macro over the record's module.
macro_rules! new_website {
    ($b:expr, $m:path, $w:expr, $i:expr) => {{
        use $m as m;
        let b = $b;
        let w: &Website = $w;
        let field = format!("websites[{}]", $i);
        let website = b.id();
        let mut site = SiteIds { path: field.clone(), website: Some(website), ..SiteIds::default() };
        let nrlx = b.pre_approvals(w, &field, |nrlx_id, qzsph, spwj| m::wz_xx::nrlx::NrlxXx { nrlx_id, qzsph, spwj })?;
        let mut ym_xx = Vec::new();
        for d in &w.domains {
            let id = b.id();
            site.domains.insert(d.clone(), id);
            ym_xx.push(m::wz_xx::YmXx { isp_ymid: id, ym: d.clone() });
        }
        if ym_xx.is_empty() {
            return Err(MappingError::Missing { field: format!("{field}.domains"), what: "a domain" });
        }
        let (fbdd, jrfs) = b.location_and_method(w, &field)?;
        let access = b.id();
        site.access = Some(access);
        site.location = vec![fbdd];
        let mut ip_xx = Vec::new();
        for (qsip, zzip) in b.ip_ranges(w, &field)? {
            let id = b.id();
            site.ips.push(id);
            ip_xx.push(m::wz_xx::jr_xx::IpXx { isp_ipid: id, qsip, zzip });
        }
        let h = head(b, &w.head, &format!("{field}.head"))?;
        let record = m::WzXx {
            isp_wzid: website,
            wzmc: required(&w.name, &format!("{field}.name"), "the website's name")?,
            nrlx: (!nrlx.is_empty()).then_some(m::wz_xx::Nrlx { nrlx_xx: nrlx }),
            fwnr: m::wz_xx::Fwnr { fwnr_id: b.fwnr(w, &field)? },
            yylb: m::wz_xx::Yylb { yylb_id: b.yylb(w, &field)? },
            ym_xx,
            jr_xx: vec![m::wz_xx::JrXx {
                isp_jrid: access,
                wzfb: m::wz_xx::jr_xx::Wzfb { fbdd: vec![fbdd] },
                wzjrfs: m::wz_xx::jr_xx::Wzjrfs { jrfs: vec![jrfs] },
                ip_xx,
            }],
            wz_fzr: m::wz_xx::WzFzr {
                fzr_xm: h.name.ok_or(MappingError::Missing { field: format!("{field}.head.name"), what: "the head's name" })?,
                fzr_dhhm: h.office,
                fzr_sjhm: h.mobile,
                fzr_dzyj: h.email,
                msn: None,
                qq: None,
                fzr_zjlx: h.cert_type,
                fzr_zjhm: h.cert,
            },
            syurl: w.domains.first().map(|d| format!("http://{d}")),
            wz_bz: opt_ref(w.remark.as_ref()),
        };
        b.ids.websites.push(site);
        record
    }};
}

impl<F: FnMut() -> i64> Builder<'_, F> {
    pub(super) fn xzba(&mut self) -> Result<icp::xzba::Baxx, MappingError> {
        use icp::xzba::baxx as m;
        let o = self.input.order;
        let s = &o.subject;
        let subject_id = self.id();
        self.ids.subject = Some(subject_id);
        let (dwmc, dwxz, tzr, txdz, zj, fzr) = subject_parts!(&*self, m);
        let zt_xx = m::ZtXx {
            isp_ztid: subject_id,
            dwmc,
            dwxz,
            tzr,
            txdz,
            zj,
            fzr,
            // 代为报备: the provider files on the subject's behalf.
            bbfs: 1,
            bz: opt_ref(s.remark.as_ref()),
        };
        let mut wz_xx = Vec::new();
        for (i, w) in o.websites.iter().enumerate() {
            wz_xx.push(new_website!(&mut *self, icp::xzba::baxx, w, i));
        }
        let mut fj = Vec::new();
        for (owner, owner_id, website) in self.owners() {
            for (fjwjgs, fjyt, fjnr) in self.attachments(website)? {
                fj.push(m::Fj {
                    fjxx: m::fj::Fjxx {
                        fjwjgs,
                        fjyt,
                        fjnr,
                        fjssdx: m::fj::fjxx::Fjssdx { ssdxlx: owner, ssdxbs: owner_id },
                        bz: None,
                    },
                });
            }
        }
        Ok(icp::xzba::Baxx { zt_xx, wz_xx, fj })
    }

    /// Who attachments can belong to: (object type, provider id, website index).
    fn owners(&self) -> Vec<(i64, i64, Option<usize>)> {
        let mut v = Vec::new();
        if let Some(s) = self.ids.subject {
            v.push((1, s, None));
        }
        for (i, w) in self.ids.websites.iter().enumerate() {
            if let Some(id) = w.website {
                v.push((2, id, Some(i)));
            }
        }
        v
    }

    pub(super) fn xzwz(&mut self) -> Result<icp::xzwz::Xzxx, MappingError> {
        use icp::xzwz::xzxx as m;
        let o = self.input.order;
        let zt_xx = match (self.input.on_file, &o.subject.existing_number) {
            (Some(f), _) => m::ZtXx::Ztid(f.subject_id),
            (None, Some(n)) if !n.trim().is_empty() => m::ZtXx::Ztbah(n.trim().to_owned()),
            _ => {
                return Err(MappingError::Missing {
                    field: "subject.existing_number".into(),
                    what: "the subject's number",
                });
            }
        };
        let mut wz_xx = Vec::new();
        for (i, w) in o.websites.iter().enumerate() {
            wz_xx.push(new_website!(&mut *self, icp::xzwz::xzxx, w, i));
        }
        let mut fj = Vec::new();
        let subject_number = o.subject.existing_number.clone().unwrap_or_default();
        for (owner, owner_id, website) in self.owners() {
            for (fjwjgs, fjyt, fjnr) in self.attachments(website)? {
                let ssdxbs = match website {
                    Some(_) => m::fj::fjxx::fjssdx::Ssdxbs::Jlid(owner_id),
                    None => m::fj::fjxx::fjssdx::Ssdxbs::Baxh(subject_number.clone()),
                };
                fj.push(m::Fj {
                    fjxx: m::fj::Fjxx {
                        fjwjgs,
                        fjyt,
                        fjnr,
                        fjssdx: m::fj::fjxx::Fjssdx { ssdxlx: owner, ssdxbs },
                        bz: None,
                    },
                });
            }
        }
        // The subject's own documents travel too (its number stands for it).
        if !subject_number.is_empty() {
            for (fjwjgs, fjyt, fjnr) in self.attachments(None)? {
                fj.push(m::Fj {
                    fjxx: m::fj::Fjxx {
                        fjwjgs,
                        fjyt,
                        fjnr,
                        fjssdx: m::fj::fjxx::Fjssdx {
                            ssdxlx: 1,
                            ssdxbs: m::fj::fjxx::fjssdx::Ssdxbs::Baxh(subject_number.clone()),
                        },
                        bz: None,
                    },
                });
            }
        }
        Ok(icp::xzwz::Xzxx { zt_xx, wz_xx, fj, icpmm: self.input.filing_password.and_then(opt) })
    }

    pub(super) fn xzjr(&mut self) -> Result<Vec<icp::xzjr::Xzxx>, MappingError> {
        use icp::xzjr::xzxx as m;
        let o = self.input.order;
        let password = self.input.filing_password.and_then(opt).ok_or(MappingError::Missing {
            field: "subject".into(),
            what: "the subject's filing password (ICPmm) for 新增接入",
        })?;
        let mut out = Vec::new();
        for (i, w) in o.websites.iter().enumerate() {
            let field = format!("websites[{i}]");
            let number = w.existing_number.clone().ok_or(MappingError::Missing {
                field: format!("{field}.existing_number"),
                what: "the website's number",
            })?;
            let (fbdd, jrfs) = self.location_and_method(w, &field)?;
            let access = self.id();
            let mut site = SiteIds {
                path: field.clone(),
                access: Some(access),
                location: vec![fbdd],
                ..SiteIds::default()
            };
            let mut ip_xx = Vec::new();
            for (qsip, zzip) in self.ip_ranges(w, &field)? {
                let id = self.id();
                site.ips.push(id);
                ip_xx.push(m::IpXx { isp_ipid: id, qsip, zzip });
            }
            let mut fj = Vec::new();
            for (fjwjgs, fjyt, fjnr) in self.attachments(Some(i))? {
                fj.push(m::Fj {
                    fjxx: m::fj::Fjxx {
                        fjwjgs,
                        fjyt,
                        fjnr,
                        fjssdx: m::fj::fjxx::Fjssdx {
                            ssdxlx: 2,
                            ssdxbs: m::fj::fjxx::fjssdx::Ssdxbs::Baxh(number.clone()),
                        },
                        bz: None,
                    },
                });
            }
            self.ids.websites.push(site);
            out.push(icp::xzjr::Xzxx {
                wz_xx: m::WzXx::Wzbah(number),
                isp_jrid: access,
                wzfb: m::Wzfb { fbdd: vec![fbdd] },
                wzjrfs: m::Wzjrfs { jrfs: vec![jrfs] },
                ip_xx,
                fj,
                icpmm: md5_hex(&password),
            });
        }
        if out.is_empty() {
            return Err(MappingError::Missing { field: "websites".into(), what: "a website" });
        }
        Ok(out)
    }

    pub(super) fn bgba(&mut self) -> Result<icp::bgba::Bgxx, MappingError> {
        use icp::bgba::bgxx as m;
        let o = self.input.order;
        let s = &o.subject;
        let on_file = self.on_file()?;
        let (dwmc, dwxz, tzr, txdz, zj, fzr) = subject_parts!(&*self, m);
        let zt_xx = m::ZtXx {
            ztid: on_file.subject_id,
            dwmc,
            baxh: on_file.subject_number.clone(),
            dwxz,
            tzr,
            txdz,
            zj,
            fzr,
            bz: opt_ref(s.remark.as_ref()),
        };
        let mut wz_xx = Vec::new();
        for (i, w) in o.websites.iter().enumerate() {
            let field = format!("websites[{i}]");
            let (number, filed) = self.filed_site(w, &field)?;
            let access_id = filed.access_id.ok_or(MappingError::Missing {
                field: format!("{field}.access"),
                what: "the bureau's id of this provider's access to the website",
            })?;
            let mut site = SiteIds { path: field.clone(), ..SiteIds::default() };
            let nrlx = self.pre_approvals(w, &field, |nrlx_id, qzsph, spwj| m::wz_xx::nrlx::NrlxXx {
                nrlx_id,
                qzsph,
                spwj,
            })?;
            let mut ym_xx = Vec::new();
            for d in &w.domains {
                let id = self.id();
                site.domains.insert(d.clone(), id);
                ym_xx.push(m::wz_xx::YmXx {
                    isp_ymid: id,
                    ymid: filed.domains.get(d).copied(),
                    ym: d.clone(),
                });
            }
            let (fbdd, jrfs) = self.location_and_method(w, &field)?;
            site.location = vec![fbdd];
            let mut ip_xx = Vec::new();
            for (qsip, zzip) in self.ip_ranges(w, &field)? {
                let id = self.id();
                site.ips.push(id);
                ip_xx.push(m::wz_xx::jr_xx::IpXx { isp_ipid: id, ipid: None, qsip, zzip });
            }
            let h = head(self, &w.head, &format!("{field}.head"))?;
            wz_xx.push(m::WzXx {
                wzid: filed.id,
                wzmc: required(&w.name, &format!("{field}.name"), "the website's name")?,
                nrlx: (!nrlx.is_empty()).then_some(m::wz_xx::Nrlx { nrlx_xx: nrlx }),
                fwnr: m::wz_xx::Fwnr { fwnr_id: self.fwnr(w, &field)? },
                yylb: m::wz_xx::Yylb { yylb_id: self.yylb(w, &field)? },
                ym_xx,
                jr_xx: vec![m::wz_xx::JrXx {
                    jrid: access_id,
                    wzfb: m::wz_xx::jr_xx::Wzfb { fbdd: vec![fbdd] },
                    wzjrfs: m::wz_xx::jr_xx::Wzjrfs { jrfs: vec![jrfs] },
                    ip_xx,
                }],
                wz_fzr: m::wz_xx::WzFzr {
                    fzr_xm: h.name.ok_or(MappingError::Missing {
                        field: format!("{field}.head.name"),
                        what: "the head's name",
                    })?,
                    fzr_dhhm: h.office,
                    fzr_sjhm: h.mobile,
                    fzr_dzyj: h.email,
                    msn: None,
                    qq: None,
                    fzr_zjlx: h.cert_type,
                    fzr_zjhm: h.cert,
                },
                baxh: number,
                syurl: w.domains.first().map(|d| format!("http://{d}")),
                wz_bz: opt_ref(w.remark.as_ref()),
            });
            self.ids.websites.push(site);
        }
        if wz_xx.is_empty() {
            return Err(MappingError::Missing {
                field: "websites".into(),
                what: "the subject's websites as they are to be",
            });
        }
        Ok(icp::bgba::Bgxx {
            zt_xx,
            wz_xx,
            fj: Vec::new(),
            icpmm: self.input.filing_password.and_then(opt).map(|p| md5_hex(&p)),
        })
    }

    pub(super) fn zxba(&mut self) -> Result<Vec<icp::zxba::ZxXx>, MappingError> {
        let o = self.input.order;
        let on_file = self.on_file()?;
        let reason = match self.input.cancel_reason {
            Some(r) => vec![r],
            None => names().default_cancel_reason(),
        };
        let zxly = code(self.tables, Table::CancelReason, &reason, "remark")?;
        let zxlybz = opt_ref(o.remark.as_ref());
        let entry = |zxlb: i64, jlid: i64| icp::zxba::ZxXx {
            zxlb,
            jlid,
            zxly,
            zxlybz: zxlybz.clone(),
            icpmm: self.input.filing_password.and_then(opt).map(|p| md5_hex(&p)),
        };
        let site = |n: &str| -> Result<&FiledSite, MappingError> {
            on_file.websites.get(n).ok_or(MappingError::Missing {
                field: "target_numbers".into(),
                what: "the bureau's id of every website to cancel (from its BASJ data)",
            })
        };
        Ok(match o.kind {
            OrderKind::CancelSubject => vec![entry(0, on_file.subject_id)],
            OrderKind::CancelService => {
                o.target_numbers.iter().map(|n| site(n).map(|s| entry(1, s.id))).collect::<Result<_, _>>()?
            }
            _ => o
                .target_numbers
                .iter()
                .map(|n| {
                    let s = site(n)?;
                    let jrid = s.access_id.ok_or(MappingError::Missing {
                        field: "target_numbers".into(),
                        what: "the bureau's id of this provider's access to the website",
                    })?;
                    Ok(entry(2, jrid))
                })
                .collect::<Result<_, _>>()?,
        })
    }
}
