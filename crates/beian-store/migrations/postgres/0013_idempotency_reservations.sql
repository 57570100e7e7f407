-- Idempotency keys are reserved before the request runs (schema v13, postgres). Keep in step with
-- the other backend's migrations.

-- A row with status 0 is a reservation: the request holding it runs until lease_until
-- (unix microseconds); a duplicate waits for its answer, and takes the key over only once
-- the lease has run out (its holder died). Finished rows carry the HTTP status (>= 100).
ALTER TABLE idempotency_keys ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
