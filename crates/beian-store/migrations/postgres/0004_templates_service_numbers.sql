-- Rejection templates reviewers pick field-level reasons from (admin-editable).
CREATE TABLE rejection_templates (
    id UUID PRIMARY KEY,
    field TEXT NOT NULL,
    error TEXT NOT NULL,
    suggestion TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Filing service numbers (备案服务号 / 授权码): one per server instance, good for `quota`
-- services, single use — a use is never given back, even when the service is cancelled.
CREATE TABLE service_numbers (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    instance TEXT NOT NULL,
    quota BIGINT NOT NULL CHECK (quota > 0),
    used BIGINT NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= quota),
    created_at BIGINT NOT NULL
);
