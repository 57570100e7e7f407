-- MIIT's enterprise interface V3.0 at the provider (schema v11, postgres). Keep in step with the
-- other backend's migrations.

-- The next dataSequence of an upload file, and the next of the provider's own record ids
-- (IspZtid, IspWzid, IspYmid, IspJrid, IspIpid share one sequence). Rows, not database
-- sequences: taken in the transaction that uses them, so a rollback gives them back and the
-- files stay numbered without gaps.
CREATE TABLE miit_counters (
    name TEXT PRIMARY KEY,
    next BIGINT NOT NULL
);
INSERT INTO miit_counters (name, next) VALUES ('sequence', 1), ('record_id', 1);

-- Upload files by dataSequence. The XML is in the blob store (`miit/uploads/<seq>`,
-- encrypted), kept at least three months as the spec asks.
CREATE TABLE miit_uploads (
    seq BIGINT PRIMARY KEY,
    file_name TEXT NOT NULL,
    records BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- When an upload was last tried: set before the call, so a crash during it is known and
    -- the next try asks the bureau what it received (isp_querypreviousupload).
    attempted_at BIGINT,
    -- The bureau's last answer, and when it accepted the file (code 0).
    last_code BIGINT,
    accepted_at BIGINT
);
CREATE INDEX miit_uploads_pending ON miit_uploads (accepted_at, seq);

-- Each order record a file carries: the regulator link its outcome is applied through, the
-- operation (Czlx) and identifier (Bs) the bureau's verdict names it by, the provider's ids
-- (JSON), the verdict once received, and the numbers the bureau's BASJ data gave it (JSON).
CREATE TABLE miit_records (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id),
    submission_id TEXT NOT NULL UNIQUE,
    upload_seq BIGINT NOT NULL REFERENCES miit_uploads (seq),
    operation BIGINT NOT NULL,
    identifier TEXT NOT NULL,
    ids TEXT NOT NULL,
    verdict TEXT,
    numbers TEXT,
    decided_at BIGINT
);
CREATE INDEX miit_records_open ON miit_records (operation, identifier, decided_at);
CREATE INDEX miit_records_upload ON miit_records (upload_seq);

-- The provider's own subject and website ids of each record, to match the bureau's BASJ data.
CREATE TABLE miit_record_ids (
    isp_id BIGINT PRIMARY KEY,
    record_id UUID NOT NULL REFERENCES miit_records (id)
);

-- Downloaded files (name and hash: a name is the bureau's), received, applied and
-- acknowledged. The XML is in the blob store (`miit/downloads/<name>`, encrypted).
CREATE TABLE miit_downloads (
    file_name TEXT NOT NULL,
    hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    blob_key TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    applied_at BIGINT,
    acked_at BIGINT,
    PRIMARY KEY (file_name, hash)
);

-- What the bureau has on file for a subject (its ids and numbers, no PII), from BASJ.
CREATE TABLE miit_on_file (
    subject_id UUID PRIMARY KEY REFERENCES subjects (id),
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- What the bureau handed down for the provider to keep: the base code tables (`jcdm`).
CREATE TABLE miit_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The bureau's lists that give the provider work: blacklists (HMDLB, FFJRHMD), unfiled
-- websites on its addresses (WBAWZLB), verification tasks (HSRW), inspection results (HCJG),
-- notices (XGTZ). One row per entry, its data encrypted (AAD `miit_worklist/<id>`): a
-- blacklisted subject carries a certificate number.
CREATE TABLE miit_worklist (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    data BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX miit_worklist_open ON miit_worklist (kind, done_at, received_at);
