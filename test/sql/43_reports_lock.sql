-- Reports, 4: the reports across a lock date, on the company 40_journal_report builds.
SET client_min_messages = warning;
SET datestyle = 'ISO, YMD';
SET TimeZone = 'UTC';
\set SHOW_CONTEXT never
\pset null '(null)'

-------------------------------------------------------------------------------
-- 4. A lock date: December 2053 closed, then INV8 arrives:
--    €1,210.00 over 2053-12-01..2054-03-31 (4 full months: 302.50 each).
--    Everything dated in December moves to 2054-01-01 as catch-up entries.
-------------------------------------------------------------------------------
UPDATE revrec.settings SET lock_date = '2053-12-31';
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV8', '2003', 'C2', 'EUR', '2053-12-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV8-1', 'INV8', 'SUB', 1210.00, '2053-12-01', '2054-03-31');
COMMIT;
-- Nothing in December; on Jan 1 the catch-up (billed 1,210.00 -> deferred, and
-- December's 302.50 deferred -> recognized) and Jan 1's own 9.75.
SELECT count(*) AS december_rows FROM revrec.journal_report(from_date => '2053-12-01', to_date => '2053-12-31',
       currency => 'EUR', invoice_id => 'INV8', granularity => 'day');
SELECT journal_number, entry_date, account, direction, amount, narrative
  FROM revrec.journal_report(from_date => '2054-01-01', to_date => '2054-01-01', currency => 'EUR',
                             invoice_id => 'INV8', granularity => 'day')
 ORDER BY entry_date, narrative, account, direction;
-- The January journal: 1,210.00 billed -> deferred, 302.50 + 302.50 = 605.00 recognized.
SELECT journal_number, entry_date, account, direction, amount, narrative
  FROM revrec.journal_report(from_date => '2054-01-01', to_date => '2054-01-31', currency => 'EUR', invoice_id => 'INV8')
 ORDER BY entry_date, journal_number, account, direction;
-- Deferred revenue, EUR, as of 2053-12-31: INV8 has nothing on or before it.
-- As of 2054-01-01:
--   INV3-1: 310 / 310 / 0; 2053-01-01 -> 365 days: 181-365.
--   INV9-2: 180 / 180 / 0 (point in time: no service period); 2053-07-01 -> 184 days.
--   INV4-1: 3600 / 3600 / 0; 2053-03-10 -> 297 days: 181-365.
--   INV8-1: 1,210.00 invoiced, 302.50 + 9.75 = 312.25 recognized, 897.75 left, all
--     within 12 months; first posted on 2054-01-01 (the first open day): 0 days.
--   INV9-1: 720.00, Jul-Dec 360.00 + Jan 1 1.93 = 361.93 recognized, 358.07 left,
--     current; 184 days: 181-365.
SELECT count(*) AS inv8_rows FROM revrec.deferred_revenue(as_of => '2053-12-31', currency => 'EUR') WHERE line_id = 'INV8-1';
SELECT customer_id, product_id, source, source_id, line_id, method, service_start, service_end, invoiced,
       recognized, balance, remaining, current_portion, noncurrent_portion, age_bucket
  FROM revrec.deferred_revenue(as_of => '2054-01-01', currency => 'EUR')
 ORDER BY customer_id, product_id, source_id, line_id;
-- The EUR waterfall as of 2054-01-15:
--   SEAT: INV3 310 / 310 / 0.   SETUP: INV9-2 180 / 180 / 0.
--   SUB: INV4 3,600.00 (all recognized) + INV8 1,210.00 + INV9-1 720.00 = 5,530.00 booked.
--     INV8: Dec 302.50 (caught up on Jan 1) + Jan 1-15 15 x 9.75 (302.50 / 31 =
--       9.758 -> 9.75) = 448.75 recognized; rest of Jan 302.50 - 146.25 = 156.25,
--       Feb 302.50, Mar 302.50.
--     INV9-1: Jul-Dec 6 x 60 = 360.00 + Jan 1-15 15 x 1.93 (60 / 31 = 1.935 -> 1.93)
--       = 388.95 recognized; rest of Jan 60 - 28.95 = 31.05, Feb-Jun 60.00 each.
--     recognized 3600 + 448.75 + 388.95 = 4,437.70; remaining 5530 - 4437.70 = 1,092.30:
--     Jan 156.25 + 31.05 = 187.30, Feb and Mar 302.50 + 60 = 362.50, Apr-Jun 60.00
--     (187.30 + 2 x 362.50 + 3 x 60 = 1,092.30).
SELECT customer_id, product_id, booked, recognized, remaining, month, amount
  FROM revrec.waterfall(as_of => '2054-01-15', currency => 'EUR')
 ORDER BY customer_id, product_id, month;
-- Pivoted, three months: C2 total booked 310 + 180 + 5530 = 6,020.00, recognized
-- 310 + 180 + 4437.70 = 4,927.70, remaining 1,092.30; Jan 187.30, Feb 362.50,
-- Mar 362.50, Later 1092.30 - 912.30 = 180.00 (Apr-Jun 3 x 60.00).
SELECT line FROM revrec.waterfall_csv('2054-01-15', currency => 'EUR', months => 3);

-------------------------------------------------------------------------------
-- 4b. Amounts with no date yet, and a billing schedule: Hooli (C4).
--   INV10, GBP, 2054-02-01: a £900.00 project over 2054-02-01..2055-12-31 by
--     milestones: A £300.00 completed 2054-03-10, B £600.00 open.
--   INV11, BHD (3 decimals), 2054-02-01: BHD 500.000 of milestones, no service
--     period, milestone C open.
--   BS1, GBP: £310.00 of seats earned over January 2054 (£10.00 a day) before
--     any invoice (unbilled -> recognized); INV12 bills it on 2054-03-01
--     (billed 310.00 / unbilled 310.00, nothing to true up).
-------------------------------------------------------------------------------
INSERT INTO revrec.customer VALUES ('C4', 'Hooli plc');
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV10', '4001', 'C4', 'GBP', '2054-02-01'), ('INV11', '4002', 'C4', 'BHD', '2054-02-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end) VALUES
  ('INV10-1', 'INV10', 'PS', 900.00, '2054-02-01', '2055-12-31'), ('INV11-1', 'INV11', 'PS', 500.000, NULL, NULL);
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount, completed_on) VALUES
  ('M3', 'INV10-1', 'A', 300.00, '2054-03-10'), ('M4', 'INV10-1', 'B', 600.00, NULL),
  ('M5', 'INV11-1', 'C', 500.000, NULL);
INSERT INTO revrec.billing_schedule_line (schedule_line_id, customer_id, product_id, currency, amount, service_start, service_end)
VALUES ('BS1', 'C4', 'SEAT', 'GBP', 310.00, '2054-01-01', '2054-01-31');
COMMIT;
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV12', '4003', 'C4', 'GBP', '2054-03-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, schedule_line_id)
VALUES ('INV12-1', 'INV12', 'SEAT', 310.00, '2054-01-01', '2054-01-31', 'BS1');
COMMIT;
-- exclude_fully_recognized, GBP, January-March 2054, as of 2054-02-15: BS1 has
-- recognized all of its 310.00 by Jan 31, but it is not billed yet (unbilled
-- 310.00 open): shown.  INV10 has 600.00 deferred with no date and A on Mar 10;
-- INV12 bills on Mar 1: shown.  Every row is there:
--   BS1 January 310.00 unbilled -> recognized; INV10 February billed 900.00 ->
--   deferred, March 300.00 deferred -> recognized; INV12 March 310.00 billed ->
--   unbilled.
SELECT journal_number, entry_date, account, direction, amount
  FROM revrec.journal_report(from_date => '2054-01-01', to_date => '2054-03-31', currency => 'GBP',
                             as_of => '2054-02-15 12:00+00', exclude_fully_recognized => true)
 ORDER BY entry_date, journal_number, account, direction;
-- ... as of 2054-03-15 INV12 has billed BS1: the unbilled 310.00 that BS1
-- debited, INV12 credited, so neither has a balance open, nothing of them is
-- dated after Mar 15: both hidden.  INV10 (600.00 still deferred) stays.
SELECT journal_number, entry_date, account, direction, amount
  FROM revrec.journal_report(from_date => '2054-01-01', to_date => '2054-03-31', currency => 'GBP',
                             as_of => '2054-03-15 12:00+00', exclude_fully_recognized => true)
 ORDER BY entry_date, journal_number, account, direction;
-- Deferred revenue as of 2054-06-30 (horizon 2055-06-30):
--   GBP INV10-1: 900.00 invoiced, 300.00 recognized, 600.00 deferred with no
--     date; the service period ends 2055-12-31, after the horizon: non-current
--     600.00.  Posted 2054-02-01: 149 days, 91-180.
--   GBP BS1 (billing schedule): nothing invoiced, 310.00 recognized, balance
--     -310.00, nothing deferred; 2054-01-01: 180 days.  INV12-1: 310.00
--     invoiced (billed out of unbilled), nothing recognized, nothing deferred;
--     2054-03-01: 121 days.
--   BHD INV11-1: 500.000 deferred with no date and no service period, so no
--     date to expect it by: non-current.  149 days.
SELECT customer_id, product_id, source, source_id, line_id, method, service_start, service_end, invoiced,
       recognized, balance, remaining, current_portion, noncurrent_portion, age_bucket, currency
  FROM unnest('{GBP,BHD}'::text[]) c, LATERAL revrec.deferred_revenue(as_of => '2054-06-30', currency => c) r
 ORDER BY currency DESC, customer_id, product_id, source_id, line_id;
-- As of 2055-01-15 (horizon 2056-01-15) INV10's service period ends within 12
-- months: its 600.00 is current.  INV11 stays non-current.
SELECT r.line_id, r.service_end, r.remaining, r.current_portion, r.noncurrent_portion
  FROM unnest('{GBP,BHD}'::text[]) c, LATERAL revrec.deferred_revenue(as_of => '2055-01-15', currency => c, product_id => 'PS') r
 ORDER BY r.line_id;
-- The waterfall as of 2054-06-30: PS £900.00 booked, £300.00 recognized,
-- £600.00 remaining, all undated (month NULL); SEAT: BS1's 310.00 booked and
-- recognized (INV12 recognizes nothing more).  BHD: 500.000 booked, none
-- recognized, 500.000 undated.  Remaining = the deferred account: £600.00 and
-- BHD 500.000.
SELECT currency, customer_id, product_id, booked, recognized, remaining, month, amount
  FROM unnest('{GBP,BHD}'::text[]) c, LATERAL revrec.waterfall(as_of => '2054-06-30', currency => c) r
 ORDER BY currency DESC, customer_id, product_id, month;
SELECT c AS currency,
       (SELECT sum(remaining) FROM (SELECT DISTINCT customer_id, product_id, remaining
                                      FROM revrec.waterfall(as_of => '2054-06-30', currency => c)) w) AS waterfall_remaining,
       (SELECT sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END) FROM revrec.journal_entry
         WHERE account = 'deferred' AND currency = c AND entry_date <= '2054-06-30') AS deferred_account
  FROM unnest('{GBP,BHD}'::text[]) c ORDER BY c DESC;
-- Pivoted, two months: the undated amounts in Unscheduled; amounts with their
-- currency's decimals (BHD three).
SELECT line FROM revrec.waterfall_csv('2054-06-30', currency => 'GBP', months => 2);
SELECT line FROM revrec.waterfall_csv('2054-06-30', currency => 'BHD', months => 2);
-- months: zero gives only Later and Unscheduled; a negative count is an error (RV006).
SELECT line FROM revrec.waterfall_csv('2054-06-30', currency => 'GBP', months => 0);
SELECT line FROM revrec.waterfall_csv('2054-06-30', currency => 'GBP', months => -1);

