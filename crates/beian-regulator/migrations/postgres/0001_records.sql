-- The regulator's own database (schema v1, PostgreSQL): registered providers, the filing records
-- and the per-province number sequences. Keep in step with migrations/sqlite.

CREATE TABLE reg_providers (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- Hex HMAC key shared with the provider (a secret; never returned by any API).
    signing_key TEXT NOT NULL,
    callback_url TEXT,
    created_at BIGINT NOT NULL
);

-- Subject serials per province and year: `<prefix>ICP备<year><serial:06>号`. A row, not a
-- database sequence, so a rolled-back approval gives its serial back (no gaps) and two
-- approvals serialize on the row (no duplicates).
CREATE TABLE reg_serials (
    province TEXT NOT NULL,
    year BIGINT NOT NULL,
    next_serial BIGINT NOT NULL,
    PRIMARY KEY (province, year)
);

CREATE TABLE reg_subjects (
    id UUID PRIMARY KEY,
    province TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    nature TEXT NOT NULL,
    -- The next service sequence number (-N); websites, apps, mini programs and quick apps share it.
    next_service BIGINT NOT NULL,
    status TEXT NOT NULL,
    approved_at BIGINT NOT NULL
);

CREATE TABLE reg_services (
    id UUID PRIMARY KEY,
    subject_id UUID NOT NULL REFERENCES reg_subjects (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    approved_at BIGINT NOT NULL,
    UNIQUE (subject_id, seq)
);
