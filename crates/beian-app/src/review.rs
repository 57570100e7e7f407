//! The provider's first review (初审): the queue, claiming, the identity check, approval,
//! field-level rejection, and asking for paper materials.
//!
//! Every decision carries `If-Match` (the order version the reviewer looked at), so two
//! reviewers can never both decide one order: the second gets 412.

use beian_core::workflow::{Actor, Event};
use beian_store::{QueueFilter, Uuid};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::areas::Review;
use crate::i18n::Text;
use crate::notify::Notice;
use crate::views::{OrderView, ReviewFinding, Verification, rfc3339};
use crate::{AppError, AppResult, Ctx, FieldError, Role};

/// Queue filters from the request.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct QueueQuery {
    /// `submitted` (default), `in_review`, `awaiting_mail`, or a regulator stage:
    /// `queued_for_regulator`, `sms_pending`, `bureau_review`.
    pub state: Option<String>,
    pub province: Option<String>,
    pub kind: Option<String>,
    /// Only orders waiting at least this many days.
    pub min_age_days: Option<i64>,
    /// Only subjects whose name contains this text.
    #[serde(default)]
    pub subject: Option<String>,
    /// Only orders the caller has claimed.
    #[serde(default)]
    pub mine: Option<bool>,
    /// Cursor from the previous page.
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// A rejection reason as a reviewer sends it: a template (whose texts may be overridden) or
/// free text.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectReason {
    #[serde(default)]
    pub template_id: Option<Uuid>,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub suggestion: Option<String>,
}

/// The most orders one batch decision takes.
pub const BATCH_MAX: usize = 100;

/// What a batch decision does to every order in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchAction {
    Approve,
    /// Return to the applicant with the batch's `findings`.
    Reject,
}

/// An order in a batch, with the version the reviewer decided on (as `If-Match` would carry it).
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchOrder {
    pub id: Uuid,
    pub version: i64,
}

/// One decision for several claimed orders: the reviewer's page's batch approve and return.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchDecision {
    pub action: BatchAction,
    /// 1 to 100 orders, each once.
    pub orders: Vec<BatchOrder>,
    /// The reasons every returned order gets (`reject` only; at least one).
    #[serde(default)]
    pub findings: Vec<RejectReason>,
}

/// A return without a reason: refused for one order and for a batch alike.
fn findings_required() -> FieldError {
    FieldError::text("findings", "FINDINGS_REQUIRED", Text::new("problem.findings_required"))
}

/// One row of the queue (no PII).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct QueueItem {
    pub id: Uuid,
    pub version: i64,
    pub kind: String,
    pub province: String,
    pub state: String,
    pub subject_id: Uuid,
    /// The subject's name (a company's, or an individual's as filed).
    pub subject_name: String,
    pub submitted_at: Option<String>,
    /// When the order entered its current stage, and the day the provider's review is due.
    pub stage_since: String,
    pub sla_due: Option<String>,
    /// Set when `sla_due` reaches a year whose holiday calendar is not on file (counted by
    /// weekends alone).
    pub sla_due_year_without_calendar: Option<i32>,
    pub reviewer_id: Option<Uuid>,
    /// What the bureau's blacklists say about the order since it was submitted.
    pub flags: Vec<crate::blacklist::OrderFlag>,
}

/// How many open orders wait in each review or regulator stage.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct QueueCount {
    pub state: String,
    /// At most [`QUEUE_COUNT_CAP`]; `capped` says there are at least that many.
    pub count: i64,
    pub capped: bool,
}

/// Counts above this show as "1000+": counting stays cheap however long a queue grows.
pub const QUEUE_COUNT_CAP: i64 = 1000;

/// A page of the queue and the cursor of the next one.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    pub next: Option<String>,
}

/// The provider's review stages, and the regulator's (to follow orders there, e.g. those still
/// queued while the regulator is unreachable).
const REVIEW_STATES: [&str; 6] =
    ["submitted", "in_review", "awaiting_mail", "queued_for_regulator", "sms_pending", "bureau_review"];

fn parse_cursor(s: &str) -> Option<(i64, Uuid)> {
    let (at, id) = s.split_once('_')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

impl Review<'_> {
    pub async fn review_queue(self, ctx: &Ctx, q: QueueQuery) -> AppResult<QueuePage> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        let state = q.state.unwrap_or_else(|| "submitted".into());
        if !REVIEW_STATES.contains(&state.as_str()) {
            return Err(AppError::field(
                "state",
                "QUEUE_STATE_INVALID",
                Text::new("problem.queue_state_invalid"),
            ));
        }
        let after = match q.after.as_deref() {
            Some(c) => Some(parse_cursor(c).ok_or_else(|| {
                AppError::field("after", "CURSOR_INVALID", Text::new("problem.cursor_invalid"))
            })?),
            None => None,
        };
        let limit = q.limit.unwrap_or(50).clamp(1, 200);
        let submitted_before = q.min_age_days.map(|d| self.now_us() - d.max(0) * 86_400_000_000);
        let me = ctx.principal()?.id;
        let subject_contains =
            q.subject.map(|t| t.trim().chars().take(100).collect::<String>()).filter(|t| !t.is_empty());
        let filter = QueueFilter {
            state,
            province: q.province,
            kind: q.kind,
            submitted_before,
            subject_contains,
            reviewer: q.mine.unwrap_or(false).then_some(me),
        };
        let rows = self.store().review_queue(&filter, after, limit).await?;
        let next = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|r| format!("{}_{}", r.submitted_at.unwrap_or_default(), r.id)))
            .flatten();
        let cal = self.admin().calendar().await?;
        let ids: Vec<Uuid> = rows.iter().filter(|r| r.flagged).map(|r| r.id).collect();
        let mut flags: std::collections::HashMap<Uuid, Vec<crate::blacklist::OrderFlag>> =
            std::collections::HashMap::new();
        for f in self.store().order_flags(&ids).await? {
            flags.entry(f.order_id).or_default().push(f.into());
        }
        let items = rows
            .into_iter()
            .map(|r| {
                let due = crate::orders::sla_due(&cal, &r.state, r.stage_since, &r.province);
                QueueItem {
                    sla_due_year_without_calendar: due.as_ref().and_then(|d| d.year_without_calendar),
                    sla_due: due.map(|d| d.date),
                    id: r.id,
                    version: r.version,
                    kind: r.kind,
                    province: r.province,
                    subject_id: r.subject_id,
                    subject_name: r.subject_name,
                    submitted_at: r.submitted_at.map(rfc3339),
                    stage_since: rfc3339(r.stage_since),
                    state: r.state,
                    reviewer_id: r.reviewer_id,
                    flags: flags.remove(&r.id).unwrap_or_default(),
                }
            })
            .collect();
        Ok(QueuePage { items, next })
    }

    /// Open orders per review and regulator stage (the queue's tabs).
    pub async fn queue_counts(self, ctx: &Ctx) -> AppResult<Vec<QueueCount>> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        let counts = self.store().count_in_states(&REVIEW_STATES, QUEUE_COUNT_CAP).await?;
        Ok(REVIEW_STATES
            .iter()
            .zip(counts)
            .map(|(state, count)| QueueCount {
                state: (*state).to_owned(),
                count,
                capped: count >= QUEUE_COUNT_CAP,
            })
            .collect())
    }

    async fn staff_order(self, ctx: &Ctx, id: Uuid) -> AppResult<beian_store::OrderRow> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        self.store().order(id).await?.ok_or(AppError::NotFound)
    }

    /// Takes an order from the queue.
    pub async fn claim_order(self, ctx: &Ctx, id: Uuid, if_match: Option<i64>) -> AppResult<OrderView> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let row = self.staff_order(ctx, id).await?;
        let me = ctx.principal()?.id;
        self.orders()
            .apply_event(
                ctx,
                &row,
                expected,
                (Event::Claim, Actor::Reviewer),
                |u| u.reviewer_id = Some(me),
                None,
            )
            .await
    }

    /// Puts a claimed order back in the queue.
    pub async fn release_order(self, ctx: &Ctx, id: Uuid, if_match: Option<i64>) -> AppResult<OrderView> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let row = self.staff_order(ctx, id).await?;
        self.orders()
            .apply_event(
                ctx,
                &row,
                expected,
                (Event::Release, Actor::Reviewer),
                |u| u.reviewer_id = None,
                None,
            )
            .await
    }

    /// Records the manual identity check: the reviewer compared the face photo with the ID.
    pub async fn record_verification(
        self,
        ctx: &Ctx,
        id: Uuid,
        if_match: Option<i64>,
        passed: bool,
        note: String,
    ) -> AppResult<OrderView> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let row = self.staff_order(ctx, id).await?;
        if row.state != "in_review" {
            return Err(AppError::conflict("ORDER_NOT_IN_REVIEW", Text::new("problem.order_not_in_review")));
        }
        if row.version != expected {
            return Err(AppError::PreconditionFailed { current_version: row.version });
        }
        let p = ctx.principal()?;
        let mut doc = self.orders().decrypt_order(&row)?;
        doc.verification = Some(Verification {
            passed,
            note: note.chars().take(500).collect(),
            by: p.id,
            at: rfc3339(self.now_us()),
        });
        let now = self.now_us();
        let u = beian_store::OrderUpdate {
            data: self.orders().encrypt_order(id, &doc)?,
            updated_at: now,
            ..beian_store::OrderUpdate::from(&row)
        };
        let mut tx = self.store().begin().await?;
        if !tx.update_order(id, expected, &u).await? {
            return Err(AppError::PreconditionFailed { current_version: row.version + 1 });
        }
        tx.audit(&ctx.audit("order.verification", "order", id, json!({ "passed": passed })), now).await?;
        tx.commit().await?;
        let row = self.store().order(id).await?.ok_or(AppError::NotFound)?;
        self.orders().order_view(&row, false).await
    }

    /// Approves an order after review; it goes to the regulator queue.
    pub async fn approve_order(self, ctx: &Ctx, id: Uuid, if_match: Option<i64>) -> AppResult<OrderView> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let row = self.staff_order(ctx, id).await?;
        let doc = self.orders().decrypt_order(&row)?;
        if !doc.verification.as_ref().is_some_and(|v| v.passed) {
            return Err(AppError::conflict(
                "VERIFICATION_REQUIRED",
                Text::new("problem.verification_required"),
            ));
        }
        let owner = self.store().account(row.owner_id).await?.ok_or(AppError::NotFound)?;
        let mail = Notice::order_approved(&self.config().base_url, id);
        self.orders()
            .apply_event(
                ctx,
                &row,
                expected,
                (Event::Approve, Actor::Reviewer),
                |_| {},
                Some((&owner.email, mail)),
            )
            .await
    }

    /// Decides several orders at once. The batch as a whole is checked first (size, duplicates,
    /// reasons: 422 for all of it); then each order is decided on its own, in its own
    /// transaction and with its own version, so one refusal (412, 409, 404) never stops the
    /// others. Results come back in the order given.
    pub async fn decide_batch(
        self,
        ctx: &Ctx,
        batch: BatchDecision,
    ) -> AppResult<Vec<(Uuid, AppResult<OrderView>)>> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        let mut errors = Vec::new();
        if batch.orders.is_empty() || batch.orders.len() > BATCH_MAX {
            errors.push(FieldError::text(
                "orders",
                "BATCH_SIZE_INVALID",
                Text::new("problem.batch_size_invalid"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, o) in batch.orders.iter().enumerate() {
            if !seen.insert(o.id) {
                errors.push(FieldError::text(
                    format!("orders[{i}]"),
                    "BATCH_DUPLICATE",
                    Text::new("problem.batch_duplicate"),
                ));
            }
        }
        if batch.action == BatchAction::Approve && !batch.findings.is_empty() {
            errors.push(FieldError::text(
                "findings",
                "FINDINGS_NOT_ALLOWED",
                Text::new("problem.findings_not_allowed"),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let findings = match batch.action {
            BatchAction::Reject => {
                let found = self.resolve_reasons(batch.findings).await?;
                if found.is_empty() {
                    return Err(AppError::Validation(vec![findings_required()]));
                }
                found
            }
            BatchAction::Approve => Vec::new(),
        };
        let mut out = Vec::with_capacity(batch.orders.len());
        for o in batch.orders {
            let result = match batch.action {
                BatchAction::Approve => self.approve_order(ctx, o.id, Some(o.version)).await,
                BatchAction::Reject => self.reject_order(ctx, o.id, Some(o.version), findings.clone()).await,
            };
            out.push((o.id, result));
        }
        Ok(out)
    }

    /// Expands reasons given by template id (with optional overrides) into text.
    pub async fn resolve_reasons(self, items: Vec<RejectReason>) -> AppResult<Vec<ReviewFinding>> {
        let mut out = Vec::with_capacity(items.len());
        for (i, r) in items.into_iter().enumerate() {
            let (field, error, suggestion) = match r.template_id {
                Some(tid) => {
                    let t = self.store().template(tid).await?.ok_or_else(|| {
                        AppError::field(
                            &format!("findings[{i}].template_id"),
                            "TEMPLATE_UNKNOWN",
                            Text::new("problem.template_unknown"),
                        )
                    })?;
                    (
                        r.field.unwrap_or(t.field),
                        r.error.unwrap_or(t.error),
                        r.suggestion.unwrap_or(t.suggestion),
                    )
                }
                None => (
                    r.field.unwrap_or_default(),
                    r.error.unwrap_or_default(),
                    r.suggestion.unwrap_or_default(),
                ),
            };
            out.push(ReviewFinding { field, error, suggestion });
        }
        Ok(out)
    }

    /// Returns an order to the applicant with field-level reasons.
    pub async fn reject_order(
        self,
        ctx: &Ctx,
        id: Uuid,
        if_match: Option<i64>,
        findings: Vec<ReviewFinding>,
    ) -> AppResult<OrderView> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let row = self.staff_order(ctx, id).await?;
        let mut errors = Vec::new();
        if findings.is_empty() {
            errors.push(findings_required());
        }
        for (i, f) in findings.iter().enumerate() {
            let bad = |s: &str| s.trim().is_empty() || s.chars().count() > 500;
            if bad(&f.field) || bad(&f.error) || f.suggestion.chars().count() > 500 {
                errors.push(FieldError::text(
                    format!("findings[{i}]"),
                    "FINDING_INVALID",
                    Text::new("problem.finding_invalid"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let owner = self.store().account(row.owner_id).await?.ok_or(AppError::NotFound)?;
        let mail = Notice::order_returned(&self.config().base_url, id, &findings);
        let json = serde_json::to_string(&findings)?;
        let n = findings.len();
        self.orders()
            .apply_event(
                ctx,
                &row,
                expected,
                (Event::Reject { findings: n }, Actor::Reviewer),
                |u| {
                    u.review_findings = json;
                    u.reviewer_id = None;
                },
                Some((&owner.email, mail)),
            )
            .await
    }

    /// Asks the applicant to mail paper materials.
    pub async fn request_materials(
        self,
        ctx: &Ctx,
        id: Uuid,
        if_match: Option<i64>,
        note: String,
    ) -> AppResult<OrderView> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let row = self.staff_order(ctx, id).await?;
        let owner = self.store().account(row.owner_id).await?.ok_or(AppError::NotFound)?;
        let mail = Notice::materials_requested(
            &self.config().base_url,
            id,
            &note.chars().take(2000).collect::<String>(),
        );
        self.orders()
            .apply_event(
                ctx,
                &row,
                expected,
                (Event::RequestMail, Actor::Reviewer),
                |_| {},
                Some((&owner.email, mail)),
            )
            .await
    }

    /// Records that the mailed materials arrived.
    pub async fn materials_received(
        self,
        ctx: &Ctx,
        id: Uuid,
        if_match: Option<i64>,
    ) -> AppResult<OrderView> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let row = self.staff_order(ctx, id).await?;
        self.orders()
            .apply_event(ctx, &row, expected, (Event::MailReceived, Actor::Reviewer), |_| {}, None)
            .await
    }
}
