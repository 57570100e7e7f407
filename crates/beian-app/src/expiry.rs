//! Orders that wait for their applicant too long: reminders, then closure.
//!
//! The providers' consoles close an order left untouched with its applicant (a draft, or one
//! returned for changes) after 45 days and remind the applicant before that. The days are
//! policy data per province (`draft_expiry_days`, `draft_reminder_days` in the core's
//! `data/policy.toml`). "Touched" means any write to the order or a document uploaded to it;
//! each reminder goes out once per idle round (recorded in `order_reminders` in the
//! transaction that queues it), and the closure is the workflow's `expire` event by the system,
//! written with its timeline entry, audit entry and e-mail in one transaction.
//!
//! This module must never close an order the applicant has touched since it looked: the write
//! is conditional on the version it read, and the core refuses an order not idle long enough.

use beian_core::policy::PolicySet;
use beian_core::province::ProvinceCode;
use beian_core::workflow::{Actor, Event, OrderState, transition};
use beian_store::{OrderRow, OrderUpdate, Uuid};
use serde::Serialize;
use serde_json::json;

use crate::areas::Expiry;
use crate::notify::Notice;
use crate::order_state::Step;
use crate::views::rfc3339;
use crate::{AppError, AppResult, Ctx};

/// The daily job that reminds and closes idle orders.
pub const DRAFT_EXPIRY: &str = "draft_expiry";

const DAY_US: i64 = 86_400_000_000;
/// Idle orders looked at per run; the rest wait for the next hour's run.
const BATCH: i64 = 5_000;

/// An order waiting for its applicant, and when it closes.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExpiringOrderView {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub kind: String,
    /// `draft` or `returned`.
    pub state: String,
    /// The last change to the order or its documents.
    pub last_touched_at: String,
    pub idle_days: i64,
    /// When it closes unless touched (China time).
    pub closes_at: String,
}

/// What one expiry run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ExpiryRun {
    pub reminded: usize,
    pub closed: usize,
}

/// The province's expiry days and reminder days.
fn policy_of(province: &str) -> (i64, &'static [i64]) {
    let set = PolicySet::builtin();
    let code = ProvinceCode::parse(province).unwrap_or_else(|| ProvinceCode::parse("11").expect("Beijing"));
    let v = &set.province(code).values;
    (v.draft_expiry_days, &v.draft_reminder_days)
}

/// The fewest idle days after which any province reminds (or closes): no order idle for less
/// needs to be read.
fn first_action_day() -> i64 {
    let set = PolicySet::builtin();
    beian_core::province::provinces()
        .iter()
        .map(|p| {
            let v = &set.province(p.code).values;
            v.draft_reminder_days.first().copied().unwrap_or(v.draft_expiry_days)
        })
        .min()
        .unwrap_or(30)
}

impl Expiry<'_> {
    /// Queues today's expiry run (at most one a day across workers and instances).
    pub async fn schedule_draft_expiry(self) -> AppResult<()> {
        self.jobs().schedule_once_today(DRAFT_EXPIRY).await
    }

    /// Reminds the applicants of orders idle for a reminder day of their province, each
    /// reminder once per idle round, and closes those idle for the province's expiry days.
    pub async fn run_draft_expiry(self) -> AppResult<ExpiryRun> {
        let now = self.now_us();
        let mut run = ExpiryRun::default();
        for row in self.store().idle_orders(now - first_action_day() * DAY_US, None, BATCH).await? {
            let touched = self.last_touched(&row).await?;
            let idle = (now - touched) / DAY_US;
            let (expiry_days, reminder_days) = policy_of(&row.province);
            if idle >= expiry_days {
                run.closed += usize::from(self.expire(&row, idle, expiry_days).await?);
            } else if let Some(day) = reminder_days.iter().rev().find(|d| idle >= **d) {
                let closes = rfc3339(touched + expiry_days * DAY_US);
                run.reminded += usize::from(self.remind(&row, touched, *day, idle, &closes).await?);
            }
        }
        Ok(run)
    }

    /// The caller's orders that have been idle long enough to be reminded (all orders for
    /// staff), the soonest to close first; at most `limit` (1–500) of the longest idle.
    pub async fn expiring_orders(self, ctx: &Ctx, limit: i64) -> AppResult<Vec<ExpiringOrderView>> {
        let p = ctx.principal()?;
        let owner = if p.role.is_staff() { None } else { Some(p.id) };
        let now = self.now_us();
        let mut out = Vec::new();
        let limit = limit.clamp(1, 500);
        for row in self.store().idle_orders(now - first_action_day() * DAY_US, owner, limit).await? {
            let touched = self.last_touched(&row).await?;
            let (expiry_days, reminder_days) = policy_of(&row.province);
            let idle = (now - touched) / DAY_US;
            if idle < reminder_days.first().copied().unwrap_or(expiry_days) {
                continue;
            }
            out.push(ExpiringOrderView {
                id: row.id,
                subject_id: row.subject_id,
                kind: row.kind,
                state: row.state,
                last_touched_at: rfc3339(touched),
                idle_days: idle,
                closes_at: rfc3339(touched + expiry_days * DAY_US),
            });
        }
        out.sort_by(|a, b| a.closes_at.cmp(&b.closes_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The last change to the order or to its documents (an upload does not write the order).
    async fn last_touched(self, row: &OrderRow) -> AppResult<i64> {
        let docs = self.store().documents_of_order(row.id).await?;
        Ok(docs.iter().map(|d| d.created_at).fold(row.updated_at, i64::max))
    }

    /// Sends the reminder for `day` unless this round already had it. True when sent.
    async fn remind(
        self,
        row: &OrderRow,
        touched: i64,
        day: i64,
        idle: i64,
        closes: &str,
    ) -> AppResult<bool> {
        let owner = self.store().account(row.owner_id).await?.ok_or(AppError::NotFound)?;
        let mobile = self.orders().decrypt_order(row)?.order.subject.head.mobile;
        let closes_on = closes.get(..10).unwrap_or(closes);
        let notice = Notice::draft_reminder(&self.config().base_url, row.id, idle, closes_on);
        let mut tx = self.store().begin().await?;
        if !tx.record_order_reminder(row.id, touched, day, self.now_us()).await? {
            return Ok(false);
        }
        self.notify().notify_account(&mut tx, &owner.email, &notice).await?;
        if let Some(text) = &notice.sms {
            self.notify().queue_sms(&mut tx, &mobile, text).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Closes an idle order (the workflow's `expire`, by the system). False when it changed
    /// meanwhile: the applicant touched it, and it is no longer idle.
    async fn expire(self, row: &OrderRow, idle: i64, expiry_days: i64) -> AppResult<bool> {
        let state: OrderState = serde_json::from_str(&row.state_data)?;
        let kind = serde_json::from_value(serde_json::Value::String(row.kind.clone()))?;
        let event = Event::Expire { idle_days: idle, expiry_days };
        let next = transition(&state, &event, Actor::System, kind).map_err(|e| AppError::conflict_of(&e))?;
        let now = self.now_us();
        let detail = json!({ "idle_days": idle, "expiry_days": expiry_days });
        let step = Step {
            at: now,
            actor_id: None,
            actor_role: "system".into(),
            event: event.name().into(),
            from: state.name().into(),
            to: next.name().into(),
            detail: detail.clone(),
        };
        let owner = self.store().account(row.owner_id).await?.ok_or(AppError::NotFound)?;
        let mut tx = self.store().begin().await?;
        if !self
            .orders()
            .write_order_state(&mut tx, row, row.version, &next, OrderUpdate::from(row), &[step])
            .await?
        {
            return Ok(false);
        }
        tx.audit(&crate::service_audit("system", "order.expire", "order", row.id, detail), now).await?;
        self.notify()
            .notify_account(
                &mut tx,
                &owner.email,
                &Notice::draft_expired(&self.config().base_url, row.id, idle),
            )
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_action_day_is_the_earliest_reminder() {
        assert_eq!(super::first_action_day(), 30);
        assert_eq!(super::policy_of("33"), (45, &[30, 40][..]));
    }
}
