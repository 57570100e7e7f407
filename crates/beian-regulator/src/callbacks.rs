//! Pushing events to providers.
//!
//! A `callback` job (queued with each event, see [`crate::events`]) POSTs every event of the
//! submission that the provider has not acknowledged yet to the provider's callback URL, signed
//! with the provider's own key (`beian-seam`, the same scheme the provider signs its requests
//! with). A 2xx answer acknowledges them all; anything else fails the job, which the queue
//! retries with backoff until the provider answers. Sending everything unacknowledged each time
//! makes delivery order-proof: the provider applies events by sequence number and ignores
//! those it has seen, so a retry or a late job is harmless.
//!
//! This module must never follow redirects (a callback URL is the provider's to set, not a
//! way to make the regulator fetch other addresses) or log a response body.

use beian_store::{Uuid, on};
use serde::Deserialize;

use crate::service::Service;

pub use beian_seam::wire::CallbackBody;

#[derive(Deserialize)]
pub(crate) struct CallbackJob {
    pub submission: Uuid,
    pub seq: i64,
}

impl Service {
    /// Runs one `callback` job: delivers the unacknowledged events of a submission.
    pub(crate) async fn deliver_callback(&self, job: CallbackJob) -> anyhow::Result<()> {
        let row: Option<(String, String, i64, Uuid)> = on!(store self.store.store(), |c| sqlx::query_as(
            "SELECT submission_id, status, acked_seq, provider_id FROM reg_submissions WHERE id = $1",
        )
        .bind(job.submission)
        .fetch_optional(c)
        .await?);
        let Some((submission_id, status, acked, provider_id)) = row else { return Ok(()) };
        if acked >= job.seq {
            return Ok(());
        }
        let Some((provider, key)) = self.store.provider_by_id(provider_id).await? else { return Ok(()) };
        // A provider without a callback URL polls the status API instead.
        let Some(url) = provider.callback_url.as_deref() else { return Ok(()) };
        let events = self.store.events(job.submission, acked).await?;
        let Some(last) = events.last().map(|e| e.seq) else { return Ok(()) };
        let body = serde_json::to_vec(&CallbackBody { submission_id, status, events })?;
        let parsed = reqwest::Url::parse(url)?;
        let nonce = beian_crypto::random_token()?;
        let signed = beian_seam::sign(
            &provider.code,
            &key,
            "POST",
            parsed.path(),
            &body,
            self.now().div_euclid(1_000_000),
            &nonce,
        );
        let mut req = self.http.post(parsed).header("content-type", "application/json").body(body);
        for (name, value) in signed.headers() {
            req = req.header(name, value);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("callback to {}: {}", provider.code, e.without_url()))?;
        if !resp.status().is_success() {
            anyhow::bail!("callback to {} answered {}", provider.code, resp.status());
        }
        on!(store self.store.store(), |c| sqlx::query("UPDATE reg_submissions SET acked_seq = $1 WHERE id = $2 AND acked_seq < $1")
            .bind(last)
            .bind(job.submission)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }
}
