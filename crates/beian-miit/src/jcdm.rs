//! The base code tables (基础代码, `JCDM`) the bureau hands down: unit natures, certificate
//! types, regions, service contents, languages, pre-approval kinds, access methods,
//! cancellation reasons, attachment formats and uses, and the reporting units.
//!
//! Every coded field of a filing goes through these tables, looked up by the item's name,
//! never through a number fixed in code: the ids are the bureau's, and a provider learns them
//! from its `JCDM` download (and keeps them, [`CodeTables`] is serde). The simulator hands
//! down its own tables from a data file, so pointing a provider at a real bureau changes the
//! numbers and nothing else.

use serde::{Deserialize, Serialize};

use crate::schema::download;

/// One row of a code table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub name: String,
    #[serde(default = "yes")]
    pub valid: bool,
}

fn yes() -> bool {
    true
}

/// A region (区域代码): its id, name and level (1 province, 2 city, 3 county).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub level: Option<i64>,
    #[serde(default = "yes")]
    pub valid: bool,
}

/// A certificate type and the unit class it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateType {
    pub id: i64,
    pub name: String,
    pub unit_class: i64,
    #[serde(default = "yes")]
    pub valid: bool,
}

/// A pre-approval (content) type and whether it needs a pre-approval number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentType {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub needs_pre_approval: bool,
    #[serde(default = "yes")]
    pub valid: bool,
}

/// An attachment use and the kind of record it belongs to (1 subject, 2 website).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentUse {
    pub id: i64,
    pub name: String,
    pub owner: i64,
    #[serde(default = "yes")]
    pub valid: bool,
}

/// A provincial bureau (管局, `Gj_dms`): the table server locations (`Fbdd`, "分布地点", ids
/// 1–64) are coded by — where a website's servers stand is named by the province whose bureau
/// it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bureau {
    pub id: i64,
    /// The bureau's code (`Bm`).
    pub code: String,
    pub name: String,
    /// The province's region id (`Shengid`).
    #[serde(default)]
    pub province: Option<i64>,
    #[serde(default = "yes")]
    pub valid: bool,
}

/// A reporting unit (报备单位): a provider, an operator, a registrar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub licence: Option<String>,
    #[serde(default = "yes")]
    pub valid: bool,
}

/// Which table a lookup goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Nature,
    CertificateType,
    Region,
    ServiceContent,
    Language,
    ContentType,
    AccessMethod,
    CancelReason,
    AttachmentFormat,
    AttachmentUse,
    UnfiledAction,
    VerificationOpinion,
    Unit,
    Bureau,
}

impl Table {
    /// The table's name in the spec (`Dwxz_dms`, …), for messages.
    pub fn spec_name(self) -> &'static str {
        match self {
            Table::Nature => "Dwxz_dms 单位性质",
            Table::CertificateType => "Zjlx_dms 证件类型",
            Table::Region => "Qy_dms 区域",
            Table::ServiceContent => "Wzfwlx_dms 网站服务内容",
            Table::Language => "Yylb_dms 语言类别",
            Table::ContentType => "Wzjylx_dms 前置或专项审批内容类型",
            Table::AccessMethod => "Wzjrfs_dms 网站接入方式",
            Table::CancelReason => "Zxly_dms 注销理由",
            Table::AttachmentFormat => "Fjwjgs_dms 附件文件格式",
            Table::AttachmentUse => "Fjytlx_dms 附件用途",
            Table::UnfiledAction => "Wbacl_dms 未备案处理",
            Table::VerificationOpinion => "Hsyj_dms 核实意见",
            Table::Unit => "Bbdwlb 报备单位",
            Table::Bureau => "Gj_dms 管局（分布地点）",
        }
    }
}

/// A value that has no row in the bureau's table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} has no valid entry {value:?}", table.spec_name())]
pub struct Unmapped {
    pub table: Table,
    pub value: String,
}

/// The bureau's base code tables, as last handed down.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeTables {
    #[serde(default)]
    pub natures: Vec<Entry>,
    #[serde(default)]
    pub certificate_types: Vec<CertificateType>,
    #[serde(default)]
    pub regions: Vec<Region>,
    #[serde(default)]
    pub service_contents: Vec<Entry>,
    #[serde(default)]
    pub languages: Vec<Entry>,
    #[serde(default)]
    pub content_types: Vec<ContentType>,
    #[serde(default)]
    pub access_methods: Vec<Entry>,
    #[serde(default)]
    pub cancel_reasons: Vec<Entry>,
    #[serde(default)]
    pub attachment_formats: Vec<Entry>,
    #[serde(default)]
    pub attachment_uses: Vec<AttachmentUse>,
    #[serde(default)]
    pub unfiled_actions: Vec<Entry>,
    #[serde(default)]
    pub verification_opinions: Vec<Entry>,
    #[serde(default)]
    pub units: Vec<Unit>,
    #[serde(default)]
    pub bureaus: Vec<Bureau>,
}

/// Names compared as the bureau writes them, ignoring spaces and the width of ASCII.
fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                c => c,
            })
            .collect()
    };
    norm(a) == norm(b)
}

impl CodeTables {
    /// The region table as GB/T 2260 has it today (beian-core's division data), the codes as
    /// ids: what the simulator hands down.
    pub fn with_gb2260_regions(mut self) -> CodeTables {
        use beian_core::division::{Level, divisions};
        self.regions = divisions()
            .iter()
            .filter(|d| d.is_current())
            .map(|d| Region {
                id: i64::from(d.code),
                name: d.name.to_owned(),
                level: Some(match d.level() {
                    Level::Province => 1,
                    Level::City => 2,
                    Level::County => 3,
                }),
                valid: true,
            })
            .collect();
        self
    }

    /// Reads tables from TOML (the simulator's data file).
    pub fn from_toml(text: &str) -> Result<CodeTables, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    fn rows(&self, table: Table) -> Vec<(i64, &str, bool)> {
        fn e(v: &[Entry]) -> Vec<(i64, &str, bool)> {
            v.iter().map(|x| (x.id, x.name.as_str(), x.valid)).collect()
        }
        match table {
            Table::Nature => e(&self.natures),
            Table::CertificateType => {
                self.certificate_types.iter().map(|x| (x.id, x.name.as_str(), x.valid)).collect()
            }
            Table::Region => self.regions.iter().map(|x| (x.id, x.name.as_str(), x.valid)).collect(),
            Table::ServiceContent => e(&self.service_contents),
            Table::Language => e(&self.languages),
            Table::ContentType => {
                self.content_types.iter().map(|x| (x.id, x.name.as_str(), x.valid)).collect()
            }
            Table::AccessMethod => e(&self.access_methods),
            Table::CancelReason => e(&self.cancel_reasons),
            Table::AttachmentFormat => e(&self.attachment_formats),
            Table::AttachmentUse => {
                self.attachment_uses.iter().map(|x| (x.id, x.name.as_str(), x.valid)).collect()
            }
            Table::UnfiledAction => e(&self.unfiled_actions),
            Table::VerificationOpinion => e(&self.verification_opinions),
            Table::Unit => self.units.iter().map(|x| (x.id, x.name.as_str(), x.valid)).collect(),
            Table::Bureau => self.bureaus.iter().map(|x| (x.id, x.name.as_str(), x.valid)).collect(),
        }
    }

    /// The id of the valid entry called `name` (any of `names`: the first that matches).
    pub fn id(&self, table: Table, names: &[&str]) -> Result<i64, Unmapped> {
        let rows = self.rows(table);
        names
            .iter()
            .find_map(|n| rows.iter().find(|(_, name, valid)| *valid && same(name, n)).map(|(id, _, _)| *id))
            .ok_or_else(|| Unmapped { table, value: names.first().copied().unwrap_or_default().to_owned() })
    }

    /// The name of entry `id` (valid or not: an old record may carry a retired code).
    pub fn name(&self, table: Table, id: i64) -> Option<&str> {
        self.rows(table).into_iter().find(|(i, _, _)| *i == id).map(|(_, n, _)| n)
    }

    /// Whether `id` is a valid entry of `table`.
    pub fn valid(&self, table: Table, id: i64) -> bool {
        self.rows(table).iter().any(|(i, _, valid)| *i == id && *valid)
    }

    /// The region entry for a GB/T 2260 code: the entry with that id if the bureau uses the
    /// codes as ids, else the valid entry with `name` at `level`.
    pub fn region(&self, code: i64, name: &str, level: i64) -> Result<i64, Unmapped> {
        if self.regions.iter().any(|r| r.id == code && r.valid) {
            return Ok(code);
        }
        self.regions
            .iter()
            .find(|r| r.valid && r.level.is_none_or(|l| l == level) && same(&r.name, name))
            .map(|r| r.id)
            .ok_or_else(|| Unmapped { table: Table::Region, value: format!("{code} {name}") })
    }

    /// The server-location id (`Fbdd`) of a province: the valid bureau whose province is
    /// `province_region` (a region id), else whose name starts with the province's name.
    pub fn location(&self, province_region: i64, province_name: &str) -> Result<i64, Unmapped> {
        self.bureaus
            .iter()
            .find(|b| b.valid && b.province == Some(province_region))
            .or_else(|| self.bureaus.iter().find(|b| b.valid && b.name.starts_with(province_name)))
            .map(|b| b.id)
            .ok_or_else(|| Unmapped {
                table: Table::Bureau,
                value: format!("{province_region} {province_name}"),
            })
    }

    /// The bureau table of the 31 filing provinces (ids 1–31 in code order, `Shengid` the
    /// province's GB/T 2260 code): what the simulator hands down.
    pub fn with_provincial_bureaus(mut self) -> CodeTables {
        self.bureaus = beian_core::province::provinces()
            .iter()
            .enumerate()
            .map(|(i, p)| Bureau {
                id: i as i64 + 1,
                code: p.code.to_string(),
                name: format!("{}通信管理局", p.name),
                province: Some(i64::from(p.code.division_code())),
                valid: true,
            })
            .collect();
        self
    }

    /// The tables in a `JCDM` download (what the bureau hands down).
    pub fn from_download(j: &download::Jcdm) -> CodeTables {
        let mut t = CodeTables::default();
        let valid = |v: i64| v == 1;
        if let Some(units) = &j.bbdwlb {
            t.units = units
                .bbdw
                .iter()
                .map(|u| Unit {
                    id: u.id,
                    name: u.dwmc.clone(),
                    licence: u.jyxkzbh.clone(),
                    valid: valid(u.sfyx),
                })
                .collect();
        }
        let Some(c) = &j.jcdm_xx else { return t };
        let entry = |id: i64, name: &str, v: i64| Entry { id, name: name.to_owned(), valid: valid(v) };
        if let Some(v) = &c.dwxz_dms {
            t.natures = v.dwxz_xx.iter().map(|e| entry(e.id, &e.mc, e.sfyx)).collect();
        }
        if let Some(v) = &c.zjlx_dms {
            t.certificate_types = v
                .zjlx_xx
                .iter()
                .map(|e| CertificateType {
                    id: e.id,
                    name: e.mc.clone(),
                    unit_class: e.dwflid,
                    valid: valid(e.sfyx),
                })
                .collect();
        }
        if let Some(v) = &c.qy_dms {
            t.regions = v
                .qy_xx
                .iter()
                .map(|e| Region { id: e.id, name: e.mc.clone(), level: e.lx, valid: valid(e.sfyx) })
                .collect();
        }
        if let Some(v) = &c.wzfwlx_dms {
            t.service_contents = v.wzfwlx_xx.iter().map(|e| entry(e.id, &e.mc, e.sfyx)).collect();
        }
        if let Some(v) = &c.yylb_dms {
            t.languages = v.yylb.iter().map(|e| entry(e.id, &e.mc, e.sfyx)).collect();
        }
        if let Some(v) = &c.wzjylx_dms {
            t.content_types = v
                .wzjylx_xx
                .iter()
                .map(|e| ContentType {
                    id: e.id,
                    name: e.mc.clone(),
                    needs_pre_approval: e.sfqzsp == 1,
                    valid: valid(e.sfyx),
                })
                .collect();
        }
        if let Some(v) = &c.wzjrfs_dms {
            t.access_methods = v.wzjrfs_xx.iter().map(|e| entry(e.id, &e.mc, e.sfyx)).collect();
        }
        if let Some(v) = &c.zxly_dms {
            t.cancel_reasons = v.zxly_xx.iter().map(|e| entry(e.id, &e.nr, e.sfyx)).collect();
        }
        if let Some(v) = &c.fjwjgs_dms {
            t.attachment_formats = v.fjwjgs.iter().map(|e| entry(e.id, &e.mc, e.sfyx)).collect();
        }
        if let Some(v) = &c.fjytlx_dms {
            t.attachment_uses = v
                .fjzjlx
                .iter()
                .map(|e| AttachmentUse {
                    id: e.id,
                    name: e.mc.clone(),
                    owner: e.ssdxlx,
                    valid: valid(e.sfyx),
                })
                .collect();
        }
        if let Some(v) = &c.wbacl_dms {
            t.unfiled_actions =
                v.wbacl_xx.iter().map(|e| Entry { id: e.id, name: e.ztmc.clone(), valid: true }).collect();
        }
        if let Some(v) = &c.gj_dms {
            t.bureaus = v
                .gj_dm_xx
                .iter()
                .map(|e| Bureau {
                    id: e.id,
                    code: e.bm.clone(),
                    name: e.mc.clone(),
                    province: e.shengid,
                    valid: valid(e.sfyx),
                })
                .collect();
        }
        if let Some(v) = &c.hsyj_dms {
            t.verification_opinions = v.hsyj.iter().map(|e| entry(e.id, &e.mc, e.sfyx)).collect();
        }
        t
    }

    /// The tables as a `JCDM` download (the simulator hands these down).
    pub fn to_download(&self) -> download::Jcdm {
        use download::jcdm::{self as j, jcdm_xx as x};
        let flag = |v: bool| i64::from(v);
        let some = |b: bool| b.then_some(());
        let units = some(!self.units.is_empty()).map(|_| j::Bbdwlb {
            bbdw: self
                .units
                .iter()
                .map(|u| j::bbdwlb::Bbdw {
                    id: u.id,
                    dwmc: u.name.clone(),
                    dwfl: None,
                    dwhyfl: None,
                    jyxkzbh: u.licence.clone(),
                    shengid: None,
                    shiid: None,
                    xianid: None,
                    xxdz: None,
                    sfyx: flag(u.valid),
                    bz: None,
                })
                .collect(),
        });
        let codes = j::JcdmXx {
            dwfl_dms: None,
            dwxz_dms: some(!self.natures.is_empty()).map(|_| x::DwxzDms {
                dwxz_xx: self
                    .natures
                    .iter()
                    .map(|e| x::dwxz_dms::DwxzXx {
                        id: e.id,
                        mc: e.name.clone(),
                        bz: None,
                        sfyx: flag(e.valid),
                    })
                    .collect(),
            }),
            qy_dms: some(!self.regions.is_empty()).map(|_| x::QyDms {
                qy_xx: self
                    .regions
                    .iter()
                    .map(|e| x::qy_dms::QyXx {
                        id: e.id,
                        mc: e.name.clone(),
                        lx: e.level,
                        bz: None,
                        sfyx: flag(e.valid),
                    })
                    .collect(),
            }),
            yjfk_wtfls: None,
            gj_dms: some(!self.bureaus.is_empty()).map(|_| x::GjDms {
                gj_dm_xx: self
                    .bureaus
                    .iter()
                    .map(|b| x::gj_dms::GjDmXx {
                        id: b.id,
                        ysid: b.id,
                        bm: b.code.clone(),
                        mc: b.name.clone(),
                        shengid: b.province,
                        shengjc: None,
                        bz: None,
                        sfyx: flag(b.valid),
                        dzyj: None,
                        sjhm: None,
                    })
                    .collect(),
            }),
            hyfl_dms: None,
            xzjb_dms: None,
            zjlx_dms: some(!self.certificate_types.is_empty()).map(|_| x::ZjlxDms {
                zjlx_xx: self
                    .certificate_types
                    .iter()
                    .map(|e| x::zjlx_dms::ZjlxXx {
                        id: e.id,
                        mc: e.name.clone(),
                        dwflid: e.unit_class,
                        bz: None,
                        sfyx: flag(e.valid),
                    })
                    .collect(),
            }),
            wzjylx_dms: some(!self.content_types.is_empty()).map(|_| x::WzjylxDms {
                wzjylx_xx: self
                    .content_types
                    .iter()
                    .map(|e| x::wzjylx_dms::WzjylxXx {
                        id: e.id,
                        ysid: e.id,
                        mc: e.name.clone(),
                        sfqzsp: i64::from(e.needs_pre_approval),
                        bz: None,
                        sfyx: flag(e.valid),
                    })
                    .collect(),
            }),
            wzfwlx_dms: some(!self.service_contents.is_empty()).map(|_| x::WzfwlxDms {
                wzfwlx_xx: self
                    .service_contents
                    .iter()
                    .map(|e| x::wzfwlx_dms::WzfwlxXx {
                        id: e.id,
                        ysid: e.id,
                        mc: e.name.clone(),
                        bz: None,
                        sfyx: flag(e.valid),
                    })
                    .collect(),
            }),
            wzjrfs_dms: some(!self.access_methods.is_empty()).map(|_| x::WzjrfsDms {
                wzjrfs_xx: self
                    .access_methods
                    .iter()
                    .map(|e| x::wzjrfs_dms::WzjrfsXx {
                        id: e.id,
                        ysid: e.id,
                        mc: e.name.clone(),
                        bz: None,
                        sfyx: flag(e.valid),
                    })
                    .collect(),
            }),
            zxly_dms: some(!self.cancel_reasons.is_empty()).map(|_| x::ZxlyDms {
                zxly_xx: self
                    .cancel_reasons
                    .iter()
                    .map(|e| x::zxly_dms::ZxlyXx {
                        id: e.id,
                        nr: e.name.clone(),
                        bz: None,
                        sfyx: flag(e.valid),
                    })
                    .collect(),
            }),
            wbacl_dms: some(!self.unfiled_actions.is_empty()).map(|_| x::WbaclDms {
                wbacl_xx: self
                    .unfiled_actions
                    .iter()
                    .map(|e| x::wbacl_dms::WbaclXx { id: e.id, ztmc: e.name.clone(), bz: None })
                    .collect(),
            }),
            hsyj_dms: some(!self.verification_opinions.is_empty()).map(|_| x::HsyjDms {
                hsyj: self
                    .verification_opinions
                    .iter()
                    .map(|e| x::hsyj_dms::Hsyj {
                        id: e.id,
                        mc: e.name.clone(),
                        bz: None,
                        sfyx: flag(e.valid),
                    })
                    .collect(),
            }),
            ymlx_dms: None,
            fjwjgs_dms: some(!self.attachment_formats.is_empty()).map(|_| x::FjwjgsDms {
                fjwjgs: self
                    .attachment_formats
                    .iter()
                    .map(|e| x::fjwjgs_dms::Fjwjgs {
                        id: e.id,
                        mc: e.name.clone(),
                        sfyx: flag(e.valid),
                        bz: None,
                    })
                    .collect(),
            }),
            fjytlx_dms: some(!self.attachment_uses.is_empty()).map(|_| x::FjytlxDms {
                fjzjlx: self
                    .attachment_uses
                    .iter()
                    .map(|e| x::fjytlx_dms::Fjzjlx {
                        id: e.id,
                        mc: e.name.clone(),
                        ssdxlx: e.owner,
                        bz: None,
                        sfyx: flag(e.valid),
                    })
                    .collect(),
            }),
            yylb_dms: some(!self.languages.is_empty()).map(|_| x::YylbDms {
                yylb: self
                    .languages
                    .iter()
                    .map(|e| x::yylb_dms::Yylb {
                        id: e.id,
                        mc: e.name.clone(),
                        sfyx: flag(e.valid),
                        bz: None,
                    })
                    .collect(),
            }),
        };
        download::Jcdm { bbdwlb: units, jcdm_xx: Some(codes) }
    }
}
