-- After the certificate: spot checks of certified products on the market, the product
-- identifiers a label covers, and the enterprises' own accounts.

-- Spot checks (监督抽查, host/src/platform/spot_checks.rs): a market sample of a certified
-- product graded again with the certificate's own module. What a spot check says lives in
-- its log leaf only; the row numbers it, names its certificate and finding, and points at
-- the leaf.
CREATE TABLE spot_checks (
    seq         BIGINT PRIMARY KEY,   -- its number, MAX + 1 inside the registry's write lock
    certificate TEXT NOT NULL,
    finding     TEXT NOT NULL,        -- consistent | overstated | failed
    log_index   BIGINT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX spot_checks_certificate ON spot_checks (certificate, seq);

-- The GTINs (14-digit form) each certificate's label covers, as its leaf records them:
-- what a scanned barcode is looked up by, and what keeps one GTIN under at most one
-- valid certificate of a product at a time.
CREATE TABLE certificate_gtins (
    gtin        TEXT NOT NULL,
    product     TEXT NOT NULL,
    certificate TEXT NOT NULL,
    PRIMARY KEY (gtin, certificate)
);

-- An enterprise account acts for one enterprise, by its unified social credit code.
ALTER TABLE accounts ADD COLUMN credit_code TEXT;
