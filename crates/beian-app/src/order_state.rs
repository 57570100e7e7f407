//! The one writer of an order's state. Every change of state — an applicant's or a reviewer's
//! action (`Orders::apply_event`), the regulator's or the bureau's events (`seam::inbox`) — is
//! written by [`Orders::write_order_state`] inside the caller's transaction: the new state onto
//! the row under optimistic concurrency, and each step onto the order's timeline. Nothing else
//! changes `orders.state`; edits of an order's content keep the state they read.

use beian_core::workflow::OrderState;
use beian_store::{OrderEventRow, OrderRow, OrderUpdate, Tx, Uuid, new_id};

use crate::AppResult;
use crate::areas::Orders;

/// One step of an order's life as its timeline keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub at: i64,
    /// The person who took it; `None` for the regulator and the system.
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub event: String,
    pub from: String,
    pub to: String,
    pub detail: serde_json::Value,
}

impl Orders<'_> {
    /// Writes `next` as the order's state: onto `u` (with whether the order is still open and
    /// when its stage began), `u` onto the row if it is still at version `expected`, and
    /// `steps` onto its timeline. False when another writer changed the row first (nothing is
    /// written; the caller reloads or reports the conflict).
    pub(crate) async fn write_order_state(
        self,
        tx: &mut Tx,
        row: &OrderRow,
        expected: i64,
        next: &OrderState,
        mut u: OrderUpdate,
        steps: &[Step],
    ) -> AppResult<bool> {
        let now = self.now_us();
        u.state = next.name().to_owned();
        u.state_data = serde_json::to_string(next)?;
        u.open = !next.is_terminal();
        u.updated_at = now;
        if next.name() != row.state {
            u.stage_since = now;
        }
        if !tx.update_order(row.id, expected, &u).await? {
            return Ok(false);
        }
        if next.name() != row.state {
            self.webhooks().emit_order_state(tx, row, next.name()).await?;
        }
        for s in steps {
            tx.insert_order_event(&OrderEventRow {
                id: new_id(),
                order_id: row.id,
                at: s.at,
                actor_id: s.actor_id,
                actor_role: s.actor_role.clone(),
                event: s.event.clone(),
                from_state: s.from.clone(),
                to_state: s.to.clone(),
                detail: s.detail.to_string(),
            })
            .await?;
        }
        Ok(true)
    }
}
