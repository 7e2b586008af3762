-- Reads that stay fast at millions of certificates (host/src/platform/certificates/rows.rs).
--
-- Every list of certificates is read in one order, the latest expiry first and then the
-- latest issued: for a platform that grades on its own calendar day that is newest first,
-- and a status is a range of it (valid: expiring today or later; expired: before today).
-- A page continues from a cursor, the last row's (expires_on, seq), and each filter has an
-- index in that order, so a page reads its own rows and no others. Revoked certificates
-- are few: partial indexes hold them alone (a query names status = 'revoked' literally so
-- that both backends' planners can use them).

DROP INDEX certificates_product;
DROP INDEX certificates_credit_code;

CREATE INDEX certificates_order ON certificates (expires_on, seq);
CREATE INDEX certificates_product ON certificates (product, expires_on, seq);
CREATE INDEX certificates_credit_code ON certificates (credit_code, expires_on, seq);
CREATE INDEX certificates_enterprise ON certificates (enterprise_name, expires_on, seq);
CREATE INDEX certificates_revoked ON certificates (expires_on, seq) WHERE status = 'revoked';
CREATE INDEX certificates_revoked_product ON certificates (product, expires_on, seq) WHERE status = 'revoked';
-- The exposure list: the latest revocation first.
CREATE INDEX certificates_exposure ON certificates (revoked_at, seq) WHERE status = 'revoked';

-- Valid certificates counted as they are issued and revoked, in the same transaction, by
-- the day they expire: the statistics of a day are the sum over the days not yet past,
-- a few thousand rows however many certificates there are.
CREATE TABLE certificate_counts (
    product    TEXT NOT NULL,
    grade      TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (product, grade, expires_on)
);
INSERT INTO certificate_counts (product, grade, expires_on, n)
    SELECT product, grade, expires_on, COUNT(*)
    FROM certificates WHERE status = 'valid'
    GROUP BY product, grade, expires_on;
CREATE INDEX certificate_counts_expiry ON certificate_counts (expires_on);
