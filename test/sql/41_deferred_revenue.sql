-- Reports, 2: revrec.deferred_revenue, on the company 40_journal_report builds.
SET client_min_messages = warning;
SET datestyle = 'ISO, YMD';
SET TimeZone = 'UTC';
\set SHOW_CONTEXT never
\pset null '(null)'

-------------------------------------------------------------------------------
-- 2. revrec.deferred_revenue
-------------------------------------------------------------------------------
-- As of 2053-06-30, USD.  The report is the ledger as it stands on that day: the
-- credit note (Oct 1) and the Build milestone (Aug 29) are dated after it, so
-- they are not part of it.  Age = days since the group first posted (0-30,
-- 31-90, 91-180, 181-365, over 365).  Schedules already fully recognized are
-- listed too (one row per schedule, README "Reports"), with balance and remaining 0.
--   INV2-2 SETUP: 250 invoiced, 250 recognized (Jan 15): balance 0, remaining 0;
--        2053-01-01 -> 180 days: 91-180.
--   INV1-1: 1,080.00 invoiced, 12 x 90 = 1,080.00 recognized (ends today): 0 / 0;
--        2052-07-01 -> 364 days: 181-365.
--   INV2-1: 12,000.00 invoiced, Jan-Jun 6 x 1,000 = 6,000.00 recognized; balance and
--        remaining 6,000.00, all recognized Jul-Dec: current 6,000.00, non-current 0;
--        180 days: 91-180.
--   INV5-1: 100 / 100 / 0 / 0; 2053-03-01 -> 121 days: 91-180.
--   INV7-1: 3,600.00 invoiced; recognized Feb 46.03 + Mar-Jun 4 x 100.22 = 446.91;
--        balance = remaining = 3600 - 446.91 = 3,153.09; current = Jul 2053..Jun 2054
--        = 12 x 100.22 = 1,202.64; non-current 3153.09 - 1202.64 = 1,950.45 (check:
--        Jul 2054..Dec 2055 18 x 100.22 = 1,803.96 + Jan 2056 100.46 + Feb 2056 46.03
--        = 1,950.45); 2053-02-15 -> 135 days: 91-180.
SELECT customer_id, product_id, source, source_id, line_id, method, service_start, service_end, invoiced,
       recognized, balance, remaining, current_portion, noncurrent_portion, age_bucket
  FROM revrec.deferred_revenue(as_of => '2053-06-30', currency => 'USD')
 WHERE source <> 'standalone' AND line_id <> 'INV6-1'
 ORDER BY customer_id, product_id, source_id, line_id;
-- INV6-1 (milestones): 1,000.00 invoiced, Design 400.00 recognized: balance and
-- remaining 600.00; 2053-04-01 -> 90 days: 31-90 (the bucket's upper bound).
SELECT line_id, invoiced, recognized, balance, remaining, age_bucket
  FROM revrec.deferred_revenue(as_of => '2053-06-30', currency => 'USD', customer_id => 'C3', product_id => 'PS');
-- Its 600.00 has no date (Build is not completed): it is expected by the end of
-- the line's service period, 2053-09-30, which is within 12 months of as_of
-- (by 2054-06-30): current 600.00, non-current 0.00.
SELECT line_id, service_end, remaining, current_portion, noncurrent_portion
  FROM revrec.deferred_revenue(as_of => '2053-06-30', currency => 'USD', customer_id => 'C3', product_id => 'PS');
-- The manual journal is a group of its own: nothing invoiced, 100.00 taken out of
-- recognized (so the report's recognized total is the recognized account's), no
-- deferred balance; posted 2053-06-30: 0 days.
SELECT customer_id, product_id, source, line_id, method, invoiced, recognized, balance, remaining,
       current_portion, noncurrent_portion, age_bucket
  FROM revrec.deferred_revenue(as_of => '2053-06-30', currency => 'USD') WHERE source = 'standalone';
-- README "Reports": the remaining total equals the deferred account's balance from the
-- entries up to as_of: 6,000.00 + 600.00 + 3,153.09 = 9,753.09.  By hand from
-- the entries: credited to deferred 1080 + 12000 + 250 + 100 + 1000 + 3600 =
-- 18,030.00, debited 1080 + 6000 + 250 + 100 + 400 + 446.91 = 8,276.91, balance
-- 9,753.09.
SELECT (SELECT sum(remaining) FROM revrec.deferred_revenue(as_of => '2053-06-30', currency => 'USD')) AS remaining,
       (SELECT sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END) FROM revrec.journal_entry
         WHERE account = 'deferred' AND currency = 'USD' AND entry_date <= '2053-06-30') AS deferred_account;

-- As of 2053-10-15, after the credit note and the Build milestone:
--   INV2-1: invoiced 12000 - 3000 = 9,000.00; recognized Jan-Sep 9,000.00 + Oct 1-15
--        15 x 32.25 = 483.75 less the credit note's 15 x 32.25 = 483.75: 9,000.00;
--        balance 0, remaining 12000 - 9000 - 483.75 - 3000 + 483.75 = 0; 287 days.
--   INV6-1: 1000 / 1000 / 0 / 0; 197 days: 181-365.
--   INV7-1: recognized 46.03 + Mar-Sep 7 x 100.22 (701.54) + Oct 1-15 15 x 3.23
--        (48.45) = 796.02; remaining 2,803.98; current = Oct 16-31 (100.22 - 48.45 =
--        51.77) + Nov 2053..Sep 2054 (11 x 100.22 = 1,102.42) + Oct 1-15 2054 (48.45)
--        = 1,202.64; non-current 2803.98 - 1202.64 = 1,601.34; 242 days: 181-365.
--   INV1-1: 2052-07-01 -> 471 days: over 365.
SELECT customer_id, product_id, source, source_id, line_id, invoiced, recognized, balance, remaining,
       current_portion, noncurrent_portion, age_bucket
  FROM revrec.deferred_revenue(as_of => '2053-10-15', currency => 'USD')
 WHERE source <> 'standalone'
 ORDER BY customer_id, product_id, source_id, line_id;

-- Aging buckets at their bounds, on INV7-1 (first posted 2053-02-15):
--   02-15 0 days, 03-17 30: 0-30; 03-18 31, 05-16 90: 31-90; 05-17 91, 08-14 180:
--   91-180; 08-15 181, 2054-02-15 365: 181-365; 2054-02-16 366: over 365.
SELECT d AS as_of, d - date '2053-02-15' AS days, r.age_bucket
  FROM unnest('{2053-02-15,2053-03-17,2053-03-18,2053-05-16,2053-05-17,2053-08-14,2053-08-15,2054-02-15,2054-02-16}'::date[]) d,
       LATERAL revrec.deferred_revenue(as_of => d, currency => 'USD', customer_id => 'C3', product_id => 'SUB') r
 ORDER BY d;

-- Current / non-current on INV7-1 (current = recognized in (as_of, as_of + 12 months]):
--   2053-02-14: not posted yet, no row.
--   2053-02-15: recognized 3.28 (day 1 of Feb); remaining 3,596.72; current
--     Feb 16-28 (46.03 - 3.28 = 42.75) + Mar 2053..Jan 2054 (11 x 100.22 = 1,102.42)
--     + Feb 1-15 2054 (15 x 3.57 = 53.55) = 1,198.72; non-current 2,398.00 (check:
--     Feb 16-28 2054 100.22 - 53.55 = 46.67 + 22 x 100.22 = 2,204.84 + 100.46 + 46.03).
--   2053-03-15: recognized 46.03 + 15 x 3.23 = 94.48; remaining 3,505.52; current
--     Mar 16-31 (100.22 - 48.45 = 51.77) + Apr 2053..Feb 2054 (11 x 100.22 =
--     1,102.42) + Mar 1-15 2054 (48.45) = 1,202.64; non-current 2,302.88.
--   2055-02-13: recognized 46.03 + Mar 2053..Jan 2055 (23 x 100.22 = 2,305.06) +
--     Feb 1-13 2055 (13 x 3.57 = 46.41) = 2,397.50; remaining 1,202.50; the last
--     day, 2056-02-14 (3.39), is one day beyond 12 months: non-current 3.39,
--     current 1,199.11.
--   2055-02-14: recognized + 3.57 = 2,401.07; remaining 1,198.93, all current
--     (the end of the schedule is exactly 12 months away).
SELECT d AS as_of, r.recognized, r.balance, r.remaining, r.current_portion, r.noncurrent_portion
  FROM unnest('{2053-02-14,2053-02-15,2053-03-15,2055-02-13,2055-02-14}'::date[]) d
  LEFT JOIN LATERAL revrec.deferred_revenue(as_of => d, currency => 'USD', customer_id => 'C3', product_id => 'SUB') r ON true
 ORDER BY d;

-- Usage and point in time, before their recognition (product and customer filters):
--   INV5-1 as of 2053-03-07: 10 + 15 = 25.00 recognized; 75.00 left, all current; 6 days.
--   INV2-2 as of 2053-01-10: nothing recognized before Jan 15: 250.00 deferred, current; 9 days.
SELECT line_id, method, invoiced, recognized, balance, remaining, current_portion, noncurrent_portion, age_bucket
  FROM revrec.deferred_revenue(as_of => '2053-03-07', currency => 'USD', customer_id => 'C3', product_id => 'API');
SELECT line_id, method, invoiced, recognized, balance, remaining, current_portion, noncurrent_portion, age_bucket
  FROM revrec.deferred_revenue(as_of => '2053-01-10', currency => 'USD', product_id => 'SETUP');

-- In arrears, EUR, as of 2053-01-20: INV3 billed nothing yet (invoice on Feb 1),
-- recognized 20 x 10.00 = 200.00 into unbilled: invoiced 0, balance 0 - 200 =
-- -200.00, remaining (deferred account) 0; first posted 2053-01-01: 19 days.
SELECT customer_id, product_id, source_id, line_id, method, invoiced, recognized, balance, remaining,
       current_portion, noncurrent_portion, age_bucket
  FROM revrec.deferred_revenue(as_of => '2053-01-20', currency => 'EUR');

