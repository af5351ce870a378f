-- Month-end reports: journal report, deferred revenue, waterfall.
CREATE OR REPLACE FUNCTION revrec._posting_summary(p revrec.posting, as_of date, horizon date,
    OUT billed bigint, OUT deferred bigint, OUT recognized bigint, OUT unbilled bigint, OUT other bigint,
    OUT future_near bigint, OUT future_far bigint, OUT undated bigint)
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_posting_summary';

CREATE OR REPLACE FUNCTION revrec._recognition_by_month(p revrec.posting, from_date date, to_date date)
    RETURNS TABLE (month date, amount bigint)
    LANGUAGE c IMMUTABLE PARALLEL SAFE ROWS 12 AS 'MODULE_PATHNAME', 'revrec_recognition_by_month';

-- The group (performance obligation) a posting belongs to: invoice lines and
-- their credit notes share the invoice's group; other sources stand alone.
CREATE OR REPLACE FUNCTION revrec._doc_source(p revrec.posting) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN p.invoice_id IS NOT NULL THEN 'invoice' ELSE p.source END;
END;

-- Currency of a report: the one asked for, or the only one present.
CREATE OR REPLACE FUNCTION revrec._report_currency(p_currency text, p_from date, p_to date) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    found text[];
BEGIN
    IF p_currency IS NOT NULL THEN
        PERFORM revrec.to_minor_units(0, p_currency);   -- unknown currency: RV001
        RETURN p_currency;
    END IF;
    SELECT array_agg(DISTINCT p.currency ORDER BY p.currency) INTO found
      FROM revrec.posting p WHERE p.first_date <= p_to AND p.last_date >= p_from;
    IF cardinality(found) > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'RV015',
            MESSAGE = format('the ledger holds several currencies (%s): choose one', array_to_string(found, ', ')),
            HINT = 'Pass currency => ''USD'' (for example); revrec never adds amounts of different currencies.';
    END IF;
    RETURN found[1];
END $$;

-- The same as a one-time filter of a report query: true, or an error.
CREATE OR REPLACE FUNCTION revrec._check_currency(p_currency text, p_from date, p_to date) RETURNS boolean
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM revrec._report_currency(p_currency, p_from, p_to);
    RETURN true;
END $$;

-- Argument checks of the journal report (evaluated once per query).
CREATE OR REPLACE FUNCTION revrec._check_report_args(p_from date, p_to date, p_granularity text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_from IS NULL OR p_to IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RV004', MESSAGE = 'the report needs from_date and to_date';
    END IF;
    IF p_to < p_from THEN
        RAISE EXCEPTION USING ERRCODE = 'RV004',
            MESSAGE = format('to_date %s is before from_date %s', p_to, p_from);
    END IF;
    IF p_granularity IS NULL OR p_granularity NOT IN ('day', 'month') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006',
            MESSAGE = format('granularity must be ''day'' or ''month'', not ''%s''', p_granularity);
    END IF;
    RETURN true;
END $$;

-- "Known by" (a report's as_of): a posting belongs to the ledger as it stood at
-- as_of when the transaction that wrote it had COMMITTED by then, so a
-- report as_of T run later equals the same report run at T, also for
-- transactions still open at T.  Commit times come from the server
-- (track_commit_timestamp = on, see README "Installing"); a posting whose
-- commit time is not known (the setting was off then, or the transaction is
-- older than the commit-time history) counts from its recorded_at.
CREATE OR REPLACE FUNCTION revrec._known_by(recorded_at timestamptz, writer xid, as_of timestamptz)
    RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
    RETURN as_of IS NULL
        OR (recorded_at <= as_of
            AND (NOT current_setting('track_commit_timestamp')::boolean
                 OR coalesce(pg_xact_commit_timestamp(writer) <= as_of, true)));

-- Whether a group (performance obligation: a customer's document and line)
-- is still open on day p_day, as the ledger stood at p_as_of (null: now),
-- for journal_report's exclude_fully_recognized (which hides the groups
-- "whose recognition was complete by the as-of date").  Open: one of its
-- postings has an entry dated after p_day (recognition, billing in arrears,
-- a credit or void), or at p_day it still has a deferred balance (billed,
-- not yet recognized: a milestone not completed has no date at all) or an
-- unbilled one (recognized, not yet billed).  A billing schedule line and
-- the invoice line that bills it (schedule_line_id) move one unbilled
-- amount between two groups: their unbilled balances count together, so the
-- schedule is open until it is billed, and neither is once it is.
CREATE OR REPLACE FUNCTION revrec._group_open(p_customer text, p_source text, p_doc text, p_line text, p_day date,
    p_as_of timestamptz)
    RETURNS boolean
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_deferred bigint;
    v_unbilled bigint;
    v_schedule text;
BEGIN
    -- the group's postings: its document's (an invoice's or a billing
    -- schedule line's) and its credit notes' (through the two indexes)
    IF EXISTS (SELECT 1 FROM revrec.posting q
                WHERE q.customer_id = p_customer AND q.line_id = p_line
                  AND ((q.source IN ('invoice', 'billing_schedule') AND q.source_id = p_doc)
                       OR (q.source = 'credit_note' AND q.invoice_id = p_doc))
                  AND coalesce(q.invoice_id, q.source_id) = p_doc
                  AND revrec._known_by(q.recorded_at, q.xmin, p_as_of)
                  AND q.last_date > p_day) THEN
        RETURN true;
    END IF;
    SELECT coalesce(sum(x.deferred), 0), coalesce(sum(x.unbilled), 0) INTO v_deferred, v_unbilled
      FROM revrec.posting q
     CROSS JOIN LATERAL revrec._posting_summary(q, p_day, p_day) x
     WHERE q.customer_id = p_customer AND q.line_id = p_line
       AND ((q.source IN ('invoice', 'billing_schedule') AND q.source_id = p_doc)
            OR (q.source = 'credit_note' AND q.invoice_id = p_doc))
       AND coalesce(q.invoice_id, q.source_id) = p_doc
       AND revrec._known_by(q.recorded_at, q.xmin, p_as_of);
    IF v_deferred <> 0 THEN
        RETURN true;
    ELSIF v_unbilled = 0 THEN
        RETURN false;
    END IF;
    -- the billing schedule line this group is, or bills
    IF p_source = 'billing_schedule' THEN
        v_schedule := p_doc;
    ELSE
        SELECT l.schedule_line_id INTO v_schedule
          FROM revrec.invoice_line l WHERE l.line_id = p_line AND l.invoice_id = p_doc;
    END IF;
    IF v_schedule IS NULL THEN
        RETURN true;
    END IF;
    SELECT coalesce(sum(x.unbilled), 0) INTO v_unbilled
      FROM (SELECT r, r.xmin AS writer FROM revrec.billing_schedule_line b
              JOIN revrec.posting r ON r.customer_id = b.customer_id AND r.source = 'billing_schedule'
                                   AND r.source_id = b.schedule_line_id
             WHERE b.schedule_line_id = v_schedule
            UNION ALL
            SELECT r, r.xmin FROM revrec.invoice_line l
              JOIN revrec.posting r ON r.customer_id = l.customer_id AND r.invoice_id = l.invoice_id
                                   AND r.line_id = coalesce(l.group_id, l.line_id)
             WHERE l.schedule_line_id = v_schedule) z
     CROSS JOIN LATERAL revrec._posting_summary(z.r, p_day, p_day) x
     WHERE revrec._known_by((z.r).recorded_at, z.writer, p_as_of);
    RETURN v_unbilled <> 0;
END $$;

-- The postings a report reads.  A plain SQL function, so the planner inlines
-- it and the report streams (a year of daily entries never sits in memory).
CREATE OR REPLACE FUNCTION revrec._report_postings(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude_fully_recognized boolean)
    RETURNS SETOF revrec.posting
    LANGUAGE sql STABLE
BEGIN ATOMIC
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
END;

-- Daily rows of the report.
CREATE OR REPLACE FUNCTION revrec._report_days(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude_fully_recognized boolean)
    RETURNS SETOF revrec.journal_report_row
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT e.journal_number, e.entry_date, p.source, p.source_id, nullif(p.customer_id, ''), p.product_id,
           p.invoice_id, p.invoice_number, p.credit_note_id, p.line_id, a.code, e.direction, e.amount,
           p.currency, p.method,
           CASE WHEN e.catchup_from IS NULL THEN n.plain ELSE revrec._narrative(p, e.catchup_from, e.entry_date) END,
           p.journal_type, p.recorded_at, c.name, pr.name
      FROM revrec._report_postings(p_from, p_to, p_currency, p_as_of, p_journal_type, p_source, p_customer,
                                   p_product, p_invoice, p_credit_note, p_exclude_fully_recognized) p
     -- the narrative of ordinary entries once per posting, not per day (OFFSET 0 keeps it there)
     CROSS JOIN LATERAL (SELECT revrec._narrative(p, NULL, NULL) AS plain OFFSET 0) n
     CROSS JOIN LATERAL revrec._entries(p, p_from, p_to, false) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
      LEFT JOIN revrec.customer c ON c.customer_id = p.customer_id
      LEFT JOIN revrec.product pr ON pr.product_id = p.product_id;
END;

-- Month rows: one per journal, account and direction, dated the last day of
-- the month inside the range; month totals come from month amounts in C.
CREATE OR REPLACE FUNCTION revrec._report_months(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude_fully_recognized boolean)
    RETURNS SETOF revrec.journal_report_row
    LANGUAGE sql STABLE
BEGIN ATOMIC
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
      FROM revrec._report_postings(p_from, p_to, p_currency, p_as_of, p_journal_type, p_source, p_customer,
                                   p_product, p_invoice, p_credit_note, p_exclude_fully_recognized) p
     CROSS JOIN LATERAL revrec._entries(p, p_from, p_to, true) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
      LEFT JOIN revrec.customer c ON c.customer_id = p.customer_id
      LEFT JOIN revrec.product pr ON pr.product_id = p.product_id
     GROUP BY e.journal_number, e.entry_date, p.source, p.source_id, p.customer_id, p.product_id, p.invoice_id,
              p.invoice_number, p.credit_note_id, a.code, e.direction, p.currency, p.journal_type, c.name, pr.name;
END;

-- Both granularities, unordered, every currency when p_currency is null.
CREATE OR REPLACE FUNCTION revrec._journal_report(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude_fully_recognized boolean, p_granularity text)
    RETURNS SETOF revrec.journal_report_row
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT * FROM revrec._report_days(p_from, p_to, p_currency, p_as_of, p_journal_type, p_source, p_customer,
                                      p_product, p_invoice, p_credit_note, p_exclude_fully_recognized)
     WHERE p_granularity = 'day' AND revrec._check_report_args(p_from, p_to, p_granularity)
    UNION ALL
    SELECT * FROM revrec._report_months(p_from, p_to, p_currency, p_as_of, p_journal_type, p_source, p_customer,
                                        p_product, p_invoice, p_credit_note, p_exclude_fully_recognized)
     WHERE p_granularity = 'month' AND revrec._check_report_args(p_from, p_to, p_granularity);
END;

CREATE OR REPLACE FUNCTION revrec.journal_report(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS SETOF revrec.journal_report_row
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT * FROM revrec._journal_report($1, $2, $3, $4, $5, $6, $7,
                                         $8, $9, $10, coalesce($11, false), coalesce($12, 'month'))
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month'))
       AND revrec._check_currency($3, $1, $2)
     ORDER BY entry_date, journal_number, account, direction;
END;

COMMENT ON FUNCTION revrec.journal_report(date, date, text, timestamptz, text, text, text, text, text, text, boolean, text) IS
    'journal entries between from_date and to_date (inclusive), by day or summed per journal, account, direction and month';

CREATE OR REPLACE FUNCTION revrec._deferred_revenue(p_as_of date, p_currency text, p_customer text, p_product text)
    RETURNS SETOF revrec.deferred_revenue_row
    LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_deferred_revenue';

COMMENT ON FUNCTION revrec._deferred_revenue(date, text, text, text) IS
    'deferred revenue rows in report order (customer, product, source_id, line_id; src/deferred.c)';

CREATE OR REPLACE FUNCTION revrec.deferred_revenue(as_of date, currency text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL)
    RETURNS SETOF revrec.deferred_revenue_row
    LANGUAGE sql STABLE
BEGIN ATOMIC
    -- rows come from C already ordered by customer_id, product_id, source_id,
    -- line_id (NULLs last, the database's collation): no second sort
    SELECT * FROM revrec._deferred_revenue($1, $2, $3, $4)
     WHERE revrec._check_currency($2, '-infinity', $1);
END;

COMMENT ON FUNCTION revrec.deferred_revenue(date, text, text, text) IS
    'one row per schedule: invoiced, recognized, balance, remaining (= deferred account), current / non-current, aging';

-- Per customer, product and currency: recognized to date; remaining = what
-- the postings begun by as_of recognize after it (one row per month, month =
-- its first day; the as-of month holds the days after as_of) plus what they
-- leave in the deferred account with no date to recognize it (one row with
-- month NULL and that amount: a milestone not completed yet).  A product with
-- nothing remaining has one row, month and amount NULL.
CREATE OR REPLACE FUNCTION revrec._waterfall(p_as_of date, p_currency text, p_customer text, p_product text)
    RETURNS SETOF revrec.waterfall_row
    LANGUAGE sql STABLE
BEGIN ATOMIC
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
END;

CREATE OR REPLACE FUNCTION revrec.waterfall(as_of date, currency text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL)
    RETURNS SETOF revrec.waterfall_row
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT * FROM revrec._waterfall($1, $2, $3, $4)
     WHERE revrec._check_currency($2, '-infinity', $1)
     ORDER BY customer_id, product_id, month NULLS LAST;
END;

COMMENT ON FUNCTION revrec.waterfall(date, text, text, text) IS
    'per customer and product: booked, recognized to date, remaining, the amount of each future month and the undated amount (month NULL)';

-- The waterfall pivoted for a spreadsheet: one CSV line per row, a column per
-- month from the as-of month, then Later (dated after the last month
-- column) and Unscheduled (no date yet, the waterfall's month NULL row), so
-- that the months, Later and Unscheduled sum to Remaining; each customer's
-- total row is followed by its product rows.  Amounts have their currency's
-- decimals.  One call of the waterfall, pivoted in one pass.
--   COPY (SELECT line FROM revrec.waterfall_csv('2025-06-30')) TO STDOUT;
CREATE OR REPLACE FUNCTION revrec.waterfall_csv(as_of date, currency text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, months integer DEFAULT 24)
    RETURNS TABLE (line text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    first_month date;
    first_index integer;
BEGIN
    IF as_of IS NULL OR NOT isfinite(as_of) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV004',
            MESSAGE = format('as_of must be a date, not %s', coalesce(as_of::text, 'null')),
            HINT = 'The waterfall is as of a day.';
    END IF;
    IF months IS NULL OR months < 0 OR months > 12000 THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006',
            MESSAGE = format('months must be between 0 and 12000, not %s', coalesce(months::text, 'null'));
    END IF;
    first_month := date_trunc('month', as_of)::date;
    first_index := extract(year FROM as_of)::integer * 12 + extract(month FROM as_of)::integer;
    line := concat_ws(',', 'Customer ID,Customer name,Product ID,Product name,Currency,Booked,Recognized,Remaining',
                      nullif(array_to_string(ARRAY(SELECT to_char(first_month + make_interval(months => i), 'YYYY-MM')
                                                     FROM generate_series(0, months - 1) i ORDER BY i), ','), ''),
                      'Later,Unscheduled');
    RETURN NEXT;
    RETURN QUERY
    -- the column of each waterfall row: 0 .. months-1 a month, months Later,
    -- months+1 Unscheduled (a row with month and amount NULL has no amount)
    WITH w AS (
        SELECT w.customer_id, w.product_id, w.currency, w.booked, w.recognized, w.remaining, w.amount,
               CASE WHEN w.month IS NULL THEN months + 1
                    ELSE least(extract(year FROM w.month)::integer * 12 + extract(month FROM w.month)::integer
                               - first_index, months) END AS col,
               row_number() OVER (PARTITION BY w.customer_id, w.currency, w.product_id) = 1 AS head
          FROM revrec.waterfall(waterfall_csv.as_of, waterfall_csv.currency,
                                waterfall_csv.customer_id, waterfall_csv.product_id) w),
    -- each column's amount per product and per customer (its total row)
    c AS (
        SELECT w.customer_id, w.currency, w.product_id, grouping(w.product_id) = 0 AS is_product, w.col,
               sum(w.booked) FILTER (WHERE w.head) AS booked, sum(w.recognized) FILTER (WHERE w.head) AS recognized,
               sum(w.remaining) FILTER (WHERE w.head) AS remaining, sum(w.amount) AS amount
          FROM w GROUP BY GROUPING SETS ((w.customer_id, w.currency, w.product_id, w.col),
                                         (w.customer_id, w.currency, w.col))),
    -- one line each: its columns that have an amount, and the amounts
    l AS (
        SELECT c.customer_id, c.currency, c.product_id, c.is_product, sum(c.booked) AS booked,
               sum(c.recognized) AS recognized, sum(c.remaining) AS remaining,
               array_agg(c.col) FILTER (WHERE c.amount IS NOT NULL) AS cols,
               array_agg(c.amount) FILTER (WHERE c.amount IS NOT NULL) AS amounts,
               revrec.from_minor_units(0, c.currency) AS zero
          FROM c GROUP BY c.customer_id, c.currency, c.product_id, c.is_product)
    -- a customer's total line says so in the product name column: a line of
    -- lines without a product has both product columns empty
    SELECT concat_ws(',', revrec._csv(l.customer_id), revrec._csv(cu.name), revrec._csv(l.product_id),
                     CASE WHEN l.is_product THEN revrec._csv(pr.name) ELSE 'Total' END, l.currency, l.booked, l.recognized, l.remaining,
                     array_to_string(ARRAY(SELECT coalesce(l.amounts[array_position(l.cols, i)], l.zero)
                                             FROM generate_series(0, months + 1) i), ','))
      FROM l
      LEFT JOIN revrec.customer cu ON cu.customer_id = l.customer_id
      LEFT JOIN revrec.product pr ON pr.product_id = l.product_id AND l.is_product
     ORDER BY l.customer_id, l.currency, l.is_product, l.product_id;
END $$;

-- CSV field quoting (RFC 4180).
CREATE OR REPLACE FUNCTION revrec._csv(v text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN v IS NULL THEN ''
                WHEN v ~ '[",\r\n]' THEN '"' || replace(v, '"', '""') || '"'
                ELSE v END;
END;

-- Convenience views for psql and BI tools (every currency, one row each).
CREATE OR REPLACE VIEW revrec.deferred_revenue_now AS
    SELECT * FROM revrec._deferred_revenue(current_date, NULL, NULL, NULL);

CREATE OR REPLACE VIEW revrec.journal_report_this_month AS
    SELECT * FROM revrec._journal_report(date_trunc('month', current_date)::date,
                                         (date_trunc('month', current_date) + interval '1 month - 1 day')::date,
                                         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, 'month');

CREATE OR REPLACE VIEW revrec.journal_report_last_month AS
    SELECT * FROM revrec._journal_report((date_trunc('month', current_date) - interval '1 month')::date,
                                         (date_trunc('month', current_date) - interval '1 day')::date,
                                         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, 'month');

CREATE OR REPLACE VIEW revrec.waterfall_now AS
    SELECT * FROM revrec._waterfall(current_date, NULL, NULL, NULL);

-- Account balances per currency as of today (the trial balance of the subledger).
CREATE OR REPLACE VIEW revrec.account_balance AS
    SELECT p.currency, a.code AS account, a.name, a.normal_balance,
           sum(CASE WHEN e.direction = a.normal_balance THEN e.amount ELSE -e.amount END) AS balance
      FROM revrec.posting p
     CROSS JOIN LATERAL revrec._entries(p, NULL, current_date, true) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
     GROUP BY 1, 2, 3, 4;
