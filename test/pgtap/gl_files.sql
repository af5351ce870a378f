-- The GL file validator (issue 17): every file export_to_files writes for
-- Xero, QuickBooks Online and NetSuite is checked against the vendors'
-- import rules: exact headers, date formats, amounts (2 decimals, positive,
-- one side only, NetSuite at most 10 integer digits, QuickBooks at most
-- 99,999,999,999.99), every journal balancing and on one date, identifiers
-- never reused for other content (also across two exports: 1-15 and 16-31
-- October), field lengths (Xero AccountCode 10, QuickBooks Journal No. 21 and
-- Description 4,000), per-file limits (Xero 300 lines, QuickBooks 1,000 rows,
-- NetSuite 25,000 rows), no formula-like text cells, and files never
-- overwritten or mixed.  A company in USD and KWD (3 decimals).
-- Runs outside a transaction: documents post when their transaction commits.
\set QUIET 1
SET client_min_messages = warning;
SELECT plan(40);
DO $$ BEGIN PERFORM setseed(0.1717); END $$;

INSERT INTO revrec.customer SELECT 'C' || i, CASE WHEN i % 7 = 0 THEN '=cmd|' || i ELSE 'Customer ' || i END
  FROM generate_series(1, 30) i;
INSERT INTO revrec.product (product_id, name, recognition_method) VALUES
  ('SUB', 'Subscription', 'straight_line'), ('SETUP', '-Setup fee', 'point_in_time');
INSERT INTO revrec.ledger_account (code, name, normal_balance) VALUES ('services', 'Services', 'credit');
INSERT INTO revrec.gl_account_map (target, account_code, external_account)
SELECT t, a, CASE t WHEN 'xero' THEN (200 + i)::text ELSE initcap(a) || ' Revenue' END
  FROM unnest(ARRAY['xero', 'quickbooks', 'netsuite']) t,
       unnest(ARRAY['billed', 'deferred', 'recognized', 'unbilled', 'services']) WITH ORDINALITY u(a, i);
UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt', netsuite_subsidiary = 'Parent';
BEGIN;
INSERT INTO revrec.invoice SELECT 'I' || i, 'N' || i, 'C' || (1 + i % 30), CASE WHEN i % 3 = 0 THEN 'KWD' ELSE 'USD' END,
       date '2026-09-01' + (i % 60) FROM generate_series(1, 240) i;
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
SELECT 'I' || i || '-1', 'I' || i, 'SUB', round((random() * 5000 + 1)::numeric, CASE WHEN i % 3 = 0 THEN 3 ELSE 2 END),
       date '2026-09-01' + (i % 60), date '2026-09-01' + (i % 60) + 30 + (i % 400) FROM generate_series(1, 240) i;
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognize_on)
SELECT 'I' || i || '-2', 'I' || i, 'SETUP', round((random() * 900 + 1)::numeric, CASE WHEN i % 3 = 0 THEN 3 ELSE 2 END),
       date '2026-09-01' + (i % 60) + 3 FROM generate_series(1, 240) i WHERE i % 2 = 0;
COMMIT;
-- manual journals: a long narrative, 3-decimal amounts that do not round evenly
SELECT revrec.post_manual_journal(('2026-10-' || lpad((1 + i % 28)::text, 2, '0'))::date, repeat('narrative ', 500),
  jsonb_build_array(jsonb_build_object('account', 'billed', 'direction', 'debit', 'amount', (10.005 + i)::text),
                    jsonb_build_object('account', 'deferred', 'direction', 'credit', 'amount', (5.002 + i)::text),
                    jsonb_build_object('account', 'services', 'direction', 'credit', 'amount', '5.003')),
  'KWD', customer_id => 'C1') IS NOT NULL
  FROM generate_series(1, 20) i \g /dev/null

-- the exports: each GL, each currency, two halves of October and the month, by day and by month
CREATE TEMP TABLE out AS
SELECT g.fmt, c.cur, r.part, g.gran, f.file_name, f.rows, f.sha256
  FROM (VALUES ('xero', 'day'), ('xero', 'month'), ('quickbooks', 'day'), ('quickbooks', 'month'),
               ('netsuite', 'day'), ('netsuite', 'month')) g(fmt, gran),
       (VALUES ('USD'), ('KWD')) c(cur),
       (VALUES ('1-15', date '2026-10-01', date '2026-10-15'), ('16-31', '2026-10-16', '2026-10-31'),
               ('month', '2026-10-01', '2026-10-31')) r(part, f, t),
       LATERAL revrec.export_to_files(g.fmt, current_setting('data_directory'), r.f, r.t, currency => c.cur,
                                      granularity => g.gran) f;

-- every file read back: its first line, and its rows as text columns
CREATE TEMP TABLE hdr (file_name text, header text);
INSERT INTO hdr SELECT file_name, split_part(pg_read_file(file_name), E'\n', 1) FROM out;
CREATE TEMP TABLE x (file_name text, c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text, c8 text, c9 text,
                     c10 text, c11 text, c12 text, c13 text, c14 text, c15 text);
CREATE TEMP TABLE stage_x (LIKE x INCLUDING ALL);
ALTER TABLE stage_x DROP COLUMN file_name;
DO $$
DECLARE f record;
BEGIN
  FOR f IN SELECT * FROM out LOOP
    TRUNCATE stage_x;
    EXECUTE format('COPY stage_x (%s) FROM %L (FORMAT csv, HEADER)',
                   CASE WHEN f.fmt = 'netsuite' THEN 'c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12,c13,c14,c15'
                        ELSE 'c1,c2,c3,c4,c5,c6,c7,c8,c9,c10' END, f.file_name);
    INSERT INTO x SELECT f.file_name, s.* FROM stage_x s;
  END LOOP;
END $$;
-- one line per file line: journal identifier, date, signed amount, and the fields the rules look at
CREATE TEMP VIEW l AS
SELECT o.fmt, o.cur, o.part, o.gran, o.file_name, o.rows AS file_rows,
       CASE o.fmt WHEN 'xero' THEN x.c1 || ' ' || x.c2 ELSE x.c1 END AS jid,
       CASE o.fmt WHEN 'netsuite' THEN x.c5 ELSE x.c2 END AS day,
       CASE o.fmt WHEN 'xero' THEN x.c6 WHEN 'quickbooks' THEN coalesce(x.c4, x.c5) ELSE coalesce(x.c9, x.c10) END AS amount,
       CASE o.fmt WHEN 'xero' THEN x.c6::numeric WHEN 'quickbooks' THEN coalesce(x.c4::numeric, 0) - coalesce(x.c5::numeric, 0)
                  ELSE coalesce(x.c9::numeric, 0) - coalesce(x.c10::numeric, 0) END AS signed,
       CASE o.fmt WHEN 'xero' THEN 0 WHEN 'quickbooks' THEN (x.c4 IS NOT NULL)::int + (x.c5 IS NOT NULL)::int
                  ELSE (x.c9 IS NOT NULL)::int + (x.c10 IS NOT NULL)::int END AS sides,
       CASE o.fmt WHEN 'xero' THEN x.c4 WHEN 'quickbooks' THEN x.c3 ELSE x.c8 END AS account,
       CASE o.fmt WHEN 'xero' THEN ARRAY[x.c3] WHEN 'quickbooks' THEN ARRAY[x.c6, x.c7] ELSE ARRAY[x.c11, x.c12] END AS texts,
       x.c1, x.c2, x.c3, x.c4, x.c5, x.c6, x.c7, x.c8, x.c9, x.c10, x.c11, x.c12, x.c13, x.c14, x.c15
  FROM out o JOIN x USING (file_name);

SELECT is((SELECT count(*) FROM out WHERE fmt = f), (SELECT count(DISTINCT file_name) FROM out WHERE fmt = f),
          f || ': every export wrote files of its own (none replaced, none shared)')
  FROM unnest(ARRAY['netsuite', 'quickbooks', 'xero']) f;
SELECT ok((SELECT count(*) FROM x) > 1000 AND (SELECT count(*) FROM out WHERE fmt = 'xero' AND rows > 0) > 10, 'the files hold journals');
SELECT is((SELECT count(*) FROM out WHERE file_name !~ ('/revrec_' || fmt || '_' || cur || '_2026-10-[0-9]{2}_2026-10-[0-9]{2}_' || gran || '_[0-9]{8}T[0-9]{12}-[0-9a-f]{6}_[0-9]{3}\.csv$')),
          0::bigint, 'file names carry format, currency, range, granularity and the run');
SELECT is((SELECT count(*) FROM revrec.export_log), 36::bigint, 'the export log has every run');
SELECT is((SELECT count(*) FROM out o WHERE o.sha256 <> encode(sha256(pg_read_binary_file(o.file_name)), 'hex')), 0::bigint,
          'checksums true');

-- headers
SELECT is((SELECT count(*) FROM out o JOIN hdr USING (file_name) WHERE o.fmt = f AND hdr.header <> h), 0::bigint, f || ': the exact header')
  FROM (VALUES ('xero', '*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,TrackingName1,TrackingOption1,TrackingName2,TrackingOption2'),
               ('quickbooks', 'Journal No.,Journal Date,Account Name,Debits,Credits,Description,Name,Currency,Location,Class'),
               ('netsuite', 'External ID,Subsidiary,Currency,Exchange Rate,Date,Posting Period,Memo,Account,Debit,Credit,Line Memo,Name,Department,Class,Location')) v(f, h);
-- per-file limits
SELECT is((SELECT count(*) FROM out WHERE fmt = f AND rows > lim), 0::bigint, f || ': at most ' || lim || ' rows per file')
  FROM (VALUES ('xero', 300), ('quickbooks', 1000), ('netsuite', 25000)) v(f, lim);
SELECT ok((SELECT count(*) FROM out WHERE fmt = 'xero' AND part = 'month' AND gran = 'day' AND cur = 'USD') > 1, 'xero: a month of daily journals is split');
-- dates
SELECT is((SELECT count(*) FROM l WHERE fmt = f AND (day !~ '^[0-9]{2}/[0-9]{2}/[0-9]{4}$' OR to_char(to_date(day, pat), pat) <> day)),
          0::bigint, f || ': dates as ' || pat)
  FROM (VALUES ('xero', 'DD/MM/YYYY'), ('quickbooks', 'MM/DD/YYYY'), ('netsuite', 'MM/DD/YYYY')) v(f, pat);
-- amounts
SELECT is((SELECT count(*) FROM l WHERE fmt = f AND (amount !~ re OR signed = 0)), 0::bigint, f || ': amounts non-zero, 2 decimals, within the GL''s digits')
  FROM (VALUES ('xero', '^-?[0-9]+\.[0-9]{2}$'), ('quickbooks', '^[0-9]{1,11}\.[0-9]{2}$'), ('netsuite', '^[0-9]{1,10}\.[0-9]{2}$')) v(f, re);
SELECT is((SELECT count(*) FROM l WHERE fmt = f AND sides <> 1), 0::bigint, f || ': a debit or a credit on each line, never both')
  FROM unnest(ARRAY['netsuite', 'quickbooks']) f;
SELECT ok((SELECT count(*) FROM l WHERE cur = 'KWD') > 100, 'KWD journals exported (3-decimal amounts in 2 decimals)');
-- balance per journal, one date per journal
SELECT is((SELECT count(*) FROM (SELECT 1 FROM l WHERE fmt = f GROUP BY file_name, jid HAVING sum(signed) <> 0) j), 0::bigint,
          f || ': every journal balances in every file')
  FROM unnest(ARRAY['netsuite', 'quickbooks', 'xero']) f;
SELECT is((SELECT count(*) FROM (SELECT 1 FROM l WHERE fmt = f GROUP BY jid HAVING count(DISTINCT day) > 1) j), 0::bigint,
          f || ': a journal identifier has one date')
  FROM unnest(ARRAY['netsuite', 'quickbooks']) f;
-- identifiers never reused for other content (the halves and the month, every run)
SELECT is((SELECT count(*) FROM (SELECT jid FROM (SELECT file_name, jid, md5(string_agg(concat_ws('|', day, account, signed), ';' ORDER BY day, account, signed)) AS content
                                                    FROM l WHERE fmt = f GROUP BY file_name, jid) c
                                  GROUP BY jid HAVING count(DISTINCT content) > 1) r), 0::bigint,
          f || ': an identifier names one content across every export')
  FROM unnest(ARRAY['netsuite', 'quickbooks', 'xero']) f;
SELECT is((SELECT count(*) FROM (SELECT jid FROM l WHERE fmt = f GROUP BY jid HAVING count(DISTINCT file_name) > 1
                                 AND count(DISTINCT part || gran) = 1) r), 0::bigint,
          f || ': no journal split across the files of one export')
  FROM unnest(ARRAY['netsuite', 'quickbooks', 'xero']) f;
-- field lengths and contents
SELECT is((SELECT count(*) FROM l WHERE fmt = 'xero' AND (length(c4) > 10 OR c4 IS NULL OR c5 IS DISTINCT FROM 'Tax Exempt')), 0::bigint,
          'xero: AccountCode at most 10 characters, the chosen tax rate on every line');
SELECT is((SELECT count(*) FROM l WHERE fmt = 'quickbooks' AND (length(c1) > 21 OR length(c6) > 4000 OR c3 IS NULL)), 0::bigint,
          'quickbooks: Journal No. at most 21 characters, Description at most 4,000, an account on every line');
SELECT ok((SELECT max(length(c6)) FROM l WHERE fmt = 'quickbooks') = 4000, 'quickbooks: a 5,000-character narrative is cut to 4,000');
SELECT is((SELECT count(*) FROM l WHERE fmt = 'netsuite' AND (c1 IS NULL OR c8 IS NULL OR c3 <> cur)), 0::bigint,
          'netsuite: External ID, account and the file''s currency on every line');
SELECT is((SELECT count(*) FROM l, unnest(texts) t WHERE t ~ E'^[=+@\t\r-]'), 0::bigint, 'no text cell starts like a formula');
SELECT ok((SELECT count(*) FROM l, unnest(texts) t WHERE t LIKE '''=cmd|%') > 0, 'formula-like names are neutralized, not dropped');

SELECT * FROM finish();
