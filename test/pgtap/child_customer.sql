-- A line, usage row, milestone or credit note line has its parent's
-- customer (60_document_triggers.sql, _same_customer): the engines join them
-- by customer, so a row of another customer would never post.  Found by the
-- review of stop 24: a writer could give usage, milestones and credit note
-- lines any customer_id (INSERT or UPDATE), change an invoice line's, or move
-- a line to another customer's invoice; the invoice then posted without them.
-- Each of those is refused (RV014) for the writer; a draft's change of
-- customer still carries to its lines, usage and milestones.
BEGIN;
SELECT plan(15);

INSERT INTO revrec.customer VALUES ('C1', 'Acme'), ('C2', 'Globex');
INSERT INTO revrec.product VALUES ('API', 'API calls', 'usage'), ('PS', 'Professional services', 'milestone'),
                                  ('SUB', 'Subscription', 'straight_line');
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-01-01', 'draft'),
                                  ('I2', '1002', 'C1', 'USD', '2025-01-01', 'issued'),
                                  ('I3', '1003', 'C2', 'USD', '2025-01-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end) VALUES
    ('L1', 'I1', 'API', 300, '2025-01-01', '2025-03-31'),
    ('L2', 'I2', 'SUB', 1200, '2025-01-01', '2025-12-31'),
    ('L4', 'I1', 'SUB', 100, '2025-01-01', '2025-12-31');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognition_method) VALUES
    ('L3', 'I1', 'PS', 500, 'milestone');
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('L1', '2025-01-15', 50);
SELECT usage_id AS u1 FROM revrec.usage WHERE line_id = 'L1' \gset
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount) VALUES ('M1', 'L3', 'Kick-off', 500);
INSERT INTO revrec.credit_note VALUES ('CN1', 'CN-1', 'C1', 'I2', 'USD', '2025-06-01', 'draft');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN1-1', 'CN1', 'L2', 100);
INSERT INTO revrec.credit_note VALUES ('CN2', 'CN-2', 'C1', NULL, 'USD', '2025-06-01', 'draft');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, product_id, amount) VALUES ('CN2-1', 'CN2', 'SUB', 10);
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;

SET ROLE revrec_writer;
SELECT throws_ok($$INSERT INTO revrec.usage (line_id, customer_id, usage_date, amount) VALUES ('L1', 'C2', '2025-01-20', 5)$$,
    'RV014', NULL, 'usage naming another customer than its line''s: refused');
SELECT throws_ok(format($$UPDATE revrec.usage SET customer_id = 'C2' WHERE usage_id = %s$$, :u1),
    'RV014', format('usage row %s has customer_id C2 but line L1 belongs to C1', :u1), 'usage moved to another customer: refused');
SELECT throws_ok(format($$UPDATE revrec.usage SET customer_id = NULL WHERE usage_id = %s$$, :u1),
    'RV014', format('usage row %s has customer_id NULL but line L1 belongs to C1', :u1), 'usage left without a customer: refused');
SELECT throws_ok($$INSERT INTO revrec.milestone (milestone_id, line_id, customer_id, name, amount) VALUES ('M2', 'L3', 'C2', 'x', 1)$$,
    'RV014', NULL, 'a milestone naming another customer than its line''s: refused');
SELECT throws_ok($$UPDATE revrec.milestone SET customer_id = 'C2' WHERE milestone_id = 'M1'$$,
    'RV014', 'milestone M1 has customer_id C2 but line L3 belongs to C1', 'a milestone moved to another customer: refused');
SELECT throws_ok($$INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, line_id, amount)
                   VALUES ('CN1-2', 'CN1', 'C2', 'L2', 5)$$,
    'RV014', NULL, 'a credit note line naming another customer than its credit note''s: refused');
SELECT throws_ok($$UPDATE revrec.credit_note_line SET customer_id = 'C2' WHERE credit_note_line_id = 'CN1-1'$$,
    'RV014', 'credit note line CN1-1 has customer_id C2 but credit note CN1 belongs to C1',
    'a credit note line moved to another customer: refused');
SELECT throws_ok($$UPDATE revrec.invoice_line SET customer_id = 'C2' WHERE line_id = 'L4'$$,
    'RV014', 'line L4 has customer_id C2 but invoice I1 belongs to C1', 'an invoice line given another customer: refused');
SELECT throws_ok($$UPDATE revrec.invoice_line SET invoice_id = 'I3' WHERE line_id = 'L4'$$,
    'RV014', 'line L4 has customer_id C1 but invoice I3 belongs to C2', 'a line moved to another customer''s invoice: refused');
-- a draft's change of customer carries to its lines, their usage and milestones
-- (a standalone draft credit note's: to its lines)
UPDATE revrec.invoice SET customer_id = 'C2' WHERE invoice_id = 'I1';
UPDATE revrec.credit_note SET customer_id = 'C2' WHERE credit_note_id = 'CN2';
RESET ROLE;
SELECT is((SELECT array_agg(DISTINCT customer_id) FROM (SELECT customer_id FROM revrec.invoice_line WHERE invoice_id = 'I1'
           UNION ALL SELECT u.customer_id FROM revrec.usage u JOIN revrec.invoice_line l USING (line_id) WHERE l.invoice_id = 'I1'
           UNION ALL SELECT m.customer_id FROM revrec.milestone m JOIN revrec.invoice_line l USING (line_id) WHERE l.invoice_id = 'I1') x),
          ARRAY['C2'], 'a draft''s new customer carried to its lines, usage and milestones');
SELECT is((SELECT customer_id FROM revrec.credit_note_line WHERE credit_note_line_id = 'CN2-1'), 'C2',
          'a draft credit note''s new customer carried to its lines');
-- in replica mode (a restore) nothing is checked or carried: the rows arrive as they were
SET session_replication_role = replica;
SELECT lives_ok(format($$UPDATE revrec.usage SET customer_id = 'C1' WHERE usage_id = %s$$, :u1), 'replica mode: not refused');
UPDATE revrec.usage SET customer_id = 'C2' WHERE usage_id = :u1;
RESET session_replication_role;
SET ROLE revrec_writer;
UPDATE revrec.invoice SET status = 'issued' WHERE invoice_id = 'I1';
RESET ROLE;
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;
SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id = 'I1' AND reason = 'issue'), 3::bigint,
          'the draft, issued under its new customer, posts all three lines');
SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id = 'I1' AND reason = 'issue' AND customer_id = 'C2'), 3::bigint,
          '... all three under the new customer');
SELECT is_empty($$SELECT * FROM revrec.verify()$$, 'verify() finds nothing');

SELECT * FROM finish();
ROLLBACK;
