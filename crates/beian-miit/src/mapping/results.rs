//! The bureau's verdicts on a provider's records (`BAJG` 备案结果, with `GJSHS` 管局审核意见):
//! written by the simulator, read by the provider.
//!
//! A result names its record by operation type (`Czlx`) and identifier (`Bs`: the provider's
//! subject id for a first filing, a subject or website number for a new site or new access,
//! the bureau's subject id otherwise), and carries one or more result codes (1001 approved,
//! 1002 refused, 1003–1068 conflicts; 5001–5999 for a whole file, `Dmms` then the file's
//! name). The bureau's opinion, when it gives one, names the record by `Czlx` and `Jlid`.

use crate::codes;
use crate::schema::download::icp::{Bajg, bajg};

/// One record's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub operation: i64,
    pub identifier: Option<String>,
    /// The related record id of the bureau's opinion (`Jlid`).
    pub record: Option<i64>,
    /// Result codes with the bureau's description (the official text when it gives none).
    pub codes: Vec<(i64, String)>,
    /// The bureau's review opinion, if any.
    pub opinion: Option<Opinion>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    pub approved: bool,
    pub text: Option<String>,
    pub reviewer: Option<String>,
    pub at: String,
}

impl Verdict {
    /// Whether the bureau approved the record (every code 1001, or 1060/1062 which report
    /// success too).
    pub fn approved(&self) -> bool {
        !self.codes.is_empty()
            && self
                .codes
                .iter()
                .all(|(c, _)| matches!(*c, codes::result::APPROVED | 1060 | 1062 | 1998 | 2998 | 3998))
    }

    /// Whether it is a verdict on a whole file (5001–5999): its identifier is the file's name.
    pub fn about_file(&self) -> bool {
        self.codes.iter().any(|(c, _)| (5000..6000).contains(c))
    }
}

/// Writes verdicts as a `BAJG` element (with `GJSHS` for those carrying an opinion).
pub fn bajg(verdicts: &[Verdict]) -> Bajg {
    let jg_xx = verdicts
        .iter()
        .map(|v| bajg::JgXx {
            jgxx: v
                .codes
                .iter()
                .map(|(c, d)| bajg::jg_xx::Jgxx {
                    jgdm: *c,
                    dmms: Some(if d.is_empty() {
                        codes::text(*c).to_owned()
                    } else {
                        d.chars().take(255).collect()
                    }),
                })
                .collect(),
            czlx: v.operation,
            bs: v.identifier.clone(),
            bz: None,
        })
        .collect();
    let opinions: Vec<bajg::gjshs::Gjsh> = verdicts
        .iter()
        .filter_map(|v| {
            let o = v.opinion.as_ref()?;
            Some(bajg::gjshs::Gjsh {
                shrxm: o.reviewer.clone(),
                shr_dhhm: None,
                shsj: o.at.clone(),
                shyj: o.text.as_ref().map(|t| t.chars().take(1024).collect()),
                shjg: i64::from(o.approved),
                czlx: Some(v.operation),
                jlid: v.record,
            })
        })
        .collect();
    Bajg { jg_xx, gjshs: (!opinions.is_empty()).then_some(bajg::Gjshs { gjsh: opinions }) }
}

/// Reads the verdicts of a `BAJG` element, each with the opinion that names its record.
pub fn verdicts(b: &Bajg) -> Vec<Verdict> {
    let opinions: Vec<&bajg::gjshs::Gjsh> = b.gjshs.iter().flat_map(|g| g.gjsh.iter()).collect();
    let mut used = vec![false; opinions.len()];
    b.jg_xx
        .iter()
        .map(|r| {
            // An opinion belongs to the first unused one of the same operation (the bureau
            // writes them in the same order as the results).
            let opinion =
                opinions.iter().enumerate().find(|(i, o)| !used[*i] && o.czlx.is_none_or(|c| c == r.czlx));
            let (record, opinion) = match opinion {
                Some((i, o)) => {
                    used[i] = true;
                    (
                        o.jlid,
                        Some(Opinion {
                            approved: o.shjg == 1,
                            text: o.shyj.clone(),
                            reviewer: o.shrxm.clone(),
                            at: o.shsj.clone(),
                        }),
                    )
                }
                None => (None, None),
            };
            Verdict {
                operation: r.czlx,
                identifier: r.bs.clone(),
                record,
                codes: r
                    .jgxx
                    .iter()
                    .map(|j| (j.jgdm, j.dmms.clone().unwrap_or_else(|| codes::text(j.jgdm).to_owned())))
                    .collect(),
                opinion,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_travel_with_their_opinions() {
        let v = vec![
            Verdict {
                operation: 1,
                identifier: Some("101".into()),
                record: Some(101),
                codes: vec![(1001, String::new())],
                opinion: Some(Opinion {
                    approved: true,
                    text: None,
                    reviewer: Some("张三".into()),
                    at: "2026-12-06 10:00:00".into(),
                }),
            },
            Verdict {
                operation: 2,
                identifier: Some("浙ICP备2026000001号".into()),
                record: Some(205),
                codes: vec![(1002, String::new()), (1005, "域名冲突".into())],
                opinion: Some(Opinion {
                    approved: false,
                    text: Some("网站名称与内容不符".into()),
                    reviewer: None,
                    at: "2026-12-06 10:00:00".into(),
                }),
            },
            Verdict {
                operation: 1,
                identifier: Some("U9".into()),
                record: None,
                codes: vec![(5001, "U9".into())],
                opinion: None,
            },
        ];
        let back = verdicts(&bajg(&v));
        assert_eq!(back[0].codes, vec![(1001, "管局审核通过".to_owned())]);
        assert!(back[0].approved() && !back[1].approved() && back[2].about_file());
        assert_eq!(back[1].opinion.as_ref().and_then(|o| o.text.as_deref()), Some("网站名称与内容不符"));
        assert_eq!(back[1].record, Some(205));
        assert_eq!(back[2].opinion, None);
    }
}
