-- Nonces of signed provider requests seen within the replay window (beian-seam).
CREATE TABLE reg_nonces (
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (provider, nonce)
);
CREATE INDEX reg_nonces_at ON reg_nonces (at);
