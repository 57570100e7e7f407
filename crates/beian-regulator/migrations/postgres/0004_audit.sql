-- The regulator's append-only audit log: every signed request it refused and every change it
-- made. Keep in step with migrations/sqlite.
CREATE TABLE reg_audit (
    id UUID PRIMARY KEY,
    at BIGINT NOT NULL,
    -- A provider code (as claimed, for refused requests) or an account.
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT,
    -- `OK`, or the stable code of the refusal.
    outcome TEXT NOT NULL,
    ip TEXT
);
CREATE INDEX reg_audit_at ON reg_audit (at);
