//! The service's figures for a monitoring system, in Prometheus' text format (0.0.4): orders
//! by state, the job queue per kind (waiting, failing, dead, how long the oldest has been
//! due), how long approved orders have waited for the regulator, footer scans by verdict,
//! and PSB filings past their 30-day deadline.
//!
//! Every figure is a count or an age read from the store when scraped (each read is one
//! aggregate query); nothing here is personal data, and nothing is written.

use std::fmt::Write;

use crate::areas::Admin;
use crate::{AppResult, Ctx, Role};

/// Days after going live by which a site must have its PSB filing (rules.md §5).
const PSB_DAYS: i64 = 30;

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Text of one metric family: its help, its type and its samples.
struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn start<'a>(out: &'a mut String, name: &str, kind: &str, help: &str) -> Family<'a> {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        Family { out }
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let _ = write!(self.out, "{name}");
        if !labels.is_empty() {
            let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", label(v))).collect();
            let _ = write!(self.out, "{{{}}}", inner.join(","));
        }
        let _ = writeln!(self.out, " {value}");
    }
}

impl Admin<'_> {
    /// The metrics page (admins, or an admin's API token as a scraper uses).
    pub async fn metrics(self, ctx: &Ctx) -> AppResult<String> {
        ctx.require(&[Role::Admin])?;
        let now = self.now_us();
        let age = |since: i64| ((now - since).max(0) as f64) / 1e6;
        let mut out = String::new();

        let mut f = Family::start(&mut out, "beian_orders", "gauge", "Orders by state.");
        for (state, n) in self.store().orders_by_state().await? {
            f.sample("beian_orders", &[("state", &state)], n as f64);
        }

        let jobs = self.store().job_stats().await?;
        type Figure = fn(&beian_store::JobStat) -> f64;
        let per_kind: [(&str, &str, Figure); 3] = [
            ("beian_jobs_pending", "Jobs waiting or running, by kind.", |j| j.pending as f64),
            ("beian_jobs_failing", "Jobs whose last attempt failed, waiting to retry, by kind.", |j| {
                j.failing as f64
            }),
            ("beian_jobs_dead", "Jobs that used up their attempts, by kind.", |j| j.dead as f64),
        ];
        for (name, help, figure) in per_kind {
            let mut f = Family::start(&mut out, name, "gauge", help);
            for j in &jobs {
                f.sample(name, &[("kind", &j.kind)], figure(j));
            }
        }
        let name = "beian_jobs_oldest_due_seconds";
        let help = "How long the longest-due waiting job has been due, by kind (0 when none is due).";
        let mut f = Family::start(&mut out, name, "gauge", help);
        for j in &jobs {
            f.sample(name, &[("kind", &j.kind)], j.oldest_run_at.map_or(0.0, age));
        }

        let waiting = self.store().oldest_in_state("queued_for_regulator").await?;
        let mut f = Family::start(
            &mut out,
            "beian_delivery_lag_seconds",
            "gauge",
            "How long the longest-waiting approved order has waited to reach the regulator.",
        );
        f.sample("beian_delivery_lag_seconds", &[], waiting.map_or(0.0, age));

        let mut f = Family::start(
            &mut out,
            "beian_sites_by_scan_verdict",
            "gauge",
            "Filed websites by the verdict of their newest footer scan.",
        );
        for (verdict, n) in self.store().latest_scan_verdicts().await? {
            f.sample("beian_sites_by_scan_verdict", &[("verdict", &verdict)], n as f64);
        }

        let live_by = (self.clock().today() - time::Duration::days(PSB_DAYS)).to_string();
        let (unfiled, overdue) = self.store().unfiled_psb_counts(&live_by).await?;
        let mut f =
            Family::start(&mut out, "beian_psb_unfiled", "gauge", "Filed websites without a PSB number yet.");
        f.sample("beian_psb_unfiled", &[], unfiled as f64);
        let mut f = Family::start(
            &mut out,
            "beian_psb_overdue",
            "gauge",
            "Filed websites without a PSB number more than 30 days after going live.",
        );
        f.sample("beian_psb_overdue", &[], overdue as f64);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_as_the_format_says() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let mut out = String::new();
        Family::start(&mut out, "x", "gauge", "X.").sample("x", &[("k", "v\"")], 2.0);
        assert_eq!(out, "# HELP x X.\n# TYPE x gauge\nx{k=\"v\\\"\"} 2\n");
    }
}
