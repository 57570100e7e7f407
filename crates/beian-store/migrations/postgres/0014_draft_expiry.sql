-- Draft expiry (schema v14, postgres). Keep in step with the other backend's migrations.

-- Orders waiting for their applicant, by how long they have been idle (the daily expiry run
-- reads only these).
CREATE INDEX orders_idle ON orders (state, updated_at);

-- Each reminder of an idle order, once: `idle_since` is the order's `updated_at` when the
-- reminder went out, so an order touched since starts a fresh round.
CREATE TABLE order_reminders (
    order_id UUID NOT NULL REFERENCES orders (id),
    idle_since BIGINT NOT NULL,
    day BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, idle_since, day)
);
