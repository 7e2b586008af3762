-- The registry: catalog revisions, module bytes (once per digest), published module
-- versions, and the tamper-evident audit chain. Applied migrations are never edited.
--
-- One schema for SQLite and PostgreSQL: every type here means the same in both (SQLite
-- keeps a BYTEA column's blobs as blobs).

CREATE TABLE catalog_revisions (
    number      BIGINT PRIMARY KEY,
    effective   TEXT NOT NULL,
    body        TEXT NOT NULL,   -- the revision as JSON
    recorded_at TEXT NOT NULL
);

CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,     -- SHA-256, hex
    bytes  BYTEA NOT NULL
);

CREATE TABLE modules (
    product      TEXT NOT NULL,
    version      TEXT NOT NULL,
    major        BIGINT NOT NULL,
    digest       TEXT NOT NULL REFERENCES blobs (digest),
    publisher    TEXT NOT NULL,
    standard     TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (product, version)
);

CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
