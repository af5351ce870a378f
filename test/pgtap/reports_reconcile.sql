-- Month-end reports reconciled to the journal entries and to each
-- other, to the last minor unit, over a random company with credit notes in
-- both modes, voids and a lock moved forward (lib/random_company.psql, smaller
-- than the invariants one).  Then more documents are posted, and the journal
-- report "as of" the moment before them must equal the report taken then.
--
-- Every assertion prints the count and the first ten offending rows.

\set QUIET 1
\set seed 0.6060
\set n1 80
\set n2 40
\set ncn 25
\ir lib/random_company.psql

CREATE FUNCTION pg_temp.none(q text, description text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    n    bigint;
    rows text;
BEGIN
    EXECUTE format('SELECT count(*), string_agg(r::text, E''\n'') FILTER (WHERE k <= 10)
                      FROM (SELECT r, row_number() OVER () AS k FROM (%s) r) z', q) INTO n, rows;
    RETURN NEXT ok(n = 0, description);
    IF n > 0 THEN
        RETURN NEXT diag(format('%s offending rows; the first ones:', n) || E'\n' || rows);
    END IF;
END $$;

CREATE TEMP TABLE cur AS SELECT DISTINCT currency AS code FROM gen_customer;
CREATE TEMP TABLE as_of_dates AS
SELECT d::date FROM unnest(ARRAY['2024-02-29', '2024-06-30', '2024-12-31', '2025-01-01', '2025-07-15', '2026-03-31']) d;
-- report ranges: everything, partial months at both ends, one day, across a year end
CREATE TEMP TABLE ranges AS
SELECT f::date AS from_date, t::date AS to_date
  FROM (VALUES ('2023-01-01', '2027-12-31'), ('2024-03-15', '2024-07-10'), ('2025-01-01', '2025-01-01'),
               ('2024-12-31', '2025-02-14')) r(f, t);

-- The report as it stands at t0, saved; then more documents.
CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS at;
CREATE TEMP TABLE saved_day AS
SELECT r.* FROM cur, LATERAL revrec.journal_report(from_date => '2023-01-01', to_date => '2027-12-31',
                                                   currency => cur.code, granularity => 'day') r;
CREATE TEMP TABLE saved_month AS
SELECT r.* FROM cur, LATERAL revrec.journal_report(from_date => '2024-02-10', to_date => '2026-05-20',
                                                   currency => cur.code) r;
DO $$
DECLARE
    l record;
    k int := 0;
BEGIN
    -- credit notes in both modes on groups not credited yet
    FOR l IN SELECT il.line_id, i.invoice_id, i.customer_id, i.currency, i.accounting_date
               FROM revrec.invoice_line il JOIN revrec.invoice i USING (invoice_id)
              WHERE i.status = 'issued' AND il.kind = 'charge' AND il.product_id IN ('SUB', 'SEAT', 'SETUP')
                AND il.schedule_line_id IS NULL
                AND NOT EXISTS (SELECT 1 FROM revrec.credit_note_line c WHERE c.line_id = il.line_id)
              ORDER BY il.line_id LIMIT 6 LOOP
        k := k + 1;
        UPDATE revrec.settings SET credit_note_mode = CASE WHEN k % 2 = 0 THEN 'adjust' ELSE 'cancel' END;
        INSERT INTO revrec.credit_note VALUES ('LATE' || k, 'NLATE' || k, l.customer_id, l.invoice_id, l.currency,
                                               l.accounting_date + 20 * k);
        INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount)
        VALUES ('LATE' || k || '-1', 'LATE' || k, l.line_id,
                round(pg_temp.left_to_credit(l.customer_id, l.invoice_id, l.line_id) / 3, pg_temp.expo(l.currency)));
        COMMIT;
    END LOOP;
    UPDATE revrec.settings SET credit_note_mode = 'cancel';
    -- a void, a milestone completed, a manual journal
    UPDATE revrec.invoice SET status = 'void', void_date = '2025-03-03'
     WHERE invoice_id = (SELECT min(invoice_id) FROM revrec.invoice i WHERE status = 'issued' AND invoice_id LIKE 'I0%'
                            AND NOT EXISTS (SELECT 1 FROM revrec.credit_note c WHERE c.invoice_id = i.invoice_id));
    COMMIT;
    UPDATE revrec.milestone SET completed_on = '2025-05-05'
     WHERE milestone_id = (SELECT min(milestone_id) FROM revrec.milestone m JOIN revrec.invoice_line USING (line_id)
                             JOIN revrec.invoice i USING (invoice_id) WHERE m.completed_on IS NULL AND i.status = 'issued');
    COMMIT;
    PERFORM revrec.post_manual_journal(entry_date => '2025-04-30', narrative => 'Late reclass',
        lines => '[{"account":"deferred","direction":"debit","amount":"10.00"},
                   {"account":"recognized","direction":"credit","amount":"10.00"}]', currency => 'EUR',
        customer_id => 'C01', product_id => 'SUB');
END $$;

-- the ledger now, and the reports the tests compare with it
CREATE TEMP TABLE je AS
SELECT *, CASE direction WHEN 'debit' THEN amount ELSE -amount END AS signed,
       min(entry_date) OVER (PARTITION BY posting_id) AS posting_start
  FROM revrec.journal_entry;
CREATE TEMP TABLE dr AS
SELECT a.d AS as_of, r.* FROM as_of_dates a, cur, LATERAL revrec.deferred_revenue(as_of => a.d, currency => cur.code) r;
CREATE TEMP TABLE wf AS
SELECT a.d AS as_of, r.* FROM as_of_dates a, cur, LATERAL revrec.waterfall(as_of => a.d, currency => cur.code) r;
CREATE TEMP TABLE rep_day AS
SELECT r.* FROM cur, LATERAL revrec.journal_report(from_date => '2023-01-01', to_date => '2027-12-31',
                                                   currency => cur.code, granularity => 'day') r;
CREATE TEMP TABLE rep_month AS
SELECT r.* FROM cur, LATERAL revrec.journal_report(from_date => '2023-01-01', to_date => '2027-12-31',
                                                   currency => cur.code, granularity => 'month') r;
CREATE TEMP TABLE rng_day AS
SELECT rg.from_date, r.* FROM ranges rg, cur, LATERAL revrec.journal_report(from_date => rg.from_date, to_date => rg.to_date,
                                                                          currency => cur.code, granularity => 'day') r;
CREATE TEMP TABLE rng_month AS
SELECT rg.from_date, r.* FROM ranges rg, cur, LATERAL revrec.journal_report(from_date => rg.from_date, to_date => rg.to_date,
                                                                          currency => cur.code, granularity => 'month') r;
-- the ledger per schedule (as deferred_revenue groups it) at each as_of
CREATE TEMP TABLE led AS
SELECT a.d AS as_of, je.currency, je.customer_id, coalesce(je.invoice_id, je.source_id) AS source_id,
       coalesce(je.line_id, '') AS line_id,
       coalesce(-sum(je.signed) FILTER (WHERE je.account = 'deferred'), 0) AS deferred,
       coalesce(sum(je.signed) FILTER (WHERE je.account = 'billed'), 0) AS billed,
       coalesce(-sum(je.signed) FILTER (WHERE je.account = 'recognized'), 0) AS recognized
  FROM as_of_dates a JOIN je ON je.entry_date <= a.d GROUP BY 1, 2, 3, 4, 5;

-- filtered report = the unfiltered one restricted the same way, for the given
-- values of one filter, at both granularities, in every currency they occur in
CREATE FUNCTION pg_temp.filter_works(col text, vals text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    g text;
    q text := '';
BEGIN
    FOREACH g IN ARRAY ARRAY['day', 'month'] LOOP
        q := q || CASE WHEN q = '' THEN '' ELSE ' UNION ALL ' END || format($q$
            (WITH v AS (SELECT DISTINCT currency, %1$I AS val FROM rep_%3$s WHERE %1$I = ANY (%2$L::text[])),
             f AS (SELECT r.* FROM v, LATERAL revrec.journal_report(from_date => '2023-01-01', to_date => '2027-12-31',
                                     currency => v.currency, %1$I => v.val, granularity => %3$L) r),
             u AS (SELECT r.* FROM rep_%3$s r JOIN v ON v.currency = r.currency AND v.val = r.%1$I)
             (SELECT %3$L AS granularity, 'only filtered' AS side, * FROM f EXCEPT ALL SELECT %3$L, 'only filtered', * FROM u)
             UNION ALL
             (SELECT %3$L, 'only unfiltered', * FROM u EXCEPT ALL SELECT %3$L, 'only unfiltered', * FROM f)
             UNION ALL
             SELECT %3$L, 'no rows for ' || %1$L, (NULL::revrec.journal_report_row).* FROM (SELECT 1) x
              WHERE NOT EXISTS (SELECT 1 FROM u))$q$, col, vals, g);
    END LOOP;
    RETURN QUERY SELECT pg_temp.none(q, format('journal_report filter %s works (day and month)', col));
END $$;

BEGIN;
SELECT plan(27);

-- deferred revenue ------------------------------------------------------------
-- 1. Per schedule, remaining = the deferred account balance of its entries up to as_of.
SELECT pg_temp.none($$
    SELECT as_of, currency, customer_id, source_id, line_id, led.deferred, dr.remaining
      FROM led FULL JOIN (SELECT as_of, currency, customer_id, source_id, coalesce(line_id, '') AS line_id, remaining FROM dr) dr
           USING (as_of, currency, customer_id, source_id, line_id)
     WHERE coalesce(led.deferred, 0) <> coalesce(dr.remaining, 0) $$,
    'deferred_revenue: remaining of each schedule = its deferred account balance at as_of');
-- 2. The contract statement itself: totals per currency and as_of.
SELECT pg_temp.none($$
    SELECT a.d, cur.code,
           (SELECT sum(remaining) FROM dr WHERE dr.as_of = a.d AND dr.currency = cur.code) AS report,
           (SELECT -sum(signed) FROM je WHERE je.currency = cur.code AND je.account = 'deferred' AND je.entry_date <= a.d) AS ledger
      FROM as_of_dates a, cur
     WHERE (SELECT coalesce(sum(remaining), 0) FROM dr WHERE dr.as_of = a.d AND dr.currency = cur.code)
        <> (SELECT coalesce(-sum(signed), 0) FROM je WHERE je.currency = cur.code AND je.account = 'deferred' AND je.entry_date <= a.d) $$,
    'deferred_revenue: remaining total = deferred account balance, per currency, at six dates');
-- 3. invoiced and recognized to date of each schedule row match its entries;
--    balance = invoiced - recognized.
SELECT pg_temp.none($$
    SELECT dr.as_of, dr.currency, dr.customer_id, dr.source_id, dr.line_id, dr.invoiced, dr.recognized, dr.balance, l.billed, l.recognized
      FROM dr LEFT JOIN led l ON l.as_of = dr.as_of AND l.currency = dr.currency AND l.source_id = dr.source_id
                             AND l.customer_id IS NOT DISTINCT FROM dr.customer_id AND l.line_id = coalesce(dr.line_id, '')
     WHERE dr.invoiced <> coalesce(l.billed, 0) OR dr.recognized <> coalesce(l.recognized, 0)
        OR dr.balance <> dr.invoiced - dr.recognized $$,
    'deferred_revenue: invoiced and recognized of each row match the ledger, balance = invoiced - recognized');
-- 4. current + non-current = remaining, and the aging bucket is one of five.
SELECT pg_temp.none($$
    SELECT as_of, customer_id, source_id, line_id, remaining, current_portion, noncurrent_portion, age_bucket FROM dr
     WHERE current_portion + noncurrent_portion <> remaining
        OR (remaining >= 0 AND (current_portion < 0 OR noncurrent_portion < 0))
        OR age_bucket IS NULL OR age_bucket NOT IN ('0-30', '31-90', '91-180', '181-365', 'over 365') $$,
    'deferred_revenue: current + non-current = remaining; aging buckets');

-- waterfall -------------------------------------------------------------------
-- 5. The future months sum to remaining, and booked = recognized + remaining.
SELECT pg_temp.none($$
    SELECT as_of, currency, customer_id, product_id, min(booked), min(recognized), min(remaining), sum(amount)
      FROM wf GROUP BY 1, 2, 3, 4
    HAVING coalesce(sum(amount), 0) <> min(remaining) OR min(booked) <> min(recognized) + min(remaining)
        OR count(DISTINCT (booked, recognized, remaining)) <> 1 OR min(month) < date_trunc('month', as_of) $$,
    'waterfall: future months sum to remaining per customer and product; booked = recognized + remaining');
-- 6. Each future month is what the ledger recognizes that month, for the
--    postings begun by as_of (a document dated later is not booked yet).
SELECT pg_temp.none($$
    WITH led AS (SELECT a.d AS as_of, je.currency, coalesce(je.customer_id, '') AS c, coalesce(je.product_id, '') AS p,
                        date_trunc('month', je.entry_date)::date AS month, -sum(je.signed) AS amount
                   FROM as_of_dates a JOIN je ON je.posting_start <= a.d AND je.entry_date > a.d AND je.account = 'recognized'
                  GROUP BY 1, 2, 3, 4, 5 HAVING sum(je.signed) <> 0),
    rep AS (SELECT as_of, currency, coalesce(customer_id, '') AS c, coalesce(product_id, '') AS p, month, amount
              FROM wf WHERE month IS NOT NULL)
    (SELECT 'ledger' AS side, * FROM led EXCEPT ALL SELECT 'ledger', * FROM rep)
    UNION ALL
    (SELECT 'waterfall', * FROM rep EXCEPT ALL SELECT 'waterfall', * FROM led) $$,
    'waterfall: each future month = the ledger''s recognition that month');
-- 6b. What the postings begun by as_of leave in the deferred account once all
--     their entries have run (billed, never recognized: open milestones, a
--     manual deferral) is the waterfall's undated row (month NULL).
SELECT pg_temp.none($$
    WITH led AS (SELECT a.d AS as_of, je.currency, coalesce(je.customer_id, '') AS c, coalesce(je.product_id, '') AS p,
                        -sum(je.signed) AS amount
                   FROM as_of_dates a JOIN je ON je.posting_start <= a.d AND je.account = 'deferred'
                  GROUP BY 1, 2, 3, 4 HAVING sum(je.signed) <> 0),
    rep AS (SELECT as_of, currency, coalesce(customer_id, '') AS c, coalesce(product_id, '') AS p, amount
              FROM wf WHERE month IS NULL AND amount IS NOT NULL)
    (SELECT 'ledger' AS side, * FROM led EXCEPT ALL SELECT 'ledger', * FROM rep)
    UNION ALL
    (SELECT 'waterfall', * FROM rep EXCEPT ALL SELECT 'waterfall', * FROM led)
    UNION ALL
    SELECT 'no undated amount at all', NULL, NULL, NULL, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM rep) $$,
    'waterfall: the undated row = what the deferred account keeps once every entry has run');
-- 6c. The waterfall's remaining total is the deferred account's balance at
--     as_of, plus what the postings begun by as_of still bill and move through
--     unbilled after it (in arrears, billing schedules: revenue to come that is
--     not deferred yet); where they do neither, exactly the deferred balance
--     (README "Reports": the reports reconcile).
SELECT pg_temp.none($$
    SELECT a.d, cur.code, w.remaining AS waterfall, l.deferred, l.later AS billed_or_unbilled_later
      FROM as_of_dates a CROSS JOIN cur,
           LATERAL (SELECT coalesce(sum(remaining), 0) AS remaining
                      FROM (SELECT DISTINCT customer_id, product_id, remaining FROM wf
                             WHERE wf.as_of = a.d AND wf.currency = cur.code) z) w,
           LATERAL (SELECT coalesce(-sum(signed) FILTER (WHERE account = 'deferred' AND entry_date <= a.d), 0) AS deferred,
                           coalesce(sum(signed) FILTER (WHERE account NOT IN ('deferred', 'recognized')
                                                          AND entry_date > a.d AND posting_start <= a.d), 0) AS later
                      FROM je WHERE je.currency = cur.code) l
     WHERE w.remaining <> l.deferred + l.later
    UNION ALL
    SELECT NULL, 'no as_of where the remaining total is exactly the deferred balance', NULL, NULL, NULL
     WHERE NOT EXISTS (
           SELECT 1 FROM as_of_dates a CROSS JOIN cur
            WHERE NOT EXISTS (SELECT 1 FROM je WHERE je.currency = cur.code AND je.posting_start <= a.d AND je.entry_date > a.d
                                 AND je.account NOT IN ('deferred', 'recognized'))
              AND EXISTS (SELECT 1 FROM wf WHERE wf.as_of = a.d AND wf.currency = cur.code AND wf.remaining <> 0)) $$,
    'waterfall: remaining total = deferred balance at as_of + what is still billed or moved through unbilled, per currency');
-- 7. Recognized to date: waterfall total = deferred_revenue total = ledger.
SELECT pg_temp.none($$
    SELECT a.d, cur.code, w.recognized AS waterfall, d.recognized AS deferred_revenue, l.recognized AS ledger
      FROM as_of_dates a CROSS JOIN cur,
           LATERAL (SELECT coalesce(sum(recognized), 0) AS recognized
                      FROM (SELECT DISTINCT customer_id, product_id, recognized FROM wf
                             WHERE wf.as_of = a.d AND wf.currency = cur.code) z) w,
           LATERAL (SELECT coalesce(sum(recognized), 0) AS recognized FROM dr WHERE dr.as_of = a.d AND dr.currency = cur.code) d,
           LATERAL (SELECT coalesce(-sum(signed), 0) AS recognized FROM je
                     WHERE je.currency = cur.code AND je.account = 'recognized' AND je.entry_date <= a.d) l
     WHERE w.recognized <> l.recognized OR d.recognized <> l.recognized $$,
    'recognized to date: waterfall = deferred_revenue = recognized account, per currency');

-- journal report -----------------------------------------------------------------
-- 8. Day rows are the journal entries of the range.
SELECT pg_temp.none($$
    WITH rep AS (SELECT from_date, journal_number, entry_date, account, direction, amount, line_id, narrative FROM rng_day),
    led AS (SELECT rg.from_date, je.journal_number, je.entry_date, je.account, je.direction, je.amount, je.line_id, je.narrative
              FROM ranges rg JOIN je ON je.entry_date BETWEEN rg.from_date AND rg.to_date)
    (SELECT 'report' AS side, * FROM rep EXCEPT ALL SELECT 'report', * FROM led)
    UNION ALL
    (SELECT 'ledger', * FROM led EXCEPT ALL SELECT 'ledger', * FROM rep) $$,
    'journal_report day rows = journal_entry rows of the range, for four ranges');
-- 9. Month rows are the sums of the day rows, dated the last day of their
--    month inside the range.
SELECT pg_temp.none($$
    WITH d AS (SELECT r.from_date, r.journal_number, r.account, r.direction, date_trunc('month', r.entry_date)::date AS month,
                      sum(r.amount) AS amount,
                      least(max(rg.to_date), (date_trunc('month', min(r.entry_date)) + interval '1 month - 1 day')::date) AS dated
                 FROM rng_day r JOIN ranges rg USING (from_date)
                GROUP BY 1, 2, 3, 4, 5),
    m AS (SELECT from_date, journal_number, account, direction, date_trunc('month', entry_date)::date AS month,
                 amount, entry_date AS dated FROM rng_month)
    (SELECT 'days' AS side, * FROM d EXCEPT ALL SELECT 'days', * FROM m)
    UNION ALL
    (SELECT 'month', * FROM m EXCEPT ALL SELECT 'month', * FROM d) $$,
    'journal_report month rows = sums of day rows per journal, account, direction and month');
-- 10-12. As of t0, the report is what it was at t0, though more was posted since.
SELECT pg_temp.none($$
    WITH r AS (SELECT r.* FROM cur, LATERAL revrec.journal_report(from_date => '2023-01-01', to_date => '2027-12-31',
                   currency => cur.code, as_of => (SELECT at FROM t0), granularity => 'day') r)
    (SELECT 'as of t0' AS side, * FROM r EXCEPT ALL SELECT 'as of t0', * FROM saved_day)
    UNION ALL
    (SELECT 'saved at t0', * FROM saved_day EXCEPT ALL SELECT 'saved at t0', * FROM r) $$,
    'journal_report as_of t0 (day) = the report taken at t0');
SELECT pg_temp.none($$
    WITH r AS (SELECT r.* FROM cur, LATERAL revrec.journal_report(from_date => '2024-02-10', to_date => '2026-05-20',
                   currency => cur.code, as_of => (SELECT at FROM t0)) r)
    (SELECT 'as of t0' AS side, * FROM r EXCEPT ALL SELECT 'as of t0', * FROM saved_month)
    UNION ALL
    (SELECT 'saved at t0', * FROM saved_month EXCEPT ALL SELECT 'saved at t0', * FROM r) $$,
    'journal_report as_of t0 (month, partial months) = the report taken at t0');
SELECT pg_temp.none($$
    SELECT source, count(DISTINCT source_id) FROM je WHERE recorded_at > (SELECT at FROM t0) GROUP BY 1
    HAVING count(DISTINCT source_id) < CASE source WHEN 'credit_note' THEN 6 ELSE 1 END
    UNION ALL
    SELECT 'no change in the report', NULL WHERE NOT EXISTS (SELECT * FROM rep_day EXCEPT SELECT * FROM saved_day) $$,
    'documents were posted after t0 and changed the report (the as_of tests are not vacuous)');

-- 13-18. Every filter = the unfiltered report restricted the same way.
SELECT pg_temp.filter_works('customer_id', ARRAY['C01', 'C03', 'C04', 'C06']);
SELECT pg_temp.filter_works('product_id', ARRAY['SUB', 'SEAT', 'SETUP', 'API', 'PS', 'MIN', 'CREDITS']);
SELECT pg_temp.filter_works('invoice_id', (SELECT array_agg(DISTINCT invoice_id) FROM (
    (SELECT invoice_id FROM revrec.credit_note WHERE invoice_id IS NOT NULL ORDER BY credit_note_id DESC LIMIT 4)
    UNION ALL (SELECT invoice_id FROM revrec.invoice WHERE status = 'void' LIMIT 2)
    UNION ALL (SELECT invoice_id FROM revrec.invoice_line WHERE schedule_line_id IS NOT NULL LIMIT 1)
    UNION ALL (SELECT invoice_id FROM revrec.invoice ORDER BY invoice_id LIMIT 3)) z));
SELECT pg_temp.filter_works('credit_note_id', (SELECT array_agg(credit_note_id) FROM (
    (SELECT credit_note_id FROM revrec.credit_note WHERE status = 'void')
    UNION ALL (SELECT credit_note_id FROM revrec.credit_note WHERE invoice_id IS NULL)
    UNION ALL (SELECT credit_note_id FROM revrec.credit_note ORDER BY credit_note_id LIMIT 4)) z));
SELECT pg_temp.filter_works('source', ARRAY['invoice', 'credit_note', 'billing_schedule', 'standalone']);
SELECT pg_temp.filter_works('journal_type', ARRAY['system', 'manual']);
-- 19. exclude_fully_recognized hides exactly the groups complete by the as-of
--     date (today): nothing dated after it, no deferred balance (billed, not
--     recognized: an open milestone) and no unbilled one (earned, not billed;
--     a billing schedule line and the invoice line billing it count together).
--     Entries outside a group are kept.
SELECT pg_temp.none($$
    WITH g AS (
        SELECT je.customer_id, coalesce(je.invoice_id, je.source_id) AS doc, je.line_id,
               coalesce(CASE WHEN je.source = 'billing_schedule' THEN je.source_id END, il.schedule_line_id,
                        coalesce(je.invoice_id, je.source_id) || '/' || je.line_id) AS unbilled_key,
               bool_or(je.entry_date > current_date) AS later,
               coalesce(sum(je.signed) FILTER (WHERE je.account = 'deferred' AND je.entry_date <= current_date), 0) AS deferred,
               coalesce(sum(je.signed) FILTER (WHERE je.account = 'unbilled' AND je.entry_date <= current_date), 0) AS unbilled
          FROM je LEFT JOIN revrec.invoice_line il ON je.source <> 'billing_schedule' AND il.line_id = je.line_id
                                                  AND il.invoice_id = je.invoice_id
         WHERE je.line_id IS NOT NULL
         GROUP BY 1, 2, 3, 4),
    open_groups AS (
        SELECT customer_id, doc, line_id FROM g
         WHERE later OR deferred <> 0
            OR (unbilled <> 0 AND (SELECT sum(g2.unbilled) FROM g g2 WHERE g2.unbilled_key = g.unbilled_key) <> 0)),
    f AS (SELECT r.* FROM cur, LATERAL revrec.journal_report(from_date => '2023-01-01', to_date => '2027-12-31',
              currency => cur.code, exclude_fully_recognized => true, granularity => 'day') r),
    u AS (SELECT r.* FROM rep_day r
           WHERE r.line_id IS NULL
              OR EXISTS (SELECT 1 FROM open_groups o WHERE o.customer_id = r.customer_id
                            AND o.doc = coalesce(r.invoice_id, r.source_id) AND o.line_id = r.line_id))
    (SELECT 'only filtered' AS side, * FROM f EXCEPT ALL SELECT 'only filtered', * FROM u)
    UNION ALL
    (SELECT 'only unfiltered', * FROM u EXCEPT ALL SELECT 'only unfiltered', * FROM f)
    UNION ALL
    SELECT 'nothing hidden', (NULL::revrec.journal_report_row).* WHERE (SELECT count(*) FROM f) = (SELECT count(*) FROM rep_day) $$,
    'journal_report exclude_fully_recognized hides exactly the fully recognized groups');

-- 20-24. Errors: several currencies and none chosen; a bad granularity.
SELECT throws_ok($$ SELECT * FROM revrec.journal_report(from_date => '2024-01-01', to_date => '2024-12-31') $$,
                 'RV015', NULL, 'journal_report without currency over several currencies is an error (RV015)');
SELECT throws_ok($$ SELECT * FROM revrec.deferred_revenue(as_of => '2024-12-31') $$,
                 'RV015', NULL, 'deferred_revenue without currency over several currencies is an error (RV015)');
SELECT throws_ok($$ SELECT * FROM revrec.waterfall(as_of => '2024-12-31') $$,
                 'RV015', NULL, 'waterfall without currency over several currencies is an error (RV015)');
SELECT throws_ok($$ SELECT * FROM revrec.journal_report(from_date => '2024-01-01', to_date => '2024-12-31', currency => 'XYZ') $$,
                 'RV001', NULL, 'an unknown currency is an error');
SELECT throws_ok($$ SELECT * FROM revrec.journal_report(from_date => '2024-01-01', to_date => '2024-12-31', currency => 'USD', granularity => 'week') $$,
                 'RV006', NULL, 'an unknown granularity is an error');

-- 25. deferred_revenue's rows come in report order (customer, product,
-- source_id, line_id, NULLs last) without an ORDER BY of the caller's.
SELECT is_empty($$
    SELECT a.d, cur.code
      FROM as_of_dates a, cur
     WHERE (SELECT array_agg(row(x.customer_id, x.product_id, x.source_id, x.line_id)::text ORDER BY x.ordinality)
              FROM revrec.deferred_revenue(as_of => a.d, currency => cur.code) WITH ORDINALITY x)
           IS DISTINCT FROM
           (SELECT array_agg(row(y.customer_id, y.product_id, y.source_id, y.line_id)::text
                             ORDER BY y.customer_id, y.product_id, y.source_id, y.line_id)
              FROM revrec.deferred_revenue(as_of => a.d, currency => cur.code) y) $$,
    'deferred_revenue rows are ordered by customer, product, source document and line');

SELECT * FROM finish();
ROLLBACK;
