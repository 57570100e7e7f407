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
    /// The automatic face check (face photos only, with a vendor verifier): who checked, the
    /// verdict, the score (0–100), the vendor's reason code, when. All `None` until checked.
    pub face_verifier: Option<String>,
    pub face_passed: Option<bool>,
    pub face_score: Option<i32>,
    pub face_reason: Option<String>,
    pub face_checked_at: Option<i64>,
}

/// A face check's outcome as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceCheckRecord {
    pub verifier: String,
    pub passed: bool,
    pub score: Option<i32>,
    pub reason: Option<String>,
    pub checked_at: i64,
}

/// The columns every document read selects, in `DocumentRow`'s order.
macro_rules! document_columns {
    () => {
        "id, order_id, owner_id, kind, subject_path, content_type, size, sha256, blob_key, created_at, \
         face_verifier, face_passed, face_score, face_reason, face_checked_at"
    };
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

    /// Records a face check once: false when the document already has one (a retried job) or
    /// is gone.
    pub async fn record_face_check(&mut self, document: Uuid, r: &FaceCheckRecord) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query(
            "UPDATE documents SET face_verifier = $2, face_passed = $3, face_score = $4, face_reason = $5, face_checked_at = $6
             WHERE id = $1 AND face_checked_at IS NULL",
        )
        .bind(document)
        .bind(&r.verifier)
        .bind(r.passed)
        .bind(r.score)
        .bind(&r.reason)
        .bind(r.checked_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }
}

impl Store {
    pub async fn document(&self, id: Uuid) -> Result<Option<DocumentRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, DocumentRow>(concat!(
            "SELECT ",
            document_columns!(),
            " FROM documents WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(c)
        .await?))
    }

    pub async fn documents_of_order(&self, order_id: Uuid) -> Result<Vec<DocumentRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, DocumentRow>(concat!(
            "SELECT ",
            document_columns!(),
            " FROM documents WHERE order_id = $1 ORDER BY id"
        ))
        .bind(order_id)
        .fetch_all(c)
        .await?))
    }
}
