//! Public-security filing (公安联网备案) of filed websites, on the provider's side.
//!
//! When the bureau approves an order, every website it filed gets a PSB application, pre-filled
//! from the order, the provider profile's access block and the approval day as go-live
//! ([`beian_core::psb::prefill`]), in the transaction that records the approval. The owner
//! completes it (service types, interactivity, registrar…), accepts the responsibility
//! statement (version, time and account recorded), checks it with the PSB rules and submits
//! it; a `deliver_psb` job sends it over the same signed seam as ICP orders, and the PSB
//! platform's events come back through the same callback and are applied once each, in order.
//! An approval puts the PSB number on the application and a footer with both numbers in its
//! view. Until then the site counts against its 30-day deadline: a daily job reminds the owner
//! (e-mail) and the responsible person (SMS) on days 20, 27 and 30, and staff see the overdue
//! sites.
//!
//! This module must never send the application anywhere but the regulator, and never return
//! its certificate numbers or phones unmasked unless the caller asked to reveal them (audited).

pub use crate::footers::FooterView;
use beian_core::footer::Footer;
use beian_core::number::{Number, parse as parse_number};
use beian_core::psb::{Acceptance, AccessProvider, Deadline, PsbApplication, Registrar, Statement};
pub use beian_core::psb_workflow::PsbState;
use beian_core::psb_workflow::{PsbEvent, transition};
use beian_core::rules::{Finding, check_psb};
use beian_core::workflow::Actor;
use beian_seam::wire::{Event as RegEvent, PsbDecision};
use beian_store::{NewJob, PsbApplicationRow, Tx, Uuid, new_id};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::Date;

use crate::areas::Psb;
use crate::error::FieldError;
use crate::i18n::Text;
use crate::notify::Notice;
use crate::profile::ProviderProfile;
use crate::seam::{Filing, RegulatorError, SubmissionId};
use crate::views::{
    OrderDoc, ReviewFinding, keep, mask_cert, mask_person, mask_phone, rfc3339, unmask_person,
};
use crate::{AppError, AppResult, Ctx};

/// The job that sends a submitted application to the PSB platform.
pub const DELIVER_PSB: &str = "deliver_psb";
/// The daily job that sends deadline reminders.
pub const PSB_REMINDERS: &str = "psb_reminders";

const DELIVER_MAX_ATTEMPTS: i64 = 200;

/// An application as the API returns it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PsbView {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub order_id: Uuid,
    pub icp_number: String,
    pub state: PsbState,
    pub version: i64,
    /// Certificate numbers and phones masked unless revealed.
    pub application: PsbApplication,
    /// The 30 days from going live, as of today (China time).
    pub deadline: Deadline,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psb_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footer: Option<FooterView>,
    /// Why the officer or the platform refused it.
    pub review_findings: Vec<ReviewFinding>,
    /// The statement in force, which the owner accepts before submitting.
    pub statement: Statement,
    pub created_at: String,
    pub updated_at: String,
}

/// A line of the staff's deadline list.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PsbDeadlineView {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub icp_number: String,
    pub website_name: String,
    pub state: PsbState,
    pub deadline: Deadline,
    pub reminders_sent: Vec<i64>,
}

#[derive(Deserialize)]
struct DeliverJob {
    id: Uuid,
    submission_id: String,
}

fn data_aad(id: Uuid) -> String {
    format!("psb/{id}/data")
}

fn masked(mut a: PsbApplication) -> PsbApplication {
    mask_person(&mut a.responsible);
    a.emergency.mobile = mask_phone(&a.emergency.mobile);
    a.subject_certificate.number = mask_cert(a.subject_certificate.kind, &a.subject_certificate.number);
    a
}

/// Restores values the client sent back masked.
fn unmask(incoming: &mut PsbApplication, stored: &PsbApplication) {
    unmask_person(&mut incoming.responsible, &stored.responsible);
    keep(&mut incoming.emergency.mobile, &stored.emergency.mobile, mask_phone(&stored.emergency.mobile));
    keep(
        &mut incoming.subject_certificate.number,
        &stored.subject_certificate.number,
        mask_cert(stored.subject_certificate.kind, &stored.subject_certificate.number),
    );
}

/// The access block from the provider profile: the region's name from its code, the access
/// method's code from its label.
pub fn access_block(p: &ProviderProfile) -> AccessProvider {
    let region = p
        .region
        .parse::<u32>()
        .map(|code| beian_core::division::divisions().path(code).iter().map(|d| d.name).collect())
        .unwrap_or_default();
    let label = p.access_method.trim();
    let method = beian_core::psb::access_methods()
        .iter()
        .find(|m| m.zh == label || m.code == label)
        .map_or_else(|| label.to_owned(), |m| m.code.clone());
    AccessProvider {
        name: p.name.clone(),
        region,
        method,
        phone: p.phone.clone(),
        organization_code: p.organization_code.clone(),
    }
}

/// The stored state; an unknown name is a defect of the database, not of the caller.
fn state_of(row: &PsbApplicationRow) -> AppResult<PsbState> {
    PsbState::parse(&row.state).ok_or_else(|| anyhow::anyhow!("bad PSB state {}", row.state).into())
}

fn date_of(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

impl Psb<'_> {
    fn psb_decrypt(self, row: &PsbApplicationRow) -> AppResult<PsbApplication> {
        Ok(serde_json::from_slice(&self.keys().decrypt(&data_aad(row.id), &row.data)?)?)
    }

    fn psb_encrypt(self, id: Uuid, app: &PsbApplication) -> AppResult<Vec<u8>> {
        Ok(self.keys().encrypt(&data_aad(id), &serde_json::to_vec(app)?)?)
    }

    fn psb_view(self, row: &PsbApplicationRow, reveal: bool) -> AppResult<PsbView> {
        let app = self.psb_decrypt(row)?;
        let state = state_of(row)?;
        let footer = match (&row.psb_number, parse_number(&row.icp_number).map(|p| p.number)) {
            (Some(psb), Ok(Number::IcpFiling(icp))) => match parse_number(psb).map(|p| p.number) {
                Ok(Number::Psb(psb)) => {
                    let mut f = Footer::new(icp, Some(psb), &app.subject_name, self.clock().today().year());
                    f.badge_src = self.compliance().psb_badge_src();
                    Some(crate::footers::footer_view(&f))
                }
                _ => None,
            },
            _ => None,
        };
        Ok(PsbView {
            id: row.id,
            subject_id: row.subject_id,
            order_id: row.order_id,
            icp_number: row.icp_number.clone(),
            state,
            version: row.version,
            deadline: beian_core::psb::deadline(app.go_live, self.clock().today()),
            application: if reveal { app } else { masked(app) },
            psb_number: row.psb_number.clone(),
            footer,
            review_findings: serde_json::from_str(&row.review_findings).unwrap_or_default(),
            statement: beian_core::psb::statement().clone(),
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
        })
    }

    /// Creates a draft application for every website an approval filed, in the approval's
    /// transaction. A website that has one already keeps it.
    pub(crate) async fn create_psb_drafts(
        self,
        tx: &mut Tx,
        subject_id: Uuid,
        order_id: Uuid,
        doc: &OrderDoc,
        filing: &Filing,
        profile: Option<&ProviderProfile>,
    ) -> AppResult<usize> {
        let order = &doc.order;
        let access = profile.map(access_block).unwrap_or_default();
        let today = self.clock().today();
        let now = self.now_us();
        let mut n = 0;
        for s in &filing.decision.services {
            let Some(index) = s.path.strip_prefix("websites[").and_then(|r| r.strip_suffix(']')) else {
                continue;
            };
            let Ok(index) = index.parse::<usize>() else { continue };
            // The registrar of the site's first domain, as the applicant read it.
            let registrar = s
                .domains
                .first()
                .and_then(|d| doc.domain_facts.get(d))
                .and_then(|f| f.registrar.clone())
                .map(|name| Registrar { name, ..Registrar::default() })
                .unwrap_or_default();
            let Some(app) =
                beian_core::psb::prefill(order, index, &s.number, None, today, access.clone(), registrar)
            else {
                continue;
            };
            let id = new_id();
            let row = PsbApplicationRow {
                id,
                subject_id,
                order_id,
                icp_number: s.number.clone(),
                state: PsbState::Draft.as_str().into(),
                data: self.psb_encrypt(id, &app)?,
                go_live: today.to_string(),
                reminders_sent: "[]".into(),
                psb_number: None,
                submission_id: None,
                applied_seq: 0,
                review_findings: "[]".into(),
                version: 1,
                created_at: now,
                updated_at: now,
            };
            if tx.insert_psb_application(&row).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// An application the caller may see (its subject's owner, or staff); anything else is
    /// not found. Returns the row and whether the caller owns it.
    async fn visible_psb(self, ctx: &Ctx, id: Uuid) -> AppResult<(PsbApplicationRow, bool)> {
        let p = ctx.principal()?;
        let row = self.store().psb_application(id).await?.ok_or(AppError::NotFound)?;
        let subject = self.store().subject(row.subject_id).await?.ok_or(AppError::NotFound)?;
        let own = subject.owner_id == p.id;
        if !own && !p.role.is_staff() {
            return Err(AppError::NotFound);
        }
        Ok((row, own))
    }

    /// An application the caller owns and may change now (`If-Match` required).
    async fn editable_psb(self, ctx: &Ctx, id: Uuid, if_match: Option<i64>) -> AppResult<PsbApplicationRow> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let (row, own) = self.visible_psb(ctx, id).await?;
        if !own {
            return Err(AppError::Forbidden);
        }
        if row.version != expected {
            return Err(AppError::PreconditionFailed { current_version: row.version });
        }
        transition(state_of(&row)?, PsbEvent::Edit, Actor::Applicant)
            .map_err(|e| AppError::conflict_of(&e))?;
        Ok(row)
    }

    /// Writes a changed application with its audit entry.
    async fn save_psb(
        self,
        ctx: &Ctx,
        mut row: PsbApplicationRow,
        from: Option<&str>,
        action: &str,
        jobs: &[NewJob],
    ) -> AppResult<PsbView> {
        let expected = row.version;
        row.version += 1;
        row.updated_at = self.now_us();
        let mut tx = self.store().begin().await?;
        if !tx.update_psb_application(&row, expected).await? {
            return Err(AppError::PreconditionFailed { current_version: expected + 1 });
        }
        self.webhooks().emit_psb_state(&mut tx, &row, from).await?;
        for j in jobs {
            tx.enqueue(j, row.updated_at).await?;
        }
        tx.audit(
            &ctx.audit(action, "psb_application", row.id, json!({ "version": row.version })),
            row.updated_at,
        )
        .await?;
        tx.commit().await?;
        self.psb_view(&row, false)
    }

    /// A subject's PSB applications (one per filed website).
    pub async fn psb_applications(self, ctx: &Ctx, subject_id: Uuid) -> AppResult<Vec<PsbView>> {
        self.subjects().visible_subject(ctx, subject_id).await?;
        let rows = self.store().psb_applications_of_subject(subject_id).await?;
        rows.iter().map(|r| self.psb_view(r, false)).collect()
    }

    /// One application; `reveal` shows PII in full and is audited.
    pub async fn get_psb(self, ctx: &Ctx, id: Uuid, reveal: bool) -> AppResult<PsbView> {
        let (row, _) = self.visible_psb(ctx, id).await?;
        if reveal {
            self.store()
                .audit(&ctx.audit("psb.reveal_pii", "psb_application", id, json!({})), self.now_us())
                .await?;
        }
        self.psb_view(&row, reveal)
    }

    /// Replaces the owner's part of a draft or rejected application. The ICP number and the
    /// statement's acceptance are the system's: a different ICP number is refused, the
    /// acceptance is kept. Masked values sent back are kept.
    pub async fn update_psb(
        self,
        ctx: &Ctx,
        id: Uuid,
        if_match: Option<i64>,
        mut input: PsbApplication,
    ) -> AppResult<PsbView> {
        let mut row = self.editable_psb(ctx, id, if_match).await?;
        let stored = self.psb_decrypt(&row)?;
        if input.icp_number.trim() != stored.icp_number {
            return Err(AppError::field(
                "icp_number",
                "PSB_ICP_NUMBER_FIXED",
                Text::new("problem.psb_icp_number_fixed"),
            ));
        }
        unmask(&mut input, &stored);
        input.icp_number = stored.icp_number.clone();
        input.statement = stored.statement.clone();
        // The access block is the provider's: kept as pre-filled, or taken from the profile
        // when the profile did not exist yet at approval.
        input.access = stored.access.clone();
        self.fill_access(&mut input).await?;
        if input.go_live != stored.go_live {
            // Reminders count from the new day.
            row.go_live = input.go_live.to_string();
            row.reminders_sent = "[]".into();
        }
        row.data = self.psb_encrypt(id, &input)?;
        self.save_psb(ctx, row, None, "psb.update", &[]).await
    }

    /// Fills an empty access block from the provider profile, if there is one now.
    async fn fill_access(self, app: &mut PsbApplication) -> AppResult<()> {
        if app.access.name.trim().is_empty()
            && let Some(profile) = self.admin().profile_setting().await?
        {
            app.access = access_block(&profile);
        }
        Ok(())
    }

    /// The owner accepts the responsibility statement in force: its version, the time and
    /// the account are recorded on the application and in the audit log.
    pub async fn accept_psb_statement(
        self,
        ctx: &Ctx,
        id: Uuid,
        if_match: Option<i64>,
    ) -> AppResult<PsbView> {
        let mut row = self.editable_psb(ctx, id, if_match).await?;
        let mut app = self.psb_decrypt(&row)?;
        app.statement = Some(Acceptance {
            version: beian_core::psb::statement().version.clone(),
            accepted_at: self.clock().now(),
            actor: format!("account:{}", ctx.principal()?.id),
        });
        row.data = self.psb_encrypt(id, &app)?;
        self.save_psb(ctx, row, None, "psb.accept_statement", &[]).await
    }

    /// The PSB rules on the application as it stands.
    pub async fn check_psb_application(self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<Finding>> {
        let (row, _) = self.visible_psb(ctx, id).await?;
        Ok(check_psb(&self.psb_decrypt(&row)?, self.clock().today()))
    }

    /// Submits the application to the PSB platform: refused with the rules' errors, else
    /// queued for delivery in the same transaction.
    pub async fn submit_psb(self, ctx: &Ctx, id: Uuid, if_match: Option<i64>) -> AppResult<PsbView> {
        let mut row = self.editable_psb(ctx, id, if_match).await?;
        let mut app = self.psb_decrypt(&row)?;
        self.fill_access(&mut app).await?;
        row.data = self.psb_encrypt(id, &app)?;
        let errors: Vec<FieldError> = check_psb(&app, self.clock().today())
            .into_iter()
            .filter(|f| f.severity == beian_core::policy::Severity::Error)
            .map(|f| FieldError::text(f.field, &f.code, Text::worded(&f.message.zh, &f.message.en)))
            .collect();
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let next = transition(state_of(&row)?, PsbEvent::Submit { error_findings: 0 }, Actor::Applicant)
            .map_err(|e| AppError::conflict_of(&e))?;
        // Retries of the job are one submission, a resubmission is a new one.
        let (sid, from) =
            (SubmissionId::Psb { application: id, version: row.version + 1 }.to_string(), row.state.clone());
        row.state = next.as_str().into();
        row.submission_id = Some(sid.clone());
        row.applied_seq = 0;
        row.review_findings = "[]".into();
        let job = NewJob {
            kind: DELIVER_PSB.into(),
            payload: json!({ "id": id, "submission_id": sid }).to_string(),
            run_at: self.now_us(),
            max_attempts: DELIVER_MAX_ATTEMPTS,
            dedup_key: Some(format!("{DELIVER_PSB}:{sid}")),
        };
        self.save_psb(ctx, row, Some(&from), "psb.submit", &[job]).await
    }

    /// The `deliver_psb` job. Idempotent: an application no longer waiting under this
    /// submission id is left alone, and the id makes a repeated submit the same submission.
    pub(crate) async fn deliver_psb(self, payload: &str) -> anyhow::Result<()> {
        let job: DeliverJob = serde_json::from_str(payload)?;
        let Some(row) = self.store().psb_application(job.id).await? else { return Ok(()) };
        if state_of(&row)? != PsbState::Submitted || row.submission_id.as_deref() != Some(&job.submission_id)
        {
            return Ok(());
        }
        let seam = self.regulator().ok_or_else(|| anyhow::anyhow!("no regulator is configured"))?;
        let app = self.psb_decrypt(&row)?;
        match seam.port.submit_psb(&job.submission_id, &app).await {
            Ok(events) => {
                self.apply_psb_events(&job.submission_id, &events).await?;
                Ok(())
            }
            Err(RegulatorError::Unavailable(why)) => anyhow::bail!("PSB platform unavailable: {why}"),
            Err(RegulatorError::Refused { code, message }) => {
                // Retrying cannot help: the owner must change the application.
                let reason = ReviewFinding {
                    field: String::new(),
                    error: format!("{code}: {message}"),
                    suggestion: String::new(),
                };
                self.psb_refused(row, reason).await?;
                Ok(())
            }
        }
    }

    /// The platform refused the application at intake: it comes back to the owner.
    async fn psb_refused(self, mut row: PsbApplicationRow, reason: ReviewFinding) -> AppResult<()> {
        let Ok(next) = transition(state_of(&row)?, PsbEvent::Refused, Actor::System) else { return Ok(()) };
        let (expected, from) = (row.version, row.state.clone());
        row.state = next.as_str().into();
        row.review_findings = serde_json::to_string(&[reason])?;
        row.version += 1;
        row.updated_at = self.now_us();
        let owner = self.psb_owner_email(&row).await?;
        let mut tx = self.store().begin().await?;
        if !tx.update_psb_application(&row, expected).await? {
            return Ok(());
        }
        self.webhooks().emit_psb_state(&mut tx, &row, Some(&from)).await?;
        self.notify()
            .notify_account(
                &mut tx,
                &owner,
                &Notice::psb_rejected(&self.config().base_url, row.id, &row.icp_number),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn psb_owner_email(self, row: &PsbApplicationRow) -> AppResult<String> {
        let subject = self.store().subject(row.subject_id).await?.ok_or(AppError::NotFound)?;
        Ok(self.store().account(subject.owner_id).await?.ok_or(AppError::NotFound)?.email)
    }

    /// Applies the PSB platform's events for `submission_id`: each once, in sequence order.
    pub async fn apply_psb_events(self, submission_id: &str, events: &[RegEvent]) -> AppResult<i64> {
        for _ in 0..5 {
            if let Some(seq) = self.try_apply_psb(submission_id, events).await? {
                return Ok(seq);
            }
        }
        Err(AppError::conflict("REGULATOR_BUSY", Text::new("problem.regulator_busy")))
    }

    async fn try_apply_psb(self, submission_id: &str, events: &[RegEvent]) -> AppResult<Option<i64>> {
        let mut row =
            self.store().psb_application_by_submission(submission_id).await?.ok_or(AppError::NotFound)?;
        let mut fresh: Vec<&RegEvent> = events.iter().filter(|e| e.seq > row.applied_seq).collect();
        fresh.sort_by_key(|e| e.seq);
        fresh.dedup_by_key(|e| e.seq);
        let run: Vec<&RegEvent> = fresh
            .iter()
            .enumerate()
            .take_while(|(i, e)| e.seq == row.applied_seq + 1 + *i as i64)
            .map(|(_, e)| *e)
            .collect();
        let Some(last) = run.last().map(|e| e.seq) else { return Ok(Some(row.applied_seq)) };
        let (base, from) = (self.config().base_url.clone(), row.state.clone());
        let mut notices = Vec::new();
        for e in &run {
            let Some(event) = PsbEvent::from_platform(&e.kind) else { continue };
            let state = state_of(&row)?;
            let next = match transition(state, event, Actor::Regulator) {
                Ok(next) => next,
                Err(err) => {
                    tracing::warn!(application = %row.id, seq = e.seq, kind = %e.kind, "PSB platform event not applicable: {}", beian_core::message::Problem::code(&err));
                    continue;
                }
            };
            row.state = next.as_str().into();
            match event {
                PsbEvent::Approved => {
                    let d: PsbDecision = serde_json::from_value(e.detail.clone())?;
                    notices.push(Notice::psb_approved(&base, row.id, &row.icp_number, &d.psb_number));
                    row.psb_number = Some(d.psb_number);
                }
                PsbEvent::Rejected => {
                    row.review_findings =
                        serde_json::to_string(&crate::seam::notices::reasons_of(&e.detail))?;
                    notices.push(Notice::psb_rejected(&base, row.id, &row.icp_number));
                }
                _ => {}
            }
        }
        let expected = row.version;
        row.applied_seq = last;
        row.version += 1;
        row.updated_at = self.now_us();
        // Read before the transaction (SQLite's write lock; see regulator.rs).
        let owner = if notices.is_empty() { None } else { Some(self.psb_owner_email(&row).await?) };
        let mobile = if notices.is_empty() { None } else { Some(self.psb_decrypt(&row)?.responsible.mobile) };
        let mut tx = self.store().begin().await?;
        if !tx.update_psb_application(&row, expected).await? {
            return Ok(None);
        }
        self.webhooks().emit_psb_state(&mut tx, &row, Some(&from)).await?;
        tx.audit(
            &crate::service_audit(
                "regulator",
                "psb.regulator_events",
                "psb_application",
                row.id,
                json!({ "submission_id": submission_id, "through": last, "state": row.state }),
            ),
            row.updated_at,
        )
        .await?;
        for n in &notices {
            if let Some(to) = &owner {
                self.notify().notify_account(&mut tx, to, n).await?;
            }
            if let (Some(text), Some(m)) = (&n.sms, &mobile) {
                self.notify().queue_sms(&mut tx, m, text).await?;
            }
        }
        tx.commit().await?;
        Ok(Some(last))
    }

    /// The bureau cancelled these websites' ICP filings, in the transaction that records it:
    /// their applications stop (`icp_cancelled`), and the owner of a site that holds a PSB
    /// number is told to cancel that filing at the platform.
    pub(crate) async fn psb_follow_cancellations(
        self,
        tx: &mut Tx,
        cancelled: &[String],
        owner_email: &str,
    ) -> AppResult<()> {
        for number in cancelled {
            let Some(mut row) = tx.psb_application_by_icp(number).await? else { continue };
            let Ok(next) = transition(state_of(&row)?, PsbEvent::IcpCancelled, Actor::System) else {
                continue;
            };
            let (expected, from) = (row.version, row.state.clone());
            row.state = next.as_str().into();
            row.version += 1;
            row.updated_at = self.now_us();
            if !tx.update_psb_application(&row, expected).await? {
                return Err(AppError::conflict("PSB_CHANGED", Text::new("problem.psb_changed")));
            }
            self.webhooks().emit_psb_state(tx, &row, Some(&from)).await?;
            if let Some(psb) = &row.psb_number {
                let notice = Notice::psb_cancel_due(&self.config().base_url, row.id, number, psb);
                self.notify().notify_account(tx, owner_email, &notice).await?;
            }
        }
        Ok(())
    }

    /// Fetches the application's events from the platform (when callbacks cannot arrive).
    pub async fn refresh_psb(self, ctx: &Ctx, id: Uuid) -> AppResult<PsbView> {
        let (row, _) = self.visible_psb(ctx, id).await?;
        if let Some(sid) = &row.submission_id {
            let seam = self.regulator().ok_or(AppError::NotFound)?;
            let events = seam.port.events(sid).await.map_err(|e| crate::seam::regulator_problem(&e))?;
            self.apply_psb_events(sid, &events).await?;
        }
        self.get_psb(ctx, id, false).await
    }

    /// Queues today's reminder run (the worker calls this hourly; the dedup key makes it
    /// once a day).
    pub async fn schedule_psb_reminders(self) -> AppResult<()> {
        self.jobs().schedule_once_today(PSB_REMINDERS).await
    }

    /// Sends the deadline reminders due today: for every website without a PSB number that
    /// has been live 20, 27 or 30 days, one e-mail to the owner and one SMS to the
    /// responsible person, each reminder day once (recorded with the message, in one
    /// transaction). Returns how many were sent.
    pub async fn send_psb_reminders(self) -> AppResult<usize> {
        let today = self.clock().today();
        let first = beian_core::psb::reminder_days().iter().copied().min().unwrap_or(0);
        let live_by = (today - time::Duration::days(first)).to_string();
        let mut sent = 0;
        for mut row in self.store().unfiled_psb_applications(&live_by, 10_000).await? {
            let Some(go_live) = date_of(&row.go_live) else { continue };
            let done: Vec<i64> = serde_json::from_str(&row.reminders_sent).unwrap_or_default();
            let Some(day) = beian_core::psb::reminder_due(go_live, today, &done) else { continue };
            let app = self.psb_decrypt(&row)?;
            let deadline = beian_core::psb::deadline(go_live, today);
            let notice = Notice::psb_reminder(
                &self.config().base_url,
                row.id,
                &app.website_name,
                &row.icp_number,
                &deadline,
            );
            let owner = self.psb_owner_email(&row).await?;
            let mut all = done.clone();
            all.push(day);
            let expected = row.version;
            row.reminders_sent = serde_json::to_string(&all)?;
            row.version += 1;
            row.updated_at = self.now_us();
            let mut tx = self.store().begin().await?;
            if !tx.update_psb_application(&row, expected).await? {
                continue; // changed meanwhile; tomorrow's run (or the next hour's) sees it
            }
            self.notify().notify_account(&mut tx, &owner, &notice).await?;
            if let Some(text) = &notice.sms {
                self.notify().queue_sms(&mut tx, &app.responsible.mobile, text).await?;
            }
            tx.commit().await?;
            sent += 1;
        }
        Ok(sent)
    }

    /// Websites without a PSB number, longest live first (staff): `overdue` keeps only those
    /// past their 30 days.
    pub async fn psb_deadlines(self, ctx: &Ctx, overdue: bool) -> AppResult<Vec<PsbDeadlineView>> {
        if !ctx.principal()?.role.is_staff() {
            return Err(AppError::Forbidden);
        }
        let today = self.clock().today();
        let live_by =
            if overdue { today - time::Duration::days(beian_core::psb::deadline_days() + 1) } else { today };
        let rows = self.store().unfiled_psb_applications(&live_by.to_string(), 1000).await?;
        self.deadline_views(rows)
    }

    /// The caller's own websites still without a PSB number, with their 30-day deadline (the
    /// home page's to-do), at most `limit`.
    pub async fn my_psb_deadlines(self, ctx: &Ctx, limit: i64) -> AppResult<Vec<PsbDeadlineView>> {
        let p = ctx.principal()?;
        let rows = self.store().unfiled_psb_applications_of_owner(p.id, limit.clamp(1, 100)).await?;
        self.deadline_views(rows)
    }

    fn deadline_views(self, rows: Vec<PsbApplicationRow>) -> AppResult<Vec<PsbDeadlineView>> {
        let today = self.clock().today();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(go_live) = date_of(&row.go_live) else { continue };
            let app = self.psb_decrypt(&row)?;
            out.push(PsbDeadlineView {
                id: row.id,
                subject_id: row.subject_id,
                icp_number: row.icp_number.clone(),
                website_name: app.website_name,
                state: PsbState::parse(&row.state).unwrap_or(PsbState::Draft),
                deadline: beian_core::psb::deadline(go_live, today),
                reminders_sent: serde_json::from_str(&row.reminders_sent).unwrap_or_default(),
            });
        }
        Ok(out)
    }
}
