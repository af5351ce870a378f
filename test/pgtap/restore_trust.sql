-- Restore detection (sql/objects/33_restore.sql) cannot be used to keep a
-- genuinely new document from posting: only a restore's own evidence (the
-- activity log ahead of its sequence) turns it on, no revrec role can write
-- that evidence, and the restore's setval turns it off.  And revrec.verify()
-- reports what a skipped posting leaves behind.
BEGIN;
SELECT plan(18);
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_rt_writer') THEN CREATE ROLE rr_rt_writer LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_rt_admin') THEN CREATE ROLE rr_rt_admin LOGIN; END IF;
END $$;
GRANT revrec_writer TO rr_rt_writer;
GRANT revrec_admin TO rr_rt_admin;
INSERT INTO revrec.customer VALUES ('RT1', 'Trust');
INSERT INTO revrec.product VALUES ('RT-SETUP', 'Setup', 'point_in_time');

SELECT is(revrec._restoring(), false, 'a fresh install is not restoring');

SET ROLE rr_rt_writer;
SELECT throws_ok($$INSERT INTO revrec.activity (activity_id, action) OVERRIDING SYSTEM VALUE VALUES (1000, 'issue')$$,
                 '42501', NULL, 'a writer cannot write the activity log');
SELECT throws_ok($$SELECT setval('revrec.activity_activity_id_seq', 1)$$, '42501', NULL,
                 'a writer cannot set the activity sequence');
SELECT throws_ok($$SELECT revrec._restoring()$$, '42501', NULL, 'a writer cannot call revrec._restoring()');
RESET ROLE;
SET ROLE rr_rt_admin;
SELECT throws_ok($$INSERT INTO revrec.activity (action) VALUES ('issue')$$, '42501', NULL,
                 'an admin cannot write the activity log');
SELECT throws_ok($$SELECT setval('revrec.activity_activity_id_seq', 1)$$, '42501', NULL,
                 'an admin cannot set the activity sequence');
RESET ROLE;

-- a writer's invoice posts as ever
SET ROLE rr_rt_writer;
INSERT INTO revrec.invoice VALUES ('RT-I1', 'RT-1', 'RT1', 'USD', '2025-01-10');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('RT-L1', 'RT-I1', 'RT-SETUP', 10);
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;
RESET ROLE;
SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id = 'RT-I1'), 1::bigint, 'a writer''s invoice posts');
SELECT is(revrec._restoring(), false, 'ordinary posting does not look like a restore');

-- a restore in progress (what COPY of a dump does: activity rows with their
-- own ids, the sequence set only at the end) posts nothing ...
INSERT INTO revrec.activity (activity_id, action) OVERRIDING SYSTEM VALUE VALUES (1000, 'restored row');
SELECT is(revrec._restoring(), true, 'activity rows above their sequence: a restore in progress');
SET ROLE rr_rt_writer;
INSERT INTO revrec.invoice VALUES ('RT-I2', 'RT-2', 'RT1', 'USD', '2025-01-11');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('RT-L2', 'RT-I2', 'RT-SETUP', 20);
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;
RESET ROLE;
SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id = 'RT-I2'), 0::bigint,
          'while a dump is restored, documents post nothing');
-- ... and revrec.verify() says so; the restore's setval ends it
SELECT ok(EXISTS (SELECT 1 FROM revrec.verify() v WHERE v.check = 'not posted' AND v.document = 'invoice RT-I2'),
          'revrec.verify() reports the document left unposted');
SELECT setval('revrec.activity_activity_id_seq', 1000);
SELECT is(revrec._restoring(), false, 'the restore''s setval ends it');

-- A dump of a distributed revrec (docs/CITUS.md, "Backup and restore")
-- restored here, without Citus, brings revrec.citus_queue, the table that
-- marks a distributed revrec, as a plain table: still a single node (until
-- 0.3 every document table's COPY then failed, wanting Citus)
CREATE TABLE revrec.citus_queue (customer_id text NOT NULL, doc_kind text NOT NULL, doc_id text NOT NULL);
SELECT is(revrec._citus_active(), false, 'a restored plain revrec.citus_queue: not distributed');
SET ROLE rr_rt_writer;
INSERT INTO revrec.invoice VALUES ('RT-I3', 'RT-3', 'RT1', 'USD', '2025-01-12');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('RT-L3', 'RT-I3', 'RT-SETUP', 30);
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;
RESET ROLE;
SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id = 'RT-I3'), 1::bigint,
          'with it, a document posts as on any single node');
SELECT is((SELECT count(*) FROM revrec.citus_queue), 0::bigint, 'and nothing is queued in it');
SELECT is_empty($$SELECT * FROM revrec.verify() WHERE document <> 'invoice RT-I2'$$, 'verify() runs its single-node form');

-- Postings restored from a distributed revrec's dump carry ids above this
-- node's sequence (the workers' ranges) and the transaction ids of other
-- servers, which can be this transaction's: the activity log of what this
-- transaction posts leaves them out (it took its ids from its own sequence)
SET session_replication_role = replica;
INSERT INTO revrec.posting OVERRIDING SYSTEM VALUE
SELECT (jsonb_populate_record(NULL::revrec.posting, to_jsonb(p) || jsonb_build_object(
            'posting_id', 562949953421313, 'source_id', 'RT-W1', 'invoice_id', 'RT-W1', 'recorded_xid', pg_current_xact_id()::text))).*
  FROM revrec.posting p WHERE p.source_id = 'RT-I1';
RESET session_replication_role;
SET ROLE rr_rt_writer;
INSERT INTO revrec.invoice VALUES ('RT-I4', 'RT-4', 'RT1', 'USD', '2025-01-13');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('RT-L4', 'RT-I4', 'RT-SETUP', 40);
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;
RESET ROLE;
SELECT is((SELECT count(*) FROM revrec.activity WHERE document_id = 'RT-I4'), 1::bigint, 'the new invoice is logged');
SELECT is((SELECT count(*) FROM revrec.activity WHERE document_id = 'RT-W1'), 0::bigint,
          'a restored posting with a higher id and this transaction''s id is not logged with it');
SELECT * FROM finish();
ROLLBACK;
