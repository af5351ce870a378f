-- GL exports (SPEC 7): set-returning functions whose column names are the
-- CSV headers of each general ledger's import, so that
--   COPY (SELECT * FROM revrec.export_xero(from_date => ..., to_date => ...)) TO STDOUT (FORMAT csv, HEADER)
-- writes a file the GL imports as it is.

-- Each ledger account's account in each GL, optionally per product (SPEC 2).
CREATE TABLE revrec.gl_account_map (
    target           text NOT NULL CHECK (target IN ('xero', 'quickbooks', 'netsuite')),
    account_code     text NOT NULL REFERENCES revrec.ledger_account (code) ON UPDATE CASCADE,
    product_id       text REFERENCES revrec.product,
    external_account text NOT NULL CHECK (external_account <> ''),
    UNIQUE NULLS NOT DISTINCT (target, account_code, product_id)
);
COMMENT ON TABLE revrec.gl_account_map IS
    'GL account per target (xero, quickbooks, netsuite) for each ledger account; a product row overrides the default (product_id null)';
GRANT SELECT ON revrec.gl_account_map TO revrec_reader;
GRANT INSERT, UPDATE, DELETE ON revrec.gl_account_map TO revrec_admin;

-- External account of (target, account, product): product override first.
CREATE FUNCTION revrec._gl_account(p_target text, p_account text, p_product text) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT m.external_account FROM revrec.gl_account_map m
                      WHERE m.target = p_target AND m.account_code = p_account AND m.product_id = p_product),
                    (SELECT m.external_account FROM revrec.gl_account_map m
                      WHERE m.target = p_target AND m.account_code = p_account AND m.product_id IS NULL)) $$;

-- Every (account, product) an export will write must map to an account of
-- the target GL: an import that silently posts to a blank account is the
-- worst outcome, so a missing mapping is an error naming both.
CREATE FUNCTION revrec._check_mapping(p_target text, p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude boolean) RETURNS boolean
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    SELECT DISTINCT r.account, r.product_id INTO bad
      FROM revrec._report_months(p_from, p_to, p_currency, p_as_of, p_journal_type, p_source, p_customer,
                                 p_product, p_invoice, p_credit_note, p_exclude) r
     WHERE revrec._gl_account(p_target, r.account, r.product_id) IS NULL
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RV016',
            MESSAGE = format('ledger account "%s" (product %s) has no %s account', bad.account,
                             coalesce(bad.product_id, 'none'), p_target),
            HINT = format('INSERT INTO revrec.gl_account_map (target, account_code, external_account) VALUES (%L, %L, ''...'');',
                          p_target, bad.account);
    END IF;
    RETURN true;
END $$;

-- A journal's key in the GLs: one GL journal has one date, so daily exports
-- key journals by day.  QuickBooks allows 21 characters: longer keys are
-- replaced by a stable hash.
CREATE FUNCTION revrec._gl_journal_key(journal_number text, entry_date date, granularity text, max_len integer DEFAULT NULL)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN max_len IS NOT NULL AND length(k) > max_len THEN 'J' || substr(md5(k), 1, max_len - 1) ELSE k END
      FROM (SELECT CASE WHEN granularity = 'day' THEN journal_number || '/' || to_char(entry_date, 'DD')
                        ELSE journal_number END AS k) x $$;

CREATE FUNCTION revrec.export_sequence(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'day')
    RETURNS TABLE ("Journal Number" text, "Date" text, "Narrative" text, "Product name" text,
                   "Customer ID" text, "Customer name" text, "Direction" text, "Ledger account name" text,
                   "Amount" text, "Invoice ID" text, "Invoice number" text, "Xero ledger account code" text)
    LANGUAGE sql STABLE AS $$
    SELECT r.journal_number, to_char(r.entry_date, 'YYYY-MM-DD'), r.narrative, r.product_name, r.customer_id,
           r.customer_name, upper(r.direction), a.name, r.amount::text, r.invoice_id, r.invoice_number,
           revrec._gl_account('xero', r.account, r.product_id)
      FROM revrec._journal_report($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'day')) r
      JOIN revrec.ledger_account a ON a.code = r.account
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'day')) AND revrec._check_currency($3, $1, $2)
     ORDER BY r.journal_number, r.entry_date, r.account, r.direction, r.amount $$;

CREATE FUNCTION revrec.export_xero(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("*Narration" text, "*Date" text, "Description" text, "*AccountCode" text, "*TaxRate" text,
                   "*Amount" text, "TrackingName1" text, "TrackingOption1" text, "TrackingName2" text,
                   "TrackingOption2" text)
    LANGUAGE sql STABLE AS $$
    SELECT revrec._gl_journal_key(r.journal_number, r.entry_date, coalesce($12, 'month')),
           to_char(r.entry_date, s.xero_date_format), r.narrative,
           revrec._gl_account('xero', r.account, r.product_id), s.xero_tax_rate,
           CASE r.direction WHEN 'debit' THEN r.amount ELSE -r.amount END::text,
           NULL, NULL, NULL, NULL
      FROM revrec._journal_report($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r,
           revrec.settings s
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('xero', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY 1, r.entry_date, r.direction DESC, r.account, r.amount $$;

CREATE FUNCTION revrec.export_quickbooks(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("Journal No." text, "Journal Date" text, "Account Name" text, "Debits" text, "Credits" text,
                   "Description" text, "Name" text, "Currency" text, "Location" text, "Class" text)
    LANGUAGE sql STABLE AS $$
    SELECT revrec._gl_journal_key(r.journal_number, r.entry_date, coalesce($12, 'month'), 21),
           to_char(r.entry_date, s.quickbooks_date_format),
           revrec._gl_account('quickbooks', r.account, r.product_id),
           CASE WHEN r.direction = 'debit' THEN r.amount::text END,
           CASE WHEN r.direction = 'credit' THEN r.amount::text END,
           r.narrative, r.customer_name, r.currency, NULL, NULL
      FROM revrec._journal_report($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r,
           revrec.settings s
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('quickbooks', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY 1, r.entry_date, r.direction DESC, r.account, r.amount $$;

CREATE FUNCTION revrec.export_netsuite(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("External ID" text, "Subsidiary" text, "Currency" text, "Exchange Rate" text, "Date" text,
                   "Posting Period" text, "Memo" text, "Account" text, "Debit" text, "Credit" text,
                   "Line Memo" text, "Name" text, "Department" text, "Class" text, "Location" text)
    LANGUAGE sql STABLE AS $$
    SELECT revrec._gl_journal_key(r.journal_number, r.entry_date, coalesce($12, 'month')),
           s.netsuite_subsidiary, r.currency, NULL,
           to_char(r.entry_date, s.netsuite_date_format), to_char(r.entry_date, 'Mon YYYY'),
           r.journal_number, revrec._gl_account('netsuite', r.account, r.product_id),
           CASE WHEN r.direction = 'debit' THEN r.amount::text END,
           CASE WHEN r.direction = 'credit' THEN r.amount::text END,
           r.narrative, r.customer_name, NULL, NULL, NULL
      FROM revrec._journal_report($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r,
           revrec.settings s
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('netsuite', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY 1, r.entry_date, r.direction DESC, r.account, r.amount $$;
