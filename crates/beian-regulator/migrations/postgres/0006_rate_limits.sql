-- Attempt counters per key and window (schema v6, PostgreSQL): bureau sign-ins and SMS entries per
-- account and per client address. Keep in step with migrations/sqlite.
CREATE TABLE reg_rate_limits (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
