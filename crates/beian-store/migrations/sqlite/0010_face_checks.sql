-- The automatic face check of a face photo (schema v10, sqlite): what an identity-verification
-- vendor said when it compared the photo with the person's identity. NULL until checked, and
-- always NULL with the manual verifier (the reviewer compares). No PII: a verdict, a score and
-- the vendor's reason code. Keep in step with migrations/postgres.
ALTER TABLE documents ADD COLUMN face_verifier TEXT;
ALTER TABLE documents ADD COLUMN face_passed BOOLEAN;
ALTER TABLE documents ADD COLUMN face_score INTEGER;
ALTER TABLE documents ADD COLUMN face_reason TEXT;
ALTER TABLE documents ADD COLUMN face_checked_at INTEGER;
