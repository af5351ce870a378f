-- Reports, 3: revrec.waterfall and revrec.waterfall_csv, on the company 40_journal_report builds.
SET client_min_messages = warning;
SET datestyle = 'ISO, YMD';
SET TimeZone = 'UTC';
\set SHOW_CONTEXT never
\pset null '(null)'

-------------------------------------------------------------------------------
-- 3. revrec.waterfall and revrec.waterfall_csv
-------------------------------------------------------------------------------
-- As of 2053-06-30, USD, Acme: postings dated after as_of (the credit note of
-- Oct 1) are not part of the picture as of Jun 30.
--   SETUP: booked 250, recognized 250, remaining 0: one row, no month.
--   SUB: INV1 1,080.00 + INV2 12,000.00 = 13,080.00 booked; recognized 1,080.00 +
--        6 x 1,000 = 7,080.00; remaining 6,000.00 = Jul..Dec 1,000.00 each.
--   no product (the manual journal): booked = recognized = -100.00.
SELECT customer_id, product_id, booked, recognized, remaining, month, amount
  FROM revrec.waterfall(as_of => '2053-06-30', currency => 'USD', customer_id => 'C1')
 ORDER BY customer_id, product_id, month;
-- C3's milestones as of 2053-06-30 (the Build milestone, completed on
-- 2053-08-29, is after it): booked 1,000.00, recognized 400.00 (Design),
-- remaining 600.00 still deferred with no date: one row with month NULL and
-- amount 600.00 (the months and that row sum to remaining).
SELECT customer_id, product_id, booked, recognized, remaining, month, amount
  FROM revrec.waterfall(as_of => '2053-06-30', currency => 'USD', customer_id => 'C3', product_id => 'PS')
 ORDER BY customer_id, product_id, month;
-- So the USD waterfall's remaining total is the deferred account's balance at
-- as_of (deferred_revenue above): C1 SUB 6,000.00 + C3 PS 600.00 + C3 SUB
-- 3,153.09 = 9,753.09; the month rows and the undated rows sum to it too.
SELECT (SELECT sum(remaining) FROM (SELECT DISTINCT customer_id, product_id, remaining
                                      FROM revrec.waterfall(as_of => '2053-06-30', currency => 'USD')) w) AS waterfall_remaining,
       (SELECT sum(amount) FROM revrec.waterfall(as_of => '2053-06-30', currency => 'USD')) AS waterfall_amounts,
       (SELECT sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END) FROM revrec.journal_entry
         WHERE account = 'deferred' AND currency = 'USD' AND entry_date <= '2053-06-30') AS deferred_account;
-- As of 2053-10-15 (credit note posted): SUB booked 1,080.00 + 9,000.00 =
-- 10,080.00, all recognized, no future month.
SELECT customer_id, product_id, booked, recognized, remaining, month, amount
  FROM revrec.waterfall(as_of => '2053-10-15', currency => 'USD', customer_id => 'C1')
 ORDER BY customer_id, product_id, month;


-- Pivoted, C3 as of 2053-03-15, four month columns from the as-of month (which
-- holds only the days after as_of) and Later:
--   API (INV5): booked 100, recognized 10 + 15 + 20 = 45.00, remaining 55.00, all on Mar 31.
--   SUB (INV7): recognized 94.48, remaining 3,505.52: Mar 16-31 51.77, Apr, May, Jun
--     100.22, Later 3505.52 - 51.77 - 3 x 100.22 = 3,153.09.
--   (INV6 starts Apr 1: not yet there.)
--   C3 total: booked 3,700.00, recognized 139.48, remaining 3,560.52; Mar 55 +
--     51.77 = 106.77, then 100.22 x 3, Later 3,153.09.
SELECT line FROM revrec.waterfall_csv('2053-03-15', currency => 'USD', customer_id => 'C3', months => 4);
-- USD as of 2053-10-15, three months: each customer's total row, then its products.
--   C1: SETUP 250 / 250 / 0; SUB 10,080.00 / 10,080.00 / 0; the manual journal
--     -100.00 / -100.00 / 0; total 250 + 10080 - 100 = 10,230.00 / 10,230.00 / 0.
--   C3: API 100 / 100 / 0; PS 1000 / 1000 / 0; SUB 3,600.00 / 796.02 / 2,803.98 with
--     Oct 16-31 51.77, Nov and Dec 100.22, Later 2803.98 - 252.21 = 2,551.77;
--     total 4,700.00 / 1,896.02 / 2,803.98, the same months.
SELECT line FROM revrec.waterfall_csv('2053-10-15', currency => 'USD', months => 3);
-- USD as of 2053-06-30, six months (Jun holds nothing: no day after Jun 30):
--   C1: SETUP 250 / 250 / 0; SUB 13,080.00 / 7,080.00 / 6,000.00, Jul-Nov
--     1,000.00 each, Later (Dec) 1,000.00; the manual journal (no product)
--     -100.00 / -100.00 / 0 with no month; total 13,230.00 / 7,230.00 /
--     6,000.00, the same months.
--   C3: API 100 / 100 / 0; PS 1,000.00 / 400.00 / 600.00, all Unscheduled (the
--     Build milestone); SUB 3,600.00 / 446.91 (46.03 + 4 x 100.22) / 3,153.09,
--     Jul-Nov 100.22, Later 3153.09 - 5 x 100.22 = 2,651.99; total 4,700.00 /
--     946.91 / 3,753.09 (501.10 + 2,651.99 + 600.00).
SELECT line FROM revrec.waterfall_csv('2053-06-30', currency => 'USD', months => 6);

