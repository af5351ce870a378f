-- make citus-test: what happens after the company is loaded, the same on the
-- single node and through the Citus coordinator.  One step per line group,
-- separated by lines "-- step: NAME"; each step is one transaction.
-- step: credit_note
BEGIN;
INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date)
VALUES ('CN-T1', 'CN-T1', 'C000001', 'INV000001-2512', 'USD', '2026-01-05');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, line_id, amount)
VALUES ('CN-T1-1', 'CN-T1', 'C000001', 'INV000001-2512-1', 1000.00);
COMMIT;
-- step: standalone_credit_note
BEGIN;
INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, currency, credit_date)
VALUES ('CN-T2', 'CN-T2', 'C000002', 'JPY', '2026-02-10');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, product_id, amount)
VALUES ('CN-T2-1', 'CN-T2', 'C000002', 'SUB-ENTERPRISE', 5000);
COMMIT;
-- step: usage_after_posting
INSERT INTO revrec.usage (usage_id, line_id, customer_id, usage_date, amount)
VALUES (900001, 'INV000010-2507-4', 'C000010', '2025-07-20', 10.00);
-- step: milestone_moved
UPDATE revrec.milestone SET completed_on = '2025-12-20' WHERE customer_id = 'C000010' AND milestone_id = 'INV000010-2507-8-M5';
-- step: draft_then_issued
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T3', 'INV-T3', 'C000003', 'GBP', '2026-03-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end, description)
VALUES ('INV-T3-1', 'INV-T3', 'C000003', 1200.00, '2026-03-01', '2027-02-28', 'annual');
COMMIT;
UPDATE revrec.invoice SET status = 'issued' WHERE customer_id = 'C000003' AND invoice_id = 'INV-T3';
-- step: invoice_void
UPDATE revrec.invoice SET status = 'void', void_date = '2026-02-01' WHERE customer_id = 'C000001' AND invoice_id = 'INV000001-2601';
-- step: credit_note_void
UPDATE revrec.credit_note SET status = 'void', void_date = '2026-01-10' WHERE customer_id = 'C000001' AND credit_note_id = 'CN-T1';
-- step: manual_journal
SELECT revrec.post_manual_journal(entry_date => '2026-03-31', narrative => 'Citus test reclass',
    lines => '[{"account":"recognized","direction":"debit","amount":"100.00"},
               {"account":"deferred","direction":"credit","amount":"100.00"}]',
    currency => 'USD', customer_id => 'C000001') IS NOT NULL AS posted;
-- step: lock_date
UPDATE revrec.settings SET lock_date = '2025-06-30';
-- step: invoice_dated_before_the_lock
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV-T4', 'INV-T4', 'C000004', 'USD', '2025-05-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end)
VALUES ('INV-T4-1', 'INV-T4', 'C000004', 100.00, '2025-05-01', '2025-05-31');
COMMIT;
-- step: lock_moved_back
UPDATE revrec.settings SET lock_date = '2025-03-31';
-- step: invoice_void_without_its_day
UPDATE revrec.invoice SET status = 'void' WHERE customer_id = 'C000004' AND invoice_id = 'INV-T4';
-- step: credit_note_voided_before_its_date
UPDATE revrec.credit_note SET status = 'void', void_date = '2026-01-01' WHERE customer_id = 'C000002' AND credit_note_id = 'CN-T2';
-- step: invoice_issued_without_lines
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV-T5', 'INV-T5', 'C000005', 'USD', '2026-04-01');
-- step: line_added_to_a_posted_invoice
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end)
VALUES ('INV000001-2512-X', 'INV000001-2512', 'C000001', 10.00, '2025-12-22', '2026-01-21');
-- step: line_of_a_posted_invoice_changed
UPDATE revrec.invoice_line SET amount = amount + 1 WHERE customer_id = 'C000001' AND line_id = 'INV000001-2512-1';
-- step: line_of_a_posted_invoice_deleted
DELETE FROM revrec.invoice_line WHERE customer_id = 'C000001' AND line_id = 'INV000001-2602-1';
-- step: posted_invoice_redated
UPDATE revrec.invoice SET accounting_date = accounting_date + 1 WHERE customer_id = 'C000001' AND invoice_id = 'INV000001-2512';
-- step: posted_invoice_deleted
DELETE FROM revrec.invoice WHERE customer_id = 'C000001' AND invoice_id = 'INV000001-2603';
-- step: customer_renamed
UPDATE revrec.customer SET name = name || ' Ltd' WHERE customer_id = 'C000001';
-- step: customer_with_postings_deleted
DELETE FROM revrec.customer WHERE customer_id = 'C000002';
-- step: customer_with_a_draft
BEGIN;
INSERT INTO revrec.customer (customer_id, name) VALUES ('C-T6', 'Draft only');
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T6', 'INV-T6', 'C-T6', 'USD', '2026-04-01', 'draft');
COMMIT;
-- step: customer_with_a_draft_deleted
DELETE FROM revrec.customer WHERE customer_id = 'C-T6';
-- step: customer_without_documents_deleted
INSERT INTO revrec.customer (customer_id, name) VALUES ('C-T7', 'Nothing yet');
DELETE FROM revrec.customer WHERE customer_id = 'C-T7';
-- step: customers_renamed_together
UPDATE revrec.customer SET name = upper(name) WHERE customer_id IN ('C000003', 'C000004', 'C-T6');
-- step: product_renamed
UPDATE revrec.product SET name = name || ' (2026)' WHERE product_id = 'SUB-ENTERPRISE';
