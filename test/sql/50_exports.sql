-- GL exports: byte-exact CSV of a small company in each format.
DROP EXTENSION revrec CASCADE;
CREATE EXTENSION revrec;
SET client_min_messages = warning;
\set SHOW_CONTEXT never

INSERT INTO revrec.customer VALUES ('C1', 'Acme Ltd'), ('C2', 'Globex, "Intl" Inc.');
INSERT INTO revrec.product (product_id, name, recognition_method) VALUES
  ('SUB', 'Annual subscription', 'straight_line'), ('API', 'API calls', 'usage'),
  ('SETUP', 'Setup fee', 'point_in_time');
INSERT INTO revrec.gl_account_map (target, account_code, product_id, external_account) VALUES
  ('xero', 'billed', NULL, '610'), ('xero', 'deferred', NULL, '820'),
  ('xero', 'recognized', NULL, '200'), ('xero', 'unbilled', NULL, '630'),
  ('xero', 'recognized', 'SETUP', '210'),            -- product override
  ('quickbooks', 'billed', NULL, 'Accounts Receivable (A/R)'), ('quickbooks', 'deferred', NULL, 'Deferred Revenue'),
  ('quickbooks', 'recognized', NULL, 'Sales:Subscriptions'), ('quickbooks', 'unbilled', NULL, 'Unbilled Receivables'),
  ('quickbooks', 'recognized', 'SETUP', 'Sales:Services'),
  ('netsuite', 'billed', NULL, '1200 Billed Revenue'), ('netsuite', 'deferred', NULL, '2400 Deferred Revenue'),
  ('netsuite', 'recognized', NULL, '4000 Revenue'), ('netsuite', 'unbilled', NULL, '1250 Unbilled Revenue'),
  ('netsuite', 'recognized', 'SETUP', '4100 Services Revenue');
UPDATE revrec.settings SET netsuite_subsidiary = 'Parent Company';

-- billed -> deferred -> recognized: $1,200 a year in advance
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV1', '1001', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('INV1-1', 'INV1', 'SUB', 1200.00, '2025-01-01', '2025-12-31');
COMMIT;
-- unbilled -> recognized, then billed -> unbilled: usage billed in arrears on Feb 28
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV2', '1002', 'C2', 'USD', '2025-02-28');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, billing, service_start, service_end)
VALUES ('INV2-1', 'INV2', 'API', 100.00, 'in_arrears', '2025-01-01', '2025-02-28');
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES
  ('INV2-1', '2025-01-20', 30.00), ('INV2-1', '2025-02-10', 50.00);
COMMIT;
-- a credit note: $300 off INV1 on March 1 (cancel mode)
BEGIN;
INSERT INTO revrec.credit_note VALUES ('CN1', 'CN-0001', 'C1', 'INV1', 'USD', '2025-03-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN1-1', 'CN1', 'INV1-1', 300.00);
COMMIT;
-- a lock shift: January is closed, a setup fee dated Jan 15 is caught up on Feb 1
UPDATE revrec.settings SET lock_date = '2025-01-31';
BEGIN;
INSERT INTO revrec.invoice VALUES ('INV3', '1003', 'C2', 'USD', '2025-01-15');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on)
VALUES ('INV3-1', 'INV3', 'SETUP', 250.00, '2025-01-15');
COMMIT;

-- Sequence, by month and by day around the catch-up and the credit note
COPY (SELECT * FROM revrec.export_sequence(from_date => '2025-01-01', to_date => '2025-03-31', granularity => 'month')) TO STDOUT (FORMAT csv, HEADER);
COPY (SELECT * FROM revrec.export_sequence(from_date => '2025-02-28', to_date => '2025-03-01')) TO STDOUT (FORMAT csv, HEADER);
COPY (SELECT * FROM revrec.export_sequence(from_date => '2025-02-01', to_date => '2025-02-01', customer_id => 'C2')) TO STDOUT (FORMAT csv, HEADER);
-- Xero refuses until its tax rate is chosen (RV030: no default name exists in every organisation)
COPY (SELECT * FROM revrec.export_xero(from_date => '2025-01-01', to_date => '2025-03-31')) TO STDOUT (FORMAT csv, HEADER);
UPDATE revrec.settings SET xero_tax_rate = 'BAS Excluded';
-- Xero: signed amounts, grouped by narration and date
COPY (SELECT * FROM revrec.export_xero(from_date => '2025-01-01', to_date => '2025-03-31')) TO STDOUT (FORMAT csv, HEADER);
-- Xero by day, with a setting's date format and tax rate
UPDATE revrec.settings SET xero_date_format = 'DD Mon YYYY', xero_tax_rate = 'Tax Exempt';
COPY (SELECT * FROM revrec.export_xero(from_date => '2025-02-28', to_date => '2025-03-01', granularity => 'day')) TO STDOUT (FORMAT csv, HEADER);
-- QuickBooks
COPY (SELECT * FROM revrec.export_quickbooks(from_date => '2025-01-01', to_date => '2025-03-31')) TO STDOUT (FORMAT csv, HEADER);
-- NetSuite
COPY (SELECT * FROM revrec.export_netsuite(from_date => '2025-01-01', to_date => '2025-03-31')) TO STDOUT (FORMAT csv, HEADER);

-- every journal balances, in every format
SELECT 'xero' AS format, count(*) AS journals, count(*) FILTER (WHERE s <> 0) AS unbalanced
  FROM (SELECT sum("*Amount"::numeric) s FROM revrec.export_xero('2025-01-01', '2025-03-31') GROUP BY "*Narration", "*Date") x
UNION ALL
SELECT 'quickbooks', count(*), count(*) FILTER (WHERE s <> 0)
  FROM (SELECT sum(coalesce("Debits"::numeric, 0) - coalesce("Credits"::numeric, 0)) s
          FROM revrec.export_quickbooks('2025-01-01', '2025-03-31') GROUP BY "Journal No.") x
UNION ALL
SELECT 'netsuite', count(*), count(*) FILTER (WHERE s <> 0)
  FROM (SELECT sum(coalesce("Debit"::numeric, 0) - coalesce("Credit"::numeric, 0)) s
          FROM revrec.export_netsuite('2025-01-01', '2025-03-31') GROUP BY "External ID") x;

-- a missing mapping is an error naming the account and product (RV016)
DELETE FROM revrec.gl_account_map WHERE target = 'quickbooks' AND account_code = 'unbilled';
DO $$ BEGIN
  PERFORM * FROM revrec.export_quickbooks('2025-01-01', '2025-03-31');
EXCEPTION WHEN OTHERS THEN RAISE WARNING '% %', SQLSTATE, SQLERRM;
END $$;
-- ... and not when the range does not touch it
SELECT count(*) FROM revrec.export_quickbooks('2025-03-01', '2025-03-31');
-- the product override alone does not cover other products
DELETE FROM revrec.gl_account_map WHERE target = 'xero' AND account_code = 'recognized' AND product_id IS NULL;
DO $$ BEGIN
  PERFORM * FROM revrec.export_xero('2025-01-01', '2025-03-31');
EXCEPTION WHEN OTHERS THEN RAISE WARNING '% %', SQLSTATE, SQLERRM;
END $$;
SELECT count(*) FROM revrec.export_xero('2025-01-01', '2025-03-31', product_id => 'SETUP');
-- bad arguments
SELECT * FROM revrec.export_netsuite('2025-03-31', '2025-01-01');
SELECT * FROM revrec.export_netsuite('2025-01-01', '2025-03-31', granularity => 'week');

-- export_to_files: Xero's 300-line limit on a month of daily journals
UPDATE revrec.settings SET xero_date_format = 'DD/MM/YYYY', xero_tax_rate = 'No VAT';
INSERT INTO revrec.gl_account_map (target, account_code, external_account) VALUES
  ('xero', 'recognized', '200'), ('quickbooks', 'unbilled', 'Unbilled Receivables');
SELECT regexp_replace(file_name, '^.*/(.*)_[0-9]{8}T[0-9]{12}-[0-9a-f]{6}_', '\1_<run>_') AS file, rows, sha256
  FROM revrec.export_to_files('xero', current_setting('data_directory'), '2025-01-01', '2025-03-31', granularity => 'day');
SELECT regexp_replace(file_name, '^.*/(.*)_[0-9]{8}T[0-9]{12}-[0-9a-f]{6}_', '\1_<run>_') AS file, rows, sha256
  FROM revrec.export_to_files('netsuite', current_setting('data_directory'), '2025-01-01', '2025-03-31');
-- a smaller limit: journals are never split, a journal over the limit goes alone with a WARNING
SELECT regexp_replace(file_name, '^.*/(.*)_[0-9]{8}T[0-9]{12}-[0-9a-f]{6}_', '\1_<run>_') AS file, rows
  FROM revrec.export_to_files('quickbooks', current_setting('data_directory'), '2025-01-01', '2025-03-31', max_rows => 3);
-- only revrec_admin or pg_write_server_files may write server files (42501)
CREATE ROLE revrec_test_reader;
GRANT revrec_reader TO revrec_test_reader;
SET ROLE revrec_test_reader;
SELECT count(*) FROM revrec.export_sequence('2025-01-01', '2025-01-31');
DO $$ BEGIN
  PERFORM * FROM revrec.export_to_files('sequence', '/tmp', '2025-01-01', '2025-01-31');
EXCEPTION WHEN OTHERS THEN RAISE WARNING '% %', SQLSTATE, SQLERRM;
END $$;
RESET ROLE;
DROP ROLE revrec_test_reader;
