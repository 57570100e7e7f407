//! The admin dashboard's figures: open orders by stage, how long each stage took over the last
//! 90 days (median and 90th percentile), the fields returns were about most often, and the
//! daily share of compliant footer scans. Computed from bounded reads (`beian-store::stats`)
//! in the background — by the workers every five minutes, and after a view that found the
//! figures older than that — never on a request's path: a view answers the last figures at
//! once, whatever the size of the history.

use std::collections::BTreeMap;

use crate::areas::Admin;
use crate::{App, AppResult, Ctx, Role};

const WINDOW_DAYS: i64 = 90;
const CACHE_FOR: std::time::Duration = std::time::Duration::from_secs(300);
/// Rows read per figure at most; a larger history is sampled by its newest (returns) or
/// first (stages, scans) rows.
const ROW_LIMIT: i64 = 500_000;

/// Time spent in one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StageTime {
    pub state: String,
    pub median_hours: f64,
    pub p90_hours: f64,
    pub samples: usize,
}

/// One day of footer scans.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplianceDay {
    pub day: time::Date,
    pub compliant: usize,
    pub scanned: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub by_state: Vec<(String, i64)>,
    pub stage_times: Vec<StageTime>,
    /// Fields returns named (indices folded: `websites[].name`), most frequent first.
    pub return_fields: Vec<(String, usize)>,
    pub compliance: Vec<ComplianceDay>,
    pub window_days: i64,
    /// When these figures were computed (unix microseconds).
    pub computed_at: i64,
}

/// The cached dashboard and when it was computed; `computing` lets one computation run at a
/// time (the others wait for it, or keep showing the older figures).
#[derive(Debug, Default)]
pub(crate) struct DashboardCache {
    value: std::sync::Mutex<Option<(std::time::Instant, Dashboard)>>,
    computing: tokio::sync::Mutex<()>,
}

impl DashboardCache {
    fn get(&self) -> Option<(std::time::Instant, Dashboard)> {
        self.value.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn put(&self, d: Dashboard) {
        *self.value.lock().unwrap_or_else(|p| p.into_inner()) = Some((std::time::Instant::now(), d));
    }
}

/// The `q`-quantile (0..=1) of sorted values, nearest rank.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// `websites[3].head.mobile` → `websites[].head.mobile`.
fn fold_indices(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut skipping = false;
    for c in field.chars() {
        match c {
            '[' => {
                skipping = true;
                out.push('[');
            }
            ']' => {
                skipping = false;
                out.push(']');
            }
            _ if skipping => {}
            _ => out.push(c),
        }
    }
    out
}

/// Stage durations from state changes ordered by order then time: the time in a state is
/// from the change that entered it to the change that left it.
fn stage_times(events: &[beian_store::StageEvent]) -> Vec<StageTime> {
    let mut spans: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for pair in events.windows(2) {
        let (prev, next) = (&pair[0], &pair[1]);
        if prev.order_id == next.order_id && next.from_state != "draft" && !next.from_state.is_empty() {
            spans.entry(next.from_state.as_str()).or_default().push((next.at - prev.at) as f64 / 3.6e9);
        }
    }
    spans
        .into_iter()
        .map(|(state, mut v)| {
            v.sort_by(f64::total_cmp);
            StageTime {
                state: state.to_owned(),
                median_hours: quantile(&v, 0.5),
                p90_hours: quantile(&v, 0.9),
                samples: v.len(),
            }
        })
        .collect()
}

impl Admin<'_> {
    /// The dashboard's last figures (admins), answered at once: `None` until the first
    /// computation after a start has finished. Figures older than five minutes (or none) start
    /// a computation in the background; the view never waits for one.
    pub async fn dashboard(self, ctx: &Ctx) -> AppResult<Option<Dashboard>> {
        ctx.require(&[Role::Admin])?;
        let last = self.dashboard_cache().get();
        if last.as_ref().is_none_or(|(at, _)| at.elapsed() >= CACHE_FOR) {
            let app = App::clone(&self);
            tokio::spawn(async move { app.admin().refresh_dashboard().await });
        }
        Ok(last.map(|(_, d)| d))
    }

    /// Computes the dashboard's figures unless a computation is already running in this
    /// instance or the figures are fresh; the workers call it every few minutes.
    pub async fn refresh_dashboard(self) {
        let Ok(_one) = self.dashboard_cache().computing.try_lock() else { return };
        if self.dashboard_cache().get().is_some_and(|(at, _)| at.elapsed() < CACHE_FOR / 2) {
            return;
        }
        match self.compute_dashboard().await {
            Ok(d) => self.dashboard_cache().put(d),
            Err(e) => tracing::warn!("dashboard refresh failed: {e}"),
        }
    }

    async fn compute_dashboard(self) -> AppResult<Dashboard> {
        let since = self.now_us() - WINDOW_DAYS * 86_400_000_000;
        let by_state = self.store().orders_by_state().await?;
        let events = self.store().stage_events_since(since, ROW_LIMIT).await?;
        let mut fields: BTreeMap<String, usize> = BTreeMap::new();
        for detail in self.store().return_details_since(since, ROW_LIMIT).await? {
            let v: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
            for f in v["review_findings"].as_array().into_iter().flatten() {
                if let Some(field) = f["field"].as_str() {
                    *fields.entry(fold_indices(field)).or_default() += 1;
                }
            }
        }
        let mut return_fields: Vec<(String, usize)> = fields.into_iter().collect();
        return_fields.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        return_fields.truncate(10);
        let china = time::UtcOffset::from_hms(8, 0, 0).expect("offset");
        // The last verdict of each site on each day counts for that day.
        let mut last: BTreeMap<(time::Date, String), bool> = BTreeMap::new();
        for s in self.store().scan_verdicts_since(since, ROW_LIMIT).await? {
            let day = beian_store::from_micros(s.scanned_at).to_offset(china).date();
            last.insert((day, s.number), s.verdict == "compliant");
        }
        let mut days: BTreeMap<time::Date, ComplianceDay> = BTreeMap::new();
        for ((day, _), ok) in last {
            let d = days.entry(day).or_insert(ComplianceDay { day, compliant: 0, scanned: 0 });
            d.scanned += 1;
            d.compliant += usize::from(ok);
        }
        Ok(Dashboard {
            by_state,
            stage_times: stage_times(&events),
            return_fields,
            compliance: days.into_values().collect(),
            window_days: WINDOW_DAYS,
            computed_at: self.now_us(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use beian_store::{StageEvent, Uuid};

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 5.0);
        assert_eq!(quantile(&v, 0.9), 9.0);
        assert_eq!(quantile(&[3.0], 0.9), 3.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn stages_are_timed_from_entering_to_leaving_within_one_order() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let h = 3_600_000_000;
        let e = |order_id, at: i64, from: &str| StageEvent {
            order_id,
            at,
            from_state: from.into(),
            event: String::new(),
        };
        let events = [
            e(a, 0, "draft"),
            e(a, 2 * h, "submitted"),
            e(a, 5 * h, "in_review"),
            e(b, 100 * h, "draft"),
            e(b, 104 * h, "submitted"),
        ];
        let t = stage_times(&events);
        let submitted = t.iter().find(|s| s.state == "submitted").unwrap();
        assert_eq!((submitted.samples, submitted.median_hours, submitted.p90_hours), (2, 2.0, 4.0));
        assert_eq!(t.iter().find(|s| s.state == "in_review").unwrap().median_hours, 3.0);
        assert_eq!(fold_indices("websites[12].head.mobile"), "websites[].head.mobile");
    }
}
