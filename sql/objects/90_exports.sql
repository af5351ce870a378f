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
-- worst outcome, so a missing mapping is an error naming both.
CREATE OR REPLACE FUNCTION revrec._check_mapping(p_target text, p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude boolean) RETURNS boolean
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    SELECT x.account, x.product_id INTO bad
      FROM (SELECT DISTINCT r.account, r.product_id
              FROM revrec._report_months(p_from, p_to, p_currency, p_as_of, p_journal_type, p_source, p_customer,
                                         p_product, p_invoice, p_credit_note, p_exclude) r) x
     WHERE revrec._gl_account(p_target, x.account, x.product_id) IS NULL
     ORDER BY x.account, x.product_id NULLS FIRST
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
-- formatted in C (src/exports.c).
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
           x.pname, nullif(p.customer_id, ''), x.cname, e.direction, e.account_name, e.amount,
           p.invoice_id, p.invoice_number, e.account_code
      FROM (SELECT * FROM revrec._report_postings($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
             ORDER BY posting_id) p
     CROSS JOIN LATERAL (
           SELECT revrec._narrative(p, NULL, NULL) AS plain,
                  (SELECT c.name FROM revrec.customer c WHERE c.customer_id = p.customer_id) AS cname,
                  (SELECT pr.name FROM revrec.product pr WHERE pr.product_id = p.product_id) AS pname,
                  CASE WHEN EXISTS (SELECT 1 FROM revrec.gl_account_map m
                                     WHERE m.target = 'xero' AND m.product_id = p.product_id)
                       THEN revrec._account_codes('xero', p.product_id)
                       ELSE (SELECT revrec._account_codes('xero', NULL)) END AS codes
           OFFSET 0) x
     CROSS JOIN LATERAL revrec._export_lines(p, $1, $2, (SELECT revrec._account_ids()),
                                            (SELECT revrec._account_names()), x.codes) e
     WHERE coalesce($12, 'day') = 'day'
       AND revrec._check_report_args($1, $2, coalesce($12, 'day')) AND revrec._check_currency($3, $1, $2)
    UNION ALL
    SELECT * FROM (
        SELECT r.journal_number, to_char(r.entry_date, 'YYYY-MM-DD'), r.narrative, r.product_name, r.customer_id,
               r.customer_name, upper(r.direction), a.name, r.amount::text, r.invoice_id, r.invoice_number,
               revrec._gl_account('xero', r.account, r.product_id)
          FROM revrec._report_months($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false)) r
          JOIN revrec.ledger_account a ON a.code = r.account
         WHERE $12 = 'month'
           AND revrec._check_report_args($1, $2, $12) AND revrec._check_currency($3, $1, $2)
         ORDER BY r.journal_number, r.entry_date, r.direction DESC, r.account, r.amount) m;
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
    SELECT revrec._gl_journal_key(r.journal_number, r.entry_date, coalesce($12, 'month')),
           to_char(r.entry_date, s.xero_date_format), r.narrative,
           coalesce(mp.external_account, md.external_account), s.xero_tax_rate,
           CASE r.direction WHEN 'debit' THEN r.amount ELSE -r.amount END::text,
           NULL, NULL, NULL, NULL
      FROM revrec._journal_report($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r
      LEFT JOIN revrec._gl_accounts('xero') mp ON mp.account_code = r.account AND mp.product_id = r.product_id
      LEFT JOIN revrec._gl_accounts('xero') md ON md.account_code = r.account AND md.product_id IS NULL,
           revrec.settings s
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('xero', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, 1, r.direction DESC, r.account, r.amount;
END;

CREATE OR REPLACE FUNCTION revrec.export_quickbooks(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("Journal No." text, "Journal Date" text, "Account Name" text, "Debits" text, "Credits" text,
                   "Description" text, "Name" text, "Currency" text, "Location" text, "Class" text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT revrec._gl_journal_key(r.journal_number, r.entry_date, coalesce($12, 'month'), 21),
           to_char(r.entry_date, s.quickbooks_date_format),
           coalesce(mp.external_account, md.external_account),
           CASE WHEN r.direction = 'debit' THEN r.amount::text END,
           CASE WHEN r.direction = 'credit' THEN r.amount::text END,
           r.narrative, r.customer_name, r.currency, NULL, NULL
      FROM revrec._journal_report($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r
      LEFT JOIN revrec._gl_accounts('quickbooks') mp ON mp.account_code = r.account AND mp.product_id = r.product_id
      LEFT JOIN revrec._gl_accounts('quickbooks') md ON md.account_code = r.account AND md.product_id IS NULL,
           revrec.settings s
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('quickbooks', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, 1, r.direction DESC, r.account, r.amount;
END;

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
    SELECT revrec._gl_journal_key(r.journal_number, r.entry_date, coalesce($12, 'month')),
           s.netsuite_subsidiary, r.currency, NULL,
           to_char(r.entry_date, s.netsuite_date_format), to_char(r.entry_date, 'Mon YYYY'),
           r.journal_number, coalesce(mp.external_account, md.external_account),
           CASE WHEN r.direction = 'debit' THEN r.amount::text END,
           CASE WHEN r.direction = 'credit' THEN r.amount::text END,
           r.narrative, r.customer_name, NULL, NULL, NULL
      FROM revrec._journal_report($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r
      LEFT JOIN revrec._gl_accounts('netsuite') mp ON mp.account_code = r.account AND mp.product_id = r.product_id
      LEFT JOIN revrec._gl_accounts('netsuite') md ON md.account_code = r.account AND md.product_id IS NULL,
           revrec.settings s
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('netsuite', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, 1, r.direction DESC, r.account, r.amount;
END;

-- Writing export files on the server (SPEC 7) ----------------------------------

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

-- revrec.export_to_files(format, directory, <journal report filters>) writes
-- <directory>/revrec_<format>_<from>_<to>_<NNN>.csv, each with its header,
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
    in_file  bigint := 0;
    total    bigint;
    i        integer;
    base     text;
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
    base := pg_catalog.format('%s/revrec_%s_%s_%s_', directory, _export_to_files.format, to_char(from_date, 'YYYY-MM-DD'),
                              to_char(to_date, 'YYYY-MM-DD'));

    -- left by an earlier call in this transaction (no IF EXISTS: its NOTICEs are noise)
    IF to_regclass('pg_temp._revrec_export_rows') IS NOT NULL THEN
        DROP TABLE pg_temp._revrec_export_rows;
    END IF;
    IF to_regclass('pg_temp._revrec_export_journals') IS NOT NULL THEN
        DROP TABLE pg_temp._revrec_export_journals;
    END IF;
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

    -- greedy: a journal goes into the current file if it fits, else it opens a new one
    FOR j IN SELECT * FROM pg_temp._revrec_export_journals ORDER BY first_row LOOP
        IF cardinality(starts) = 0 OR in_file + j.n > lim THEN
            starts := starts || j.first_row;
            in_file := 0;
        END IF;
        IF j.n > lim THEN
            RAISE WARNING USING ERRCODE = '01000',
                MESSAGE = pg_catalog.format('a journal of %s rows is larger than the %s limit of %s rows per file: it goes alone in file %s',
                                            j.n, _export_to_files.format, lim, cardinality(starts)),
                HINT = 'Split the export by day (granularity => ''day'') or import that file in parts by hand.';
        END IF;
        in_file := in_file + j.n;
    END LOOP;

    FOR i IN 1 .. cardinality(starts) LOOP
        file_name := base || lpad(i::text, 3, '0') || '.csv';
        EXECUTE pg_catalog.format('COPY (SELECT %s FROM pg_temp._revrec_export_rows
                                          WHERE ordinality >= %s AND ordinality < %s ORDER BY ordinality)
                                   TO %L (FORMAT csv, HEADER)',
                                  cols, starts[i], coalesce(starts[i + 1], total + 1), file_name);
        "rows" := coalesce(starts[i + 1], total + 1) - starts[i];
        sha256 := encode(pg_catalog.sha256(pg_read_binary_file(file_name)), 'hex');
        RETURN NEXT;
    END LOOP;
    DROP TABLE pg_temp._revrec_export_rows, pg_temp._revrec_export_journals;
END $$;
