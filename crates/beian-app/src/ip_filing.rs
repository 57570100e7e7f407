//! The provider's address blocks and their filing with the bureau (IP地址备案).
//!
//! The IP pools are the ranges the provider uses: the access step's addresses must come from
//! them (`ACCESS_IP_NOT_PROVIDER`), the hosting check compares a site's addresses with them,
//! and the same ranges are what the provider files, so the bureau's check of an access record's
//! addresses (1063) and the provider's own check read one list. Each pool says how it is used
//! (own use, re-allocated to another reporting unit, reserved) and lies in a source: the block
//! it came from and the unit that gave it (`ip_sources`).
//!
//! Filing is an administrator's step per record: a source first (an `IP` `XZBA` upload file
//! queued in the transaction that marks it `reporting`), then pools inside a source that is
//! filed or being filed (the upload sequence keeps them in that order); the bureau's `IP`
//! `BAJG` answer makes each `filed` with the bureau's id, or `refused` with its codes.
//! Withdrawing a filed record sends `SCBA` by that id. Nothing is filed without a person's step.

use beian_core::rules::Cidr;
use beian_miit::mapping::ip::{self as mapping, Allocation, IpResult, Kind, Source, Usage};
use beian_store::{IpFiling, IpKind, IpPoolRow, IpSourceRow, Uuid};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::areas::IpAddresses;
use crate::i18n::Text;
use crate::views::rfc3339;
use crate::{AppError, AppResult, Ctx, Role};

/// A range the provider uses, as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IpPoolView {
    pub id: Uuid,
    pub cidr: String,
    pub note: String,
    pub created_at: String,
    /// `own_use`, `reallocated` or `reserved`.
    pub usage: String,
    /// How its addresses are assigned: `static`, `dynamic` or `unknown`.
    pub method: String,
    /// The reporting unit a re-allocated range went to.
    pub allocated_to: Option<i64>,
    /// Since when it is used (`YYYY-MM-DD`, '' when not said).
    pub since: String,
    #[serde(flatten)]
    pub filing: FilingView,
}

/// Where a block comes from, as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IpSourceView {
    pub id: Uuid,
    pub cidr: String,
    /// The unit that gave it, by the bureau's table of reporting units, and its name there.
    pub unit: i64,
    pub unit_name: Option<String>,
    pub note: String,
    pub created_at: String,
    #[serde(flatten)]
    pub filing: FilingView,
}

/// A record's state in the filing.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FilingView {
    /// `unreported`, `reporting` (the upload waits for the bureau), `filed`, `refused`,
    /// `withdrawing`.
    pub filing: String,
    /// The bureau's id of the record, once filed.
    pub bureau_id: Option<i64>,
    /// The bureau's refusal, code and text per line.
    pub result: String,
}

/// A source an administrator adds.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIpSource {
    /// The block in CIDR form (`47.96.0.0/11`).
    pub cidr: String,
    /// The unit that gave it: its id in the bureau's table of reporting units.
    pub unit: i64,
    #[serde(default)]
    pub note: String,
}

/// How a pool is used.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolUsage {
    /// `own_use`, `reallocated` or `reserved`.
    pub usage: String,
    /// For own use: `static` (default), `dynamic` or `unknown`.
    #[serde(default)]
    pub method: Option<String>,
    /// For a re-allocated range: the reporting unit it went to.
    #[serde(default)]
    pub allocated_to: Option<i64>,
    /// For own use: since when (`YYYY-MM-DD`).
    #[serde(default)]
    pub since: String,
}

const USAGES: [(i64, &str); 3] = [(2, "reallocated"), (3, "own_use"), (4, "reserved")];
const METHODS: [(i64, &str); 3] = [(1, "static"), (2, "dynamic"), (3, "unknown")];

fn name_of(table: &[(i64, &'static str)], code: i64) -> String {
    table.iter().find(|(c, _)| *c == code).map_or("", |(_, n)| n).to_owned()
}

fn filing_view(f: IpFiling) -> FilingView {
    FilingView { filing: f.filing, bureau_id: f.bureau_id, result: f.result }
}

pub(crate) fn pool_view(p: IpPoolRow) -> IpPoolView {
    IpPoolView {
        id: p.id,
        usage: name_of(&USAGES, p.usage),
        method: name_of(&METHODS, p.method),
        cidr: p.cidr,
        note: p.note,
        created_at: rfc3339(p.created_at),
        allocated_to: p.allocated_to,
        since: p.since,
        filing: filing_view(p.filing),
    }
}

fn cidr_field(raw: &str) -> AppResult<Cidr> {
    let Some(c) = Cidr::parse(raw) else {
        return Err(AppError::field("cidr", "CIDR_INVALID", Text::new("problem.cidr_invalid")));
    };
    if beian_core::id::PublicIp::new(c.network).is_err() {
        return Err(AppError::field("cidr", "CIDR_NOT_PUBLIC", Text::new("problem.cidr_not_public")));
    }
    Ok(c)
}

/// The first and last address of an IPv4 block, as the interface's integers.
fn range(c: &Cidr) -> Option<(i64, i64)> {
    let std::net::IpAddr::V4(net) = c.network else { return None };
    let first = u32::from(net);
    let size = 1u64 << (32 - u32::from(c.prefix.min(32)));
    Some((i64::from(first), i64::from(first) + size as i64 - 1))
}

fn within(inner: &Cidr, outer: &Cidr) -> bool {
    matches!((range(inner), range(outer)), (Some((a, b)), Some((c, d))) if c <= a && b <= d)
}

fn overlaps(a: &Cidr, b: &Cidr) -> bool {
    matches!((range(a), range(b)), (Some((a1, a2)), Some((b1, b2))) if a1 <= b2 && b1 <= a2)
}

fn held(filing: &str) -> bool {
    matches!(filing, "reporting" | "filed" | "withdrawing")
}

fn filed_already() -> AppError {
    AppError::conflict("IP_RECORD_FILED", Text::new("problem.ip_record_filed"))
}

fn miit_missing() -> AppError {
    AppError::conflict("MIIT_NOT_CONFIGURED", Text::new("problem.miit_not_configured"))
}

impl IpAddresses<'_> {
    /// The ranges the provider assigns, as any signed-in user may read them: the access
    /// step's addresses must come from these (ACCESS_IP_NOT_PROVIDER). Staff notes are not
    /// shown.
    pub async fn assignable_addresses(self, ctx: &Ctx) -> AppResult<Vec<String>> {
        ctx.principal()?;
        Ok(self.store().ip_pools().await?.into_iter().map(|p| p.cidr).collect())
    }

    /// The pools as blocks, for the checks that compare an address with them (the access
    /// step's rules, the hosting check, a verification task's live check).
    pub(crate) async fn pool_blocks(self) -> anyhow::Result<Vec<Cidr>> {
        Ok(self.store().ip_pools().await?.iter().filter_map(|p| Cidr::parse(&p.cidr)).collect())
    }

    pub async fn ip_pools(self, ctx: &Ctx) -> AppResult<Vec<IpPoolView>> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        Ok(self.store().ip_pools().await?.into_iter().map(pool_view).collect())
    }

    pub async fn add_ip_pool(self, ctx: &Ctx, cidr: &str, note: &str) -> AppResult<IpPoolView> {
        ctx.require(&[Role::Admin])?;
        let c = cidr_field(cidr)?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let id = match tx.insert_ip_pool(&c.to_string(), note.trim(), now).await {
            Ok(id) => id,
            Err(beian_store::StoreError::Conflict { .. }) => {
                return Err(AppError::conflict("IP_POOL_EXISTS", Text::new("problem.ip_pool_exists")));
            }
            Err(e) => return Err(e.into()),
        };
        tx.audit(&ctx.audit("ip_pool.create", "ip_pool", id, json!({ "cidr": c.to_string() })), now).await?;
        tx.commit().await?;
        Ok(pool_view(self.store().ip_pool(id).await?.ok_or(AppError::NotFound)?))
    }

    pub async fn delete_ip_pool(self, ctx: &Ctx, id: Uuid) -> AppResult<()> {
        ctx.require(&[Role::Admin])?;
        let pool = self.store().ip_pool(id).await?.ok_or(AppError::NotFound)?;
        if held(&pool.filing.filing) {
            return Err(filed_already());
        }
        let mut tx = self.store().begin().await?;
        if !tx.delete_ip_pool(id).await? {
            return Err(AppError::NotFound);
        }
        tx.audit(&ctx.audit("ip_pool.delete", "ip_pool", id, json!({})), self.now_us()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Says how a pool is used (before it is filed).
    pub async fn set_ip_pool_usage(self, ctx: &Ctx, id: Uuid, input: PoolUsage) -> AppResult<IpPoolView> {
        ctx.require(&[Role::Admin])?;
        let usage = USAGES.iter().find(|(_, n)| *n == input.usage).map(|(c, _)| *c).ok_or_else(|| {
            AppError::field("usage", "IP_USAGE_UNKNOWN", Text::new("problem.ip_usage_unknown"))
        })?;
        let method = match input.method.as_deref() {
            None | Some("") => 1,
            Some(m) => METHODS.iter().find(|(_, n)| *n == m).map(|(c, _)| *c).ok_or_else(|| {
                AppError::field("method", "IP_METHOD_UNKNOWN", Text::new("problem.ip_method_unknown"))
            })?,
        };
        let since = input.since.trim();
        if !since.is_empty()
            && time::Date::parse(since, time::macros::format_description!("[year]-[month]-[day]")).is_err()
        {
            return Err(AppError::field("since", "DATE_INVALID", Text::new("problem.date_invalid")));
        }
        let allocated_to = match (usage, input.allocated_to) {
            (2, Some(u)) => Some(self.reporting_unit(u, "allocated_to").await?),
            (2, None) => {
                return Err(AppError::field(
                    "allocated_to",
                    "IP_ALLOCATED_TO_REQUIRED",
                    Text::new("problem.ip_allocated_to_required"),
                ));
            }
            _ => None,
        };
        let mut tx = self.store().begin().await?;
        if !tx.set_ip_pool_usage(id, usage, method, allocated_to, since).await? {
            return match self.store().ip_pool(id).await? {
                None => Err(AppError::NotFound),
                Some(_) => Err(filed_already()),
            };
        }
        tx.audit(&ctx.audit("ip_pool.usage", "ip_pool", id, json!({ "usage": input.usage })), self.now_us())
            .await?;
        tx.commit().await?;
        Ok(pool_view(self.store().ip_pool(id).await?.ok_or(AppError::NotFound)?))
    }

    /// A unit id the bureau's table of reporting units holds (any positive id before the
    /// tables have come down: the bureau checks it then, 2029).
    async fn reporting_unit(self, unit: i64, field: &str) -> AppResult<i64> {
        let known = match self.seam().miit_tables().await? {
            Some(t) if !t.units.is_empty() => t.units.iter().any(|u| u.id == unit && u.valid),
            _ => unit > 0,
        };
        if !known {
            return Err(AppError::field(field, "IP_UNIT_UNKNOWN", Text::new("problem.ip_unit_unknown")));
        }
        Ok(unit)
    }

    async fn source_view(self, s: IpSourceRow) -> AppResult<IpSourceView> {
        let unit_name = self
            .seam()
            .miit_tables()
            .await?
            .and_then(|t| t.units.iter().find(|u| u.id == s.unit).map(|u| u.name.clone()));
        Ok(IpSourceView {
            id: s.id,
            cidr: s.cidr,
            unit: s.unit,
            unit_name,
            note: s.note,
            created_at: rfc3339(s.created_at),
            filing: filing_view(s.filing),
        })
    }

    /// Where the provider's blocks come from (staff).
    pub async fn ip_sources(self, ctx: &Ctx) -> AppResult<Vec<IpSourceView>> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        let mut out = Vec::new();
        for s in self.store().ip_sources().await? {
            out.push(self.source_view(s).await?);
        }
        Ok(out)
    }

    /// An administrator records where a block comes from.
    pub async fn add_ip_source(self, ctx: &Ctx, input: NewIpSource) -> AppResult<IpSourceView> {
        ctx.require(&[Role::Admin])?;
        let c = cidr_field(&input.cidr)?;
        let note = input.note.trim();
        // The interface carries at most 512 characters of it (`Bz`).
        if note.chars().count() > 512 || note.chars().any(char::is_control) {
            return Err(AppError::field("note", "IP_NOTE_INVALID", Text::new("problem.ip_note_invalid")));
        }
        let unit = self.reporting_unit(input.unit, "unit").await?;
        if let Some(seam) = self.miit()
            && seam.credentials.unit_id == unit
        {
            return Err(AppError::field(
                "unit",
                "IP_SOURCE_UNIT_SELF",
                Text::new("problem.ip_source_unit_self"),
            ));
        }
        if let Some(other) = self
            .store()
            .ip_sources()
            .await?
            .iter()
            .find(|s| Cidr::parse(&s.cidr).is_some_and(|o| overlaps(&o, &c)))
        {
            return Err(AppError::field(
                "cidr",
                "IP_RANGE_OVERLAPS",
                Text::new("problem.ip_range_overlaps").arg("cidr", &other.cidr),
            ));
        }
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let id = match tx.insert_ip_source(&c.to_string(), unit, note, now).await {
            Ok(id) => id,
            Err(beian_store::StoreError::Conflict { .. }) => {
                return Err(AppError::conflict("IP_SOURCE_EXISTS", Text::new("problem.ip_source_exists")));
            }
            Err(e) => return Err(e.into()),
        };
        tx.audit(
            &ctx.audit("ip_source.create", "ip_source", id, json!({ "cidr": c.to_string(), "unit": unit })),
            now,
        )
        .await?;
        tx.commit().await?;
        self.source_view(self.store().ip_source(id).await?.ok_or(AppError::NotFound)?).await
    }

    /// An administrator removes a source the bureau does not hold.
    pub async fn delete_ip_source(self, ctx: &Ctx, id: Uuid) -> AppResult<()> {
        ctx.require(&[Role::Admin])?;
        let source = self.store().ip_source(id).await?.ok_or(AppError::NotFound)?;
        let mut tx = self.store().begin().await?;
        if !tx.delete_ip_source(id).await? {
            return Err(if held(&source.filing.filing) { filed_already() } else { AppError::NotFound });
        }
        tx.audit(&ctx.audit("ip_source.delete", "ip_source", id, json!({})), self.now_us()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Files a source or a pool with the bureau: an `IP` `XZBA` upload queued in the
    /// transaction that marks it `reporting`. A pool must lie in a source that is filed or
    /// being filed, and its usage must be complete.
    pub async fn file_ip_record(self, ctx: &Ctx, kind: IpKind, id: Uuid) -> AppResult<FilingView> {
        ctx.require(&[Role::Admin])?;
        let seam = self.miit().ok_or_else(miit_missing)?;
        let (current, source, allocation) = match kind {
            IpKind::Source => {
                let s = self.store().ip_source(id).await?.ok_or(AppError::NotFound)?;
                let c = Cidr::parse(&s.cidr)
                    .and_then(|c| range(&c))
                    .ok_or_else(|| anyhow::anyhow!("source {id} is no IPv4 block"))?;
                (s.filing.filing.clone(), Some((c, s.unit, s.note)), None)
            }
            IpKind::Pool => {
                let p = self.store().ip_pool(id).await?.ok_or(AppError::NotFound)?;
                let c = Cidr::parse(&p.cidr).ok_or_else(|| anyhow::anyhow!("pool {id} is no block"))?;
                let sources = self.store().ip_sources().await?;
                // A source being withdrawn is on its way out: nothing is filed into it.
                let inside = sources.iter().any(|s| {
                    matches!(s.filing.filing.as_str(), "reporting" | "filed")
                        && Cidr::parse(&s.cidr).is_some_and(|o| within(&c, &o))
                });
                if !inside {
                    return Err(AppError::conflict(
                        "IP_SOURCE_NOT_FILED",
                        Text::new("problem.ip_source_not_filed").arg("cidr", p.cidr),
                    ));
                }
                let usage = match p.usage {
                    2 => Usage::Reallocated { to: p.allocated_to.unwrap_or_default() },
                    3 => Usage::OwnUse { method: p.method },
                    _ => Usage::Reserved,
                };
                if matches!(usage, Usage::OwnUse { .. }) && p.since.is_empty() {
                    return Err(AppError::field(
                        "since",
                        "IP_SINCE_REQUIRED",
                        Text::new("problem.ip_since_required"),
                    ));
                }
                let (first, last) = range(&c).ok_or_else(|| {
                    AppError::field("cidr", "CIDR_NOT_IPV4", Text::new("problem.cidr_not_ipv4"))
                })?;
                let since = (!p.since.is_empty()).then(|| p.since.clone());
                (p.filing.filing.clone(), None, Some((first, last, usage, since, p.note)))
            }
        };
        if !matches!(current.as_str(), "unreported" | "refused") {
            return Err(filed_already());
        }
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let isp_id = tx.take_miit_numbers("record_id", 1).await?;
        let note = |n: String| (!n.is_empty()).then_some(n);
        let file = match (source, allocation) {
            (Some(((first, last), unit, n)), _) => mapping::add_file(
                &seam.credentials.version,
                seam.credentials.unit_id,
                &[Source { isp_id, first, last, unit, note: note(n) }],
                &[],
            ),
            (_, Some((first, last, usage, since, n))) => mapping::add_file(
                &seam.credentials.version,
                seam.credentials.unit_id,
                &[],
                &[Allocation { isp_id, first, last, usage, since, note: note(n) }],
            ),
            _ => return Err(AppError::NotFound),
        };
        let seq = self.seam().queue_miit_file(&mut tx, &file, 1, now).await?;
        let to = IpFiling {
            filing: "reporting".into(),
            isp_id: Some(isp_id),
            bureau_id: None,
            upload_seq: Some(seq),
            result: String::new(),
        };
        if !tx.set_ip_filing(kind, id, &["unreported", "refused"], &to).await? {
            return Err(filed_already());
        }
        tx.audit(&ctx.audit("ip_filing.file", kind_name(kind), id, json!({ "upload_seq": seq })), now)
            .await?;
        tx.commit().await?;
        Ok(filing_view(to))
    }

    /// Withdraws a filed record: an `IP` `SCBA` upload by the bureau's id. A source with a
    /// filed pool inside stays.
    pub async fn withdraw_ip_record(self, ctx: &Ctx, kind: IpKind, id: Uuid) -> AppResult<FilingView> {
        ctx.require(&[Role::Admin])?;
        let seam = self.miit().ok_or_else(miit_missing)?;
        let (filing, cidr) = match kind {
            IpKind::Source => {
                let s = self.store().ip_source(id).await?.ok_or(AppError::NotFound)?;
                (s.filing, s.cidr)
            }
            IpKind::Pool => {
                let p = self.store().ip_pool(id).await?.ok_or(AppError::NotFound)?;
                (p.filing, p.cidr)
            }
        };
        let Some(bureau_id) = filing.bureau_id.filter(|_| filing.filing == "filed") else {
            return Err(AppError::conflict("IP_RECORD_NOT_FILED", Text::new("problem.ip_record_not_filed")));
        };
        if kind == IpKind::Source {
            let c = Cidr::parse(&cidr);
            let used = self.store().ip_pools().await?.into_iter().any(|p| {
                held(&p.filing.filing)
                    && c.as_ref().is_some_and(|o| Cidr::parse(&p.cidr).is_some_and(|i| within(&i, o)))
            });
            if used {
                return Err(AppError::conflict("IP_SOURCE_IN_USE", Text::new("problem.ip_source_in_use")));
            }
        }
        let (sources, pools) = match kind {
            IpKind::Source => (vec![bureau_id], vec![]),
            IpKind::Pool => (vec![], vec![bureau_id]),
        };
        let file =
            mapping::delete_file(&seam.credentials.version, seam.credentials.unit_id, &sources, &pools);
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let seq = self.seam().queue_miit_file(&mut tx, &file, 1, now).await?;
        let to =
            IpFiling { filing: "withdrawing".into(), upload_seq: Some(seq), result: String::new(), ..filing };
        if !tx.set_ip_filing(kind, id, &["filed"], &to).await? {
            return Err(filed_already());
        }
        tx.audit(&ctx.audit("ip_filing.withdraw", kind_name(kind), id, json!({ "upload_seq": seq })), now)
            .await?;
        tx.commit().await?;
        Ok(filing_view(to))
    }

    /// Applies the bureau's verdicts on IP records (`IP` `BAJG`), in the order they came.
    pub(crate) async fn apply_ip_results(self, results: &[IpResult]) -> anyhow::Result<()> {
        for r in results {
            let kind = match r.kind {
                Kind::Source => IpKind::Source,
                Kind::Allocation => IpKind::Pool,
            };
            let (isp, bureau) = if r.operation == 3 { (None, r.bureau_id) } else { (r.isp_id, None) };
            let Some(id) = self.store().ip_record_of(kind, isp, bureau).await? else {
                tracing::warn!(operation = r.operation, "an IP verdict for no record of this provider");
                continue;
            };
            let text = crate::unfiled::codes_text(&r.codes);
            let (from, to) = match (r.operation, r.done()) {
                (3, true) => ("withdrawing", IpFiling { filing: "unreported".into(), ..IpFiling::default() }),
                (3, false) => (
                    "withdrawing",
                    IpFiling {
                        filing: "filed".into(),
                        isp_id: r.isp_id,
                        bureau_id: r.bureau_id,
                        upload_seq: None,
                        result: text,
                    },
                ),
                (_, true) => (
                    "reporting",
                    IpFiling {
                        filing: "filed".into(),
                        isp_id: r.isp_id,
                        bureau_id: r.bureau_id,
                        upload_seq: None,
                        result: String::new(),
                    },
                ),
                (_, false) => (
                    "reporting",
                    IpFiling {
                        filing: "refused".into(),
                        isp_id: None,
                        bureau_id: None,
                        upload_seq: None,
                        result: text,
                    },
                ),
            };
            let mut tx = self.store().begin().await?;
            tx.set_ip_filing(kind, id, &[from], &to).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// The bureau refused the upload file `file_name` as a whole: the IP records filed or
    /// withdrawn in it go back with the codes. False when it carried none.
    pub(crate) async fn ip_filing_refused(
        self,
        file_name: &str,
        codes: &[(i64, String)],
    ) -> anyhow::Result<bool> {
        let records = self.store().ip_records_of_file(file_name).await?;
        let text = crate::unfiled::codes_text(codes);
        for (kind, id) in &records {
            let mut tx = self.store().begin().await?;
            let refused = IpFiling { filing: "refused".into(), result: text.clone(), ..IpFiling::default() };
            if !tx.set_ip_filing(*kind, *id, &["reporting"], &refused).await? {
                // A withdrawal the bureau would not take leaves the record filed.
                let row = match kind {
                    IpKind::Source => self.store().ip_source(*id).await?.map(|s| s.filing),
                    IpKind::Pool => self.store().ip_pool(*id).await?.map(|p| p.filing),
                };
                if let Some(f) = row {
                    tx.set_ip_filing(
                        *kind,
                        *id,
                        &["withdrawing"],
                        &IpFiling { filing: "filed".into(), result: text.clone(), upload_seq: None, ..f },
                    )
                    .await?;
                }
            }
            tx.commit().await?;
        }
        Ok(!records.is_empty())
    }
}

fn kind_name(kind: IpKind) -> &'static str {
    match kind {
        IpKind::Source => "ip_source",
        IpKind::Pool => "ip_pool",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_ranges_of_the_interfaces_integers() {
        let c = Cidr::parse("47.96.1.0/24").unwrap();
        assert_eq!(range(&c), Some((794820864, 794821119)));
        let big = Cidr::parse("47.96.0.0/11").unwrap();
        assert!(within(&c, &big) && !within(&big, &c));
        assert!(overlaps(&c, &big) && !overlaps(&c, &Cidr::parse("47.96.2.0/24").unwrap()));
        assert_eq!(range(&Cidr::parse("0.0.0.0/0").unwrap()), Some((0, 4294967295)));
    }
}
