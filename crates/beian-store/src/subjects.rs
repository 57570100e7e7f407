//! Subjects (主体). The certificate number, addresses and head live encrypted in `data`;
//! `cert_index` is the blind index used for "one person, one individual subject" and for
//! finding a subject by certificate without decrypting anything.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SubjectRow {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub nature: String,
    pub name: String,
    pub province: String,
    pub cert_index: Vec<u8>,
    pub data: Vec<u8>,
    pub filed_number: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A subject to insert (version starts at 1).
pub type NewSubject = SubjectRow;

impl Tx {
    pub async fn insert_subject(&mut self, s: &NewSubject) -> Result<()> {
        self.insert_subjects(std::slice::from_ref(s)).await
    }

    /// Inserts new subjects, with their name pieces, in multi-row statements: the one writer of
    /// new subject rows, for one ([`Tx::insert_subject`]) or a bulk load (`beian bench-seed`).
    pub async fn insert_subjects(&mut self, rows: &[NewSubject]) -> Result<()> {
        // 11 parameters a row: 2,000 rows stay under SQLite's 32,766 parameters.
        for chunk in rows.chunks(2_000) {
            on!(tx self, |c| {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO subjects (id, owner_id, nature, name, province, cert_index, data, filed_number,
                                           version, created_at, updated_at) ",
                );
                q.push_values(chunk, |mut b, s| {
                    b.push_bind(s.id)
                        .push_bind(s.owner_id)
                        .push_bind(&s.nature)
                        .push_bind(&s.name)
                        .push_bind(&s.province)
                        .push_bind(&s.cert_index)
                        .push_bind(&s.data)
                        .push_bind(&s.filed_number)
                        .push_bind(s.version)
                        .push_bind(s.created_at)
                        .push_bind(s.updated_at);
                });
                q.build().execute(c).await?.rows_affected()
            });
        }
        let grams = sorted_name_grams(rows);
        for chunk in grams.chunks(10_000) {
            on!(tx self, |c| {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO subject_name_grams (gram, subject_id) ");
                q.push_values(chunk, |mut b, (g, id)| {
                    b.push_bind(g).push_bind(*id);
                });
                q.push(" ON CONFLICT DO NOTHING");
                q.build().execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// Rewrites the name pieces the queue search starts from (`subject_name_grams`).
    async fn index_subject_name(&mut self, id: Uuid, name: &str) -> Result<()> {
        on!(tx self, |c| sqlx::query("DELETE FROM subject_name_grams WHERE subject_id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        // Cut in SQL, in one statement, the way the migration filled existing rows
        // (characters, not bytes); `name_grams` is the same cut in Rust for the search. SQLite
        // needs the `WHERE` to read `ON CONFLICT` as the upsert, not a join.
        on!(tx self, |c| sqlx::query(
            "WITH RECURSIVE g(i) AS (
                 SELECT 1 WHERE length(CAST($2 AS TEXT)) >= 2
                 UNION ALL SELECT i + 1 FROM g WHERE i + 2 <= length(CAST($2 AS TEXT))
             )
             INSERT INTO subject_name_grams (gram, subject_id)
             SELECT substr(CAST($2 AS TEXT), i, 2), $1 FROM g WHERE true ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(name)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Rewrites a subject if its version is still `expected_version` (optimistic
    /// concurrency); returns false when someone else changed it first.
    pub async fn update_subject(&mut self, s: &SubjectRow, expected_version: i64) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query(
            "UPDATE subjects SET nature = $3, name = $4, province = $5, cert_index = $6, data = $7, filed_number = $8,
                    version = version + 1, updated_at = $9
             WHERE id = $1 AND version = $2",
        )
        .bind(s.id)
        .bind(expected_version)
        .bind(&s.nature)
        .bind(&s.name)
        .bind(&s.province)
        .bind(&s.cert_index)
        .bind(&s.data)
        .bind(&s.filed_number)
        .bind(s.updated_at)
        .execute(c)
        .await?
        .rows_affected());
        if n == 1 {
            self.index_subject_name(s.id, &s.name).await?;
        }
        Ok(n == 1)
    }

    pub async fn subject(&mut self, id: Uuid) -> Result<Option<SubjectRow>> {
        Ok(on!(tx self, |c| sqlx::query_as::<_, SubjectRow>(
            "SELECT id, owner_id, nature, name, province, cert_index, data, filed_number, version, created_at, updated_at
             FROM subjects WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?))
    }
}

impl Store {
    pub async fn subject(&self, id: Uuid) -> Result<Option<SubjectRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, SubjectRow>(
            "SELECT id, owner_id, nature, name, province, cert_index, data, filed_number, version, created_at, updated_at
             FROM subjects WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?))
    }

    /// An owner's subjects, newest first, after the cursor.
    pub async fn subjects_of(
        &self,
        owner_id: Uuid,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<SubjectRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, SubjectRow>(
            "SELECT id, owner_id, nature, name, province, cert_index, data, filed_number, version, created_at, updated_at
             FROM subjects WHERE owner_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(owner_id)
        .bind(before)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// Subjects whose certificate has this blind index.
    pub async fn subjects_by_cert_index(&self, cert_index: &[u8]) -> Result<Vec<SubjectRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, SubjectRow>(
            "SELECT id, owner_id, nature, name, province, cert_index, data, filed_number, version, created_at, updated_at
             FROM subjects WHERE cert_index = $1 ORDER BY id",
        )
        .bind(cert_index)
        .fetch_all(c)
        .await?))
    }
}

/// The name pieces of `rows` as `subject_name_grams` rows, in key order: each insert lands
/// beside the last in the index, several times faster than in name order.
pub(crate) fn sorted_name_grams(rows: &[SubjectRow]) -> Vec<(String, Uuid)> {
    let mut grams: Vec<(String, Uuid)> =
        rows.iter().flat_map(|s| name_grams(&s.name).into_iter().map(move |g| (g, s.id))).collect();
    grams.sort_unstable();
    grams
}

/// The distinct two-character pieces of a name, as the migration's backfill cuts them
/// (characters, not bytes; no case folding).
pub fn name_grams(name: &str) -> std::collections::BTreeSet<String> {
    let chars: Vec<char> = name.chars().collect();
    chars.windows(2).map(|w| w.iter().collect()).collect()
}
