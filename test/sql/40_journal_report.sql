-- Reports, 1: the journal report, on a small company that 41_deferred_revenue,
-- 42_waterfall and 43_reports_lock go on using (pg_regress runs them in order
-- in one database).  Every figure below was computed by hand from the rules
-- of README "Feeding revrec: documents" (discounts), "Recognition", "Journals", "Credit notes"
-- and "Period locks"; the arithmetic is in the comment above each query.
--
-- The company lives in 2052-2054: the journal report's as_of is both a moment of
-- recording (recorded_at <= as_of) and, for exclude_fully_recognized, the as-of
-- day; with the company in the future, as_of => '2053-06-30 12:00+00' sees every
-- posting this test makes and still puts the as-of day inside the company's
-- life.  2052-2054 have the calendar of 2024-2026 (2052 is a leap year, 2053 and
-- 2054 are not), so the worked examples, shifted by 28 years, keep their
-- figures to the cent.
DROP EXTENSION revrec CASCADE;
CREATE EXTENSION revrec;
SET client_min_messages = warning;
SET datestyle = 'ISO, YMD';
SET TimeZone = 'UTC';
\set SHOW_CONTEXT never
\pset null '(null)'

INSERT INTO revrec.customer VALUES ('C1', 'Acme Ltd'), ('C2', 'Globex GmbH'), ('C3', 'Initech, Inc.');
INSERT INTO revrec.product (product_id, name, recognition_method) VALUES
  ('SUB', 'Subscription', 'straight_line'), ('SEAT', 'Seats', 'straight_line'),
  ('SETUP', 'Setup fee', 'point_in_time'), ('API', 'API calls', 'usage'),
  ('PS', 'Implementation project', 'milestone');
INSERT INTO revrec.ledger_account (code, name, normal_balance) VALUES ('services', 'Services Revenue', 'credit');

-- C1, USD.  INV1: an annual line with a discount in its group (README "Feeding revrec: documents"): an annual line in advance,
-- $1,200.00 with a -$120.00 discount in its group: $1,080.00 over
-- 2052-07-01..2053-06-30 (365 days, 12 full months): $90.00 a month.
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV1', '1001', 'C1', 'USD', '2052-07-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV1-1', 'INV1', 'SUB', 1200.00, '2052-07-01', '2053-06-30');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id)
VALUES ('INV1-2', 'INV1', 'SUB', -120.00, 'discount', 'INV1-1');
COMMIT;
-- INV2: the credit note example's $12,000.00 (README "Credit notes") for the calendar year 2053 (12 full months:
-- $1,000.00 a month), credited later; and a point-in-time setup fee of $250.00
-- billed on 2053-01-01, recognized on 2053-01-15.
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV2', '1002', 'C1', 'USD', '2053-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV2-1', 'INV2', 'SUB', 12000.00, '2053-01-01', '2053-12-31');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on)
VALUES ('INV2-2', 'INV2', 'SETUP', 250.00, '2053-01-15');
COMMIT;
-- C2, EUR.  INV3: monthly seats in arrears: January's €310.00 (€10.00 a day)
-- earned unbilled -> recognized, billed on 2053-02-01 (billed -> unbilled).
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV3', '2001', 'C2', 'EUR', '2053-02-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, billing, service_start, service_end)
VALUES ('INV3-1', 'INV3', 'SEAT', 310.00, 'in_arrears', '2053-01-01', '2053-01-31');
COMMIT;
-- INV4: the default strategy on partial first and last months (README "Recognition"): €3,600.00 over 2053-03-10..2053-06-09 (92 days):
-- March round(3600 * 22 / 92) = round(860.870) = 860.87, June round(3600 * 9 / 92)
-- = round(352.174) = 352.17, April and May share 3600 - 860.87 - 352.17 = 2386.96:
-- 1,193.48 each.
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV4', '2002', 'C2', 'EUR', '2053-03-10');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV4-1', 'INV4', 'SUB', 3600.00, '2053-03-10', '2053-06-09');
COMMIT;
-- INV9: the invoice discount rule (README "Feeding revrec: documents": largest remainder): €800.00 subscription + €200.00 setup fee, a
-- -€100.00 invoice discount allocated by largest remainder in proportion to the
-- net amounts: 100 * 800/1000 = 80.00 and 100 * 200/1000 = 20.00 (no remainder):
-- the subscription group is €720.00 over 2053-07-01..2054-06-30 (12 full months,
-- 720 / 12 = €60.00 a month), the setup fee €180.00 on 2053-07-15.
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV9', '2004', 'C2', 'EUR', '2053-07-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV9-1', 'INV9', 'SUB', 800.00, '2053-07-01', '2054-06-30');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on)
VALUES ('INV9-2', 'INV9', 'SETUP', 200.00, '2053-07-15');
INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, kind) VALUES ('INV9-3', 'INV9', -100.00, 'invoice_discount');
COMMIT;
-- C3, USD.  INV5: usage: $100.00 for March 2053, usage of 10.00, 15.00 and 20.00
-- on the 5th, 6th and 10th, the rest 100 - 45 = 55.00 on service_end 03-31.
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV5', '3001', 'C3', 'USD', '2053-03-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV5-1', 'INV5', 'API', 100.00, '2053-03-01', '2053-03-31');
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES
  ('INV5-1', '2053-03-05', 10.00), ('INV5-1', '2053-03-06', 15.00), ('INV5-1', '2053-03-10', 20.00);
COMMIT;
-- INV6: milestones: $1,000.00 = Design $400.00 (done 2053-05-15) + Build $600.00
-- (completed later in this test, on 2053-08-29).
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV6', '3002', 'C3', 'USD', '2053-04-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV6-1', 'INV6', 'PS', 1000.00, '2053-04-01', '2053-09-30');
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount, completed_on) VALUES
  ('M1', 'INV6-1', 'Design', 400.00, '2053-05-15'), ('M2', 'INV6-1', 'Build', 600.00, NULL);
COMMIT;
-- INV7: three years in advance, $3,600.00 over 2053-02-15..2056-02-14, N = 1,095
-- days.  Default strategy: the partial months Feb 2053 (15th-28th) and Feb 2056
-- (1st-14th) have d = 14: round(3600 * 14 / 1095) = round(46.027) = 46.03 each;
-- the 35 full months (Mar 2053..Jan 2056) share 3600 - 2 * 46.03 = 3,507.94:
-- trunc(3507.94 / 35) = trunc(100.2268) = 100.22 each, the last one (Jan 2056)
-- 3507.94 - 34 * 100.22 = 100.46.  Days: Feb 2053 46.03 / 14 = 3.2878 -> 13 x 3.28
-- = 42.64, Feb 28 3.39; a 31-day month 100.22 / 31 = 3.2329 -> 30 x 3.23 = 96.90,
-- the 31st 3.32; a 28-day month 100.22 / 28 = 3.5793 -> 3.57 a day; Feb 2056
-- 13 x 3.28 = 42.64, Feb 14 3.39.
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV7', '3003', 'C3', 'USD', '2053-02-15');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV7-1', 'INV7', 'SUB', 3600.00, '2053-02-15', '2056-02-14');
COMMIT;
-- A manual journal: $100.00 of Acme's revenue reclassified to services.
SELECT revrec.post_manual_journal(entry_date => '2053-06-30', narrative => 'Reclass to services revenue',
    lines => '[{"account":"recognized","direction":"debit","amount":"100.00"},
               {"account":"services","direction":"credit","amount":"100.00"}]',
    currency => 'USD', customer_id => 'C1') ~ '^MJ-[0-9T]+-[0-9a-f]{6}//2053-06$' AS manual_journal;
-- manual journal numbers hold the moment of posting: printed as MJ-<id>
CREATE FUNCTION pg_temp.jn(j text) RETURNS text LANGUAGE sql AS $$ SELECT regexp_replace(j, '^MJ-[^/]+', 'MJ-<id>') $$;

-------------------------------------------------------------------------------
-- 1. revrec.journal_report
-------------------------------------------------------------------------------
-- Columns: those of revrec.journal_entry plus customer_name and product_name.
SELECT * FROM revrec.journal_report(from_date => '2052-07-01', to_date => '2052-07-01', granularity => 'day') LIMIT 0;

-- Month granularity (the default), USD, Q1 2053: one row per journal (customer x
-- product x document x month), account and direction, dated the month's last day.
--   INV1 SUB: 90.00 deferred -> recognized each month (1080 / 12).
--   INV2 SUB: Jan 1 billed 12,000.00 -> deferred; 12000 / 12 = 1,000.00 a month recognized.
--   INV2 SETUP: Jan 1 billed 250.00 -> deferred; Jan 15 deferred -> recognized 250.00.
--   INV7 SUB: Feb 15 billed 3,600.00 -> deferred; Feb 46.03, Mar 100.22 recognized.
--   INV5 API: Mar 1 billed 100.00 -> deferred; recognized 10 + 15 + 20 + 55 = 100.00.
SELECT journal_number, entry_date, account, direction, amount, line_id, method, customer_name, product_name
  FROM revrec.journal_report(from_date => '2053-01-01', to_date => '2053-03-31', currency => 'USD')
 ORDER BY entry_date, journal_number, account, direction;

-- Both ends inclusive, the range cutting two months: a month row is the sum of
-- its days inside the range, dated the last day of the month inside the range
-- (Jan 31, Feb 14).
--   INV1 Jan 15..31: 90.00 / 31 = 2.903 -> 2.90 a day, Jan 31 takes 90 - 30 x 2.90 = 3.00:
--        16 x 2.90 + 3.00 = 49.40;  Feb 1..14: 90 / 28 = 3.214 -> 14 x 3.21 = 44.94
--   INV2 SUB Jan 15..31: 1000 / 31 = 32.258 -> 32.25 a day, Jan 31 1000 - 30 x 32.25 = 32.50:
--        16 x 32.25 + 32.50 = 548.50;  Feb 1..14: 1000 / 28 = 35.714 -> 14 x 35.71 = 499.94
--   INV2 SETUP: 250.00 recognized on Jan 15 (the first day of the range); its
--        billing on Jan 1 is outside the range.
SELECT journal_number, entry_date, account, direction, amount, narrative
  FROM revrec.journal_report(from_date => '2053-01-15', to_date => '2053-02-14', currency => 'USD', customer_id => 'C1')
 ORDER BY entry_date, journal_number, account, direction;

-- Day granularity, a two-day range (both ends included):
--   INV1: Jan 31 3.00 (the month's last day takes the rest), Feb 1 3.21
--   INV2 SUB: Jan 31 32.50, Feb 1 35.71;  INV7 starts Feb 15: nothing.
SELECT journal_number, entry_date, account, direction, amount, narrative
  FROM revrec.journal_report(from_date => '2053-01-31', to_date => '2053-02-01', currency => 'USD', granularity => 'day')
 ORDER BY entry_date, journal_number, account, direction, amount;

-- EUR, Q1 2053: INV3 in arrears: January 31 x 10.00 = 310.00 unbilled -> recognized;
-- Feb 1 billed 310.00 -> unbilled.  INV4 from Mar 10: billed 3,600.00 -> deferred,
-- March 860.87 recognized.
SELECT journal_number, entry_date, account, direction, amount
  FROM revrec.journal_report(from_date => '2053-01-01', to_date => '2053-03-31', currency => 'EUR')
 ORDER BY entry_date, journal_number, account, direction;
-- ... and the same range without a currency: both are present, so an error
-- that names them (RV015).
SELECT * FROM revrec.journal_report(from_date => '2053-01-01', to_date => '2053-03-31');
-- A range holding one currency needs none: July-August 2052 has only INV1 (USD):
-- billed 1,080.00 -> deferred on Jul 1, 90.00 recognized each month.
SELECT journal_number, entry_date, account, direction, amount, currency
  FROM revrec.journal_report(from_date => '2052-07-01', to_date => '2052-08-31')
 ORDER BY entry_date, journal_number, account, direction;

-- the default strategy on an annual line (README "Recognition") through the report: INV1 recognizes 90.00 in each of its 12 months.
SELECT entry_date, amount FROM revrec.journal_report(from_date => '2052-07-01', to_date => '2053-06-30',
       currency => 'USD', invoice_id => 'INV1')
 WHERE account = 'recognized' ORDER BY entry_date;
-- ... day by day: February 2053 is 90 / 28 = 3.214 -> 27 x 3.21, then 90 - 27 x 3.21
-- = 3.33 on the 28th; March and May 90 / 31 = 2.903 -> 30 x 2.90, then 3.00 on the
-- 31st; April and June 90 / 30 = 3.00 every day.
SELECT to_char(entry_date, 'YYYY-MM') AS month, amount, count(*) AS days, min(entry_date) AS first, max(entry_date) AS last
  FROM revrec.journal_report(from_date => '2053-02-01', to_date => '2053-06-30', currency => 'USD',
                             invoice_id => 'INV1', granularity => 'day')
 WHERE account = 'recognized' GROUP BY 1, 2 ORDER BY 1, 2 DESC;
-- the default strategy on partial first and last months (README "Recognition") through the report: INV4 recognizes 860.87, 1,193.48, 1,193.48, 352.17.
SELECT entry_date, amount FROM revrec.journal_report(from_date => '2053-03-01', to_date => '2053-06-30',
       currency => 'EUR', invoice_id => 'INV4')
 WHERE account = 'recognized' ORDER BY entry_date;

-- Filters.  invoice_id, day granularity: the usage line INV5 in March: billed
-- 100.00 on Mar 1, usage 10.00 / 15.00 / 20.00 on Mar 5 / 6 / 10, 55.00 on Mar 31.
SELECT journal_number, entry_date, account, direction, amount, method
  FROM revrec.journal_report(from_date => '2053-03-01', to_date => '2053-03-31', currency => 'USD',
                             invoice_id => 'INV5', granularity => 'day')
 ORDER BY entry_date, account, direction;
-- product_id: the setup fees in USD over 2053: INV2's 250.00 (billed Jan 1,
-- recognized Jan 15), one January journal.
SELECT journal_number, entry_date, account, direction, amount, product_name
  FROM revrec.journal_report(from_date => '2053-01-01', to_date => '2053-12-31', currency => 'USD', product_id => 'SETUP')
 ORDER BY entry_date, journal_number, account, direction;
-- customer_id + product_id: C3's subscription in June 2053: 100.22.
SELECT journal_number, entry_date, account, direction, amount, customer_name
  FROM revrec.journal_report(from_date => '2053-06-01', to_date => '2053-06-30', currency => 'USD',
                             customer_id => 'C3', product_id => 'SUB')
 ORDER BY entry_date, journal_number, account, direction;
-- journal_type: June 2053, manual only: the reclass, 100.00; system only for C1:
-- INV1 90.00 and INV2 1,000.00 (INV1 ends Jun 30), no manual journal.
SELECT pg_temp.jn(journal_number) AS journal_number, entry_date, source, account, direction, amount, narrative, journal_type
  FROM revrec.journal_report(from_date => '2053-06-01', to_date => '2053-06-30', currency => 'USD', journal_type => 'manual')
 ORDER BY entry_date, journal_number, account, direction;
SELECT journal_number, entry_date, account, direction, amount, journal_type
  FROM revrec.journal_report(from_date => '2053-06-01', to_date => '2053-06-30', currency => 'USD',
                             customer_id => 'C1', journal_type => 'system')
 ORDER BY entry_date, journal_number, account, direction;
-- source: the same month, source 'standalone' is the manual journal only.
SELECT pg_temp.jn(journal_number) AS journal_number, account, direction, amount
  FROM revrec.journal_report(from_date => '2053-06-01', to_date => '2053-06-30', currency => 'USD', source => 'standalone')
 ORDER BY account;

-- exclude_fully_recognized hides groups with nothing left to recognize after the
-- as-of day.  May-June 2053 for C1 as of 2053-06-30: INV1 ends on Jun 30 (hidden);
-- INV2 SUB recognizes until Dec 31 (May 1,000.00, June 1,000.00); the manual
-- journal belongs to no group (shown).
SELECT pg_temp.jn(journal_number) AS journal_number, entry_date, account, direction, amount
  FROM revrec.journal_report(from_date => '2053-05-01', to_date => '2053-06-30', currency => 'USD', customer_id => 'C1',
                             as_of => '2053-06-30 12:00+00', exclude_fully_recognized => true)
 ORDER BY entry_date, journal_number, account, direction;
-- ... as of a day earlier INV1 still has Jun 30 to recognize: shown (May 90.00, June 90.00).
SELECT pg_temp.jn(journal_number) AS journal_number, entry_date, account, direction, amount
  FROM revrec.journal_report(from_date => '2053-05-01', to_date => '2053-06-30', currency => 'USD', customer_id => 'C1',
                             as_of => '2053-06-29 12:00+00', exclude_fully_recognized => true)
 ORDER BY entry_date, journal_number, account, direction;
-- C3 as of 2053-06-30: nothing of INV6 (milestones) is dated after Jun 30 yet,
-- but its Build milestone ($600.00) is not completed: 600.00 is still deferred,
-- its recognition is not complete, so it is shown (May: Design's 400.00,
-- deferred debit / recognized credit).  INV5 ended in March (no rows in range);
-- INV7 100.22 a month.
SELECT journal_number, entry_date, account, direction, amount
  FROM revrec.journal_report(from_date => '2053-05-01', to_date => '2053-06-30', currency => 'USD', customer_id => 'C3',
                             as_of => '2053-06-30 12:00+00', exclude_fully_recognized => true)
 ORDER BY entry_date, journal_number, account, direction;
-- Without as_of the as-of day is today; every group of this company recognizes
-- after today, so nothing is hidden: the same 10 rows as without the option.
SELECT (SELECT count(*) FROM revrec.journal_report(from_date => '2053-05-01', to_date => '2053-06-30', currency => 'USD',
                                                   customer_id => 'C1', exclude_fully_recognized => true)) AS excluding,
       (SELECT count(*) FROM revrec.journal_report(from_date => '2053-05-01', to_date => '2053-06-30', currency => 'USD',
                                                   customer_id => 'C1')) AS all_rows;

-- The Build milestone is completed on 2053-08-29, then Acme is credited $3,000.00
-- on INV2's subscription on 2053-10-01 (README "Credit notes", cancel mode).  The moments just
-- before each are kept for as_of.
SELECT clock_timestamp() AS before_m2 \gset
UPDATE revrec.milestone SET completed_on = '2053-08-29' WHERE milestone_id = 'M2';
SELECT clock_timestamp() AS before_cn \gset
BEGIN;
INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date)
VALUES ('CN1', 'CN-0001', 'C1', 'INV2', 'USD', '2053-10-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN1-1', 'CN1', 'INV2-1', 3000.00);
COMMIT;

-- Now INV6 has 600.00 to recognize on Aug 29: shown as of Jun 30 (May 400.00).
-- C3 in May-June: INV5 ended in March (no rows in range anyway), INV6 May 400.00,
-- INV7 100.22 a month.
SELECT journal_number, entry_date, account, direction, amount
  FROM revrec.journal_report(from_date => '2053-05-01', to_date => '2053-06-30', currency => 'USD', customer_id => 'C3',
                             as_of => '2053-06-30 12:00+00', exclude_fully_recognized => true)
 ORDER BY entry_date, journal_number, account, direction;

-- August-October 2053, USD, now:
--   INV2 SUB: 1,000.00 a month;  INV6: Build 600.00 on Aug 29;  INV7: 100.22 a month.
--   CN1: on Oct 1 credit billed 3,000.00 and debit deferred 3,000.00 (the
--   deferred balance at the start of Oct 1 is 12000 - 9 x 1000 = 3,000.00, so no
--   excess to recognized); the remaining months Oct, Nov, Dec (1,000.00 each) are
--   reduced in proportion by 3,000.00: 1,000.00 each, posted by the credit note as
--   debit recognized / credit deferred: October nets to zero.
SELECT journal_number, entry_date, account, direction, amount
  FROM revrec.journal_report(from_date => '2053-08-01', to_date => '2053-10-31', currency => 'USD')
 ORDER BY entry_date, journal_number, account, direction;
-- as_of just before the credit note: the same without CN1's four rows.
SELECT journal_number, entry_date, account, direction, amount
  FROM revrec.journal_report(from_date => '2053-08-01', to_date => '2053-10-31', currency => 'USD', as_of => :'before_cn')
 ORDER BY entry_date, journal_number, account, direction;
-- as_of just before the milestone was completed: also without INV6's 600.00.
SELECT journal_number, entry_date, account, direction, amount
  FROM revrec.journal_report(from_date => '2053-08-01', to_date => '2053-10-31', currency => 'USD', as_of => :'before_m2')
 ORDER BY entry_date, journal_number, account, direction;

-- credit_note_id, day granularity, Oct 1-2: billed 3,000.00 / deferred 3,000.00 on
-- Oct 1; October's 1,000.00 reduction spread like a month amount: 1000 / 31 =
-- 32.258 -> 32.25 a day (Oct 31 takes 32.50).
SELECT journal_number, entry_date, account, direction, amount, credit_note_id, invoice_id
  FROM revrec.journal_report(from_date => '2053-10-01', to_date => '2053-10-02', currency => 'USD',
                             credit_note_id => 'CN1', granularity => 'day')
 ORDER BY entry_date, account, direction;
-- invoice_id takes the invoice's credit notes too: Oct 1, INV2 recognizes 32.25
-- and CN1 takes 32.25 back.
SELECT journal_number, entry_date, source, account, direction, amount
  FROM revrec.journal_report(from_date => '2053-10-01', to_date => '2053-10-01', currency => 'USD',
                             invoice_id => 'INV2', granularity => 'day')
 ORDER BY journal_number, account, direction;
-- source 'credit_note' over 2053: October as above, November and December
-- 1,000.00 each back out of recognized.
SELECT journal_number, entry_date, account, direction, amount
  FROM revrec.journal_report(from_date => '2053-01-01', to_date => '2053-12-31', currency => 'USD', source => 'credit_note')
 ORDER BY entry_date, journal_number, account, direction;
-- The cancel-mode credit note example (README "Credit notes") end to end: INV2's subscription recognizes 1,000.00 in
-- January-September and nothing more (1,000.00 - 1,000.00) in October-December:
-- 9,000.00 in all; billed 12,000.00 - 3,000.00 = 9,000.00.
SELECT to_char(entry_date, 'YYYY-MM') AS month,
       sum(amount) FILTER (WHERE account = 'recognized' AND direction = 'credit')
         - coalesce(sum(amount) FILTER (WHERE account = 'recognized' AND direction = 'debit'), 0) AS recognized
  FROM revrec.journal_report(from_date => '2053-01-01', to_date => '2053-12-31', currency => 'USD',
                             invoice_id => 'INV2', product_id => 'SUB')
 GROUP BY 1 ORDER BY 1;
SELECT account, sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) AS balance
  FROM revrec.journal_report(from_date => '2053-01-01', to_date => '2053-12-31', currency => 'USD',
                             invoice_id => 'INV2', product_id => 'SUB')
 GROUP BY 1 ORDER BY 1;

-- EUR July 2053: INV9 (the invoice discount rule (README "Feeding revrec: documents": largest remainder)): the subscription group
-- billed 800 - 80 = 720.00, 60.00 recognized in July; the setup fee group billed
-- 200 - 20 = 180.00, recognized Jul 15.
SELECT journal_number, entry_date, account, direction, amount, line_id
  FROM revrec.journal_report(from_date => '2053-07-01', to_date => '2053-07-31', currency => 'EUR')
 ORDER BY entry_date, journal_number, account, direction;

