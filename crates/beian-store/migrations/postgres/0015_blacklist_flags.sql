-- The bureau's reasons and the orders its blacklists flag (schema v15, postgres). Keep in step
-- with the other backend's migrations.

-- The bureau's remark (`Bz`) on a listing: shown to an applicant refused at the start.
ALTER TABLE miit_blacklist ADD COLUMN reason TEXT NOT NULL DEFAULT '';

-- An open order a blacklist entry concerns, for its reviewer: `code` is the pre-check's
-- (SUBJECT_BLACKLISTED, DOMAIN_BLACKLISTED, DOMAIN_SERVED_UNFILED), `target` the listed domain
-- ('' for a subject: its certificate number is never kept here).
CREATE TABLE order_flags (
    order_id UUID NOT NULL REFERENCES orders (id),
    code TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,
    flagged_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, code, target)
);
