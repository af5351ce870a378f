-- Credit notes and period locks.
DROP EXTENSION revrec CASCADE;
CREATE EXTENSION revrec;
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.balances(inv text) RETURNS TABLE (account text, balance numeric)
LANGUAGE sql AS $$
  SELECT account, sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END)
    FROM revrec.journal_entry WHERE invoice_id = inv GROUP BY 1 ORDER BY 1 $$;
CREATE FUNCTION pg_temp.recognized_by_month(inv text) RETURNS TABLE (month text, recognized numeric)
LANGUAGE sql AS $$
  SELECT to_char(entry_date, 'YYYY-MM'), sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END)
    FROM revrec.journal_entry WHERE invoice_id = inv AND account = 'recognized' GROUP BY 1 ORDER BY 1 $$;
CREATE FUNCTION pg_temp.on_day(doc text, d date) RETURNS TABLE (account text, direction text, amount numeric)
LANGUAGE sql AS $$
  SELECT account, direction, sum(amount) FROM revrec.journal_entry
   WHERE source_id = doc AND entry_date = d GROUP BY 1, 2 ORDER BY 1, 2 $$;
CREATE FUNCTION pg_temp.annual(inv text, amount numeric) RETURNS void LANGUAGE sql AS $$
  INSERT INTO revrec.invoice VALUES (inv, 'N-' || inv, 'C1', 'USD', '2025-01-01');
  INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
  VALUES (inv || '-1', inv, 'SUB', amount, '2025-01-01', '2025-12-31') $$;
CREATE FUNCTION pg_temp.credit(cn text, inv text, amount numeric, d date) RETURNS void LANGUAGE sql AS $$
  INSERT INTO revrec.credit_note VALUES (cn, 'N-' || cn, 'C1', inv, 'USD', d);
  INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount)
  VALUES (cn || '-1', cn, inv || '-1', amount) $$;

INSERT INTO revrec.customer VALUES ('C1', 'Acme Ltd');
INSERT INTO revrec.product (product_id, name, recognition_method) VALUES
  ('SUB', 'Subscription', 'straight_line'), ('SETUP', 'Setup fee', 'point_in_time'), ('API', 'API', 'usage');

-- Credit note, cancel mode (README "Credit notes"): $12,000 for 2025, $3,000 credited on Oct 1: deferred $3,000
-- debited on Oct 1, October-December recognize nothing more, recognized stays $9,000.
SELECT pg_temp.annual('A', 12000.00);
SELECT pg_temp.credit('CNA', 'A', 3000.00, '2025-10-01');
SELECT * FROM pg_temp.on_day('CNA', '2025-10-01');
SELECT * FROM pg_temp.recognized_by_month('A');
SELECT * FROM pg_temp.balances('A');
-- A credit of $4,000 the same day also debits recognized $1,000 on Oct 1.
SELECT pg_temp.annual('B', 12000.00);
SELECT pg_temp.credit('CNB', 'B', 4000.00, '2025-10-01');
SELECT account, direction, amount FROM revrec.journal_entry
 WHERE source_id = 'CNB' AND entry_date = '2025-10-01' AND narrative NOT LIKE 'Catch-up%' ORDER BY 1, 2, 3;
SELECT * FROM pg_temp.recognized_by_month('B');
SELECT * FROM pg_temp.balances('B');
-- several partial credits against the same line, then more than is left
SELECT pg_temp.credit('CNC1', 'A', 1000.00, '2025-11-01');
SELECT * FROM pg_temp.balances('A');
SELECT pg_temp.credit('CNC2', 'A', 8000.01, '2025-11-15');
SELECT pg_temp.credit('CNC3', 'A', 8000.00, '2025-11-15');
SELECT * FROM pg_temp.balances('A');
-- a credit dated before the invoice is refused
SELECT pg_temp.credit('CNEARLY', 'B', 10.00, '2024-12-31');
SELECT count(*) AS early_left_behind FROM revrec.credit_note WHERE credit_note_id = 'CNEARLY';

-- Credit note, adjust mode (README "Credit notes"): the same $12,000 line, $1,200 credited on Oct 1: catch-up
-- $900 to recognized and $300 to deferred; $900 a month from October, October
-- netting to zero; the line ends at $10,800 recognized.
UPDATE revrec.settings SET credit_note_mode = 'adjust';
SELECT pg_temp.annual('D', 12000.00);
SELECT pg_temp.credit('CND', 'D', 1200.00, '2025-10-01');
SELECT account, direction, amount FROM revrec.journal_entry
 WHERE source_id = 'CND' AND entry_date = '2025-10-01' AND reason = 'adjust' AND account <> 'deferred' ORDER BY 1, 2;
SELECT sum(amount) FILTER (WHERE direction = 'debit') AS catch_up_and_new_day FROM revrec.journal_entry
 WHERE source_id = 'CND' AND entry_date = '2025-10-01' AND reason = 'adjust' AND account = 'deferred';
SELECT * FROM pg_temp.recognized_by_month('D');
SELECT * FROM pg_temp.balances('D');
-- a second adjustment re-prices again from its own date
SELECT pg_temp.credit('CND2', 'D', 800.00, '2025-11-01');
SELECT * FROM pg_temp.recognized_by_month('D') WHERE month >= '2025-10';
SELECT * FROM pg_temp.balances('D');
-- adjust on a point-in-time line already recognized: all of it reverses recognized
BEGIN;
INSERT INTO revrec.invoice VALUES ('E', 'N-E', 'C1', 'USD', '2025-02-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('E-1', 'E', 'SETUP', 500.00);
COMMIT;
SELECT pg_temp.credit('CNE', 'E', 200.00, '2025-03-01');
SELECT * FROM pg_temp.on_day('CNE', '2025-03-01');
SELECT * FROM pg_temp.balances('E');

-- credit notes on an in-arrears line and on a usage line
UPDATE revrec.settings SET credit_note_mode = 'cancel';
BEGIN;
INSERT INTO revrec.invoice VALUES ('F', 'N-F', 'C1', 'USD', '2025-02-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, billing, service_start, service_end)
VALUES ('F-1', 'F', 'SUB', 310.00, 'in_arrears', '2025-01-01', '2025-01-31');
COMMIT;
SELECT pg_temp.credit('CNF', 'F', 31.00, '2025-02-10');
SELECT * FROM pg_temp.on_day('CNF', '2025-02-10');
SELECT * FROM pg_temp.balances('F');
BEGIN;
INSERT INTO revrec.invoice VALUES ('G', 'N-G', 'C1', 'USD', '2025-03-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('G-1', 'G', 'API', 100.00, '2025-03-01', '2025-03-31');
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('G-1', '2025-03-05', 30.00);
COMMIT;
SELECT pg_temp.credit('CNG', 'G', 50.00, '2025-03-10');
SELECT entry_date, account, direction, amount FROM revrec.journal_entry WHERE source_id = 'CNG' ORDER BY 1, 2, 3;
SELECT * FROM pg_temp.balances('G');

-- standalone credit line: debit recognized, credit billed on the credit date
BEGIN;
INSERT INTO revrec.credit_note VALUES ('CNS', 'N-S', 'C1', NULL, 'USD', '2025-06-30');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, product_id, amount) VALUES ('CNS-1', 'CNS', 'SUB', 75.00);
COMMIT;
SELECT entry_date, source, account, direction, amount FROM revrec.journal_entry WHERE source_id = 'CNS' ORDER BY 3;

-- voiding a credit note restores the line
UPDATE revrec.credit_note SET status = 'void', void_date = '2025-11-20' WHERE credit_note_id = 'CNB';
SELECT * FROM pg_temp.balances('B');
SELECT * FROM pg_temp.recognized_by_month('B') WHERE month >= '2025-10';
-- posted credit notes are immutable
UPDATE revrec.credit_note SET credit_date = '2025-10-02' WHERE credit_note_id = 'CNA';
UPDATE revrec.credit_note_line SET amount = 1 WHERE credit_note_line_id = 'CNA-1';

-- Period locks (README "Period locks"): lock 2025-12-31, line 2025-12-01..2026-03-31 posted in January:
-- December's recognition is one entry on 2026-01-01, then January-March day by day.
UPDATE revrec.settings SET lock_date = '2025-12-31';
BEGIN;
INSERT INTO revrec.invoice VALUES ('L', 'N-L', 'C1', 'USD', '2025-12-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L-1', 'L', 'SUB', 1210.00, '2025-12-01', '2026-03-31');
COMMIT;
SELECT entry_date, account, direction, amount, narrative FROM revrec.journal_entry
 WHERE source_id = 'L' AND entry_date <= '2026-01-02' ORDER BY 1, 5, 2, 3;
SELECT min(entry_date) AS first_entry, count(*) FILTER (WHERE entry_date < '2026-01-01') AS in_locked_period
  FROM revrec.journal_entry WHERE source_id = 'L';
SELECT * FROM pg_temp.recognized_by_month('L');
-- a report starting on the first open day shows the catch-up (regression: it was dropped)
SELECT entry_date, account, direction, amount FROM revrec.journal_report(from_date => '2026-01-01',
       to_date => '2026-01-01', currency => 'USD', invoice_id => 'L', granularity => 'day');
SELECT entry_date, account, direction, amount FROM revrec.journal_report(from_date => '2026-01-01',
       to_date => '2026-01-31', currency => 'USD', invoice_id => 'L');
-- a credit dated in the locked period shifts to the first open day too
SELECT pg_temp.credit('CNL', 'D', 100.00, '2025-12-15');
SELECT entry_date, account, direction, amount FROM revrec.journal_entry WHERE source_id = 'CNL' ORDER BY 1, 2, 3;
-- nothing can be written into the locked period: manual journals are refused
SELECT revrec.post_manual_journal('2025-12-15', 'into the lock',
  '[{"account":"recognized","direction":"debit","amount":"1.00"},{"account":"deferred","direction":"credit","amount":"1.00"}]', 'USD');
-- ... and so is any row written straight into the ledger
INSERT INTO revrec.posting (customer_id, source, source_id, currency, reason, first_date, last_date, entries)
VALUES ('C1', 'standalone', 'raw', 'USD', 'manual', '2026-01-05', '2026-01-05',
        ARRAY[revrec._d('2025-12-01'), 3, 100, revrec._d('2025-12-01'), 2, -100]);
-- lock_to_accounting_date: revenue earned before the invoice date is caught up on it
UPDATE revrec.settings SET lock_to_accounting_date = true;
BEGIN;
INSERT INTO revrec.invoice VALUES ('M', 'N-M', 'C1', 'USD', '2026-02-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, billing, service_start, service_end)
VALUES ('M-1', 'M', 'SUB', 310.00, 'in_arrears', '2026-01-01', '2026-01-31');
COMMIT;
SELECT entry_date, account, direction, amount FROM revrec.journal_entry WHERE source_id = 'M' ORDER BY 1, 2, 3;
-- moving the lock is logged; moving it back is flagged
UPDATE revrec.settings SET lock_date = '2026-01-31', lock_to_accounting_date = false;
UPDATE revrec.settings SET lock_date = '2025-12-31';
SELECT action, detail FROM revrec.activity_log WHERE action LIKE 'lock%' ORDER BY activity_id;

-- everything balances
SELECT count(*) AS unbalanced_journals FROM (
  SELECT journal_number FROM revrec.journal_entry GROUP BY 1
  HAVING sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) <> 0) j;
