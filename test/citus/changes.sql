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
-- step: void_invoice_changed
UPDATE revrec.invoice SET invoice_number = 'INV-VOID-X' WHERE customer_id = 'C000001' AND invoice_id = 'INV000001-2601';
-- step: line_of_a_void_invoice_changed
UPDATE revrec.invoice_line SET description = 'x' WHERE customer_id = 'C000001' AND line_id = 'INV000001-2601-1';
-- step: usage_of_a_posted_invoice_changed
UPDATE revrec.usage SET amount = amount + 1 WHERE customer_id = 'C000010' AND usage_id = 1;
-- step: usage_of_a_posted_invoice_deleted
DELETE FROM revrec.usage WHERE customer_id = 'C000010' AND usage_id = 2;
-- step: milestone_of_a_posted_invoice_renamed
UPDATE revrec.milestone SET name = 'Kick-off (renamed)' WHERE customer_id = 'C000010' AND milestone_id = 'INV000010-2507-8-M1';
-- step: milestone_of_a_posted_invoice_deleted
DELETE FROM revrec.milestone WHERE customer_id = 'C000010' AND milestone_id = 'INV000010-2507-8-M2';
-- step: milestone_added_to_a_posted_invoice
INSERT INTO revrec.milestone (milestone_id, line_id, customer_id, name, amount)
VALUES ('INV000010-2507-8-M6', 'INV000010-2507-8', 'C000010', 'Extra', 1.00);
-- step: void_credit_note_changed
UPDATE revrec.credit_note SET credit_note_number = 'CN-VOID-X' WHERE customer_id = 'C000001' AND credit_note_id = 'CN-T1';
-- step: posted_credit_note_redated
UPDATE revrec.credit_note SET credit_date = credit_date + 1 WHERE customer_id = 'C000002' AND credit_note_id = 'CN-T2';
-- step: posted_credit_note_deleted
DELETE FROM revrec.credit_note WHERE customer_id = 'C000002' AND credit_note_id = 'CN-T2';
-- step: line_of_a_posted_credit_note_deleted
DELETE FROM revrec.credit_note_line WHERE customer_id = 'C000002' AND credit_note_line_id = 'CN-T2-1';
-- step: line_added_to_a_posted_credit_note
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, product_id, amount)
VALUES ('CN-T2-2', 'CN-T2', 'C000002', 'SUB-ENTERPRISE', 100);
-- step: invoice_id_of_another_customer
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV000001-2512', 'INV-DUP-1', 'C000002', 'USD', '2026-04-01', 'draft');
-- step: invoice_number_of_another_customer
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-DUP-2', 'INV-00001056', 'C000002', 'USD', '2026-04-01', 'draft');
-- step: line_id_of_another_customer
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-DUP-3', 'INV-DUP-3', 'C000003', 'GBP', '2026-04-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end)
VALUES ('INV000001-2512-1', 'INV-DUP-3', 'C000003', 10.00, '2026-04-01', '2026-04-30');
COMMIT;
-- step: usage_id_of_another_customer
INSERT INTO revrec.usage (usage_id, line_id, customer_id, usage_date, amount)
VALUES (1, 'INV000016-2604-4', 'C000016', '2026-04-02', 1.00);
-- step: credit_note_id_of_another_customer
BEGIN;
INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, currency, credit_date, status)
VALUES ('CN-T1', 'CN-DUP-1', 'C000003', 'GBP', '2026-02-10', 'draft');
COMMIT;
-- step: credit_note_number_of_another_customer
INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, currency, credit_date, status)
VALUES ('CN-DUP-2', 'CN-T2', 'C000003', 'GBP', '2026-02-10', 'draft');
-- step: grant_id_of_another_customer
INSERT INTO revrec.credit_grant (grant_id, customer_id, currency, amount, effective_date)
VALUES ('G000008', 'C000003', 'GBP', 10.00, '2026-01-01');
-- step: schedule_line_id_of_another_customer
INSERT INTO revrec.billing_schedule_line (schedule_line_id, customer_id, product_id, currency, amount, service_start, service_end)
VALUES ('BS000005-2510', 'C000003', 'SUB-STARTER', 'GBP', 10.00, '2026-01-01', '2026-01-31');
-- step: draft_deleted
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T6', 'INV-T6', 'C000006', 'USD', '2026-04-01', 'draft');
COMMIT;
DELETE FROM revrec.invoice WHERE customer_id = 'C000006' AND invoice_id = 'INV-T6';
-- step: deleted_id_used_by_another_customer
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T6', 'INV-T6', 'C000007', 'USD', '2026-04-01', 'draft');
-- step: line_naming_an_unknown_invoice
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end)
VALUES ('INV-NONE-1', 'INV-NONE', 'C000003', 10.00, '2026-04-01', '2026-04-30');
-- step: line_naming_another_customers_invoice
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end)
VALUES ('INV-OTHER-1', 'INV000001-2512', 'C000003', 10.00, '2026-04-01', '2026-04-30');
-- step: line_naming_an_unknown_product
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount)
VALUES ('INV-T6-1', 'INV-T6', 'C000007', 'NO-SUCH-PRODUCT', 10.00);
-- step: invoice_in_an_unknown_currency
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T7', 'INV-T7', 'C000007', 'XXX', '2026-04-01', 'draft');
-- step: invoice_of_an_unknown_customer
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T7', 'INV-T7', 'C-NONE', 'USD', '2026-04-01', 'draft');
-- step: usage_naming_an_unknown_line
INSERT INTO revrec.usage (usage_id, line_id, customer_id, usage_date, amount)
VALUES (900002, 'INV-NONE-1', 'C000010', '2026-04-02', 1.00);
-- step: draft_with_usage
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T8', 'INV-T8', 'C000008', 'USD', '2026-04-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
VALUES ('INV-T8-1', 'INV-T8', 'C000008', 'API-USAGE', 100.00, '2026-04-01', '2026-04-30'),
       ('INV-T8-2', 'INV-T8', 'C000008', 'SUB-STARTER', 100.00, '2026-04-01', '2026-04-30');
INSERT INTO revrec.usage (usage_id, line_id, customer_id, usage_date, amount)
VALUES (900003, 'INV-T8-1', 'C000008', '2026-04-02', 1.00);
COMMIT;
-- step: invoice_deleted_with_its_lines
DELETE FROM revrec.invoice WHERE customer_id = 'C000008' AND invoice_id = 'INV-T8';
-- step: line_deleted_with_its_usage
DELETE FROM revrec.invoice_line WHERE customer_id = 'C000008' AND line_id = 'INV-T8-1';
-- step: line_with_usage_recognized_otherwise
UPDATE revrec.invoice_line SET recognition_method = 'straight_line' WHERE customer_id = 'C000008' AND line_id = 'INV-T8-1';
-- step: usage_on_a_straight_line_line
INSERT INTO revrec.usage (usage_id, line_id, customer_id, usage_date, amount)
VALUES (900004, 'INV-T8-2', 'C000008', '2026-04-02', 1.00);
-- step: usage_outside_the_service_period
INSERT INTO revrec.usage (usage_id, line_id, customer_id, usage_date, amount)
VALUES (900005, 'INV-T8-1', 'C000008', '2026-05-02', 1.00);
-- step: usage_moved_outside_the_service_period
UPDATE revrec.usage SET usage_date = '2026-06-01' WHERE customer_id = 'C000008' AND usage_id = 900003;
-- step: usage_with_too_many_decimals
INSERT INTO revrec.usage (usage_id, line_id, customer_id, usage_date, amount)
VALUES (900006, 'INV-T8-1', 'C000008', '2026-04-03', 1.001);
-- step: milestone_on_a_usage_line
INSERT INTO revrec.milestone (milestone_id, line_id, customer_id, name, amount)
VALUES ('INV-T8-1-M1', 'INV-T8-1', 'C000008', 'Nope', 1.00);
-- step: line_with_too_many_decimals
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
VALUES ('INV-T8-3', 'INV-T8', 'C000008', 'SUB-STARTER', 100.005, '2026-04-01', '2026-04-30');
-- step: schedule_line_billed_twice
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T9', 'INV-T9', 'C000005', 'GBP', '2026-04-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end, schedule_line_id)
VALUES ('INV-T9-1', 'INV-T9', 'C000005', 'SUB-STARTER', 10.00, '2026-04-01', '2026-04-30', 'BS000005-2510');
COMMIT;
-- step: schedule_line_billed_in_another_currency
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T10', 'INV-T10', 'C000032', 'GBP', '2026-04-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end, schedule_line_id)
VALUES ('INV-T10-1', 'INV-T10', 'C000032', 'SUB-STARTER', 10.00, '2026-04-01', '2026-04-30', 'BS000032-2411');
COMMIT;
-- step: drawn_grant_changed
UPDATE revrec.credit_grant SET amount = amount + 1 WHERE customer_id = 'C000008' AND grant_id = 'G000008';
-- step: grant_with_too_many_decimals
INSERT INTO revrec.credit_grant (grant_id, customer_id, currency, amount, effective_date)
VALUES ('G-T1', 'C000003', 'USD', 10.001, '2026-01-01');
-- step: schedule_line_with_too_many_decimals
INSERT INTO revrec.billing_schedule_line (schedule_line_id, customer_id, product_id, currency, amount, service_start, service_end)
VALUES ('BS-T1', 'C000003', 'SUB-STARTER', 'JPY', 10.5, '2026-01-01', '2026-01-31');
-- step: credit_note_line_with_too_many_decimals
BEGIN;
INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, currency, credit_date, status)
VALUES ('CN-T3', 'CN-T3', 'C000003', 'GBP', '2026-02-10', 'draft');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, product_id, amount)
VALUES ('CN-T3-1', 'CN-T3', 'C000003', 'SUB-STARTER', 1.001);
COMMIT;
-- step: truncate_invoice
TRUNCATE revrec.invoice;
-- step: truncate_usage
TRUNCATE revrec.usage;
-- step: truncate_posting
TRUNCATE revrec.posting;
-- step: truncate_activity
TRUNCATE revrec.activity;
-- step: truncate_credit_note_line
TRUNCATE revrec.credit_note_line;
-- step: invoice_id_used_twice_by_one_customer
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV000001-2512', 'INV-DUP-4', 'C000001', 'USD', '2026-04-01', 'draft');
-- step: invoice_number_used_twice_by_one_customer
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-DUP-5', 'INV-00001056', 'C000001', 'USD', '2026-04-01', 'draft');
-- step: invoice_renamed_to_another_customers_id
UPDATE revrec.invoice SET invoice_id = 'INV000001-2602' WHERE customer_id = 'C000007' AND invoice_id = 'INV-T6';
-- step: draft_renamed_then_its_old_id_reused
BEGIN;
UPDATE revrec.invoice SET invoice_id = 'INV-T6-R', invoice_number = 'INV-T6-R' WHERE customer_id = 'C000007' AND invoice_id = 'INV-T6';
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T6', 'INV-T6', 'C000009', 'USD', '2026-04-01', 'draft');
COMMIT;
-- step: new_id_of_a_renamed_draft_used_by_another_customer
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T6-R', 'INV-T6-X', 'C000002', 'USD', '2026-04-01', 'draft');
-- step: milestone_naming_an_unknown_line
INSERT INTO revrec.milestone (milestone_id, line_id, customer_id, name, amount)
VALUES ('M-NONE-1', 'INV-NONE-9', 'C000010', 'Nope', 1.00);
-- step: credit_note_naming_an_unknown_invoice
INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date, status)
VALUES ('CN-T4', 'CN-T4', 'C000003', 'INV-NONE', 'GBP', '2026-02-10', 'draft');
-- step: credit_note_line_naming_an_unknown_product
BEGIN;
INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, currency, credit_date, status)
VALUES ('CN-T5', 'CN-T5', 'C000003', 'GBP', '2026-02-10', 'draft');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, product_id, amount)
VALUES ('CN-T5-1', 'CN-T5', 'C000003', 'NO-SUCH-PRODUCT', 1.00);
COMMIT;
-- step: grant_of_an_unknown_customer
INSERT INTO revrec.credit_grant (grant_id, customer_id, currency, amount, effective_date)
VALUES ('G-T2', 'C-NONE', 'USD', 10.00, '2026-01-01');
-- step: draft_with_a_milestone
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T11', 'INV-T11', 'C000011', 'USD', '2026-04-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount)
VALUES ('INV-T11-1', 'INV-T11', 'C000011', 'PS-PROJECT', 100.00);
INSERT INTO revrec.milestone (milestone_id, line_id, customer_id, name, amount)
VALUES ('INV-T11-1-M1', 'INV-T11-1', 'C000011', 'All', 100.00);
COMMIT;
-- step: line_deleted_with_its_milestones
DELETE FROM revrec.invoice_line WHERE customer_id = 'C000011' AND line_id = 'INV-T11-1';
-- step: line_id_used_twice_by_one_customer
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount)
VALUES ('INV-T11-1', 'INV-T11', 'C000011', 'PS-PROJECT', 1.00);
-- step: grant_in_an_unknown_currency
INSERT INTO revrec.credit_grant (grant_id, customer_id, currency, amount, effective_date)
VALUES ('G-T3', 'C000003', 'XXX', 10.00, '2026-01-01');
-- step: grant_changed_to_too_many_decimals
BEGIN;
INSERT INTO revrec.credit_grant (grant_id, customer_id, currency, amount, effective_date)
VALUES ('G-T4', 'C000003', 'JPY', 10, '2026-01-01');
UPDATE revrec.credit_grant SET amount = 10.5 WHERE customer_id = 'C000003' AND grant_id = 'G-T4';
COMMIT;
-- step: children_without_customer_id
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T20', 'INV-T20', 'C000004', 'USD', '2026-04-01', 'issued');
INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, service_start, service_end, description)
VALUES ('INV-T20-1', 'INV-T20', 1200.00, '2026-04-01', '2027-03-31', 'annual'),
       ('INV-T20-2', 'INV-T20', 600.00, '2026-04-01', '2026-09-30', 'half');
INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, service_start, service_end, description)
VALUES ('INV-T20-3', 'INV-T20', 300.00, '2026-04-01', '2026-06-30', 'quarter');
INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date)
VALUES ('CN-T20', 'CN-T20', 'C000004', 'INV-T20', 'USD', '2026-05-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount)
VALUES ('CN-T20-1', 'CN-T20', 'INV-T20-1', 100.00);
COMMIT;
-- step: usage_without_customer_id
INSERT INTO revrec.usage (usage_id, line_id, usage_date, amount)
VALUES (900020, 'INV000010-2507-4', '2025-07-21', 5.00);
-- step: milestones_without_customer_id
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T21', 'INV-T21', 'C000005', 'USD', '2026-04-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, service_start, service_end, product_id)
VALUES ('INV-T21-1', 'INV-T21', 1000.00, '2026-04-01', '2026-09-30', 'PS-PROJECT');
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount, completed_on)
VALUES ('INV-T21-1-M1', 'INV-T21-1', 'Start', 400.00, '2026-05-01'), ('INV-T21-1-M2', 'INV-T21-1', 'End', 600.00, NULL);
UPDATE revrec.invoice SET status = 'issued' WHERE customer_id = 'C000005' AND invoice_id = 'INV-T21';
COMMIT;
-- step: children_with_null_customer_id
BEGIN;
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
VALUES ('INV-T22', 'INV-T22', 'C000006', 'USD', '2026-04-01', 'issued');
INSERT INTO revrec.invoice_line (line_id, customer_id, invoice_id, amount, service_start, service_end, description)
VALUES ('INV-T22-1', NULL, 'INV-T22', 100.00, '2026-04-01', '2026-06-30', 'q'),
       ('INV-T22-2', DEFAULT, 'INV-T22', 200.00, '2026-04-01', '2026-06-30', 'q');
INSERT INTO revrec.invoice_line (line_id, invoice_id, amount, service_start, service_end, description)
VALUES ('INV-T22-3', 'INV-T22', 300.00, '2026-04-01', '2026-06-30', 'q') ON CONFLICT DO NOTHING;
COMMIT;
