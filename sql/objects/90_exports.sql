-- External account of (target, account, product): product override first.
CREATE OR REPLACE FUNCTION revrec._gl_account(p_target text, p_account text, p_product text) RETURNS text
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce((SELECT m.external_account FROM revrec.gl_account_map m
                      WHERE m.target = p_target AND m.account_code = p_account AND m.product_id = p_product),
                    (SELECT m.external_account FROM revrec.gl_account_map m
                      WHERE m.target = p_target AND m.account_code = p_account AND m.product_id IS NULL));
END;

-- Every (account, product) an export will write must map to an account of
-- the target GL: an import that silently posts to a blank account is the
-- worst outcome, so a missing mapping is an error naming every account and
-- product missing (all of them in one error, not one per run).  Xero account
-- codes are at most 10 characters (RV031).
CREATE OR REPLACE FUNCTION revrec._check_mapping(p_target text, p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude boolean) RETURNS boolean
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing text[];
    first_account text;
    too_long text[];
BEGIN
    SELECT array_agg(pg_catalog.format('"%s" (product %s)', x.account, coalesce(x.product_id, 'none'))
                     ORDER BY x.account, x.product_id NULLS FIRST)
               FILTER (WHERE x.ext IS NULL),
           min(x.account) FILTER (WHERE x.ext IS NULL),
           array_agg(DISTINCT pg_catalog.format('"%s" (ledger account "%s")', x.ext, x.account))
               FILTER (WHERE p_target = 'xero' AND length(x.ext) > 10)
      INTO missing, first_account, too_long
      FROM (SELECT y.account, y.product_id, revrec._gl_account(p_target, y.account, y.product_id) AS ext
              FROM (SELECT DISTINCT r.account, r.product_id
                      FROM revrec._report_months(p_from, p_to, p_currency, p_as_of, p_journal_type, p_source, p_customer,
                                                 p_product, p_invoice, p_credit_note, coalesce(p_exclude, false)) r) y) x;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RV016',
            MESSAGE = pg_catalog.format('%s ledger account%s without a %s account: %s', cardinality(missing),
                                        CASE WHEN cardinality(missing) > 1 THEN 's' ELSE '' END, p_target,
                                        array_to_string(missing, ', ')),
            HINT = pg_catalog.format('INSERT INTO revrec.gl_account_map (target, account_code, external_account) VALUES (%L, %L, ''...''); '
                                     '(a row with product_id maps one product only)', p_target, first_account);
    END IF;
    IF too_long IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RV031',
            MESSAGE = pg_catalog.format('Xero account codes are at most 10 characters: %s', array_to_string(too_long, ', ')),
            HINT = 'Map the ledger account to the account''s code in Xero''s chart of accounts (e.g. 200), not its name.';
    END IF;
    RETURN true;
END $$;

-- The Sequence CSV's "Xero ledger account code" column comes from the Xero
-- mappings: once Xero is mapped at all, every account exported must be.
CREATE OR REPLACE FUNCTION revrec._check_xero_codes(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude boolean) RETURNS boolean
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM revrec.gl_account_map m WHERE m.target = 'xero') THEN
        PERFORM revrec._check_mapping('xero', p_from, p_to, p_currency, p_as_of, p_journal_type, p_source, p_customer,
                                      p_product, p_invoice, p_credit_note, p_exclude);
    END IF;
    RETURN true;
END $$;

-- Xero's tax rate: a name from the organisation's own tax settings.  There is
-- no default that works everywhere, so an export refuses until it is chosen.
CREATE OR REPLACE FUNCTION revrec._xero_tax_rate() RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v text := (SELECT s.xero_tax_rate FROM revrec.settings s);
BEGIN
    IF v IS NULL OR btrim(v) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'RV030',
            MESSAGE = 'the Xero tax rate is not chosen: set revrec.settings.xero_tax_rate to the name of a tax rate of your Xero organisation',
            DETAIL = 'Xero imports a manual journal line only with the full name of one of the organisation''s tax rates; '
                     'common names for no tax are "Tax Exempt" (US), "BAS Excluded" (Australia), "No GST" (New Zealand) '
                     'and "No VAT" (United Kingdom).',
            HINT = 'UPDATE revrec.settings SET xero_tax_rate = ''Tax Exempt'';   -- as a revrec_admin, with your organisation''s name';
    END IF;
    RETURN v;
END $$;

-- A text cell of an exported file: with settings.export_neutralize_formulas
-- (the default), one starting with = + - @, a tab or a carriage return gets
-- a leading apostrophe, so that a spreadsheet shows it instead of running it.
CREATE OR REPLACE FUNCTION revrec._cell(v text, neutralize boolean) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN neutralize AND v ~ E'^[=+@\t\r-]' THEN '''' || v ELSE v END;
END;

-- An amount as a GL takes it: positive, at most 2 decimals (the caller
-- rounds and balances), at most 10 integer digits in NetSuite and
-- 99,999,999,999.99 in QuickBooks Online; anything else is refused (RV031)
-- before a file is written (the exports sort every row before the first
-- one leaves).
CREATE OR REPLACE FUNCTION revrec._gl_amount(p_target text, p_amount numeric, p_journal text) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 OR scale(p_amount) > 2
       OR (p_target = 'netsuite' AND p_amount >= 1e10) OR (p_target = 'quickbooks' AND p_amount >= 1e11) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV031',
            MESSAGE = pg_catalog.format('%s cannot hold the amount %s of journal %s', p_target,
                                        coalesce(p_amount::text, 'null'), p_journal),
            DETAIL = CASE p_target WHEN 'netsuite' THEN 'NetSuite takes at most 10 integer digits and 2 decimals.'
                                   WHEN 'quickbooks' THEN 'QuickBooks Online takes at most 99,999,999,999.99.'
                                   ELSE 'Xero keeps line amounts at 2 decimals.' END,
            HINT = 'Export that journal by day (granularity => ''day''), or post it to the GL by hand.';
    END IF;
    RETURN p_amount;
END $$;

-- A GL journal's identifier names one content: the journal key (revrec's
-- journal number, and the day for daily exports) and a hash of what the file
-- says about it (range, granularity, currency, date, and each line's account,
-- GL account, direction and amount).  The same journal exported again with
-- the same range and amounts gets the same identifier (a re-import is a
-- duplicate the GL can refuse); anything else gets another one (never an
-- overwrite or a silent duplicate).  max_len (QuickBooks: 21): a longer
-- identifier becomes J + hex digits of its md5.
CREATE OR REPLACE FUNCTION revrec._gl_journal_id(p_key text, p_content text, p_max_len integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN p_max_len IS NOT NULL AND length(x.id) > p_max_len
                THEN 'J' || substr(md5(x.id), 1, p_max_len - 1) ELSE x.id END
      FROM (SELECT p_key || '.' || substr(md5(p_content), 1, 8) AS id) x;
END;

-- A journal's key in the GLs: one GL journal has one date, so daily exports
-- key journals by day.  QuickBooks allows 21 characters: longer keys are
-- replaced by a stable hash.
CREATE OR REPLACE FUNCTION revrec._gl_journal_key(journal_number text, entry_date date, granularity text, max_len integer DEFAULT NULL)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN max_len IS NOT NULL AND length(k) > max_len THEN 'J' || substr(md5(k), 1, max_len - 1) ELSE k END
      FROM (SELECT CASE WHEN granularity = 'day' THEN journal_number || '/' || to_char(entry_date, 'DD')
                        ELSE journal_number END AS k) x;
END;

-- The GL account of each (account, product) for a target: product override
-- first, then the account's default.  Joined once per export (a hash join),
-- not looked up row by row.
CREATE OR REPLACE FUNCTION revrec._gl_accounts(p_target text)
    RETURNS TABLE (account_code text, product_id text, external_account text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT m.account_code, m.product_id, m.external_account FROM revrec.gl_account_map m
     WHERE m.target = p_target;
END;

-- Row order of every export (deterministic, each journal's rows contiguous):
-- the GL formats by date, then journal key, then debits before credits,
-- account and amount; the Sequence format by journal number, then date.
-- In a journal on one day (account, direction) is unique, so the order is total.
CREATE OR REPLACE FUNCTION revrec._export_lines(p revrec.posting, from_date date, to_date date,
    account_ids smallint[], account_names text[], account_codes text[])
    RETURNS TABLE (journal_number text, day text, direction text, account_name text, account_code text,
                   amount text, entry_date date, catchup_from date)
    LANGUAGE c IMMUTABLE PARALLEL SAFE ROWS 100 AS 'MODULE_PATHNAME', 'revrec_export_lines';

-- Ledger accounts in id order, and their Xero codes for a product (product
-- mapping first, then the default), as the arrays _export_lines looks up.
CREATE OR REPLACE FUNCTION revrec._account_ids() RETURNS smallint[]
    LANGUAGE sql STABLE
BEGIN ATOMIC
 SELECT array_agg(account_id ORDER BY account_id) FROM revrec.ledger_account;
END;

CREATE OR REPLACE FUNCTION revrec._account_names() RETURNS text[]
    LANGUAGE sql STABLE
BEGIN ATOMIC
 SELECT array_agg(name ORDER BY account_id) FROM revrec.ledger_account;
END;

CREATE OR REPLACE FUNCTION revrec._account_codes(p_target text, p_product text) RETURNS text[]
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT array_agg(revrec._gl_account(p_target, a.code, p_product) ORDER BY a.account_id)
      FROM revrec.ledger_account a;
END;

-- Sequence CSV.  The one export meant for volume (daily by default), so it
-- streams: rows come posting by posting (in the order they were posted, each
-- posting's entries by date), with no sort over all rows; text columns are
-- formatted in C (src/exports.c).  "Xero ledger account code" comes from the
-- Xero mappings; once Xero is mapped at all, an unmapped account is RV016.
-- Text cells are neutralized for spreadsheets (settings.export_neutralize_formulas).
CREATE OR REPLACE FUNCTION revrec.export_sequence(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'day')
    RETURNS TABLE ("Journal Number" text, "Date" text, "Narrative" text, "Product name" text,
                   "Customer ID" text, "Customer name" text, "Direction" text, "Ledger account name" text,
                   "Amount" text, "Invoice ID" text, "Invoice number" text, "Xero ledger account code" text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT e.journal_number, e.day,
           CASE WHEN e.catchup_from IS NULL THEN x.plain ELSE revrec._narrative(p, e.catchup_from, e.entry_date) END,
           x.pname, x.cid, x.cname, e.direction, e.account_name, e.amount,
           x.iid, x.inum, e.account_code
      FROM (SELECT * FROM revrec._report_postings($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
             ORDER BY posting_id) p
     CROSS JOIN (SELECT s.export_neutralize_formulas AS nf FROM revrec.settings s) s
     CROSS JOIN LATERAL (
           SELECT revrec._cell(revrec._narrative(p, NULL, NULL), s.nf) AS plain,
                  revrec._cell((SELECT c.name FROM revrec.customer c WHERE c.customer_id = p.customer_id), s.nf) AS cname,
                  revrec._cell((SELECT pr.name FROM revrec.product pr WHERE pr.product_id = p.product_id), s.nf) AS pname,
                  revrec._cell(nullif(p.customer_id, ''), s.nf) AS cid,
                  revrec._cell(p.invoice_id, s.nf) AS iid, revrec._cell(p.invoice_number, s.nf) AS inum,
                  CASE WHEN EXISTS (SELECT 1 FROM revrec.gl_account_map m
                                     WHERE m.target = 'xero' AND m.product_id = p.product_id)
                       THEN revrec._account_codes('xero', p.product_id)
                       ELSE (SELECT revrec._account_codes('xero', NULL)) END AS codes
           OFFSET 0) x
     CROSS JOIN LATERAL revrec._export_lines(p, $1, $2, (SELECT revrec._account_ids()),
                                            (SELECT revrec._account_names()), x.codes) e
     WHERE coalesce($12, 'day') = 'day'
       AND revrec._check_report_args($1, $2, coalesce($12, 'day')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_xero_codes($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
    UNION ALL
    SELECT * FROM (
        SELECT r.journal_number, to_char(r.entry_date, 'YYYY-MM-DD'), revrec._cell(r.narrative, s.nf),
               revrec._cell(r.product_name, s.nf), revrec._cell(r.customer_id, s.nf),
               revrec._cell(r.customer_name, s.nf), upper(r.direction), a.name, r.amount::text,
               revrec._cell(r.invoice_id, s.nf), revrec._cell(r.invoice_number, s.nf),
               revrec._gl_account('xero', r.account, r.product_id)
          FROM revrec._report_months($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false)) r
          JOIN revrec.ledger_account a ON a.code = r.account
         CROSS JOIN (SELECT s.export_neutralize_formulas AS nf FROM revrec.settings s) s
         WHERE $12 = 'month'
           AND revrec._check_report_args($1, $2, $12) AND revrec._check_currency($3, $1, $2)
           AND revrec._check_xero_codes($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
         ORDER BY r.journal_number, r.entry_date, r.direction DESC, r.account, r.amount) m;
END;

-- The rows of a GL export (xero, quickbooks, netsuite), before formatting:
-- the journal report with each line's GL account, amounts at 2 decimals
-- with every journal still balancing, and each journal's identifier
-- (revrec._gl_journal_id).  Currencies with 3 decimals (BHD, KWD, OMR, JOD,
-- TND) are rounded half away from zero line by line; what that leaves
-- unbalanced (at most half a cent per line) is taken up inside the journal
-- by its largest line (the first in the file's order among equals), so no
-- line is added and no account needs mapping for it.  A line that rounds to
-- zero is left out.  Amounts a GL cannot hold are refused (revrec._gl_amount).
-- Not ordered: each export orders by (entry_date, journal_key, direction
-- desc, account, amount), so each journal's rows are contiguous.
CREATE OR REPLACE FUNCTION revrec._gl_rows(p_target text, p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude boolean, p_granularity text)
    RETURNS TABLE (journal_key text, journal_id text, journal_number text, entry_date date, account text,
                   external_account text, direction text, amount numeric, exact_amount numeric, narrative text,
                   customer_name text, currency text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH r AS (
        SELECT revrec._gl_journal_key(r.journal_number, r.entry_date, p_granularity) AS k, r.journal_number,
               r.entry_date, r.account, coalesce(mp.external_account, md.external_account) AS ext, r.direction,
               r.amount, CASE WHEN scale(r.amount) > 2 THEN round(r.amount, 2) ELSE r.amount END AS a2,
               r.narrative, r.customer_name, r.currency
          FROM revrec._journal_report(p_from, p_to, p_currency, p_as_of, p_journal_type, p_source, p_customer, p_product,
                                      p_invoice, p_credit_note, coalesce(p_exclude, false), p_granularity) r
          LEFT JOIN revrec._gl_accounts(p_target) mp ON mp.account_code = r.account AND mp.product_id = r.product_id
          LEFT JOIN revrec._gl_accounts(p_target) md ON md.account_code = r.account AND md.product_id IS NULL),
    w AS (
        SELECT r.*,
               sum(CASE r.direction WHEN 'debit' THEN r.a2 ELSE -r.a2 END) OVER j AS diff,
               row_number() OVER (j ORDER BY r.a2 DESC, r.direction DESC, r.account) AS rk,
               string_agg(concat_ws('/', r.account, r.ext, r.direction, r.amount), ';')
                   OVER (j ORDER BY r.direction DESC, r.account, r.amount
                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS content
          FROM r WINDOW j AS (PARTITION BY r.k, r.entry_date)),
    f AS (
        SELECT w.*,
               CASE WHEN w.rk = 1 AND w.diff <> 0
                    THEN w.a2 - CASE w.direction WHEN 'debit' THEN w.diff ELSE -w.diff END ELSE w.a2 END AS final
          FROM w)
    SELECT f.k,
           revrec._gl_journal_id(f.k, concat_ws('|', p_from, p_to, p_granularity, f.currency, f.entry_date, f.content),
                                 CASE p_target WHEN 'quickbooks' THEN 21 END),
           f.journal_number, f.entry_date, f.account, f.ext, f.direction,
           revrec._gl_amount(p_target, f.final, f.journal_number), f.amount, f.narrative, f.customer_name, f.currency
      FROM f
     WHERE f.final <> 0;
END;

CREATE OR REPLACE FUNCTION revrec.export_xero(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("*Narration" text, "*Date" text, "Description" text, "*AccountCode" text, "*TaxRate" text,
                   "*Amount" text, "TrackingName1" text, "TrackingOption1" text, "TrackingName2" text,
                   "TrackingOption2" text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT r.journal_id, to_char(r.entry_date, s.xero_date_format), revrec._cell(r.narrative, s.export_neutralize_formulas),
           r.external_account, s.xero_tax_rate,
           CASE r.direction WHEN 'debit' THEN r.amount ELSE -r.amount END::text,
           NULL, NULL, NULL, NULL
      FROM revrec._gl_rows('xero', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r,
           revrec.settings s
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._xero_tax_rate() IS NOT NULL
       AND revrec._check_mapping('xero', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, r.journal_key, r.direction DESC, r.account, r.exact_amount;
END;

-- QuickBooks Online: Journal No. at most 21 characters, Description at most
-- 4,000 (a longer narrative is cut, ending in "..."), amounts as in _gl_amount.
CREATE OR REPLACE FUNCTION revrec.export_quickbooks(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("Journal No." text, "Journal Date" text, "Account Name" text, "Debits" text, "Credits" text,
                   "Description" text, "Name" text, "Currency" text, "Location" text, "Class" text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT r.journal_id, to_char(r.entry_date, s.quickbooks_date_format), r.external_account,
           CASE WHEN r.direction = 'debit' THEN r.amount::text END,
           CASE WHEN r.direction = 'credit' THEN r.amount::text END,
           revrec._cell(CASE WHEN length(r.narrative) > 4000 THEN left(r.narrative, 3997) || '...' ELSE r.narrative END,
                        s.export_neutralize_formulas),
           revrec._cell(r.customer_name, s.export_neutralize_formulas), r.currency, NULL, NULL
      FROM revrec._gl_rows('quickbooks', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r,
           revrec.settings s
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('quickbooks', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, r.journal_key, r.direction DESC, r.account, r.exact_amount;
END;

-- NetSuite: External ID is the journal's identifier (one content, one id:
-- an "update" import never overwrites a journal with other content); Memo
-- keeps revrec's journal number.
CREATE OR REPLACE FUNCTION revrec.export_netsuite(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("External ID" text, "Subsidiary" text, "Currency" text, "Exchange Rate" text, "Date" text,
                   "Posting Period" text, "Memo" text, "Account" text, "Debit" text, "Credit" text,
                   "Line Memo" text, "Name" text, "Department" text, "Class" text, "Location" text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT r.journal_id, s.netsuite_subsidiary, r.currency, NULL,
           to_char(r.entry_date, s.netsuite_date_format), to_char(r.entry_date, 'Mon YYYY'),
           r.journal_number, r.external_account,
           CASE WHEN r.direction = 'debit' THEN r.amount::text END,
           CASE WHEN r.direction = 'credit' THEN r.amount::text END,
           revrec._cell(r.narrative, s.export_neutralize_formulas),
           revrec._cell(r.customer_name, s.export_neutralize_formulas), NULL, NULL, NULL
      FROM revrec._gl_rows('netsuite', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r,
           revrec.settings s
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('netsuite', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, r.journal_key, r.direction DESC, r.account, r.exact_amount;
END;

-- Writing export files on the server ----------------------------------

-- Data rows per file each GL accepts (the header line not counted): Xero's
-- manual journal import takes 300 lines, QuickBooks Online 1,000 rows,
-- NetSuite's CSV import 25,000.  The Sequence format has no limit of its
-- own; its files are cut at a million rows to stay easy to handle.
CREATE OR REPLACE FUNCTION revrec._export_file_limit(p_format text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE p_format WHEN 'xero' THEN 300 WHEN 'quickbooks' THEN 1000 WHEN 'netsuite' THEN 25000
                         WHEN 'sequence' THEN 1000000 END;
END;

-- The call of one export function with its arguments as literals, e.g.
-- revrec.export_xero('2025-01-01'::date, ...): checked, for files and jobs.
CREATE OR REPLACE FUNCTION revrec._export_call(p_format text, p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude boolean, p_granularity text) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    g text := coalesce(p_granularity, CASE p_format WHEN 'sequence' THEN 'day' ELSE 'month' END);
BEGIN
    IF p_format IS NULL OR p_format NOT IN ('sequence', 'xero', 'quickbooks', 'netsuite') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006',
            MESSAGE = format('unknown export format ''%s''', p_format),
            HINT = 'Choose sequence, xero, quickbooks or netsuite.';
    END IF;
    PERFORM revrec._check_report_args(p_from, p_to, g);
    PERFORM revrec._check_currency(p_currency, p_from, p_to);
    RETURN format('revrec.%I(%L::date, %L::date, %L::text, %L::timestamptz, %L::text, %L::text, '
                  '%L::text, %L::text, %L::text, %L::text, %L::boolean, %L::text)',
                  'export_' || p_format, p_from, p_to, p_currency, p_as_of, p_journal_type, p_source,
                  p_customer, p_product, p_invoice, p_credit_note, coalesce(p_exclude, false), g);
END $$;

-- What identifies a journal in each format's file (its rows are contiguous).
CREATE OR REPLACE FUNCTION revrec._export_journal_key(p_format text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE p_format WHEN 'sequence' THEN '"Journal Number"'
                         WHEN 'xero' THEN '"*Narration" || '' '' || "*Date"'
                         WHEN 'quickbooks' THEN '"Journal No."'
                         WHEN 'netsuite' THEN '"External ID"' END;
END;

-- revrec.export_to_files(format, directory, <journal report filters>) writes a
-- new set of files, <directory>/revrec_<format>_<currency>_<from>_<to>_<granularity>_<run id>_<NNN>.csv,
-- each with its header, and <...>_<run id>_manifest.json (rows, journals and
-- sha256 of each file, the filters), never replacing a file (RV032), and
-- logs the run in revrec.export_log; the files are
-- none over the GL's per-file limit, split only between journals (a journal
-- larger than the limit goes alone in its own file, with a WARNING), and
-- returns each file's path, data rows and SHA-256 (hex).  Server-side files:
-- Only revrec_admin and pg_write_server_files may write files on the server:
-- the public function (SECURITY INVOKER) tells anyone else which role is
-- needed; the files are written by revrec._export_to_files() (SECURITY
-- DEFINER, executable by those two roles only, so PostgreSQL's privilege
-- check on the real caller stands behind the friendly one).  max_rows lowers
-- the limit.
CREATE OR REPLACE FUNCTION revrec.export_to_files(
    format text, directory text, from_date date, to_date date, currency text DEFAULT NULL,
    as_of timestamptz DEFAULT NULL, journal_type text DEFAULT NULL, source text DEFAULT NULL,
    customer_id text DEFAULT NULL, product_id text DEFAULT NULL, invoice_id text DEFAULT NULL,
    credit_note_id text DEFAULT NULL, exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT NULL,
    max_rows integer DEFAULT NULL)
    RETURNS TABLE (file_name text, "rows" bigint, sha256 text)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT (pg_has_role(current_user, 'revrec_admin', 'MEMBER') OR pg_has_role(current_user, 'pg_write_server_files', 'MEMBER')) THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'revrec_admin (or pg_write_server_files) is required to write export files on the server',
            HINT = 'Export with COPY (SELECT * FROM revrec.export_xero(...)) TO STDOUT instead, or revrec.export_async().';
    END IF;
    RETURN QUERY SELECT * FROM revrec._export_to_files(export_to_files.format, directory, from_date, to_date, currency, as_of,
                                                      journal_type, source, customer_id, product_id, invoice_id,
                                                      credit_note_id, exclude_fully_recognized, granularity, max_rows);
END $$;

CREATE OR REPLACE FUNCTION revrec._export_to_files(
    format text, directory text, from_date date, to_date date, currency text,
    as_of timestamptz, journal_type text, source text, customer_id text, product_id text, invoice_id text,
    credit_note_id text, exclude_fully_recognized boolean, granularity text, max_rows integer)
    RETURNS TABLE (file_name text, "rows" bigint, sha256 text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    call     text;
    lim      integer;
    cols     text;
    j        record;
    starts   bigint[] := '{}';
    jcount   bigint[] := '{}';
    in_file  bigint := 0;
    total    bigint;
    njournals bigint;
    i        integer;
    base     text;
    g        text := coalesce(_export_to_files.granularity,
                              CASE _export_to_files.format WHEN 'sequence' THEN 'day' ELSE 'month' END);
    cur      text;
    run      text;
    names    text[] := '{}';
    manifest text;
    filters  jsonb;
    entries  jsonb := '[]';
BEGIN
    call := revrec._export_call(_export_to_files.format, from_date, to_date, currency, as_of, journal_type, source,
                                customer_id, product_id, invoice_id, credit_note_id, exclude_fully_recognized,
                                granularity);
    lim := revrec._export_file_limit(_export_to_files.format);
    IF max_rows IS NOT NULL THEN
        IF max_rows < 1 OR max_rows > lim THEN
            RAISE EXCEPTION USING ERRCODE = 'RV006',
                MESSAGE = pg_catalog.format('max_rows must be between 1 and %s for %s', lim, _export_to_files.format);
        END IF;
        lim := max_rows;
    END IF;
    IF directory IS NULL OR directory !~ '^/' THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006',
            MESSAGE = pg_catalog.format('directory must be an absolute path on the server, not "%s"', directory);
    END IF;
    directory := rtrim(directory, '/');
    -- every run writes a new set: its names carry format, currency, range,
    -- granularity and a run id (UTC time and random hex), so two runs never
    -- share a file name, and files of different currencies never mix
    cur := coalesce(revrec._report_currency(currency, from_date, to_date), 'none');
    run := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISSUS') || '-'
           || substr(md5(gen_random_uuid()::text), 1, 6);
    base := pg_catalog.format('%s/revrec_%s_%s_%s_%s_%s_%s_', directory, _export_to_files.format, cur,
                              to_char(from_date, 'YYYY-MM-DD'), to_char(to_date, 'YYYY-MM-DD'), g, run);
    filters := jsonb_strip_nulls(jsonb_build_object(
        'from_date', from_date, 'to_date', to_date, 'currency', currency, 'as_of', as_of,
        'journal_type', journal_type, 'source', source, 'customer_id', customer_id, 'product_id', product_id,
        'invoice_id', invoice_id, 'credit_note_id', credit_note_id,
        'exclude_fully_recognized', coalesce(exclude_fully_recognized, false), 'granularity', g, 'max_rows', max_rows));

    -- left by an earlier call in this transaction (no IF EXISTS: its NOTICEs are noise)
    IF to_regclass('pg_temp._revrec_export_rows') IS NOT NULL THEN
        DROP TABLE pg_temp._revrec_export_rows;
    END IF;
    IF to_regclass('pg_temp._revrec_export_journals') IS NOT NULL THEN
        DROP TABLE pg_temp._revrec_export_journals;
    END IF;
    -- every row is computed (and every GL rule checked) before a file is written
    EXECUTE pg_catalog.format('CREATE TEMP TABLE _revrec_export_rows ON COMMIT DROP AS
                                SELECT t.*, %s AS _key FROM %s WITH ORDINALITY AS t',
                              revrec._export_journal_key(_export_to_files.format), call);
    CREATE INDEX ON pg_temp._revrec_export_rows (ordinality);
    ANALYZE pg_temp._revrec_export_rows;
    CREATE TEMP TABLE _revrec_export_journals ON COMMIT DROP AS
        SELECT min(r.ordinality) AS first_row, count(*) AS n FROM pg_temp._revrec_export_rows r GROUP BY r._key;
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
      FROM pg_attribute a
     WHERE a.attrelid = 'pg_temp._revrec_export_rows'::regclass AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attname NOT IN ('ordinality', '_key');
    SELECT count(*) INTO total FROM pg_temp._revrec_export_rows;
    SELECT count(*) INTO njournals FROM pg_temp._revrec_export_journals;

    -- greedy: a journal goes into the current file if it fits, else it opens a new one
    FOR j IN SELECT * FROM pg_temp._revrec_export_journals ORDER BY first_row LOOP
        IF cardinality(starts) = 0 OR in_file + j.n > lim THEN
            starts := starts || j.first_row;
            jcount := jcount || 0::bigint;
            in_file := 0;
        END IF;
        IF j.n > lim THEN
            RAISE WARNING USING ERRCODE = '01000',
                MESSAGE = pg_catalog.format('a journal of %s rows is larger than the %s limit of %s rows per file: it goes alone in file %s',
                                            j.n, _export_to_files.format, lim, cardinality(starts)),
                HINT = 'Split the export by day (granularity => ''day'') or import that file in parts by hand.';
        END IF;
        in_file := in_file + j.n;
        jcount[cardinality(jcount)] := jcount[cardinality(jcount)] + 1;
    END LOOP;

    -- never replace a file: every name is checked before the first is written
    FOR i IN 1 .. cardinality(starts) LOOP
        names := names || (base || lpad(i::text, 3, '0') || '.csv');
    END LOOP;
    FOR i IN 1 .. cardinality(names) + 1 LOOP
        IF pg_stat_file(coalesce(names[i], base || 'manifest.json'), true) IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV032',
                MESSAGE = pg_catalog.format('export file %s already exists: revrec never replaces a file',
                                            coalesce(names[i], base || 'manifest.json'));
        END IF;
    END LOOP;

    FOR i IN 1 .. cardinality(starts) LOOP
        file_name := names[i];
        EXECUTE pg_catalog.format('COPY (SELECT %s FROM pg_temp._revrec_export_rows
                                          WHERE ordinality >= %s AND ordinality < %s ORDER BY ordinality)
                                   TO %L (FORMAT csv, HEADER)',
                                  cols, starts[i], coalesce(starts[i + 1], total + 1), file_name);
        "rows" := coalesce(starts[i + 1], total + 1) - starts[i];
        sha256 := encode(pg_catalog.sha256(pg_read_binary_file(file_name)), 'hex');
        entries := entries || jsonb_build_object('file', regexp_replace(file_name, '^.*/', ''), 'rows', "rows",
                                                 'journals', jcount[i], 'sha256', sha256);
        RETURN NEXT;
    END LOOP;

    -- the manifest: what the set holds and how it was asked for (one line of JSON)
    manifest := base || 'manifest.json';
    EXECUTE pg_catalog.format('COPY (SELECT %L::text) TO %L (FORMAT csv, QUOTE %L, DELIMITER %L)',
                              jsonb_build_object('run_id', run, 'format', _export_to_files.format, 'currency', cur,
                                                 'filters', filters, 'files', entries, 'rows', total,
                                                 'journals', njournals, 'exported_by', session_user,
                                                 'role', revrec._outer_role(),
                                                 'exported_at', clock_timestamp())::text,
                              manifest, E'\x01', E'\x02');
    INSERT INTO revrec.export_log (run_id, role, format, filters, directory, files, manifest, "rows", journals)
    VALUES (run, coalesce(revrec._outer_role(), current_user), _export_to_files.format, filters, directory, names,
            manifest, total, njournals);
    DROP TABLE pg_temp._revrec_export_rows, pg_temp._revrec_export_journals;
END $$;

-- The export log is append-only: what went to the GL stays on record.
CREATE OR REPLACE FUNCTION revrec._export_log_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    RAISE EXCEPTION USING ERRCODE = 'RV012',
        MESSAGE = pg_catalog.format('%s on revrec.export_log is not allowed: the export log is append-only', TG_OP);
END $$;
CREATE OR REPLACE TRIGGER export_log_guard BEFORE UPDATE OR DELETE ON revrec.export_log
    FOR EACH ROW EXECUTE FUNCTION revrec._export_log_guard();
CREATE OR REPLACE TRIGGER export_log_no_truncate BEFORE TRUNCATE ON revrec.export_log
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._export_log_guard();
ALTER TABLE revrec.export_log ENABLE ALWAYS TRIGGER export_log_guard;
ALTER TABLE revrec.export_log ENABLE ALWAYS TRIGGER export_log_no_truncate;
