-- The platform: accounts with hashed bearer tokens, and certificates.

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,        -- admin | publisher | lab | inspector
    publisher  TEXT,                 -- a publisher account's catalog publisher id
    token_hash TEXT NOT NULL UNIQUE, -- SHA-256 of the bearer token; the token itself is never stored
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,        -- the token's last moment (UTC, RFC 3339)
    revoked_at TEXT
);

CREATE TABLE certificates (
    seq              BIGINT PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    product          TEXT NOT NULL,
    grade            TEXT NOT NULL,
    enterprise_name  TEXT NOT NULL,
    credit_code      TEXT NOT NULL,
    model            TEXT NOT NULL,
    lab              TEXT NOT NULL,
    testing_body     TEXT NOT NULL,
    report_number    TEXT NOT NULL,
    report_date      TEXT NOT NULL,
    module_version   TEXT NOT NULL,
    module_digest    TEXT NOT NULL,
    standard         TEXT NOT NULL,
    catalog_revision BIGINT NOT NULL,
    fuel             BIGINT NOT NULL,
    graded_on        TEXT NOT NULL,
    expires_on       TEXT NOT NULL,
    status           TEXT NOT NULL,  -- valid | revoked
    revoked_reason   TEXT,
    revoked_note     TEXT,
    revoked_at       TEXT,
    revoked_by       TEXT,
    submission       TEXT NOT NULL,  -- the submission as JSON: everything needed to replay
    outcome          TEXT NOT NULL,  -- the result as JSON
    issued_at        TEXT NOT NULL
);

CREATE INDEX certificates_product ON certificates (product, grade);
CREATE INDEX certificates_credit_code ON certificates (credit_code);
