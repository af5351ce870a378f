-- The sample company's October 2026: what happened besides invoicing, as a
-- billing system and an accountant would write it.  September is closed.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

UPDATE revrec.settings SET lock_date = '2026-09-30';

-- GL account mapping for the exports: defaults, and setup fees and
-- professional services to their own revenue accounts.
INSERT INTO revrec.gl_account_map (target, account_code, product_id, external_account) VALUES
  ('xero', 'billed', NULL, '610'), ('xero', 'deferred', NULL, '820'), ('xero', 'recognized', NULL, '200'),
  ('xero', 'unbilled', NULL, '630'), ('xero', 'recognized', 'SETUP', '210'), ('xero', 'recognized', 'PS-PROJECT', '215'),
  ('quickbooks', 'billed', NULL, 'Billed Revenue Clearing'), ('quickbooks', 'deferred', NULL, 'Deferred Revenue'),
  ('quickbooks', 'recognized', NULL, 'Subscription Revenue'), ('quickbooks', 'unbilled', NULL, 'Unbilled Receivables'),
  ('quickbooks', 'recognized', 'SETUP', 'Services Revenue'), ('quickbooks', 'recognized', 'PS-PROJECT', 'Services Revenue'),
  ('netsuite', 'billed', NULL, '1210'), ('netsuite', 'deferred', NULL, '2480'), ('netsuite', 'recognized', NULL, '4010'),
  ('netsuite', 'unbilled', NULL, '1220'), ('netsuite', 'recognized', 'SETUP', '4100'), ('netsuite', 'recognized', 'PS-PROJECT', '4100');
UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt';
UPDATE revrec.settings SET netsuite_subsidiary = 'Parent Company';

-- Credit notes in October: a downgrade refunded in cancel mode on the 5
-- largest annual subscriptions still running, and a price correction in
-- adjust mode on 5 more.
UPDATE revrec.settings SET credit_note_mode = 'cancel';
BEGIN;
WITH pick AS (
  SELECT l.line_id, l.invoice_id, i.customer_id, i.currency, l.amount,
         row_number() OVER (ORDER BY l.amount DESC, l.line_id) AS n
    FROM revrec.invoice_line l JOIN revrec.invoice i USING (invoice_id)
   WHERE l.kind = 'charge' AND l.service_end >= '2026-12-31' AND l.service_start <= '2026-10-01'
     AND l.service_end - l.service_start > 300 AND i.currency = 'USD'
     AND NOT EXISTS (SELECT 1 FROM revrec.invoice_line d WHERE d.group_id = l.line_id AND d.line_id <> l.line_id)
   ORDER BY n LIMIT 10)
, cn AS (
  INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date)
  SELECT 'CN-' || line_id, 'CN-2026-' || lpad(n::text, 4, '0'), customer_id, invoice_id, currency, '2026-10-15'
    FROM pick WHERE n <= 5 RETURNING credit_note_id)
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount)
SELECT 'CN-' || line_id || '-1', 'CN-' || line_id, line_id, round(amount * 0.25, 2)
  FROM pick WHERE n <= 5;
COMMIT;
UPDATE revrec.settings SET credit_note_mode = 'adjust';
BEGIN;
WITH pick AS (
  SELECT l.line_id, l.invoice_id, i.customer_id, i.currency, l.amount,
         row_number() OVER (ORDER BY l.amount DESC, l.line_id) AS n
    FROM revrec.invoice_line l JOIN revrec.invoice i USING (invoice_id)
   WHERE l.kind = 'charge' AND l.service_end >= '2026-12-31' AND l.service_start <= '2026-10-01'
     AND l.service_end - l.service_start > 300 AND i.currency = 'USD'
     AND NOT EXISTS (SELECT 1 FROM revrec.invoice_line d WHERE d.group_id = l.line_id AND d.line_id <> l.line_id)
     AND NOT EXISTS (SELECT 1 FROM revrec.credit_note_line c WHERE c.line_id = l.line_id)
   ORDER BY n LIMIT 5)
, cn AS (
  INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date)
  SELECT 'CN-' || line_id, 'CN-2026-' || lpad((n + 5)::text, 4, '0'), customer_id, invoice_id, currency, '2026-10-20'
    FROM pick RETURNING credit_note_id)
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount)
SELECT 'CN-' || line_id || '-1', 'CN-' || line_id, line_id, round(amount * 0.10, 2) FROM pick;
COMMIT;
UPDATE revrec.settings SET credit_note_mode = 'cancel';

-- A goodwill credit without an invoice line (standalone), and a void.  A
-- credit note and its lines go in one transaction.
BEGIN;
INSERT INTO revrec.credit_note VALUES ('CN-GOODWILL', 'CN-2026-0011',
  (SELECT customer_id FROM revrec.invoice WHERE currency = 'USD' ORDER BY invoice_id LIMIT 1), NULL, 'USD', '2026-10-28');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, product_id, amount)
VALUES ('CN-GOODWILL-1', 'CN-GOODWILL', 'SUPPORT', 150.00);
COMMIT;
UPDATE revrec.invoice SET status = 'void', void_date = '2026-10-30'
 WHERE invoice_id = (SELECT invoice_id FROM revrec.invoice WHERE currency = 'USD' AND accounting_date >= '2026-10-01'
                      ORDER BY invoice_id LIMIT 1);

-- A manual journal: a reclassification.
INSERT INTO revrec.ledger_account (code, name, normal_balance) VALUES ('services', 'Services revenue', 'credit')
    ON CONFLICT (code) DO NOTHING;
INSERT INTO revrec.gl_account_map (target, account_code, external_account)
VALUES ('xero', 'services', '215'), ('quickbooks', 'services', 'Services Revenue'), ('netsuite', 'services', '4100');
SELECT revrec.post_manual_journal('2026-10-31', 'Reclassify October training revenue to services',
  '[{"account":"recognized","direction":"debit","amount":"2500.00"},{"account":"services","direction":"credit","amount":"2500.00"}]',
  'USD') AS manual_journal;
