-- Roles: each role can do its part and is refused the rest; nobody
-- can change the ledger; SECURITY DEFINER functions ignore a caller's
-- malicious search_path.
BEGIN;
SELECT plan(26);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_test_reader') THEN CREATE ROLE rr_test_reader; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_test_writer') THEN CREATE ROLE rr_test_writer; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_test_admin') THEN CREATE ROLE rr_test_admin; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_test_nobody') THEN CREATE ROLE rr_test_nobody; END IF;
END $$;
GRANT revrec_reader TO rr_test_reader;
GRANT revrec_writer TO rr_test_writer;
GRANT revrec_admin TO rr_test_admin;
GRANT USAGE, CREATE ON SCHEMA public TO rr_test_writer, rr_test_admin, rr_test_reader, rr_test_nobody;
-- pgTAP lives in public; let every role call it
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC;

INSERT INTO revrec.customer VALUES ('C1', 'Acme');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line');
INSERT INTO revrec.invoice VALUES ('I0', '1000', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L0', 'I0', 'SUB', 1200, '2025-01-01', '2025-12-31');
SET CONSTRAINTS ALL IMMEDIATE;
SET CONSTRAINTS ALL DEFERRED;

-- the writer writes documents, and they post
SET ROLE rr_test_writer;
SELECT lives_ok($$INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-02-01');
                  INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
                  VALUES ('L1', 'I1', 'SUB', 600, '2025-02-01', '2025-07-31');
                  SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED$$, 'writer inserts and posts an invoice');
SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id = 'I1'), 1::bigint, 'writer''s invoice is posted');
SELECT lives_ok($$INSERT INTO revrec.credit_note VALUES ('CN1', 'CN-1', 'C1', 'I1', 'USD', '2025-03-01');
                  INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN1-1', 'CN1', 'L1', 100);
                  SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED$$, 'writer issues a credit note');
SELECT throws_ok($$UPDATE revrec.settings SET lock_date = '2025-01-31'$$, '42501', NULL, 'writer cannot move the lock');
SELECT throws_ok($$UPDATE revrec.settings SET credit_note_mode = 'adjust'$$, '42501', NULL, 'writer cannot change settings');
SELECT throws_ok($$SELECT revrec.post_manual_journal('2025-06-30', 'x', '[{"account":"recognized","direction":"debit","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD')$$,
                 '42501', NULL, 'writer cannot post manual journals');
SELECT throws_ok($$INSERT INTO revrec.posting (customer_id, source, source_id, currency, reason, first_date, last_date, entries)
                   VALUES ('C1', 'standalone', 'x', 'USD', 'manual', '2025-06-01', '2025-06-01', '{9283,3,1,9283,2,-1}')$$,
                 '42501', NULL, 'writer cannot write the ledger directly');
SELECT throws_ok($$UPDATE revrec.posting SET sched_amount = 0$$, '42501', NULL, 'writer cannot update the ledger');
SELECT throws_ok($$INSERT INTO revrec.gl_account_map VALUES ('xero', 'billed', NULL, '610')$$, '42501', NULL, 'writer cannot change GL mappings');
RESET ROLE;

-- the reader reads reports and is refused every write
SET ROLE rr_test_reader;
SELECT ok((SELECT count(*) FROM revrec.journal_report('2025-01-01', '2025-12-31')) > 0, 'reader runs the journal report');
SELECT ok((SELECT count(*) FROM revrec.deferred_revenue('2025-06-30')) > 0, 'reader runs the deferred revenue report');
SELECT ok((SELECT count(*) FROM revrec.waterfall('2025-06-30')) > 0, 'reader runs the waterfall');
SELECT ok((SELECT count(*) FROM revrec.journal_entry) > 0, 'reader reads journal entries');
SELECT throws_ok($$INSERT INTO revrec.customer VALUES ('C9', 'x')$$, '42501', NULL, 'reader cannot insert customers');
SELECT throws_ok($$INSERT INTO revrec.invoice VALUES ('I9', '9', 'C1', 'USD', '2025-01-01')$$, '42501', NULL, 'reader cannot insert invoices');
SELECT throws_ok($$UPDATE revrec.invoice SET status = 'void' WHERE invoice_id = 'I1'$$, '42501', NULL, 'reader cannot void');
RESET ROLE;

-- the admin changes settings, locks and posts manual journals
SET ROLE rr_test_admin;
SELECT lives_ok($$UPDATE revrec.settings SET lock_date = '2025-01-31'$$, 'admin moves the lock forward');
SELECT lives_ok($$UPDATE revrec.settings SET lock_date = '2024-12-31'$$, 'admin moves the lock back');
SELECT ok(revrec.post_manual_journal('2025-06-30', 'Adjustment', '[{"account":"recognized","direction":"debit","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD') LIKE 'MJ-%',
          'admin posts a manual journal');
SELECT throws_ok($$DELETE FROM revrec.posting$$, '42501', NULL, 'admin cannot delete ledger rows');
RESET ROLE;

-- nobody, not even a superuser, updates or deletes the ledger
SELECT throws_ok($$UPDATE revrec.posting SET sched_amount = 0$$, 'RV012', NULL, 'superuser cannot update ledger rows');
SELECT throws_ok($$DELETE FROM revrec.activity$$, 'RV012', NULL, 'superuser cannot delete the activity log');

-- a malicious function earlier in the caller's search_path is not used by
-- SECURITY DEFINER code (it would make every amount zero)
SET ROLE rr_test_writer;
CREATE FUNCTION public.to_minor_units(numeric, text) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
CREATE FUNCTION public.date_trunc(text, timestamptz) RETURNS timestamptz LANGUAGE sql AS $$SELECT '1999-01-01'::timestamptz$$;
CREATE FUNCTION public.upper(text) RETURNS text LANGUAGE sql AS $$SELECT 'hijacked'$$;
CREATE TABLE public.posting (x int);
CREATE TABLE public.settings (lock_date date);
SET search_path = public, revrec, pg_catalog;
SELECT lives_ok($$INSERT INTO revrec.invoice VALUES ('I2', '1002', 'C1', 'USD', '2025-03-01');
                  INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
                  VALUES ('L2', 'I2', 'SUB', 310, '2025-03-01', '2025-03-31');
                  SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED$$, 'posting works with a hostile search_path');
RESET search_path;
RESET ROLE;
SELECT is((SELECT sum(amount) FROM revrec.journal_entry WHERE source_id = 'I2' AND account = 'recognized'), 310.00,
          'the hostile objects were not used: the invoice posted its real amounts');

-- the reader runs the close's checks on a ledger with postings (verify() sums
-- posted entries with an internal function the reader must be able to call)
SET ROLE rr_test_reader;
SELECT lives_ok($$SELECT count(*) FROM revrec.verify()$$, 'reader runs revrec.verify() on posted documents');
SELECT lives_ok($$SELECT count(*) FROM revrec.close_summary('2025-01-01', '2025-12-31', 'USD')$$,
                'reader runs close_summary on posted documents');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
