-- Webhooks for the operator's own systems and chat robots, and further notification recipients
-- per account (schema v20, sqlite). Keep in step with the other backend's migrations.

-- A webhook: where events are posted. `url` is encrypted (AAD `webhooks/<id>/url`): a robot's
-- address carries its access key; `url_shown` is the address without its query, for lists.
-- `format`: 'json' (signed as Standard Webhooks), 'wecom' (企业微信), 'dingtalk' (钉钉), 'feishu'
-- (飞书). `secret` (AAD `webhooks/<id>/secret`): the signing secret of a 'json' hook, or the
-- robot's 加签 secret; NULL for a robot without one. `events`: the kinds it takes, a JSON list
-- ('*' for all).
CREATE TABLE webhooks (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    url BLOB NOT NULL,
    url_shown TEXT NOT NULL,
    format TEXT NOT NULL,
    secret BLOB,
    events TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_by BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The delivery log: one row per event per webhook, written in the transaction of the change
-- that caused the event, with its `deliver_webhook` job. `state`: pending → delivered, or
-- failing (the last attempt failed; retried with backoff) → delivered or gave_up (after the
-- last attempt). `response`: the start of the last answer (or the error), for the log.
CREATE TABLE webhook_deliveries (
    id BLOB PRIMARY KEY,
    webhook_id BLOB NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    response_status INTEGER,
    response TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    attempted_at INTEGER,
    delivered_at INTEGER
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, created_at);

-- Further e-mail recipients of an account's notifications (a colleague, a shared mailbox).
-- `email` encrypted (AAD `account_recipients/<id>`), `email_index` its blind index (one
-- address once per account), `email_masked` for lists.
CREATE TABLE account_recipients (
    id BLOB PRIMARY KEY,
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email BLOB NOT NULL,
    email_index BLOB NOT NULL,
    email_masked TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX account_recipients_unique ON account_recipients (account_id, email_index);
