-- Unfiled websites on the provider's addresses, and the block list an edge enforces (schema v16,
-- sqlite). Keep in step with the other backend's migrations.

-- A case in the compliance work list: a domain served on this provider's addresses without a
-- filing, as the bureau listed it (`source` 'miit': WBAWZLB, `bureau_id` its record id, kept once
-- however often the list arrives) or as the provider's own footer scanner found it ('scan').
-- `state`: open → handled (the provider acted; a report waits in upload `upload_seq`) →
-- reported (the bureau took the report) or refused (it answered `result`, e.g. 5005 not ours).
-- A scan case is never reported: it ends handled or dismissed.
CREATE TABLE unfiled_cases (
    id BLOB PRIMARY KEY,
    source TEXT NOT NULL,
    bureau_id INTEGER,
    domain TEXT NOT NULL,
    ip TEXT NOT NULL,
    province INTEGER,
    detected_at TEXT NOT NULL,
    times INTEGER,
    file_name TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    action INTEGER,
    opinion TEXT NOT NULL DEFAULT '',
    handled_by BLOB,
    handled_at INTEGER,
    upload_seq INTEGER,
    result TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX unfiled_cases_bureau ON unfiled_cases (bureau_id) WHERE bureau_id IS NOT NULL;
CREATE UNIQUE INDEX unfiled_cases_open_scan ON unfiled_cases (domain) WHERE source = 'scan' AND state = 'open';
CREATE UNIQUE INDEX unfiled_cases_upload ON unfiled_cases (upload_seq) WHERE upload_seq IS NOT NULL;
CREATE INDEX unfiled_cases_state ON unfiled_cases (state, received_at);

-- Domains this provider does not serve: each blocks itself and every name under it. `source`:
-- 'case' (blocked from a work-list case, `case_id`) or 'staff' (added by an administrator).
CREATE TABLE block_list (
    domain TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    case_id BLOB REFERENCES unfiled_cases (id),
    since INTEGER NOT NULL,
    added_by BLOB
);
