-- Trust boundaries (the audit's repros, each failing on 0.2): no role can
-- hijack revrec's SECURITY DEFINER code, plant functions revrec calls,
-- forge the posting queue, destroy or re-key what the ledger uses, open the
-- ledger in replica mode, or bypass a rule with a switch.
BEGIN;
SELECT plan(60);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_t_reader') THEN CREATE ROLE rr_t_reader LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_t_writer') THEN CREATE ROLE rr_t_writer LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_t_admin') THEN CREATE ROLE rr_t_admin LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_t_owner') THEN CREATE ROLE rr_t_owner LOGIN; END IF;
    EXECUTE format('ALTER DATABASE %I OWNER TO rr_t_owner', current_database());
END $$;
GRANT revrec_reader TO rr_t_reader;
GRANT revrec_writer TO rr_t_writer;
GRANT revrec_admin TO rr_t_admin;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC;   -- pgTAP's own functions

INSERT INTO revrec.customer VALUES ('C1', 'Acme'), ('C2', 'Unused');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line'), ('USE', 'Usage', 'usage'),
                                  ('MS', 'Project', 'milestone'), ('NEW', 'Unused', 'straight_line');
INSERT INTO revrec.ledger_account (code, name, normal_balance) VALUES ('services', 'Services', 'credit'), ('spare', 'Spare', 'debit');
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-01-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L1', 'I1', 'SUB', 1200, '2025-01-01', '2025-12-31');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, recognition_method)
VALUES ('L2', 'I1', 'USE', 500, '2025-01-01', '2025-12-31', 'usage');
INSERT INTO revrec.invoice VALUES ('I2', '1002', 'C1', 'USD', '2025-01-01', 'draft');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, recognition_method) VALUES ('L3', 'I2', 'MS', 1000, 'milestone');
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount) VALUES ('M1', 'L3', 'Go-live', 1000);
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;
UPDATE revrec.invoice SET status = 'issued' WHERE invoice_id = 'I2';
UPDATE revrec.milestone SET completed_on = '2025-03-01' WHERE milestone_id = 'M1';
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('L2', '2025-02-10', 100);
SELECT revrec.post_manual_journal('2025-03-31', 'Reclass', '[{"account":"recognized","direction":"debit","amount":"10"},{"account":"services","direction":"credit","amount":"10"}]', 'USD', customer_id => 'C1');
SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;
UPDATE revrec.settings SET lock_date = '2025-01-31';
CREATE TEMP TABLE ledger_before AS SELECT * FROM revrec.posting;

-- 1. SECURITY DEFINER code cannot be hijacked ---------------------------------
-- the audit's repro: a reader attaches the settings trigger (SECURITY
-- DEFINER) to a temp table whose column type has a cast the reader wrote
SET ROLE rr_t_reader;
CREATE TYPE pg_temp.ld AS (d date);
CREATE FUNCTION pg_temp.ld_to_text(pg_temp.ld) RETURNS text LANGUAGE plpgsql AS
 $$BEGIN IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN EXECUTE 'ALTER ROLE rr_t_reader SUPERUSER'; END IF; RETURN ($1).d::text; END$$;
CREATE CAST (pg_temp.ld AS text) WITH FUNCTION pg_temp.ld_to_text(pg_temp.ld);
CREATE TEMP TABLE fake (lock_date pg_temp.ld, lock_to_accounting_date boolean);
INSERT INTO fake VALUES (ROW('2026-01-01'), false);
SELECT throws_ok($$CREATE TRIGGER t BEFORE UPDATE ON fake FOR EACH ROW EXECUTE FUNCTION revrec._settings_upd()$$,
                 '42501', NULL, 'a reader cannot attach revrec''s settings trigger to its own table');
SELECT throws_ok($$CREATE TRIGGER t AFTER INSERT ON fake REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
                   EXECUTE FUNCTION revrec._check_reference('lock_date', 'customer', 'customer_id', 'x')$$,
                 '42501', NULL, 'a reader cannot attach the reference check to its own table');
RESET ROLE;
-- every trigger function, for every role
SELECT is_empty($$SELECT p.oid::regprocedure::text || ' by ' || r
                    FROM pg_proc p, unnest(ARRAY['rr_t_reader', 'rr_t_writer', 'rr_t_admin', 'rr_t_owner']) r
                   WHERE p.pronamespace = 'revrec'::regnamespace AND p.prorettype = 'trigger'::regtype
                     AND has_function_privilege(r, p.oid, 'EXECUTE')$$,
                'no role but the owner may execute (so attach) any revrec trigger function');
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p
                   WHERE p.pronamespace = 'revrec'::regnamespace AND p.prorettype = 'trigger'::regtype
                     AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
                     AND p.prosrc NOT LIKE '%IF TG_TABLE_SCHEMA <> ''revrec'' THEN RAISE%'
                     -- the capture trigger of a source (92_sources.sql) fires on the
                     -- billing system's tables: it checks they are an attached source's
                     AND NOT (p.proname = '_source_capture' AND p.prosrc LIKE '%fires only on the tables of an attached source%')$$,
                'every plpgsql trigger function checks first that it fires on a revrec table (or an attached source''s)');
-- even attached by a superuser, a definer trigger refuses to run elsewhere
-- and evaluates nothing of the foreign table
CREATE TEMP TABLE fake2 (lock_date pg_temp.ld, lock_to_accounting_date boolean);
INSERT INTO fake2 VALUES (ROW('2026-01-01'), false);
CREATE TRIGGER t BEFORE UPDATE ON fake2 FOR EACH ROW EXECUTE FUNCTION revrec._settings_upd();
SELECT throws_ok($$UPDATE fake2 SET lock_date = ROW('2027-01-01')$$, '42501',
                 'revrec''s trigger functions fire only on revrec''s own tables', 'the settings trigger refuses a foreign table');
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'rr_t_reader'), 'the reader did not become superuser');

-- 2. functions planted in public are never called -----------------------------
-- a database owner (not a superuser) plants look-alikes of built-ins revrec
-- uses; a superuser then reads, reports, exports and posts with public first
-- in its search_path
CREATE TABLE public.pwned (fn text);
GRANT INSERT ON public.pwned TO PUBLIC;
SET ROLE rr_t_owner;
CREATE FUNCTION public.format(text, text, text, text) RETURNS text LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('format4') RETURNING 'x'$$;
CREATE FUNCTION public.format(text, text, text) RETURNS text LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('format3') RETURNING 'x'$$;
CREATE FUNCTION public.format(text, text) RETURNS text LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('format2') RETURNING 'x'$$;
CREATE FUNCTION public.to_char(date, text) RETURNS text LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('to_char') RETURNING 'x'$$;
CREATE FUNCTION public.coalesce_(text) RETURNS text LANGUAGE sql AS $$SELECT 'x'$$;
CREATE FUNCTION public.initcap(text) RETURNS text LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('initcap') RETURNING 'x'$$;
CREATE FUNCTION public.replace(text, text, text) RETURNS text LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('replace') RETURNING 'x'$$;
CREATE FUNCTION public.md5(text) RETURNS text LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('md5') RETURNING 'x'$$;
CREATE FUNCTION public.nullif(text, text) RETURNS text LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('nullif') RETURNING 'x'$$;
CREATE FUNCTION public.lpad(text, integer, text) RETURNS text LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('lpad') RETURNING 'x'$$;
CREATE FUNCTION public.array_to_string(anyarray, text) RETURNS text LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('array_to_string') RETURNING 'x'$$;
CREATE FUNCTION public.isfinite(date) RETURNS boolean LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('isfinite') RETURNING true$$;
CREATE FUNCTION public.pg_current_xact_id() RETURNS xid8 LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('xact') RETURNING '1'::xid8$$;
CREATE FUNCTION public.textcat_(text, bigint) RETURNS text LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('||') RETURNING 'x'$$;
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = bigint, FUNCTION = public.textcat_);
CREATE FUNCTION public.texteq_(text, text) RETURNS boolean LANGUAGE sql AS $$INSERT INTO public.pwned VALUES ('=') RETURNING true$$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.texteq_);
CREATE TABLE public.posting (x int);
CREATE TABLE public.settings (lock_date date);
RESET ROLE;
INSERT INTO revrec.gl_account_map VALUES ('xero', 'billed', NULL, '610'), ('xero', 'deferred', NULL, '820'), ('xero', 'recognized', NULL, '400'),
    ('xero', 'unbilled', NULL, '630'), ('xero', 'services', NULL, '401'),
    ('quickbooks', 'billed', NULL, 'AR'), ('quickbooks', 'deferred', NULL, 'Deferred'), ('quickbooks', 'recognized', NULL, 'Revenue'),
    ('quickbooks', 'unbilled', NULL, 'Unbilled'), ('quickbooks', 'services', NULL, 'Services'),
    ('netsuite', 'billed', NULL, '1200'), ('netsuite', 'deferred', NULL, '2400'), ('netsuite', 'recognized', NULL, '4000'),
    ('netsuite', 'unbilled', NULL, '1210'), ('netsuite', 'services', NULL, '4010');
UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt';   -- Xero exports refuse until it is chosen (RV030)
CREATE TEMP TABLE attack_err (step text, err text);
-- (pgTAP itself lives in public and would use the planted operators: the
-- attacked calls run in a DO block that records errors, checked afterwards)
SET search_path = public, pg_catalog;
DO $$
BEGIN
    BEGIN PERFORM narrative FROM revrec.journal_entry;
    EXCEPTION WHEN OTHERS THEN INSERT INTO attack_err VALUES ('journal_entry', SQLERRM); END;
    BEGIN PERFORM * FROM revrec.journal_report('2025-01-01', '2025-12-31');
    EXCEPTION WHEN OTHERS THEN INSERT INTO attack_err VALUES ('journal_report', SQLERRM); END;
    BEGIN PERFORM * FROM revrec.journal_report('2025-01-01', '2025-12-31', granularity => 'day', exclude_fully_recognized => true);
    EXCEPTION WHEN OTHERS THEN INSERT INTO attack_err VALUES ('journal_report day', SQLERRM); END;
    BEGIN PERFORM * FROM revrec.deferred_revenue('2025-06-30');
    EXCEPTION WHEN OTHERS THEN INSERT INTO attack_err VALUES ('deferred_revenue', SQLERRM); END;
    BEGIN PERFORM * FROM revrec.waterfall('2025-06-30'); PERFORM * FROM revrec.waterfall_csv('2025-06-30');
    EXCEPTION WHEN OTHERS THEN INSERT INTO attack_err VALUES ('waterfall', SQLERRM); END;
    BEGIN PERFORM * FROM revrec.trial_balance('2025-12-31'); PERFORM * FROM revrec.account_balance;
    EXCEPTION WHEN OTHERS THEN INSERT INTO attack_err VALUES ('trial_balance', SQLERRM); END;
    BEGIN PERFORM * FROM revrec.export_sequence('2025-01-01', '2025-12-31'); PERFORM * FROM revrec.export_xero('2025-01-01', '2025-12-31');
          PERFORM * FROM revrec.export_quickbooks('2025-01-01', '2025-12-31'); PERFORM * FROM revrec.export_netsuite('2025-01-01', '2025-12-31');
    EXCEPTION WHEN OTHERS THEN INSERT INTO attack_err VALUES ('exports', SQLERRM); END;
    BEGIN
        INSERT INTO revrec.invoice VALUES ('I3', '1003', 'C1', 'USD', '2025-04-01');
        INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
        VALUES ('L4', 'I3', 'SUB', 310, '2025-04-01', '2025-04-30');
        INSERT INTO revrec.credit_note VALUES ('CN1', 'CN-1', 'C1', 'I1', 'USD', '2025-06-01');
        INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN1-1', 'CN1', 'L1', 100);
        INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('L2', '2025-05-10', 50);
        UPDATE revrec.milestone SET completed_on = NULL WHERE milestone_id OPERATOR(pg_catalog.=) 'M1';  -- the test's own query
        PERFORM revrec.post_manual_journal('2025-06-30', 'Adj', '[{"account":"recognized","direction":"debit","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD');
        UPDATE revrec.settings SET lock_date = '2025-02-28';
        SET CONSTRAINTS ALL IMMEDIATE;
        SET CONSTRAINTS ALL DEFERRED;
    EXCEPTION WHEN OTHERS THEN INSERT INTO attack_err VALUES ('posting', SQLERRM); END;
END
$$;
RESET search_path;
-- pgTAP would trip over the planted operators too
DROP OPERATOR public.|| (text, bigint);
DROP OPERATOR public.= (text, text);
SELECT is_empty($$SELECT * FROM attack_err$$, 'reports, exports and every kind of posting ran as superuser with public first in search_path');
SELECT is_empty($$SELECT DISTINCT fn FROM public.pwned$$, 'no function or operator planted in public was called');
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'rr_t_owner'), 'the database owner did not become superuser');
SELECT is((SELECT sum(amount) FROM revrec.journal_entry WHERE source_id = 'I3' AND account = 'recognized'), 310.00,
          'the invoice posted with public first has its real amounts');
-- SQL functions bind their calls at creation (SQL-standard bodies); every
-- other function of the extension pins its search_path
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                   WHERE p.pronamespace = 'revrec'::regnamespace
                     AND ((l.lanname = 'sql' AND p.prosqlbody IS NULL)
                          OR (l.lanname = 'plpgsql' AND NOT coalesce(p.proconfig, '{}') @> '{"search_path=pg_catalog, pg_temp"}'))$$,
                'every SQL function has a SQL-standard body and every plpgsql function search_path = pg_catalog, pg_temp');

-- 3. the posting machinery is out of reach -------------------------------------
SET ROLE rr_t_writer;
SELECT throws_ok($$INSERT INTO revrec.pending (customer_id, doc_kind, doc_id) VALUES ('C1', 'milestone', 'M1')$$, '42501', NULL,
                 'a writer cannot forge a queue entry');
SELECT throws_ok($$DELETE FROM revrec.pending$$, '42501', NULL, 'a writer cannot delete queue entries');
SELECT throws_ok($$INSERT INTO revrec.pending_flush VALUES (pg_current_xact_id())$$, '42501', NULL, 'a writer cannot queue a flush');
SELECT throws_ok($$DELETE FROM revrec.pending_flush$$, '42501', NULL, 'a writer cannot cancel a flush');
SELECT throws_ok($$SELECT revrec.flush()$$, '42501', NULL, 'a writer cannot run the flush');
SELECT throws_ok($$SELECT * FROM revrec._post_invoices(ARRAY['I1'], 'daily', NULL, false)$$, '42501', NULL, 'a writer cannot run the posting engine');
SELECT throws_ok($$SELECT revrec._post_voids('invoice', ARRAY['C1'], ARRAY['I1'], ARRAY['2025-06-01'::date], ARRAY['x'], NULL)$$, '42501', NULL,
                 'a writer cannot post a void by hand');
-- and the writer's own documents still post
SELECT lives_ok($$INSERT INTO revrec.invoice VALUES ('I4', '1004', 'C1', 'USD', '2025-05-01');
                  INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
                  VALUES ('L5', 'I4', 'SUB', 310, '2025-05-01', '2025-05-31');
                  SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED$$, 'a writer''s invoice posts');
RESET ROLE;
SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id = 'I4' AND recorded_by = session_user), 1::bigint,
          'the writer''s posting is recorded by the session that wrote it');
SET ROLE rr_t_reader;
SELECT throws_ok($$SELECT revrec.flush()$$, '42501', NULL, 'a reader cannot run the flush');
SELECT throws_ok($$SELECT revrec._log_postings(0, 'x')$$, '42501', NULL, 'a reader cannot write the activity log');
RESET ROLE;

-- 4. what the ledger uses cannot be destroyed or re-keyed -------------------------
SELECT throws_ok($$TRUNCATE revrec.ledger_account CASCADE$$, 'RV018', NULL, 'superuser: TRUNCATE ledger_account CASCADE refused');
SELECT is_empty($$SELECT t FROM unnest(ARRAY['customer', 'currency', 'credit_grant', 'billing_schedule_line', 'invoice_line', 'usage',
                                         'milestone', 'credit_note_line', 'invoice', 'credit_note', 'product', 'settings',
                                         'posting', 'activity', 'gl_account_map']) t
                   WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = ('revrec.' || t)::regclass
                                        AND g.tgtype & 32 <> 0 AND g.tgenabled = 'A')$$,
                'every document, reference and ledger table has a TRUNCATE guard that fires in replica mode too');
SELECT throws_ok($$TRUNCATE revrec.customer CASCADE$$, 'RV018', NULL, 'superuser: TRUNCATE customer CASCADE refused');
SELECT throws_ok($$TRUNCATE revrec.invoice_line, revrec.usage, revrec.milestone, revrec.credit_note_line CASCADE$$, 'RV018', NULL,
                 'superuser: TRUNCATE of document lines refused');
SELECT throws_ok($$TRUNCATE revrec.currency CASCADE$$, 'RV018', NULL, 'superuser: TRUNCATE currency CASCADE refused');
SET ROLE rr_t_admin;
SELECT throws_ok($$UPDATE revrec.ledger_account SET account_id = 99 WHERE code = 'deferred'$$, 'RV018', NULL, 'admin cannot re-key a system account');
SELECT throws_ok($$UPDATE revrec.ledger_account SET account_id = account_id + 100 WHERE code = 'services'$$, 'RV018', NULL,
                 'admin cannot re-key a used user account');
SELECT throws_ok($$UPDATE revrec.ledger_account SET code = 'other' WHERE code = 'services'$$, 'RV018', NULL, 'admin cannot re-code an account');
SELECT lives_ok($$UPDATE revrec.ledger_account SET name = 'Professional services' WHERE code = 'services'$$, 'admin renames an account');
SELECT throws_ok($$DELETE FROM revrec.ledger_account WHERE code = 'services'$$, 'RV018', NULL, 'admin cannot delete an account a journal uses');
SELECT lives_ok($$DELETE FROM revrec.ledger_account WHERE code = 'spare'$$, 'admin deletes an unused account');
RESET ROLE;
SELECT throws_ok($$DELETE FROM revrec.ledger_account WHERE code = 'unbilled'$$, 'RV018', NULL, 'superuser cannot delete a system account');
SELECT throws_ok($$INSERT INTO revrec.settings (id) VALUES (false)$$, 'RV018', NULL, 'superuser: a second settings row is refused');
SELECT throws_ok($$INSERT INTO revrec.settings (id) VALUES (true)$$, 'RV018', NULL, 'superuser: a settings row over a changed one is refused');
SELECT throws_ok($$DELETE FROM revrec.settings$$, 'RV018', NULL, 'superuser: deleting the settings row is refused');
SELECT is((SELECT count(*) || ' ' || min(lock_date) FROM revrec.settings), '1 2025-02-28', 'the settings row and its lock are intact');
SET ROLE rr_t_writer;
SELECT throws_ok($$UPDATE revrec.customer SET customer_id = 'C9' WHERE customer_id = 'C1'$$, 'RV018', NULL, 'writer cannot re-key a customer');
SELECT throws_ok($$UPDATE revrec.customer SET customer_id = 'C8' WHERE customer_id = 'C2'$$, 'RV018', NULL, 'writer cannot re-key even an unused customer');
SELECT throws_ok($$DELETE FROM revrec.customer WHERE customer_id = 'C1'$$, NULL, NULL, 'writer cannot delete a customer with documents');
SELECT throws_ok($$UPDATE revrec.product SET product_id = 'SUB2' WHERE product_id = 'SUB'$$, 'RV018', NULL, 'writer cannot re-key a product');
SELECT throws_ok($$DELETE FROM revrec.product WHERE product_id = 'SUB'$$, NULL, NULL, 'writer cannot delete a product with documents');
SELECT lives_ok($$DELETE FROM revrec.customer WHERE customer_id = 'C2'; DELETE FROM revrec.product WHERE product_id = 'NEW'$$,
                'writer deletes a customer and a product nothing refers to');
RESET ROLE;
-- a manual journal is the only reference to this customer
INSERT INTO revrec.customer VALUES ('C3', 'Journal only');
SELECT revrec.post_manual_journal('2025-06-30', 'Adj', '[{"account":"recognized","direction":"debit","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]', 'USD', customer_id => 'C3');
SELECT throws_ok($$DELETE FROM revrec.customer WHERE customer_id = 'C3'$$, 'RV018', NULL, 'a customer named only by a manual journal cannot be deleted');
SELECT throws_ok($$DELETE FROM revrec.currency WHERE code = 'USD'$$, 'RV018', NULL, 'superuser cannot delete a currency');
SELECT throws_ok($$UPDATE revrec.currency SET exponent = 3 WHERE code = 'USD'$$, 'RV018', NULL, 'superuser cannot change a currency');
SELECT throws_ok($$INSERT INTO revrec.currency VALUES ('XYZ', 2, 'Invented')$$, 'RV018', NULL, 'superuser cannot invent a currency');

-- 5. append-only in replica mode too ----------------------------------------------
SET session_replication_role = replica;
SELECT throws_ok($$DELETE FROM revrec.posting$$, 'RV012', NULL, 'replica mode: DELETE FROM posting refused');
SELECT throws_ok($$UPDATE revrec.posting SET sched_amount = 0$$, 'RV012', NULL, 'replica mode: UPDATE posting refused');
SELECT throws_ok($$DELETE FROM revrec.activity$$, 'RV012', NULL, 'replica mode: DELETE FROM activity refused');
SELECT throws_ok($$TRUNCATE revrec.posting$$, 'RV012', NULL, 'replica mode: TRUNCATE posting refused');
SELECT throws_ok($$DELETE FROM revrec.settings$$, 'RV018', NULL, 'replica mode: deleting the settings row refused');
SELECT throws_ok($$DELETE FROM revrec.customer WHERE customer_id = 'C1'$$, 'RV018', NULL, 'replica mode: deleting a customer with postings refused');
RESET session_replication_role;
SELECT is((SELECT count(*) FROM ledger_before b WHERE NOT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.posting_id = b.posting_id)),
          0::bigint, 'every posting of before is still there');

-- 6. no switch bypasses the rules --------------------------------------------------
SET ROLE rr_t_admin;
SET revrec.restoring = on;
UPDATE revrec.settings SET lock_date = '2025-01-31';
RESET revrec.restoring;
RESET ROLE;
SELECT is((SELECT action FROM revrec.activity ORDER BY activity_id DESC LIMIT 1), 'lock moved back',
          'with revrec.restoring = on, moving the lock back is still logged');
UPDATE revrec.settings SET export_jobs_per_role = 1;
SET ROLE rr_t_reader;
SELECT ok(revrec.export_async('sequence', '2025-01-01', '2025-12-31') > 0, 'a reader starts an export job');
SELECT throws_ok($$SELECT revrec.export_async('sequence', '2025-01-01', '2025-12-31')$$, 'RV019', NULL,
                 'a second job over the per-role cap is refused');
RESET ROLE;

-- 7. permission errors say which role is needed -------------------------------------
SET ROLE rr_t_writer;
SELECT throws_like($$SELECT revrec.post_manual_journal('2025-06-30', 'x', '[]', 'USD')$$, '%revrec_admin%',
                   'a writer posting a manual journal is told revrec_admin is required');
SELECT throws_like($$SELECT * FROM revrec.export_to_files('sequence', '/tmp', '2025-01-01', '2025-12-31')$$, '%revrec_admin%',
                   'a writer writing export files is told revrec_admin is required');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
