-- Documents uploaded for an order (ID card sides, licences, letters, face photos).
-- The bytes live encrypted in the blob store under `blob_key`; this row holds what the
-- review needs to list them.
CREATE TABLE documents (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id),
    owner_id UUID NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL,
    -- The person or service the document belongs to, as a JSON path (`subject.head`).
    subject_path TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 BYTEA NOT NULL,
    blob_key TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX documents_order ON documents (order_id, id);
