//! Delivering an approved order: the approval's transaction queues a [`DELIVER`] job under
//! the order's submission id (the order at the version the approval wrote), so a retry after a
//! crash or a network failure is the same submission and the regulator's idempotency makes the
//! delivery happen once in effect. While the regulator is down the job fails and is retried
//! with backoff; nothing is lost. What MIIT's interface V3.0 carries goes there when it is
//! configured (`super::miit::outbound`); the rest over the JSON seam. Also here: the
//! applicant's SMS resend and the poll that stands in for callbacks.

use beian_core::workflow::OrderState;
use beian_store::{NewJob, RegulatorLinkRow, Tx, Uuid};
use serde::Deserialize;
use serde_json::json;

use super::port::{RegulatorError, regulator_problem};
use super::submission::SubmissionId;
use crate::areas::Seam;
use crate::i18n::Text;
use crate::{AppError, AppResult};

/// The job that delivers an approved order.
pub const DELIVER: &str = "deliver_to_regulator";

/// Attempts before a delivery is dead-lettered: with backoff capped at an hour, about a week.
const DELIVER_MAX_ATTEMPTS: i64 = 200;

#[derive(Deserialize)]
struct JobPayload {
    order_id: Uuid,
    submission_id: String,
}

impl Seam<'_> {
    /// Queues the delivery of an approved order, in the approval's transaction.
    pub(crate) async fn queue_delivery(self, tx: &mut Tx, order_id: Uuid, version: i64) -> AppResult<()> {
        let now = self.now_us();
        let sid = SubmissionId::Order { order: order_id, version }.to_string();
        tx.enqueue(
            &NewJob {
                kind: DELIVER.into(),
                payload: json!({ "order_id": order_id, "submission_id": sid }).to_string(),
                run_at: now,
                max_attempts: DELIVER_MAX_ATTEMPTS,
                dedup_key: Some(format!("{DELIVER}:{sid}")),
            },
            now,
        )
        .await?;
        Ok(())
    }

    /// The `deliver_to_regulator` job. Idempotent: an order no longer queued is left alone,
    /// and the submission id makes a repeated submit the same submission.
    pub(crate) async fn deliver_to_regulator(self, payload: &str) -> anyhow::Result<()> {
        let p: JobPayload = serde_json::from_str(payload)?;
        let Some(row) = self.store().order(p.order_id).await? else { return Ok(()) };
        if row.state != OrderState::QueuedForRegulator.name() {
            return Ok(());
        }
        let sid = p.submission_id;
        let doc = self.orders().decrypt_order(&row)?;
        // What MIIT's interface V3.0 carries goes there when it is configured.
        if self.miit().is_some() && super::miit::outbound::fits(doc.order.kind, !doc.order.apps.is_empty()) {
            return self.miit_deliver(&row, &doc, &sid).await;
        }
        let seam = self.regulator().ok_or_else(|| anyhow::anyhow!("no regulator is configured"))?;
        let events = match seam.port.submit(&sid, &doc.order).await {
            Ok(events) => events,
            Err(RegulatorError::Unavailable(why)) => anyhow::bail!("regulator unavailable: {why}"),
            Err(RegulatorError::Refused { code, message }) => {
                // Retrying cannot help; a reviewer must look. The job dead-letters with the code.
                tracing::error!(order = %row.id, code = %code, "the regulator refused a submission");
                anyhow::bail!("regulator refused the submission: {code} {message}")
            }
        };
        let mut tx = self.store().begin().await?;
        tx.insert_regulator_link(&RegulatorLinkRow {
            submission_id: sid.clone(),
            order_id: row.id,
            applied_seq: 0,
            filing: None,
            created_at: self.now_us(),
        })
        .await?;
        tx.commit().await?;
        self.apply_regulator_events(&sid, &events).await?;
        Ok(())
    }

    /// The applicant's (or staff's) resend button: MIIT texts `recipient` a new code, within
    /// the original 24 hours.
    pub async fn resend_sms(
        self,
        ctx: &crate::Ctx,
        order_id: Uuid,
        recipient: &str,
    ) -> AppResult<crate::OrderView> {
        let row = self.orders().visible_order(ctx, order_id).await?;
        let state: OrderState = serde_json::from_str(&row.state_data)?;
        let OrderState::SmsPending { pending, .. } = &state else {
            return Err(AppError::conflict(
                "ORDER_NOT_SMS_PENDING",
                Text::new("problem.order_not_sms_pending"),
            ));
        };
        if !pending.contains(recipient) {
            return Err(AppError::field(
                "recipient",
                "SMS_UNKNOWN_RECIPIENT",
                Text::new("problem.sms_unknown_recipient"),
            ));
        }
        let seam = self.regulator().ok_or(AppError::NotFound)?;
        let link = self.store().latest_regulator_link(order_id).await?.ok_or(AppError::NotFound)?;
        let events =
            seam.port.resend_sms(&link.submission_id, recipient).await.map_err(|e| regulator_problem(&e))?;
        self.apply_regulator_events(&link.submission_id, &events).await?;
        self.orders().get_order(ctx, order_id, false).await
    }

    /// Fetches the order's events from the regulator and applies the new ones (the fallback
    /// when callbacks cannot reach this provider).
    pub async fn refresh_from_regulator(
        self,
        ctx: &crate::Ctx,
        order_id: Uuid,
    ) -> AppResult<crate::OrderView> {
        self.orders().visible_order(ctx, order_id).await?;
        self.poll_regulator(order_id).await?;
        self.orders().get_order(ctx, order_id, false).await
    }

    /// Asks the regulator for the order's events and applies the new ones.
    pub async fn poll_regulator(self, order_id: Uuid) -> AppResult<i64> {
        let seam = self.regulator().ok_or(AppError::NotFound)?;
        let link = self.store().latest_regulator_link(order_id).await?.ok_or(AppError::NotFound)?;
        let events = seam.port.events(&link.submission_id).await.map_err(|e| regulator_problem(&e))?;
        self.apply_regulator_events(&link.submission_id, &events).await
    }
}
