//! Applying what the regulator says happened: numbered events — in a submit answer, a signed
//! callback, a poll, or made from MIIT's download files (`super::miit::inbound`) — are
//! applied to the order of their submission id, each once and in order, through the order
//! state machine and the one writer of order state (`Orders::write_order_state`): the timeline
//! shows every step, the applicant is told (`super::notices`), and an approval writes the
//! numbers and footers onto the order and the subject (`super::record`) and opens each new
//! website's public-security draft.

use beian_core::message::Problem as _;
use beian_core::model::OrderKind;
use beian_core::workflow::{Actor, Event, OrderState, transition};
use beian_seam::wire::Event as RegEvent;
use serde_json::json;

use super::notices::{notice_for, reasons_of};
use super::record::Filing;
use crate::areas::Seam;
use crate::i18n::Text;
use crate::order_state::Step;
use crate::{AppError, AppResult};

/// The workflow event a regulator event stands for, given the order's state.
fn workflow_event(e: &RegEvent, state: &OrderState) -> Option<Event> {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(e.at) * 1000).ok()?;
    match e.kind.as_str() {
        "sms_sent" => {
            let recipients = e.detail["recipients"]
                .as_array()?
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect();
            Some(Event::Delivered { recipients, at })
        }
        // Without SMS (cancellations) the order goes straight to the bureau; after the last
        // code the state machine moved it there already.
        "bureau_review" if matches!(state, OrderState::QueuedForRegulator) => {
            Some(Event::Delivered { recipients: Default::default(), at })
        }
        "sms_verified" => Some(Event::SmsVerified { recipient: e.detail["recipient"].as_str()?.to_owned() }),
        "sms_wrong_code" => Some(Event::SmsWrongCode),
        "sms_resent" => Some(Event::SmsResent),
        "sms_timeout" => {
            let deadline = beian_seam::wire::times::of_json(&e.detail["deadline"]).unwrap_or(e.at);
            let now = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(deadline.max(e.at)) * 1000)
                .ok()?;
            Some(Event::SmsTimeout { now })
        }
        "approved" => Some(Event::BureauApproved),
        "rejected" => Some(Event::BureauRejected),
        _ => None,
    }
}

impl Seam<'_> {
    /// Applies regulator events to the order of `submission_id`: each once, in sequence order.
    /// Returns the last applied sequence number.
    pub async fn apply_regulator_events(self, submission_id: &str, events: &[RegEvent]) -> AppResult<i64> {
        for _ in 0..5 {
            match self.try_apply(submission_id, events).await? {
                Some(seq) => return Ok(seq),
                None => continue,
            }
        }
        Err(AppError::conflict("REGULATOR_BUSY", Text::new("problem.regulator_busy")))
    }

    /// One attempt; `None` when a concurrent writer won and the caller should reload.
    async fn try_apply(self, submission_id: &str, events: &[RegEvent]) -> AppResult<Option<i64>> {
        let link = self.store().regulator_link(submission_id).await?.ok_or(AppError::NotFound)?;
        let mut fresh: Vec<&RegEvent> = events.iter().filter(|e| e.seq > link.applied_seq).collect();
        fresh.sort_by_key(|e| e.seq);
        fresh.dedup_by_key(|e| e.seq);
        // Only a gap-free run continues the sequence; the regulator resends what follows a gap.
        let run: Vec<&RegEvent> = fresh
            .iter()
            .enumerate()
            .take_while(|(i, e)| e.seq == link.applied_seq + 1 + *i as i64)
            .map(|(_, e)| *e)
            .collect();
        let Some(last) = run.last().map(|e| e.seq) else { return Ok(Some(link.applied_seq)) };
        let row = self.store().order(link.order_id).await?.ok_or(AppError::NotFound)?;
        let kind: OrderKind = serde_json::from_value(serde_json::Value::String(row.kind.clone()))?;
        let doc = self.orders().decrypt_order(&row)?;
        let mut state: OrderState = serde_json::from_str(&row.state_data)?;
        let mut u = beian_store::OrderUpdate::from(&row);
        let now = self.now_us();
        let mut timeline = Vec::new();
        let mut notices = Vec::new();
        let mut filing: Option<Filing> = None;
        for e in &run {
            if e.kind == "approved" {
                filing = Some(self.filing_of(&doc.order, &e.detail));
            }
            if e.kind == "rejected" {
                u.review_findings = serde_json::to_string(&reasons_of(&e.detail))?;
            }
            if let Some(ev) = workflow_event(e, &state) {
                match transition(&state, &ev, Actor::Regulator, kind) {
                    Ok(next) => {
                        timeline.push(Step {
                            at: e.at,
                            actor_id: None,
                            actor_role: "regulator".into(),
                            event: ev.name().into(),
                            from: state.name().into(),
                            to: next.name().into(),
                            detail: json!({ "regulator_event": e.kind, "seq": e.seq, "detail": e.detail }),
                        });
                        state = next;
                    }
                    Err(err) => {
                        tracing::warn!(order = %row.id, seq = e.seq, kind = %e.kind, "regulator event not applicable: {}", err.code());
                    }
                }
            }
            if let Some(n) = notice_for(&self.config().base_url, row.id, &e.kind, &e.detail, filing.as_ref())
            {
                notices.push(n);
            }
        }
        // Read before the transaction: on SQLite it holds the write lock, and a second
        // connection taken inside it could wait behind queued writers.
        let owner = self.store().account(row.owner_id).await?.ok_or(AppError::NotFound)?;
        let profile = match &filing {
            Some(_) => self.admin().profile_setting().await?,
            None => None,
        };
        let mut tx = self.store().begin().await?;
        let filing_json = filing.as_ref().map(serde_json::to_string).transpose()?;
        if !tx.advance_regulator_link(submission_id, link.applied_seq, last, filing_json.as_deref()).await? {
            return Ok(None);
        }
        if !self.orders().write_order_state(&mut tx, &row, row.version, &state, u, &timeline).await? {
            return Ok(None);
        }
        tx.audit(
            &crate::service_audit(
                "regulator",
                "order.regulator_events",
                "order",
                row.id,
                json!({ "submission_id": submission_id, "through": last, "state": state.name() }),
            ),
            now,
        )
        .await?;
        if let Some(f) = &filing {
            self.record_subject_number(&mut tx, row.subject_id, f).await?;
            self.psb().psb_follow_cancellations(&mut tx, &f.decision.cancelled, &owner.email).await?;
            // Each filed website now has 30 days for its PSB filing: a draft to complete.
            self.psb().create_psb_drafts(&mut tx, row.subject_id, row.id, &doc, f, profile.as_ref()).await?;
        }
        if !notices.is_empty() {
            for n in &notices {
                self.notify().notify_account(&mut tx, &owner.email, n).await?;
                if let Some(text) = &n.sms {
                    self.notify().queue_sms(&mut tx, &doc.order.subject.head.mobile, text).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(Some(last))
    }
}
