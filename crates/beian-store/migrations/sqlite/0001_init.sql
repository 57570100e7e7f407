-- beian schema v1 (SQLite). Keep in step with migrations/postgres/0001_init.sql: same tables,
-- columns and constraints; only types and partial-index syntax differ.
-- Times are unix microseconds (INTEGER) so ordering and arithmetic are the same on both backends.
-- PII lives only inside `data` columns, encrypted by the application (AES-GCM, AAD = table/row).

CREATE TABLE accounts (
    id BLOB PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('applicant', 'reviewer', 'admin')),
    disabled BOOLEAN NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY,
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked BOOLEAN NOT NULL DEFAULT 0
);

CREATE TABLE subjects (
    id BLOB PRIMARY KEY,
    owner_id BLOB NOT NULL REFERENCES accounts (id),
    nature TEXT NOT NULL,
    name TEXT NOT NULL,
    province TEXT NOT NULL,
    -- HMAC-SHA256 blind index of the normalized certificate number.
    cert_index BLOB NOT NULL,
    data BLOB NOT NULL,
    filed_number TEXT,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX subjects_owner ON subjects (owner_id, id);
-- One person, one individual subject (rules.md §2.3).
CREATE UNIQUE INDEX subjects_individual_cert ON subjects (cert_index) WHERE nature = 'individual';

CREATE TABLE orders (
    id BLOB PRIMARY KEY,
    owner_id BLOB NOT NULL REFERENCES accounts (id),
    subject_id BLOB NOT NULL REFERENCES subjects (id),
    kind TEXT NOT NULL,
    province TEXT NOT NULL,
    state TEXT NOT NULL,
    state_data TEXT NOT NULL,
    data BLOB NOT NULL,
    findings TEXT NOT NULL DEFAULT '[]',
    review_findings TEXT NOT NULL DEFAULT '[]',
    reviewer_id BLOB REFERENCES accounts (id),
    open BOOLEAN NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    submitted_at INTEGER,
    stage_since INTEGER NOT NULL
);
CREATE INDEX orders_owner ON orders (owner_id, id);
CREATE INDEX orders_queue ON orders (state, submitted_at, id);
CREATE INDEX orders_queue_province ON orders (province, state, submitted_at, id);
-- One open order per subject (rules.md §1.8).
CREATE UNIQUE INDEX orders_one_open ON orders (subject_id) WHERE open = 1;

CREATE TABLE order_events (
    id BLOB PRIMARY KEY,
    order_id BLOB NOT NULL REFERENCES orders (id),
    at INTEGER NOT NULL,
    actor_id BLOB,
    actor_role TEXT NOT NULL,
    event TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

CREATE TABLE audit_events (
    id BLOB PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id BLOB,
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

CREATE TABLE idempotency_keys (
    account_id BLOB NOT NULL,
    key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status INTEGER NOT NULL,
    body BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE rate_limits (
    key TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE ip_pools (
    id BLOB PRIMARY KEY,
    cidr TEXT NOT NULL UNIQUE,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE messages (
    id BLOB PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    -- Recipient encrypted; a masked copy for the admin outbox page.
    recipient BLOB NOT NULL,
    recipient_masked TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    error TEXT
);
CREATE INDEX messages_created ON messages (channel, id);
