-- Password-reset tokens (schema v8, SQLite). Keep in step with migrations/postgres.
-- Only the token's hash is kept; a token works once, before it expires.
CREATE TABLE password_resets (
    token_hash BLOB PRIMARY KEY,
    account_id BLOB NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX password_resets_account ON password_resets (account_id);
