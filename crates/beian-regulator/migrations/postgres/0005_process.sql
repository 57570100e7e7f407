-- The filing process at the regulator (schema v5, PostgreSQL): the job queue, MIIT SMS rounds and
-- the simulated phone (outbox), the events a provider is told about, bureau accounts, and the
-- records' access providers and domains. Keep in step with migrations/sqlite.

-- Same shape as the provider's queue, so beian-store's queue functions run on it.
CREATE TABLE jobs (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    locked_until BIGINT,
    locked_by TEXT,
    last_error TEXT,
    dedup_key TEXT UNIQUE,
    dead BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (dead, run_at, id);

-- One SMS round per submission (a resubmission is a new submission).
CREATE TABLE reg_sms_rounds (
    submission_id UUID PRIMARY KEY REFERENCES reg_submissions (id),
    sent_at BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    wrong BIGINT NOT NULL,
    closed BOOLEAN NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX reg_sms_rounds_open ON reg_sms_rounds (closed, deadline);

CREATE TABLE reg_sms_challenges (
    submission_id UUID NOT NULL REFERENCES reg_submissions (id),
    -- The person's JSON path in the order (`subject.head`).
    recipient TEXT NOT NULL,
    -- HMAC blind index of the mobile number, to find a person's rounds.
    mobile_index BYTEA NOT NULL,
    mobile_masked TEXT NOT NULL,
    -- `{"mobile": …, "cert_last_six": …}` encrypted (AAD `sms/<submission>/<recipient>`).
    secret BYTEA NOT NULL,
    code_hash BYTEA NOT NULL,
    resends BIGINT NOT NULL,
    verified_at BIGINT,
    PRIMARY KEY (submission_id, recipient)
);
CREATE INDEX reg_sms_challenges_mobile ON reg_sms_challenges (mobile_index);

-- The simulated phones: every text the regulator "sent". The demo's outbox page reads it.
CREATE TABLE reg_sms_outbox (
    id UUID PRIMARY KEY,
    mobile_index BYTEA NOT NULL,
    mobile_masked TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX reg_sms_outbox_mobile ON reg_sms_outbox (mobile_index, created_at);

-- What happened to a submission, in order; pushed to the provider's callback URL and
-- returned by the status API. `detail` is JSON without PII.
CREATE TABLE reg_events (
    submission_id UUID NOT NULL REFERENCES reg_submissions (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (submission_id, seq)
);
-- The last event the provider acknowledged.
ALTER TABLE reg_submissions ADD COLUMN acked_seq BIGINT NOT NULL DEFAULT 0;

-- Bureau reviewers (a province), PSB officers and admins (every province).
CREATE TABLE reg_accounts (
    id UUID PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    province TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE reg_sessions (
    token_hash BYTEA PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES reg_accounts (id),
    expires_at BIGINT NOT NULL
);

-- Records: which providers give a service access (a filing is per provider), its domains.
CREATE TABLE reg_access (
    service_id UUID NOT NULL REFERENCES reg_services (id),
    provider_id UUID NOT NULL REFERENCES reg_providers (id),
    since BIGINT NOT NULL,
    PRIMARY KEY (service_id, provider_id)
);
CREATE TABLE reg_service_domains (
    service_id UUID NOT NULL REFERENCES reg_services (id),
    domain TEXT NOT NULL,
    PRIMARY KEY (service_id, domain)
);
CREATE INDEX reg_service_domains_domain ON reg_service_domains (domain);
ALTER TABLE reg_subjects ADD COLUMN cert_index BYTEA;
CREATE INDEX reg_subjects_cert ON reg_subjects (cert_index);
CREATE INDEX reg_subjects_name ON reg_subjects (name);
