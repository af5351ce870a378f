-- Reports: journal report, deferred revenue, waterfall and their views,
-- on a small company.  Every figure below was computed by hand from SPEC's rules
-- (3.1 schedules, 4 allocation, 5 journals, 5.1 credit notes, 5.2 locks); the
-- arithmetic is in the comment above each query.
--
-- The company lives in 2052-2054: the journal report's as_of is both a moment of
-- recording (recorded_at <= as_of) and, for exclude_fully_recognized, the as-of
-- day; with the company in the future, as_of => '2053-06-30 12:00+00' sees every
-- posting this test makes and still puts the as-of day inside the company's
-- life.  2052-2054 have the calendar of 2024-2026 (2052 is a leap year, 2053 and
-- 2054 are not), so SPEC's worked examples, shifted by 28 years, keep their
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

-- C1, USD.  INV1: SPEC 3 example 1 and SPEC 4: an annual line in advance,
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
-- INV2: SPEC 5.1's $12,000.00 for the calendar year 2053 (12 full months:
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
-- INV4: SPEC 3 example 3: €3,600.00 over 2053-03-10..2053-06-09 (92 days):
-- March round(3600 * 22 / 92) = round(860.870) = 860.87, June round(3600 * 9 / 92)
-- = round(352.174) = 352.17, April and May share 3600 - 860.87 - 352.17 = 2386.96:
-- 1,193.48 each.
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV4', '2002', 'C2', 'EUR', '2053-03-10');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV4-1', 'INV4', 'SUB', 3600.00, '2053-03-10', '2053-06-09');
COMMIT;
-- INV9: SPEC 4's invoice discount: €800.00 subscription + €200.00 setup fee, a
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

-- SPEC 3 example 1 through the report: INV1 recognizes 90.00 in each of its 12 months.
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
-- SPEC 3 example 3 through the report: INV4 recognizes 860.87, 1,193.48, 1,193.48, 352.17.
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
-- on INV2's subscription on 2053-10-01 (SPEC 5.1, cancel mode).  The moments just
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
-- SPEC 5.1's example end to end: INV2's subscription recognizes 1,000.00 in
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

-- EUR July 2053: INV9 (SPEC 4's invoice discount): the subscription group
-- billed 800 - 80 = 720.00, 60.00 recognized in July; the setup fee group billed
-- 200 - 20 = 180.00, recognized Jul 15.
SELECT journal_number, entry_date, account, direction, amount, line_id
  FROM revrec.journal_report(from_date => '2053-07-01', to_date => '2053-07-31', currency => 'EUR')
 ORDER BY entry_date, journal_number, account, direction;

-------------------------------------------------------------------------------
-- 2. revrec.deferred_revenue
-------------------------------------------------------------------------------
-- As of 2053-06-30, USD.  The report is the ledger as it stands on that day: the
-- credit note (Oct 1) and the Build milestone (Aug 29) are dated after it, so
-- they are not part of it.  Age = days since the group first posted (0-30,
-- 31-90, 91-180, 181-365, over 365).  Schedules already fully recognized are
-- listed too (SPEC 6: one row per schedule), with balance and remaining 0.
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
-- SPEC 6: the remaining total equals the deferred account's balance from the
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
