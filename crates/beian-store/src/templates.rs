//! Rejection templates reviewers pick reasons from.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

/// A rejection template.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TemplateRow {
    pub id: Uuid,
    pub field: String,
    pub error: String,
    pub suggestion: String,
    pub created_at: i64,
}

impl Tx {
    pub async fn insert_template(&mut self, t: &TemplateRow) -> Result<()> {
        on!(tx self, |c| sqlx::query("INSERT INTO rejection_templates (id, field, error, suggestion, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(t.id)
            .bind(&t.field)
            .bind(&t.error)
            .bind(&t.suggestion)
            .bind(t.created_at)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn update_template(&mut self, t: &TemplateRow) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query("UPDATE rejection_templates SET field = $2, error = $3, suggestion = $4 WHERE id = $1")
            .bind(t.id)
            .bind(&t.field)
            .bind(&t.error)
            .bind(&t.suggestion)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    pub async fn delete_template(&mut self, id: Uuid) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query("DELETE FROM rejection_templates WHERE id = $1").bind(id).execute(c).await?.rows_affected());
        Ok(n == 1)
    }
}

impl Store {
    pub async fn templates(&self) -> Result<Vec<TemplateRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, TemplateRow>(
            "SELECT id, field, error, suggestion, created_at FROM rejection_templates ORDER BY field, id",
        )
        .fetch_all(c)
        .await?))
    }

    pub async fn template(&self, id: Uuid) -> Result<Option<TemplateRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, TemplateRow>(
            "SELECT id, field, error, suggestion, created_at FROM rejection_templates WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?))
    }
}
