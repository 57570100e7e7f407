-- Filing submissions received from providers. Keep in step with migrations/sqlite.
CREATE TABLE reg_submissions (
    id UUID PRIMARY KEY,
    provider_id UUID NOT NULL REFERENCES reg_providers (id),
    -- The provider's own id for the submission: a retry with the same id and body is the same
    -- submission, never a second one.
    submission_id TEXT NOT NULL,
    body_hash BYTEA NOT NULL,
    province TEXT NOT NULL,
    -- The filing as the provider sent it, encrypted (AAD `submissions/<id>/payload`): it
    -- carries certificate numbers and phones.
    payload BYTEA NOT NULL,
    status TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (provider_id, submission_id)
);
CREATE INDEX reg_submissions_queue ON reg_submissions (province, status, received_at);
