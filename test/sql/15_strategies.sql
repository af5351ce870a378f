-- Strategies of the systems users migrate from (issue 18): the facts of
-- Odoo's and ERPNext's own test suites to the cent, the +cumulative day
-- spread, a strategy per product / invoice line, posting, credit notes in
-- both modes, reports and a lock with every new strategy.
DROP EXTENSION revrec CASCADE;
CREATE EXTENSION revrec;
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- ERPNext Days: 100.00 over 2019-01-10..2019-03-15 is 33.85 / 43.08 / 23.07
-- (daily gives 33.85 / 43.07 / 23.08).
SELECT * FROM revrec.monthly_schedule(100.00, '2019-01-10', '2019-03-15', 'erpnext_days');
SELECT * FROM revrec.monthly_schedule(100.00, '2019-01-10', '2019-03-15', 'daily');
-- ERPNext Months: 50,000.00 over 2019-01-16..2019-03-31 is 10,000 / 20,000 / 20,000;
-- 300.00 over 2021-05-01..2021-08-01 is 100 / 100 / 100 / 0.
SELECT * FROM revrec.monthly_schedule(50000.00, '2019-01-16', '2019-03-31', 'erpnext_months');
SELECT * FROM revrec.monthly_schedule(300.00, '2021-05-01', '2021-08-01', 'erpnext_months');
-- Odoo Months: 500.00 over 2020-08-07..2020-12-07 is 99.17 / 123.97 x 3 / 28.92;
-- 1,050.00 over 2023-01-16..2023-04-30 is 150 / 300 / 300 / 300; 4.95 over
-- 2023-01-01..2023-10-31 is 0.50 in January.
SELECT * FROM revrec.monthly_schedule(500.00, '2020-08-07', '2020-12-07', 'odoo_month');
SELECT * FROM revrec.monthly_schedule(1050.00, '2023-01-16', '2023-04-30', 'odoo_month');
SELECT * FROM revrec.monthly_schedule(4.95, '2023-01-01', '2023-10-31', 'odoo_month') WHERE month = '2023-01-01';
-- Odoo Full Months: 12,000.00 over 2024-01-16..2024-02-29 is 6,000 / 6,000; over
-- 2024-06-05..2025-06-04 1,000 a month June to May and 0 in June 2025.
SELECT * FROM revrec.monthly_schedule(12000.00, '2024-01-16', '2024-02-29', 'odoo_full_months');
SELECT * FROM revrec.monthly_schedule(12000.00, '2024-06-05', '2025-06-04', 'odoo_full_months');
-- Odoo Days: 1,225.00 over 2023-01-01..2023-04-15 is 326.67 in February.
SELECT * FROM revrec.monthly_schedule(1225.00, '2023-01-01', '2023-04-15', 'odoo_day') WHERE month = '2023-02-01';
-- the +cumulative variants recognize the same months
SELECT bool_and(a.amount = b.amount) AS same_months
  FROM revrec.monthly_schedule(500.00, '2020-08-07', '2020-12-07', 'odoo_month') WITH ORDINALITY a(month, amount, n)
  JOIN revrec.monthly_schedule(500.00, '2020-08-07', '2020-12-07', 'odoo_month+cumulative') WITH ORDINALITY b(month, amount, n)
    USING (n);

-- Odoo's days on its 30/360 count: a 31-day month's 30th weighs nothing (the
-- 31st is its day 30), February's day before last takes up to day 30.
SELECT * FROM revrec.schedule(3.00, '2025-01-28', '2025-02-28', 'odoo_month')
 WHERE day IN ('2025-01-29', '2025-01-30', '2025-01-31', '2025-02-26', '2025-02-27', '2025-02-28');

-- The day spread.  Default: trunc a day, the month's last covered day takes the
-- rest, so 0.13 over June is 0.00 for 29 days and 0.13 on the 30th.
SELECT * FROM revrec.schedule(0.13, '2025-06-01', '2025-06-30', 'daily') WHERE amount <> 0;
-- +cumulative: the days up to day k recognize round(13 k / 30) cents: a cent on
-- days 2, 4, 6, 9, 11, 13, 15, 18, 20, 22, 25, 27, 29 (6 = round(2.6), 29 = round(12.57)).
SELECT string_agg(extract(day FROM day)::text, ', ' ORDER BY day) AS days_with_a_cent, sum(amount)
  FROM revrec.schedule(0.13, '2025-06-01', '2025-06-30', 'daily+cumulative') WHERE amount <> 0;
SELECT DISTINCT amount FROM revrec.schedule(0.13, '2025-06-01', '2025-06-30', 'daily+cumulative') ORDER BY 1;

-- Unknown names are RV005; the columns and the setting refuse them.
SELECT count(*) FROM revrec.schedule(1.00, '2025-01-01', '2025-01-31', 'odoo_months');
SELECT count(*) FROM revrec.schedule(1.00, '2025-01-01', '2025-01-31', 'daily+cumulative+cumulative');
SELECT count(*) FROM revrec.schedule(1.00, '2025-01-01', '2025-01-31', '+cumulative');
\set VERBOSITY terse
UPDATE revrec.settings SET allocation_strategy = 'erpnext_month';
INSERT INTO revrec.product (product_id, name, allocation_strategy) VALUES ('BAD', 'Bad', 'odoo');
\set VERBOSITY default
SELECT count(*) AS bad_products FROM revrec.product WHERE product_id = 'BAD';

-- Posting.  The setting is the default; a product's strategy overrides it; a
-- line's overrides both.
UPDATE revrec.settings SET allocation_strategy = 'erpnext_days';
INSERT INTO revrec.customer VALUES ('C1', 'Migrated Ltd');
INSERT INTO revrec.product (product_id, name, allocation_strategy) VALUES
  ('P-OM', 'Odoo months', 'odoo_month'), ('P-OF', 'Odoo full months', 'odoo_month'),
  ('P-OD', 'Odoo days', NULL), ('P-ED', 'ERPNext days', NULL), ('P-EM', 'ERPNext months', NULL),
  ('P-CU', 'Cumulative', 'daily+cumulative');
CREATE FUNCTION pg_temp.sale(inv text, product text, strategy text, amount numeric, s date, e date)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO revrec.invoice VALUES (inv, 'N-' || inv, 'C1', 'USD', s);
  INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, allocation_strategy)
  VALUES (inv || '-1', inv, product, amount, s, e, strategy) $$;
CREATE FUNCTION pg_temp.recognized_by_month(inv text) RETURNS TABLE (month text, recognized numeric)
LANGUAGE sql AS $$
  SELECT to_char(entry_date, 'YYYY-MM'), sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END)
    FROM revrec.journal_entry WHERE invoice_id = inv AND account = 'recognized' GROUP BY 1 ORDER BY 1 $$;
CREATE FUNCTION pg_temp.balances(inv text) RETURNS TABLE (account text, balance numeric)
LANGUAGE sql AS $$
  SELECT account, sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END)
    FROM revrec.journal_entry WHERE invoice_id = inv GROUP BY 1 ORDER BY 1 $$;

SELECT pg_temp.sale('OM', 'P-OM', NULL, 500.00, '2020-08-07', '2020-12-07');                 -- product: odoo_month
SELECT pg_temp.sale('OF', 'P-OF', 'odoo_full_months', 12000.00, '2024-01-16', '2024-02-29'); -- line over product
SELECT pg_temp.sale('OD', 'P-OD', 'odoo_day', 1225.00, '2023-01-01', '2023-04-15');          -- line
SELECT pg_temp.sale('ED', 'P-ED', NULL, 100.00, '2019-01-10', '2019-03-15');                 -- setting: erpnext_days
SELECT pg_temp.sale('EM', 'P-EM', 'erpnext_months', 50000.00, '2019-01-16', '2019-03-31');   -- line
SELECT pg_temp.sale('CU', 'P-CU', NULL, 0.13, '2025-06-01', '2025-06-30');                   -- product: daily+cumulative
-- the stored posting stays compact: one row a line, the strategy as its code
SELECT source_id, sched_strategy, sched_months IS NULL AS months_computed_when_read
  FROM revrec.posting WHERE source = 'invoice' ORDER BY source_id;
SELECT * FROM pg_temp.recognized_by_month('OM');
SELECT * FROM pg_temp.recognized_by_month('OF');
SELECT * FROM pg_temp.recognized_by_month('OD');
SELECT * FROM pg_temp.recognized_by_month('ED');
SELECT * FROM pg_temp.recognized_by_month('EM');
SELECT count(*) AS days_recognizing, sum(amount) FROM revrec.journal_entry
 WHERE invoice_id = 'CU' AND account = 'recognized';
-- the daily journal matches revrec.schedule day by day
SELECT inv, bool_and(j.amount IS NOT DISTINCT FROM s.amount) AS days_match_schedule
  FROM (VALUES ('OM', 500.00, date '2020-08-07', date '2020-12-07', 'odoo_month'),
               ('OF', 12000.00, '2024-01-16', '2024-02-29', 'odoo_full_months'),
               ('CU', 0.13, '2025-06-01', '2025-06-30', 'daily+cumulative')) v(inv, a, s, e, strat)
  CROSS JOIN LATERAL revrec.schedule(v.a, v.s, v.e, v.strat) s
  LEFT JOIN revrec.journal_entry j ON j.invoice_id = v.inv AND j.account = 'recognized' AND j.entry_date = s.day
 WHERE s.amount <> 0 OR j.amount IS NOT NULL
 GROUP BY inv ORDER BY inv;
-- changing the setting or a product later rewrites nothing
UPDATE revrec.settings SET allocation_strategy = 'daily';
UPDATE revrec.product SET allocation_strategy = 'daily' WHERE product_id = 'P-OM';
SELECT * FROM pg_temp.recognized_by_month('ED');
SELECT * FROM pg_temp.recognized_by_month('OM');

-- Reports as of 2020-09-30 for the Odoo months line: 223.14 recognized
-- (99.17 + 123.97), 276.86 deferred; the waterfall's future months are
-- October to December of the schedule.
SELECT product_id, invoiced, recognized, balance, remaining
  FROM revrec.deferred_revenue('2020-09-30', product_id => 'P-OM');
SELECT month, amount FROM revrec.waterfall('2020-09-30', product_id => 'P-OM') ORDER BY month;
SELECT sum(remaining) = (SELECT -sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END)
                           FROM revrec.journal_entry WHERE account = 'deferred' AND entry_date <= '2020-09-30')
       AS remaining_equals_deferred_account
  FROM revrec.deferred_revenue('2020-09-30');

-- Credit notes with every new strategy: 1,200.00 over 2025-01-16..2025-06-15,
-- 300.00 credited on 2025-03-01.  Cancel: deferred 300.00 debited on Mar 1,
-- the rest of the schedule reduced; adjust: re-priced to 900.00 by the same
-- strategy, a catch-up on Mar 1, from April the new schedule's months.
CREATE FUNCTION pg_temp.credit(cn text, inv text, amount numeric, d date) RETURNS void LANGUAGE sql AS $$
  INSERT INTO revrec.credit_note VALUES (cn, 'N-' || cn, 'C1', inv, 'USD', d);
  INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount)
  VALUES (cn || '-1', cn, inv || '-1', amount) $$;
SELECT pg_temp.sale('K-' || s, 'P-ED', s, 1200.00, '2025-01-16', '2025-06-15'),
       pg_temp.credit('CK-' || s, 'K-' || s, 300.00, '2025-03-01')
  FROM unnest(ARRAY['odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months',
                    'odoo_month+cumulative']) s;
UPDATE revrec.settings SET credit_note_mode = 'adjust';
SELECT pg_temp.sale('J-' || s, 'P-ED', s, 1200.00, '2025-01-16', '2025-06-15'),
       pg_temp.credit('CJ-' || s, 'J-' || s, 300.00, '2025-03-01')
  FROM unnest(ARRAY['odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months',
                    'odoo_month+cumulative']) s;
UPDATE revrec.settings SET credit_note_mode = 'cancel';
-- every group ends billed 900.00, recognized 900.00, deferred 0
SELECT invoice_id,
       sum(amount) FILTER (WHERE account = 'billed' AND direction = 'debit')
       - coalesce(sum(amount) FILTER (WHERE account = 'billed' AND direction = 'credit'), 0) AS billed,
       sum(amount) FILTER (WHERE account = 'recognized' AND direction = 'credit')
       - coalesce(sum(amount) FILTER (WHERE account = 'recognized' AND direction = 'debit'), 0) AS recognized,
       sum(CASE WHEN account = 'deferred' THEN CASE direction WHEN 'debit' THEN amount ELSE -amount END END) AS deferred
  FROM revrec.journal_entry WHERE invoice_id ~ '^[KJ]-' GROUP BY 1 ORDER BY 1;
-- the credit note's own entries on Mar 1 (cancel: deferred 300.00; adjust: the catch-up)
SELECT invoice_id, account, direction, sum(amount)
  FROM revrec.journal_entry WHERE source = 'credit_note' AND entry_date = '2025-03-01' AND invoice_id IN ('K-odoo_month', 'J-odoo_month')
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
-- cancel: the months before the credit are the original schedule's
SELECT i.s, bool_and(r.recognized = m.amount) AS jan_feb_as_scheduled
  FROM unnest(ARRAY['odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months']) i(s)
  CROSS JOIN LATERAL revrec.monthly_schedule(1200.00, '2025-01-16', '2025-06-15', i.s) m
  JOIN pg_temp.recognized_by_month('K-' || i.s) r ON r.month = to_char(m.month, 'YYYY-MM')
 WHERE m.month < '2025-03-01' GROUP BY 1 ORDER BY 1;
-- adjust: from April each month is the 900.00 schedule's month by the same strategy
SELECT i.s, bool_and(r.recognized = m.amount) AS new_price_from_april
  FROM unnest(ARRAY['odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months',
                    'odoo_month+cumulative']) i(s)
  CROSS JOIN LATERAL revrec.monthly_schedule(900.00, '2025-01-16', '2025-06-15', i.s) m
  JOIN pg_temp.recognized_by_month('J-' || i.s) r ON r.month = to_char(m.month, 'YYYY-MM')
 WHERE m.month >= '2025-04-01' GROUP BY 1 ORDER BY 1;
SELECT * FROM pg_temp.recognized_by_month('J-erpnext_months');
SELECT * FROM revrec.monthly_schedule(900.00, '2025-01-16', '2025-06-15', 'erpnext_months');

-- A lock: a line posted into a locked period catches up on the first open day.
UPDATE revrec.settings SET lock_date = '2023-02-28';
SELECT pg_temp.sale('LK', 'P-OD', 'odoo_day', 1225.00, '2023-01-01', '2023-04-15');
SELECT entry_date, sum(amount) FROM revrec.journal_entry
 WHERE invoice_id = 'LK' AND account = 'recognized' AND entry_date <= '2023-03-01' GROUP BY 1 ORDER BY 1;
SELECT * FROM pg_temp.recognized_by_month('LK');
SELECT count(*) AS unverified FROM revrec.verify();
