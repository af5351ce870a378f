-- Ledger invariants over a random company: a few hundred
-- invoices of every kind, usage arriving late, milestones completed in steps
-- and un-completed, billing schedules later invoiced, drafts issued later,
-- voids, credit notes in both modes (some voided), standalone credits,
-- manual journals, five currencies (JPY with no decimals, BHD with three),
-- and a lock date moved forward half-way (see lib/random_company.psql).
--
-- Each assertion is one query over the whole ledger for offending rows; a
-- failure prints how many there are and the first ten (pg_temp.none), which
-- is enough to replay the document by hand: the same seed draws the same
-- company.

\set QUIET 1
\set seed 0.20251124
\set n1 200
\set n2 100
\set ncn 60
\ir lib/random_company.psql

-- ok when the query returns no rows; otherwise diag the count and ten rows
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

-- the ledger as it stands, once (signed: debit positive)
CREATE TEMP TABLE je AS
SELECT *, CASE direction WHEN 'debit' THEN amount ELSE -amount END AS signed FROM revrec.journal_entry;
CREATE INDEX ON je (invoice_id, line_id);
ANALYZE je;

-- invoice groups (performance obligations) with what the tests need to know
CREATE TEMP TABLE grp AS
SELECT g.customer_id, g.invoice_id, g.line_id, i.status, i.accounting_date, i.void_date, i.currency,
       l.kind, l.product_id, l.schedule_line_id, l.service_start, l.service_end, l.recognize_on,
       (SELECT p.method FROM revrec.posting p WHERE p.customer_id = g.customer_id AND p.source = 'invoice'
           AND p.source_id = g.invoice_id AND p.line_id = g.line_id AND p.reason = 'issue') AS method,
       EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = g.customer_id AND p.source = 'credit_note'
                  AND p.invoice_id = g.invoice_id AND p.line_id = g.line_id) AS credited,
       (SELECT max(c.credit_date) FROM revrec.credit_note c JOIN revrec.credit_note_line cl USING (credit_note_id)
          JOIN revrec.invoice_line il ON il.line_id = cl.line_id
         WHERE coalesce(il.group_id, il.line_id) = g.line_id AND il.invoice_id = g.invoice_id) AS last_credit,
       (SELECT max(c.void_date) FROM revrec.credit_note c JOIN revrec.credit_note_line cl USING (credit_note_id)
          JOIN revrec.invoice_line il ON il.line_id = cl.line_id
         WHERE coalesce(il.group_id, il.line_id) = g.line_id AND il.invoice_id = g.invoice_id) AS last_credit_void,
       sum(je.signed) FILTER (WHERE je.account = 'billed') AS billed,
       -sum(je.signed) FILTER (WHERE je.account = 'recognized') AS recognized,
       sum(je.signed) FILTER (WHERE je.account = 'deferred') AS deferred,
       sum(je.signed) FILTER (WHERE je.account = 'unbilled') AS unbilled
  FROM (SELECT DISTINCT customer_id, invoice_id, line_id FROM je WHERE invoice_id IS NOT NULL) g
  JOIN revrec.invoice i ON i.invoice_id = g.invoice_id
  JOIN revrec.invoice_line l ON l.line_id = g.line_id
  JOIN je ON je.customer_id = g.customer_id AND je.invoice_id = g.invoice_id AND je.line_id = g.line_id
 GROUP BY g.customer_id, g.invoice_id, g.line_id, i.status, i.accounting_date, i.void_date, i.currency, l.kind,
          l.product_id, l.schedule_line_id, l.service_start, l.service_end, l.recognize_on;

BEGIN;
SELECT plan(23);

-- 1. The generator wrote what it claims to: every kind of document and event.
SELECT pg_temp.none($$
    SELECT feature FROM (VALUES
      ('straight_line in advance',   (SELECT count(*) FROM grp WHERE method = 'straight_line' AND service_start >= accounting_date)),
      ('straight_line in arrears',   (SELECT count(*) FROM grp WHERE method = 'straight_line' AND service_end < accounting_date)),
      ('straddling the invoice date',(SELECT count(*) FROM grp WHERE method = 'straight_line' AND accounting_date > service_start AND accounting_date <= service_end)),
      ('usage with usage rows',      (SELECT count(DISTINCT line_id) FROM revrec.usage)),
      ('usage posted after its invoice', (SELECT count(*) FROM revrec.posting WHERE reason = 'usage')),
      ('point_in_time setup fees',   (SELECT count(*) FROM grp WHERE product_id = 'SETUP')),
      ('milestones completed later', (SELECT count(*) FROM revrec.posting WHERE reason = 'milestone')),
      ('milestones un-completed',    (SELECT count(*) FROM je WHERE reason = 'milestone' AND account = 'recognized' AND direction = 'debit')),
      ('milestones never completed', (SELECT count(*) FROM revrec.milestone WHERE completed_on IS NULL)),
      ('product discounts',          (SELECT count(*) FROM revrec.invoice_line WHERE kind = 'discount')),
      ('invoice discounts',          (SELECT count(*) FROM revrec.invoice_line WHERE kind = 'invoice_discount')),
      ('invoice discounts by ssp',   (SELECT count(*) FROM revrec.invoice_line l WHERE ssp IS NOT NULL AND EXISTS (
                                         SELECT 1 FROM revrec.invoice_line d WHERE d.invoice_id = l.invoice_id AND d.kind = 'invoice_discount'))),
      ('minimum true-ups',           (SELECT count(*) FROM grp WHERE kind = 'minimum_true_up')),
      ('credit drawdowns',           (SELECT count(*) FROM revrec.invoice_line WHERE kind = 'credit_usage')),
      ('billing schedules invoiced', (SELECT count(*) FROM grp WHERE schedule_line_id IS NOT NULL)),
      ('JPY',                        (SELECT count(*) FROM je WHERE currency = 'JPY')),
      ('BHD (3 decimals)',           (SELECT count(*) FROM je WHERE currency = 'BHD')),
      ('drafts issued later',        (SELECT count(*) FROM revrec.invoice i JOIN revrec.posting p ON p.source_id = i.invoice_id
                                        AND p.reason = 'issue' WHERE p.recorded_at > i.created_at + interval '1 ms'
                                        AND p.recorded_at > (SELECT set_at FROM gen_lock ORDER BY set_at LIMIT 1))),
      ('voids',                      (SELECT count(*) FROM revrec.invoice WHERE status = 'void')),
      ('cancel credit notes',        (SELECT count(*) FROM revrec.posting WHERE reason = 'credit' AND invoice_id IS NOT NULL)),
      ('adjust credit notes',        (SELECT count(*) FROM revrec.posting WHERE reason = 'adjust')),
      ('credit notes with two lines',(SELECT count(*) FROM revrec.credit_note_line WHERE credit_note_line_id LIKE '%-2')),
      ('voided credit notes',        (SELECT count(*) FROM revrec.credit_note WHERE status = 'void')),
      ('standalone credits',         (SELECT count(*) FROM revrec.credit_note_line WHERE line_id IS NULL)),
      ('manual journals',            (SELECT count(*) FROM revrec.posting WHERE journal_type = 'manual')),
      ('catch-up entries (lock)',    (SELECT count(*) FROM je WHERE narrative LIKE 'Catch-up%')),
      ('posted after the lock moved',(SELECT count(*) FROM je WHERE recorded_at > (SELECT max(set_at) FROM gen_lock))),
      ('strategy changed mid-way',   (SELECT count(DISTINCT sched_strategy) - 1 FROM revrec.posting WHERE reason = 'issue'))
    ) f(feature, n) WHERE n = 0 $$,
    'the random company has every kind of document and event');

-- 2. Every journal balances, and so does each of its days.
SELECT pg_temp.none($$
    SELECT journal_number, entry_date, sum(signed) FROM je GROUP BY 1, 2 HAVING sum(signed) <> 0 $$,
    'every journal balances on every day');
SELECT pg_temp.none($$
    SELECT journal_number, sum(signed) FROM je GROUP BY 1 HAVING sum(signed) <> 0 $$,
    'every journal balances');

-- 3. Every posting row balances on its own.
SELECT pg_temp.none($$
    SELECT posting_id, reason, source_id, sum(signed) FROM je GROUP BY 1, 2, 3 HAVING sum(signed) <> 0 $$,
    'every posting row balances');

-- 4. Per group: billed = recognized + deferred - unbilled (net, signed), i.e.
--    the group's entries sum to zero across the four accounts.
SELECT pg_temp.none($$
    SELECT customer_id, invoice_id, line_id, billed, recognized, deferred, unbilled FROM grp
     WHERE coalesce(billed, 0) - coalesce(recognized, 0) + coalesce(deferred, 0) + coalesce(unbilled, 0) <> 0 $$,
    'every group: billed = recognized + deferred - unbilled');

-- 5. Over its whole life a group recognizes exactly what it bills, net of
--    discounts, drawdowns, credit notes (both modes) and voids, and leaves
--    nothing in deferred or unbilled.  (Milestones and billing schedules below.)
SELECT pg_temp.none($$
    SELECT customer_id, invoice_id, line_id, method, billed, recognized, deferred, unbilled FROM grp
     WHERE method <> 'milestone' AND schedule_line_id IS NULL
       AND (coalesce(billed, 0) <> coalesce(recognized, 0) OR coalesce(deferred, 0) <> 0 OR coalesce(unbilled, 0) <> 0) $$,
    'every group recognizes exactly its net billed amount, deferred and unbilled end at zero');

-- 6. ... and has done so once its period is over: for groups whose service
--    period, invoice date, credit notes and void are all on or before
--    2025-06-30, the balances at that date (lock catch-ups land on
--    2025-01-01) are billed = recognized, deferred = unbilled = 0.
SELECT pg_temp.none($$
    SELECT g.invoice_id, g.line_id, g.method, b.*
      FROM grp g, LATERAL (
           SELECT sum(je.signed) FILTER (WHERE je.account = 'billed') AS billed_then,
                  -sum(je.signed) FILTER (WHERE je.account = 'recognized') AS recognized_then,
                  sum(je.signed) FILTER (WHERE je.account IN ('deferred', 'unbilled')) AS open_then
             FROM je WHERE je.customer_id = g.customer_id AND je.invoice_id = g.invoice_id AND je.line_id = g.line_id
              AND je.entry_date <= '2025-06-30') b
     WHERE g.method <> 'milestone' AND g.schedule_line_id IS NULL
       AND greatest(g.accounting_date, g.service_end, g.recognize_on, g.service_start, g.last_credit,
                    g.last_credit_void, g.void_date) <= '2025-06-30'
       AND (b.billed_then IS DISTINCT FROM b.recognized_then OR b.open_then <> 0) $$,
    'a group whose period is over has recognized its net billed amount by then');

-- 7. Milestone groups recognize exactly their completed milestones (un-completed
--    ones reversed); fully completed ones their whole amount; voided ones nothing.
SELECT pg_temp.none($$
    SELECT g.invoice_id, g.line_id, g.status, g.billed, g.recognized, m.done, m.total
      FROM grp g, LATERAL (SELECT sum(amount) FILTER (WHERE completed_on IS NOT NULL) AS done, sum(amount) AS total
                             FROM revrec.milestone WHERE line_id = g.line_id) m
     WHERE g.method = 'milestone'
       AND CASE WHEN g.status = 'void' THEN coalesce(g.recognized, 0) <> 0 OR coalesce(g.billed, 0) <> 0
                ELSE coalesce(g.recognized, 0) <> coalesce(m.done, 0) OR g.billed <> m.total END $$,
    'milestone groups recognize exactly their completed milestones');

-- 8. Billing schedules: the schedule recognizes its amount into unbilled; the
--    invoice billing it moves unbilled to billed and trues up the difference,
--    so together they recognize what the invoice bills and unbilled ends at zero.
SELECT pg_temp.none($$
    SELECT b.schedule_line_id, b.amount, s.recognized AS schedule_recognized, g.billed, g.recognized, s.unbilled, g.unbilled
      FROM revrec.billing_schedule_line b
      JOIN LATERAL (SELECT -sum(signed) FILTER (WHERE account = 'recognized') AS recognized,
                           sum(signed) FILTER (WHERE account = 'unbilled') AS unbilled
                      FROM je WHERE je.source = 'billing_schedule' AND je.source_id = b.schedule_line_id) s ON true
      LEFT JOIN grp g ON g.schedule_line_id = b.schedule_line_id
     WHERE s.recognized <> b.amount
        OR (g.invoice_id IS NULL AND s.unbilled <> b.amount)
        OR (g.invoice_id IS NOT NULL AND (s.recognized + g.recognized <> g.billed
                                          OR s.unbilled + coalesce(g.unbilled, 0) <> 0 OR coalesce(g.deferred, 0) <> 0)) $$,
    'billing schedules and the invoices that bill them reconcile');

-- 9. A voided invoice nets to zero in every account.
SELECT pg_temp.none($$
    SELECT je.invoice_id, je.account, sum(je.signed) FROM je JOIN revrec.invoice i USING (invoice_id)
     WHERE i.status = 'void' AND je.source = 'invoice' GROUP BY 1, 2 HAVING sum(je.signed) <> 0 $$,
    'voided invoices net to zero in every account');

-- 10. Credit notes: each line credits billed by exactly its amount; a standalone
--     line debits recognized by it; a voided credit note nets to zero.
SELECT pg_temp.none($$
    SELECT c.credit_note_id, c.status, cl.credit_note_line_id, cl.amount, x.billed_credit, x.recognized_debit
      FROM revrec.credit_note c JOIN revrec.credit_note_line cl USING (credit_note_id),
           LATERAL (SELECT -sum(je.signed) FILTER (WHERE je.account = 'billed') AS billed_credit,
                           sum(je.signed) FILTER (WHERE je.account = 'recognized') AS recognized_debit
                      FROM je WHERE je.source = 'credit_note' AND je.source_id = c.credit_note_id
                       AND (je.line_id IS NOT DISTINCT FROM (SELECT coalesce(il.group_id, il.line_id) FROM revrec.invoice_line il
                                                              WHERE il.line_id = cl.line_id))
                       AND (cl.line_id IS NOT NULL OR je.product_id = cl.product_id)) x
     WHERE CASE WHEN c.status = 'void' THEN x.billed_credit <> 0 OR x.recognized_debit <> 0
                ELSE x.billed_credit <> (SELECT sum(amount) FROM revrec.credit_note_line c2
                                          WHERE c2.credit_note_id = c.credit_note_id
                                            AND (SELECT coalesce(il.group_id, il.line_id) FROM revrec.invoice_line il WHERE il.line_id = c2.line_id)
                                                IS NOT DISTINCT FROM (SELECT coalesce(il.group_id, il.line_id) FROM revrec.invoice_line il WHERE il.line_id = cl.line_id)
                                            AND c2.product_id IS NOT DISTINCT FROM cl.product_id)
                     OR (cl.line_id IS NULL AND x.recognized_debit <> cl.amount) END $$,
    'credit note lines credit billed by their amount; voided credit notes net to zero');

-- 11. Deferred (a credit balance) and unbilled (a debit balance) never have the
--     wrong sign at the end of any day, for normal in-advance / in-arrears
--     invoices: issued, no credit notes, not billing a schedule.
SELECT pg_temp.none($$
    WITH normal AS (SELECT customer_id, invoice_id, line_id FROM grp
                     WHERE status = 'issued' AND NOT credited AND schedule_line_id IS NULL),
    daily AS (SELECT je.invoice_id, je.line_id, je.entry_date,
                     sum(sum(je.signed) FILTER (WHERE je.account = 'deferred')) OVER w AS deferred,
                     sum(sum(je.signed) FILTER (WHERE je.account = 'unbilled')) OVER w AS unbilled
                FROM je JOIN normal USING (customer_id, invoice_id, line_id)
               GROUP BY je.invoice_id, je.line_id, je.entry_date
              WINDOW w AS (PARTITION BY je.invoice_id, je.line_id ORDER BY je.entry_date))
    SELECT * FROM daily WHERE deferred > 0 OR unbilled < 0 $$,
    'deferred never has a debit balance and unbilled never a credit balance on any day');

-- 12. Nothing dated on or before a lock date was recorded after that lock was set.
SELECT pg_temp.none($$
    SELECT l.lock_date, je.journal_number, je.entry_date, je.account, je.amount, je.recorded_at
      FROM gen_lock l JOIN je ON je.recorded_at > l.set_at AND je.entry_date <= l.lock_date $$,
    'no entry dated inside a lock was recorded after the lock was set');
SELECT pg_temp.none($$
    SELECT l.lock_date FROM gen_lock l
     WHERE NOT EXISTS (SELECT 1 FROM revrec.activity_log a WHERE a.action = 'lock'
                          AND a.detail LIKE '%-> ' || l.lock_date || ',%' AND a.at <= l.set_at) $$,
    'each lock change is in the activity log');

-- 12b. The activity log counts what was posted: per document, its runs'
--      entries and debits add up to the document's journal entries.
SELECT pg_temp.none($$
    WITH a AS (SELECT source, document_id, currency, sum(entries) AS n, sum(amount) AS dr
                 FROM revrec.activity_log WHERE source IS NOT NULL GROUP BY 1, 2, 3),
         j AS (SELECT source, source_id AS document_id, currency, count(*) AS n,
                      sum(amount) FILTER (WHERE direction = 'debit') AS dr
                 FROM je GROUP BY 1, 2, 3)
    SELECT * FROM a FULL JOIN j USING (source, document_id, currency)
     WHERE a.n IS DISTINCT FROM j.n OR coalesce(a.dr, 0) <> coalesce(j.dr, 0) $$,
    'the activity log''s entries and amounts per document match the journal');

-- 13. Amounts are positive with exactly the currency's decimals.
SELECT pg_temp.none($$
    SELECT je.journal_number, je.entry_date, je.account, je.amount, je.currency
      FROM je JOIN revrec.currency c ON c.code = je.currency
     WHERE NOT (je.amount > 0 AND scale(je.amount) = c.exponent) $$,
    'entry amounts are > 0 with exactly the currency''s decimals');

-- 14. One journal number per customer x product x source document x month, and
--     one such journal per number.
SELECT pg_temp.none($$
    SELECT customer_id, product_id, source, source_id, date_trunc('month', entry_date)::date, array_agg(DISTINCT journal_number)
      FROM je GROUP BY 1, 2, 3, 4, 5 HAVING count(DISTINCT journal_number) <> 1 $$,
    'one journal number per customer, product, source document and month');
SELECT pg_temp.none($$
    SELECT journal_number, count(DISTINCT (customer_id, product_id, source, source_id, date_trunc('month', entry_date)))
      FROM je GROUP BY 1 HAVING count(DISTINCT (customer_id, product_id, source, source_id, date_trunc('month', entry_date))) <> 1 $$,
    'each journal number names one customer, product, source document and month');

-- 15. Stable: reading the ledger again gives the same entries and numbers, and
--     what it showed at the end of phase 2 is unchanged by everything posted
--     since (append-only, never renumbered).
SELECT pg_temp.none($$
    WITH again AS (SELECT *, CASE direction WHEN 'debit' THEN amount ELSE -amount END AS signed
                     FROM revrec.journal_entry WHERE customer_id IN ('C01', 'C02', 'C03', 'C04', 'C05'))
    (SELECT 'first' AS read, * FROM je WHERE customer_id IN ('C01', 'C02', 'C03', 'C04', 'C05') EXCEPT ALL SELECT 'first', * FROM again)
    UNION ALL
    (SELECT 'second', * FROM again EXCEPT ALL SELECT 'second', * FROM je WHERE customer_id IN ('C01', 'C02', 'C03', 'C04', 'C05')) $$,
    'journal_entry read twice gives the same entries and journal numbers (five customers)');
SELECT pg_temp.none($$
    (SELECT 'then' AS side, * FROM gen_snapshot
     EXCEPT ALL
     SELECT 'then', journal_number, entry_date, source, source_id, customer_id, product_id, invoice_id, invoice_number,
            credit_note_id, line_id, account, direction, amount, currency, method, narrative, journal_type,
            recorded_at, posting_id, reason
       FROM je WHERE recorded_at <= (SELECT at FROM gen_mark WHERE name = 'phase2'))
    UNION ALL
    (SELECT 'now', journal_number, entry_date, source, source_id, customer_id, product_id, invoice_id, invoice_number,
            credit_note_id, line_id, account, direction, amount, currency, method, narrative, journal_type,
            recorded_at, posting_id, reason
       FROM je WHERE recorded_at <= (SELECT at FROM gen_mark WHERE name = 'phase2')
     EXCEPT ALL
     SELECT 'now', * FROM gen_snapshot) $$,
    'entries recorded by the end of phase 2 are exactly what the ledger showed then');

-- 16. The activity log accounts for every entry and every debit.
SELECT pg_temp.none($$
    SELECT coalesce(a.currency, e.currency) AS currency, a.entries, e.entries, a.debits, e.debits
      FROM (SELECT currency, sum(entries) AS entries, sum(amount) AS debits FROM revrec.activity_log
             WHERE currency IS NOT NULL GROUP BY 1) a
      FULL JOIN (SELECT currency, count(*) AS entries, sum(amount) FILTER (WHERE direction = 'debit') AS debits
                   FROM je GROUP BY 1) e USING (currency)
     WHERE a.entries IS DISTINCT FROM e.entries OR a.debits IS DISTINCT FROM e.debits $$,
    'the activity log counts every entry and every debit, per currency');

-- 17. Prepaid credits: no grant is overdrawn, every drawdown lies within its
--     grant's dates, and the group it pays bills gross minus the drawdown.
SELECT pg_temp.none($$
    SELECT g.grant_id, g.amount, sum(-l.amount) AS drawn, min(i.accounting_date), max(i.accounting_date)
      FROM revrec.credit_grant g JOIN revrec.invoice_line l ON l.grant_id = g.grant_id
      JOIN revrec.invoice i ON i.invoice_id = l.invoice_id AND i.status = 'issued'
     GROUP BY g.grant_id, g.amount
    HAVING sum(-l.amount) > g.amount OR min(i.accounting_date) < min(g.effective_date) OR max(i.accounting_date) > min(g.expires_on)
    UNION ALL
    SELECT l.grant_id, NULL, gr.billed, NULL, NULL
      FROM revrec.invoice_line l JOIN grp gr ON gr.line_id = l.group_id AND gr.invoice_id = l.invoice_id
     WHERE l.kind = 'credit_usage' AND NOT gr.credited AND gr.status = 'issued'
       AND gr.billed <> (SELECT sum(amount) FROM revrec.invoice_line x WHERE x.invoice_id = l.invoice_id
                           AND coalesce(x.group_id, x.line_id) = l.group_id) $$,
    'credit drawdowns stay within their grants and net out of the groups they pay');

-- 18. revrec.verify() finds nothing in a consistent ledger.
SELECT pg_temp.none($$ SELECT * FROM revrec.verify() $$, 'revrec.verify() finds no problem');

SELECT * FROM finish();
ROLLBACK;
