-- The bureau's verification tasks (HSRW 核实任务) and inspection results (HCJG 核查结果), each a
-- reviewer work item (schema v18, sqlite). Keep in step with the other backend's migrations.

-- `kind`: 'task' (answered with an HSJG upload) or 'inspection' (acknowledged: the interface has
-- no answer to an inspection). `bureau_subject_id`: the task's subject (Ztid); an open task is
-- kept once per subject however often it arrives. `domains`: its websites' domains (a JSON
-- list), for the live check. `data`: the entry as received (XML), encrypted (AAD
-- `verification_tasks/<id>`): it carries certificate numbers and phones.
-- `state`: a task goes open → answered (its HSJG waits in upload `upload_seq`) → accepted or
-- refused (the bureau's `result`); an inspection open → acknowledged.
-- `checks`: the last live check (JSON), made at `checked_at`.
CREATE TABLE verification_tasks (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    bureau_subject_id INTEGER,
    domains TEXT NOT NULL,
    data BLOB NOT NULL,
    file_name TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    passed BOOLEAN,
    opinion TEXT NOT NULL DEFAULT '',
    checks TEXT NOT NULL DEFAULT '',
    checked_at INTEGER,
    handled_by BLOB,
    handled_at INTEGER,
    upload_seq INTEGER,
    result TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX verification_tasks_open ON verification_tasks (kind, bureau_subject_id) WHERE state = 'open';
CREATE UNIQUE INDEX verification_tasks_upload ON verification_tasks (upload_seq) WHERE upload_seq IS NOT NULL;
CREATE INDEX verification_tasks_state ON verification_tasks (state, received_at);

-- A task names its subject by the bureau's id only: which of ours it is, by index.
ALTER TABLE miit_on_file ADD COLUMN bureau_subject_id INTEGER;
UPDATE miit_on_file SET bureau_subject_id = json_extract(data, '$.subject_id');
CREATE INDEX miit_on_file_bureau ON miit_on_file (bureau_subject_id);
