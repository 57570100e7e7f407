-- beian schema v1 (PostgreSQL). Keep in step with migrations/sqlite/0001_init.sql: same tables,
-- columns and constraints; only types and partial-index syntax differ.
-- Times are unix microseconds (INTEGER) so ordering and arithmetic are the same on both backends.
-- PII lives only inside `data` columns, encrypted by the application (AES-GCM, AAD = table/row).

CREATE TABLE accounts (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('applicant', 'reviewer', 'admin')),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE subjects (
    id UUID PRIMARY KEY,
    owner_id UUID NOT NULL REFERENCES accounts (id),
    nature TEXT NOT NULL,
    name TEXT NOT NULL,
    province TEXT NOT NULL,
    -- HMAC-SHA256 blind index of the normalized certificate number.
    cert_index BYTEA NOT NULL,
    data BYTEA NOT NULL,
    filed_number TEXT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX subjects_owner ON subjects (owner_id, id);
-- One person, one individual subject (rules.md §2.3).
CREATE UNIQUE INDEX subjects_individual_cert ON subjects (cert_index) WHERE nature = 'individual';

CREATE TABLE orders (
    id UUID PRIMARY KEY,
    owner_id UUID NOT NULL REFERENCES accounts (id),
    subject_id UUID NOT NULL REFERENCES subjects (id),
    kind TEXT NOT NULL,
    province TEXT NOT NULL,
    state TEXT NOT NULL,
    state_data TEXT NOT NULL,
    data BYTEA NOT NULL,
    findings TEXT NOT NULL DEFAULT '[]',
    review_findings TEXT NOT NULL DEFAULT '[]',
    reviewer_id UUID REFERENCES accounts (id),
    open BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT,
    stage_since BIGINT NOT NULL
);
CREATE INDEX orders_owner ON orders (owner_id, id);
CREATE INDEX orders_queue ON orders (state, submitted_at, id);
CREATE INDEX orders_queue_province ON orders (province, state, submitted_at, id);
-- One open order per subject (rules.md §1.8).
CREATE UNIQUE INDEX orders_one_open ON orders (subject_id) WHERE open;

CREATE TABLE order_events (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id),
    at BIGINT NOT NULL,
    actor_id UUID,
    actor_role TEXT NOT NULL,
    event TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

CREATE TABLE audit_events (
    id UUID PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id UUID,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    ip TEXT,
    request_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id, id);

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

CREATE TABLE idempotency_keys (
    account_id UUID NOT NULL,
    key TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    status BIGINT NOT NULL,
    body BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE rate_limits (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE ip_pools (
    id UUID PRIMARY KEY,
    cidr TEXT NOT NULL UNIQUE,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE messages (
    id UUID PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    -- Recipient encrypted; a masked copy for the admin outbox page.
    recipient BYTEA NOT NULL,
    recipient_masked TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    error TEXT
);
CREATE INDEX messages_created ON messages (channel, id);
