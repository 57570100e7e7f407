-- Public-security filings of filed websites (schema v7, PostgreSQL). Keep in step with
-- migrations/sqlite.
CREATE TABLE psb_applications (
    id UUID PRIMARY KEY,
    subject_id UUID NOT NULL REFERENCES subjects (id),
    -- The order whose approval filed the website.
    order_id UUID NOT NULL REFERENCES orders (id),
    -- The website's ICP number: one application per filed website.
    icp_number TEXT NOT NULL UNIQUE,
    -- draft | submitted | psb_review | approved | rejected
    state TEXT NOT NULL,
    -- The application (PsbApplication JSON), encrypted (AAD `psb/<id>/data`): it carries the
    -- responsible person's certificate number and phones.
    data BYTEA NOT NULL,
    -- The day the site went live (YYYY-MM-DD): the 30 days run from it.
    go_live TEXT NOT NULL,
    -- Reminder days already sent (JSON array of 20 / 27 / 30).
    reminders_sent TEXT NOT NULL DEFAULT '[]',
    psb_number TEXT,
    -- The current submission to the PSB platform (`psb-<id>.v<version>`) and the last of its
    -- events applied.
    submission_id TEXT UNIQUE,
    applied_seq BIGINT NOT NULL DEFAULT 0,
    -- The officer's (or the platform's) reasons when rejected (JSON).
    review_findings TEXT NOT NULL DEFAULT '[]',
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX psb_applications_subject ON psb_applications (subject_id);
CREATE INDEX psb_applications_open ON psb_applications (state, go_live);
