-- GL import rules (issue 17): files a GL imports unedited.  Xero's tax rate,
-- 2 decimals with every journal balancing, identifiers that name one
-- content, field limits, formula neutralization, file sets that never
-- overwrite or mix, the export log; and the close: rollforwards,
-- close_summary, close_period.
DROP EXTENSION revrec CASCADE;
CREATE EXTENSION revrec;
SET client_min_messages = warning;
\set SHOW_CONTEXT never

INSERT INTO revrec.customer VALUES ('C1', 'Acme Ltd'), ('K1', '=HYPERLINK("http://x")'), ('E1', 'Euro GmbH');
INSERT INTO revrec.product (product_id, name, recognition_method) VALUES
  ('SUB', 'Subscription', 'straight_line'), ('SETUP', '+Setup fee', 'point_in_time');
INSERT INTO revrec.gl_account_map (target, account_code, external_account)
SELECT t, a, CASE t WHEN 'xero' THEN '8' || i ELSE initcap(a) END
  FROM unnest(ARRAY['xero', 'quickbooks', 'netsuite']) t,
       unnest(ARRAY['billed', 'deferred', 'recognized', 'unbilled']) WITH ORDINALITY u(a, i);
UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt';
BEGIN;
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2026-10-01'), ('K1', 'K-1', 'K1', 'KWD', '2026-10-01'),
  ('E1', 'E-1', 'E1', 'EUR', '2026-10-05');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end) VALUES
  ('I1-1', 'I1', 'SUB', 1200.00, '2026-10-01', '2027-09-30'),
  ('K1-1', 'K1', 'SUB', 1618.601, '2026-10-01', '2027-09-30'),
  ('E1-1', 'E1', 'SUB', 999.99, '2026-10-05', '2027-10-04');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on) VALUES
  ('K1-2', 'K1', 'SETUP', 134.867, '2026-10-20');
COMMIT;

-- 1. two decimals: a KWD ledger exports 2 decimals, each journal still balances
-- (a 3-decimal manual journal whose rounded lines would not balance: its
-- largest line takes the difference)
SELECT revrec.post_manual_journal('2026-10-31', 'KWD rounding case',
  '[{"account":"billed","direction":"debit","amount":"10.005"},
    {"account":"deferred","direction":"credit","amount":"5.002"},
    {"account":"recognized","direction":"credit","amount":"5.003"}]', 'KWD', customer_id => 'K1') IS NOT NULL AS posted;
SELECT "*AccountCode", "*Amount" FROM revrec.export_xero('2026-10-01', '2026-10-31', 'KWD', journal_type => 'manual');
SELECT "External ID" ~ '^MJ-.*\.[0-9a-f]{8}$' AS id, "Account", "Debit", "Credit"
  FROM revrec.export_netsuite('2026-10-01', '2026-10-31', 'KWD', journal_type => 'manual');
SELECT format, count(*) AS rows, count(*) FILTER (WHERE amount !~ '^-?[0-9]+\.[0-9]{2}$') AS not_2_decimals,
       (SELECT count(*) FROM (SELECT 1 FROM revrec.export_netsuite('2026-10-01', '2026-10-31', 'KWD', granularity => 'day')
                               GROUP BY "External ID"
                              HAVING sum(coalesce("Debit"::numeric, 0) - coalesce("Credit"::numeric, 0)) <> 0) x) AS unbalanced
  FROM (SELECT 'xero' AS format, "*Amount" AS amount FROM revrec.export_xero('2026-10-01', '2026-10-31', 'KWD', granularity => 'day')
        UNION ALL SELECT 'quickbooks', coalesce("Debits", "Credits") FROM revrec.export_quickbooks('2026-10-01', '2026-10-31', 'KWD')
        UNION ALL SELECT 'netsuite', coalesce("Debit", "Credit") FROM revrec.export_netsuite('2026-10-01', '2026-10-31', 'KWD')) x
 GROUP BY 1 ORDER BY 1;
-- amounts a GL cannot hold are refused before anything is written (NetSuite: 10 integer digits)
SELECT revrec.post_manual_journal('2026-10-31', 'too large for NetSuite',
  '[{"account":"billed","direction":"debit","amount":"12345678901.00"},
    {"account":"deferred","direction":"credit","amount":"12345678901.00"}]', 'EUR', customer_id => 'E1') IS NOT NULL AS posted;
DO $$ BEGIN
  PERFORM count("Debit") FROM revrec.export_netsuite('2026-10-01', '2026-10-31', 'EUR');
EXCEPTION WHEN OTHERS THEN RAISE WARNING '% %', SQLSTATE, regexp_replace(SQLERRM, 'MJ-[0-9T]+-[0-9a-f]+', 'MJ-<id>');
END $$;
SELECT count("Debits") FROM revrec.export_quickbooks('2026-10-01', '2026-10-31', 'EUR');

-- 2. identifiers name one content: 1-15 and 16-31 October share no identifier;
-- the same export twice gives the same identifiers
SELECT f.fmt, count(s.id) AS ids_in_both_halves
  FROM (SELECT 'netsuite' AS fmt, "External ID" AS id FROM revrec.export_netsuite('2026-10-01', '2026-10-15', 'USD')
        UNION ALL SELECT 'quickbooks', "Journal No." FROM revrec.export_quickbooks('2026-10-01', '2026-10-15', 'USD')
        UNION ALL SELECT 'xero', "*Narration" FROM revrec.export_xero('2026-10-01', '2026-10-15', 'USD')) f
  LEFT JOIN (SELECT 'netsuite' AS fmt, "External ID" AS id FROM revrec.export_netsuite('2026-10-16', '2026-10-31', 'USD')
        UNION ALL SELECT 'quickbooks', "Journal No." FROM revrec.export_quickbooks('2026-10-16', '2026-10-31', 'USD')
        UNION ALL SELECT 'xero', "*Narration" FROM revrec.export_xero('2026-10-16', '2026-10-31', 'USD')) s
    ON s.fmt = f.fmt AND s.id = f.id
 GROUP BY 1 ORDER BY 1;
SELECT (SELECT array_agg(DISTINCT "External ID") FROM revrec.export_netsuite('2026-10-01', '2026-10-15', 'USD'))
     = (SELECT array_agg(DISTINCT "External ID") FROM revrec.export_netsuite('2026-10-01', '2026-10-15', 'USD')) AS same_ids_again,
       (SELECT max(length("Journal No.")) FROM revrec.export_quickbooks('2026-10-01', '2026-10-31', 'USD')) AS quickbooks_max_len;

-- 3. field limits: QuickBooks Description at most 4,000 characters; Xero account codes at most 10
SELECT revrec.post_manual_journal('2026-10-31', repeat('long narrative ', 400),
  '[{"account":"recognized","direction":"debit","amount":"1.00"},
    {"account":"deferred","direction":"credit","amount":"1.00"}]', 'USD', customer_id => 'C1') IS NOT NULL AS posted;
SELECT length("Description"), right("Description", 5)
  FROM revrec.export_quickbooks('2026-10-01', '2026-10-31', 'USD', journal_type => 'manual') LIMIT 1;
UPDATE revrec.gl_account_map SET external_account = '4000 Revenue' WHERE target = 'xero' AND account_code = 'recognized';
SELECT count(*) FROM revrec.export_xero('2026-10-01', '2026-10-31', 'USD');
UPDATE revrec.gl_account_map SET external_account = '83' WHERE target = 'xero' AND account_code = 'recognized';

-- 4. formulas neutralized in text cells (a setting, on by default); amounts untouched
SELECT "Customer name", "Product name", "Amount" FROM revrec.export_sequence('2026-10-20', '2026-10-20', 'KWD', product_id => 'SETUP') LIMIT 1;
SELECT DISTINCT "Name" FROM revrec.export_quickbooks('2026-10-01', '2026-10-31', 'KWD');
UPDATE revrec.settings SET export_neutralize_formulas = false;
SELECT "Customer name", "Product name" FROM revrec.export_sequence('2026-10-20', '2026-10-20', 'KWD', product_id => 'SETUP') LIMIT 1;
UPDATE revrec.settings SET export_neutralize_formulas = true;

-- 5. the Sequence CSV's Xero code: from the Xero mappings; once Xero is mapped
-- at all an unmapped account is RV016, naming every missing one in one error
SELECT DISTINCT "Ledger account name", "Xero ledger account code" FROM revrec.export_sequence('2026-10-01', '2026-10-31', 'USD') ORDER BY 1;
DELETE FROM revrec.gl_account_map WHERE target = 'xero' AND account_code IN ('deferred', 'recognized');
INSERT INTO revrec.gl_account_map (target, account_code, product_id, external_account) VALUES ('xero', 'deferred', 'SETUP', '82');
SELECT count(*) FROM revrec.export_sequence('2026-10-01', '2026-10-31', 'KWD');
INSERT INTO revrec.gl_account_map (target, account_code, external_account) VALUES ('xero', 'deferred', '82'), ('xero', 'recognized', '83');

-- 6. files: every run a new set named by format, currency, range and
-- granularity, with a manifest; USD then EUR into one directory mix nothing
-- and replace nothing; the export log says what went to the GL
CREATE TEMP TABLE runs AS
SELECT 1 AS run, * FROM revrec.export_to_files('netsuite', current_setting('data_directory'), '2026-10-01', '2026-10-31', currency => 'KWD', max_rows => 4)
UNION ALL
SELECT 2, * FROM revrec.export_to_files('netsuite', current_setting('data_directory'), '2026-10-01', '2026-10-31', currency => 'USD');
SELECT run, regexp_replace(file_name, '^.*/(.*)_[0-9]{8}T[0-9]{12}-[0-9a-f]{6}_', '\1_<run>_') AS file, rows FROM runs ORDER BY 1, 2;
SELECT count(DISTINCT file_name) AS distinct_files, count(DISTINCT regexp_replace(file_name, '_[0-9]{3}\.csv$', '')) AS sets FROM runs;
SELECT format, filters, cardinality(files) AS files, rows, journals, exported_by = session_user AS by_me,
       (SELECT array_agg(f ->> 'sha256' ORDER BY f ->> 'file') FROM jsonb_array_elements(pg_read_file(l.manifest)::jsonb -> 'files') f)
       = (SELECT array_agg(r.sha256 ORDER BY r.file_name) FROM runs r WHERE r.file_name = ANY (l.files)) AS manifest_sha256s
  FROM revrec.export_log l ORDER BY export_id;
DELETE FROM revrec.export_log;   -- append-only (RV012)

-- 7. the rollforwards: opening + movements = closing = the account balance
SELECT * FROM revrec.deferred_rollforward(from_date => '2026-10-01', to_date => '2026-10-31');
SELECT * FROM revrec.unbilled_rollforward(from_date => '2026-10-01', to_date => '2026-10-31', currency => 'USD');
SELECT currency, customer_id, product_id, opening, billed, recognized, closing
  FROM revrec.deferred_rollforward('2026-11-01', '2026-11-30', currency => 'KWD', "by" => 'customer_product');
SELECT d.currency, d.closing = t.balance AS closing_is_the_balance
  FROM revrec.deferred_rollforward('2026-10-01', '2026-11-15') d
  JOIN revrec.trial_balance('2026-11-15') t ON t.currency_code = d.currency AND t.account = 'deferred' ORDER BY 1;
-- a currency asked for by name has its row even when nothing moved (zeros at its decimals);
-- without a currency, only currencies with something to show
SELECT * FROM revrec.deferred_rollforward('2026-10-01', '2026-10-31', currency => 'GBP');
SELECT * FROM revrec.unbilled_rollforward('2026-10-01', '2026-10-31', currency => 'JPY', customer_id => 'nobody');
SELECT count(*) AS rows_without_movement FROM revrec.deferred_rollforward('2026-10-01', '2026-10-31')
 WHERE opening = 0 AND closing = 0 AND billed = 0 AND recognized = 0;
SELECT * FROM revrec.deferred_rollforward('2026-10-01', '2026-10-31', currency => 'XYZ');
SELECT * FROM revrec.deferred_rollforward('2026-10-01', '2026-10-31', currency => repeat('X', 100000));   -- echoed up to 40 bytes
SELECT * FROM revrec.deferred_rollforward('2026-10-31', '2026-10-01');
SELECT * FROM revrec.deferred_rollforward('2026-10-01', '2026-10-31', "by" => 'region');

-- 8. close_summary, then close_period: refused while a check fails, done when they pass
DELETE FROM revrec.gl_account_map WHERE target = 'quickbooks' AND account_code = 'unbilled';
INSERT INTO revrec.ledger_account (code, name, normal_balance) VALUES ('services', 'Services', 'credit');
SELECT revrec.post_manual_journal('2026-10-31', 'reclass', '[{"account":"recognized","direction":"debit","amount":"5.00"},
    {"account":"services","direction":"credit","amount":"5.00"}]', 'USD', customer_id => 'C1') IS NOT NULL AS posted;
SELECT * FROM revrec.close_summary(from_date => '2026-10-01', to_date => '2026-10-31', currency => 'USD');
SELECT * FROM revrec.close_period(to_date => '2026-10-31');
SELECT lock_date FROM revrec.settings;
INSERT INTO revrec.gl_account_map (target, account_code, external_account) VALUES
  ('xero', 'services', '84'), ('quickbooks', 'services', 'Services'), ('netsuite', 'services', 'Services');
CREATE ROLE revrec_test_writer;
GRANT revrec_writer TO revrec_test_writer;
SET ROLE revrec_test_writer;
SELECT * FROM revrec.close_period(to_date => '2026-10-31');
RESET ROLE;
DROP ROLE revrec_test_writer;
SELECT * FROM revrec.close_period(to_date => '2026-10-31');
SELECT lock_date FROM revrec.settings;
SELECT action, detail FROM revrec.activity_log WHERE action IN ('close', 'lock') ORDER BY activity_id;
SELECT * FROM revrec.close_period(to_date => '2026-10-15');
