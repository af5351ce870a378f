-- Month-end close of October 2026 for the sample company (USD books).
\set ON_ERROR_STOP 1
\pset footer off
\set close_from '''2026-10-01'''
\set close_to   '''2026-10-31'''
SET client_min_messages = warning;

\echo
\echo '=== 1. October journal report: totals by account and source (USD) ==='
SELECT coalesce(source, 'total') AS source, account, count(*) AS journals_x_accounts,
       sum(amount) FILTER (WHERE direction = 'debit') AS debits,
       sum(amount) FILTER (WHERE direction = 'credit') AS credits
  FROM revrec.journal_report(from_date => :close_from, to_date => :close_to, currency => 'USD')
 GROUP BY ROLLUP (source, account)
HAVING GROUPING(account) = 0 OR GROUPING(source) = 1
 ORDER BY source = 'total' OR source IS NULL, source, account;

\echo '=== 2. Trial balance of the subledger at 31 October (USD) ==='
SELECT account, sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) AS debit_balance
  FROM revrec.journal_report(from_date => '2000-01-01', to_date => :close_to, currency => 'USD')
 GROUP BY account ORDER BY account;

\echo '=== 3. Deferred revenue at 31 October: current / non-current (USD) ==='
SELECT count(*) FILTER (WHERE remaining <> 0) AS open_schedules, count(*) AS all_schedules, sum(invoiced) AS invoiced, sum(recognized) AS recognized,
       sum(remaining) AS deferred, sum(current_portion) AS current, sum(noncurrent_portion) AS noncurrent
  FROM revrec.deferred_revenue(as_of => :close_to, currency => 'USD');
SELECT age_bucket, count(*) AS open_schedules, sum(remaining) AS deferred
  FROM revrec.deferred_revenue(as_of => :close_to, currency => 'USD')
 WHERE remaining <> 0
 GROUP BY age_bucket ORDER BY min(deferred_since) DESC;

\echo '=== 4. Top 10 deferred balances (USD) ==='
SELECT d.customer_id, c.name AS customer, sum(d.remaining) AS deferred, sum(d.current_portion) AS next_12_months
  FROM revrec.deferred_revenue(as_of => :close_to, currency => 'USD') d
  JOIN revrec.customer c USING (customer_id)
 GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 10;

\echo '=== 5. Waterfall: revenue to recognize in the next 12 months (USD) ==='
SELECT to_char(month, 'YYYY-MM') AS month, sum(amount) AS to_recognize
  FROM revrec.waterfall(as_of => :close_to, currency => 'USD')
 WHERE month IS NOT NULL AND month < date '2026-11-01' + interval '12 months'
 GROUP BY month ORDER BY month;
\echo 'Deferred with no date yet (milestones not completed): recognized only when they are completed,'
\echo 'so it stays in the deferred balance (the flat end of the chart''s deferred line) until then.'
SELECT sum(amount) AS undated_milestones, count(DISTINCT (customer_id, product_id)) AS customer_products
  FROM revrec.waterfall(as_of => :close_to, currency => 'USD')
 WHERE month IS NULL AND amount IS NOT NULL;

\echo '=== 6. Reconciliation ==='
SELECT (SELECT sum(remaining) FROM revrec.deferred_revenue(as_of => :close_to, currency => 'USD')) AS deferred_report,
       (SELECT -sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END)
          FROM revrec.journal_report(from_date => '2000-01-01', to_date => :close_to, currency => 'USD')
         WHERE account = 'deferred') AS deferred_ledger,
       (SELECT count(*) FROM (SELECT journal_number FROM revrec.journal_report(from_date => :close_to::date - 30, to_date => :close_to, currency => 'USD', granularity => 'day')
                               GROUP BY 1 HAVING sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) <> 0) j) AS unbalanced_journals;

\echo '=== 7. Activity log: recognition runs by action ==='
SELECT action, count(*) AS runs, sum(entries) AS entries FROM revrec.activity_log GROUP BY 1 ORDER BY 1;

-- close the month
\set QUIET 1
UPDATE revrec.settings SET lock_date = :close_to;
\set QUIET 0
\echo 'October 2026 is closed: revrec.settings.lock_date = 2026-10-31.'
