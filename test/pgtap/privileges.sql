-- Privileges declared once (sql/privileges.sql), checked here against the
-- catalog: for every function, table, view, sequence (and the settings
-- columns and the schema) of the extension, what each role holds:
-- revrec_reader, revrec_writer, revrec_admin, a plain login role, and a
-- database owner who is not a superuser (the managed-cloud case).  An object
-- of the extension missing from this list fails the test, so a new function
-- or table cannot arrive without a decision about who may use it.
--   tables/views: S select, I insert, U update, D delete, T truncate,
--   R references, G trigger; sequences: S select, U usage, W update;
--   functions: X execute; columns: U update; schema: U usage, C create.
-- post_manual_journal and export_to_files are executable by every revrec role
-- and check that the caller is revrec_admin (so the error can say so); the
-- SECURITY DEFINER functions behind them are revrec_admin's only.
BEGIN;
SELECT plan(5);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_m_reader') THEN CREATE ROLE rr_m_reader LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_m_writer') THEN CREATE ROLE rr_m_writer LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_m_admin') THEN CREATE ROLE rr_m_admin LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_m_plain') THEN CREATE ROLE rr_m_plain LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_m_dbowner') THEN CREATE ROLE rr_m_dbowner LOGIN CREATEROLE; END IF;
    EXECUTE format('ALTER DATABASE %I OWNER TO rr_m_dbowner', current_database());
END $$;
GRANT revrec_reader TO rr_m_reader;
GRANT revrec_writer TO rr_m_writer;
GRANT revrec_admin TO rr_m_admin;

-- one row per object of the extension: kind, name, and for each role the
-- privileges it holds (letters), '-' for none
CREATE FUNCTION pg_temp.rr_privs(r name, kind text, o oid) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(nullif(concat_ws('',
        CASE WHEN kind IN ('table','view') AND has_table_privilege(r, o, 'SELECT') THEN 'S' END,
        CASE WHEN kind IN ('table','view') AND has_table_privilege(r, o, 'INSERT') THEN 'I' END,
        CASE WHEN kind IN ('table','view') AND has_table_privilege(r, o, 'UPDATE') THEN 'U' END,
        CASE WHEN kind IN ('table','view') AND has_table_privilege(r, o, 'DELETE') THEN 'D' END,
        CASE WHEN kind IN ('table','view') AND has_table_privilege(r, o, 'TRUNCATE') THEN 'T' END,
        CASE WHEN kind IN ('table','view') AND has_table_privilege(r, o, 'REFERENCES') THEN 'R' END,
        CASE WHEN kind IN ('table','view') AND has_table_privilege(r, o, 'TRIGGER') THEN 'G' END,
        CASE WHEN kind = 'sequence' AND has_sequence_privilege(r, o, 'SELECT') THEN 'S' END,
        CASE WHEN kind = 'sequence' AND has_sequence_privilege(r, o, 'USAGE') THEN 'U' END,
        CASE WHEN kind = 'sequence' AND has_sequence_privilege(r, o, 'UPDATE') THEN 'W' END,
        CASE WHEN kind = 'function' AND has_function_privilege(r, o, 'EXECUTE') THEN 'X' END), ''), '-') $$;
CREATE FUNCTION pg_temp.rr_objects() RETURNS TABLE (kind text, name text, oid oid) LANGUAGE sql AS $$
    SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' ELSE 'table' END, c.oid::regclass::text, c.oid
      FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'revrec'
    UNION ALL
    SELECT 'function', p.oid::regprocedure::text, p.oid
      FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'revrec' $$;
CREATE FUNCTION pg_temp.rr_matrix() RETURNS TABLE (kind text, name text, reader text, writer text, admin text, plain text, dbowner text)
    LANGUAGE sql AS $$
    SELECT o.kind, o.name, pg_temp.rr_privs('rr_m_reader', o.kind, o.oid), pg_temp.rr_privs('rr_m_writer', o.kind, o.oid),
           pg_temp.rr_privs('rr_m_admin', o.kind, o.oid), pg_temp.rr_privs('rr_m_plain', o.kind, o.oid),
           pg_temp.rr_privs('rr_m_dbowner', o.kind, o.oid)
      FROM pg_temp.rr_objects() o
    UNION ALL
    -- column privileges of the settings row (admins change some columns only)
    SELECT 'column', 'revrec.settings.' || a.attname,
           CASE WHEN has_column_privilege('rr_m_reader', 'revrec.settings'::regclass, a.attnum, 'UPDATE') THEN 'U' ELSE '-' END,
           CASE WHEN has_column_privilege('rr_m_writer', 'revrec.settings'::regclass, a.attnum, 'UPDATE') THEN 'U' ELSE '-' END,
           CASE WHEN has_column_privilege('rr_m_admin', 'revrec.settings'::regclass, a.attnum, 'UPDATE') THEN 'U' ELSE '-' END,
           CASE WHEN has_column_privilege('rr_m_plain', 'revrec.settings'::regclass, a.attnum, 'UPDATE') THEN 'U' ELSE '-' END,
           CASE WHEN has_column_privilege('rr_m_dbowner', 'revrec.settings'::regclass, a.attnum, 'UPDATE') THEN 'U' ELSE '-' END
      FROM pg_attribute a WHERE a.attrelid = 'revrec.settings'::regclass AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'schema', 'revrec', CASE WHEN has_schema_privilege('rr_m_reader', 'revrec', 'USAGE') THEN 'U' ELSE '-' END
                                || CASE WHEN has_schema_privilege('rr_m_reader', 'revrec', 'CREATE') THEN 'C' ELSE '' END,
           CASE WHEN has_schema_privilege('rr_m_writer', 'revrec', 'USAGE') THEN 'U' ELSE '-' END
               || CASE WHEN has_schema_privilege('rr_m_writer', 'revrec', 'CREATE') THEN 'C' ELSE '' END,
           CASE WHEN has_schema_privilege('rr_m_admin', 'revrec', 'USAGE') THEN 'U' ELSE '-' END
               || CASE WHEN has_schema_privilege('rr_m_admin', 'revrec', 'CREATE') THEN 'C' ELSE '' END,
           CASE WHEN has_schema_privilege('rr_m_plain', 'revrec', 'USAGE') THEN 'U' ELSE '-' END
               || CASE WHEN has_schema_privilege('rr_m_plain', 'revrec', 'CREATE') THEN 'C' ELSE '' END,
           CASE WHEN has_schema_privilege('rr_m_dbowner', 'revrec', 'USAGE') THEN 'U' ELSE '-' END
               || CASE WHEN has_schema_privilege('rr_m_dbowner', 'revrec', 'CREATE') THEN 'C' ELSE '' END $$;

CREATE TEMP TABLE expected (kind text, name text, reader text, writer text, admin text, plain text, dbowner text);
INSERT INTO expected VALUES
    ('table', 'revrec._trigger_state', '-', '-', '-', '-', '-'),
    -- restore guards (sql/objects/36_restore_guard.sql)
    ('function', 'revrec._restore_session()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._restore_role_check(text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._restore_guard()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._restart_sequences()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._restore_create_extension()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._triggers_after()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._known_by(timestamp with time zone,xid,timestamp with time zone)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._queue_change()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._check_issues(text[])', '-', '-', '-', '-', '-'),
    ('function', 'revrec._post_credit_notes(text[],text,date,boolean)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._post_usage(bigint[],date,text[])', '-', '-', '-', '-', '-'),
    ('function', 'revrec._post_milestones(text[],date[],date[],date,text[])', '-', '-', '-', '-', '-'),
    ('function', 'revrec._post_voids(text,text[],text[],date[],text[],date)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._post_billing_schedules(text[],text,date)', '-', '-', '-', '-', '-'),
    ('function', 'revrec.verify()', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._restoring()', '-', '-', '-', '-', '-'),
    ('table', 'revrec.export_log', 'S', 'S', 'S', '-', '-'),
    ('sequence', 'revrec.export_log_export_id_seq', 'S', 'S', 'S', '-', '-'),
    ('column', 'revrec.settings.export_neutralize_formulas', '-', '-', 'U', '-', '-'),
    ('function', 'revrec.deferred_rollforward(date,date,text,text,text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.unbilled_rollforward(date,date,text,text,text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.close_summary(date,date,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._close_summary(date,date,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.close_period(date)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._close_period(date)', '-', '-', 'X', '-', '-'),
    ('function', 'revrec._rollforward(integer,date,date,text,text,text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._check_rollforward_args(date,date,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._missing_mappings(text,date,date,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._verify_problems()', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._check_xero_codes(date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._xero_tax_rate()', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._cell(text,boolean)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._gl_amount(text,numeric,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._gl_journal_id(text,text,integer)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._gl_rows(text,date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._export_log_guard()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._child_misfit(text,text,date,date,date)', '-', '-', '-', '-', '-'),
    ('column', 'revrec.settings.export_jobs_total', '-', '-', 'U', '-', '-'),
    ('function', 'revrec._post_manual_journal(date,text,jsonb,text,text,text,text,text)', '-', '-', 'X', '-', '-'),
    ('function', 'revrec._export_to_files(text,text,date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean,text,integer)', '-', '-', 'X', '-', '-'),
    ('function', 'revrec._check_child_rows(text,text[],date[])', '-', '-', '-', '-', '-'),
    ('function', 'revrec._check_schedule_billing(text[],text[],text[])', '-', '-', '-', '-', '-'),
    ('function', 'revrec._credit_grant_change()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._fill_customers(text,text[])', '-', '-', '-', '-', '-'),
    ('column', 'revrec.settings.allocation_strategy', '-', '-', 'U', '-', '-'),
    ('column', 'revrec.settings.credit_note_mode', '-', '-', 'U', '-', '-'),
    ('column', 'revrec.settings.export_jobs_per_role', '-', '-', 'U', '-', '-'),
    ('column', 'revrec.settings.export_token_ttl', '-', '-', 'U', '-', '-'),
    ('column', 'revrec.settings.id', '-', '-', '-', '-', '-'),
    ('column', 'revrec.settings.lock_date', '-', '-', 'U', '-', '-'),
    ('column', 'revrec.settings.lock_to_accounting_date', '-', '-', 'U', '-', '-'),
    ('column', 'revrec.settings.netsuite_date_format', '-', '-', 'U', '-', '-'),
    ('column', 'revrec.settings.netsuite_subsidiary', '-', '-', 'U', '-', '-'),
    ('column', 'revrec.settings.quickbooks_date_format', '-', '-', 'U', '-', '-'),
    ('column', 'revrec.settings.updated_at', '-', '-', '-', '-', '-'),
    ('column', 'revrec.settings.xero_date_format', '-', '-', 'U', '-', '-'),
    ('column', 'revrec.settings.xero_tax_rate', '-', '-', 'U', '-', '-'),
    ('function', 'revrec._account_codes(text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._account_ids()', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._account_names()', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._account_restore()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._account_sum(bigint[],smallint)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._citus_active()', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._allocate(bigint,bigint[])', '-', '-', '-', '-', '-'),
    ('function', 'revrec._billing_schedule_change()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._billing_schedule_ins()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._check_currency(text,date,date)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._check_mapping(text,date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._check_reference()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._check_referenced()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._check_report_args(date,date,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._child_change()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._credit_note_del()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._credit_note_ins()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._credit_note_line_change()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._credit_note_line_ins()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_capture()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_capture_delete()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_capture_grant()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_doc_keys()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_local(text,bigint)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_apply_keys(text[],text[],text[],text[],text[])', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_note(integer,text[],text[],text[],text[],text[])', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_pull()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_keys(regclass,bigint[])', '-', 'X', 'X', '-', '-'),
    ('function', 'revrec._citus_parent_customer(text,text)', '-', 'X', 'X', '-', '-'),
    ('function', 'revrec._citus_post_group(regclass,bigint[])', '-', 'X', 'X', '-', '-'),
    ('function', 'revrec._citus_groups()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_new_nodes()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_on_workers(text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_document_triggers_off()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_reference_guard()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_triggers()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._citus_settings_change(date,boolean,date,boolean)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._void_invoices(text[],date)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._credit_note_posted(text,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._credit_note_upd()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._csv(text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._currency_change()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._d(date)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._deferred_revenue(date,text,text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._distribute_overlay()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._distribute_after_update()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._same_customer()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._customer_carry()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._doc_source(revrec.posting)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._enqueue()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._entries(revrec.posting,date,date,boolean)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._export_call(text,date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._export_file_limit(text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._export_journal_key(text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._export_launch(bigint)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._export_lines(revrec.posting,date,date,smallint[],text[],text[])', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._fill_child_customer()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._fill_cn_line_customer()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._fill_line_customer()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._flush_trigger()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._gl_account(text,text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._gl_accounts(text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._gl_journal_key(text,date,text,integer)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._group_open(text,text,text,text,date,timestamp with time zone)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._invoice_del()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._invoice_ins()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._invoice_line_ins()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._invoice_posted(text,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._invoice_upd()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._iso_currencies()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._journal_number(text,text,text,date)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._journal_report(date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._ledger_account_change()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._ledger_immutable()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._log_postings(bigint,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._milestone_ins()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._milestone_upd()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._narrative(revrec.posting,date,date)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._negate_amounts(bigint[])', '-', '-', '-', '-', '-'),
    ('function', 'revrec._no_truncate()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._outer_role()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._party_change()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._post_invoices(text[],text,date,boolean)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._posting_balance(revrec.posting)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._posting_check()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._posting_stats(revrec.posting)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._posting_sum(revrec.posting,date,date)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._posting_summary(revrec.posting,date,date)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._recognition_by_month(revrec.posting,date,date)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._recognition_delta(date,date[],bigint[])', '-', '-', '-', '-', '-'),
    ('function', 'revrec._report_currency(text,date,date)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._report_days(date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._report_months(date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._report_postings(date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._schedule_sum(bigint,date,date,smallint,date,date)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._settings_del()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._settings_ins()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._settings_upd()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._usage_ins()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._void_day(text,text,date,date,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._trigger_table(text,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._waterfall(date,text,text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.deferred_revenue(date,text,text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.distribute()', '-', '-', '-', '-', '-'),
    ('function', 'revrec.export_async(text,date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.export_cleanup()', '-', '-', 'X', '-', '-'),
    ('function', 'revrec.export_download(text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.export_netsuite(date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.export_quickbooks(date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.export_sequence(date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.export_to_files(text,text,date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean,text,integer)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.export_xero(date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.flush()', '-', '-', '-', '-', '-'),
    ('function', 'revrec.from_minor_units(bigint,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.journal_report(date,date,text,timestamp with time zone,text,text,text,text,text,text,boolean,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.monthly_schedule(numeric,date,date,text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.post_manual_journal(date,text,jsonb,text,text,text,text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.schedule(numeric,date,date,text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.to_minor_units(numeric,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.trial_balance(date,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.version()', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.waterfall(date,text,text,text)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec.waterfall_csv(date,text,text,text,integer)', 'X', 'X', 'X', '-', '-'),
    ('function', 'revrec._source_amount(numeric,integer)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_apply_credit_note(jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_apply_invoice(jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_capture()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_date(timestamp with time zone,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_fetch(revrec.source,text,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_flush_trigger()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_map(revrec.source,text,text,boolean)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_map_all(jsonb,boolean)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_product(jsonb,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_replay_query(revrec.source)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_retry()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_tables(text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._stripe_check_currency(jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._stripe_credit_note(jsonb,jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._stripe_discounts(jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._stripe_exponent(text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._stripe_id(jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._stripe_inclusive_tax(jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._stripe_invoice(jsonb,jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._stripe_line_product(jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec.attach_source(text,text,jsonb)', '-', '-', 'X', '-', '-'),
    ('function', 'revrec.detach_source(text)', '-', '-', 'X', '-', '-'),
    ('function', 'revrec.sync_source(text,timestamp with time zone)', '-', '-', 'X', '-', '-'),
    ('table', 'revrec._source_change', '-', '-', '-', '-', '-'),
    ('table', 'revrec._source_flush', '-', '-', '-', '-', '-'),
    ('table', 'revrec._source_state', '-', '-', '-', '-', '-'),
    ('table', 'revrec._source_document', '-', '-', '-', '-', '-'),
    ('table', 'revrec.source', 'S', 'S', 'S', '-', '-'),
    ('table', 'revrec.source_error', 'S', 'S', 'S', '-', '-'),
    ('function', 'revrec._killbill_apply(jsonb,jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._killbill_fetch(revrec.source,text,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._killbill_invoice(jsonb,jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_exact(numeric,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._lago_apply(jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._lago_credit_note(jsonb,jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._lago_exponent(text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._lago_fetch(revrec.source,text,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._lago_invoice(jsonb,jsonb)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._lago_period(jsonb,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_map_batch(text[],boolean)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_map_one(revrec.source,text,text,boolean)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_post()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_batching()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_guard(revrec.source)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_guard_rel(regclass)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_epoch(text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_owns(text,text,text)', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_stage()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_staging_ours()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_unstage()', '-', '-', '-', '-', '-'),
    ('function', 'revrec._source_flush_now()', '-', '-', '-', '-', '-'),
    ('schema', 'revrec', 'U', 'U', 'U', '-', '-'),
    ('sequence', 'revrec._export_job_job_id_seq', '-', '-', '-', '-', '-'),
    ('sequence', 'revrec.activity_activity_id_seq', 'S', 'S', 'S', '-', '-'),
    ('sequence', 'revrec.ledger_account_account_id_seq', 'S', 'S', 'S', '-', '-'),
    ('sequence', 'revrec.pending_seq_seq', '-', '-', '-', '-', '-'),
    ('sequence', 'revrec.posting_posting_id_seq', 'S', 'S', 'S', '-', '-'),
    ('sequence', 'revrec.usage_usage_id_seq', 'S', 'S', 'S', '-', '-'),
    ('table', 'revrec._export_job', '-', '-', '-', '-', '-'),
    ('table', 'revrec.activity', 'S', 'S', 'S', '-', '-'),
    ('table', 'revrec.billing_schedule_line', 'S', 'SIUD', 'SIUD', '-', '-'),
    ('table', 'revrec.credit_grant', 'S', 'SIUD', 'SIUD', '-', '-'),
    ('table', 'revrec.credit_note', 'S', 'SIUD', 'SIUD', '-', '-'),
    ('table', 'revrec.credit_note_line', 'S', 'SIUD', 'SIUD', '-', '-'),
    ('table', 'revrec.currency', 'S', 'S', 'S', '-', '-'),
    ('table', 'revrec.customer', 'S', 'SIUD', 'SIUD', '-', '-'),
    ('table', 'revrec.gl_account_map', 'S', 'S', 'SIUD', '-', '-'),
    ('table', 'revrec.invoice', 'S', 'SIUD', 'SIUD', '-', '-'),
    ('table', 'revrec.invoice_line', 'S', 'SIUD', 'SIUD', '-', '-'),
    ('table', 'revrec.ledger_account', 'S', 'S', 'SIUD', '-', '-'),
    ('table', 'revrec.milestone', 'S', 'SIUD', 'SIUD', '-', '-'),
    ('table', 'revrec.pending', '-', '-', '-', '-', '-'),
    ('table', 'revrec.pending_flush', '-', '-', '-', '-', '-'),
    ('table', 'revrec.posting', 'S', 'S', 'S', '-', '-'),
    ('table', 'revrec.product', 'S', 'SIUD', 'SIUD', '-', '-'),
    ('table', 'revrec.settings', 'S', 'S', 'S', '-', '-'),
    ('table', 'revrec.usage', 'S', 'SIUD', 'SIUD', '-', '-'),
    ('view', 'revrec.account_balance', 'S', 'S', 'S', '-', '-'),
    ('view', 'revrec.activity_log', 'S', 'S', 'S', '-', '-'),
    ('view', 'revrec.deferred_revenue_now', 'S', 'S', 'S', '-', '-'),
    ('view', 'revrec.export_job', 'S', 'S', 'S', '-', '-'),
    ('view', 'revrec.journal_entry', 'S', 'S', 'S', '-', '-'),
    ('view', 'revrec.journal_report_last_month', 'S', 'S', 'S', '-', '-'),
    ('view', 'revrec.journal_report_this_month', 'S', 'S', 'S', '-', '-'),
    ('view', 'revrec.waterfall_now', 'S', 'S', 'S', '-', '-');

SELECT is_empty($$SELECT kind, name FROM pg_temp.rr_matrix() EXCEPT SELECT kind, name FROM expected$$,
                'every object of the extension has its line in the privilege matrix');
SELECT is_empty($$SELECT kind, name FROM expected EXCEPT SELECT kind, name FROM pg_temp.rr_matrix()$$,
                'every line of the privilege matrix is an object of the extension');
SELECT set_eq($$SELECT * FROM pg_temp.rr_matrix()$$, $$SELECT * FROM expected$$,
              'each role holds exactly the privileges of the matrix');
-- nothing of the extension is granted to PUBLIC
SELECT is_empty($$SELECT o.name FROM pg_temp.rr_objects() o
                   WHERE (o.kind = 'function' AND EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a WHERE p.oid = o.oid AND a.grantee = 0))
                      OR (o.kind <> 'function' AND EXISTS (SELECT 1 FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = o.oid AND a.grantee = 0))
                      OR (o.kind = 'function' AND (SELECT p.proacl IS NULL FROM pg_proc p WHERE p.oid = o.oid))$$,
                'no function, table, view or sequence of the extension is granted to PUBLIC (nor left at the default ACL)');

-- a role without any of revrec's rights works on its own tables in revrec's
-- database as in any other (revrec's event triggers fire on every role's DDL;
-- on Citus its hooks see every statement: scripts/citus-attack.sh 1l)
CREATE SCHEMA rr_m_own AUTHORIZATION rr_m_plain;
SET LOCAL ROLE rr_m_plain;
DO $$
BEGIN
    CREATE TABLE rr_m_own.t (k int PRIMARY KEY, v int);
    INSERT INTO rr_m_own.t SELECT g, g FROM generate_series(1, 10) g;
    UPDATE rr_m_own.t SET v = v + 1 WHERE k = 1;
    DELETE FROM rr_m_own.t WHERE k = 2;
    ALTER TABLE rr_m_own.t ADD COLUMN w text;
    CREATE INDEX ON rr_m_own.t (v);
    CREATE VIEW rr_m_own.vt AS SELECT k, v FROM rr_m_own.t;
    CREATE FUNCTION rr_m_own.f() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN NEW.w := ''x''; RETURN NEW; END';
    CREATE TRIGGER t_w BEFORE INSERT ON rr_m_own.t FOR EACH ROW EXECUTE FUNCTION rr_m_own.f();
    INSERT INTO rr_m_own.t (k, v) VALUES (20, 20);
    CREATE TEMPORARY TABLE rr_m_tmp AS SELECT * FROM rr_m_own.vt;
    DROP VIEW rr_m_own.vt;
END $$;
RESET ROLE;
SELECT is((SELECT format('%s|%s|%s', count(*), sum(v), max(w)) FROM rr_m_own.t), '10|74|x',
          'a plain role creates, writes, alters, indexes and triggers its own tables in revrec''s database');

SELECT * FROM finish();
ROLLBACK;
