-- The filing process at the regulator (schema v5, SQLite): the job queue, MIIT SMS rounds and
-- the simulated phone (outbox), the events a provider is told about, bureau accounts, and the
-- records' access providers and domains. Keep in step with migrations/postgres.

-- Same shape as the provider's queue, so beian-store's queue functions run on it.
CREATE TABLE jobs (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    locked_until INTEGER,
    locked_by TEXT,
    last_error TEXT,
    dedup_key TEXT UNIQUE,
    dead BOOLEAN NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX jobs_ready ON jobs (dead, run_at, id);

-- One SMS round per submission (a resubmission is a new submission).
CREATE TABLE reg_sms_rounds (
    submission_id BLOB PRIMARY KEY REFERENCES reg_submissions (id),
    sent_at INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    wrong INTEGER NOT NULL,
    closed BOOLEAN NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX reg_sms_rounds_open ON reg_sms_rounds (closed, deadline);

CREATE TABLE reg_sms_challenges (
    submission_id BLOB NOT NULL REFERENCES reg_submissions (id),
    -- The person's JSON path in the order (`subject.head`).
    recipient TEXT NOT NULL,
    -- HMAC blind index of the mobile number, to find a person's rounds.
    mobile_index BLOB NOT NULL,
    mobile_masked TEXT NOT NULL,
    -- `{"mobile": …, "cert_last_six": …}` encrypted (AAD `sms/<submission>/<recipient>`).
    secret BLOB NOT NULL,
    code_hash BLOB NOT NULL,
    resends INTEGER NOT NULL,
    verified_at INTEGER,
    PRIMARY KEY (submission_id, recipient)
);
CREATE INDEX reg_sms_challenges_mobile ON reg_sms_challenges (mobile_index);

-- The simulated phones: every text the regulator "sent". The demo's outbox page reads it.
CREATE TABLE reg_sms_outbox (
    id BLOB PRIMARY KEY,
    mobile_index BLOB NOT NULL,
    mobile_masked TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX reg_sms_outbox_mobile ON reg_sms_outbox (mobile_index, created_at);

-- What happened to a submission, in order; pushed to the provider's callback URL and
-- returned by the status API. `detail` is JSON without PII.
CREATE TABLE reg_events (
    submission_id BLOB NOT NULL REFERENCES reg_submissions (id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (submission_id, seq)
);
-- The last event the provider acknowledged.
ALTER TABLE reg_submissions ADD COLUMN acked_seq INTEGER NOT NULL DEFAULT 0;

-- Bureau reviewers (a province), PSB officers and admins (every province).
CREATE TABLE reg_accounts (
    id BLOB PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    province TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE reg_sessions (
    token_hash BLOB PRIMARY KEY,
    account_id BLOB NOT NULL REFERENCES reg_accounts (id),
    expires_at INTEGER NOT NULL
);

-- Records: which providers give a service access (a filing is per provider), its domains.
CREATE TABLE reg_access (
    service_id BLOB NOT NULL REFERENCES reg_services (id),
    provider_id BLOB NOT NULL REFERENCES reg_providers (id),
    since INTEGER NOT NULL,
    PRIMARY KEY (service_id, provider_id)
);
CREATE TABLE reg_service_domains (
    service_id BLOB NOT NULL REFERENCES reg_services (id),
    domain TEXT NOT NULL,
    PRIMARY KEY (service_id, domain)
);
CREATE INDEX reg_service_domains_domain ON reg_service_domains (domain);
ALTER TABLE reg_subjects ADD COLUMN cert_index BLOB;
CREATE INDEX reg_subjects_cert ON reg_subjects (cert_index);
CREATE INDEX reg_subjects_name ON reg_subjects (name);
