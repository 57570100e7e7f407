//! Compliance scans of filed websites in the service: a `scan_site` job per site, scheduled
//! once a day at a time spread by the site's number, and at once for the subject's filed
//! sites when a new-site or new-access order is submitted (rules.md §3.8: the bureau re-checks
//! them). Each scan is kept (history); the newest one feeds the rule engine's
//! `FiledService::reachable` / `footer_ok`, so the reviewer sees
//! `ORDER_EXISTING_SITE_UNREACHABLE` / `ORDER_EXISTING_SITE_FOOTER` on the order, and the
//! owner is told by e-mail when a site falls out of compliance.
//!
//! Never scans anything but the domains on file, and only through `beian-scan`'s safe
//! fetcher (public addresses only unless the operator's configuration says otherwise).

use beian_core::number::{self, Number};
use beian_core::rules::FiledService;
use beian_scan::assess::Code;
use beian_scan::{Expected, Scanner, SiteReport, Verdict};
use beian_store::{NewJob, SiteScanRow, Tx, Uuid, new_id};
use serde::{Deserialize, Serialize};

use crate::areas::Compliance;
use crate::auth::Role;
use crate::error::{AppError, AppResult};
use crate::notify::Notice;
use crate::{App, Ctx, rfc3339};

/// The job kind.
pub const SCAN_SITE: &str = "scan_site";

const DAY_US: i64 = 86_400_000_000;

/// What a scan job names: ids and public facts only.
#[derive(Debug, Serialize, Deserialize)]
struct ScanJob {
    subject_id: Uuid,
    number: String,
    domain: String,
}

/// One scan as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SiteScanView {
    pub number: String,
    pub url: String,
    /// `compliant`, `non_compliant`, `not_in_static_html`, `incomplete` or `unreachable`.
    pub verdict: String,
    pub reachable: bool,
    pub footer_ok: Option<bool>,
    pub scanned_at: String,
    /// The scanner's report: numbers found, links, findings with codes and messages.
    pub report: serde_json::Value,
}

/// The compliance of every scanned site, worst first.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ComplianceView {
    pub compliant: usize,
    pub non_compliant: usize,
    pub not_in_static_html: usize,
    pub incomplete: usize,
    pub unreachable: usize,
    pub sites: Vec<SiteScanView>,
}

pub(crate) fn view(r: SiteScanRow) -> SiteScanView {
    SiteScanView {
        number: r.number,
        url: r.url,
        verdict: r.verdict,
        reachable: r.reachable,
        footer_ok: r.footer_ok,
        scanned_at: rfc3339(r.scanned_at),
        report: serde_json::from_str(&r.report).unwrap_or(serde_json::Value::Null),
    }
}

/// Whether a verdict means the site is out of compliance (what the owner is told about).
fn failing(verdict: &str) -> bool {
    matches!(verdict, "non_compliant" | "unreachable")
}

/// Whether the ICP number is shown right — what `ORDER_EXISTING_SITE_FOOTER` asks; `None`
/// when the scan cannot tell (not reached, footer written by a script, page cut at the cap).
pub(crate) fn footer_ok(r: &SiteReport) -> Option<bool> {
    if matches!(r.verdict, Verdict::Unreachable | Verdict::Incomplete)
        || r.findings.iter().any(|f| f.code == Code::IcpNotInStaticHtml)
    {
        return None;
    }
    let icp_wrong = r.findings.iter().any(|f| {
        matches!(
            f.code,
            Code::IcpNumberMissing
                | Code::IcpNotLinked
                | Code::IcpNumberWithoutHao
                | Code::IcpLinkStale
                | Code::IcpOtherSiteNumber
        )
    });
    Some(!icp_wrong)
}

/// The microsecond within the day a site is scanned: spread by its number, stable per site.
fn slot_in_day(number: &str) -> i64 {
    let h = number
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    (h % (DAY_US as u64)) as i64
}

impl Compliance<'_> {
    /// The subject's filed websites with a domain to scan.
    async fn scannable_sites(self, subject_id: Uuid) -> AppResult<Vec<(String, String)>> {
        if self.config().scan.is_none() {
            return Ok(Vec::new());
        }
        Ok(self
            .seam()
            .filed_services(subject_id)
            .await?
            .into_iter()
            .filter(|s| s.kind == beian_core::number::ServiceKind::Website)
            .filter_map(|s| s.domains.first().map(|d| (s.number.clone(), d.clone())))
            .collect())
    }

    async fn queue_scans(
        self,
        tx: &mut Tx,
        subject_id: Uuid,
        sites: &[(String, String)],
        key: &str,
        at: impl Fn(&str) -> i64,
    ) -> AppResult<usize> {
        let now = self.now_us();
        let mut n = 0;
        for (number, domain) in sites {
            let job = ScanJob { subject_id, number: number.clone(), domain: domain.clone() };
            let queued = tx
                .enqueue(
                    &NewJob {
                        kind: SCAN_SITE.into(),
                        payload: serde_json::to_string(&job)?,
                        run_at: at(number),
                        max_attempts: 3,
                        dedup_key: Some(format!("{SCAN_SITE}:{number}:{key}")),
                    },
                    now,
                )
                .await?;
            n += usize::from(queued);
        }
        Ok(n)
    }

    /// Queues today's scan of every filed website, each at its own time of day. Run it as
    /// often as you like: a site gets one scan per day.
    pub async fn schedule_daily_scans(self) -> AppResult<usize> {
        let now = self.now_us();
        let day_start = now - now.rem_euclid(DAY_US);
        let day = self.clock().today().to_string();
        let mut n = 0;
        for subject_id in self.store().filed_subject_ids().await? {
            let sites = self.scannable_sites(subject_id).await?;
            let mut tx = self.store().begin().await?;
            n += self
                .queue_scans(&mut tx, subject_id, &sites, &day, |number| day_start + slot_in_day(number))
                .await?;
            tx.commit().await?;
        }
        Ok(n)
    }

    /// Queues a scan, now, of every website the subject has on file (new-site and new-access
    /// orders: the bureau re-checks them). `key` makes the batch once per order version.
    pub(crate) async fn scan_filed_sites_now(self, subject_id: Uuid, key: &str) -> AppResult<usize> {
        let sites = self.scannable_sites(subject_id).await?;
        if sites.is_empty() {
            return Ok(0);
        }
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let n = self.queue_scans(&mut tx, subject_id, &sites, key, |_| now).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// What a filed website's footer must show: its ICP number, its PSB number once issued
    /// (linked to its record), and for Jiangsu the subject's exact name.
    pub(crate) async fn expected_footer(self, subject_name: &str, icp_number: &str) -> AppResult<Expected> {
        let icp = match number::parse(icp_number).map(|p| p.number) {
            Ok(Number::IcpFiling(n)) => Some(n),
            _ => None,
        };
        let psb = match self.store().psb_number_of(icp_number).await? {
            Some(n) => match number::parse(&n).map(|p| p.number) {
                Ok(Number::Psb(p)) => Some(p),
                _ => None,
            },
            None => None,
        };
        Ok(Expected { icp, psb, unit_name: Some(subject_name.to_owned()) })
    }

    /// Every website filed through this provider, with the home page to scan and what it
    /// must show (`beian scan --database`).
    pub async fn scan_targets(self) -> AppResult<Vec<(String, Expected)>> {
        let mut out = Vec::new();
        for subject_id in self.store().filed_subject_ids().await? {
            let Some(subject) = self.store().subject(subject_id).await? else { continue };
            for s in self.seam().filed_services(subject_id).await? {
                if s.kind != beian_core::number::ServiceKind::Website {
                    continue;
                }
                if let Some(domain) = s.domains.first() {
                    out.push((
                        format!("http://{domain}/"),
                        self.expected_footer(&subject.name, &s.number).await?,
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The `scan_site` job: fetch, check, keep the result, tell the owner when the site has
    /// just fallen out of compliance. Re-running it scans again (one more history row) and
    /// does not notify twice, since the previous scan is then already failing.
    pub async fn run_site_scan(self, payload: &str) -> anyhow::Result<()> {
        let job: ScanJob = serde_json::from_str(payload)?;
        let Some(subject) = self.store().subject(job.subject_id).await? else { return Ok(()) };
        let expected = self.expected_footer(&subject.name, &job.number).await?;
        let url = format!("http://{}/", job.domain);
        // Scanning was turned off after the job was queued: nothing to do.
        let Some(scanner) = self.scanner()? else { return Ok(()) };
        let report = scanner.scan(&url, &expected).await;
        let row = SiteScanRow {
            id: new_id(),
            subject_id: job.subject_id,
            number: job.number.clone(),
            url,
            verdict: report.verdict.as_str().to_owned(),
            reachable: report.verdict != Verdict::Unreachable,
            footer_ok: footer_ok(&report),
            report: serde_json::to_string(&report)?,
            scanned_at: self.now_us(),
        };
        let owner = self.store().account(subject.owner_id).await?;
        let mut tx = self.store().begin().await?;
        let before = tx.latest_site_scan(&job.number).await?;
        tx.insert_site_scan(&row).await?;
        let newly_failing = failing(&row.verdict) && before.is_none_or(|b| !failing(&b.verdict));
        // The footer scanner feeds the unfiled work list: a site newly found without its number.
        if newly_failing && report.findings.iter().any(|f| f.code.as_str() == crate::unfiled::SCAN_FINDING) {
            self.unfiled().open_scan_case(&mut tx, &job.domain, row.scanned_at).await?;
        }
        if newly_failing {
            let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
            self.webhooks()
                .emit_site_failing(&mut tx, &job.number, &job.domain, &row.verdict, &codes)
                .await?;
        }
        if newly_failing && let Some(owner) = owner {
            let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
            let mail = Notice::site_out_of_compliance(&job.number, &job.domain, &codes);
            self.notify().notify_account(&mut tx, &owner.email, &mail).await?;
        }
        tx.commit().await?;
        // With the scan, whether the site still answers on this provider's addresses.
        self.check_hosting(job.subject_id, &job.number, &job.domain).await?;
        Ok(())
    }

    /// The newest scan of each of a subject's sites (its owner, or staff).
    pub async fn subject_scans(self, ctx: &Ctx, subject_id: Uuid) -> AppResult<Vec<SiteScanView>> {
        self.subjects().visible_subject(ctx, subject_id).await?;
        Ok(self.store().latest_site_scans(subject_id).await?.into_iter().map(view).collect())
    }

    /// A site's scan history, newest first (its owner, or staff).
    pub async fn site_scan_history(
        self,
        ctx: &Ctx,
        subject_id: Uuid,
        number: &str,
    ) -> AppResult<Vec<SiteScanView>> {
        self.subjects().visible_subject(ctx, subject_id).await?;
        let rows = self.store().site_scan_history(number, 100).await?;
        // A number of another subject is not found, as any other object is.
        if rows.iter().any(|r| r.subject_id != subject_id) {
            return Err(AppError::NotFound);
        }
        Ok(rows.into_iter().map(view).collect())
    }

    /// Every scanned site's newest verdict, worst first, with counts (reviewers and admins).
    pub async fn compliance_overview(self, ctx: &Ctx) -> AppResult<ComplianceView> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        let sites: Vec<SiteScanView> =
            self.store().compliance_overview(1000).await?.into_iter().map(view).collect();
        let count = |v: &str| sites.iter().filter(|s| s.verdict == v).count();
        Ok(ComplianceView {
            compliant: count("compliant"),
            non_compliant: count("non_compliant"),
            not_in_static_html: count("not_in_static_html"),
            incomplete: count("incomplete"),
            unreachable: count("unreachable"),
            sites,
        })
    }

    /// Fills the newest scan into the subject's filed services (the rule engine reads them).
    pub(crate) async fn with_scan_results(
        self,
        subject_id: Uuid,
        mut services: Vec<FiledService>,
    ) -> AppResult<Vec<FiledService>> {
        let latest = self.store().latest_site_scans(subject_id).await?;
        for s in &mut services {
            if let Some(r) = latest.iter().find(|r| r.number == s.number) {
                s.reachable = Some(r.reachable);
                s.footer_ok = r.footer_ok;
            }
        }
        Ok(services)
    }
}

impl App {
    /// The app's scanner (one connection pool), built on first use from `AppConfig::scan`;
    /// `None` when scanning is off.
    pub(crate) fn scanner(&self) -> anyhow::Result<Option<&Scanner>> {
        let Some(opts) = &self.config().scan else { return Ok(None) };
        if let Some(s) = self.inner.scanner.get() {
            return Ok(Some(s));
        }
        let s = Scanner::new(opts.clone(), beian_scan::Limits::default(), beian_core::message::Lang::Zh)?;
        Ok(Some(self.inner.scanner.get_or_init(|| s)))
    }
}
