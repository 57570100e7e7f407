-- Password-reset tokens (schema v8, PostgreSQL). Keep in step with migrations/sqlite.
-- Only the token's hash is kept; a token works once, before it expires.
CREATE TABLE password_resets (
    token_hash BYTEA PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_account ON password_resets (account_id);
