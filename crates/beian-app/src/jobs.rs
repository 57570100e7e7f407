//! The job runner: claims jobs with a lease, runs them, retries with exponential backoff,
//! dead-letters them after `max_attempts`, and gives held jobs back on shutdown.
//!
//! Handlers must be idempotent: delivery is at least once (a worker can die after doing the
//! work and before deleting the job).

use std::time::Duration;

use beian_store::{JobRow, Uuid};
use serde::Deserialize;
use tokio::sync::watch;

use crate::App;
use crate::areas::Jobs;
use crate::notify::SEND_EMAIL;
use crate::redact::redact_pii;

/// How long a claimed job is reserved for its worker.
const LEASE: time::Duration = time::Duration::minutes(5);

#[derive(Deserialize)]
struct MessagePayload {
    message_id: Uuid,
}

/// Seconds before retry number `attempt` (1-based): 10 s, 20 s, 40 s … capped at an hour.
pub fn backoff_secs(attempt: i64) -> i64 {
    beian_store::backoff_secs(10, attempt)
}

/// Jobs that wait for the regulator or the bureau. When one of them gets through, or the
/// regulator calls back, it is reachable again: the rest need not sit out their backoff
/// (which grows to an hour).
const WAIT_FOR_THE_REGULATOR: [&str; 4] = [
    crate::seam::delivery::DELIVER,
    crate::psb::DELIVER_PSB,
    crate::seam::miit::UPLOAD,
    crate::seam::miit::DOWNLOAD,
];

async fn wake_in(tx: &mut beian_store::Tx, now: i64) -> beian_store::Result<u64> {
    let mut n = 0;
    for kind in WAIT_FOR_THE_REGULATOR {
        n += tx.wake_jobs(kind, now).await?;
    }
    Ok(n)
}

impl Jobs<'_> {
    async fn run_job(self, job: &JobRow) -> anyhow::Result<()> {
        let outcome = self.dispatch(job).await;
        if outcome.is_ok() && WAIT_FOR_THE_REGULATOR.contains(&job.kind.as_str()) {
            let woken = self.wake_deliveries().await?;
            if woken > 0 {
                tracing::info!(woken, "the regulator answers again: waiting deliveries are due now");
            }
        }
        outcome
    }

    /// Makes every delivery that waits for the regulator or the bureau due now; returns how
    /// many were waiting.
    pub async fn wake_deliveries(self) -> anyhow::Result<u64> {
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let n = wake_in(&mut tx, now).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The admin's "retry deliveries now": what waits for the regulator is due at once.
    pub async fn retry_deliveries_now(self, ctx: &crate::Ctx) -> crate::AppResult<u64> {
        ctx.require(&[crate::Role::Admin])?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let n = wake_in(&mut tx, now).await?;
        tx.audit(
            &ctx.audit("jobs.retry_deliveries", "jobs", "deliveries", serde_json::json!({ "woken": n })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Queues today's run of a daily job of `kind` (its payload is the day); the dedup key
    /// keeps it to one a day across workers and instances.
    pub(crate) async fn schedule_once_today(self, kind: &str) -> crate::AppResult<()> {
        let now = self.now_us();
        let day = self.clock().today();
        let mut tx = self.store().begin().await?;
        tx.enqueue(
            &beian_store::NewJob {
                kind: kind.into(),
                payload: serde_json::json!({ "day": day.to_string() }).to_string(),
                run_at: now,
                max_attempts: 10,
                dedup_key: Some(format!("{kind}:{day}")),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many deliveries wait for the regulator or the bureau (admins).
    pub async fn waiting_deliveries(self, ctx: &crate::Ctx) -> crate::AppResult<usize> {
        ctx.require(&[crate::Role::Admin])?;
        let jobs = self.store().pending_jobs().await?;
        Ok(jobs.iter().filter(|j| WAIT_FOR_THE_REGULATOR.contains(&j.kind.as_str())).count())
    }

    async fn dispatch(self, job: &JobRow) -> anyhow::Result<()> {
        match job.kind.as_str() {
            SEND_EMAIL => {
                let p: MessagePayload = serde_json::from_str(&job.payload)?;
                self.notify().deliver_message(p.message_id).await
            }
            crate::seam::delivery::DELIVER => self.seam().deliver_to_regulator(&job.payload).await,
            crate::seam::miit::UPLOAD => self.seam().miit_upload_pending().await,
            crate::seam::miit::DOWNLOAD => self.seam().miit_sync().await.map(|_| ()),
            crate::scans::SCAN_SITE => self.compliance().run_site_scan(&job.payload).await,
            crate::psb::DELIVER_PSB => self.psb().deliver_psb(&job.payload).await,
            crate::verify::VERIFY_FACE => self.documents().run_face_check(&job.payload).await,
            crate::psb::PSB_REMINDERS => {
                self.psb().send_psb_reminders().await.map(|_| ()).map_err(Into::into)
            }
            crate::webhooks::DELIVER_WEBHOOK => self.webhooks().deliver_webhook(&job.payload).await,
            crate::expiry::DRAFT_EXPIRY => {
                self.expiry().run_draft_expiry().await.map(|_| ()).map_err(Into::into)
            }
            other => anyhow::bail!("unknown job kind `{other}`"),
        }
    }

    /// Claims and runs one due job. Returns false when none was due.
    pub async fn run_one_job(self, worker: &str) -> anyhow::Result<bool> {
        let now = self.now_us();
        let lease = LEASE.whole_microseconds() as i64;
        Ok(self
            .store()
            .run_one_job(worker, now, lease, 10, |job| async move {
                // Errors are kept as `last_error`: an SMTP server's or gateway's text may echo
                // the recipient.
                self.run_job(&job).await.map_err(|e| redact_pii(&format!("{e:#}")))
            })
            .await?)
    }

    /// Runs due jobs until none is left (tests, and `beian jobs run`).
    pub async fn run_due_jobs(self, worker: &str) -> anyhow::Result<usize> {
        let mut n = 0;
        while self.run_one_job(worker).await? {
            n += 1;
        }
        Ok(n)
    }

    /// The worker loop of `beian serve`: polls for jobs until `shutdown` turns true, then
    /// releases whatever it holds.
    pub async fn run_worker(self, worker: String, mut shutdown: watch::Receiver<bool>) {
        let mut scheduled: Option<std::time::Instant> = None;
        let mut figures: Option<std::time::Instant> = None;
        let mut polled: Option<std::time::Instant> = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            // The bureau's files do not announce themselves: look every 20 seconds (the dedup
            // key keeps it to one run a minute across workers and instances).
            if self.miit().is_some() && polled.is_none_or(|t| t.elapsed() >= Duration::from_secs(20)) {
                polled = Some(std::time::Instant::now());
                if let Err(e) = self.seam().queue_miit_download().await {
                    tracing::error!("queueing the V3.0 download: {e}");
                }
            }
            // The admin dashboard's figures, computed here so that no view waits for them.
            if figures.is_none_or(|t| t.elapsed() >= Duration::from_secs(240)) {
                figures = Some(std::time::Instant::now());
                let app = App::clone(&self);
                tokio::spawn(async move { app.admin().refresh_dashboard().await });
            }
            // Every hour, make sure today's site scans, PSB reminders and draft expiry are queued
            // (the dedup keys make each once a day).
            if scheduled.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
                scheduled = Some(std::time::Instant::now());
                if self.config().scan.is_some()
                    && let Err(e) = self.compliance().schedule_daily_scans().await
                {
                    tracing::error!("scheduling site scans: {e}");
                }
                if let Err(e) = self.psb().schedule_psb_reminders().await {
                    tracing::error!("scheduling PSB reminders: {e}");
                }
                if let Err(e) = self.expiry().schedule_draft_expiry().await {
                    tracing::error!("scheduling draft expiry: {e}");
                }
            }
            match self.run_one_job(&worker).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::error!("job runner: {e:#}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = shutdown.changed() => {}
            }
        }
        match self.store().release_jobs(&worker).await {
            Ok(n) if n > 0 => tracing::info!("released {n} claimed job(s) on shutdown"),
            Ok(_) => {}
            Err(e) => tracing::error!("releasing jobs on shutdown: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(super::backoff_secs(1), 10);
        assert_eq!(super::backoff_secs(2), 20);
        assert_eq!(super::backoff_secs(5), 160);
        assert_eq!(super::backoff_secs(30), 3600);
    }
}
