-- Privileges: the only file with GRANT or REVOKE.  Runs last in the install
-- script and in every upgrade script, so it states the whole truth each time:
-- first every privilege on every object of the extension is taken away from
-- PUBLIC and from revrec's roles, then each role gets what it needs, by name.
--
--   revrec_reader  reports, exports, the journal; SELECT on documents and ledger
--   revrec_writer  + INSERT/UPDATE/DELETE on the document tables (billing systems)
--   revrec_admin   + settings (locks), ledger accounts, GL mappings, manual
--                    journals, export files on the server
-- Everything else (the posting queue, the posting engine, trigger functions,
-- the export job table) is reachable only through revrec's own code: trigger
-- functions are SECURITY DEFINER and executable by nobody but their owner, so
-- they cannot be attached to another table (test/pgtap/privileges.sql holds
-- the whole matrix: every object x role).

-- Roles, created if missing (cluster-wide: not dropped with the extension).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'revrec_reader') THEN
        CREATE ROLE revrec_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'revrec_writer') THEN
        CREATE ROLE revrec_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'revrec_admin') THEN
        CREATE ROLE revrec_admin NOLOGIN;
    END IF;
END
$$;
GRANT revrec_reader TO revrec_writer;
GRANT revrec_writer TO revrec_admin;

-- 1. Nothing for anyone: every function, table, view and sequence of the extension.
DO $$
DECLARE
    o record;
BEGIN
    FOR o IN SELECT pg_catalog.format('FUNCTION %s', p.oid::pg_catalog.regprocedure) AS obj
               FROM pg_catalog.pg_proc p
               JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
               JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND d.deptype = 'e' AND e.extname = 'revrec'
             UNION ALL
             SELECT pg_catalog.format(CASE c.relkind WHEN 'S' THEN 'SEQUENCE %s' ELSE 'TABLE %s' END, c.oid::pg_catalog.regclass)
               FROM pg_catalog.pg_class c
               JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
               JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND d.deptype = 'e' AND e.extname = 'revrec'
              WHERE c.relkind IN ('r', 'v', 'S', 'm', 'p', 'f')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC, revrec_reader, revrec_writer, revrec_admin, pg_write_server_files',
                                  o.obj);
    END LOOP;
END
$$;
REVOKE ALL ON SCHEMA revrec FROM PUBLIC;
GRANT USAGE ON SCHEMA revrec TO revrec_reader;

-- 2. revrec_reader ----------------------------------------------------------
GRANT SELECT ON revrec.currency, revrec.ledger_account, revrec.settings, revrec.gl_account_map,
    revrec.customer, revrec.product, revrec.invoice, revrec.invoice_line, revrec.usage, revrec.milestone,
    revrec.credit_grant, revrec.billing_schedule_line, revrec.credit_note, revrec.credit_note_line,
    revrec.posting, revrec.activity,
    revrec.journal_entry, revrec.activity_log, revrec.account_balance, revrec.deferred_revenue_now,
    revrec.journal_report_this_month, revrec.journal_report_last_month, revrec.waterfall_now, revrec.export_job
    TO revrec_reader;
-- sequences of dumped tables: a reader can run pg_dump
GRANT SELECT ON SEQUENCE revrec.posting_posting_id_seq, revrec.activity_activity_id_seq, revrec.usage_usage_id_seq,
    revrec.ledger_account_account_id_seq TO revrec_reader;
-- the public functions ...
GRANT EXECUTE ON FUNCTION
    revrec.version(),
    revrec.to_minor_units(numeric, text), revrec.from_minor_units(bigint, text),
    revrec.schedule(numeric, date, date, text, text), revrec.monthly_schedule(numeric, date, date, text, text),
    revrec.journal_report(date, date, text, timestamptz, text, text, text, text, text, text, boolean, text),
    revrec.deferred_revenue(date, text, text, text),
    revrec.waterfall(date, text, text, text), revrec.waterfall_csv(date, text, text, text, integer),
    revrec.trial_balance(date, text),
    revrec.export_sequence(date, date, text, timestamptz, text, text, text, text, text, text, boolean, text),
    revrec.export_xero(date, date, text, timestamptz, text, text, text, text, text, text, boolean, text),
    revrec.export_quickbooks(date, date, text, timestamptz, text, text, text, text, text, text, boolean, text),
    revrec.export_netsuite(date, date, text, timestamptz, text, text, text, text, text, text, boolean, text),
    revrec.export_async(text, date, date, text, timestamptz, text, text, text, text, text, text, boolean, text),
    revrec.export_download(text)
    TO revrec_reader;
-- ... and the read-side helpers they and the views call as the caller (pure
-- functions over the ledger; every C one checks its input)
GRANT EXECUTE ON FUNCTION
    revrec._entries(revrec.posting, date, date, boolean),
    revrec._narrative(revrec.posting, date, date),
    revrec._report_currency(text, date, date), revrec._check_currency(text, date, date),
    revrec._check_report_args(date, date, text),
    revrec._report_postings(date, date, text, timestamptz, text, text, text, text, text, text, boolean),
    revrec._report_days(date, date, text, timestamptz, text, text, text, text, text, text, boolean),
    revrec._report_months(date, date, text, timestamptz, text, text, text, text, text, text, boolean),
    revrec._journal_report(date, date, text, timestamptz, text, text, text, text, text, text, boolean, text),
    revrec._group_open(text, text, text, text, date, timestamptz),
    revrec._known_by(timestamptz, xid, timestamptz),
    revrec._deferred_revenue(date, text, text, text),
    revrec._waterfall(date, text, text, text),
    revrec._posting_summary(revrec.posting, date, date),
    revrec._recognition_by_month(revrec.posting, date, date),
    revrec._csv(text),
    revrec._account_codes(text, text), revrec._account_ids(), revrec._account_names(),
    revrec._gl_account(text, text, text), revrec._gl_accounts(text), revrec._gl_journal_key(text, date, text, integer),
    revrec._check_mapping(text, date, date, text, timestamptz, text, text, text, text, text, text, boolean),
    revrec._export_lines(revrec.posting, date, date, smallint[], text[], text[])
    TO revrec_reader;

-- 3. revrec_writer: the documents ---------------------------------------------
GRANT INSERT, UPDATE, DELETE ON revrec.customer, revrec.product, revrec.invoice, revrec.invoice_line,
    revrec.usage, revrec.milestone, revrec.credit_grant, revrec.billing_schedule_line,
    revrec.credit_note, revrec.credit_note_line TO revrec_writer;
-- on a distributed revrec the coordinator reads the ids a writer's statements
-- noted and has the workers post, as the writing role (src/citus.c): reading
-- takes nothing away, posting only posts that role's own transaction
GRANT EXECUTE ON FUNCTION revrec._citus_keys(regclass, bigint[]), revrec._citus_post_group(regclass, bigint[]) TO revrec_writer;
-- and fills in the customer_id a child row was written without, from its
-- parent's (a document id the writer can read anyway)
GRANT EXECUTE ON FUNCTION revrec._citus_parent_customer(text, text) TO revrec_writer;

-- 4. revrec_admin ---------------------------------------------------------------
GRANT UPDATE (allocation_strategy, credit_note_mode, lock_date, lock_to_accounting_date, xero_tax_rate,
              xero_date_format, quickbooks_date_format, netsuite_date_format, netsuite_subsidiary,
              export_token_ttl, export_jobs_per_role, export_jobs_total, export_neutralize_formulas)
    ON revrec.settings TO revrec_admin;
GRANT INSERT, UPDATE, DELETE ON revrec.ledger_account, revrec.gl_account_map TO revrec_admin;
GRANT EXECUTE ON FUNCTION revrec.export_cleanup() TO revrec_admin;
-- Manual journals and server-side export files are revrec_admin's (export
-- files also pg_write_server_files'): the SECURITY DEFINER functions that
-- write them are executable by those roles only; the public functions in
-- front of them run as the caller and are executable by every revrec role,
-- so that a reader or writer is told which role is needed.
GRANT EXECUTE ON FUNCTION revrec.post_manual_journal(date, text, jsonb, text, text, text, text, text) TO revrec_reader;
GRANT EXECUTE ON FUNCTION revrec._post_manual_journal(date, text, jsonb, text, text, text, text, text) TO revrec_admin;
GRANT EXECUTE ON FUNCTION
    revrec.export_to_files(text, text, date, date, text, timestamptz, text, text, text, text, text, text, boolean, text, integer)
    TO revrec_reader, pg_write_server_files;
GRANT EXECUTE ON FUNCTION
    revrec._export_to_files(text, text, date, date, text, timestamptz, text, text, text, text, text, text, boolean, text, integer)
    TO revrec_admin, pg_write_server_files;

-- 5. revrec.verify() (97_verify.sql): the subledger checked against its
-- documents, for readers and admins (it only reads, as the caller).
-- revrec._restoring() (33_restore.sql) is called by revrec's own code only.
GRANT EXECUTE ON FUNCTION revrec.verify() TO revrec_reader;
-- verify() reads postings with these pure functions of their arguments
-- (NULL and malformed arguments: hostile_calls.sql), so readers need them
GRANT EXECUTE ON FUNCTION revrec._account_sum(bigint[], smallint), revrec._d(date), revrec._citus_active(),
    revrec._posting_stats(revrec.posting), revrec._posting_balance(revrec.posting) TO revrec_reader;
-- 5. GL files and the close (issue 17) ---------------------------------------
-- the export log and the close reports are readers'; closing a period is an
-- admin's (close_period checks the caller's role; _close_period, SECURITY
-- DEFINER and revrec_admin's only, runs the checks, logs and locks)
GRANT SELECT ON revrec.export_log TO revrec_reader;
GRANT SELECT ON SEQUENCE revrec.export_log_export_id_seq TO revrec_reader;
GRANT EXECUTE ON FUNCTION
    revrec.deferred_rollforward(date, date, text, text, text, text),
    revrec.unbilled_rollforward(date, date, text, text, text, text),
    revrec.close_summary(date, date, text), revrec._close_summary(date, date, text),
    revrec.close_period(date),
    revrec._rollforward(integer, date, date, text, text, text, text),
    revrec._check_rollforward_args(date, date, text),
    revrec._missing_mappings(text, date, date, text),
    revrec._verify_problems(),
    revrec._check_xero_codes(date, date, text, timestamptz, text, text, text, text, text, text, boolean),
    revrec._xero_tax_rate(), revrec._cell(text, boolean), revrec._gl_amount(text, numeric, text),
    revrec._gl_journal_id(text, text, integer),
    revrec._gl_rows(text, date, date, text, timestamptz, text, text, text, text, text, text, boolean, text)
    TO revrec_reader;
GRANT EXECUTE ON FUNCTION revrec._close_period(date) TO revrec_admin;

-- 7. Sources (92_sources*.sql): attaching, detaching and syncing a billing
-- system's tables are revrec_admin's (attach_source also checks the login role
-- may put triggers on them); readers see what is attached and what was refused.
GRANT SELECT ON revrec.source, revrec.source_error TO revrec_reader;
GRANT EXECUTE ON FUNCTION revrec.attach_source(text, text, jsonb), revrec.detach_source(text),
    revrec.sync_source(text, timestamptz) TO revrec_admin;

-- revrec.distribute() (98_distribute.sql): superusers only; step 1 took EXECUTE from everyone
-- and nothing grants it.
