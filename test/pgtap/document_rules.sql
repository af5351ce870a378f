-- Rules that hold for every document kind (each repro failed on 0.2): the
-- ledger never disagrees with the documents.
BEGIN;
SELECT plan(40);

CREATE FUNCTION pg_temp.flush() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;
    SET CONSTRAINTS ALL DEFERRED;
END $$;
-- balance of one account over an invoice and its credit notes (debit positive)
CREATE FUNCTION pg_temp.bal(p_invoice text, p_account text) RETURNS numeric LANGUAGE sql AS $$
    SELECT coalesce(sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END), 0)
      FROM revrec.journal_entry WHERE invoice_id = p_invoice AND account = p_account $$;

INSERT INTO revrec.customer VALUES ('C1', 'Acme'), ('C2', 'Globex');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line'), ('USE', 'Usage', 'usage'),
                                  ('MS', 'Project', 'milestone');

-- children never move onto or off a posted document ----------------------------
INSERT INTO revrec.invoice VALUES ('IP', 'P-1', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('LPM', 'IP', 'MS', 1000);
INSERT INTO revrec.milestone VALUES ('MP', 'LPM', NULL, 'Kick-off', 1000);
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('LPU', 'IP', 'USE', 500, '2025-01-01', '2025-03-31');
INSERT INTO revrec.invoice VALUES ('ID', 'D-1', 'C1', 'USD', '2025-01-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('LDM', 'ID', 'MS', 5000);
INSERT INTO revrec.milestone VALUES ('MD', 'LDM', NULL, 'Build', 5000);
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('LDU', 'ID', 'USE', 900, '2025-01-01', '2025-03-31');
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('LDU', '2025-01-15', 400);
INSERT INTO revrec.credit_note VALUES ('CNP', 'CN-P', 'C1', 'IP', 'USD', '2025-02-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CNP-1', 'CNP', 'LPU', 50);
INSERT INTO revrec.credit_note VALUES ('CND', 'CN-D', 'C1', 'IP', 'USD', '2025-02-01', 'draft');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CND-1', 'CND', 'LPU', 70);
SELECT pg_temp.flush();
SELECT throws_ok($$UPDATE revrec.milestone SET line_id = 'LPM' WHERE milestone_id = 'MD'$$, 'RV013', NULL,
                 'a draft''s milestone cannot move onto a posted line');
SELECT throws_ok($$UPDATE revrec.usage SET line_id = 'LPU' WHERE line_id = 'LDU'$$, 'RV013', NULL,
                 'a draft''s usage cannot move onto a posted line');
SELECT throws_ok($$UPDATE revrec.credit_note_line SET credit_note_id = 'CNP' WHERE credit_note_line_id = 'CND-1'$$, 'RV013', NULL,
                 'a draft credit note''s line cannot move onto a posted credit note');
SELECT throws_ok($$UPDATE revrec.credit_note_line SET credit_note_id = 'CND' WHERE credit_note_line_id = 'CNP-1'$$, 'RV013', NULL,
                 'a posted credit note''s line cannot move off it');
-- (milestone 1,000 still deferred; the usage line's 500 recognized on service_end, less the credit)
SELECT is(pg_temp.bal('IP', 'deferred'), -1000.00, 'the posted invoice''s deferred balance is unchanged');

-- usage only on usage lines and inside the service period; milestones only on milestone lines
INSERT INTO revrec.invoice VALUES ('IS', 'S-1', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('LS', 'IS', 'SUB', 1200, '2025-01-01', '2025-12-31');
SELECT pg_temp.flush();
SELECT throws_ok($$INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('LS', '2025-02-01', 1000)$$, 'RV014', NULL,
                 'usage on a straight-line line is refused');
SELECT throws_ok($$INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('LPU', '2025-05-31', 10)$$, 'RV014', NULL,
                 'usage dated two months after the service period is refused');
SELECT throws_ok($$INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('LPU', '2024-12-31', 10)$$, 'RV014', NULL,
                 'usage dated before the service period is refused');
SELECT throws_ok($$INSERT INTO revrec.milestone VALUES ('MX', 'LDU', NULL, 'x', 1)$$, 'RV014', NULL,
                 'a milestone on a usage line is refused');
SELECT throws_ok($$UPDATE revrec.usage SET usage_date = '2026-01-01' WHERE line_id = 'LDU'$$, 'RV014', NULL,
                 'usage moved outside its line''s period is refused');
SELECT throws_ok($$UPDATE revrec.invoice_line SET recognition_method = 'straight_line' WHERE line_id = 'LDU'$$, 'RV014', NULL,
                 'a draft line with usage cannot stop being a usage line');
SELECT lives_ok($$INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('LPU', '2025-03-31', 10); SELECT pg_temp.flush()$$,
                'usage on the last day of the period posts');
SELECT is(pg_temp.bal('IS', 'recognized'), -1200.00, 'the straight-line line recognizes its 1,200 and nothing more');

-- a void reverses what is left: invoice plus its credit notes net to zero ------
INSERT INTO revrec.invoice VALUES ('IV', 'V-1', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('LV', 'IV', 'SUB', 1200, '2025-01-01', '2025-12-31');
SELECT pg_temp.flush();
INSERT INTO revrec.credit_note VALUES ('CNV', 'CN-V', 'C1', 'IV', 'USD', '2025-04-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CNV-1', 'CNV', 'LV', 300);
SELECT pg_temp.flush();
UPDATE revrec.invoice SET status = 'void', void_date = '2025-06-15' WHERE invoice_id = 'IV';
SELECT pg_temp.flush();
SELECT is(pg_temp.bal('IV', 'billed'), 0.00, 'after the void, billed nets to zero over the invoice and its credit note');
SELECT is(pg_temp.bal('IV', 'recognized'), 0.00, 'after the void, recognized nets to zero');
SELECT is(pg_temp.bal('IV', 'deferred'), 0.00, 'after the void, deferred nets to zero');
SELECT lives_ok($$UPDATE revrec.credit_note SET status = 'void', void_date = '2025-07-01' WHERE credit_note_id = 'CNV'; SELECT pg_temp.flush()$$,
                'voiding the credit note of a void invoice afterwards is accepted');
SELECT is(pg_temp.bal('IV', 'billed') || ' ' || pg_temp.bal('IV', 'recognized'), '0.00 0.00', '... and reverses nothing twice');
SELECT throws_ok($$INSERT INTO revrec.credit_note VALUES ('CNV2', 'CN-V2', 'C1', 'IV', 'USD', '2025-08-01');
                   INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CNV2-1', 'CNV2', 'LV', 1);
                   SELECT pg_temp.flush()$$, 'RV014', NULL, 'a void invoice cannot be credited');

-- a billing schedule line is billed once, by an invoice of its customer and currency
INSERT INTO revrec.billing_schedule_line VALUES ('BS1', 'C1', 'SUB', 'USD', 1200, '2025-01-01', '2025-12-31');
INSERT INTO revrec.invoice VALUES ('IB1', 'B-1', 'C1', 'USD', '2025-12-31');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, schedule_line_id)
VALUES ('LB1', 'IB1', 'SUB', 1200, '2025-01-01', '2025-12-31', 'BS1');
SELECT pg_temp.flush();
SELECT throws_ok($$INSERT INTO revrec.invoice VALUES ('IB2', 'B-2', 'C1', 'USD', '2025-12-31');
                   INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, schedule_line_id)
                   VALUES ('LB2', 'IB2', 'SUB', 1200, '2025-01-01', '2025-12-31', 'BS1'); SELECT pg_temp.flush()$$,
                 'RV014', NULL, 'a billing schedule line billed a second time is refused');
SELECT throws_ok($$INSERT INTO revrec.invoice VALUES ('IB3', 'B-3', 'C2', 'EUR', '2025-12-31');
                   INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, schedule_line_id)
                   VALUES ('LB3', 'IB3', 'SUB', 1200, '2025-01-01', '2025-12-31', 'BS1'); SELECT pg_temp.flush()$$,
                 'RV014', NULL, 'another customer''s EUR invoice cannot bill the schedule line');

-- an issued invoice cannot post half -------------------------------------------
SAVEPOINT half;
INSERT INTO revrec.invoice VALUES ('IH', 'H-1', 'C1', 'USD', '2025-01-01');
SELECT throws_ok($$SELECT pg_temp.flush()$$, 'RV014', NULL, 'an issued invoice without lines at commit is refused');
ROLLBACK TO SAVEPOINT half;
SAVEPOINT half2;
INSERT INTO revrec.credit_note VALUES ('CNH', 'CN-H', 'C1', 'IP', 'USD', '2025-02-01');
SELECT throws_ok($$SELECT pg_temp.flush()$$, 'RV014', NULL, 'an issued credit note without lines at commit is refused');
ROLLBACK TO SAVEPOINT half2;
SELECT lives_ok($$INSERT INTO revrec.invoice VALUES ('IH2', 'H-2', 'C1', 'USD', '2025-01-01', 'draft'); SELECT pg_temp.flush()$$,
                'a draft invoice without lines is fine');

-- numbers are unique -------------------------------------------------------------
SELECT throws_ok($$INSERT INTO revrec.invoice VALUES ('IP-retry', 'P-1', 'C1', 'USD', '2025-01-01')$$, '23505', NULL,
                 'an invoice number used twice is refused (a retried sync cannot post twice)');
SELECT throws_ok($$INSERT INTO revrec.credit_note VALUES ('CNP-retry', 'CN-P', 'C1', 'IP', 'USD', '2025-02-01')$$, '23505', NULL,
                 'a credit note number used twice is refused');

-- credit grants are money like any other, and fixed once drawn -----------------
SELECT throws_ok($$INSERT INTO revrec.credit_grant VALUES ('GN', 'C1', 'USD', 'NaN', '2025-01-01')$$, 'RV003', NULL, 'a NaN grant is refused');
SELECT throws_ok($$INSERT INTO revrec.credit_grant VALUES ('GI', 'C1', 'USD', 'Infinity', '2025-01-01')$$, NULL, NULL, 'an infinite grant is refused');
SELECT throws_ok($$INSERT INTO revrec.credit_grant VALUES ('GD', 'C1', 'USD', 10.001, '2025-01-01')$$, 'RV002', NULL, 'a grant with too many decimals is refused');
INSERT INTO revrec.credit_grant VALUES ('G1', 'C1', 'USD', 100, '2025-01-01');
INSERT INTO revrec.invoice VALUES ('IG', 'G-1', 'C1', 'USD', '2025-02-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('LG', 'IG', 'SUB', 300, '2025-02-01', '2025-04-30');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id, grant_id)
VALUES ('LG-c', 'IG', 'SUB', -100, 'credit_usage', 'LG', 'G1');
SELECT pg_temp.flush();
SELECT throws_ok($$UPDATE revrec.credit_grant SET amount = 1000 WHERE grant_id = 'G1'$$, 'RV013', NULL, 'a drawn grant''s amount cannot change');
SELECT throws_ok($$UPDATE revrec.credit_grant SET expires_on = '2025-01-15' WHERE grant_id = 'G1'$$, 'RV013', NULL, 'a drawn grant''s dates cannot change');

-- identifiers ----------------------------------------------------------------------
SELECT throws_ok($$INSERT INTO revrec.customer VALUES ('', 'Nobody')$$, '23514', NULL, 'an empty customer id is refused');
SELECT throws_ok($$INSERT INTO revrec.invoice VALUES ('', 'E-1', 'C1', 'USD', '2025-01-01', 'draft')$$, '23514', NULL, 'an empty invoice id is refused');
SELECT throws_ok(format($$INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES (%L, 'IH2', 'SUB', 1)$$, repeat('x', 3000)),
                 '23514', NULL, 'an over-long line id is refused at INSERT');
INSERT INTO revrec.invoice VALUES ('IC', 'C-1', 'C1', 'USD', '2025-01-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end) VALUES ('LC', 'IC', 'USE', 100, '2025-01-01', '2025-01-31');
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('LC', '2025-01-10', 10);
UPDATE revrec.invoice SET customer_id = 'C2' WHERE invoice_id = 'IC';
SELECT is((SELECT string_agg(DISTINCT customer_id, ',') FROM (SELECT customer_id FROM revrec.invoice_line WHERE invoice_id = 'IC'
                                                               UNION ALL SELECT customer_id FROM revrec.usage WHERE line_id = 'LC') x),
          'C2', 'a draft invoice''s change of customer carries to its lines and their usage');
WITH i AS (INSERT INTO revrec.invoice VALUES ('ICTE', 'CTE-1', 'C1', 'USD', '2025-01-01') RETURNING invoice_id)
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
SELECT 'LCTE', invoice_id, 'SUB', 100, '2025-01-01', '2025-01-31' FROM i;
SELECT is((SELECT customer_id FROM revrec.invoice_line WHERE line_id = 'LCTE'), 'C1',
          'a line inserted in one statement with its invoice gets the invoice''s customer');
SELECT lives_ok($$SELECT pg_temp.flush()$$, '... and posts');

-- errors say what is wrong ---------------------------------------------------------
SELECT throws_ok($$INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
                   VALUES ('LE', 'IH2', 'SUB', 1, '2025-02-01', '2025-01-01')$$, '23514',
                 'new row for relation "invoice_line" violates check constraint "invoice_line_service_end_not_before_start"',
                 'end before start names the rule');
SELECT throws_ok($$INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind) VALUES ('LE', 'IH2', 'SUB', 1, 'discount')$$, '23514',
                 'new row for relation "invoice_line" violates check constraint "invoice_line_discount_kinds_negative"',
                 'a positive discount names the rule');
SELECT throws_ok($$INSERT INTO revrec.credit_note_line VALUES ('CNX', 'CND', NULL, 'LPU', NULL, -5)$$, '23514',
                 'new row for relation "credit_note_line" violates check constraint "credit_note_line_amount_positive"',
                 'a negative credit names the rule');

SELECT * FROM finish();
ROLLBACK;
