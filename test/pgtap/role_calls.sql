-- Every public function and view, called by each role on a ledger with
-- every kind of posting (privilege matrix, second half).  privileges.sql
-- checks the ACLs object by object; this calls each function the role may
-- execute, with ordinary arguments, so that what the function uses inside
-- (internal functions, tables, sequences) is checked too: a reader's
-- verify() once failed with "permission denied for function _account_sum"
-- as soon as the ledger had postings.  No call may end in 42501 unless the
-- function refuses the role by design (listed below); the reports, exports
-- and views must succeed for every role.
BEGIN;
SELECT plan(12);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_call_reader') THEN CREATE ROLE rr_call_reader; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_call_writer') THEN CREATE ROLE rr_call_writer; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_call_admin') THEN CREATE ROLE rr_call_admin; END IF;
END $$;
GRANT revrec_reader TO rr_call_reader;
GRANT revrec_writer TO rr_call_writer;
GRANT revrec_admin TO rr_call_admin;
GRANT USAGE ON SCHEMA public TO rr_call_reader, rr_call_writer, rr_call_admin;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC;

-- a ledger with every kind of posting: straight line with a discount, point
-- in time, usage arriving later, a milestone completed later, a credit note,
-- a void, a billing schedule line, a manual journal; GL mappings; a lock
CREATE FUNCTION pg_temp.flush() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;
    SET CONSTRAINTS ALL DEFERRED;
END $$;
INSERT INTO revrec.customer VALUES ('C1', 'Acme'), ('C2', 'Globex');
INSERT INTO revrec.product VALUES ('SUB', 'Subscription', 'straight_line'), ('SETUP', 'Setup', 'point_in_time'),
                                  ('API', 'API calls', 'usage'), ('PS', 'Project', 'milestone');
INSERT INTO revrec.invoice VALUES ('I1', '1001', 'C1', 'USD', '2025-01-15');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L1', 'I1', 'SUB', 1200.00, '2025-01-01', '2025-12-31'), ('L3', 'I1', 'API', 300.00, '2025-01-01', '2025-03-31');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id)
VALUES ('L1D', 'I1', 'SUB', -120.00, 'discount', 'L1');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount) VALUES ('L2', 'I1', 'SETUP', 50.00), ('L4', 'I1', 'PS', 500.00);
INSERT INTO revrec.milestone (milestone_id, line_id, name, amount) VALUES ('M1', 'L4', 'Design', 200), ('M2', 'L4', 'Build', 300);
INSERT INTO revrec.invoice VALUES ('I2', '1002', 'C2', 'USD', '2025-02-01');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end)
VALUES ('L5', 'I2', 'SUB', 600.00, '2025-02-01', '2025-07-31');
INSERT INTO revrec.billing_schedule_line (schedule_line_id, customer_id, product_id, currency, amount, service_start, service_end)
VALUES ('B1', 'C1', 'SUB', 'USD', 100.00, '2025-04-01', '2025-06-30');
SELECT pg_temp.flush();
INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('L3', '2025-02-10', 40.00);
UPDATE revrec.milestone SET completed_on = '2025-03-15' WHERE milestone_id = 'M1';
INSERT INTO revrec.credit_note VALUES ('CN1', 'CN-1', 'C1', 'I1', 'USD', '2025-03-01');
INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) VALUES ('CN1-1', 'CN1', 'L1', 100.00);
SELECT pg_temp.flush();
UPDATE revrec.invoice SET status = 'void' WHERE invoice_id = 'I2';
SELECT revrec.post_manual_journal('2025-03-31', 'reclass', '[{"account":"recognized","direction":"debit","amount":"10"},{"account":"deferred","direction":"credit","amount":"10"}]', 'USD', 'C1');
INSERT INTO revrec.gl_account_map (target, account_code, external_account)
SELECT t, a.code, '4' || a.account_id FROM revrec.ledger_account a, unnest(ARRAY['xero', 'quickbooks', 'netsuite']) t;
UPDATE revrec.settings SET xero_tax_rate = 'Tax Exempt', lock_date = '2025-01-31';
SELECT pg_temp.flush();
SELECT is((SELECT count(DISTINCT (source, reason)) FROM revrec.posting), 7::bigint,
          'the ledger holds issue, usage, milestone, credit, void, manual and billing schedule postings');

-- q runs in a subtransaction that is always rolled back; 'ok' or 'SQLSTATE: message'
CREATE FUNCTION pg_temp.attempt(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text;
    msg text;
BEGIN
    BEGIN
        EXECUTE q;
        RAISE EXCEPTION USING ERRCODE = 'RRTOK';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        RETURN CASE WHEN st = 'RRTOK' THEN 'ok' ELSE st || ': ' || msg END;
    END;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.attempt(text) TO PUBLIC;

-- an ordinary value for each argument a caller must give, by its name
CREATE FUNCTION pg_temp.arg(name text, typ text) RETURNS text LANGUAGE sql AS $$
    SELECT CASE
        WHEN name = 'from_date' THEN '''2025-01-01'''
        WHEN name IN ('to_date', 'service_end') THEN '''2025-12-31'''
        WHEN name = 'service_start' THEN '''2025-01-01'''
        WHEN name = 'as_of' THEN '''2025-06-30'''
        WHEN name = 'entry_date' THEN '''2025-06-30'''
        WHEN name = 'currency' THEN '''USD'''
        WHEN name = 'format' THEN '''xero'''
        WHEN name = 'directory' THEN '''/nonexistent/revrec-role-calls'''
        WHEN name = 'narrative' THEN '''role call'''
        WHEN name = 'lines' THEN $j$'[{"account":"recognized","direction":"debit","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]'$j$
        WHEN name IN ('amount', 'minor') THEN '100'
        WHEN name = 'token' THEN '''no-such-token'''
        WHEN typ = 'date' THEN '''2025-06-30'''
        WHEN typ = 'text' THEN '''x'''
        ELSE 'NULL' END || '::' || typ $$;

-- each public function with EXECUTE for the role, called with its required arguments by name
CREATE TEMP TABLE call AS
SELECT r.role, p.proname AS fn,
       format(CASE WHEN p.proretset THEN 'SELECT count(*) FROM revrec.%I(%s)' ELSE 'SELECT revrec.%I(%s)' END, p.proname,
              coalesce((SELECT string_agg(format('%I => %s', a.n, pg_temp.arg(a.n, format_type(a.t, NULL))), ', ' ORDER BY a.i)
                          FROM unnest(p.proargnames[1:p.pronargs], p.proargtypes::oid[]) WITH ORDINALITY AS a(n, t, i)
                         WHERE a.i <= p.pronargs - p.pronargdefaults), '')) AS q
  FROM pg_proc p
  CROSS JOIN (VALUES ('reader'), ('writer'), ('admin')) r(role)
 WHERE p.pronamespace = 'revrec'::regnamespace AND p.proname !~ '^_' AND p.prokind = 'f'
   AND p.prorettype <> 'trigger'::regtype
   AND has_function_privilege('revrec_' || r.role, p.oid, 'EXECUTE');
ALTER TABLE call ADD COLUMN result text;
CREATE TEMP TABLE view_call AS
SELECT r.role, c.relname AS fn, format('SELECT count(*) FROM revrec.%I', c.relname) AS q, NULL::text AS result
  FROM pg_class c CROSS JOIN (VALUES ('reader'), ('writer'), ('admin')) r(role)
 WHERE c.relnamespace = 'revrec'::regnamespace AND c.relkind = 'v'
   AND has_table_privilege('revrec_' || r.role, c.oid, 'SELECT');
GRANT ALL ON call, view_call TO PUBLIC;

CREATE FUNCTION pg_temp.run_as(r text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    EXECUTE format('SET LOCAL ROLE rr_call_%s', r);
    FOR c IN SELECT ctid, q FROM call WHERE role = r LOOP
        UPDATE call SET result = pg_temp.attempt(c.q) WHERE ctid = c.ctid;
    END LOOP;
    FOR c IN SELECT ctid, q FROM view_call WHERE role = r LOOP
        UPDATE view_call SET result = pg_temp.attempt(c.q) WHERE ctid = c.ctid;
    END LOOP;
    RESET ROLE;
END $$;
SELECT pg_temp.run_as('reader');
SELECT pg_temp.run_as('writer');
SELECT pg_temp.run_as('admin');

-- refused by design: the function checks the caller's role (README "Roles")
CREATE TEMP TABLE by_design (role text, fn text);
INSERT INTO by_design VALUES ('reader', 'close_period'), ('reader', 'post_manual_journal'), ('reader', 'export_to_files'),
                             ('writer', 'close_period'), ('writer', 'post_manual_journal'), ('writer', 'export_to_files');

SELECT ok((SELECT count(*) FROM call) >= 60, format('%s calls of public functions made', (SELECT count(*) FROM call)));
SELECT is((SELECT string_agg(fn || ': ' || result, '; ' ORDER BY fn) FROM call c
            WHERE role = r AND result LIKE '42501%' AND NOT EXISTS (SELECT 1 FROM by_design b WHERE b.role = c.role AND b.fn = c.fn)),
          NULL, format('%s: no permission error inside any function it may execute', r))
  FROM unnest(ARRAY['reader', 'writer', 'admin']) r;
SELECT is((SELECT string_agg(c.fn || ': ' || c.result, '; ' ORDER BY c.fn) FROM call c JOIN by_design b USING (role, fn)
            WHERE c.result NOT LIKE '42501%'), NULL,
          'the reader and the writer are refused close_period, post_manual_journal and export_to_files (42501)');
SELECT is((SELECT string_agg(fn || ': ' || coalesce(result, 'not called'), '; ' ORDER BY fn)
             FROM (SELECT f AS fn, (SELECT c.result FROM call c WHERE c.role = r AND c.fn = f) AS result
                     FROM unnest(ARRAY['journal_report', 'deferred_revenue', 'waterfall', 'waterfall_csv', 'trial_balance',
                                       'deferred_rollforward', 'unbilled_rollforward', 'close_summary', 'verify',
                                       'export_sequence', 'export_xero', 'export_quickbooks', 'export_netsuite',
                                       'schedule', 'monthly_schedule', 'to_minor_units', 'from_minor_units', 'version']) f) x
            WHERE result IS DISTINCT FROM 'ok'),
          NULL, format('%s runs every report, export and close check on the ledger', r))
  FROM unnest(ARRAY['reader', 'writer', 'admin']) r;
SELECT is((SELECT string_agg(role || ' ' || fn || ': ' || result, '; ' ORDER BY role, fn) FROM view_call WHERE result <> 'ok'),
          NULL, format('every role reads every view it is granted (%s reads)', (SELECT count(*) FROM view_call)));
SELECT is((SELECT result FROM call WHERE role = 'admin' AND fn = 'post_manual_journal'), 'ok',
          'the admin posts a manual journal');
SELECT matches((SELECT result FROM call WHERE role = 'admin' AND fn = 'export_to_files'), '^(58P01|42501: could not|RV0)',
               'the admin''s export_to_files reaches the file system (and fails on a directory that does not exist)');

SELECT * FROM finish();
ROLLBACK;
