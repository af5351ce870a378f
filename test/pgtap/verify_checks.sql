-- revrec.verify() finds every kind of problem it checks for.  A small ledger
-- (a subscription, a usage line, a milestone line, a billing schedule and a
-- credit note) is broken in replica mode, one way at a time, the way a broken
-- load or restore could, and verify() must report exactly these rows, in
-- this order.  Every query of verify() joins a child to its parent by
-- (customer_id, id), so that Citus can plan it (docs/CITUS.md): a line,
-- usage row or posting whose customer does not have the parent it names is
-- not counted with that parent (the posting engines do not post it either)
-- and is reported as 'no document'.
BEGIN;
SELECT plan(18);

INSERT INTO revrec.customer VALUES ('C1', 'Acme'), ('C2', 'Globex');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line'), ('API', 'API calls', 'usage'),
                                  ('PS', 'Professional services', 'milestone');
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-01-01'), ('I2', '1002', 'C1', 'USD', '2025-01-01'),
                                  ('I3', '1003', 'C2', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end) VALUES
    ('L1', 'I1', 'SUB', 1200, '2025-01-01', '2025-12-31'),
    ('L2', 'I2', 'API', 300, '2025-01-01', '2025-03-31'),
    ('L3', 'I3', 'PS', 1000, '2025-01-01', '2025-12-31');
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('L2', '2025-01-15', 50);
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount, completed_on) VALUES
    ('M1', 'L3', 'kickoff', 400, '2025-02-01'), ('M2', 'L3', 'handover', 600, NULL);
INSERT INTO revrec.billing_schedule_line VALUES ('B1', 'C2', 'SUB', 'USD', 120, '2025-01-01', '2025-12-31');
INSERT INTO revrec.credit_note VALUES ('CN1', 'CN-1', 'C1', 'I1', 'USD', '2025-06-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN1-1', 'CN1', 'L1', 100);
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;

SELECT is_empty($$SELECT * FROM revrec.verify()$$, 'the ledger as posted: no problem');

-- a copy of the first posting of source_id src, changed, inserted as revrec
-- itself never would (replica mode: without the ledger's check)
CREATE FUNCTION pg_temp.copy_posting(src text, new_id text, new_line text DEFAULT NULL, new_customer text DEFAULT NULL,
                                     new_ref text DEFAULT NULL, new_entries bigint[] DEFAULT NULL,
                                     new_posting_id bigint DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql AS $$
DECLARE
    r revrec.posting;
BEGIN
    SELECT * INTO STRICT r FROM revrec.posting p WHERE p.source_id = src ORDER BY p.posting_id LIMIT 1;
    r.posting_id := coalesce(new_posting_id, nextval('revrec.posting_posting_id_seq'));
    r.source_id := new_id;
    IF r.source = 'invoice' THEN r.invoice_id := new_id; END IF;
    IF r.source = 'credit_note' THEN r.credit_note_id := new_id; END IF;
    r.line_id := coalesce(new_line, r.line_id);
    r.customer_id := coalesce(new_customer, r.customer_id);
    r.ref_id := coalesce(new_ref, r.ref_id);
    r.entries := coalesce(new_entries, r.entries);
    INSERT INTO revrec.posting OVERRIDING SYSTEM VALUE SELECT r.*;
    RETURN r.posting_id;
END $$;

-- 1. an issued invoice never posted
SAVEPOINT s; SET session_replication_role = replica;
INSERT INTO revrec.invoice VALUES ('I9', '1009', 'C1', 'USD', '2025-02-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
VALUES ('L9', 'I9', 'C1', 'SUB', 600, '2025-02-01', '2025-07-31');
SELECT results_eq($$SELECT * FROM revrec.verify()$$,
    $$VALUES ('not posted', 'invoice I9', 'issued with 1 lines, no issue posting')$$, 'not posted: an issued invoice');
ROLLBACK TO SAVEPOINT s;

-- 2. a group posted twice
SAVEPOINT s; SET session_replication_role = replica;
SELECT pg_temp.copy_posting('I1', 'I1', new_ref => 'again') > 0 AS copied \gset
SELECT results_eq($$SELECT * FROM revrec.verify()$$,
    $$VALUES ('posted twice', 'invoice I1', '2 issue postings for one group'),
             ('billed differs', 'invoice I1', 'lines bill 120000, issue postings 240000 (minor units)'),
             ('activity differs', 'invoice I1', 'activity log: 732 entries, 2400.00 debits; journal: 1464 entries, 4800.00 debits')$$,
    'posted twice: an invoice group; billed differs; activity differs');
ROLLBACK TO SAVEPOINT s;

-- 3. a draft with postings; a void invoice whose postings were not reversed
SAVEPOINT s; SET session_replication_role = replica;
INSERT INTO revrec.invoice VALUES ('I8', '1008', 'C1', 'USD', '2025-01-01', 'draft');
INSERT INTO revrec.invoice VALUES ('I7', '1007', 'C1', 'USD', '2025-01-01', 'void', '2025-03-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
VALUES ('L8', 'I8', 'C1', 'SUB', 1200, '2025-01-01', '2025-12-31'), ('L7', 'I7', 'C1', 'SUB', 1200, '2025-01-01', '2025-12-31');
SELECT pg_temp.copy_posting('I1', 'I8', 'L8') > 0 AND pg_temp.copy_posting('I1', 'I7', 'L7') > 0 AS copied \gset
INSERT INTO revrec.activity (action, source, document_id, customer_id, entries, amount, currency)
VALUES ('issue', 'invoice', 'I8', 'C1', 732, 2400, 'USD'), ('issue', 'invoice', 'I7', 'C1', 732, 2400, 'USD');
SELECT results_eq($$SELECT * FROM revrec.verify()$$,
    $$VALUES ('posted draft', 'invoice I8', 'a draft with 1 postings'),
             ('not reversed', 'invoice I7', 'void, but its postings are not reversed')$$,
    'posted draft, not reversed: invoices');
ROLLBACK TO SAVEPOINT s;

-- 4. usage recorded without its posting
SAVEPOINT s; SET session_replication_role = replica;
INSERT INTO revrec.usage (line_id, customer_id, usage_date, amount) VALUES ('L2', 'C1', '2025-02-10', 20);
SELECT results_eq($$SELECT * FROM revrec.verify()$$,
    $$VALUES ('usage differs', 'invoice I2 line L2', 'usage rows 7000, recognized on usage days 5000 (minor units)')$$,
    'usage differs');
ROLLBACK TO SAVEPOINT s;

-- 5. a milestone completed without its posting
SAVEPOINT s; SET session_replication_role = replica;
UPDATE revrec.milestone SET completed_on = '2025-03-01' WHERE milestone_id = 'M2';
SELECT results_eq($$SELECT * FROM revrec.verify()$$,
    $$VALUES ('milestones differ', 'invoice I3 line L3', 'completed milestones 100000, recognized 40000 (minor units)')$$,
    'milestones differ');
ROLLBACK TO SAVEPOINT s;

-- 6. credit note lines: not posted, posted twice, posted for another amount
SAVEPOINT s; SET session_replication_role = replica;
INSERT INTO revrec.credit_note VALUES ('CN2', 'CN-2', 'C1', 'I1', 'USD', '2025-07-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, line_id, amount)
VALUES ('CN2-1', 'CN2', 'C1', 'L1', 50), ('CN2-2', 'CN2', 'C1', 'L1', 100), ('CN2-3', 'CN2', 'C1', 'L1', 60);
SELECT pg_temp.copy_posting('CN1', 'CN2', new_ref => 'CN2-2') > 0 AND pg_temp.copy_posting('CN1', 'CN2', new_ref => 'CN2-3') > 0
   AND pg_temp.copy_posting('CN1', 'CN1', new_ref => 'CN1-1', new_line => 'L1x') > 0 AS copied \gset
SELECT results_eq($$SELECT * FROM revrec.verify()$$,
    $$VALUES ('posted twice', 'credit note CN1 line CN1-1', '2 postings crediting billed 20000, the line is 10000 (minor units)'),
             ('not posted', 'credit note CN2 line CN2-1', '0 postings crediting billed , the line is 5000 (minor units)'),
             ('credit differs', 'credit note CN2 line CN2-3', '1 postings crediting billed 10000, the line is 6000 (minor units)'),
             ('activity differs', 'credit_note CN1', 'activity log: 430 entries, 200.00 debits; journal: 860 entries, 400.00 debits'),
             ('activity differs', 'credit_note CN2', 'activity log: 0 entries, 0 debits; journal: 860 entries, 400.00 debits')$$,
    'credit note lines: posted twice, not posted, credit differs');
ROLLBACK TO SAVEPOINT s;

-- 7. a void credit note not reversed; a draft one with postings
SAVEPOINT s; SET session_replication_role = replica;
INSERT INTO revrec.credit_note VALUES ('CN3', 'CN-3', 'C1', 'I1', 'USD', '2025-06-01', 'draft');
INSERT INTO revrec.credit_note VALUES ('CN4', 'CN-4', 'C1', 'I1', 'USD', '2025-06-01', 'void', '2025-06-02');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, line_id, amount)
VALUES ('CN3-1', 'CN3', 'C1', 'L1', 100), ('CN4-1', 'CN4', 'C1', 'L1', 100);
SELECT pg_temp.copy_posting('CN1', 'CN3', new_ref => 'CN3-1') > 0 AND pg_temp.copy_posting('CN1', 'CN4', new_ref => 'CN4-1') > 0 AS copied \gset
INSERT INTO revrec.activity (action, source, document_id, customer_id, entries, amount, currency)
SELECT 'credit', 'credit_note', x.id, 'C1', 430, 200, 'USD' FROM (VALUES ('CN3'), ('CN4')) x(id);
SELECT results_eq($$SELECT * FROM revrec.verify()$$,
    $$VALUES ('not reversed', 'credit note CN4', 'void, but its postings are not reversed'),
             ('posted draft', 'credit note CN3', 'a draft with postings')$$,
    'credit notes: not reversed, posted draft');
ROLLBACK TO SAVEPOINT s;

-- 8. billing schedule lines: one never posted, one posted twice
SAVEPOINT s; SET session_replication_role = replica;
INSERT INTO revrec.billing_schedule_line VALUES ('B2', 'C1', 'SUB', 'USD', 240, '2025-01-01', '2025-12-31');
SELECT pg_temp.copy_posting('B1', 'B1', new_ref => 'again') > 0 AS copied \gset
SELECT results_eq($$SELECT * FROM revrec.verify()$$,
    $$VALUES ('posted twice', 'billing schedule line B1', '2 issue postings'),
             ('not posted', 'billing schedule line B2', '0 issue postings'),
             ('activity differs', 'billing_schedule B1', 'activity log: 730 entries, 120.00 debits; journal: 1460 entries, 240.00 debits')$$,
    'billing schedule lines: posted twice, not posted');
ROLLBACK TO SAVEPOINT s;

-- 9. postings of documents that do not exist, or not for their customer
SAVEPOINT s; SET session_replication_role = replica;
SELECT pg_temp.copy_posting('I1', 'I1', new_customer => 'C3') AS p1, pg_temp.copy_posting('CN1', 'CN1', new_customer => 'C3') AS p2,
       pg_temp.copy_posting('B1', 'B1', new_customer => 'C3') AS p3, pg_temp.copy_posting('I1', 'I404') AS p4 \gset
SELECT results_eq($$SELECT * FROM revrec.verify() WHERE "check" = 'no document'$$,
    format($$VALUES ('no document', 'billing_schedule B1', 'posting %s (issue)'), ('no document', 'credit_note CN1', 'posting %s (credit)'),
                    ('no document', 'invoice I1', 'posting %s (issue)'), ('no document', 'invoice I404', 'posting %s (issue)')$$,
           :p3, :p2, :p1, :p4),
    'no document: postings of a missing document, or of a customer without it');
SELECT results_eq($$SELECT document FROM revrec.verify() WHERE "check" = 'activity differs'$$,
    $$VALUES ('billing_schedule B1'), ('credit_note CN1'), ('invoice I1'), ('invoice I404')$$,
    '... and their journal entries are not in the activity log');
ROLLBACK TO SAVEPOINT s;

-- 10. lines naming an invoice their customer does not have (another
-- customer's, none at all, a missing invoice): never posted, so not
-- counted with the invoice
SAVEPOINT s; SET session_replication_role = replica;
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
VALUES ('LX', 'I1', 'C2', 'SUB', 10, '2025-01-01', '2025-12-31'), ('LY', 'I3', NULL, 'SUB', 10, '2025-01-01', '2025-12-31'),
       ('LZ', 'I404', 'C1', 'SUB', 10, '2025-01-01', '2025-12-31'), ('LZ2', 'I404', 'C1', 'SUB', 10, '2025-01-01', '2025-12-31');
SELECT results_eq($$SELECT * FROM revrec.verify()$$,
    $$VALUES ('no document', 'invoice I1', '1 lines of customer C2 name it, not an invoice of that customer (never posted)'),
             ('no document', 'invoice I3', '1 lines of customer (none) name it, not an invoice of that customer (never posted)'),
             ('no document', 'invoice I404', '2 lines of customer C1 name it, not an invoice of that customer (never posted)')$$,
    'no document: invoice lines of a customer without their invoice');
ROLLBACK TO SAVEPOINT s;

-- 11. postings that do not balance, or name accounts that do not exist
SAVEPOINT s; SET session_replication_role = replica;
SELECT pg_temp.copy_posting('I1', 'I1', new_ref => 'u1', new_entries => '{9132,1,100,9132,2,-99}') AS p1,
       pg_temp.copy_posting('I1', 'I1', new_ref => 'u2', new_entries => '{9132,1,100,9132,77,-100,9133,78,5,9133,2,-5}') AS p2 \gset
SELECT results_eq($$SELECT * FROM revrec.verify() WHERE "check" IN ('unbalanced', 'unknown account')$$,
    format($$VALUES ('unbalanced', 'invoice I1', 'posting %s: debits - credits = 1 on 2025-01-01'),
                    ('unknown account', 'invoice I1', 'posting %s: account ids 77, 78 are not in revrec.ledger_account')$$, :p1, :p2),
    'unbalanced, unknown account');
ROLLBACK TO SAVEPOINT s;

-- 12. the activity log off; a sequence behind its data
SAVEPOINT s; SET session_replication_role = replica;
INSERT INTO revrec.activity (action, source, document_id, customer_id, entries, amount, currency)
VALUES ('issue', 'invoice', 'I3', 'C2', 2, 10, 'USD');
INSERT INTO revrec.usage (usage_id, line_id, customer_id, usage_date, amount) VALUES (100000, 'L2', 'C1', '2025-03-31', 1);
SELECT results_eq($$SELECT * FROM revrec.verify()$$,
    format($$VALUES ('activity differs', 'invoice I3', 'activity log: 6 entries, 1410.00 debits; journal: 4 entries, 1400.00 debits'),
                    ('sequence behind', 'revrec.usage_usage_id_seq', 'last value %s, largest id in use 100000')$$,
           (SELECT last_value FROM revrec.usage_usage_id_seq)),
    'activity differs, sequence behind');
ROLLBACK TO SAVEPOINT s;

-- 13. two postings with one posting_id (what a Citus node posting from
-- another node's range of ids would leave: docs/CITUS.md)
SAVEPOINT s; SET session_replication_role = replica;
SELECT min(posting_id) AS first FROM revrec.posting WHERE source_id = 'I1' \gset
SELECT pg_temp.copy_posting('I3', 'I3', new_ref => 'dup', new_posting_id => :first) IS NOT NULL AS copied;
SELECT results_eq($$SELECT * FROM revrec.verify() WHERE "check" = 'posting id twice'$$,
    format($$VALUES ('posting id twice', '%s', '2 postings, of customers C1 to C2')$$, :first),
    'posting id twice: two postings with one id');
ROLLBACK TO SAVEPOINT s;

-- 14. many problems at once: verify() lists them in a set order (by check,
-- then document), and close_summary names the same first three
SAVEPOINT s; SET session_replication_role = replica;
INSERT INTO revrec.invoice VALUES ('I9', '1009', 'C1', 'USD', '2025-02-01'), ('I10', '1010', 'C2', 'USD', '2025-02-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
VALUES ('L9', 'I9', 'C1', 'SUB', 600, '2025-02-01', '2025-07-31'), ('L10', 'I10', 'C2', 'SUB', 600, '2025-02-01', '2025-07-31');
INSERT INTO revrec.billing_schedule_line VALUES ('B2', 'C1', 'SUB', 'USD', 240, '2025-01-01', '2025-12-31');
UPDATE revrec.milestone SET completed_on = '2025-03-01' WHERE milestone_id = 'M2';
SELECT results_eq($$SELECT "check", document FROM revrec.verify()$$,
    $$VALUES ('not posted', 'invoice I10'), ('not posted', 'invoice I9'), ('milestones differ', 'invoice I3 line L3'),
             ('not posted', 'billing schedule line B2')$$,
    'several problems: in the order of the checks, then of the documents');
SELECT is((SELECT status FROM revrec.close_summary('2025-01-01', '2025-01-31', 'USD') WHERE item = 'revrec.verify()'),
          'FAIL: 4 problems: ("not posted","invoice I10","issued with 1 lines, no issue posting"); '
          '("not posted","invoice I9","issued with 1 lines, no issue posting"); '
          '("milestones differ","invoice I3 line L3","completed milestones 100000, recognized 40000 (minor units)")',
          'close_summary names the first three');
ROLLBACK TO SAVEPOINT s;

SELECT is_empty($$SELECT * FROM revrec.verify()$$, 'every break rolled back: no problem');

SELECT * FROM finish();
ROLLBACK;
