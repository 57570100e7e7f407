//! `Idempotency-Key` reservations and the answers they replay (migration 1; the lease, 90 s, is the
//! application's).

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, on};

/// What reserving an `Idempotency-Key` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key is this request's now: run it, then finish or release the key.
    Reserved,
    /// A request under the key has finished: its answer.
    Done(IdempotencyRow),
    /// A request under the key is running (its lease has not run out).
    Running { request_hash: Vec<u8> },
}

/// A stored response for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct IdempotencyRow {
    pub request_hash: Vec<u8>,
    pub status: i64,
    pub body: Vec<u8>,
    pub created_at: i64,
}

impl Store {
    /// Reserves `key` of `account_id` for a request with `request_hash` until `lease_until`
    /// (unix microseconds), unless a request under it has finished or is still running. A
    /// reservation whose lease ran out (its holder died) is taken over. One transaction,
    /// committed before the request runs, so a concurrent duplicate on any instance sees it.
    pub async fn reserve_idempotency(
        &self,
        account_id: Uuid,
        key: &str,
        request_hash: &[u8],
        now: i64,
        lease_until: i64,
    ) -> Result<Reservation> {
        // A reservation released between our insert and our read leaves nothing to read:
        // try again, a bounded number of times.
        for _ in 0..3 {
            let mut tx = self.begin().await?;
            let inserted = on!(tx &mut tx, |c| sqlx::query(
                "INSERT INTO idempotency_keys (account_id, key, request_hash, status, body, created_at, lease_until)
                 VALUES ($1, $2, $3, 0, $4, $5, $6) ON CONFLICT (account_id, key) DO NOTHING",
            )
            .bind(account_id)
            .bind(key)
            .bind(request_hash)
            .bind(Vec::<u8>::new())
            .bind(now)
            .bind(lease_until)
            .execute(c)
            .await?
            .rows_affected());
            let taken_over = inserted == 0
                && on!(tx &mut tx, |c| sqlx::query(
                    "UPDATE idempotency_keys SET request_hash = $3, created_at = $4, lease_until = $5
                     WHERE account_id = $1 AND key = $2 AND status = 0 AND lease_until < $4",
                )
                .bind(account_id)
                .bind(key)
                .bind(request_hash)
                .bind(now)
                .bind(lease_until)
                .execute(c)
                .await?
                .rows_affected())
                    == 1;
            if inserted == 1 || taken_over {
                tx.commit().await?;
                return Ok(Reservation::Reserved);
            }
            let row: Option<IdempotencyRow> = on!(tx &mut tx, |c| sqlx::query_as::<_, IdempotencyRow>(
                "SELECT request_hash, status, body, created_at FROM idempotency_keys WHERE account_id = $1 AND key = $2",
            )
            .bind(account_id)
            .bind(key)
            .fetch_optional(c)
            .await?);
            tx.commit().await?;
            match row {
                Some(r) if r.status == 0 => return Ok(Reservation::Running { request_hash: r.request_hash }),
                Some(r) => return Ok(Reservation::Done(r)),
                None => continue,
            }
        }
        Err(crate::StoreError::Conflict { what: "idempotency key".into() })
    }

    /// Stores the answer of the request holding `key`'s reservation. False when it no longer
    /// holds it (its lease ran out and another took the key).
    pub async fn finish_idempotency(
        &self,
        account_id: Uuid,
        key: &str,
        request_hash: &[u8],
        status: i64,
        body: &[u8],
        now: i64,
    ) -> Result<bool> {
        let n = on!(store self, |c| sqlx::query(
            "UPDATE idempotency_keys SET status = $4, body = $5, created_at = $6
             WHERE account_id = $1 AND key = $2 AND request_hash = $3 AND status = 0",
        )
        .bind(account_id)
        .bind(key)
        .bind(request_hash)
        .bind(status)
        .bind(body)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Gives a reserved key back (the request failed on the server's side and may be retried).
    pub async fn release_idempotency(&self, account_id: Uuid, key: &str, request_hash: &[u8]) -> Result<()> {
        on!(store self, |c| sqlx::query(
            "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND request_hash = $3 AND status = 0",
        )
        .bind(account_id)
        .bind(key)
        .bind(request_hash)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }
}
