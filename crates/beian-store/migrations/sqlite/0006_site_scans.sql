-- Compliance scans of filed websites (schema v6, SQLite): one row per scan, newest last.
-- Keep in step with migrations/postgres.
CREATE TABLE site_scans (
    id BLOB PRIMARY KEY,
    subject_id BLOB NOT NULL REFERENCES subjects (id),
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
    scanned_at INTEGER NOT NULL
);
CREATE INDEX site_scans_number ON site_scans (number, scanned_at);
CREATE INDEX site_scans_subject ON site_scans (subject_id, scanned_at);
