-- Reports, 5: the convenience views over current_date.
SET client_min_messages = warning;
SET datestyle = 'ISO, YMD';
SET TimeZone = 'UTC';
\set SHOW_CONTEXT never
\pset null '(null)'

-------------------------------------------------------------------------------
-- 5. The convenience views read current_date: a fresh ledger with documents
--    dated last month and this month, in USD and GBP.
-------------------------------------------------------------------------------
DROP EXTENSION revrec CASCADE;
CREATE EXTENSION revrec;
INSERT INTO revrec.customer VALUES ('C1', 'Acme Ltd'), ('C2', 'Globex GmbH');
INSERT INTO revrec.product (product_id, name, recognition_method) VALUES
  ('SUB', 'Subscription', 'straight_line'), ('SETUP', 'Setup fee', 'point_in_time');
-- V1: USD 500.00 setup fee billed on the 1st of this month, recognized today.
-- V2: GBP 1,200.00 over twelve full months from the 1st of this month: 100.00 a month.
-- V3: USD 250.00 setup fee billed on the 1st of last month, recognized on its last day.
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('V1', 'V1', 'C1', 'USD', date_trunc('month', current_date)),
       ('V2', 'V2', 'C2', 'GBP', date_trunc('month', current_date)),
       ('V3', 'V3', 'C1', 'USD', date_trunc('month', current_date) - interval '1 month');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on, service_start, service_end) VALUES
  ('V1-1', 'V1', 'SETUP', 500.00, current_date, NULL, NULL),
  ('V2-1', 'V2', 'SUB', 1200.00, NULL, date_trunc('month', current_date),
   date_trunc('month', current_date) + interval '12 months - 1 day'),
  ('V3-1', 'V3', 'SETUP', 250.00, date_trunc('month', current_date) - interval '1 day', NULL, NULL);
COMMIT;
-- Column shapes: the reports' columns, plus currency where a view holds every currency.
SELECT table_name, string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) AS columns
  FROM information_schema.columns
 WHERE table_schema = 'revrec' AND table_name IN ('journal_report_this_month', 'journal_report_last_month',
                                                  'deferred_revenue_now', 'waterfall_now', 'account_balance')
 GROUP BY table_name ORDER BY table_name;
-- This month: V1 billed -> deferred 500.00 and deferred -> recognized 500.00;
-- V2 billed -> deferred 1,200.00 and 100.00 recognized; every row dated the
-- month's last day.
SELECT currency, journal_number = format('INV-%s/%s/%s', invoice_id, product_id, to_char(current_date, 'YYYY-MM')) AS numbered,
       entry_date = (date_trunc('month', current_date) + interval '1 month - 1 day')::date AS month_end,
       account, direction, amount
  FROM revrec.journal_report_this_month ORDER BY currency DESC, account, direction;
-- ... the same rows as the function for this month, one currency at a time.
WITH m AS (SELECT date_trunc('month', current_date)::date AS f,
                  (date_trunc('month', current_date) + interval '1 month - 1 day')::date AS l),
     fn AS (SELECT r.* FROM m, unnest('{USD,GBP}'::text[]) c,
                   LATERAL revrec.journal_report(from_date => m.f, to_date => m.l, currency => c) r)
SELECT (SELECT count(*) FROM revrec.journal_report_this_month) AS view_rows,
       (SELECT count(*) FROM fn) AS function_rows,
       (SELECT count(*) FROM (SELECT * FROM revrec.journal_report_this_month EXCEPT ALL SELECT * FROM fn) x) AS only_in_view,
       (SELECT count(*) FROM (SELECT * FROM fn EXCEPT ALL SELECT * FROM revrec.journal_report_this_month) x) AS only_in_function;
-- Last month: V3's 250.00, billed on the 1st, recognized on the last day.
SELECT currency, entry_date = (date_trunc('month', current_date) - interval '1 day')::date AS month_end,
       account, direction, amount
  FROM revrec.journal_report_last_month ORDER BY account, direction;
WITH m AS (SELECT (date_trunc('month', current_date) - interval '1 month')::date AS f,
                  (date_trunc('month', current_date) - interval '1 day')::date AS l),
     fn AS (SELECT r.* FROM m, LATERAL revrec.journal_report(from_date => m.f, to_date => m.l) r)
SELECT (SELECT count(*) FROM revrec.journal_report_last_month) AS view_rows,
       (SELECT count(*) FROM fn) AS function_rows,
       (SELECT count(*) FROM (SELECT * FROM revrec.journal_report_last_month EXCEPT ALL SELECT * FROM fn) x) AS only_in_view,
       (SELECT count(*) FROM (SELECT * FROM fn EXCEPT ALL SELECT * FROM revrec.journal_report_last_month) x) AS only_in_function;
-- Deferred revenue today: V1 and V3 fully recognized (500 and 250); V2 1,200.00
-- invoiced, what is not recognized yet is all current (the schedule ends within
-- 12 months), first posted this month: 0-30.
SELECT currency, line_id, invoiced, recognized + balance AS invoiced_again, remaining = balance AS all_deferred,
       current_portion = remaining AS all_current, noncurrent_portion,
       CASE WHEN line_id <> 'V3-1' THEN age_bucket END AS age_bucket
  FROM revrec.deferred_revenue_now ORDER BY line_id;
WITH fn AS (SELECT r.* FROM unnest('{USD,GBP}'::text[]) c, LATERAL revrec.deferred_revenue(as_of => current_date, currency => c) r)
SELECT (SELECT count(*) FROM revrec.deferred_revenue_now) AS view_rows, (SELECT count(*) FROM fn) AS function_rows,
       (SELECT count(*) FROM (SELECT * FROM revrec.deferred_revenue_now EXCEPT ALL SELECT * FROM fn) x) AS only_in_view,
       (SELECT count(*) FROM (SELECT * FROM fn EXCEPT ALL SELECT * FROM revrec.deferred_revenue_now) x) AS only_in_function;
-- The waterfall today: V2 booked 1,200.00, its future months sum to remaining;
-- V1 and V3: 750.00 booked and recognized.  (How many month rows V2 has depends
-- on the day: the current month holds the days after today, none on its last day.)
SELECT currency, customer_id, product_id, min(booked) AS booked, min(recognized) + min(remaining) AS booked_again,
       coalesce(sum(amount), 0) = min(remaining) AS months_sum_to_remaining
  FROM revrec.waterfall_now GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
WITH fn AS (SELECT r.* FROM unnest('{USD,GBP}'::text[]) c, LATERAL revrec.waterfall(as_of => current_date, currency => c) r)
SELECT (SELECT count(*) FROM revrec.waterfall_now) = (SELECT count(*) FROM fn) AS same_count,
       (SELECT count(*) FROM (SELECT * FROM revrec.waterfall_now EXCEPT ALL SELECT * FROM fn) x) AS only_in_view,
       (SELECT count(*) FROM (SELECT * FROM fn EXCEPT ALL SELECT * FROM revrec.waterfall_now) x) AS only_in_function;
-- The trial balance today, USD: billed 750.00 (debit), deferred 0.00, recognized
-- 750.00 (credit); every currency agrees with the journal entries up to today.
SELECT currency, account, normal_balance, balance FROM revrec.account_balance WHERE currency = 'USD' ORDER BY account;
SELECT count(*) AS differ FROM (
  SELECT currency, account, balance FROM revrec.account_balance
  EXCEPT
  SELECT e.currency, e.account, sum(CASE WHEN e.direction = a.normal_balance THEN e.amount ELSE -e.amount END)
    FROM revrec.journal_entry e JOIN revrec.ledger_account a ON a.code = e.account
   WHERE e.entry_date <= current_date GROUP BY 1, 2) x;
