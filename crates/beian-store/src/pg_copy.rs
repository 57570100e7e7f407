//! Loading millions of rows into PostgreSQL with `COPY … FROM STDIN (FORMAT binary)`
//! (`beian bench-seed`).
//!
//! Multi-row `INSERT`s of a million orders spent most of their time in what surrounds the rows:
//! one bind parameter per value, a statement parsed and planned per thousand rows, and the
//! client's and server's copies of every argument. `COPY` in PostgreSQL's binary format sends
//! each value once, as its bytes, and the server stores them without parsing text. The rows and
//! name pieces are those the service writes ([`crate::Tx::insert_subjects`],
//! [`crate::Tx::insert_orders`]); the binary layout is PostgreSQL's "Binary Format" of `COPY`
//! (signature, flags, header extension, then per row a field count and length-prefixed fields).
//!
//! Only between [`crate::Store::defer_indexes`] and [`crate::Store::finish_bulk_load`] on a
//! benchmark database (the name pieces are written beside their subjects, not after them, so
//! their foreign key must be off): `COPY` has no `ON CONFLICT`, so a subject or order already
//! present fails the whole batch.

use sqlx::PgConnection;
use sqlx::pool::PoolConnection;
use uuid::Uuid;

use crate::subjects::sorted_name_grams;
use crate::{OrderRow, StoreError, SubjectRow};

const COPY_SUBJECTS: &str =
    "COPY subjects (id, owner_id, nature, name, province, cert_index, data, filed_number,
        version, created_at, updated_at) FROM STDIN (FORMAT binary)";
const COPY_GRAMS: &str = "COPY subject_name_grams (gram, subject_id) FROM STDIN (FORMAT binary)";
const COPY_ORDERS: &str = "COPY orders (id, owner_id, subject_id, kind, province, state, state_data, data,
        findings, review_findings, reviewer_id, open, version, created_at, updated_at, submitted_at, stage_since)
        FROM STDIN (FORMAT binary)";

/// One `COPY`'s data in PostgreSQL's binary format, built row by row.
struct BinaryRows(Vec<u8>);

impl BinaryRows {
    fn new(capacity: usize) -> BinaryRows {
        let mut buf = Vec::with_capacity(capacity + 21);
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0i32.to_be_bytes()); // flags: no OIDs
        buf.extend_from_slice(&0i32.to_be_bytes()); // no header extension
        BinaryRows(buf)
    }

    fn row(&mut self, fields: i16) -> &mut Self {
        self.0.extend_from_slice(&fields.to_be_bytes());
        self
    }

    fn bytes(&mut self, v: &[u8]) -> &mut Self {
        // A field is at most 1 GiB in PostgreSQL; the seed's are a few KB.
        self.0.extend_from_slice(&(v.len() as i32).to_be_bytes());
        self.0.extend_from_slice(v);
        self
    }

    fn null(&mut self) -> &mut Self {
        self.0.extend_from_slice(&(-1i32).to_be_bytes());
        self
    }

    fn text(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }

    fn uuid(&mut self, v: Uuid) -> &mut Self {
        self.bytes(v.as_bytes())
    }

    fn bigint(&mut self, v: i64) -> &mut Self {
        self.bytes(&v.to_be_bytes())
    }

    fn boolean(&mut self, v: bool) -> &mut Self {
        self.bytes(&[u8::from(v)])
    }

    fn opt<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Self, T) -> &mut Self) -> &mut Self {
        match v {
            Some(v) => f(self, v),
            None => self.null(),
        }
    }

    fn finish(mut self) -> Vec<u8> {
        self.0.extend_from_slice(&(-1i16).to_be_bytes());
        self.0
    }
}

fn subject_rows(subjects: &[SubjectRow]) -> Vec<u8> {
    let mut b = BinaryRows::new(subjects.iter().map(|s| s.data.len() + 200).sum());
    for s in subjects {
        b.row(11)
            .uuid(s.id)
            .uuid(s.owner_id)
            .text(&s.nature)
            .text(&s.name)
            .text(&s.province)
            .bytes(&s.cert_index)
            .bytes(&s.data)
            .opt(s.filed_number.as_deref(), BinaryRows::text)
            .bigint(s.version)
            .bigint(s.created_at)
            .bigint(s.updated_at);
    }
    b.finish()
}

fn gram_rows(subjects: &[SubjectRow]) -> Vec<u8> {
    let grams = sorted_name_grams(subjects);
    let mut b = BinaryRows::new(grams.len() * 34);
    for (g, id) in &grams {
        b.row(2).text(g).uuid(*id);
    }
    b.finish()
}

fn order_rows(orders: &[OrderRow]) -> Vec<u8> {
    let mut b = BinaryRows::new(orders.iter().map(|o| o.data.len() + 300).sum());
    for o in orders {
        b.row(17)
            .uuid(o.id)
            .uuid(o.owner_id)
            .uuid(o.subject_id)
            .text(&o.kind)
            .text(&o.province)
            .text(&o.state)
            .text(&o.state_data)
            .bytes(&o.data)
            .text(&o.findings)
            .text(&o.review_findings)
            .opt(o.reviewer_id, BinaryRows::uuid)
            .boolean(o.open)
            .bigint(o.version)
            .bigint(o.created_at)
            .bigint(o.updated_at)
            .opt(o.submitted_at, BinaryRows::bigint)
            .bigint(o.stage_since);
    }
    b.finish()
}

/// A bulk writer of subjects and orders into PostgreSQL, on two connections of the pool: the
/// name pieces (fifteen rows a subject) go in on the second while the first takes the subjects
/// and orders, so both cores work.
#[derive(Debug)]
pub struct PgBulkLoader {
    rows: PoolConnection<sqlx::Postgres>,
    grams: PoolConnection<sqlx::Postgres>,
}

impl PgBulkLoader {
    /// Takes two connections of a PostgreSQL store for a load; `None` on SQLite (see
    /// [`crate::bulk::SqliteBulkLoader`]).
    pub async fn open(store: &crate::Store) -> crate::Result<Option<PgBulkLoader>> {
        match store {
            crate::Store::Postgres(pool) => {
                Ok(Some(PgBulkLoader { rows: pool.acquire().await?, grams: pool.acquire().await? }))
            }
            crate::Store::Sqlite(..) => Ok(None),
        }
    }

    /// Writes `subjects` with their name pieces, and `orders`: one transaction on each
    /// connection, both committed once both copies are in, or both rolled back. (Two commits
    /// are not one: a crash between them keeps half a batch, which a load that dies ruins
    /// anyway — see [`crate::Store::defer_indexes`].)
    pub async fn insert(&mut self, subjects: &[SubjectRow], orders: &[OrderRow]) -> crate::Result<()> {
        let (rows, grams): (&mut PgConnection, &mut PgConnection) = (&mut self.rows, &mut self.grams);
        for c in [&mut *rows, &mut *grams] {
            sqlx::query("BEGIN").execute(c).await?;
        }
        // Both run to their end (a copy dropped midway would leave its connection unusable
        // for the rollback).
        let (a, b) = tokio::join!(
            async {
                copy(rows, COPY_SUBJECTS, subject_rows(subjects)).await?;
                copy(rows, COPY_ORDERS, order_rows(orders)).await
            },
            copy(grams, COPY_GRAMS, gram_rows(subjects)),
        );
        let copied = a.and(b);
        let end = if copied.is_ok() { "COMMIT" } else { "ROLLBACK" };
        for c in [&mut *rows, &mut *grams] {
            sqlx::query(end).execute(c).await?;
        }
        copied
    }
}

async fn copy(c: &mut PgConnection, statement: &str, data: Vec<u8>) -> crate::Result<()> {
    let mut copy = c.copy_in_raw(statement).await?;
    if let Err(e) = copy.send(data).await {
        copy.abort(e.to_string()).await?;
        return Err(StoreError::from(e));
    }
    copy.finish().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_rows_have_the_signature_the_fields_and_the_trailer() {
        let mut b = BinaryRows::new(0);
        b.row(3).text("浙").null().bigint(-2);
        let out = b.finish();
        assert_eq!(&out[..11], b"PGCOPY\n\xff\r\n\0");
        assert_eq!(&out[11..19], &[0; 8]);
        let row = &out[19..];
        assert_eq!(&row[..2], &3i16.to_be_bytes());
        assert_eq!(&row[2..6], &3i32.to_be_bytes());
        assert_eq!(&row[6..9], "浙".as_bytes());
        assert_eq!(&row[9..13], &(-1i32).to_be_bytes());
        assert_eq!(&row[13..17], &8i32.to_be_bytes());
        assert_eq!(&row[17..25], &(-2i64).to_be_bytes());
        assert_eq!(&row[25..], &(-1i16).to_be_bytes());
    }
}
