-- Whether each filed website still answers on this provider's addresses (schema v17, postgres).
-- Keep in step with the other backend's migrations.

-- One row per website number, written at each daily check: the addresses its domain resolved
-- to ('' when it did not resolve) and since when it has been away from the provider's IP pools
-- (NULL while it is on them). Public facts only: numbers, domains, addresses.
CREATE TABLE site_hosting (
    number TEXT PRIMARY KEY,
    subject_id UUID NOT NULL REFERENCES subjects (id),
    domain TEXT NOT NULL,
    addresses TEXT NOT NULL,
    away_since BIGINT,
    checked_at BIGINT NOT NULL
);
CREATE INDEX site_hosting_away ON site_hosting (away_since) WHERE away_since IS NOT NULL;
