-- make citus-test: the ledger broken the same way on the single node and
-- through the Citus coordinator, in replica mode (as a broken load or
-- restore could), inside one transaction that the test rolls back after
-- comparing revrec.verify() and close_summary's verify() check.  One kind of
-- problem per statement; every statement must run on both sides.
-- an issued invoice, with its line, never posted
INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date)
VALUES ('INV-B1', 'INV-B1', 'C000002', 'JPY', '2026-02-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end)
VALUES ('INV-B1-1', 'INV-B1', 'C000002', 12000, '2026-02-01', '2027-01-31');
-- a line naming another customer's invoice: never posted
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, amount, service_start, service_end)
VALUES ('INV-B2-1', 'INV000001-2512', 'C000002', 5, '2026-02-01', '2026-02-28');
\set cols 'customer_id, posting_id, source, source_id, invoice_id, invoice_number, line_id, product_id, currency, method, journal_type, reason, ref_id, narrative, floor_date, first_date, last_date, entries, sched_start, sched_end, sched_amount, sched_strategy, sched_months, sched_split, sched_before, sched_after, sched_credit, sched_from'
-- an issue posting copied: posted twice, billed differs, activity differs
INSERT INTO revrec.posting (:cols) OVERRIDING SYSTEM VALUE
SELECT p.customer_id, p.posting_id + (1::bigint << 40), p.source, p.source_id, p.invoice_id, p.invoice_number, p.line_id,
       p.product_id, p.currency, p.method, p.journal_type, p.reason, 'again', p.narrative, p.floor_date, p.first_date,
       p.last_date, p.entries, p.sched_start, p.sched_end, p.sched_amount, p.sched_strategy, p.sched_months, p.sched_split,
       p.sched_before, p.sched_after, p.sched_credit, p.sched_from
  FROM revrec.posting p WHERE p.customer_id = 'C000002' AND p.source_id = 'INV000002-2603' AND p.line_id = 'INV000002-2603-1';
-- the same posting under a customer without the invoice: no document
INSERT INTO revrec.posting (:cols) OVERRIDING SYSTEM VALUE
SELECT 'C000003', p.posting_id + (2::bigint << 40), p.source, p.source_id, p.invoice_id, p.invoice_number, p.line_id,
       p.product_id, p.currency, p.method, p.journal_type, p.reason, p.ref_id, p.narrative, p.floor_date, p.first_date,
       p.last_date, p.entries, p.sched_start, p.sched_end, p.sched_amount, p.sched_strategy, p.sched_months, p.sched_split,
       p.sched_before, p.sched_after, p.sched_credit, p.sched_from
  FROM revrec.posting p WHERE p.customer_id = 'C000002' AND p.source_id = 'INV000002-2602' AND p.line_id = 'INV000002-2602-1';
-- a posting that does not balance
INSERT INTO revrec.posting (:cols) OVERRIDING SYSTEM VALUE
SELECT p.customer_id, p.posting_id + (3::bigint << 40), p.source, p.source_id, p.invoice_id, p.invoice_number, p.line_id,
       p.product_id, p.currency, p.method, p.journal_type, 'adjust', 'unbalanced', p.narrative, NULL, p.first_date,
       p.first_date, ARRAY[revrec._d(p.first_date), 1, 100, revrec._d(p.first_date), 2, -99],
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM revrec.posting p WHERE p.customer_id = 'C000002' AND p.source_id = 'INV000002-2604' AND p.line_id = 'INV000002-2604-1';
-- usage recorded without its posting
INSERT INTO revrec.usage (usage_id, line_id, customer_id, usage_date, amount)
VALUES (900002, 'INV000010-2508-4', 'C000010', '2025-08-10', 7.00);
-- a milestone completed without its posting
UPDATE revrec.milestone SET completed_on = '2026-10-15' WHERE customer_id = 'C000091' AND milestone_id = 'INV000091-2610-8-M2';
-- a billing schedule line never posted
INSERT INTO revrec.billing_schedule_line (schedule_line_id, customer_id, product_id, currency, amount, service_start, service_end)
VALUES ('BS-B1', 'C000005', 'SUB-ENTERPRISE', 'GBP', 100.00, '2026-01-01', '2026-01-31');
-- a credit note line never posted
INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date)
VALUES ('CN-B1', 'CN-B1', 'C000001', 'INV000001-2512', 'USD', '2026-01-20');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, line_id, amount)
VALUES ('CN-B1-1', 'CN-B1', 'C000001', 'INV000001-2512-1', 10.00);
-- the activity log off for one document
INSERT INTO revrec.activity (action, source, document_id, customer_id, entries, amount, currency)
VALUES ('issue', 'invoice', 'INV000003-2601', 'C000003', 2, 1.00, 'USD');
