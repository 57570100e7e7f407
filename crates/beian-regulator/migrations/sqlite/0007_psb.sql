-- The public-security filing platform (schema v7, SQLite). Keep in step with migrations/postgres.

-- What a submission files: `icp` (an ICP order, through SMS verification to the bureau) or
-- `psb` (a public-security application for one filed website, to a PSB officer).
ALTER TABLE reg_submissions ADD COLUMN kind TEXT NOT NULL DEFAULT 'icp';

-- PSB serials per filing police area (the number's first six digits). A row, like
-- reg_serials: approvals serialize on it and a rollback gives the serial back.
CREATE TABLE reg_psb_serials (
    area TEXT PRIMARY KEY,
    next_serial INTEGER NOT NULL
);

-- Issued PSB numbers. No PII: the site, its domains and the ICP number it belongs to.
CREATE TABLE reg_psb_records (
    number TEXT PRIMARY KEY,
    icp_number TEXT NOT NULL,
    area TEXT NOT NULL,
    submission_id BLOB NOT NULL UNIQUE REFERENCES reg_submissions (id),
    website_name TEXT NOT NULL,
    -- JSON array of the site's domains.
    domains TEXT NOT NULL,
    status TEXT NOT NULL,
    approved_at INTEGER NOT NULL
);
CREATE INDEX reg_psb_records_icp ON reg_psb_records (icp_number);
