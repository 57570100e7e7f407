-- Compliance scans of filed websites (schema v6, PostgreSQL): one row per scan, newest last.
-- Keep in step with migrations/sqlite.
CREATE TABLE site_scans (
    id UUID PRIMARY KEY,
    subject_id UUID NOT NULL REFERENCES subjects (id),
    -- The website's ICP number (`浙ICP备2026012345号-1`).
    number TEXT NOT NULL,
    url TEXT NOT NULL,
    -- compliant | non_compliant | not_in_static_html | incomplete | unreachable
    verdict TEXT NOT NULL,
    reachable BOOLEAN NOT NULL,
    -- The ICP number is shown with its 号 and linked to MIIT; NULL when the scan cannot tell.
    footer_ok BOOLEAN,
    -- The scanner's report (JSON, no PII: numbers, links, findings).
    report TEXT NOT NULL,
    scanned_at BIGINT NOT NULL
);
CREATE INDEX site_scans_number ON site_scans (number, scanned_at);
CREATE INDEX site_scans_subject ON site_scans (subject_id, scanned_at);
