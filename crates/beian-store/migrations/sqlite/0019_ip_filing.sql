-- The provider's IP address filing (IP地址备案) (schema v19, sqlite). Keep in step with the other
-- backend's migrations.

-- The IP pools are the ranges the provider uses (分配使用): how each is used (`usage`, the
-- interface's Fpfs: 2 re-allocated to reporting unit `allocated_to`, 3 own use, 4 reserved),
-- how its addresses are assigned (`method`, Syfs: 1 static, 2 dynamic, 3 unknown) and since when
-- (`since`, YYYY-MM-DD). `filing`: unreported → reporting (upload `upload_seq`) → filed (the
-- bureau's `bureau_id`) or refused (`result`); filed → withdrawing → unreported. `isp_id` is the
-- provider's record id the bureau echoes.
ALTER TABLE ip_pools ADD COLUMN usage INTEGER NOT NULL DEFAULT 3;
ALTER TABLE ip_pools ADD COLUMN method INTEGER NOT NULL DEFAULT 1;
ALTER TABLE ip_pools ADD COLUMN allocated_to INTEGER;
ALTER TABLE ip_pools ADD COLUMN since TEXT NOT NULL DEFAULT '';
ALTER TABLE ip_pools ADD COLUMN filing TEXT NOT NULL DEFAULT 'unreported';
ALTER TABLE ip_pools ADD COLUMN isp_id INTEGER;
ALTER TABLE ip_pools ADD COLUMN bureau_id INTEGER;
ALTER TABLE ip_pools ADD COLUMN upload_seq INTEGER;
ALTER TABLE ip_pools ADD COLUMN result TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX ip_pools_isp_id ON ip_pools (isp_id) WHERE isp_id IS NOT NULL;

-- Where the provider's blocks come from (来源): the unit that gave each (`unit`, the bureau's
-- table of reporting units), filed the same way as the pools, before any pool inside it.
CREATE TABLE ip_sources (
    id BLOB PRIMARY KEY,
    cidr TEXT NOT NULL UNIQUE,
    unit INTEGER NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    filing TEXT NOT NULL DEFAULT 'unreported',
    isp_id INTEGER,
    bureau_id INTEGER,
    upload_seq INTEGER,
    result TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX ip_sources_isp_id ON ip_sources (isp_id) WHERE isp_id IS NOT NULL;
