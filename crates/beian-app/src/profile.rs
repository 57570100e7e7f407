//! Provider administration: the provider profile (pre-fills forms later), IP pools, the
//! audit log, dead-lettered jobs and the message outbox.

use beian_core::id::{Landline, Mobile, OrgCode, Uscc};
use beian_core::province::ProvinceCode;
use beian_store::Uuid;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::areas::Admin;
use crate::i18n::Text;
use crate::views::rfc3339;
use crate::{AppError, AppResult, Ctx, FieldError, Role};

/// The access provider's own details (used for PSB forms and as the filing's provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderProfile {
    pub name: String,
    /// GB/T 2260 code of the provider's region, e.g. "330110".
    pub region: String,
    pub phone: String,
    /// Organization code (or USCC) of the provider.
    pub organization_code: String,
    /// 接入方式 offered, e.g. 租赁虚拟空间.
    #[serde(default)]
    pub access_method: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ProfileView {
    pub version: i64,
    pub profile: Option<ProviderProfile>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AuditView {
    pub id: Uuid,
    pub at: String,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct JobView {
    pub id: Uuid,
    pub kind: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MessageView {
    pub id: Uuid,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub created_at: String,
    pub error: Option<String>,
}

const PROFILE: &str = "provider_profile";

fn validate_profile(p: &ProviderProfile) -> AppResult<()> {
    let mut errors = Vec::new();
    if p.name.trim().is_empty() || p.name.chars().count() > 100 {
        errors.push(FieldError::text(
            "name",
            "PROVIDER_NAME_INVALID",
            Text::new("problem.provider_name_invalid"),
        ));
    }
    let region_ok = p.region.len() == 6
        && p.region.parse::<u32>().is_ok_and(|r| beian_core::division::divisions().is_current(r))
        && ProvinceCode::parse(&p.region).is_some();
    if !region_ok {
        errors.push(FieldError::text("region", "REGION_INVALID", Text::new("problem.region_invalid")));
    }
    if let (Err(e), Err(_)) = (Landline::parse(&p.phone), Mobile::parse(&p.phone)) {
        // Service hotlines like 95187 are neither; accept 5–8 digit hotlines too.
        let hotline = p.phone.trim().len() >= 5
            && p.phone.trim().len() <= 8
            && p.phone.trim().bytes().all(|b| b.is_ascii_digit());
        if !hotline {
            errors.push(FieldError::new("phone", &e));
        }
    }
    if let (Err(e), Err(_)) = (OrgCode::parse(&p.organization_code), Uscc::parse(&p.organization_code)) {
        errors.push(FieldError::new("organization_code", &e));
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
}

/// A message body as the outbox shows it: one-time tokens in links (password resets) are
/// hidden, so reading the outbox does not open anyone's account.
fn audit_view(a: beian_store::AuditRow) -> AuditView {
    AuditView {
        id: a.id,
        at: rfc3339(a.at),
        actor_id: a.actor_id,
        actor_role: a.actor_role,
        action: a.action,
        object_type: a.object_type,
        object_id: a.object_id,
        ip: a.ip,
        request_id: a.request_id,
        detail: serde_json::from_str(&a.detail).unwrap_or(serde_json::Value::Null),
    }
}

impl Admin<'_> {
    pub async fn provider_profile(self, ctx: &Ctx) -> AppResult<ProfileView> {
        // Staff only: applicants get what they need of it through their order's pages.
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        Ok(match self.store().setting(PROFILE).await? {
            Some(s) => ProfileView { version: s.version, profile: Some(serde_json::from_str(&s.value)?) },
            None => ProfileView { version: 0, profile: None },
        })
    }

    /// The provider profile, if one was saved (internal use: no caller check).
    pub(crate) async fn profile_setting(self) -> AppResult<Option<ProviderProfile>> {
        Ok(self.store().setting(PROFILE).await?.map(|s| serde_json::from_str(&s.value)).transpose()?)
    }

    /// Saves the provider profile; `if_match` is the version read (0 when none exists).
    pub async fn put_provider_profile(
        self,
        ctx: &Ctx,
        if_match: Option<i64>,
        p: ProviderProfile,
    ) -> AppResult<ProfileView> {
        ctx.require(&[Role::Admin])?;
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        validate_profile(&p)?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        if !tx.put_setting(PROFILE, &serde_json::to_string(&p)?, expected, now).await? {
            let current = self.store().setting(PROFILE).await?.map_or(0, |s| s.version);
            return Err(AppError::PreconditionFailed { current_version: current });
        }
        tx.audit(&ctx.audit("provider_profile.update", "setting", PROFILE, json!({})), now).await?;
        tx.commit().await?;
        self.provider_profile(ctx).await
    }

    /// The audit log (admins), oldest first after the cursor.
    pub async fn audit_log(
        self,
        ctx: &Ctx,
        object: Option<(String, String)>,
        after: Option<Uuid>,
        limit: i64,
    ) -> AppResult<Vec<AuditView>> {
        ctx.require(&[Role::Admin])?;
        let rows = self
            .store()
            .audit_events(object.as_ref().map(|(t, i)| (t.as_str(), i.as_str())), after, limit.clamp(1, 1000))
            .await?;
        Ok(rows.into_iter().map(audit_view).collect())
    }

    /// The audit log newest first, before the entry `before` (the admin page).
    pub async fn audit_log_newest(
        self,
        ctx: &Ctx,
        object: Option<(String, String)>,
        before: Option<Uuid>,
        limit: i64,
    ) -> AppResult<Vec<AuditView>> {
        ctx.require(&[Role::Admin])?;
        let rows = self
            .store()
            .audit_events_newest(
                object.as_ref().map(|(t, i)| (t.as_str(), i.as_str())),
                before,
                limit.clamp(1, 1000),
            )
            .await?;
        Ok(rows.into_iter().map(audit_view).collect())
    }

    pub async fn dead_jobs(self, ctx: &Ctx) -> AppResult<Vec<JobView>> {
        ctx.require(&[Role::Admin])?;
        Ok(self
            .store()
            .dead_jobs(200)
            .await?
            .into_iter()
            .map(|j| JobView {
                id: j.id,
                kind: j.kind,
                attempts: j.attempts,
                last_error: j.last_error,
                created_at: rfc3339(j.created_at),
            })
            .collect())
    }

    pub async fn retry_dead_job(self, ctx: &Ctx, id: Uuid) -> AppResult<()> {
        ctx.require(&[Role::Admin])?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        if !tx.revive_job(id, now).await? {
            return Err(AppError::NotFound);
        }
        tx.audit(&ctx.audit("job.retry", "job", id, json!({})), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The outbox (admins): messages with masked recipients.
    pub async fn messages(
        self,
        ctx: &Ctx,
        channel: &str,
        before: Option<Uuid>,
    ) -> AppResult<Vec<MessageView>> {
        ctx.require(&[Role::Admin])?;
        if !matches!(channel, "email" | "sms") {
            return Err(AppError::field("channel", "CHANNEL_INVALID", Text::new("problem.channel_invalid")));
        }
        Ok(self
            .store()
            .messages(channel, before, 100)
            .await?
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                channel: m.channel,
                recipient: m.recipient_masked,
                subject: m.subject,
                body: crate::redact::redact_links(&m.body),
                status: m.status,
                created_at: rfc3339(m.created_at),
                error: m.error,
            })
            .collect())
    }
}

/// A rejection template as listed.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TemplateView {
    pub id: Uuid,
    pub field: String,
    pub error: String,
    pub suggestion: String,
}

/// A template as an admin writes it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// The field it concerns, as a JSON path (`websites[].name`).
    pub field: String,
    pub error: String,
    pub suggestion: String,
}

/// A service number as listed.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ServiceNumberView {
    pub id: Uuid,
    pub code: String,
    pub instance: String,
    pub quota: i64,
    pub used: i64,
}

/// A new service number: the server instance it is bound to and how many services it may file.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceNumberInput {
    pub instance: String,
    #[serde(default = "default_quota")]
    pub quota: i64,
}

fn default_quota() -> i64 {
    5
}

fn validate_template(t: &TemplateInput) -> AppResult<()> {
    let bad = |s: &str, max: usize| s.trim().is_empty() || s.chars().count() > max;
    if bad(&t.field, 200) || bad(&t.error, 500) || t.suggestion.chars().count() > 500 {
        return Err(AppError::field("template", "TEMPLATE_INVALID", Text::new("problem.template_invalid")));
    }
    Ok(())
}

impl Admin<'_> {
    /// Rejection templates, for reviewers.
    pub async fn templates(self, ctx: &Ctx) -> AppResult<Vec<TemplateView>> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        Ok(self
            .store()
            .templates()
            .await?
            .into_iter()
            .map(|t| TemplateView { id: t.id, field: t.field, error: t.error, suggestion: t.suggestion })
            .collect())
    }

    pub async fn create_template(self, ctx: &Ctx, t: TemplateInput) -> AppResult<TemplateView> {
        ctx.require(&[Role::Admin])?;
        validate_template(&t)?;
        let row = beian_store::TemplateRow {
            id: beian_store::new_id(),
            field: t.field.trim().into(),
            error: t.error.trim().into(),
            suggestion: t.suggestion.trim().into(),
            created_at: self.now_us(),
        };
        let mut tx = self.store().begin().await?;
        tx.insert_template(&row).await?;
        tx.audit(&ctx.audit("template.create", "template", row.id, json!({})), self.now_us()).await?;
        tx.commit().await?;
        Ok(TemplateView { id: row.id, field: row.field, error: row.error, suggestion: row.suggestion })
    }

    pub async fn update_template(self, ctx: &Ctx, id: Uuid, t: TemplateInput) -> AppResult<TemplateView> {
        ctx.require(&[Role::Admin])?;
        validate_template(&t)?;
        let row = beian_store::TemplateRow {
            id,
            field: t.field.trim().into(),
            error: t.error.trim().into(),
            suggestion: t.suggestion.trim().into(),
            created_at: 0,
        };
        let mut tx = self.store().begin().await?;
        if !tx.update_template(&row).await? {
            return Err(AppError::NotFound);
        }
        tx.audit(&ctx.audit("template.update", "template", id, json!({})), self.now_us()).await?;
        tx.commit().await?;
        Ok(TemplateView { id, field: row.field, error: row.error, suggestion: row.suggestion })
    }

    pub async fn delete_template(self, ctx: &Ctx, id: Uuid) -> AppResult<()> {
        ctx.require(&[Role::Admin])?;
        let mut tx = self.store().begin().await?;
        if !tx.delete_template(id).await? {
            return Err(AppError::NotFound);
        }
        tx.audit(&ctx.audit("template.delete", "template", id, json!({})), self.now_us()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn service_numbers(self, ctx: &Ctx) -> AppResult<Vec<ServiceNumberView>> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        Ok(self
            .store()
            .service_numbers()
            .await?
            .into_iter()
            .map(|s| ServiceNumberView {
                id: s.id,
                code: s.code,
                instance: s.instance,
                quota: s.quota,
                used: s.used,
            })
            .collect())
    }

    /// Issues a service number for a server instance (admins). The code is random, like the
    /// UUID-style codes cloud consoles show.
    pub async fn create_service_number(
        self,
        ctx: &Ctx,
        s: ServiceNumberInput,
    ) -> AppResult<ServiceNumberView> {
        ctx.require(&[Role::Admin])?;
        if s.instance.trim().is_empty() || s.instance.chars().count() > 100 || !(1..=100).contains(&s.quota) {
            return Err(AppError::field(
                "instance",
                "SERVICE_NUMBER_INVALID",
                Text::new("problem.service_number_invalid"),
            ));
        }
        let row = beian_store::ServiceNumberRow {
            id: beian_store::new_id(),
            code: uuid::Uuid::new_v4().hyphenated().to_string(),
            instance: s.instance.trim().into(),
            quota: s.quota,
            used: 0,
            created_at: self.now_us(),
        };
        let mut tx = self.store().begin().await?;
        tx.insert_service_number(&row).await?;
        tx.audit(
            &ctx.audit(
                "service_number.create",
                "service_number",
                row.id,
                json!({ "instance": row.instance, "quota": row.quota }),
            ),
            self.now_us(),
        )
        .await?;
        tx.commit().await?;
        Ok(ServiceNumberView {
            id: row.id,
            code: row.code,
            instance: row.instance,
            quota: row.quota,
            used: 0,
        })
    }
}
