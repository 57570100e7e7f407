//! Document metadata. The bytes are in the blob store, encrypted by the application.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DocumentRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub owner_id: Uuid,
    pub kind: String,
    pub subject_path: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    pub blob_key: String,
    pub created_at: i64,
}

impl Tx {
    pub async fn insert_document(&mut self, d: &DocumentRow) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO documents (id, order_id, owner_id, kind, subject_path, content_type, size, sha256, blob_key, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(d.id)
        .bind(d.order_id)
        .bind(d.owner_id)
        .bind(&d.kind)
        .bind(&d.subject_path)
        .bind(&d.content_type)
        .bind(d.size)
        .bind(&d.sha256)
        .bind(&d.blob_key)
        .bind(d.created_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }
}

impl Store {
    pub async fn document(&self, id: Uuid) -> Result<Option<DocumentRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, DocumentRow>(
            "SELECT id, order_id, owner_id, kind, subject_path, content_type, size, sha256, blob_key, created_at
             FROM documents WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?))
    }

    pub async fn documents_of_order(&self, order_id: Uuid) -> Result<Vec<DocumentRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, DocumentRow>(
            "SELECT id, order_id, owner_id, kind, subject_path, content_type, size, sha256, blob_key, created_at
             FROM documents WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(c)
        .await?))
    }
}
