//! Subjects (主体) an applicant manages. An agency may manage many; an applicant never sees
//! another applicant's subjects.

use beian_core::id::{HkMacauPermit, OrgCode, ResidentId, Uscc};
use beian_core::model::{CertificateKind, Subject, normalize_cert};
use beian_core::province::ProvinceCode;
use beian_store::{SubjectRow, Uuid, new_id};
use serde::Deserialize;
use serde_json::json;

use crate::areas::Subjects;
use crate::i18n::Text;
use crate::views::{SubjectView, mask_subject, rfc3339, unmask_subject};
use crate::{AppError, AppResult, Ctx, FieldError, Role};

/// A subject as the applicant sends it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectInput {
    /// Filing province, two digits.
    pub province: ProvinceCode,
    pub subject: Subject,
}

/// Checks the identifiers a subject is keyed by; everything else is the rule engine's job.
fn validate(s: &Subject, today: time::Date) -> AppResult<()> {
    let n = &s.certificate.number;
    let field = "subject.certificate.number";
    let err: Option<FieldError> = match s.certificate.kind {
        CertificateKind::BusinessLicence | CertificateKind::UsccCertificate => {
            Uscc::parse(n).err().map(|e| FieldError::new(field, &e))
        }
        CertificateKind::OrgCodeCertificate => OrgCode::parse(n).err().map(|e| FieldError::new(field, &e)),
        CertificateKind::ResidentId => ResidentId::parse(n, today).err().map(|e| FieldError::new(field, &e)),
        CertificateKind::HkMacauPermit => HkMacauPermit::parse(n).err().map(|e| FieldError::new(field, &e)),
        _ => (n.trim().is_empty() || n.len() > 40).then(|| {
            FieldError::text(field, "CERTIFICATE_INVALID", Text::new("problem.certificate_invalid"))
        }),
    };
    let mut errors: Vec<FieldError> = err.into_iter().collect();
    if s.name.trim().is_empty() || s.name.chars().count() > 100 {
        errors.push(FieldError::text(
            "subject.name",
            "SUBJECT_NAME_INVALID",
            Text::new("problem.subject_name_invalid"),
        ));
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
}

impl Subjects<'_> {
    pub(crate) fn subject_aad(id: Uuid) -> String {
        format!("subjects/{id}/data")
    }

    pub(crate) fn decrypt_subject(self, row: &SubjectRow) -> AppResult<Subject> {
        Ok(serde_json::from_slice(&self.keys().decrypt(&Self::subject_aad(row.id), &row.data)?)?)
    }

    fn subject_view(self, row: &SubjectRow, reveal: bool) -> AppResult<SubjectView> {
        let mut subject = self.decrypt_subject(row)?;
        // The subject's own rules, on what was saved (before masking): a warning such as a
        // unit code whose check character fails shows on every read and write.
        let findings = beian_core::province::ProvinceCode::parse(&row.province)
            .map(|p| {
                beian_core::rules::check_subject(
                    &subject,
                    p,
                    &beian_core::rules::Context::new(self.clock().today()),
                )
            })
            .unwrap_or_default();
        if !reveal {
            mask_subject(&mut subject);
        }
        Ok(SubjectView {
            id: row.id,
            version: row.version,
            findings,
            subject,
            province: row.province.clone(),
            filed_number: row.filed_number.clone(),
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
        })
    }

    /// Loads a subject the caller may see: their own, or any for staff.
    pub(crate) async fn visible_subject(self, ctx: &Ctx, id: Uuid) -> AppResult<SubjectRow> {
        let p = ctx.principal()?;
        let row = self.store().subject(id).await?.ok_or(AppError::NotFound)?;
        if row.owner_id != p.id && !p.role.is_staff() {
            return Err(AppError::NotFound);
        }
        Ok(row)
    }

    pub async fn create_subject(self, ctx: &Ctx, input: SubjectInput) -> AppResult<SubjectView> {
        let p = ctx.require(&[Role::Applicant, Role::Admin])?;
        validate(&input.subject, self.clock().today())?;
        let id = new_id();
        let now = self.now_us();
        let s = &input.subject;
        let row = SubjectRow {
            id,
            owner_id: p.id,
            nature: serde_json::to_value(s.nature)?.as_str().unwrap_or_default().to_owned(),
            name: s.name.trim().to_owned(),
            province: input.province.to_string(),
            cert_index: self.keys().blind_index("cert", &normalize_cert(&s.certificate.number)),
            data: self.keys().encrypt(&Self::subject_aad(id), &serde_json::to_vec(s)?)?,
            filed_number: s.existing_number.clone().filter(|n| !n.trim().is_empty()),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store().begin().await?;
        match tx.insert_subject(&row).await {
            Ok(()) => {}
            Err(beian_store::StoreError::Conflict { .. }) => {
                return Err(AppError::conflict("SUBJECT_EXISTS", Text::new("problem.subject_exists")));
            }
            Err(e) => return Err(e.into()),
        }
        tx.audit(&ctx.audit("subject.create", "subject", id, json!({ "province": row.province })), now)
            .await?;
        tx.commit().await?;
        self.subject_view(&row, false)
    }

    /// A subject, masked unless `reveal` (which is audited).
    pub async fn get_subject(self, ctx: &Ctx, id: Uuid, reveal: bool) -> AppResult<SubjectView> {
        let row = self.visible_subject(ctx, id).await?;
        if reveal {
            self.store()
                .audit(&ctx.audit("subject.reveal_pii", "subject", id, json!({})), self.now_us())
                .await?;
        }
        self.subject_view(&row, reveal)
    }

    /// The caller's subjects, newest first.
    pub async fn list_subjects(
        self,
        ctx: &Ctx,
        before: Option<Uuid>,
        limit: i64,
    ) -> AppResult<Vec<SubjectView>> {
        let p = ctx.principal()?;
        let rows = self.store().subjects_of(p.id, before, limit.clamp(1, 100)).await?;
        rows.iter().map(|r| self.subject_view(r, false)).collect()
    }

    /// The caller's newest subjects as a list shows them, without decrypting any.
    pub async fn subject_summaries(
        self,
        ctx: &Ctx,
        before: Option<Uuid>,
        limit: i64,
    ) -> AppResult<Vec<SubjectSummary>> {
        let p = ctx.principal()?;
        let rows = self.store().subjects_of(p.id, before, limit.clamp(1, 100)).await?;
        Ok(rows
            .into_iter()
            .map(|r| SubjectSummary {
                id: r.id,
                name: r.name,
                province: r.province,
                filed_number: r.filed_number,
            })
            .collect())
    }

    /// Replaces a subject's details under optimistic concurrency.
    pub async fn update_subject(
        self,
        ctx: &Ctx,
        id: Uuid,
        if_match: Option<i64>,
        input: SubjectInput,
    ) -> AppResult<SubjectView> {
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let row = self.visible_subject(ctx, id).await?;
        if row.owner_id != ctx.principal()?.id {
            return Err(AppError::Forbidden);
        }
        if row.version != expected {
            return Err(AppError::PreconditionFailed { current_version: row.version });
        }
        let stored = self.decrypt_subject(&row)?;
        let mut s = input.subject;
        unmask_subject(&mut s, &stored);
        if row.filed_number.is_some()
            && normalize_cert(&s.certificate.number) != normalize_cert(&stored.certificate.number)
        {
            return Err(AppError::field(
                "subject.certificate.number",
                "FILED_SUBJECT_IMMUTABLE",
                Text::new("problem.filed_subject_immutable"),
            ));
        }
        validate(&s, self.clock().today())?;
        let now = self.now_us();
        let new = SubjectRow {
            nature: serde_json::to_value(s.nature)?.as_str().unwrap_or_default().to_owned(),
            name: s.name.trim().to_owned(),
            province: input.province.to_string(),
            cert_index: self.keys().blind_index("cert", &normalize_cert(&s.certificate.number)),
            data: self.keys().encrypt(&Self::subject_aad(id), &serde_json::to_vec(&s)?)?,
            updated_at: now,
            ..row.clone()
        };
        let mut tx = self.store().begin().await?;
        if !tx.update_subject(&new, expected).await? {
            return Err(AppError::PreconditionFailed { current_version: row.version });
        }
        tx.audit(&ctx.audit("subject.update", "subject", id, json!({})), now).await?;
        tx.commit().await?;
        let row = self.store().subject(id).await?.ok_or(AppError::NotFound)?;
        self.subject_view(&row, false)
    }
}

/// A subject with what hangs off it, for its page: the subject (masked), its newest orders,
/// the open one if any, and its services on file with their latest footer scans.
#[derive(Debug, Clone)]
pub struct SubjectOverview {
    pub subject: SubjectView,
    pub orders: Vec<crate::orders::OrderSummary>,
    pub open_order: Option<Uuid>,
    pub filed: Vec<beian_core::rules::FiledService>,
}

impl Subjects<'_> {
    /// One of the caller's subjects (or any, for staff) with its orders and filings.
    pub async fn subject_overview(self, ctx: &Ctx, id: Uuid) -> AppResult<SubjectOverview> {
        let row = self.visible_subject(ctx, id).await?;
        let subject = self.subject_view(&row, false)?;
        let orders: Vec<crate::orders::OrderSummary> =
            self.store().order_lines_of_subject(id, 50).await?.into_iter().map(Into::into).collect();
        let open_order = self.store().open_order_of_subject(id).await?;
        let filed = self.seam().filed_services(id).await?;
        Ok(SubjectOverview { subject, orders, open_order, filed })
    }
}

/// One line of a subject list (no PII: the name, the province, the filed number).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct SubjectSummary {
    pub id: Uuid,
    pub name: String,
    pub province: String,
    pub filed_number: Option<String>,
}
