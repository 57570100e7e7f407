-- Unfiled websites the bureau found on a provider's addresses (WBAWZLB) and the provider's
-- reports of what it did (WBACLJG), as the simulator keeps them (schema v10, sqlite). Keep in
-- step with the other backend's migrations.

-- `id` is the record id the list carries (Id); a report names the domain, so one open entry
-- per provider and domain; `times` counts how often it was listed. `action` is the provider's Wbacl_dms code once it reported.
CREATE TABLE reg_miit_unfiled (
    id INTEGER PRIMARY KEY,
    isp_id INTEGER NOT NULL,
    domain TEXT NOT NULL,
    ip INTEGER NOT NULL,
    listed_at INTEGER NOT NULL,
    times INTEGER NOT NULL DEFAULT 1,
    reported_at INTEGER,
    action INTEGER,
    opinion TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reg_miit_unfiled_domain ON reg_miit_unfiled (isp_id, domain);
