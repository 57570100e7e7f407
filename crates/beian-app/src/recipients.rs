//! Further recipients of an account's notifications: a colleague or a shared mailbox gets a
//! copy of every notice the account gets (order steps, PSB steps, compliance, draft expiry).
//! A password-reset link goes to the account's own address only, never to these.
//!
//! Addresses are encrypted at rest and masked in every answer; one account keeps at most
//! [`MAX_RECIPIENTS`].

use beian_store::{RecipientRow, Tx, Uuid, new_id};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::areas::Notify;
use crate::i18n::Text;
use crate::notify::{Notice, valid_mailbox};
use crate::views::{mask_email_public, rfc3339};
use crate::{AppError, AppResult, Ctx};

/// Further recipients one account may keep.
pub const MAX_RECIPIENTS: usize = 10;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecipient {
    pub email: String,
    /// Who it is, for the list (at most 32 characters).
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RecipientView {
    pub id: Uuid,
    /// Masked.
    pub email: String,
    pub label: String,
    pub created_at: String,
}

fn aad(id: Uuid) -> String {
    format!("account_recipients/{id}")
}

fn view(r: &RecipientRow) -> RecipientView {
    RecipientView {
        id: r.id,
        email: r.email_masked.clone(),
        label: r.label.clone(),
        created_at: rfc3339(r.created_at),
    }
}

impl Notify<'_> {
    /// The caller's further recipients.
    pub async fn recipients(self, ctx: &Ctx) -> AppResult<Vec<RecipientView>> {
        let p = ctx.principal()?;
        Ok(self.store().recipients(p.id).await?.iter().map(view).collect())
    }

    /// Adds a further recipient to the caller's notifications.
    pub async fn add_recipient(self, ctx: &Ctx, input: NewRecipient) -> AppResult<RecipientView> {
        let p = ctx.principal()?;
        let email = input.email.trim().to_lowercase();
        if email.len() > 254 || !email.contains('@') || !valid_mailbox(&email) {
            return Err(AppError::field(
                "email",
                "RECIPIENT_EMAIL_INVALID",
                Text::new("problem.recipient_email_invalid"),
            ));
        }
        if email == p.email.to_lowercase() {
            return Err(AppError::field(
                "email",
                "RECIPIENT_IS_ACCOUNT",
                Text::new("problem.recipient_is_account"),
            ));
        }
        let label = input.label.trim();
        if label.chars().count() > 32 || label.chars().any(char::is_control) {
            return Err(AppError::field(
                "label",
                "RECIPIENT_LABEL_INVALID",
                Text::new("problem.recipient_label_invalid"),
            ));
        }
        let index = self.keys().blind_index("email", &email);
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let existing = tx.recipients_in(p.id).await?;
        if existing.iter().any(|r| r.email_index == index) {
            return Err(AppError::field("email", "RECIPIENT_EXISTS", Text::new("problem.recipient_exists")));
        }
        if existing.len() >= MAX_RECIPIENTS {
            return Err(AppError::conflict(
                "RECIPIENT_LIMIT",
                Text::new("problem.recipient_limit").arg("max", MAX_RECIPIENTS),
            ));
        }
        let id = new_id();
        let row = RecipientRow {
            id,
            account_id: p.id,
            email: self.keys().encrypt(&aad(id), email.as_bytes())?,
            email_index: index,
            email_masked: mask_email_public(&email),
            label: label.to_owned(),
            created_at: now,
        };
        tx.insert_recipient(&row).await?;
        tx.audit(&ctx.audit("recipient.add", "account", p.id, json!({ "recipient": id })), now).await?;
        tx.commit().await?;
        Ok(view(&row))
    }

    pub async fn delete_recipient(self, ctx: &Ctx, id: Uuid) -> AppResult<()> {
        let p = ctx.principal()?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        if !tx.delete_recipient(p.id, id).await? {
            return Err(AppError::NotFound);
        }
        tx.audit(&ctx.audit("recipient.delete", "account", p.id, json!({ "recipient": id })), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues a notice to the account signed in as `email` and to each of its further
    /// recipients, in the caller's transaction, in the account's language.
    pub(crate) async fn notify_account(self, tx: &mut Tx, email: &str, notice: &Notice) -> AppResult<()> {
        let lang = crate::notify::lang_of(tx.account_lang_of_email(email).await?.as_deref());
        self.queue_email(tx, email, notice, lang).await?;
        for r in tx.recipients_of_email(email).await? {
            let to = String::from_utf8(self.keys().decrypt(&aad(r.id), &r.email)?)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("a recipient's address: {e}")))?;
            self.queue_email(tx, &to, notice, lang).await?;
        }
        Ok(())
    }
}
