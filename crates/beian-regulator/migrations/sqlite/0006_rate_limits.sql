-- Attempt counters per key and window (schema v6, SQLite): bureau sign-ins and SMS entries per
-- account and per client address. Keep in step with migrations/postgres.
CREATE TABLE reg_rate_limits (
    key TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);
