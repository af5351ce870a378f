-- GL exports: set-returning functions whose column names are the
-- CSV headers of each general ledger's import, so that
--   COPY (SELECT * FROM revrec.export_xero(from_date => ..., to_date => ...)) TO STDOUT (FORMAT csv, HEADER)
-- writes a file the GL imports as it is.

-- Each ledger account's account in each GL, optionally per product.
CREATE TABLE revrec.gl_account_map (
    target           text NOT NULL CHECK (target IN ('xero', 'quickbooks', 'netsuite')),
    account_code     text NOT NULL REFERENCES revrec.ledger_account (code) ON UPDATE CASCADE,
    product_id       text REFERENCES revrec.product,
    external_account text NOT NULL CHECK (external_account <> ''),
    UNIQUE NULLS NOT DISTINCT (target, account_code, product_id)
);

COMMENT ON TABLE revrec.gl_account_map IS
    'GL account per target (xero, quickbooks, netsuite) for each ledger account; a product row overrides the default (product_id null)';
