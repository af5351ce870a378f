-- The close refuses a ledger that disagrees with its documents: a problem
-- revrec.verify() reports fails close_summary's check and close_period,
-- which then sets no lock and logs no close.
BEGIN;
SELECT plan(5);

INSERT INTO revrec.customer VALUES ('C1', 'Acme');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line');
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L1', 'I1', 'SUB', 1200, '2025-01-01', '2025-12-31');
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;
UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt';

SELECT is((SELECT status FROM revrec.close_summary('2025-01-01', '2025-01-31', 'USD') WHERE item = 'revrec.verify()'), 'ok',
          'a consistent ledger passes the verify() check of the close');

-- an issued invoice written in replica mode (as a broken load could): never posted
SET session_replication_role = replica;
INSERT INTO revrec.invoice VALUES ('I2', '1002', 'C1', 'USD', '2025-01-15');
INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, service_start, service_end)
VALUES ('L2', 'I2', 'C1', 'SUB', 600, '2025-01-15', '2025-06-30');
RESET session_replication_role;

SELECT ok((SELECT count(*) FROM revrec.verify()) > 0, 'verify() reports the unposted invoice');
SELECT matches((SELECT status FROM revrec.close_summary('2025-01-01', '2025-01-31', 'USD') WHERE item = 'revrec.verify()'),
               '^FAIL', 'close_summary fails its verify() check');
SELECT throws_ok($$SELECT * FROM revrec.close_period('2025-01-31')$$, 'RV033', NULL, 'close_period refuses to close');
SELECT is((SELECT coalesce(lock_date::text, 'none') || ' ' || (SELECT count(*) FROM revrec.activity WHERE action = 'close')
             FROM revrec.settings), 'none 0', 'no lock was set and no close was logged');

SELECT * FROM finish();
ROLLBACK;
