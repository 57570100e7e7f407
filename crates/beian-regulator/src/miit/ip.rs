//! IP address filing at the simulated bureau: a provider's `IP` upload adds its sources (where a
//! block comes from) and its allocations (how a range inside one is used) or deletes them by the
//! bureau's ids; each record is answered in an `IP` `BAJG` download (2998, or the code of what
//! is wrong). An ICP access record's addresses must lie in ranges its provider has filed (1063),
//! once it has filed any: a provider that never filed addresses is not checked, so the
//! simulator's older flows still run, and a provider that has is held to its filing.
//!
//! Checked: a range's ends (2002), the source unit (2029; not the provider itself, 2052), a
//! range filed already (2003), an allocation outside the provider's sources (2005), its usage
//! (2041; a re-allocation's unit 2047/2048, own use's date 2030 and method 2032), a deletion of
//! a record that does not exist (2055) or is another provider's (2054), a source with
//! allocations inside (2999). Allocation to a customer unit (`Fpfs` 1), changes (`XGBA`),
//! broadcasts and own IPs are answered as not simulated (2999).

use beian_core::model::Order;
use beian_miit::codes::result;
use beian_miit::mapping::ip::{self as mapping, Filing, IpResult, Kind, Usage};
use beian_miit::schema::download::{self, DownloadData, DownloadDataChoice};
use beian_miit::schema::upload;
use beian_store::{Tx, on};

use super::MiitError;
use super::accounts::Account;
use super::intake::Refusal;
use crate::service::Service;

/// A filed record: (bureau id, first, last).
type Row = (i64, i64, i64);

fn known_unit(unit: i64) -> bool {
    super::tables().units.iter().any(|u| u.id == unit && u.valid)
}

fn ok(kind: Kind, operation: i64, isp_id: Option<i64>, bureau_id: i64) -> IpResult {
    IpResult {
        kind,
        operation,
        isp_id,
        bureau_id: Some(bureau_id),
        codes: vec![(result::IP_OK, String::new())],
    }
}

fn no(
    kind: Kind,
    operation: i64,
    isp_id: Option<i64>,
    bureau_id: Option<i64>,
    code: i64,
    detail: &str,
) -> IpResult {
    IpResult { kind, operation, isp_id, bureau_id, codes: vec![(code, detail.to_owned())] }
}

async fn rows(tx: &mut Tx, isp_id: i64, kind: &str) -> Result<Vec<Row>, MiitError> {
    Ok(
        on!(tx tx, |c| sqlx::query_as("SELECT id, first, last FROM reg_miit_ip WHERE isp_id = $1 AND kind = $2")
        .bind(isp_id)
        .bind(kind)
        .fetch_all(c)
        .await?),
    )
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    tx: &mut Tx,
    isp_id: i64,
    kind: &str,
    record: i64,
    (first, last): (i64, i64),
    unit: Option<i64>,
    usage: Option<i64>,
    now: i64,
) -> Result<i64, MiitError> {
    Ok(on!(tx tx, |c| sqlx::query_scalar(
        "INSERT INTO reg_miit_ip (isp_id, kind, record, first, last, unit, usage, filed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(isp_id)
    .bind(kind)
    .bind(record)
    .bind(first)
    .bind(last)
    .bind(unit)
    .bind(usage)
    .bind(now)
    .fetch_one(c)
    .await?))
}

fn overlapping(rows: &[Row], first: i64, last: i64) -> bool {
    rows.iter().any(|&(_, a, b)| a <= last && first <= b)
}

impl Service {
    /// Takes an `IP` upload from `account` and queues its verdicts.
    pub(super) async fn miit_ip_filing(
        &self,
        tx: &mut Tx,
        account: &Account,
        ip: &upload::Ip,
        now: i64,
    ) -> Result<(), MiitError> {
        let Filing { add_sources, add_allocations, delete_sources, delete_allocations, other } =
            mapping::filing(ip);
        let mut out = Vec::new();
        let isp = account.isp_id;
        // Deletions first: allocations before the sources they lie in.
        for (kind, ids, name) in
            [(Kind::Allocation, &delete_allocations, "allocation"), (Kind::Source, &delete_sources, "source")]
        {
            for &id in ids {
                let owner: Option<(i64, i64, i64)> = on!(tx tx, |c| sqlx::query_as("SELECT isp_id, first, last FROM reg_miit_ip WHERE id = $1 AND kind = $2")
                    .bind(id)
                    .bind(name)
                    .fetch_optional(c)
                    .await?);
                let verdict = match owner {
                    None => no(kind, 3, None, Some(id), result::IP_NOT_ON_RECORD, ""),
                    Some((o, _, _)) if o != isp => no(kind, 3, None, Some(id), result::IP_NOT_OURS, ""),
                    Some((_, first, last))
                        if kind == Kind::Source
                            && overlapping(&rows(tx, isp, "allocation").await?, first, last) =>
                    {
                        no(kind, 3, None, Some(id), result::IP_OTHER, "来源内仍有分配信息，请先删除分配信息")
                    }
                    Some(_) => {
                        on!(tx tx, |c| sqlx::query("DELETE FROM reg_miit_ip WHERE id = $1").bind(id).execute(c).await?.rows_affected());
                        ok(kind, 3, None, id)
                    }
                };
                out.push(verdict);
            }
        }
        for s in &add_sources {
            let r = Some(s.isp_id);
            let verdict = if s.first > s.last {
                no(Kind::Source, 1, r, None, result::IP_RANGE_REVERSED, "")
            } else if s.unit == isp {
                no(Kind::Source, 1, r, None, result::IP_SOURCE_SELF, "")
            } else if !known_unit(s.unit) {
                no(Kind::Source, 1, r, None, result::IP_SOURCE_UNIT_INVALID, "")
            } else if overlapping(&rows(tx, isp, "source").await?, s.first, s.last) {
                no(Kind::Source, 1, r, None, result::IP_RANGE_FILED, "")
            } else {
                let id =
                    insert(tx, isp, "source", s.isp_id, (s.first, s.last), Some(s.unit), None, now).await?;
                ok(Kind::Source, 1, r, id)
            };
            out.push(verdict);
        }
        for (a, fpfs) in &add_allocations {
            let r = Some(a.isp_id);
            let sources = rows(tx, isp, "source").await?;
            let inside = sources.iter().any(|&(_, f, l)| f <= a.first && a.last <= l);
            let verdict = if a.first > a.last {
                no(Kind::Allocation, 1, r, None, result::IP_RANGE_REVERSED, "")
            } else if !(1..=4).contains(fpfs) {
                no(Kind::Allocation, 1, r, None, result::IP_USAGE_INVALID, "")
            } else if *fpfs == 1 {
                no(Kind::Allocation, 1, r, None, result::IP_OTHER, "分配且使用（Fpfs=1）不在模拟范围内")
            } else if !inside {
                no(Kind::Allocation, 1, r, None, result::IP_SOURCE_MISSING, "")
            } else if let Some(code) = match a.usage {
                Usage::Reallocated { to } if to <= 0 => Some(result::IP_ALLOCATED_TO_MISSING),
                Usage::Reallocated { to } if !known_unit(to) => Some(result::IP_ALLOCATED_TO_UNKNOWN),
                Usage::OwnUse { .. } if a.since.as_deref().is_none_or(str::is_empty) => {
                    Some(result::IP_SINCE_MISSING)
                }
                Usage::OwnUse { method } if !(1..=3).contains(&method) => Some(result::IP_METHOD_MISSING),
                _ => None,
            } {
                no(Kind::Allocation, 1, r, None, code, "")
            } else if overlapping(&rows(tx, isp, "allocation").await?, a.first, a.last) {
                no(Kind::Allocation, 1, r, None, result::IP_RANGE_FILED, "")
            } else {
                let id = insert(
                    tx,
                    isp,
                    "allocation",
                    a.isp_id,
                    (a.first, a.last),
                    reallocated_to(a),
                    Some(*fpfs),
                    now,
                )
                .await?;
                ok(Kind::Allocation, 1, r, id)
            };
            out.push(verdict);
        }
        if !other.is_empty() {
            tracing::info!(isp, ?other, "IP records the simulator does not take");
        }
        let doc = DownloadData {
            version: super::VERSION.into(),
            choice: DownloadDataChoice::Ip(download::Ip { bajg: Some(mapping::bajg(&out)), hcjg: None }),
        };
        super::downloads::queue(tx, &self.keys, isp, "IPBAJG", &doc, now).await?;
        Ok(())
    }

    /// Whether an ICP record's access addresses lie outside what its provider filed (1063),
    /// once it has filed any allocation.
    pub(super) async fn miit_ip_unfiled(
        &self,
        tx: &mut Tx,
        isp_id: i64,
        order: &Order,
    ) -> Result<Option<Refusal>, MiitError> {
        if order.kind.is_cancellation() {
            return Ok(None);
        }
        let filed = rows(tx, isp_id, "allocation").await?;
        if filed.is_empty() {
            return Ok(None);
        }
        for w in &order.websites {
            for ip in &w.access.ips {
                let Some((first, last)) = beian_miit::mapping::ip_range(ip) else { continue };
                if !filed.iter().any(|&(_, f, l)| f <= first && last <= l) {
                    return Ok(Some(Refusal {
                        code: result::IP_NOT_FILED,
                        detail: format!("{}：{ip}", w.name),
                    }));
                }
            }
        }
        Ok(None)
    }
}

/// The unit a re-allocated range went to, kept beside the record.
fn reallocated_to(a: &mapping::Allocation) -> Option<i64> {
    match a.usage {
        Usage::Reallocated { to } => Some(to),
        _ => None,
    }
}
