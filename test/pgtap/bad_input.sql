-- Bad input (README "Errors"): a table of bad inputs; each must fail with its
-- SQLSTATE and leave documents and ledger exactly as they were.
BEGIN;
SELECT plan(164);

INSERT INTO revrec.customer VALUES ('C1', 'Acme'), ('C2', 'Globex');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line'), ('SETUP', 'Setup', 'point_in_time'),
                                  ('API', 'API', 'usage'), ('PS', 'Project', 'milestone');
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L1', 'I1', 'SUB', 1200.00, '2025-01-01', '2025-12-31');
INSERT INTO revrec.invoice VALUES ('I2', '1002', 'C1', 'USD', '2025-03-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L2', 'I2', 'API', 100.00, '2025-03-01', '2025-03-31');
INSERT INTO revrec.invoice VALUES ('I3', '1003', 'C1', 'JPY', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('L3', 'I3', 'SETUP', 1000);
INSERT INTO revrec.invoice VALUES ('I4', '1004', 'C1', 'USD', '2025-01-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('L4', 'I4', 'PS', 500.00);
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount) VALUES ('M4', 'L4', 'All', 500.00);
INSERT INTO revrec.invoice VALUES ('I5', '1005', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('L5', 'I5', 'PS', 500.00);
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount) VALUES ('M5', 'L5', 'All', 500.00);
INSERT INTO revrec.credit_grant VALUES ('G1', 'C1', 'USD', 100.00, '2025-01-01', '2025-06-30');
SET CONSTRAINTS ALL IMMEDIATE;
SET CONSTRAINTS ALL DEFERRED;
UPDATE revrec.settings SET lock_date = '2024-12-31';

-- everything a bad statement could have touched
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
  SELECT md5(concat_ws('|',
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.customer t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.product t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.invoice t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.invoice_line t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.usage t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.milestone t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.credit_note t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.credit_note_line t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.credit_grant t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.billing_schedule_line t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.posting t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.activity t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.settings t),
    (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM revrec.pending t))) $$;

-- run one bad input: it must fail with the SQLSTATE and change nothing
CREATE FUNCTION pg_temp.bad(stmt text, state text, what text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    before text := pg_temp.fingerprint();
BEGIN
    -- posting happens at commit: make it happen inside the checked statement
    RETURN NEXT throws_ok(stmt || '; SET CONSTRAINTS ALL IMMEDIATE', state, NULL, what || ' -> ' || state);
    SET CONSTRAINTS ALL DEFERRED;
    RETURN NEXT is(pg_temp.fingerprint(), before, what || ': nothing changed');
END $$;

SELECT pg_temp.bad(stmt, state, what) FROM (VALUES
  -- currencies and amounts
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'XYZ', '2025-01-01')$$, '23503', 'unknown currency on an invoice'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'usd', '2025-01-01')$$, '23503', 'lower-case currency code'),
  ($$SELECT revrec.schedule(100, '2025-01-01', '2025-01-31', currency => 'XYZ')$$, 'RV001', 'unknown currency in schedule'),
  ($$SELECT revrec.to_minor_units(1.001, 'USD')$$, 'RV002', 'three decimals in USD'),
  ($$SELECT revrec.to_minor_units(1.5, 'JPY')$$, 'RV002', 'decimals in JPY'),
  ($$SELECT revrec.to_minor_units(1.0001, 'BHD')$$, 'RV002', 'four decimals in BHD'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'SETUP', 10.005)$$, 'RV002', 'line amount with too many decimals'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'JPY', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'SETUP', 10.5)$$, 'RV002', 'yen line with decimals'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'SETUP', 1e20)$$, 'RV003', 'huge line amount'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'SETUP', 'NaN')$$, 'RV003', 'NaN line amount'),
  ($$SELECT revrec.schedule(92233720368547758.08, '2025-01-01', '2025-01-31')$$, 'RV003', 'amount just past int64 cents'),
  ($$SELECT revrec.schedule('-Infinity', '2025-01-01', '2025-01-31')$$, 'RV003', 'infinite amount'),
  -- periods and dates
  ($$SELECT revrec.schedule(100, '2025-02-01', '2025-01-31')$$, 'RV004', 'end before start'),
  ($$SELECT revrec.schedule(100, NULL, '2025-01-31')$$, 'RV004', 'null start'),
  ($$SELECT revrec.schedule(100, '2025-01-01', 'infinity')$$, 'RV004', 'infinite end'),
  ($$SELECT revrec.schedule(100, '4713-01-01 BC', '5874897-12-31')$$, 'RV004', 'dates at PostgreSQL''s limits, too long'),
  ($$SELECT revrec.schedule(100, '2025-01-01', '2025-12-31', 'weekly')$$, 'RV005', 'unknown strategy'),
  ($$SELECT revrec.schedule(NULL, '2025-01-01', '2025-12-31')$$, 'RV006', 'null amount'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end) VALUES ('X1', 'X', 'SUB', 10, '2025-02-01', '2025-01-01')$$, '23514', 'line period ending before it starts'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'SUB', 10)$$, 'RV004', 'straight-line line without a period'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', NULL)$$, '23502', 'invoice without an accounting date'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', 'infinity')$$, '23514', 'invoice dated infinity'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on) VALUES ('X1', 'X', 'SETUP', 10, '-infinity')$$, '23514', 'recognized on -infinity'),
  ($$SELECT revrec.post_manual_journal('infinity', 'x', '[{"account":"recognized","direction":"debit","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD')$$, 'RV006', 'manual journal dated infinity'),
  ($$INSERT INTO revrec.billing_schedule_line VALUES ('B', 'C1', 'SUB', 'USD', 10, '2025-02-01', '2025-01-01')$$, '23514', 'billing schedule ending before it starts'),
  ($$SELECT * FROM revrec.journal_report('2025-02-01', '2025-01-01')$$, 'RV004', 'report range backwards'),
  ($$SELECT * FROM revrec.journal_report('2025-01-01', '2025-01-31', granularity => 'week')$$, 'RV006', 'unknown granularity'),
  -- unknown or mismatched references
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'NOBODY', 'USD', '2025-01-01')$$, '23503', 'unknown customer'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'NOPE', 10)$$, '23503', 'unknown product'),
  ($$INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'NOINV', 'SETUP', 10)$$, '23503', 'line of an unknown invoice'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount) VALUES ('X1', 'X', 'C2', 'SETUP', 10)$$, 'RV014', 'line of another customer'),
  ($$INSERT INTO revrec.invoice VALUES ('I1', 'dup', 'C1', 'USD', '2025-01-01')$$, '23505', 'replaying an invoice insert'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01', 'paid')$$, '23514', 'unknown status'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind) VALUES ('X1', 'X', 'SETUP', 10, 'bonus')$$, '23514', 'unknown line kind'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id) VALUES ('X1', 'X', 'SETUP', 10, 'discount', 'X1')$$, '23514', 'positive discount'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id) VALUES ('X1', 'X', 'SETUP', -10, 'discount', 'NOPE')$$, 'RV014', 'discount naming no charge'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, kind) VALUES ('X1', 'X', -10, 'invoice_discount')$$, 'RV014', 'invoice discount with nothing to discount'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognition_method) VALUES ('X1', 'X', 'SETUP', 10, 'magic')$$, '23514', 'unknown recognition method'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'PS', 10)$$, 'RV014', 'milestone line without milestones'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'API', 10)$$, 'RV004', 'usage line without service_end'),
  ($$INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('L2', '2025-03-02', 100.01)$$, 'RV014', 'usage over the line amount'),
  ($$UPDATE revrec.invoice SET status = 'void', void_date = '2025-02-28' WHERE invoice_id = 'I2'$$, 'RV014', 'invoice voided before its accounting date'),
  ($$INSERT INTO revrec.credit_note VALUES ('CX', 'cx', 'C1', 'I1', 'USD', '2025-02-01');
     INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CX1', 'CX', 'L1', 10);
     UPDATE revrec.credit_note SET status = 'void', void_date = '2025-01-31' WHERE credit_note_id = 'CX'$$, 'RV014', 'credit note voided before its credit date'),
  ($$INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('L2', '2025-03-02', 0.001)$$, 'RV002', 'usage with too many decimals'),
  ($$INSERT INTO revrec.milestone (milestone_id, line_id, name, amount) VALUES ('M9', 'L1', 'late', 1)$$, 'RV013', 'milestone added to a posted invoice'),
  ($$UPDATE revrec.milestone SET amount = 400 WHERE milestone_id = 'M5'$$, 'RV013', 'milestone amount changed after posting'),
  ($$UPDATE revrec.invoice SET status = 'issued' WHERE invoice_id = 'I4';
     UPDATE revrec.milestone SET amount = 400 WHERE milestone_id = 'M4'$$, 'RV014', 'milestones no longer summing to the line when it posts'),
  -- posted documents and the ledger
  ($$UPDATE revrec.invoice SET accounting_date = '2025-01-02' WHERE invoice_id = 'I1'$$, 'RV013', 'changing a posted invoice''s date'),
  ($$UPDATE revrec.invoice SET currency = 'EUR' WHERE invoice_id = 'I1'$$, 'RV013', 'changing a posted invoice''s currency'),
  ($$UPDATE revrec.invoice_line SET amount = 1 WHERE line_id = 'L1'$$, 'RV013', 'changing a posted line''s amount'),
  ($$DELETE FROM revrec.invoice_line WHERE line_id = 'L1'$$, 'RV013', 'deleting a posted line'),
  ($$UPDATE revrec.invoice SET status = 'draft' WHERE invoice_id = 'I1'$$, 'RV013', 'un-issuing a posted invoice'),
  ($$INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'I1', 'SETUP', 10)$$, 'RV013', 'line added to a posted invoice'),
  ($$UPDATE revrec.invoice_line SET invoice_id = 'I1' WHERE line_id = 'L4'$$, 'RV013', 'draft line moved onto a posted invoice'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-01-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'SETUP', 10);
     SELECT revrec.flush();
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X2', 'X', 'SETUP', 5)$$, 'RV013', 'line added to an invoice the same transaction posted'),
  ($$UPDATE revrec.invoice SET status = 'void' WHERE invoice_id = 'I1';
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'I1', 'SETUP', 10)$$, 'RV013', 'line added to a posted invoice being voided'),
  ($$UPDATE revrec.posting SET sched_amount = 1$$, 'RV012', 'updating the ledger'),
  ($$DELETE FROM revrec.posting$$, 'RV012', 'deleting the ledger'),
  ($$TRUNCATE revrec.posting$$, 'RV012', 'truncating the ledger'),
  -- credit grants
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-02-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'SETUP', 200);
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id, grant_id) VALUES ('X2', 'X', 'SETUP', -150, 'credit_usage', 'X1', 'G1')$$, 'RV021', 'drawing more than the grant'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C1', 'USD', '2025-08-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'SETUP', 200);
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id, grant_id) VALUES ('X2', 'X', 'SETUP', -10, 'credit_usage', 'X1', 'G1')$$, 'RV021', 'drawing on an expired grant'),
  ($$INSERT INTO revrec.invoice VALUES ('X', 'x', 'C2', 'USD', '2025-02-01');
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('X1', 'X', 'SETUP', 200);
     INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id, grant_id) VALUES ('X2', 'X', 'SETUP', -10, 'credit_usage', 'X1', 'G1')$$, 'RV021', 'drawing on another customer''s grant'),
  ($$INSERT INTO revrec.credit_grant VALUES ('G9', 'C1', 'USD', -5, '2025-01-01', NULL)$$, '23514', 'negative grant'),
  -- credit notes
  ($$INSERT INTO revrec.credit_note VALUES ('N', 'n', 'C1', 'I1', 'USD', '2025-06-01');
     INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('N1', 'N', 'L1', 1200.01)$$, 'RV020', 'over-credit'),
  ($$INSERT INTO revrec.credit_note VALUES ('N', 'n', 'C1', 'I1', 'USD', '2025-06-01');
     INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('N1', 'N', 'L1', 0)$$, '23514', 'zero credit'),
  ($$INSERT INTO revrec.credit_note VALUES ('N', 'n', 'C1', 'I1', 'USD', '2024-12-31');
     INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('N1', 'N', 'L1', 10)$$, 'RV014', 'credit dated before the invoice'),
  ($$INSERT INTO revrec.credit_note VALUES ('N', 'n', 'C1', 'I1', 'EUR', '2025-06-01');
     INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('N1', 'N', 'L1', 10)$$, 'RV014', 'credit in another currency'),
  ($$INSERT INTO revrec.credit_note VALUES ('N', 'n', 'C1', 'I4', 'USD', '2025-06-01');
     INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('N1', 'N', 'L4', 10)$$, 'RV014', 'credit on a draft invoice'),
  -- manual journals and locks
  ($$SELECT revrec.post_manual_journal('2025-06-30', 'x', '[{"account":"recognized","direction":"debit","amount":"10"},{"account":"deferred","direction":"credit","amount":"9.99"}]', 'USD')$$, 'RV010', 'unbalanced manual journal'),
  ($$SELECT revrec.post_manual_journal('2025-06-30', 'x', '{"account":"recognized"}', 'USD')$$, 'RV006', 'manual journal lines not an array'),
  ($$SELECT revrec.post_manual_journal('2025-06-30', 'x', '[{"account":"recognized","direction":"debit"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD')$$, 'RV006', 'manual journal line without amount'),
  ($$SELECT revrec.post_manual_journal('2025-06-30', 'x', '[{"account":"recognized","direction":"up","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD')$$, 'RV006', 'manual journal with a bad direction'),
  ($$SELECT revrec.post_manual_journal('2025-06-30', 'x', '[{"account":"recognized","direction":"debit","amount":"ten"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD')$$, 'RV006', 'manual journal with a non-numeric amount'),
  ($$SELECT revrec.post_manual_journal('2025-06-30', 'x', '[{"account":"recognized","direction":"debit","amount":"-1"},{"account":"deferred","direction":"credit","amount":"-1"}]', 'USD')$$, 'RV006', 'manual journal with negative amounts'),
  ($$SELECT revrec.post_manual_journal('2025-06-30', 'x', '[{"account":"nope","direction":"debit","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD')$$, 'RV006', 'manual journal to an unknown account'),
  ($$SELECT revrec.post_manual_journal('2025-06-30', 'x', '[{"account":"recognized","direction":"debit","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]', 'XYZ')$$, 'RV001', 'manual journal in an unknown currency'),
  ($$SELECT revrec.post_manual_journal('2024-12-15', 'x', '[{"account":"recognized","direction":"debit","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD')$$, 'RV011', 'manual journal into the locked period'),
  ($$SELECT revrec.post_manual_journal(NULL, 'x', '[{"account":"recognized","direction":"debit","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD')$$, 'RV006', 'manual journal without a date'),
  ($$INSERT INTO revrec.posting (customer_id, source, source_id, currency, reason, first_date, last_date, entries)
     VALUES ('C1', 'standalone', 'raw', 'USD', 'manual', '2025-01-01', '2025-01-01', ARRAY[revrec._d('2024-12-01'), 3, 1, revrec._d('2024-12-01'), 2, -1])$$, 'RV011', 'raw ledger row into the lock'),
  ($$INSERT INTO revrec.posting (customer_id, source, source_id, currency, reason, first_date, last_date, entries)
     VALUES ('C1', 'standalone', 'raw', 'USD', 'manual', '2025-01-01', '2025-01-01', ARRAY[revrec._d('2025-02-01'), 3, 1, revrec._d('2025-02-01'), 2, -2])$$, 'RV010', 'raw unbalanced ledger row'),
  ($$UPDATE revrec.settings SET allocation_strategy = 'weekly'$$, '23514', 'unknown strategy setting'),
  ($$UPDATE revrec.settings SET credit_note_mode = 'refund'$$, '23514', 'unknown credit note mode')
) AS t(stmt, state, what);

SELECT * FROM finish();
ROLLBACK;
