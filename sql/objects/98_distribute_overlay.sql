-- Citus (docs/CITUS.md, "The overlay"): the report and export functions
-- a distributed revrec runs in a form Citus plans, put in place by
-- revrec._distribute_overlay() (distribute(), and after every update).
--
-- What Citus cannot plan as revrec writes it for a single node, replaced on a
-- distributed install by the same queries in a form Citus plans (run by
-- revrec.distribute(), again by each call after an upgrade):
--   - SQL functions whose bodies read revrec's tables are inlined into the
--     caller's query after Citus has looked at it, and PostgreSQL then reads
--     the coordinator's empty shell tables: the reports returned no rows and
--     no error.  Here they are PL/pgSQL (not inlined; Citus plans the query).
--   - a whole-row reference to a posting pushed down to a shard has the
--     shard's row type (posting_102008), for which revrec._entries does not
--     exist: ROW(p.*)::revrec.posting instead.
--   - the Sequence export looked up customer and product names and Xero
--     mappings per posting in correlated subqueries: read once into
--     variables; the GL exports read the settings row into a variable.
-- The rows, their order and the errors are the single node's
-- (make citus-test compares them).
CREATE OR REPLACE FUNCTION revrec._distribute_overlay() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stmt text;
BEGIN
    FOREACH stmt IN ARRAY ARRAY[
$ov$
CREATE OR REPLACE VIEW revrec.journal_entry AS
SELECT e.journal_number, e.entry_date, p.source, p.source_id, nullif(p.customer_id, '') AS customer_id,
       p.product_id, p.invoice_id, p.invoice_number, p.credit_note_id, p.line_id, a.code AS account,
       e.direction, e.amount, p.currency, p.method,
       revrec._narrative(ROW(p.*)::revrec.posting, e.catchup_from, e.entry_date) AS narrative,
       p.journal_type, p.recorded_at, p.posting_id, p.reason
  FROM revrec.posting p
 CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, NULL, NULL, false) e
  JOIN revrec.ledger_account a ON a.account_id = e.account_id
$ov$,
$ov$
CREATE OR REPLACE VIEW revrec.account_balance AS
    SELECT p.currency, a.code AS account, a.name, a.normal_balance,
           sum(CASE WHEN e.direction = a.normal_balance THEN e.amount ELSE -e.amount END) AS balance
      FROM revrec.posting p
     CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, NULL, current_date, true) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
     GROUP BY 1, 2, 3, 4
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._report_days(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude_fully_recognized boolean)
    RETURNS SETOF revrec.journal_report_row
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    SELECT e.journal_number, e.entry_date, p.source, p.source_id, nullif(p.customer_id, ''), p.product_id,
           p.invoice_id, p.invoice_number, p.credit_note_id, p.line_id, a.code, e.direction, e.amount,
           p.currency, p.method,
           revrec._narrative(ROW(p.*)::revrec.posting, e.catchup_from, e.entry_date),
           p.journal_type, p.recorded_at, c.name, pr.name
      FROM revrec.posting p
     CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, p_from, p_to, false) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
      LEFT JOIN revrec.customer c ON c.customer_id = p.customer_id
      LEFT JOIN revrec.product pr ON pr.product_id = p.product_id
     WHERE p.first_date <= p_to AND p.last_date >= p_from
       AND (p_currency IS NULL OR p.currency = p_currency)
       AND revrec._known_by(p.recorded_at, p.xmin, p_as_of)
       AND (p_journal_type IS NULL OR p.journal_type = p_journal_type)
       AND (p_source IS NULL OR p.source = p_source)
       AND (p_customer IS NULL OR p.customer_id = p_customer)
       AND (p_product IS NULL OR p.product_id = p_product)
       AND (p_invoice IS NULL OR p.invoice_id = p_invoice)
       AND (p_credit_note IS NULL OR p.credit_note_id = p_credit_note)
       AND (NOT p_exclude_fully_recognized OR p.line_id IS NULL OR p.last_date > coalesce(p_as_of, now())::date
            OR revrec._group_open(p.customer_id, p.source, coalesce(p.invoice_id, p.source_id), p.line_id,
                                  coalesce(p_as_of, now())::date, p_as_of));
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._report_months(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude_fully_recognized boolean)
    RETURNS SETOF revrec.journal_report_row
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    SELECT e.journal_number, e.entry_date, p.source, p.source_id, nullif(p.customer_id, ''), p.product_id,
           p.invoice_id, p.invoice_number, p.credit_note_id,
           CASE WHEN min(p.line_id) = max(p.line_id) THEN min(p.line_id) END, a.code, e.direction, sum(e.amount),
           p.currency, CASE WHEN min(p.method) = max(p.method) THEN min(p.method) END,
           CASE WHEN p.journal_type = 'manual' AND min(p.narrative) = max(p.narrative) THEN min(p.narrative)
                ELSE format('%s %s%s, %s%s',
                            CASE p.source WHEN 'invoice' THEN 'Invoice' WHEN 'credit_note' THEN 'Credit note'
                                          WHEN 'billing_schedule' THEN 'Billing schedule' ELSE 'Journal' END,
                            coalesce(CASE p.source WHEN 'invoice' THEN p.invoice_number END, p.source_id),
                            coalesce(' ' || p.product_id, ''), to_char(e.entry_date, 'YYYY-MM'),
                            CASE WHEN bool_or(e.catchup_from IS NOT NULL)
                                 THEN ' (includes catch-up of entries from a locked period)' ELSE '' END) END,
           p.journal_type, max(p.recorded_at), c.name, pr.name
      FROM revrec.posting p
     CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, p_from, p_to, true) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
      LEFT JOIN revrec.customer c ON c.customer_id = p.customer_id
      LEFT JOIN revrec.product pr ON pr.product_id = p.product_id
     WHERE p.first_date <= p_to AND p.last_date >= p_from
       AND (p_currency IS NULL OR p.currency = p_currency)
       AND revrec._known_by(p.recorded_at, p.xmin, p_as_of)
       AND (p_journal_type IS NULL OR p.journal_type = p_journal_type)
       AND (p_source IS NULL OR p.source = p_source)
       AND (p_customer IS NULL OR p.customer_id = p_customer)
       AND (p_product IS NULL OR p.product_id = p_product)
       AND (p_invoice IS NULL OR p.invoice_id = p_invoice)
       AND (p_credit_note IS NULL OR p.credit_note_id = p_credit_note)
       AND (NOT p_exclude_fully_recognized OR p.line_id IS NULL OR p.last_date > coalesce(p_as_of, now())::date
            OR revrec._group_open(p.customer_id, p.source, coalesce(p.invoice_id, p.source_id), p.line_id,
                                  coalesce(p_as_of, now())::date, p_as_of))
     GROUP BY e.journal_number, e.entry_date, p.source, p.source_id, p.customer_id, p.product_id, p.invoice_id,
              p.invoice_number, p.credit_note_id, a.code, e.direction, p.currency, p.journal_type, c.name, pr.name;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._report_postings(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude_fully_recognized boolean)
    RETURNS SETOF revrec.posting
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    SELECT p.* FROM revrec.posting p
     WHERE p.first_date <= p_to AND p.last_date >= p_from
       AND (p_currency IS NULL OR p.currency = p_currency)
       AND revrec._known_by(p.recorded_at, p.xmin, p_as_of)
       AND (p_journal_type IS NULL OR p.journal_type = p_journal_type)
       AND (p_source IS NULL OR p.source = p_source)
       AND (p_customer IS NULL OR p.customer_id = p_customer)
       AND (p_product IS NULL OR p.product_id = p_product)
       AND (p_invoice IS NULL OR p.invoice_id = p_invoice)
       AND (p_credit_note IS NULL OR p.credit_note_id = p_credit_note)
       -- exclude_fully_recognized: hide the groups complete by the as-of day
       AND (NOT p_exclude_fully_recognized OR p.line_id IS NULL OR p.last_date > coalesce(p_as_of, now())::date
            OR revrec._group_open(p.customer_id, p.source, coalesce(p.invoice_id, p.source_id), p.line_id,
                                  coalesce(p_as_of, now())::date, p_as_of));
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._waterfall(p_as_of date, p_currency text, p_customer text, p_product text)
    RETURNS SETOF revrec.waterfall_row
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    WITH p AS MATERIALIZED (
        SELECT p.* FROM revrec.posting p
         WHERE p.first_date <= p_as_of
           AND (p_currency IS NULL OR p.currency = p_currency)
           AND (p_customer IS NULL OR p.customer_id = p_customer)
           AND (p_product IS NULL OR p.product_id = p_product)),
    -- month NULL: the totals of each posting; else its recognition in a future month
    r AS (
        SELECT p.customer_id, p.product_id, p.currency, NULL::date AS month, -x.recognized AS recognized,
               x.future_near + x.future_far AS scheduled, x.undated, NULL::bigint AS amount
          FROM p, LATERAL revrec._posting_summary(p, p_as_of, 'infinity') x
        UNION ALL
        SELECT p.customer_id, p.product_id, p.currency, m.month, 0, 0, 0, m.amount
          FROM p, LATERAL revrec._recognition_by_month(p, p_as_of + 1, NULL) m),
    g AS (
        SELECT customer_id, product_id, currency, month, sum(recognized) AS recognized, sum(scheduled) AS scheduled,
               sum(undated) AS undated, sum(amount) AS amount
          FROM r GROUP BY 1, 2, 3, 4),
    t AS (
        SELECT g.*, sum(g.recognized) OVER w AS t_recognized, sum(g.scheduled) OVER w AS t_scheduled,
               sum(g.undated) OVER w AS t_undated,
               count(*) FILTER (WHERE g.month IS NOT NULL AND g.amount <> 0) OVER w AS months
          FROM g WINDOW w AS (PARTITION BY g.customer_id, g.product_id, g.currency))
    SELECT nullif(t.customer_id, ''), t.product_id,
           revrec.from_minor_units((t.t_recognized + t.t_scheduled + t.t_undated)::bigint, t.currency),
           revrec.from_minor_units(t.t_recognized::bigint, t.currency),
           revrec.from_minor_units((t.t_scheduled + t.t_undated)::bigint, t.currency),
           t.month,
           revrec.from_minor_units(CASE WHEN t.month IS NOT NULL THEN t.amount
                                        WHEN t.undated <> 0 THEN t.undated END::bigint, t.currency),
           t.currency
      FROM t
     WHERE (t.t_recognized <> 0 OR t.t_scheduled <> 0 OR t.t_undated <> 0)
       AND CASE WHEN t.month IS NOT NULL THEN t.amount <> 0 ELSE t.undated <> 0 OR t.months = 0 END;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._gl_account(p_target text, p_account text, p_product text) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN (SELECT coalesce((SELECT m.external_account FROM revrec.gl_account_map m
                      WHERE m.target = p_target AND m.account_code = p_account AND m.product_id = p_product),
                    (SELECT m.external_account FROM revrec.gl_account_map m
                      WHERE m.target = p_target AND m.account_code = p_account AND m.product_id IS NULL)));
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._account_ids() RETURNS smallint[]
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN (SELECT array_agg(account_id ORDER BY account_id) FROM revrec.ledger_account);
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._account_names() RETURNS text[]
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN (SELECT array_agg(name ORDER BY account_id) FROM revrec.ledger_account);
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._account_codes(p_target text, p_product text) RETURNS text[]
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN (SELECT array_agg(revrec._gl_account(p_target, a.code, p_product) ORDER BY a.account_id)
      FROM revrec.ledger_account a);
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._gl_accounts(p_target text)
    RETURNS TABLE (account_code text, product_id text, external_account text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    SELECT m.account_code, m.product_id, m.external_account FROM revrec.gl_account_map m
     WHERE m.target = p_target;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec.export_xero(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("*Narration" text, "*Date" text, "Description" text, "*AccountCode" text, "*TaxRate" text,
                   "*Amount" text, "TrackingName1" text, "TrackingOption1" text, "TrackingName2" text,
                   "TrackingOption2" text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
DECLARE
    s revrec.settings;
BEGIN
    SELECT * INTO s FROM revrec.settings;
    RETURN QUERY
    SELECT r.journal_id, to_char(r.entry_date, s.xero_date_format), revrec._cell(r.narrative, s.export_neutralize_formulas),
           r.external_account, s.xero_tax_rate,
           CASE r.direction WHEN 'debit' THEN r.amount ELSE -r.amount END::text,
           NULL, NULL, NULL, NULL
      FROM revrec._gl_rows('xero', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._xero_tax_rate() IS NOT NULL
       AND revrec._check_mapping('xero', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, r.journal_key, r.direction DESC, r.account, r.exact_amount;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec.export_quickbooks(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("Journal No." text, "Journal Date" text, "Account Name" text, "Debits" text, "Credits" text,
                   "Description" text, "Name" text, "Currency" text, "Location" text, "Class" text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
DECLARE
    s revrec.settings;
BEGIN
    SELECT * INTO s FROM revrec.settings;
    RETURN QUERY
    SELECT r.journal_id, to_char(r.entry_date, s.quickbooks_date_format), r.external_account,
           CASE WHEN r.direction = 'debit' THEN r.amount::text END,
           CASE WHEN r.direction = 'credit' THEN r.amount::text END,
           revrec._cell(CASE WHEN length(r.narrative) > 4000 THEN left(r.narrative, 3997) || '...' ELSE r.narrative END,
                        s.export_neutralize_formulas),
           revrec._cell(r.customer_name, s.export_neutralize_formulas), r.currency, NULL, NULL
      FROM revrec._gl_rows('quickbooks', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('quickbooks', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, r.journal_key, r.direction DESC, r.account, r.exact_amount;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec.export_netsuite(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("External ID" text, "Subsidiary" text, "Currency" text, "Exchange Rate" text, "Date" text,
                   "Posting Period" text, "Memo" text, "Account" text, "Debit" text, "Credit" text,
                   "Line Memo" text, "Name" text, "Department" text, "Class" text, "Location" text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
DECLARE
    s revrec.settings;
BEGIN
    SELECT * INTO s FROM revrec.settings;
    RETURN QUERY
    SELECT r.journal_id, s.netsuite_subsidiary, r.currency, NULL,
           to_char(r.entry_date, s.netsuite_date_format), to_char(r.entry_date, 'Mon YYYY'),
           r.journal_number, r.external_account,
           CASE WHEN r.direction = 'debit' THEN r.amount::text END,
           CASE WHEN r.direction = 'credit' THEN r.amount::text END,
           revrec._cell(r.narrative, s.export_neutralize_formulas),
           revrec._cell(r.customer_name, s.export_neutralize_formulas), NULL, NULL, NULL
      FROM revrec._gl_rows('netsuite', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('netsuite', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, r.journal_key, r.direction DESC, r.account, r.exact_amount;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec.export_sequence(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'day')
    RETURNS TABLE ("Journal Number" text, "Date" text, "Narrative" text, "Product name" text,
                   "Customer ID" text, "Customer name" text, "Direction" text, "Ledger account name" text,
                   "Amount" text, "Invoice ID" text, "Invoice number" text, "Xero ledger account code" text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
DECLARE
    v_nf boolean;
    v_customers jsonb;
    v_products jsonb;
    v_xero_products text[];
BEGIN
    -- the few rows the export looks up per posting, read once (Citus cannot
    -- plan a lookup of a distributed table correlated with a function's rows)
    v_nf := (SELECT st.export_neutralize_formulas FROM revrec.settings st);
    v_customers := (SELECT jsonb_object_agg(c.customer_id, c.name) FROM revrec.customer c);
    v_products := (SELECT jsonb_object_agg(pr.product_id, pr.name) FROM revrec.product pr);
    v_xero_products := ARRAY(SELECT m.product_id FROM revrec.gl_account_map m WHERE m.target = 'xero' AND m.product_id IS NOT NULL);
    RETURN QUERY
    SELECT e.journal_number, e.day,
           CASE WHEN e.catchup_from IS NULL THEN x.plain ELSE revrec._narrative(p, e.catchup_from, e.entry_date) END,
           x.pname, x.cid, x.cname, e.direction, e.account_name, e.amount,
           x.iid, x.inum, e.account_code
      FROM (SELECT * FROM revrec._report_postings($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
             ORDER BY posting_id) p
     CROSS JOIN (SELECT v_nf AS nf) s
     CROSS JOIN LATERAL (
           SELECT revrec._cell(revrec._narrative(p, NULL, NULL), s.nf) AS plain,
                  revrec._cell((v_customers ->> p.customer_id), s.nf) AS cname,
                  revrec._cell((v_products ->> p.product_id), s.nf) AS pname,
                  revrec._cell(nullif(p.customer_id, ''), s.nf) AS cid,
                  revrec._cell(p.invoice_id, s.nf) AS iid, revrec._cell(p.invoice_number, s.nf) AS inum,
                  CASE WHEN p.product_id = ANY (v_xero_products)
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
         CROSS JOIN (SELECT v_nf AS nf) s
         WHERE $12 = 'month'
           AND revrec._check_report_args($1, $2, $12) AND revrec._check_currency($3, $1, $2)
           AND revrec._check_xero_codes($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
         ORDER BY r.journal_number, r.entry_date, r.direction DESC, r.account, r.amount) m;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec.trial_balance(as_of date, currency text DEFAULT NULL)
    RETURNS TABLE (currency_code text, account text, name text, normal_balance text,
                   debits numeric, credits numeric, balance numeric)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    SELECT p.currency, a.code, a.name, a.normal_balance,
           sum(e.amount) FILTER (WHERE e.direction = 'debit'),
           sum(e.amount) FILTER (WHERE e.direction = 'credit'),
           sum(CASE WHEN e.direction = a.normal_balance THEN e.amount ELSE -e.amount END)
      FROM revrec.posting p
     CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, NULL, trial_balance.as_of, true) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
     WHERE p.first_date <= trial_balance.as_of
       AND (trial_balance.currency IS NULL OR p.currency = trial_balance.currency)
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._rollforward(p_account integer, p_from date, p_to date, p_currency text,
    p_customer text, p_product text, p_by text)
    RETURNS TABLE (currency text, opening numeric, billed numeric, recognized numeric, credit_notes numeric,
                   voids numeric, manual numeric, closing numeric, customer_id text, product_id text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    WITH m AS (
        -- opening balances (minor units, normal direction)
        SELECT p.currency, p.customer_id AS cust, p.product_id AS prod,
               CASE WHEN p_account = 2 THEN -(revrec._posting_summary(ROW(p.*)::revrec.posting, p_from - 1, p_from - 1)).deferred
                    ELSE (revrec._posting_summary(ROW(p.*)::revrec.posting, p_from - 1, p_from - 1)).unbilled END AS opening,
               NULL::text AS kind, 0::numeric AS amount
          FROM revrec.posting p
         WHERE p.first_date < p_from
           AND (p_currency IS NULL OR p.currency = p_currency)
           AND (p_customer IS NULL OR p.customer_id = p_customer)
           AND (p_product IS NULL OR p.product_id = p_product)
        UNION ALL
        -- the period's movements
        SELECT p.currency, p.customer_id, p.product_id, 0,
               CASE WHEN p.journal_type = 'manual' THEN 'manual'
                    WHEN p.reason = 'void' THEN 'voids'
                    WHEN p.source = 'credit_note' THEN 'credit_notes'
                    WHEN e.direction = 'credit' THEN 'billed'
                    ELSE 'recognized' END,
               CASE WHEN e.direction = CASE WHEN p_account = 2 THEN 'credit' ELSE 'debit' END
                    THEN e.amount ELSE -e.amount END
          FROM revrec.posting p
         CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, p_from, p_to, true) e
         WHERE p.first_date <= p_to AND p.last_date >= p_from AND e.account_id = p_account
           AND (p_currency IS NULL OR p.currency = p_currency)
           AND (p_customer IS NULL OR p.customer_id = p_customer)
           AND (p_product IS NULL OR p.product_id = p_product)),
    g AS (
        SELECT m.currency,
               CASE WHEN p_by IN ('customer', 'customer_product') THEN nullif(m.cust, '') END AS cust,
               CASE WHEN p_by IN ('product', 'customer_product') THEN m.prod END AS prod,
               revrec.from_minor_units(sum(m.opening)::bigint, m.currency) AS opening,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'billed'), 0) AS billed,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'recognized'), 0) AS recognized,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'credit_notes'), 0) AS credit_notes,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'voids'), 0) AS voids,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'manual'), 0) AS manual
          FROM m
         GROUP BY 1, 2, 3),
    r AS (
        SELECT g.currency, g.opening, g.billed, g.recognized, g.credit_notes, g.voids, g.manual,
               g.opening + g.billed + g.recognized + g.credit_notes + g.voids + g.manual AS closing, g.cust, g.prod
          FROM g
         WHERE revrec._check_rollforward_args(p_from, p_to, p_by)
           AND (g.opening <> 0 OR g.billed <> 0 OR g.recognized <> 0 OR g.credit_notes <> 0 OR g.voids <> 0
                OR g.manual <> 0))
    SELECT * FROM r
    UNION ALL
    -- a currency asked for by name (without by) always has its row: zeros when nothing moved
    SELECT p_currency, z.z, z.z, z.z, z.z, z.z, z.z, z.z, NULL, NULL
      FROM (SELECT revrec.from_minor_units(0, p_currency) AS z) z
     WHERE p_currency IS NOT NULL AND p_by IS NULL
       AND revrec._check_rollforward_args(p_from, p_to, p_by)
       AND NOT EXISTS (SELECT 1 FROM r)
     ORDER BY 1, 9, 10;
END $f$
$ov$
    ] LOOP
        EXECUTE stmt;
    END LOOP;
END $$;

