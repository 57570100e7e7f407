//! Whether each filed website still answers on this provider's addresses. A filing names its
//! access provider; a site that moved away leaves the provider answerable for a site it does
//! not host, so after the policy's `empty_shell_days` (30) away it is listed as an empty-shell
//! candidate (空壳) for 取消接入 (rules.md §1.9).
//!
//! Checked with each daily footer scan of the site: its domain resolved through the
//! [`crate::resolve::Resolver`] port and compared with the IP pools. A domain that does not
//! resolve is away too. Without any pool configured nothing is judged: the provider has not
//! said which addresses are its own. This module lists; it never cancels anything.

use std::net::IpAddr;

use beian_core::policy::PolicySet;
use beian_core::province::ProvinceCode;
use beian_store::{SiteHostingRow, Uuid};
use serde::Serialize;

use crate::areas::Compliance;
use crate::auth::Role;
use crate::{AppResult, Ctx, rfc3339};

const DAY_US: i64 = 86_400_000_000;

/// A filed website away from the provider's addresses long enough to be an empty shell.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EmptyShellView {
    pub subject_id: Uuid,
    pub number: String,
    pub domain: String,
    /// What the domain resolved to at the last check (empty: it did not resolve).
    pub addresses: Vec<String>,
    /// Since when it has not been on this provider's addresses, and for how many days.
    pub away_since: String,
    pub days_away: i64,
    pub checked_at: String,
}

/// The days a site of `number`'s province may be away (policy data).
fn shell_days(number: &str) -> i64 {
    let set = PolicySet::builtin();
    let province = number
        .chars()
        .next()
        .and_then(beian_core::province::by_icp_prefix)
        .map(|p| p.code)
        .or_else(|| ProvinceCode::parse("11"));
    province.map_or(30, |p| set.province(p).values.empty_shell_days)
}

impl Compliance<'_> {
    /// Resolves a filed website's domain and records whether it is on the provider's
    /// addresses (called by the daily scan of the site).
    pub(crate) async fn check_hosting(
        self,
        subject_id: Uuid,
        number: &str,
        domain: &str,
    ) -> anyhow::Result<()> {
        let pools = self.ip_filing().pool_blocks().await?;
        if pools.is_empty() {
            return Ok(());
        }
        let addresses: Vec<IpAddr> = self.inner.resolver.addresses(domain).await.unwrap_or_default();
        let ours = addresses.iter().any(|a| pools.iter().any(|p| p.contains(*a)));
        let now = self.now_us();
        let row = SiteHostingRow {
            number: number.to_owned(),
            subject_id,
            domain: domain.to_owned(),
            addresses: addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
            away_since: (!ours).then_some(now),
            checked_at: now,
        };
        let mut tx = self.store().begin().await?;
        tx.record_site_hosting(&row).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Filed websites away from the provider's addresses for the policy's days (staff),
    /// longest away first.
    pub async fn empty_shell_candidates(self, ctx: &Ctx) -> AppResult<Vec<EmptyShellView>> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        let now = self.now_us();
        let mut out: Vec<EmptyShellView> = self
            .store()
            .sites_away()
            .await?
            .into_iter()
            .filter_map(|r| {
                let since = r.away_since?;
                let days = (now - since) / DAY_US;
                (days >= shell_days(&r.number)).then(|| EmptyShellView {
                    subject_id: r.subject_id,
                    addresses: r.addresses.split(',').filter(|a| !a.is_empty()).map(str::to_owned).collect(),
                    number: r.number,
                    domain: r.domain,
                    away_since: rfc3339(since),
                    days_away: days,
                    checked_at: rfc3339(r.checked_at),
                })
            })
            .collect();
        out.sort_by(|a, b| b.days_away.cmp(&a.days_away).then(a.number.cmp(&b.number)));
        Ok(out)
    }
}
