//! The regulator's background work: the job queue (callbacks to providers, retried with
//! backoff), the 24-hour SMS timeout sweep, nonce pruning, and — only when switched on — the
//! demo policy that approves what has waited for the bureau long enough.
//!
//! Every step is safe to run from several processes at once: jobs are leased, and every
//! state change is a compare-and-set.

use beian_store::{JobRow, Uuid};
use tokio::sync::watch;

use crate::bureau::{Account, Role};
use crate::callbacks::CallbackJob;
use crate::events::CALLBACK;
use crate::service::Service;

/// How long a claimed job is reserved for its worker (microseconds).
const LEASE_US: i64 = 60 * 1_000_000;

/// Seconds before retry number `attempt` (1-based): 5 s, 10 s, 20 s … capped at an hour.
pub fn backoff_secs(attempt: i64) -> i64 {
    beian_store::backoff_secs(5, attempt)
}

/// The account the demo policy acts as.
fn demo_policy() -> Account {
    Account { id: Uuid::nil(), username: "demo-auto-approve".into(), role: Role::Admin, province: None }
}

impl Service {
    async fn run_job(&self, job: &JobRow) -> anyhow::Result<()> {
        match job.kind.as_str() {
            CALLBACK => self.deliver_callback(serde_json::from_str::<CallbackJob>(&job.payload)?).await,
            crate::miit::results::RESULT_JOB => {
                Ok(self.miit_result(serde_json::from_str(&job.payload)?).await?)
            }
            other => anyhow::bail!("unknown job kind `{other}`"),
        }
    }

    /// Claims and runs one due job; false when none was due.
    pub async fn run_one_job(&self, worker: &str) -> anyhow::Result<bool> {
        Ok(self
            .store
            .store()
            .run_one_job(worker, self.now(), LEASE_US, 5, |job| async move {
                self.run_job(&job).await.map_err(|e| format!("{e:#}"))
            })
            .await?)
    }

    /// Runs due jobs until none is left; returns how many ran.
    pub async fn run_due_jobs(&self, worker: &str) -> anyhow::Result<usize> {
        let mut n = 0;
        while self.run_one_job(worker).await? {
            n += 1;
        }
        Ok(n)
    }

    /// Returns SMS rounds whose 24 hours have passed (see [`crate::verification::sweep_timeouts`]).
    pub async fn sweep_timeouts(&self) -> anyhow::Result<usize> {
        Ok(crate::verification::sweep_timeouts(&self.store, &self.keys, self.now()).await?)
    }

    /// The demo policy: approves what has waited for the bureau or a PSB officer
    /// `auto_approve_after`.
    pub async fn auto_approve(&self) -> anyhow::Result<usize> {
        let Some(after) = self.auto_approve_after else { return Ok(0) };
        let before = self.now() - i64::try_from(after.as_micros()).unwrap_or(i64::MAX);
        let due = self.store.waiting_since(before).await?;
        let who = demo_policy();
        let mut n = 0;
        for (id, status) in due {
            let approved = if status == "psb_review" {
                self.approve_psb_as(&who, id, None).await.map(|_| ())
            } else {
                self.approve_as(&who, id, None).await.map(|_| ())
            };
            match approved {
                Ok(_) => n += 1,
                Err(crate::bureau::BureauError::NotInReview(_)) => {}
                Err(e) => tracing::warn!(submission = %id, "demo auto-approval failed: {e}"),
            }
        }
        Ok(n)
    }

    /// Forgets V3.0 `randVal`s older than a day.
    pub async fn prune_rand_vals(&self) -> Result<u64, beian_store::StoreError> {
        let mut tx = self.store.begin().await?;
        let n = crate::miit::accounts::prune_rand_vals(&mut tx, self.now()).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// One round of everything periodic.
    pub async fn tick(&self, worker: &str) {
        if let Err(e) = self.sweep_timeouts().await {
            tracing::error!("SMS timeout sweep: {e:#}");
        }
        if let Err(e) = self.auto_approve().await {
            tracing::error!("demo auto-approval: {e:#}");
        }
        if let Err(e) = self.run_due_jobs(worker).await {
            tracing::error!("regulator jobs: {e:#}");
        }
    }

    /// The background loop of `beian regulator serve`: ticks every `every` until `shutdown`,
    /// pruning nonces once a minute, then gives back the jobs it holds.
    pub async fn run_background(
        &self,
        worker: String,
        every: std::time::Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut last_prune = std::time::Instant::now();
        loop {
            if *shutdown.borrow() {
                break;
            }
            self.tick(&worker).await;
            if last_prune.elapsed() >= std::time::Duration::from_secs(60) {
                last_prune = std::time::Instant::now();
                if let Err(e) = self.prune_nonces().await {
                    tracing::warn!("pruning nonces: {e}");
                }
                if let Err(e) = self.prune_rand_vals().await {
                    tracing::warn!("pruning V3.0 randVals: {e}");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => {}
            }
        }
        if let Err(e) = self.store.store().release_jobs(&worker).await {
            tracing::error!("releasing jobs on shutdown: {e}");
        }
    }
}
