//! Orders, their timeline, and the review queue. The order document (with its PII) is
//! encrypted in `data`; `state`, `kind`, `province` and the timestamps stay in clear columns
//! because the review queue filters and sorts on them.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub subject_id: Uuid,
    pub kind: String,
    pub province: String,
    pub state: String,
    /// The full `OrderState` as JSON (SMS recipients, deadline, return reason).
    pub state_data: String,
    pub data: Vec<u8>,
    /// The last rule-engine findings, JSON.
    pub findings: String,
    /// The reviewer's field-level rejection reasons, JSON.
    pub review_findings: String,
    pub reviewer_id: Option<Uuid>,
    pub open: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
    /// When the order entered its current stage (the SLA clock's start).
    pub stage_since: i64,
}

pub type NewOrder = OrderRow;

/// The mutable part of an order, written back under optimistic concurrency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderUpdate {
    /// The order kind (a change draft's kind follows what it changes).
    pub kind: String,
    pub state: String,
    pub state_data: String,
    pub data: Vec<u8>,
    pub findings: String,
    pub review_findings: String,
    pub reviewer_id: Option<Uuid>,
    pub open: bool,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
    pub stage_since: i64,
}

impl From<&OrderRow> for OrderUpdate {
    fn from(o: &OrderRow) -> Self {
        OrderUpdate {
            kind: o.kind.clone(),
            state: o.state.clone(),
            state_data: o.state_data.clone(),
            data: o.data.clone(),
            findings: o.findings.clone(),
            review_findings: o.review_findings.clone(),
            reviewer_id: o.reviewer_id,
            open: o.open,
            updated_at: o.updated_at,
            submitted_at: o.submitted_at,
            stage_since: o.stage_since,
        }
    }
}

/// One entry of an order's timeline.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OrderEventRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub at: i64,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub event: String,
    pub from_state: String,
    pub to_state: String,
    /// JSON without PII.
    pub detail: String,
}

/// One line of an owner's order list (`Store::order_lines_of`).
#[derive(Debug, Clone, FromRow)]
pub struct OrderLineRow {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub kind: String,
    pub state: String,
    pub updated_at: i64,
    pub subject_name: String,
}

/// One row of the review queue: only what the list shows (no document).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct QueueRow {
    pub id: Uuid,
    pub version: i64,
    pub kind: String,
    pub province: String,
    pub state: String,
    pub subject_id: Uuid,
    /// The subject's name (joined, so a page of the queue is one query).
    pub subject_name: String,
    pub submitted_at: Option<i64>,
    pub stage_since: i64,
    pub reviewer_id: Option<Uuid>,
    /// Whether the bureau's blacklists flagged the order (`order_flags`): a page reads the
    /// flags of these orders only, most often of none, so it is one statement.
    pub flagged: bool,
}

/// Review-queue filters. `state` is required so the queue walks one index range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    pub state: String,
    pub province: Option<String>,
    pub kind: Option<String>,
    /// Only orders submitted before this time (older than an age).
    pub submitted_before: Option<i64>,
    /// Only subjects whose name contains this text.
    pub subject_contains: Option<String>,
    /// Only orders claimed by this reviewer.
    pub reviewer: Option<Uuid>,
}

impl Tx {
    pub async fn insert_order(&mut self, o: &NewOrder) -> Result<()> {
        self.insert_orders(std::slice::from_ref(o)).await
    }

    /// Inserts orders in multi-row statements: the one writer of new order rows, for one
    /// ([`Tx::insert_order`]) or a bulk load (`beian bench-seed`) alike.
    pub async fn insert_orders(&mut self, rows: &[NewOrder]) -> Result<()> {
        if let Tx::Sqlite(_, cache) = self {
            for o in rows {
                cache.touch(o.id);
            }
        }
        // 17 parameters a row: 1,000 rows stay under SQLite's 32,766 and PostgreSQL's 65,535.
        for chunk in rows.chunks(1_000) {
            on!(tx self, |c| {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO orders (id, owner_id, subject_id, kind, province, state, state_data, data, findings,
                                         review_findings, reviewer_id, open, version, created_at, updated_at,
                                         submitted_at, stage_since) ",
                );
                q.push_values(chunk, |mut b, o| {
                    b.push_bind(o.id)
                        .push_bind(o.owner_id)
                        .push_bind(o.subject_id)
                        .push_bind(&o.kind)
                        .push_bind(&o.province)
                        .push_bind(&o.state)
                        .push_bind(&o.state_data)
                        .push_bind(&o.data)
                        .push_bind(&o.findings)
                        .push_bind(&o.review_findings)
                        .push_bind(o.reviewer_id)
                        .push_bind(o.open)
                        .push_bind(o.version)
                        .push_bind(o.created_at)
                        .push_bind(o.updated_at)
                        .push_bind(o.submitted_at)
                        .push_bind(o.stage_since);
                });
                q.build().execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// Reads an order inside the transaction (under SQLite's write lock / PG's snapshot).
    pub async fn order(&mut self, id: Uuid) -> Result<Option<OrderRow>> {
        Ok(on!(tx self, |c| sqlx::query_as::<_, OrderRow>(
            "SELECT id, owner_id, subject_id, kind, province, state, state_data, data, findings, review_findings,
                    reviewer_id, open, version, created_at, updated_at, submitted_at, stage_since
             FROM orders WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?))
    }

    /// Writes `u` if the order is still at `expected_version`; false if another writer won.
    pub async fn update_order(&mut self, id: Uuid, expected_version: i64, u: &OrderUpdate) -> Result<bool> {
        if let Tx::Sqlite(_, cache) = self {
            cache.touch(id);
        }
        let n = on!(tx self, |c| sqlx::query(
            "UPDATE orders SET state = $3, state_data = $4, data = $5, findings = $6, review_findings = $7, reviewer_id = $8,
                    open = $9, updated_at = $10, submitted_at = $11, stage_since = $12, kind = $13, version = version + 1
             WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(expected_version)
        .bind(&u.state)
        .bind(&u.state_data)
        .bind(&u.data)
        .bind(&u.findings)
        .bind(&u.review_findings)
        .bind(u.reviewer_id)
        .bind(u.open)
        .bind(u.updated_at)
        .bind(u.submitted_at)
        .bind(u.stage_since)
        .bind(&u.kind)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Records that the reminder for `day` idle days went out for the round that began at
    /// `idle_since`; false when it already had (the caller then sends nothing).
    pub async fn record_order_reminder(
        &mut self,
        order_id: Uuid,
        idle_since: i64,
        day: i64,
        now: i64,
    ) -> Result<bool> {
        Ok(on!(tx self, |c| sqlx::query(
            "INSERT INTO order_reminders (order_id, idle_since, day, sent_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (order_id, idle_since, day) DO NOTHING",
        )
        .bind(order_id)
        .bind(idle_since)
        .bind(day)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected())
            == 1)
    }

    pub async fn insert_order_event(&mut self, e: &OrderEventRow) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO order_events (id, order_id, at, actor_id, actor_role, event, from_state, to_state, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(e.id)
        .bind(e.order_id)
        .bind(e.at)
        .bind(e.actor_id)
        .bind(&e.actor_role)
        .bind(&e.event)
        .bind(&e.from_state)
        .bind(&e.to_state)
        .bind(&e.detail)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }
}

impl Store {
    pub async fn order(&self, id: Uuid) -> Result<Option<OrderRow>> {
        let epoch = match self {
            Store::Sqlite(_, cache) => match cache.get(id) {
                Some(hit) => return Ok(Some(hit)),
                None => Some(cache.epoch()),
            },
            Store::Postgres(_) => None,
        };
        if let (Store::Sqlite(_, cache), Some(epoch)) = (self, epoch)
            && let Some(reader) = cache.reader()
        {
            let row = reader.order(id)?;
            if let Some(r) = &row {
                cache.fill(epoch, r);
            }
            return Ok(row);
        }
        let row = on!(store self, |c| sqlx::query_as::<_, OrderRow>(
            "SELECT id, owner_id, subject_id, kind, province, state, state_data, data, findings, review_findings,
                    reviewer_id, open, version, created_at, updated_at, submitted_at, stage_since
             FROM orders WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?);
        if let (Store::Sqlite(_, cache), Some(epoch), Some(r)) = (self, epoch, &row) {
            cache.fill(epoch, r);
        }
        Ok(row)
    }

    /// An owner's orders, newest first, before the cursor.
    pub async fn orders_of(&self, owner_id: Uuid, before: Option<Uuid>, limit: i64) -> Result<Vec<OrderRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, OrderRow>(
            "SELECT id, owner_id, subject_id, kind, province, state, state_data, data, findings, review_findings,
                    reviewer_id, open, version, created_at, updated_at, submitted_at, stage_since
             FROM orders WHERE owner_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(owner_id)
        .bind(before)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// An owner's orders as a list shows them (no document), newest first, with each subject's
    /// name.
    pub async fn order_lines_of(
        &self,
        owner_id: Uuid,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<OrderLineRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, OrderLineRow>(
            "SELECT o.id, o.subject_id, o.kind, o.state, o.updated_at, j.name AS subject_name
             FROM orders o JOIN subjects j ON j.id = o.subject_id
             WHERE o.owner_id = $1 AND ($2 IS NULL OR o.id < $2) ORDER BY o.id DESC LIMIT $3",
        )
        .bind(owner_id)
        .bind(before)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// A subject's orders as a list shows them, newest first (`orders_subject` index).
    pub async fn order_lines_of_subject(&self, subject_id: Uuid, limit: i64) -> Result<Vec<OrderLineRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, OrderLineRow>(
            "SELECT o.id, o.subject_id, o.kind, o.state, o.updated_at, j.name AS subject_name
             FROM orders o JOIN subjects j ON j.id = o.subject_id
             WHERE o.subject_id = $1 ORDER BY o.id DESC LIMIT $2",
        )
        .bind(subject_id)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// The open order of a subject, if any.
    pub async fn open_order_of_subject(&self, subject_id: Uuid) -> Result<Option<Uuid>> {
        Ok(
            on!(store self, |c| sqlx::query_scalar::<_, Uuid>("SELECT id FROM orders WHERE subject_id = $1 AND open")
            .bind(subject_id)
            .fetch_optional(c)
            .await?),
        )
    }

    /// One page of the review queue, oldest submission first, strictly after the
    /// `(submitted_at, id)` cursor (keyset pagination: the cost of a page does not grow with
    /// the table).
    pub async fn review_queue(
        &self,
        f: &QueueFilter,
        after: Option<(i64, Uuid)>,
        limit: i64,
    ) -> Result<Vec<QueueRow>> {
        let (after_at, after_id) = after.map_or((None, None), |(a, i)| (Some(a), Some(i)));
        // A name search whose rarest two-character piece few subjects hold starts from those
        // subjects (their orders by `orders_subject`); a common piece, or a one-character
        // search, walks the stage in queue order instead. `LIKE` decides either way.
        let mut rarest: Option<(i64, String)> = None;
        for g in f.subject_contains.as_deref().map(crate::subjects::name_grams).unwrap_or_default() {
            let n: i64 = on!(store self, |c| sqlx::query_scalar(
                "SELECT COUNT(*) FROM (SELECT 1 FROM subject_name_grams WHERE gram = $1 LIMIT $2) t",
            )
            .bind(&g)
            .bind(FEW_SUBJECTS + 1)
            .fetch_one(c)
            .await?);
            if rarest.as_ref().is_none_or(|(m, _)| n < *m) {
                rarest = Some((n, g));
            }
        }
        let gram = rarest.filter(|(n, _)| *n <= FEW_SUBJECTS).map(|(_, g)| g);
        let sql = if gram.is_some() { QUEUE_BY_GRAM } else { QUEUE };
        let like = f.subject_contains.as_deref().map(like_pattern);
        if let Store::Sqlite(_, cache) = self
            && let Some(reader) = cache.reader()
        {
            let blob = |id: &Option<Uuid>| id.map(|u| u.into_bytes());
            let (after_id, reviewer) = (blob(&after_id), blob(&f.reviewer));
            return reader.review_queue(
                sql,
                &[
                    &f.state,
                    &f.province,
                    &f.kind,
                    &f.submitted_before,
                    &after_at,
                    &after_id,
                    &limit,
                    &like,
                    &reviewer,
                    &gram,
                ],
            );
        }
        Ok(on!(store self, |c| {
            let q = sqlx::query_as::<_, QueueRow>(sql)
                .bind(&f.state)
                .bind(&f.province)
                .bind(&f.kind)
                .bind(f.submitted_before)
                .bind(after_at)
                .bind(after_id)
                .bind(limit)
                .bind(&like)
                .bind(f.reviewer);
            match &gram {
                Some(g) => q.bind(g),
                None => q,
            }
            .fetch_all(c)
            .await?
        }))
    }

    /// Orders waiting for their applicant (a draft, or returned) last written at or before
    /// `touched_by`, longest idle first; only `owner_id`'s when given (`orders_idle`
    /// index: the cost follows the idle orders, not the table).
    pub async fn idle_orders(
        &self,
        touched_by: i64,
        owner_id: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<OrderRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, OrderRow>(
            "SELECT id, owner_id, subject_id, kind, province, state, state_data, data, findings, review_findings,
                    reviewer_id, open, version, created_at, updated_at, submitted_at, stage_since
             FROM orders WHERE state IN ('draft', 'returned') AND updated_at <= $1 AND ($2 IS NULL OR owner_id = $2)
             ORDER BY updated_at, id LIMIT $3",
        )
        .bind(touched_by)
        .bind(owner_id)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// How many orders are in each of `states`, in their order, each count stopping at `cap`
    /// (the queue index serves each range, so the cost is bounded by `cap` however large the
    /// table grows): one statement for all of them, as the queue's tabs are read on every view.
    pub async fn count_in_states(&self, states: &[&str], cap: i64) -> Result<Vec<i64>> {
        if states.is_empty() {
            return Ok(Vec::new());
        }
        let sql = count_in_states_sql(states.len());
        if let Store::Sqlite(_, cache) = self
            && let Some(reader) = cache.reader()
        {
            let mut values: Vec<&dyn rusqlite::ToSql> = vec![&cap];
            values.extend(states.iter().map(|s| s as &dyn rusqlite::ToSql));
            let row = reader.rows(&sql, &values, |r| (0..states.len()).map(|i| r.get(i)).collect())?;
            return Ok(row.into_iter().next().unwrap_or_default());
        }
        Ok(on!(store self, |c| {
            // Safe: the text holds only parameter numbers; the states are bound.
            let q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(cap);
            let row = states.iter().fold(q, |q, s| q.bind(*s)).fetch_one(c).await?;
            (0..states.len()).map(|i| sqlx::Row::try_get::<i64, _>(&row, i)).collect::<std::result::Result<Vec<i64>, _>>()?
        }))
    }

    pub async fn order_events(&self, order_id: Uuid) -> Result<Vec<OrderEventRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, OrderEventRow>(
            "SELECT id, order_id, at, actor_id, actor_role, event, from_state, to_state, detail
             FROM order_events WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(c)
        .await?))
    }
}

/// How many subjects may hold a search's rarest name piece for the search to start from them.
const FEW_SUBJECTS: i64 = 20_000;

/// A page of the review queue, from `$from`, with `$also` added to its conditions. Both
/// backends run this text; on SQLite it runs on the calling thread (`direct.rs`).
macro_rules! queue_query {
    ($from:literal, $also:literal) => {
        concat!(
            "SELECT o.id, o.version, o.kind, o.province, o.state, o.subject_id, j.name AS subject_name,
                    o.submitted_at, o.stage_since, o.reviewer_id,
                    EXISTS (SELECT 1 FROM order_flags f WHERE f.order_id = o.id) AS flagged
             FROM ",
            $from,
            " JOIN subjects j ON j.id = o.subject_id
             WHERE o.state = $1 AND ($2 IS NULL OR o.province = $2) AND ($3 IS NULL OR o.kind = $3)
               AND ($4 IS NULL OR o.submitted_at < $4)
               AND ($5 IS NULL OR o.submitted_at > $5 OR (o.submitted_at = $5 AND o.id > $6))
               AND ($8 IS NULL OR j.name LIKE $8 ESCAPE '\\')
               AND ($9 IS NULL OR o.reviewer_id = $9)",
            $also,
            "
             ORDER BY o.submitted_at, o.id LIMIT $7"
        )
    };
}

/// The queue in queue order.
const QUEUE: &str = queue_query!("orders o", "");

/// The queue of the subjects holding a name piece (`$10`). CROSS JOIN: SQLite keeps the pieces
/// as the outer loop (PostgreSQL plans freely).
const QUEUE_BY_GRAM: &str = queue_query!(
    "subject_name_grams g CROSS JOIN orders o",
    " AND o.subject_id = g.subject_id AND g.gram = $10"
);

/// How many orders are in each of `states` states, capped at `$1`; the states are `$2`….
fn count_in_states_sql(states: usize) -> String {
    let counts: Vec<String> = (0..states)
        .map(|i| format!("(SELECT COUNT(*) FROM (SELECT 1 FROM orders WHERE state = ${} LIMIT $1) t)", i + 2))
        .collect();
    format!("SELECT {}", counts.join(", "))
}

/// `text` as a LIKE pattern matching names that contain it, its own `%`, `_` and backslash taken
/// literally.
fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}
