-- MIIT's enterprise interface V3.0 at the simulated bureau (schema v8, PostgreSQL). Keep in
-- step with migrations/sqlite.

-- How a submission arrived: `json` (the signed JSON seam) or `miit` (a V3.0 upload file).
-- A V3.0 submission's outcome goes back as a download file, never as a callback.
ALTER TABLE reg_submissions ADD COLUMN channel TEXT NOT NULL DEFAULT 'json';

-- What the registry holds of a filed subject and service (the subject with its head, a
-- website with its head), encrypted (AAD `reg_subjects/<id>/data`, `reg_services/<id>/data`):
-- a V3.0 new-site, new-access, change or cancellation names them only by number or id.
ALTER TABLE reg_subjects ADD COLUMN data BYTEA;
ALTER TABLE reg_services ADD COLUMN data BYTEA;

-- A provider's interface login: its reporting-unit id (ispId, Qqdwid), user name and password
-- (encrypted, AAD `reg_miit_accounts/<isp_id>/password`: pwdHash is an MD5 over it), its
-- province, the AES key and IV when it encrypts (encrypted the same way), its rights.
CREATE TABLE reg_miit_accounts (
    isp_id BIGINT PRIMARY KEY,
    provider_id UUID NOT NULL UNIQUE REFERENCES reg_providers (id),
    user_name TEXT NOT NULL,
    password BYTEA NOT NULL,
    province TEXT NOT NULL,
    aes BYTEA,
    upload_right BOOLEAN NOT NULL,
    -- `HH:MM-HH:MM` China time when uploads are taken; NULL for any time.
    upload_hours TEXT,
    created_at BIGINT NOT NULL
);

-- Every randVal a provider used, for a day: a call replayed with the same one is refused.
CREATE TABLE reg_miit_randvals (
    isp_id BIGINT NOT NULL,
    rand_val TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (isp_id, rand_val)
);
CREATE INDEX reg_miit_randvals_at ON reg_miit_randvals (at);

-- Every file a provider uploaded, by its dataSequence (1, 2, 3, … without gaps), with the
-- hash it came with and the XML (encrypted, AAD `reg_miit_uploads/<isp_id>/<seq>`).
CREATE TABLE reg_miit_uploads (
    isp_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    hash TEXT NOT NULL,
    xml BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (isp_id, seq)
);

-- The record each V3.0 submission came from: the file, the operation (Czlx), the result's
-- identifier (Bs), the related record id (Jlid) and the provider's ids (JSON), so its outcome
-- can be answered in the provider's terms.
CREATE TABLE reg_miit_records (
    submission_id UUID PRIMARY KEY REFERENCES reg_submissions (id),
    isp_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    operation BIGINT NOT NULL,
    bs TEXT NOT NULL,
    jlid BIGINT,
    ids TEXT NOT NULL
);

-- Files waiting for a provider's download, in the order they were queued (`id`), until it
-- acknowledges them (the XML encrypted, AAD `reg_miit_downloads/<file_name>`).
CREATE TABLE reg_miit_downloads (
    id BIGSERIAL PRIMARY KEY,
    file_name TEXT NOT NULL UNIQUE,
    isp_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    xml BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    acked_at BIGINT
);
CREATE INDEX reg_miit_downloads_waiting ON reg_miit_downloads (isp_id, acked_at, id);

-- The bureau's numeric ids of what is on record (Ztid, Wzid, Ymid, Jrid, Ipid), by kind and a
-- reference: `subject` by number, `website` by number, `domain` by `number/domain`, `access`
-- by `number/isp_id`, `ip` by `number/isp_id/start-end`.
CREATE TABLE reg_miit_ids (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    UNIQUE (kind, ref)
);
