-- The subledger: documents in, daily double-entry journals out.
DROP EXTENSION revrec CASCADE;
CREATE EXTENSION revrec;
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- per month, account and direction: what a document posted
CREATE FUNCTION pg_temp.monthly(doc text) RETURNS TABLE (month text, account text, direction text, amount numeric, entries bigint)
LANGUAGE sql AS $$
  SELECT to_char(entry_date, 'YYYY-MM'), account, direction, sum(amount), count(*)
    FROM revrec.journal_entry WHERE source_id = doc
   GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 $$;
-- each day's entries, summed, on chosen days
CREATE FUNCTION pg_temp.days(doc text, VARIADIC d date[]) RETURNS TABLE (entry_date date, account text, direction text, amount numeric)
LANGUAGE sql AS $$
  SELECT entry_date, account, direction, sum(amount)
    FROM revrec.journal_entry WHERE source_id = doc AND entry_date = ANY (d)
   GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 $$;
-- net balance per account of a document (debit positive)
CREATE FUNCTION pg_temp.balances(doc text) RETURNS TABLE (account text, balance numeric)
LANGUAGE sql AS $$
  SELECT account, sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END)
    FROM revrec.journal_entry WHERE source_id = doc GROUP BY 1 ORDER BY 1 $$;

INSERT INTO revrec.customer VALUES ('C1', 'Acme Ltd'), ('C2', 'Globex GmbH');
INSERT INTO revrec.product (product_id, name, recognition_method) VALUES
  ('SUB', 'Annual subscription', 'straight_line'),
  ('SETUP', 'Setup fee', 'point_in_time'),
  ('API', 'API calls', 'usage'),
  ('PS', 'Implementation project', 'milestone'),
  ('SEAT', 'Seats', 'straight_line'),
  ('MIN', 'Minimum commitment', 'point_in_time'),
  ('CREDITS', 'Prepaid credits', 'point_in_time');

-- 1. discounts (README "Feeding revrec: documents", line kinds): a $1,200 annual line and a -$120 discount in its group post one
--    journal set for $1,080: $90.00 a month, billed -> deferred on the invoice date.
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV1', '1001', 'C1', 'USD', '2024-07-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV1-1', 'INV1', 'SUB', 1200.00, '2024-07-01', '2025-06-30');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id)
VALUES ('INV1-2', 'INV1', 'SUB', -120.00, 'discount', 'INV1-1');
COMMIT;
SELECT count(*) AS postings, min(line_id) AS grp FROM revrec.posting WHERE source_id = 'INV1';
SELECT * FROM pg_temp.monthly('INV1');
SELECT * FROM pg_temp.days('INV1', '2025-05-30', '2025-05-31', '2025-02-27', '2025-02-28');
SELECT * FROM pg_temp.balances('INV1');
-- journal numbers: one per customer x product x document x month, stable
SELECT DISTINCT journal_number FROM revrec.journal_entry WHERE source_id = 'INV1' AND entry_date < '2024-09-01' ORDER BY 1;

-- 2. discounts (README "Feeding revrec: documents", line kinds): $800 subscription + $200 setup fee with a $100 invoice discount:
--    -$80 and -$20 by largest remainder; $720 and $180 recognized by their own methods.
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV2', '1002', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV2-1', 'INV2', 'SUB', 800.00, '2025-01-01', '2025-12-31');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on)
VALUES ('INV2-2', 'INV2', 'SETUP', 200.00, '2025-01-15');
INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, kind)
VALUES ('INV2-3', 'INV2', -100.00, 'invoice_discount');
COMMIT;
SELECT line_id, product_id, account, sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) AS net
  FROM revrec.journal_entry WHERE source_id = 'INV2' AND account IN ('billed', 'recognized')
 GROUP BY 1, 2, 3 ORDER BY 1, 3;
SELECT * FROM pg_temp.days('INV2', '2025-01-01', '2025-01-15');
-- invoice discount by largest remainder over three equal groups: 100.00 / 3
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV2b', '1002b', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on) VALUES
  ('INV2b-1', 'INV2b', 'SETUP', 100.00, '2025-01-01'), ('INV2b-2', 'INV2b', 'SETUP', 100.00, '2025-01-01'),
  ('INV2b-3', 'INV2b', 'SETUP', 100.00, '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, kind) VALUES ('INV2b-4', 'INV2b', -100.00, 'invoice_discount');
COMMIT;
SELECT line_id, sum(amount) AS billed FROM revrec.journal_entry
 WHERE source_id = 'INV2b' AND account = 'billed' GROUP BY 1 ORDER BY 1;
-- the ssp column overrides the weights: 300 ssp vs 100 ssp
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV2c', '1002c', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on, ssp) VALUES
  ('INV2c-1', 'INV2c', 'SETUP', 100.00, '2025-01-01', 300), ('INV2c-2', 'INV2c', 'SETUP', 100.00, '2025-01-01', 100);
INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, kind) VALUES ('INV2c-3', 'INV2c', -40.00, 'invoice_discount');
COMMIT;
SELECT line_id, sum(amount) AS billed FROM revrec.journal_entry
 WHERE source_id = 'INV2c' AND account = 'billed' GROUP BY 1 ORDER BY 1;

-- 3. Monthly seats billed in arrears: January earned day by day into unbilled,
--    billed on Feb 1 moving unbilled -> billed.
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV3', '1003', 'C2', 'EUR', '2025-02-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, billing, service_start, service_end)
VALUES ('INV3-1', 'INV3', 'SEAT', 310.00, 'in_arrears', '2025-01-01', '2025-01-31');
COMMIT;
SELECT * FROM pg_temp.monthly('INV3');
SELECT * FROM pg_temp.days('INV3', '2025-01-01', '2025-02-01');
SELECT * FROM pg_temp.balances('INV3');
-- a period straddling the invoice date: earned before it -> unbilled, after -> deferred
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV3b', '1003b', 'C2', 'EUR', '2025-01-16');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV3b-1', 'INV3b', 'SEAT', 310.00, '2025-01-01', '2025-01-31');
COMMIT;
SELECT * FROM pg_temp.days('INV3b', '2025-01-15', '2025-01-16');
SELECT * FROM pg_temp.balances('INV3b');

-- 4. Usage: recognized on the days usage happened, the rest on service_end;
--    usage arriving after the invoice posted moves recognition from service_end.
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV4', '1004', 'C1', 'USD', '2025-03-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV4-1', 'INV4', 'API', 100.00, '2025-03-01', '2025-03-31');
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('INV4-1', '2025-03-05', 10.00), ('INV4-1', '2025-03-06', 15.00);
COMMIT;
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('INV4-1', '2025-03-10', 20.00);
SELECT entry_date, account, direction, amount, reason FROM revrec.journal_entry WHERE source_id = 'INV4' ORDER BY entry_date, reason, account, direction;
SELECT * FROM pg_temp.balances('INV4');
-- more usage than the line bills is refused, and leaves nothing behind
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('INV4-1', '2025-03-11', 60.00);
SELECT count(*) AS usage_rows FROM revrec.usage WHERE line_id = 'INV4-1';
-- a usage line without usage: all on service_end
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV4b', '1004b', 'C1', 'USD', '2025-03-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV4b-1', 'INV4b', 'API', 50.00, '2025-03-01', '2025-03-31');
COMMIT;
SELECT * FROM pg_temp.days('INV4b', '2025-03-01', '2025-03-31');

-- 5. Milestones: each recognized on the day it is completed, in two steps;
--    un-completing reverses it on the day that happens.
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV5', '1005', 'C1', 'USD', '2025-04-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV5-1', 'INV5', 'PS', 1000.00, '2025-04-01', '2025-09-30');
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount) VALUES
  ('M1', 'INV5-1', 'Design', 400.00), ('M2', 'INV5-1', 'Build', 600.00);
COMMIT;
SELECT * FROM pg_temp.balances('INV5');
UPDATE revrec.milestone SET completed_on = '2025-05-15' WHERE milestone_id = 'M1';
SELECT * FROM pg_temp.balances('INV5');
UPDATE revrec.milestone SET completed_on = '2025-08-29' WHERE milestone_id = 'M2';
SELECT entry_date, account, direction, amount, reason FROM revrec.journal_entry WHERE source_id = 'INV5' ORDER BY entry_date, account, direction;
UPDATE revrec.milestone SET completed_on = NULL WHERE milestone_id = 'M2';
SELECT entry_date = current_date AS reversed_today, account, direction, amount FROM revrec.journal_entry
 WHERE source_id = 'INV5' AND entry_date > '2025-08-29' ORDER BY account, direction;
SELECT * FROM pg_temp.balances('INV5');
-- milestones that do not sum to the line: the invoice does not post
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV5b', '1005b', 'C1', 'USD', '2025-04-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('INV5b-1', 'INV5b', 'PS', 1000.00);
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount) VALUES ('M3', 'INV5b-1', 'All', 900.00);
COMMIT;
SELECT count(*) AS left_behind FROM revrec.invoice WHERE invoice_id = 'INV5b';

-- 6. Point in time: a setup fee on recognize_on, else service_start, else the invoice date.
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV6', '1006', 'C2', 'EUR', '2025-05-10');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start) VALUES
  ('INV6-1', 'INV6', 'SETUP', 500.00, '2025-05-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('INV6-2', 'INV6', 'SETUP', 50.00);
COMMIT;
SELECT line_id, entry_date, account, direction, amount FROM revrec.journal_entry WHERE source_id = 'INV6' ORDER BY 1, 2, 3, 4;

-- 7. Minimum commitment true-up: point in time on its service_end.
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV7', '1007', 'C1', 'USD', '2025-07-05');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, service_start, service_end)
VALUES ('INV7-1', 'INV7', 'MIN', 250.00, 'minimum_true_up', '2025-06-01', '2025-06-30');
COMMIT;
SELECT * FROM pg_temp.days('INV7', '2025-06-30', '2025-07-05');

-- 8. Credit grants: the grant's sale is an ordinary line; a drawdown nets out
--    of the group it pays for, so revenue is never recognized twice.
INSERT INTO revrec.credit_grant VALUES ('G1', 'C1', 'USD', 500.00, '2025-01-01', '2025-12-31');
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV8a', '1008a', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on) VALUES ('INV8a-1', 'INV8a', 'CREDITS', 500.00, '2025-01-01');
COMMIT;
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV8', '1008', 'C1', 'USD', '2025-03-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV8-1', 'INV8', 'SUB', 1200.00, '2025-03-01', '2026-02-28');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id, grant_id)
VALUES ('INV8-2', 'INV8', 'SUB', -300.00, 'credit_usage', 'INV8-1', 'G1');
COMMIT;
SELECT * FROM pg_temp.balances('INV8');
SELECT to_char(entry_date, 'YYYY-MM') AS month, sum(amount) FROM revrec.journal_entry
 WHERE source_id = 'INV8' AND account = 'recognized' AND entry_date < '2025-05-01' GROUP BY 1 ORDER BY 1;
-- drawing more than the remaining balance ($200 left) is an error
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV8b', '1008b', 'C1', 'USD', '2025-04-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on) VALUES ('INV8b-1', 'INV8b', 'SETUP', 300.00, '2025-04-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id, grant_id)
VALUES ('INV8b-2', 'INV8b', 'SETUP', -250.00, 'credit_usage', 'INV8b-1', 'G1');
COMMIT;
-- drawing after the grant expired is an error
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV8c', '1008c', 'C1', 'USD', '2026-01-15');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on) VALUES ('INV8c-1', 'INV8c', 'SETUP', 300.00, '2026-01-15');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id, grant_id)
VALUES ('INV8c-2', 'INV8c', 'SETUP', -50.00, 'credit_usage', 'INV8c-1', 'G1');
COMMIT;
SELECT count(*) AS refused_left_behind FROM revrec.invoice WHERE invoice_id IN ('INV8b', 'INV8c');

-- 9. A billing schedule recognizes unbilled revenue before any invoice exists;
--    the invoice that bills it moves unbilled -> billed and trues up the difference.
INSERT INTO revrec.billing_schedule_line VALUES ('BS1', 'C2', 'SUB', 'EUR', 600.00, '2025-01-01', '2025-06-30');
SELECT * FROM pg_temp.monthly('BS1');
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV9', '1009', 'C2', 'EUR', '2025-07-05');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, schedule_line_id)
VALUES ('INV9-1', 'INV9', 'SUB', 650.00, '2025-01-01', '2025-06-30', 'BS1');
COMMIT;
SELECT entry_date, account, direction, amount, method FROM revrec.journal_entry WHERE source_id = 'INV9' ORDER BY 2, 3;
SELECT account, sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) AS balance
  FROM revrec.journal_entry WHERE source_id IN ('BS1', 'INV9') GROUP BY 1 ORDER BY 1;

-- 10. Draft invoices post nothing until issued; voiding reverses everything,
--     what was dated before the void day on the void day.
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV10', '1010', 'C1', 'USD', '2025-01-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV10-1', 'INV10', 'SUB', 365.00, '2025-01-01', '2025-12-31');
SELECT count(*) AS posted_while_draft FROM revrec.posting WHERE source_id = 'INV10';
UPDATE revrec.invoice_line SET amount = 730.00 WHERE line_id = 'INV10-1';   -- drafts may change
UPDATE revrec.invoice SET status = 'issued' WHERE invoice_id = 'INV10';
SELECT * FROM pg_temp.balances('INV10');
UPDATE revrec.invoice SET status = 'issued' WHERE invoice_id = 'INV10';   -- re-issuing: no-op
SELECT count(*) AS postings_after_reissue FROM revrec.posting WHERE source_id = 'INV10';
UPDATE revrec.invoice SET status = 'void', void_date = '2025-03-01' WHERE invoice_id = 'INV10';
SELECT * FROM pg_temp.days('INV10', '2025-03-01', '2025-03-02');
SELECT DISTINCT narrative FROM revrec.journal_entry WHERE source_id = 'INV10' AND reason = 'void' AND entry_date = '2025-03-01' ORDER BY 1;
SELECT * FROM pg_temp.balances('INV10');

-- 11. Posted documents and the ledger are immutable.
UPDATE revrec.invoice SET accounting_date = '2024-07-02' WHERE invoice_id = 'INV1';
UPDATE revrec.invoice_line SET amount = 1.00 WHERE line_id = 'INV1-1';
DELETE FROM revrec.invoice_line WHERE line_id = 'INV1-2';
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on) VALUES ('INV1-3', 'INV1', 'SETUP', 5.00, '2024-07-01');
DELETE FROM revrec.invoice WHERE invoice_id = 'INV1';
UPDATE revrec.invoice SET status = 'issued' WHERE invoice_id = 'INV10';
UPDATE revrec.posting SET sched_amount = 0;
DELETE FROM revrec.posting;
TRUNCATE revrec.posting;
UPDATE revrec.activity SET entries = 0;

-- 12. Bad input leaves nothing behind.
BEGIN;
INSERT INTO revrec.invoice VALUES ('BAD1', 'x', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on) VALUES ('BAD1-1', 'BAD1', 'SETUP', 1.001, '2025-01-01');
COMMIT;
INSERT INTO revrec.invoice VALUES ('BAD2', 'x', 'C1', 'XYZ', '2025-01-01');
INSERT INTO revrec.invoice VALUES ('BAD3', 'x', 'NOBODY', 'USD', '2025-01-01');
BEGIN;
INSERT INTO revrec.invoice VALUES ('BAD4', 'x', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('BAD4-1', 'BAD4', 'SUB', 10.00);
COMMIT;
BEGIN;
INSERT INTO revrec.invoice VALUES ('BAD5', 'x', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id) VALUES ('BAD5-1', 'BAD5', 'SUB', -10.00, 'discount', 'NOPE');
COMMIT;
SELECT count(*) AS bad_invoices FROM revrec.invoice WHERE invoice_id LIKE 'BAD%';
SELECT count(*) AS bad_postings FROM revrec.posting WHERE source_id LIKE 'BAD%';

-- 13. Manual journals: balanced, numbered, typed 'manual', source 'standalone'.
SELECT revrec.post_manual_journal(entry_date => '2025-06-30', narrative => 'Reclass to services revenue',
    lines => '[{"account":"recognized","direction":"debit","amount":"100.00"},
               {"account":"recognized","direction":"credit","amount":"60.00"},
               {"account":"deferred","direction":"credit","amount":"40.00"}]', currency => 'USD',
    customer_id => 'C1', product_id => 'SUB') ~ '^MJ-[0-9T]+-[0-9a-f]{6}/SUB/2025-06$' AS numbered;
SELECT entry_date, source, customer_id, product_id, account, direction, amount, narrative, journal_type
  FROM revrec.journal_entry WHERE journal_type = 'manual' ORDER BY account, direction;
SELECT revrec.post_manual_journal('2025-06-30', 'unbalanced',
    '[{"account":"recognized","direction":"debit","amount":"100.00"},{"account":"deferred","direction":"credit","amount":"99.99"}]', 'USD');
SELECT revrec.post_manual_journal('2025-06-30', 'bad account',
    '[{"account":"nope","direction":"debit","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD');
SELECT revrec.post_manual_journal('2025-06-30', 'bad json', '{"account":"nope"}', 'USD');
SELECT revrec.post_manual_journal('2025-06-30', 'decimals',
    '[{"account":"recognized","direction":"debit","amount":"1.001"},{"account":"deferred","direction":"credit","amount":"1.001"}]', 'USD');
SELECT count(*) AS manual_postings FROM revrec.posting WHERE journal_type = 'manual';

-- 14. Every journal balances; the activity log has one row per run.
SELECT count(*) AS unbalanced_journals FROM (
  SELECT journal_number FROM revrec.journal_entry GROUP BY 1
  HAVING sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) <> 0) j;
SELECT action, source, document_id, entries, amount, currency FROM revrec.activity_log
 WHERE document_id IN ('INV1', 'INV4', 'INV5', 'INV10') ORDER BY activity_id;

-- an error raised at COMMIT shows the engine's message and hint, not revrec's
-- internal SQL as its context
\set SHOW_CONTEXT always
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV-CTX', 'CTX-1', 'C1', 'USD', '2025-01-01');
COMMIT;
\set SHOW_CONTEXT never
