-- The providers' IP address filing (IP地址备案) at the simulated bureau (schema v12, sqlite).
-- Keep in step with the other backend's migrations.

-- One row per filed record: `id` is the bureau's id (Id), `isp_id` the provider (reporting
-- unit), `kind` 'source' (来源, from `unit`) or 'allocation' (分配使用, `usage` its Fpfs),
-- `record` the provider's own id (IspId), the range as the interface's integers. A withdrawn
-- record is deleted. An ICP access record's addresses must lie in its provider's allocations
-- (1063) once it has filed any.
CREATE TABLE reg_miit_ip (
    id INTEGER PRIMARY KEY,
    isp_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    record INTEGER NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    unit INTEGER,
    usage INTEGER,
    filed_at INTEGER NOT NULL
);
CREATE INDEX reg_miit_ip_range ON reg_miit_ip (isp_id, kind, first);
