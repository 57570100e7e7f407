-- The regulator's own database (schema v1, SQLite): registered providers, the filing records
-- and the per-province number sequences. Keep in step with migrations/postgres.

CREATE TABLE reg_providers (
    id BLOB PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- Hex HMAC key shared with the provider (a secret; never returned by any API).
    signing_key TEXT NOT NULL,
    callback_url TEXT,
    created_at INTEGER NOT NULL
);

-- Subject serials per province and year: `<prefix>ICP备<year><serial:06>号`. A row, not a
-- database sequence, so a rolled-back approval gives its serial back (no gaps) and two
-- approvals serialize on the row (no duplicates).
CREATE TABLE reg_serials (
    province TEXT NOT NULL,
    year INTEGER NOT NULL,
    next_serial INTEGER NOT NULL,
    PRIMARY KEY (province, year)
);

CREATE TABLE reg_subjects (
    id BLOB PRIMARY KEY,
    province TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    nature TEXT NOT NULL,
    -- The next service sequence number (-N); websites, apps, mini programs and quick apps share it.
    next_service INTEGER NOT NULL,
    status TEXT NOT NULL,
    approved_at INTEGER NOT NULL
);

CREATE TABLE reg_services (
    id BLOB PRIMARY KEY,
    subject_id BLOB NOT NULL REFERENCES reg_subjects (id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    approved_at INTEGER NOT NULL,
    UNIQUE (subject_id, seq)
);
