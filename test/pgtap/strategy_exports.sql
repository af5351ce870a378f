-- Exports under every allocation strategy (issue 18): an invoice line of
-- each of the 18 strategy names (9 strategies, each also "+cumulative"),
-- chosen on the line, on the product and on a billing schedule line, posts
-- and exports in every format: each exported journal balances, and the
-- Sequence CSV's recognized revenue per month is the strategy's
-- revrec.monthly_schedule for that line, to the cent.
-- Runs outside a transaction: documents post when their transaction commits.
\set QUIET 1
SET client_min_messages = warning;
SELECT plan(9);

INSERT INTO revrec.customer VALUES ('C1', 'Customer one');
UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt';
CREATE TEMP TABLE strat AS
SELECT row_number() OVER (ORDER BY b, c) AS n, b || c AS strategy
  FROM unnest(ARRAY['daily_rate_even_months', 'month_fraction_even_months', 'thirty_day_even_months', 'daily',
                    'odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months']) b,
       unnest(ARRAY['', '+cumulative']) c;
-- one product per strategy (its lines leave the strategy to the product) and one plain product
INSERT INTO revrec.product (product_id, name, recognition_method, allocation_strategy)
SELECT 'P' || n, 'Product ' || strategy, 'straight_line', strategy FROM strat
UNION ALL SELECT 'SUB', 'Subscription', 'straight_line', NULL;
INSERT INTO revrec.gl_account_map (target, account_code, product_id, external_account)
SELECT t, a, NULL, left(t || ':' || a, 10) FROM unnest(ARRAY['xero', 'quickbooks', 'netsuite']) t,
       unnest(ARRAY['billed', 'deferred', 'recognized', 'unbilled']) a;

-- the documents: per strategy, a line choosing it (L), a line of its product (P),
-- and a billing schedule line choosing it, billed later by an invoice (B)
CREATE TEMP TABLE doc AS
SELECT 'L' || n AS invoice_id, strategy, 'SUB' AS product_id, 1000.00 + n AS amount,
       date '2025-01-15' + n::int AS s, date '2025-11-20' + n::int AS e FROM strat
UNION ALL
SELECT 'P' || n, strategy, 'P' || n, 777.77 + n, date '2025-02-28', date '2026-02-27' + n::int FROM strat
UNION ALL
SELECT 'B' || n, strategy, 'SUB', 365.00 + n, date '2025-03-31' - n::int, date '2025-09-30' FROM strat;
BEGIN;
INSERT INTO revrec.invoice SELECT invoice_id, 'N-' || invoice_id, 'C1', 'USD', s FROM doc WHERE invoice_id !~ '^B';
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, allocation_strategy)
SELECT invoice_id || '-1', invoice_id, product_id, amount, s, e, CASE WHEN invoice_id ~ '^L' THEN strategy END
  FROM doc WHERE invoice_id !~ '^B';
INSERT INTO revrec.billing_schedule_line (schedule_line_id, customer_id, product_id, currency, amount,
                                          service_start, service_end, allocation_strategy)
SELECT invoice_id, 'C1', product_id, 'USD', amount, s, e, strategy FROM doc WHERE invoice_id ~ '^B';
COMMIT;
BEGIN;   -- the schedules are billed, for the scheduled amounts, after their service ends
INSERT INTO revrec.invoice SELECT 'I' || invoice_id, 'N-I' || invoice_id, 'C1', 'USD', date '2025-10-15' FROM doc WHERE invoice_id ~ '^B';
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, schedule_line_id)
SELECT 'I' || invoice_id || '-1', 'I' || invoice_id, product_id, amount, s, e, invoice_id FROM doc WHERE invoice_id ~ '^B';
COMMIT;

SELECT is((SELECT count(*) FROM doc), 54::bigint, '18 strategy names x (line, product, billing schedule line)');

-- 1-4. every exported journal balances, whatever the strategy
SELECT is((SELECT count(*) FROM (SELECT sum("Amount"::numeric * CASE "Direction" WHEN 'DEBIT' THEN 1 ELSE -1 END) s
                                   FROM revrec.export_sequence('2025-01-01', '2026-12-31', granularity => 'month')
                                 GROUP BY "Journal Number") x WHERE s <> 0), 0::bigint,
          'sequence: every Journal Number balances');
SELECT is((SELECT count(*) FROM (SELECT sum("*Amount"::numeric) s FROM revrec.export_xero('2025-01-01', '2026-12-31')
                                 GROUP BY "*Narration", "*Date") x WHERE s <> 0), 0::bigint,
          'xero: every narration + date nets to zero');
SELECT is((SELECT count(*) FROM (SELECT sum(coalesce("Debits"::numeric, 0) - coalesce("Credits"::numeric, 0)) s
                                   FROM revrec.export_quickbooks('2025-01-01', '2026-12-31')
                                 GROUP BY "Journal No.") x WHERE s <> 0), 0::bigint,
          'quickbooks: every Journal No. balances');
SELECT is((SELECT count(*) FROM (SELECT sum(coalesce("Debit"::numeric, 0) - coalesce("Credit"::numeric, 0)) s
                                   FROM revrec.export_netsuite('2025-01-01', '2026-12-31')
                                 GROUP BY "External ID") x WHERE s <> 0), 0::bigint,
          'netsuite: every External ID balances');

-- 5-7. the Sequence export recognizes each line's strategy month by month
CREATE TEMP TABLE exported AS
SELECT "Invoice ID" AS invoice_id, date_trunc('month', "Date"::date)::date AS month, sum("Amount"::numeric) AS amount
  FROM revrec.export_sequence('2025-01-01', '2026-12-31', granularity => 'month')
 WHERE "Direction" = 'CREDIT' AND "Ledger account name" = 'Recognized Revenue'
 GROUP BY 1, 2;
CREATE TEMP TABLE expected_m AS
SELECT CASE WHEN d.invoice_id ~ '^B' THEN 'I' || d.invoice_id ELSE d.invoice_id END AS invoice_id,
       left(d.invoice_id, 1) AS chosen_on, m.month, m.amount
  FROM doc d CROSS JOIN LATERAL revrec.monthly_schedule(d.amount, d.s, d.e, d.strategy, 'USD') m
 WHERE m.amount <> 0;
SELECT set_eq($$SELECT invoice_id, month, amount FROM expected_m WHERE chosen_on = 'L'$$,
              $$SELECT invoice_id, month, amount FROM exported WHERE invoice_id ~ '^L'$$,
              'a strategy chosen on the invoice line: exported recognition per month = monthly_schedule');
SELECT set_eq($$SELECT invoice_id, month, amount FROM expected_m WHERE chosen_on = 'P'$$,
              $$SELECT invoice_id, month, amount FROM exported WHERE invoice_id ~ '^P'$$,
              'a strategy chosen on the product: exported recognition per month = monthly_schedule');
-- a billing schedule line recognizes before it is billed (unbilled), so its
-- recognition is exported under the schedule line's source, not the invoice
SELECT set_eq($$SELECT 'I' || source_id, date_trunc('month', entry_date)::date, sum(amount)
                  FROM revrec.journal_entry
                 WHERE source_id ~ '^B' AND account = 'recognized' AND direction = 'credit'
                 GROUP BY 1, 2 HAVING sum(amount) <> 0$$,
              $$SELECT invoice_id, month, amount FROM expected_m WHERE chosen_on = 'B'$$,
              'a strategy chosen on a billing schedule line: recognition per month = monthly_schedule');
-- 8. and in the ledger every line ends recognized in full
SELECT is((SELECT count(*) FROM doc d
            WHERE (SELECT coalesce(sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END), 0)
                     FROM revrec.journal_entry j
                    WHERE j.account = 'recognized' AND j.source_id IN (d.invoice_id, 'I' || d.invoice_id))
                  <> d.amount), 0::bigint,
          'every line ends recognized in full in the ledger');
SELECT * FROM finish();
