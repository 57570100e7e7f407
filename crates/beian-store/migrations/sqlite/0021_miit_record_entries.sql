-- A V3.0 order of several entries (取消接入 or 注销网站 of several sites: one ZXBA entry each) is
-- decided entry by entry (schema v21, sqlite). Keep in step with the other backend's migrations.

-- `entries`: how many verdicts the record waits for; `decided_at` is set when the last arrives,
-- and `verdict` keeps each one as it comes.
ALTER TABLE miit_records ADD COLUMN entries INTEGER NOT NULL DEFAULT 1;
