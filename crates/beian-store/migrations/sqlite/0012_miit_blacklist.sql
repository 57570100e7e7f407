-- The bureau's blacklists as the pre-check reads them (schema v12, sqlite). Keep in step with
-- the other backend's migrations.

-- One row per listed subject, domain or illegally served domain (kind 'subject', 'domain',
-- 'illegal_access'). A subject is keyed by the blind index of its certificate number (hex),
-- never the number; a domain by itself, lower case. The entry's full text stays in
-- miit_worklist, encrypted.
CREATE TABLE miit_blacklist (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    file_name TEXT NOT NULL,
    listed_at INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
);
