//! Orders: create from a subject, edit while a draft (or returned), check with the rule
//! engine, submit, withdraw, and the timeline. Review decisions are in [`crate::review`];
//! both go through [`Orders::apply_event`], the one place that persists a state transition.

use std::collections::{BTreeMap, BTreeSet};

use beian_core::calendar::Calendar;
use beian_core::model::{App as AppService, Order, OrderKind, Website, normalize_cert};
use beian_core::rules::{Context, DomainFacts, FiledSubject, Finding, check};
use beian_core::workflow::{Actor, Event, OrderState, Readiness, transition};
use beian_store::{OrderEventRow, OrderRow, OrderUpdate, Uuid, new_id};
use serde::Deserialize;
use serde_json::json;

use crate::areas::Orders;
use crate::blacklist::{LISTED_DOMAIN, LISTED_ILLEGAL_ACCESS, LISTED_SUBJECT, registrable};
use crate::calendar::DueDate;
use crate::i18n::Text;
use crate::order_state::Step;
use crate::requirements::required_documents;
use crate::views::{OrderDoc, OrderView, ReviewFinding, TimelineEntry, mask_order, rfc3339, unmask_order};
use crate::{AppError, AppResult, Ctx, Role};

/// An order as the applicant sends it; the subject comes from `subject_id`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    pub subject_id: Uuid,
    /// Worked out from what is on file when absent.
    #[serde(default)]
    pub kind: Option<OrderKind>,
    #[serde(default)]
    pub websites: Vec<Website>,
    #[serde(default)]
    pub apps: Vec<AppService>,
    #[serde(default)]
    pub target_numbers: Vec<String>,
    #[serde(default)]
    pub remark: Option<String>,
    /// For a cancellation (注销网站, 注销主体, 取消接入): why, by its name in the bureau's table of
    /// cancellation reasons (`GET /api/v1/orders/cancel-reasons`).
    #[serde(default)]
    pub cancel_reason: Option<String>,
    /// Registry facts per domain as the applicant read them from the registrar.
    #[serde(default)]
    pub domain_facts: BTreeMap<String, DomainFacts>,
}

/// One line of an order list.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct OrderSummary {
    pub id: Uuid,
    pub subject_id: Uuid,
    /// `None` only for a kind this version does not know.
    pub kind: Option<OrderKind>,
    pub state: String,
    pub updated_at: String,
    pub subject_name: String,
}

impl From<beian_store::OrderLineRow> for OrderSummary {
    fn from(r: beian_store::OrderLineRow) -> Self {
        OrderSummary {
            id: r.id,
            subject_id: r.subject_id,
            kind: serde_json::from_value(serde_json::Value::String(r.kind)).ok(),
            state: r.state,
            updated_at: rfc3339(r.updated_at),
            subject_name: r.subject_name,
        }
    }
}

/// Working days the provider has for each review stage (Alibaba/Huawei: 1–2 working days),
/// counted with the public-holiday calendar in force (`crate::calendar`).
const SLA_WORKING_DAYS: u32 = 2;

/// The day the review of an order in `state` since `stage_since` is due, in working days from
/// the day it entered the stage: the provider's SLA in its own stages, the bureau's time limit
/// of the order's province (policy data) in `bureau_review`; `None` in other stages.
pub fn sla_due(cal: &Calendar, state: &str, stage_since: i64, province: &str) -> Option<DueDate> {
    let days = match state {
        "submitted" | "in_review" | "awaiting_mail" => SLA_WORKING_DAYS,
        "bureau_review" => {
            let code = beian_core::province::ProvinceCode::parse(province)?;
            beian_core::policy::PolicySet::builtin().province(code).values.bureau_review_working_days
        }
        _ => return None,
    };
    let since =
        beian_store::from_micros(stage_since).to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("offset"));
    Some(cal.add_working_days(since.date(), days).into())
}

impl Orders<'_> {
    fn order_aad(id: Uuid) -> String {
        format!("orders/{id}/data")
    }

    /// The decrypted document of an order row. A row's document never changes without its
    /// version changing, so decrypted documents are cached by (id, version) on both backends.
    pub(crate) fn decrypt_order(self, row: &OrderRow) -> AppResult<OrderDoc> {
        let key = (row.id, row.version);
        if let Some(doc) = self.doc_cache().get(&key) {
            return Ok(doc);
        }
        let stored = self.keys().decrypt(&Self::order_aad(row.id), &row.data)?;
        let doc: OrderDoc =
            serde_json::from_slice(&crate::packed::unpack(&stored).map_err(anyhow::Error::new)?)?;
        self.doc_cache().put(key, doc.clone());
        Ok(doc)
    }

    pub(crate) fn encrypt_order(self, id: Uuid, doc: &OrderDoc) -> AppResult<Vec<u8>> {
        Ok(self.keys().encrypt(&Self::order_aad(id), &crate::packed::pack(serde_json::to_vec(doc)?))?)
    }

    pub(crate) async fn order_view(self, row: &OrderRow, reveal: bool) -> AppResult<OrderView> {
        let doc = self.decrypt_order(row)?;
        let changed_fields = match &doc.filed {
            Some(filed) => beian_core::model::changes(filed, &doc.order).fields,
            None => Vec::new(),
        };
        let mut order = doc.order;
        if !reveal {
            mask_order(&mut order);
        }
        let state: OrderState = serde_json::from_str(&row.state_data)?;
        let due = sla_due(&*self.admin().calendar().await?, &row.state, row.stage_since, &row.province);
        Ok(OrderView {
            id: row.id,
            version: row.version,
            subject_id: row.subject_id,
            state,
            order,
            domain_facts: doc.domain_facts,
            findings: serde_json::from_str(&row.findings)?,
            review_findings: serde_json::from_str(&row.review_findings)?,
            verification: doc.verification,
            reviewer_id: row.reviewer_id,
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
            submitted_at: row.submitted_at.map(rfc3339),
            stage_since: rfc3339(row.stage_since),
            sla_due_year_without_calendar: due.as_ref().and_then(|d| d.year_without_calendar),
            sla_due: due.map(|d| d.date),
            filing: None,
            changed_fields,
        })
    }

    /// Loads an order the caller may see: their own, or any for staff. Anything else is 404.
    pub(crate) async fn visible_order(self, ctx: &Ctx, id: Uuid) -> AppResult<OrderRow> {
        let p = ctx.principal()?;
        let row = self.store().order(id).await?.ok_or(AppError::NotFound)?;
        if row.owner_id != p.id && !p.role.is_staff() {
            return Err(AppError::NotFound);
        }
        Ok(row)
    }

    fn build_order(
        self,
        subject: beian_core::model::Subject,
        province: &str,
        kind: OrderKind,
        input: &OrderInput,
    ) -> AppResult<Order> {
        let province = beian_core::province::ProvinceCode::parse(province)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored subject has an invalid province")))?;
        Ok(Order {
            kind,
            province,
            subject,
            websites: input.websites.clone(),
            apps: input.apps.clone(),
            target_numbers: input.target_numbers.clone(),
            remark: input.remark.clone(),
            cancel_reason: input.cancel_reason.clone(),
        })
    }

    /// Starts a draft order for one of the caller's subjects.
    pub async fn create_order(self, ctx: &Ctx, input: OrderInput) -> AppResult<OrderView> {
        let p = ctx.require(&[Role::Applicant, Role::Admin])?;
        let subject_row = self.subjects().visible_subject(ctx, input.subject_id).await?;
        if subject_row.owner_id != p.id {
            return Err(AppError::NotFound);
        }
        let subject = self.subjects().decrypt_subject(&subject_row)?;
        let kind = input.kind.unwrap_or(if subject_row.filed_number.is_some() {
            OrderKind::NewServiceHere
        } else {
            OrderKind::FirstFiling
        });
        if kind == OrderKind::MigrateService {
            // Not offered: V3.0 has no record for it, the regulator simulator does not model it,
            // and only some provinces take it (rules.md §1.2, [HW-mig]); an order of it could
            // never be decided. The README's table of order kinds says the same.
            return Err(AppError::field(
                "kind",
                "ORDER_KIND_NOT_OFFERED",
                Text::new("problem.order_kind_not_offered"),
            ));
        }
        self.check_cancellation(kind, input.cancel_reason.as_deref()).await?;
        let order = self.build_order(subject, &subject_row.province, kind, &input)?;
        if !kind.is_cancellation() {
            let domains: Vec<(String, String)> = order
                .websites
                .iter()
                .enumerate()
                .flat_map(|(i, w)| {
                    w.domains
                        .iter()
                        .enumerate()
                        .map(move |(j, d)| (format!("websites[{i}].domains[{j}]"), d.clone()))
                })
                .collect();
            self.review().refuse_blacklisted(&subject_row.cert_index, &domains).await?;
        }
        let doc = OrderDoc { order, domain_facts: input.domain_facts, verification: None, filed: None };
        self.insert_draft(ctx, &subject_row, doc).await
    }

    /// Writes a new draft of the caller's subject: its findings, its first timeline entry and
    /// its audit in one transaction; `ORDER_OPEN_EXISTS` (naming the open order) when the
    /// subject already has one.
    pub(crate) async fn insert_draft(
        self,
        ctx: &Ctx,
        subject_row: &beian_store::SubjectRow,
        doc: OrderDoc,
    ) -> AppResult<OrderView> {
        let p = ctx.principal()?;
        let kind = doc.order.kind;
        let id = new_id();
        let now = self.now_us();
        let row = OrderRow {
            id,
            owner_id: p.id,
            subject_id: subject_row.id,
            kind: kind.key().to_owned(),
            province: subject_row.province.clone(),
            state: OrderState::Draft.name().to_owned(),
            state_data: serde_json::to_string(&OrderState::Draft)?,
            data: self.encrypt_order(id, &doc)?,
            findings: "[]".into(),
            review_findings: "[]".into(),
            reviewer_id: None,
            open: true,
            version: 1,
            created_at: now,
            updated_at: now,
            submitted_at: None,
            stage_since: now,
        };
        // What the rule engine finds is there from the first read of the draft.
        let row = OrderRow { findings: self.findings_json(&row, &doc).await?, ..row };
        let mut tx = self.store().begin().await?;
        match tx.insert_order(&row).await {
            Ok(()) => {}
            Err(beian_store::StoreError::Conflict { .. }) => {
                drop(tx);
                // Name the order in the way, so a client can resume or withdraw it.
                let open = self.store().open_order_of_subject(subject_row.id).await?;
                return Err(AppError::conflict_with(
                    "ORDER_OPEN_EXISTS",
                    Text::new("problem.order_open_exists"),
                    json!({ "open_order_id": open }),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        tx.insert_order_event(&OrderEventRow {
            id: new_id(),
            order_id: id,
            at: now,
            actor_id: Some(p.id),
            actor_role: p.role.as_str().into(),
            event: "create".into(),
            from_state: String::new(),
            to_state: "draft".into(),
            detail: json!({ "kind": kind.key() }).to_string(),
        })
        .await?;
        tx.audit(&ctx.audit("order.create", "order", id, json!({ "kind": kind.key() })), now).await?;
        tx.commit().await?;
        self.order_view(&row, false).await
    }

    /// An order, masked unless `reveal` (which is audited).
    pub async fn get_order(self, ctx: &Ctx, id: Uuid, reveal: bool) -> AppResult<OrderView> {
        let row = self.visible_order(ctx, id).await?;
        if reveal {
            self.store().audit(&ctx.audit("order.reveal_pii", "order", id, json!({})), self.now_us()).await?;
        }
        let mut view = self.order_view(&row, reveal).await?;
        if row.state == OrderState::Filed.name() {
            view.filing = self.seam().order_filing(id).await?;
        }
        Ok(view)
    }

    /// The caller's orders, newest first.
    pub async fn list_orders(self, ctx: &Ctx, before: Option<Uuid>, limit: i64) -> AppResult<Vec<OrderView>> {
        let p = ctx.principal()?;
        let rows = self.store().orders_of(p.id, before, limit.clamp(1, 100)).await?;
        let mut views = Vec::with_capacity(rows.len());
        for r in &rows {
            views.push(self.order_view(r, false).await?);
        }
        Ok(views)
    }

    /// The caller's newest orders as a list shows them — kind, state, subject, time — without
    /// decrypting any of them.
    pub async fn order_summaries(
        self,
        ctx: &Ctx,
        before: Option<Uuid>,
        limit: i64,
    ) -> AppResult<Vec<OrderSummary>> {
        let p = ctx.principal()?;
        let rows = self.store().order_lines_of(p.id, before, limit.clamp(1, 100)).await?;
        Ok(rows.into_iter().map(OrderSummary::from).collect())
    }

    /// The row update of an applicant's edit: the new document and the rule engine's findings
    /// on it, stored so that every read of the draft shows them.
    pub(crate) async fn edited(self, row: &OrderRow, doc: &OrderDoc, now: i64) -> AppResult<OrderUpdate> {
        Ok(OrderUpdate {
            kind: doc.order.kind.key().to_owned(),
            data: self.encrypt_order(row.id, doc)?,
            findings: self.findings_json(row, doc).await?,
            updated_at: now,
            ..OrderUpdate::from(row)
        })
    }

    /// The rule engine's findings on `doc` as stored on its row (JSON).
    async fn findings_json(self, row: &OrderRow, doc: &OrderDoc) -> AppResult<String> {
        let rule_ctx = self.rule_context(row, doc).await?;
        Ok(serde_json::to_string(&check(&doc.order, &rule_ctx))?)
    }

    /// The caller's own order at the version `if_match` names, while it may still be edited
    /// (a draft or a returned order) and for the subject it was started for; with the version
    /// to write against.
    pub(crate) async fn own_editable_order(
        self,
        ctx: &Ctx,
        id: Uuid,
        if_match: Option<i64>,
        subject_id: Uuid,
    ) -> AppResult<(OrderRow, i64)> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let row = self.visible_order(ctx, id).await?;
        if row.owner_id != ctx.principal()?.id {
            return Err(AppError::Forbidden);
        }
        if row.version != expected {
            return Err(AppError::PreconditionFailed { current_version: row.version });
        }
        let state: OrderState = serde_json::from_str(&row.state_data)?;
        if !state.is_editable() {
            return Err(AppError::conflict(
                "ORDER_NOT_EDITABLE",
                Text::new("problem.order_not_editable.orders"),
            ));
        }
        if subject_id != row.subject_id {
            return Err(AppError::field(
                "subject_id",
                "SUBJECT_IMMUTABLE",
                Text::new("problem.subject_immutable"),
            ));
        }
        Ok((row, expected))
    }

    /// Replaces the applicant's part of an editable order (`If-Match` required).
    pub async fn update_order(
        self,
        ctx: &Ctx,
        id: Uuid,
        if_match: Option<i64>,
        input: OrderInput,
    ) -> AppResult<OrderView> {
        let (row, expected) = self.own_editable_order(ctx, id, if_match, input.subject_id).await?;
        let stored = self.decrypt_order(&row)?;
        let kind = input.kind.unwrap_or(stored.order.kind);
        self.check_cancellation(kind, input.cancel_reason.as_deref()).await?;
        let mut order = self.build_order(stored.order.subject.clone(), &row.province, kind, &input)?;
        unmask_order(&mut order, &stored.order);
        // The subject is edited through its own endpoint; refresh it from there.
        let subject_row = self.store().subject(row.subject_id).await?.ok_or(AppError::NotFound)?;
        order.subject = self.subjects().decrypt_subject(&subject_row)?;
        if input.kind.is_none() {
            crate::changes::follow_changes(&mut order, stored.filed.as_ref());
        }
        let doc = OrderDoc {
            order,
            domain_facts: input.domain_facts,
            verification: stored.verification,
            filed: stored.filed,
        };
        let now = self.now_us();
        let update = self.edited(&row, &doc, now).await?;
        let mut tx = self.store().begin().await?;
        if !tx.update_order(id, expected, &update).await? {
            return Err(AppError::PreconditionFailed { current_version: row.version });
        }
        tx.audit(&ctx.audit("order.update", "order", id, json!({})), now).await?;
        tx.commit().await?;
        let row = self.store().order(id).await?.ok_or(AppError::NotFound)?;
        self.order_view(&row, false).await
    }

    /// The rule-engine context for an order: today, the provider's IP pools, what is on file.
    pub(crate) async fn rule_context(self, row: &OrderRow, doc: &OrderDoc) -> AppResult<Context> {
        let mut ctx = Context::new(self.clock().today());
        let cal = self.admin().calendar().await?;
        ctx.holidays = cal.holidays();
        ctx.extra_workdays = cal.workdays();
        ctx.provider_ip_pools = self.ip_filing().pool_blocks().await?;
        ctx.domains = doc.domain_facts.clone();
        ctx.as_filed = doc.filed.clone().map(Box::new);
        let numbers = self.store().service_numbers().await?;
        if !numbers.is_empty() {
            ctx.service_numbers = Some(numbers.into_iter().map(|n| (n.code, n.quota - n.used)).collect());
        }
        let subject = self.store().subject(row.subject_id).await?.ok_or(AppError::NotFound)?;
        self.bureau_context(&mut ctx, doc, subject.filed_number.as_deref()).await?;
        if let Some(number) = subject.filed_number {
            ctx.on_file = Some(FiledSubject {
                number,
                head_certificate: Some(doc.order.subject.head.certificate.number.clone()),
                certificate: Some(doc.order.subject.certificate.number.clone()),
                services: self.seam().filed_services(row.subject_id).await?,
            });
        }
        Ok(ctx)
    }

    /// What the bureau said the provider must refuse or flag: its blacklists (HMDLB, FFJRHMD,
    /// kept as they come down) and, over V3.0, the order's domains filed under another subject.
    async fn bureau_context(
        self,
        ctx: &mut Context,
        doc: &OrderDoc,
        known_number: Option<&str>,
    ) -> AppResult<()> {
        let order = &doc.order;
        let domains: Vec<String> = order.websites.iter().flat_map(|w| w.domains.iter().cloned()).collect();
        let registrable: Vec<String> = domains.iter().map(|d| registrable(d)).collect();
        let cert =
            hex::encode(self.keys().blind_index("cert", &normalize_cert(&order.subject.certificate.number)));
        ctx.subject_blacklisted = !self.store().miit_listed(LISTED_SUBJECT, &[cert]).await?.is_empty();
        ctx.domains_blacklisted = self.store().miit_listed(LISTED_DOMAIN, &registrable).await?;
        ctx.domains_served_unfiled = self.store().miit_listed(LISTED_ILLEGAL_ACCESS, &registrable).await?;
        let kind = order.kind;
        if (kind.adds_services() || kind == OrderKind::NewAccess || kind.is_change())
            && let Some(view) =
                self.seam().bureau_view(order.subject.nature, &order.subject.certificate, &domains).await
        {
            ctx.domains_filed_elsewhere =
                view.filed_elsewhere(known_number.or(order.subject.existing_number.as_deref()));
        }
        Ok(())
    }

    /// Runs the rule engine on an order (the API's explicit check, rate-limited per caller).
    pub async fn check_order(self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<Finding>> {
        self.auth().rate_limit(&format!("check:{}", ctx.principal()?.id), 600, 60).await?;
        self.order_findings(ctx, id).await
    }

    /// The rule engine's findings on an order as a page shows them beside its fields: the
    /// cost of rendering that page, so not counted against the API's check limit.
    pub async fn order_findings(self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<Finding>> {
        let row = self.visible_order(ctx, id).await?;
        let doc = self.decrypt_order(&row)?;
        let rule_ctx = self.rule_context(&row, &doc).await?;
        Ok(check(&doc.order, &rule_ctx))
    }

    /// Submits a draft or returned order to the provider's review queue. Refused while `error`
    /// findings remain, documents are missing, or the identity photos are not uploaded.
    pub async fn submit_order(self, ctx: &Ctx, id: Uuid, if_match: Option<i64>) -> AppResult<OrderView> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let row = self.visible_order(ctx, id).await?;
        if row.owner_id != ctx.principal()?.id {
            return Err(AppError::Forbidden);
        }
        let doc = self.decrypt_order(&row)?;
        let rule_ctx = self.rule_context(&row, &doc).await?;
        let findings = check(&doc.order, &rule_ctx);
        let docs = self.store().documents_of_order(id).await?;
        let uploaded: BTreeSet<(String, String)> =
            docs.iter().map(|d| (d.kind.clone(), d.subject_path.clone())).collect();
        let required = required_documents(&doc.order);
        let documents_complete = required.is_subset(&uploaded);
        let identity_verified = crate::verify::applicant_done(self.verifier().automatic(), &required, &docs);
        let ready = Readiness {
            error_findings: findings
                .iter()
                .filter(|f| f.severity == beian_core::policy::Severity::Error)
                .count(),
            documents_complete,
            identity_verified,
        };
        // An editable order that is not ready is refused with the list of what it lacks (the
        // state machine would refuse it too, but only with counts).
        let needs =
            crate::requirements::requirements(&required, &docs, &findings, self.verifier().automatic());
        if !needs.ready && row.version == expected && matches!(row.state.as_str(), "draft" | "returned") {
            let why = beian_core::workflow::TransitionError::NotReady {
                error_findings: ready.error_findings,
                documents_complete,
                identity_verified,
            };
            return Err(AppError::conflict_with(
                "ORDER_NOT_READY",
                Text::of(&why),
                json!({ "missing": needs.missing }),
            ));
        }
        let findings_json = serde_json::to_string(&findings)?;
        if matches!(
            doc.order.kind,
            OrderKind::NewServiceHere | OrderKind::NewServiceElsewhere | OrderKind::NewAccess
        ) {
            // The bureau re-checks the subject's filed sites (rules.md §3.8): scan them now so
            // the reviewer's check sees today's state. Queued before the submission commits; a
            // scan of a submission that then fails is harmless.
            self.compliance()
                .scan_filed_sites_now(row.subject_id, &format!("order:{id}:v{}", row.version))
                .await?;
        }
        let now = self.now_us();
        let owner = self.store().account(row.owner_id).await?.ok_or(AppError::NotFound)?;
        let mail = crate::notify::Notice::order_submitted(&self.config().base_url, id);
        self.apply_event(
            ctx,
            &row,
            expected,
            (Event::Submit { ready }, Actor::Applicant),
            |u| {
                u.findings = findings_json;
                u.submitted_at = Some(now);
                u.review_findings = "[]".into();
            },
            Some((&owner.email, mail)),
        )
        .await
    }

    /// Withdraws an order that is not yet being reviewed.
    pub async fn withdraw_order(self, ctx: &Ctx, id: Uuid, if_match: Option<i64>) -> AppResult<OrderView> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let row = self.visible_order(ctx, id).await?;
        if row.owner_id != ctx.principal()?.id {
            return Err(AppError::Forbidden);
        }
        self.apply_event(ctx, &row, expected, (Event::Withdraw, Actor::Applicant), |_| {}, None).await
    }

    /// The order's timeline.
    pub async fn order_timeline(self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<TimelineEntry>> {
        self.visible_order(ctx, id).await?;
        Ok(self
            .store()
            .order_events(id)
            .await?
            .into_iter()
            .map(|e| TimelineEntry {
                at: rfc3339(e.at),
                actor_role: e.actor_role,
                event: e.event,
                from_state: e.from_state,
                to_state: e.to_state,
                detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }

    /// Applies one workflow event: runs the pure transition, writes the new state under
    /// optimistic concurrency together with the timeline entry, the audit event and the
    /// notification job — all in one transaction.
    pub(crate) async fn apply_event(
        self,
        ctx: &Ctx,
        row: &OrderRow,
        expected_version: i64,
        (event, actor): (Event, Actor),
        customize: impl FnOnce(&mut OrderUpdate),
        notify: Option<(&str, crate::notify::Notice)>,
    ) -> AppResult<OrderView> {
        if row.version != expected_version {
            return Err(AppError::PreconditionFailed { current_version: row.version });
        }
        let state: OrderState = serde_json::from_str(&row.state_data)?;
        let kind: OrderKind = serde_json::from_value(serde_json::Value::String(row.kind.clone()))?;
        let next = transition(&state, &event, actor, kind).map_err(|e| AppError::conflict_of(&e))?;
        let now = self.now_us();
        let mut u = OrderUpdate::from(row);
        customize(&mut u);
        let p = ctx.principal()?;
        let step = Step {
            at: now,
            actor_id: Some(p.id),
            actor_role: p.role.as_str().into(),
            event: event.name().into(),
            from: state.name().into(),
            to: next.name().into(),
            detail: event_detail(&event, &u),
        };
        // Read before the transaction: on SQLite it holds the write lock, and a second
        // connection taken inside it could wait behind queued writers.
        let quotas = matches!(event, Event::Approve) && !self.store().service_numbers().await?.is_empty();
        let mut tx = self.store().begin().await?;
        if !self.write_order_state(&mut tx, row, expected_version, &next, u, &[step]).await? {
            return Err(AppError::PreconditionFailed { current_version: row.version + 1 });
        }
        tx.audit(
            &ctx.audit(
                &format!("order.{}", event.name()),
                "order",
                row.id,
                json!({ "from": state.name(), "to": next.name() }),
            ),
            now,
        )
        .await?;
        if quotas {
            self.use_service_numbers(&mut tx, row).await?;
        }
        if matches!(next, OrderState::QueuedForRegulator) {
            // The version this update writes: the submission id of this approval.
            self.seam().queue_delivery(&mut tx, row.id, expected_version + 1).await?;
        }
        if let Some((to, notice)) = notify {
            self.notify().notify_account(&mut tx, to, &notice).await?;
            if let Some(text) = &notice.sms {
                let mobile = self.decrypt_order(row)?.order.subject.head.mobile;
                self.notify().queue_sms(&mut tx, &mobile, text).await?;
            }
        }
        tx.commit().await?;
        let row = self.store().order(row.id).await?.ok_or(AppError::NotFound)?;
        self.order_view(&row, false).await
    }
}

impl Orders<'_> {
    /// Uses one quota unit of each service's service number, inside the approval's
    /// transaction: a number cannot be overdrawn by two approvals at once.
    async fn use_service_numbers(self, tx: &mut beian_store::Tx, row: &OrderRow) -> AppResult<()> {
        let doc = self.decrypt_order(row)?;
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        let codes =
            doc.order.websites.iter().map(|w| &w.access).chain(doc.order.apps.iter().map(|a| &a.access));
        for code in codes.filter_map(|a| a.service_number.as_deref()).map(str::trim).filter(|c| !c.is_empty())
        {
            *counts.entry(code.to_owned()).or_default() += 1;
        }
        for (code, n) in counts {
            if !tx.use_service_number(&code, n).await? {
                return Err(AppError::conflict(
                    "SERVICE_NUMBER_EXHAUSTED",
                    Text::new("problem.service_number_exhausted").arg("code", code),
                ));
            }
        }
        Ok(())
    }
}

/// What the timeline shows about an event (no PII: field paths and reviewer texts only).
fn event_detail(event: &Event, u: &OrderUpdate) -> serde_json::Value {
    match event {
        Event::Reject { .. } => {
            let findings: Vec<ReviewFinding> = serde_json::from_str(&u.review_findings).unwrap_or_default();
            json!({ "review_findings": findings })
        }
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use beian_core::calendar::Calendar;

    /// Monday 2026-11-02 10:00 at +08:00, in microseconds (no holidays in the next six weeks).
    const MONDAY: i64 = 1_793_584_800_000_000;

    fn sla_due(state: &str, since: i64, province: &str) -> Option<String> {
        let due = super::sla_due(Calendar::builtin(), state, since, province)?;
        assert_eq!(due.year_without_calendar, None, "all within 2026");
        Some(due.date)
    }

    #[test]
    fn a_due_date_in_a_year_without_a_calendar_says_so() {
        // Zhejiang's 30 working days from Monday 23 November 2026 reach January 2027.
        let since = MONDAY + 21 * 86_400_000_000;
        let due = super::sla_due(Calendar::builtin(), "bureau_review", since, "33").unwrap();
        assert_eq!(due.year_without_calendar, Some(2027));
        assert_eq!(due.date, "2027-01-04");
    }

    #[test]
    fn review_time_limits_come_from_the_stage_and_the_province() {
        // The provider's two working days: Monday → Wednesday.
        assert_eq!(sla_due("in_review", MONDAY, "11").as_deref(), Some("2026-11-04"));
        // The bureau's: 20 working days (four weeks) by default, 30 in Zhejiang (six weeks).
        assert_eq!(sla_due("bureau_review", MONDAY, "11").as_deref(), Some("2026-11-30"));
        assert_eq!(sla_due("bureau_review", MONDAY, "33").as_deref(), Some("2026-12-14"));
        assert_eq!(sla_due("sms_pending", MONDAY, "33"), None);
        assert_eq!(sla_due("bureau_review", MONDAY, "99"), None, "an unknown province has no limit");
    }
}
