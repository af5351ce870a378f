-- Attack review of the 0.3 trust boundaries: each assertion is a hole a
-- review found in the first cut of the trust work (each failed on it).
--   1. a manual journal racing a lock change lands in the locked period
--   2. a writer moves usage / a milestone / a credit note line onto a posted
--      document (only the OLD parent is checked); changes a credit grant a
--      posted invoice drew on (no guard at all)
--   3. replica mode: posted documents change (their guards are not ENABLE ALWAYS)
--   4. revrec._outer_role() is not the caller: a superuser's ANALYZE (or
--      autovacuum) of a reader's table posts the reader's manual journal
--   5. the per-role export cap is per SET ROLE target, and a reader may keep
--      worker slots for a day (revrec.export_wait is settable by anyone)
BEGIN;
SELECT plan(11);

-- 1. lock race (first: the fixture's flushes below hold the settings row FOR SHARE)
-- Two other sessions, with committed data only: session c1 posts a manual
-- journal dated 2025-06-15 and stays open; session c2 locks the period
-- through 2025-06-30 and commits; then c1 commits.  The flush holds the
-- settings row FOR SHARE so that a lock change waits for it; a manual journal
-- does not, so it commits into a period locked before it committed.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('rr_c1', format('host=%s port=%s dbname=%s user=%s', current_setting('unix_socket_directories'),
                                      current_setting('port'), current_database(), current_user)) IS NOT NULL AS c1,
       dblink_connect('rr_c2', format('host=%s port=%s dbname=%s user=%s', current_setting('unix_socket_directories'),
                                      current_setting('port'), current_database(), current_user)) IS NOT NULL AS c2;
SELECT dblink_exec('rr_c1', 'BEGIN');
SELECT * FROM dblink('rr_c1', $$SELECT revrec.post_manual_journal('2025-06-15', 'raced with the lock',
    '[{"account":"recognized","direction":"debit","amount":"5"},{"account":"deferred","direction":"credit","amount":"5"}]', 'USD')$$) AS t(j text);
SELECT dblink_exec('rr_c2', $$SET lock_timeout = '2s'$$);
SELECT dblink_exec('rr_c2', $$UPDATE revrec.settings SET lock_date = '2025-06-30'$$, false);
SELECT dblink_exec('rr_c1', 'COMMIT', false);
SELECT is_empty($$SELECT p.narrative FROM revrec.posting p, revrec.settings s
                   WHERE p.narrative = 'raced with the lock' AND p.first_date <= s.lock_date$$,
                'a manual journal racing a lock change does not commit into the period locked meanwhile');
SELECT dblink_exec('rr_c2', 'UPDATE revrec.settings SET lock_date = NULL', false);
SELECT dblink_disconnect('rr_c1'), dblink_disconnect('rr_c2');

-- fixture (as test/pgtap/trust.sql) -------------------------------------------
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_ar_reader') THEN CREATE ROLE rr_ar_reader LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_ar_writer') THEN CREATE ROLE rr_ar_writer LOGIN; END IF;
END $$;
GRANT revrec_reader TO rr_ar_reader;
GRANT revrec_writer TO rr_ar_writer;

INSERT INTO revrec.customer VALUES ('C1', 'Acme');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line'), ('USE', 'Usage', 'usage'), ('MS', 'Project', 'milestone');
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L1', 'I1', 'SUB', 1200, '2025-01-01', '2025-12-31');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, recognition_method)
VALUES ('L2', 'I1', 'USE', 500, '2025-01-01', '2025-12-31', 'usage');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognition_method) VALUES ('L3', 'I1', 'MS', 1000, 'milestone');
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount, completed_on) VALUES ('M1', 'L3', 'Go-live', 1000, '2025-02-01');
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('L2', '2025-02-10', 100);
INSERT INTO revrec.credit_note VALUES ('CN1', 'CN-1', 'C1', 'I1', 'USD', '2025-06-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN1-1', 'CN1', 'L1', 100);
-- a prepaid credit grant drawn by a posted invoice
INSERT INTO revrec.credit_grant VALUES ('G1', 'C1', 'USD', 100, '2025-01-01');
INSERT INTO revrec.invoice VALUES ('I3', '1003', 'C1', 'USD', '2025-03-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L30', 'I3', 'SUB', 300, '2025-03-01', '2025-03-31');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, grant_id, service_start, service_end)
VALUES ('L31', 'I3', 'SUB', -100, 'credit_usage', 'G1', '2025-03-01', '2025-03-31');
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;
-- drafts: an invoice with a usage line, usage and a milestone line; a credit note
INSERT INTO revrec.invoice VALUES ('D1', 'D-1', 'C1', 'USD', '2025-03-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, recognition_method)
VALUES ('DL1', 'D1', 'USE', 500, '2025-03-01', '2025-12-31', 'usage');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognition_method) VALUES ('DL2', 'D1', 'MS', 500, 'milestone');
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('DL1', '2025-03-10', 400);
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount) VALUES ('DM1', 'DL2', 'Extra', 500);
INSERT INTO revrec.credit_note VALUES ('CN2', 'CN-2', 'C1', 'I1', 'USD', '2025-06-01', 'draft');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN2-1', 'CN2', 'L1', 900);
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;

-- 2. a writer moves a child row of a draft onto a posted document ------------
SET ROLE rr_ar_writer;
SELECT throws_ok($$UPDATE revrec.usage SET line_id = 'L2' WHERE line_id = 'DL1'$$, 'RV013', NULL,
                 'a writer cannot move usage onto a line of a posted invoice');
SELECT throws_ok($$UPDATE revrec.milestone SET line_id = 'L3', completed_on = '2025-04-01' WHERE milestone_id = 'DM1'$$, 'RV013', NULL,
                 'a writer cannot move a milestone onto a line of a posted invoice (it would recognize more than billed)');
SELECT throws_ok($$UPDATE revrec.credit_note_line SET credit_note_id = 'CN1' WHERE credit_note_line_id = 'CN2-1'$$, 'RV013', NULL,
                 'a writer cannot move a credit note line onto a posted credit note');
-- the grant a posted drawdown was checked against (amount, currency, dates: RV021)
SELECT throws_ok($$UPDATE revrec.credit_grant SET amount = 1, currency = 'EUR', expires_on = '2025-01-02' WHERE grant_id = 'G1'$$,
                 NULL, NULL, 'a writer cannot shrink, re-currency or expire a grant a posted invoice drew on');
RESET ROLE;
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;
SELECT is((SELECT sum(amount) FROM revrec.journal_entry
            WHERE source_id = 'I1' AND line_id = 'L3' AND account = 'recognized' AND direction = 'credit'), 1000.00,
          'the milestone line of posted I1 recognizes what it billed (1000), no more');

-- 3. replica mode: posted documents still cannot change -------------------------
SET session_replication_role = replica;
SELECT throws_ok($$UPDATE revrec.invoice_line SET amount = 1 WHERE line_id = 'L1'$$, 'RV013', NULL,
                 'replica mode: a line of a posted invoice cannot change');
SELECT throws_ok($$DELETE FROM revrec.usage WHERE line_id = 'L2'$$, 'RV013', NULL,
                 'replica mode: usage of a posted invoice cannot be deleted');
RESET session_replication_role;

-- 4. revrec._outer_role() trusts whoever runs a maintenance command -----------
-- A reader with a schema of its own indexes its table on a function that posts
-- a manual journal.  Run by the reader, post_manual_journal refuses (42501);
-- run inside a superuser's ANALYZE (or autovacuum's), the expression runs as
-- the table owner, but _outer_role() (GetOuterUserId) is the superuser's, so
-- the "revrec_admin is required" check passes and the journal is posted,
-- recorded_by and activity_log naming the superuser.
CREATE SCHEMA rr_ar AUTHORIZATION rr_ar_reader;
SET ROLE rr_ar_reader;
CREATE FUNCTION rr_ar.f(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM revrec.post_manual_journal('2025-06-30', 'forged by a reader', '[{"account":"recognized","direction":"debit","amount":"999"},{"account":"deferred","direction":"credit","amount":"999"}]', 'USD');
    RETURN $1;
EXCEPTION WHEN OTHERS THEN RETURN $1;
END $$;
CREATE TABLE rr_ar.t (x int);
INSERT INTO rr_ar.t VALUES (1);
CREATE INDEX ON rr_ar.t (rr_ar.f(x));
RESET ROLE;
ANALYZE rr_ar.t;   -- ordinary maintenance (vacuumdb --analyze, autovacuum)
SELECT is_empty($$SELECT narrative, recorded_by FROM revrec.posting WHERE narrative = 'forged by a reader'$$,
                'a reader cannot post a manual journal through a superuser''s ANALYZE of its table');

-- 5. export jobs: the per-role cap and worker slots --------------------------------
UPDATE revrec.settings SET export_jobs_per_role = 1;
SET ROLE rr_ar_reader;
SELECT revrec.export_async('sequence', '2025-01-01', '2025-12-31');
SET ROLE revrec_reader;   -- any member may
SELECT throws_ok($$SELECT revrec.export_async('sequence', '2025-01-01', '2025-12-31')$$, 'RV019', NULL,
                 'a reader at its cap cannot start another job by SET ROLE revrec_reader');
RESET ROLE;
SET ROLE rr_ar_reader;
SELECT revrec.version() IS NOT NULL AS library_loaded;   -- the setting is revrec's once its library is loaded
SELECT throws_ok($$SET revrec.export_wait = 86400$$, '42501', NULL,
                 'a reader cannot make its export workers wait a day for its open transaction (holding worker slots)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
