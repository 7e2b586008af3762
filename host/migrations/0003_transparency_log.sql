-- The transparency log (host/src/registry/log.rs): its leaves with the stored hashes of
-- its Merkle tree (tlog's layout: leaf n adds its own hash and those of the subtrees it
-- completes, kept in its row), the signed checkpoints, and the one key the log is ever
-- signed with. It replaces audit_log's hash chain, which had no key and was anchored
-- nowhere.

CREATE TABLE log_entries (
    idx     BIGINT PRIMARY KEY,   -- the leaf index, from 0
    kind    TEXT NOT NULL,        -- certificate.issue, catalog.revision, …
    subject TEXT NOT NULL,        -- a certificate number, `down-jacket 1.0.0`, …
    hashes  BYTEA NOT NULL,       -- the stored hashes leaf idx adds, 32 bytes each, by level
    leaf    BYTEA NOT NULL        -- the canonical JSON the leaf hash covers
);

CREATE TABLE log_checkpoints (
    size      BIGINT PRIMARY KEY,
    note      TEXT NOT NULL,      -- the signed checkpoint, as served
    signed_at TEXT NOT NULL
);

CREATE TABLE log_identity (
    origin       TEXT PRIMARY KEY,
    verifier_key TEXT NOT NULL
);

-- Where each catalog revision, certificate and revocation sits in the log. A logged
-- certificate's submission and outcome live in its leaf only (the row keeps what queries
-- filter on, and empty submission and outcome columns).
ALTER TABLE catalog_revisions ADD COLUMN log_index BIGINT;
ALTER TABLE certificates ADD COLUMN log_index BIGINT;
ALTER TABLE certificates ADD COLUMN revocation_log_index BIGINT;
CREATE INDEX certificates_log_index ON certificates (log_index);

-- One test report backs one certificate: a testing body's report number, per product.
CREATE TABLE report_claims (
    product       TEXT NOT NULL,
    testing_body  TEXT NOT NULL,
    report_number TEXT NOT NULL,
    certificate   TEXT NOT NULL,
    PRIMARY KEY (product, testing_body, report_number)
);
INSERT INTO report_claims (product, testing_body, report_number, certificate)
    SELECT product, testing_body, report_number, MIN(number)
    FROM certificates GROUP BY product, testing_body, report_number;

-- The first answer to a request sent with an Idempotency-Key, per account: a retry gets
-- it again instead of a second certificate or revocation.
CREATE TABLE idempotency (
    account      TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,   -- SHA-256 of the method, path and body
    status       BIGINT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (account, idem_key)
);
