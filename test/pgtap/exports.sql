-- GL exports on a random company: every exported journal balances in
-- each format, the Sequence CSV parsed back sums to the journal report,
-- export_to_files splits only between journals and within the limits with
-- true checksums, and the asynchronous export round trip (worker, progress,
-- token download, failure, bad and expired tokens).
-- Runs outside a transaction: documents post when their transaction commits
-- and the export worker only sees committed jobs.
\set QUIET 1
SET client_min_messages = warning;
SELECT plan(26);
DO $$ BEGIN PERFORM setseed(0.0707); END $$;

-- The company --------------------------------------------------------------
INSERT INTO revrec.customer SELECT 'C' || i, 'Customer ' || i || CASE WHEN i % 5 = 0 THEN ', "Ltd"' ELSE '' END
  FROM generate_series(1, 25) i;
INSERT INTO revrec.product (product_id, name, recognition_method) VALUES
  ('SUB', 'Subscription', 'straight_line'), ('SETUP', 'Setup fee', 'point_in_time'), ('SEAT', 'Seats', 'straight_line');
INSERT INTO revrec.gl_account_map (target, account_code, product_id, external_account)
SELECT t, a, NULL, left(t || ':' || a, 10) FROM unnest(ARRAY['xero', 'quickbooks', 'netsuite']) t,   -- Xero codes: at most 10 characters
       unnest(ARRAY['billed', 'deferred', 'recognized', 'unbilled']) a
UNION ALL
SELECT t, 'recognized', 'SETUP', left(t || ':services', 10) FROM unnest(ARRAY['xero', 'quickbooks', 'netsuite']) t;
UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt';   -- Xero exports refuse until it is chosen (RV030)

CREATE TEMP TABLE inv AS
SELECT i, 'C' || (1 + floor(random() * 25))::int AS customer, date '2024-10-01' + floor(random() * 450)::int AS d,
       round((random() * 9000 + 1)::numeric, 2) AS a1, round((random() * 2000 + 1)::numeric, 2) AS a2,
       floor(random() * 500)::int AS len, floor(random() * 120)::int - 60 AS shift, random() < 0.5 AS two
  FROM generate_series(1, 150) i;
BEGIN;
INSERT INTO revrec.invoice SELECT 'I' || i, 'N' || i, customer, 'USD', d FROM inv;
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
SELECT 'I' || i || '-1', 'I' || i, CASE WHEN i % 3 = 0 THEN 'SEAT' ELSE 'SUB' END, a1, d + shift, d + shift + len FROM inv;
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on)
SELECT 'I' || i || '-2', 'I' || i, 'SETUP', a2, d + shift FROM inv WHERE two;
COMMIT;
BEGIN;
INSERT INTO revrec.credit_note SELECT 'CN' || i, 'CRN' || i, customer, 'I' || i, 'USD', d + 40 FROM inv WHERE i % 7 = 0;
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount)
SELECT 'CN' || i || '-1', 'CN' || i, 'I' || i || '-1', round(a1 / 10, 2) FROM inv WHERE i % 7 = 0;
COMMIT;
UPDATE revrec.settings SET lock_date = '2025-03-31';
BEGIN;   -- documents dated in the closed period: caught up on April 1
INSERT INTO revrec.invoice SELECT 'L' || i, 'NL' || i, 'C' || i, 'USD', date '2025-02-01' + i FROM generate_series(1, 10) i;
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
SELECT 'L' || i || '-1', 'L' || i, 'SUB', 1000.00 + i, date '2025-01-01' + i, date '2025-12-31' FROM generate_series(1, 10) i;
COMMIT;

-- 1-4. Every exported journal balances -----------------------------------------
SELECT is((SELECT count(*) FROM (SELECT sum("*Amount"::numeric) s FROM revrec.export_xero('2025-01-01', '2025-12-31')
                                 GROUP BY "*Narration", "*Date") x WHERE s <> 0), 0::bigint,
          'xero by month: every narration + date nets to zero');
SELECT is((SELECT count(*) FROM (SELECT sum("*Amount"::numeric) s
                                   FROM revrec.export_xero('2025-01-01', '2025-12-31', granularity => 'day')
                                 GROUP BY "*Narration", "*Date") x WHERE s <> 0), 0::bigint,
          'xero by day: every narration + date nets to zero');
SELECT is((SELECT count(*) FROM (SELECT sum(coalesce("Debits"::numeric, 0) - coalesce("Credits"::numeric, 0)) s,
                                        count(DISTINCT "Journal Date") dates
                                   FROM revrec.export_quickbooks('2025-01-01', '2025-12-31')
                                 GROUP BY "Journal No.") x WHERE s <> 0 OR dates <> 1), 0::bigint,
          'quickbooks: every Journal No. balances and has one date');
SELECT is((SELECT count(*) FROM (SELECT sum(coalesce("Debit"::numeric, 0) - coalesce("Credit"::numeric, 0)) s,
                                        count(DISTINCT "Date") dates
                                   FROM revrec.export_netsuite('2025-01-01', '2025-12-31')
                                 GROUP BY "External ID") x WHERE s <> 0 OR dates <> 1), 0::bigint,
          'netsuite: every External ID balances and has one date');
-- 5. amounts are positive where the format says so, blank on the other side
SELECT is((SELECT count(*) FROM revrec.export_quickbooks('2025-01-01', '2025-12-31')
            WHERE ("Debits" IS NULL) = ("Credits" IS NULL) OR coalesce("Debits", "Credits")::numeric <= 0), 0::bigint,
          'quickbooks: exactly one of Debits / Credits, positive');

-- 6. The Sequence CSV, written and parsed back, sums to the journal report -----
CREATE TEMP TABLE seq AS SELECT * FROM revrec.export_sequence('2025-01-01', '2025-01-01') LIMIT 0;
CREATE TEMP TABLE seqfile AS SELECT current_setting('data_directory') || '/revrec_tap_sequence.csv' AS path;
DO $$ BEGIN
  EXECUTE format('COPY (SELECT * FROM revrec.export_sequence(from_date => %L, to_date => %L)) TO %L (FORMAT csv, HEADER)',
                 '2025-01-01', '2025-12-31', (SELECT path FROM seqfile));
  EXECUTE format('COPY seq FROM %L (FORMAT csv, HEADER)', (SELECT path FROM seqfile));
END $$;
SELECT results_eq(
  $$SELECT "Ledger account name", lower("Direction"), sum("Amount"::numeric), count(*) FROM seq GROUP BY 1, 2 ORDER BY 1, 2$$,
  $$SELECT a.name, r.direction, sum(r.amount), count(*) FROM revrec.journal_report('2025-01-01', '2025-12-31', granularity => 'day') r
      JOIN revrec.ledger_account a ON a.code = r.account GROUP BY 1, 2 ORDER BY 1, 2$$,
  'the Sequence CSV parsed back equals the daily journal report per account and direction');
-- 7. and by month per journal
SELECT results_eq(
  $$SELECT "Journal Number", sum(CASE "Direction" WHEN 'DEBIT' THEN "Amount"::numeric ELSE -"Amount"::numeric END) FROM seq GROUP BY 1 ORDER BY 1$$,
  $$SELECT journal_number, sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) FROM revrec.journal_report('2025-01-01', '2025-12-31') GROUP BY 1 ORDER BY 1$$,
  'every Sequence journal nets to zero, the same journals as the monthly report');

-- 8-19. export_to_files: limits, journals whole, checksums, nothing lost -------
CREATE FUNCTION pg_temp.check_files(fmt text, lim integer, gran text)
RETURNS TABLE (files bigint, over_limit bigint, split_journals bigint, bad_checksums bigint, lost bigint, extra bigint)
LANGUAGE plpgsql AS $$
DECLARE
  call text := revrec._export_call(fmt, '2025-01-01', '2025-12-31', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, gran);
  f record;
BEGIN
  DROP TABLE IF EXISTS pg_temp.stage, pg_temp.got, pg_temp.files;
  EXECUTE format('CREATE TEMP TABLE stage AS SELECT * FROM %s LIMIT 0', call);
  CREATE TEMP TABLE got (file bigint, key text, line text);
  CREATE TEMP TABLE files AS
    SELECT * FROM revrec.export_to_files(fmt, current_setting('data_directory') || '/', '2025-01-01', '2025-12-31',
                                         granularity => gran, max_rows => lim) WITH ORDINALITY;
  FOR f IN SELECT * FROM files ORDER BY ordinality LOOP
    TRUNCATE stage;
    EXECUTE format('COPY stage FROM %L (FORMAT csv, HEADER)', f.file_name);
    EXECUTE format('INSERT INTO got SELECT %s, %s, stage::text FROM stage', f.ordinality, revrec._export_journal_key(fmt));
  END LOOP;
  files := (SELECT count(*) FROM files);
  over_limit := (SELECT count(*) FROM files x WHERE x.rows > lim
                    AND (SELECT count(DISTINCT key) FROM got WHERE got.file = x.ordinality) > 1);
  split_journals := (SELECT count(*) FROM (SELECT key FROM got GROUP BY key HAVING count(DISTINCT file) > 1) s);
  bad_checksums := (SELECT count(*) FROM files x WHERE x.sha256 <> encode(sha256(pg_read_binary_file(x.file_name)), 'hex')
                       OR x.rows <> (SELECT count(*) FROM got WHERE got.file = x.ordinality));
  EXECUTE format('SELECT count(*) FROM (SELECT t::text FROM %s t EXCEPT ALL SELECT line FROM got) x', call) INTO lost;
  EXECUTE format('SELECT count(*) FROM (SELECT line FROM got EXCEPT ALL SELECT t::text FROM %s t) x', call) INTO extra;
  RETURN NEXT;
END $$;
CREATE TEMP TABLE fc AS
SELECT 'xero' AS fmt, 300 AS lim, c.* FROM pg_temp.check_files('xero', 300, 'day') c
UNION ALL SELECT 'quickbooks', 1000, c.* FROM pg_temp.check_files('quickbooks', 1000, 'day') c
UNION ALL SELECT 'netsuite', 25000, c.* FROM pg_temp.check_files('netsuite', 25000, 'day') c
UNION ALL SELECT 'netsuite (max_rows 500)', 500, c.* FROM pg_temp.check_files('netsuite', 500, 'month') c;
SELECT ok(files > 1, fmt || ': split into ' || files || ' files') FROM fc WHERE fmt <> 'netsuite' ORDER BY fmt;
SELECT is(over_limit + split_journals, 0::bigint, fmt || ': no file over the limit with two journals, no journal split')
  FROM fc ORDER BY fmt;
SELECT is(bad_checksums + lost + extra, 0::bigint, fmt || ': checksums true, every row in exactly one file') FROM fc ORDER BY fmt;

-- 20-27. Asynchronous export round trip ------------------------------------
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revrec_tap_reader') THEN CREATE ROLE revrec_tap_reader; END IF;
END $$;
GRANT revrec_reader TO revrec_tap_reader;
SET ROLE revrec_tap_reader;
CREATE TEMP TABLE jobs AS SELECT 'sequence' AS what, revrec.export_async('sequence', '2025-01-01', '2025-12-31') AS job_id;
RESET ROLE;
GRANT ALL ON jobs TO revrec_tap_reader;
DELETE FROM revrec.gl_account_map WHERE target = 'netsuite' AND account_code = 'unbilled';
INSERT INTO jobs SELECT 'failing', revrec.export_async('netsuite', '2025-01-01', '2025-12-31');
-- wait until both jobs finish (at most 10 minutes: under valgrind a job takes minutes)
DO $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  WHILE EXISTS (SELECT 1 FROM revrec.export_job j JOIN jobs USING (job_id) WHERE j.status NOT IN ('done', 'failed'))
        AND clock_timestamp() < t0 + interval '10 min' LOOP
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT is((SELECT status || ' ' || rows_done || '/' || rows_total || ' by ' || requested_by FROM revrec.export_job JOIN jobs USING (job_id) WHERE what = 'sequence'),
          'done ' || (SELECT count(*) FROM seq) || '/' || (SELECT count(*) FROM seq) || ' by revrec_tap_reader',
          'async sequence export: done, every row, as the role that asked');
SET ROLE revrec_tap_reader;
SELECT ok((SELECT download_token FROM revrec.export_job JOIN jobs USING (job_id) WHERE what = 'sequence') ~ '^[0-9a-f-]{36}$',
          'the requester sees a random download token');
CREATE TEMP TABLE downloaded AS
SELECT revrec.export_download((SELECT download_token FROM revrec.export_job JOIN jobs USING (job_id) WHERE what = 'sequence')) AS body;
RESET ROLE;
SELECT is((SELECT body FROM downloaded), pg_read_file((SELECT path FROM seqfile)),
          'the downloaded file is byte for byte the synchronous COPY of the export');
SELECT is((SELECT sha256 FROM revrec.export_job JOIN jobs USING (job_id) WHERE what = 'sequence'),
          encode(sha256(pg_read_binary_file((SELECT path FROM seqfile))), 'hex'), 'the job''s checksum is the file''s');
SELECT throws_ok($$SELECT revrec.export_download('00000000-0000-4000-8000-000000000000')$$, 'RV017',
                 'unknown export download token', 'an unknown token is an error');
UPDATE revrec._export_job SET token_expires_at = now() - interval '1 second'
 WHERE job_id = (SELECT job_id FROM jobs WHERE what = 'sequence');
SELECT throws_like(format('SELECT revrec.export_download(%L)', (SELECT download_token FROM revrec.export_job JOIN jobs USING (job_id) WHERE what = 'sequence')),
                   'export download token expired%', 'an expired token is an error');
SELECT matches((SELECT status || ': ' || error FROM revrec.export_job JOIN jobs USING (job_id) WHERE what = 'failing'),
               '^failed: \d+ ledger accounts? without a netsuite account: "unbilled" \(product \w+\)(, "unbilled" \(product \w+\))* \(SQLSTATE RV016\)$',
               'a failing job says why');
SELECT is((SELECT count(*) FROM pg_ls_dir('revrec_exports/' || (SELECT oid FROM pg_database WHERE datname = current_database())) f
            WHERE f LIKE 'job_' || (SELECT job_id FROM jobs WHERE what = 'failing') || '.%'), 0::bigint,
          'a failed job leaves no file, whole or partial');

SELECT * FROM finish();
