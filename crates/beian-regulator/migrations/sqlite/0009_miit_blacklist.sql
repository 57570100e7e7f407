-- The bureau's blacklist (HMDLB) as the simulator keeps it (schema v9, sqlite). Keep in step
-- with the other backend's migrations.

-- A subject by the blind index of its certificate number (hex; never the number), a
-- website's domain by its registrable domain. New records naming one are refused (1065,
-- 1064); every provider with a V3.0 account is handed the list's changes as HMDLB files.
CREATE TABLE reg_miit_blacklist (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
);
