-- Verification tasks (HSRW) the bureau hands a provider and the answers it takes (HSJG) (schema
-- v11, sqlite). Keep in step with the other backend's migrations.

-- One row per task: the provider (`isp_id`), the subject by its bureau id (`ztid`) and number,
-- when it was issued; once answered, the verdict (`passed`), the opinion and who verified.
-- A subject has at most one open task per provider: an answer names only the subject.
CREATE TABLE reg_miit_tasks (
    id INTEGER PRIMARY KEY,
    isp_id INTEGER NOT NULL,
    ztid INTEGER NOT NULL,
    subject_number TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    answered_at INTEGER,
    passed BOOLEAN,
    opinion TEXT NOT NULL DEFAULT '',
    verifier TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX reg_miit_tasks_open ON reg_miit_tasks (isp_id, ztid) WHERE answered_at IS NULL;
