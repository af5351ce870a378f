-- revrec.verify() on a single node: usage rows, milestones and credit note
-- lines whose customer does not have the parent they name.  verify() joins a
-- child to its parent by (customer_id, id) since the Citus work, so such a
-- row is not counted with its parent (and the invoice engine, which joins the
-- same way, does not recognize such usage): before, 'usage differs' reported
-- the usage the ledger missed; with the join by customer nothing did.  Only
-- a broken load or a restore of older data (replica mode) makes such rows:
-- a writer's INSERT or UPDATE is refused (RV014, child_customer.sql).
BEGIN;
SELECT plan(4);

INSERT INTO revrec.customer VALUES ('C1', 'Acme'), ('C2', 'Globex');
INSERT INTO revrec.product VALUES ('API', 'API calls', 'usage'), ('PS', 'Professional services', 'milestone'),
                                  ('SUB', 'Subscription', 'straight_line');
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-01-01', 'draft'),
                                  ('I2', '1002', 'C1', 'USD', '2025-01-01', 'issued');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end) VALUES
    ('L1', 'I1', 'API', 300, '2025-01-01', '2025-03-31'),
    ('L2', 'I2', 'SUB', 1200, '2025-01-01', '2025-12-31');
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('L1', '2025-01-15', 50), ('L1', '2025-02-15', 70);
SELECT usage_id AS u2 FROM revrec.usage WHERE usage_date = '2025-02-15' \gset
INSERT INTO revrec.credit_note VALUES ('CN1', 'CN-1', 'C1', 'I2', 'USD', '2025-06-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN1-1', 'CN1', 'L2', 100);
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;

-- one usage row of the draft moved to another customer behind revrec's back
-- (replica mode), then a writer issues the draft
SET session_replication_role = replica;
UPDATE revrec.usage SET customer_id = 'C2' WHERE usage_id = :u2;
RESET session_replication_role;
SET ROLE revrec_writer;
UPDATE revrec.invoice SET status = 'issued' WHERE invoice_id = 'I1';
RESET ROLE;
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;

SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id = 'I1' AND reason = 'issue'), 1::bigint,
          'the invoice posted, without the usage row of the other customer');
SELECT results_eq($$SELECT * FROM revrec.verify()$$,
    format($$VALUES ('no document', 'usage %s', 'names line L1, not a line of customer C2')$$, :u2),
    'no document: a usage row whose customer does not have its line');

-- a milestone and a credit note line of a customer without their parent (a broken load)
SAVEPOINT s; SET session_replication_role = replica;
INSERT INTO revrec.milestone (milestone_id, line_id, customer_id, name, amount) VALUES ('MX', 'L2', 'C2', 'stray', 10);
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, line_id, amount)
VALUES ('CN1-X', 'CN1', 'C2', 'L2', 5);
SELECT results_eq($$SELECT * FROM revrec.verify() WHERE "check" = 'no document'$$,
    format($$VALUES ('no document', 'credit note CN1 line CN1-X', 'names credit note CN1, not a credit note of customer C2'),
                    ('no document', 'milestone MX', 'names line L2, not a line of customer C2'),
                    ('no document', 'usage %s', 'names line L1, not a line of customer C2')$$, :u2),
    'no document: a milestone and a credit note line whose customer does not have their parent');
ROLLBACK TO SAVEPOINT s;

SELECT isnt_empty($$SELECT * FROM revrec.verify()$$, 'the usage row stays reported until it is put right');

SELECT * FROM finish();
ROLLBACK;
