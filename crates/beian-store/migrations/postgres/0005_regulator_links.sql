-- Orders delivered to the regulator (schema v5, PostgreSQL). Keep in step with migrations/sqlite.
-- One row per submission: a returned order that is corrected and resubmitted gets a new one.
CREATE TABLE regulator_links (
    submission_id TEXT PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id),
    -- The last regulator event applied to the order (events are applied in sequence, once).
    applied_seq BIGINT NOT NULL,
    -- What the bureau issued (numbers, no PII), JSON; NULL until approved.
    filing TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX regulator_links_order ON regulator_links (order_id, created_at);
