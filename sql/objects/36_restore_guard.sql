-- Restores that cannot work as revrec needs them stop before writing
-- anything, with an error naming the procedure that works; one that can work
-- is made to (README "Backup and restore", issue 16).
--
-- A restore session is recognized by the settings pg_dump's output and
-- pg_restore put in force before any data (row_security and
-- check_function_bodies off, client_min_messages = warning; not search_path,
-- which revrec's functions set for themselves; revrec._restore_session()).  Anyone can set
-- those, so they only ever lead to a refusal, never to a rule being skipped.
--
--  * A role that cannot write revrec's ledger (a database owner who is not a
--    superuser, in a database where a superuser created revrec) cannot
--    restore it: refused at the dump's CREATE EXTENSION (event trigger) and
--    at every table it may write (a writer or admin would otherwise restore
--    the documents without their ledger); PostgreSQL refuses the rest.
--  * pg_restore -j loads every table and sets every sequence in parallel, in
--    no order (pg_restore keeps no dependency between the data of an
--    extension's tables), while revrec must read the activity log first and
--    see the sequences set last (33_restore.sql): each table's data is
--    refused while another pg_restore session is connected to the database.
--    Its setval calls cannot be refused: while revrec holds no data at all,
--    a later restore starts the sequences again (_restart_sequences) and
--    works; with data but an empty activity log and a set sequence (no
--    restore leaves that) it is refused.
--  * pg_dump --disable-triggers (ALTER TABLE ... DISABLE TRIGGER ALL, then
--    ENABLE TRIGGER ALL, which would also take revrec's ALWAYS triggers out
--    of replica mode): an event trigger puts every revrec trigger back in the
--    state it is meant to be in (revrec._trigger_state) at the end of the
--    ALTER TABLE.  In a restore session that is all
--    (a NOTICE), and the data then loads as with a plain --data-only
--    restore; anywhere else the ALTER TABLE is refused (RV041).

CREATE OR REPLACE FUNCTION revrec._restore_session() RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT current_setting('row_security') = 'off' AND current_setting('check_function_bodies') = 'off'
           AND current_setting('client_min_messages') = 'warning';
END;

-- The caller cannot write revrec's ledger: refuse, naming who can.
CREATE OR REPLACE FUNCTION revrec._restore_role_check(what text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    who   text := revrec._outer_role();
    owner text := (SELECT e.extowner::regrole::text FROM pg_extension e WHERE e.extname = 'revrec');
BEGIN
    IF has_table_privilege(who, 'revrec.activity', 'INSERT') THEN
        RETURN;
    END IF;
    RAISE EXCEPTION USING ERRCODE = '42501',
        MESSAGE = format('role %s cannot restore revrec: only a superuser or the extension''s owner (%s) can write its ledger', who, owner),
        DETAIL = format('A restore writes revrec''s ledger and activity log and sets their sequences, which no other role may do. Nothing was written (%s).', what),
        HINT = format('Run the whole restore as %s or another superuser, into a new database: pg_restore -U %s -d NEWDB FILE, or pg_dump DB | psql -U %s -d NEWDB (README "Backup and restore").', owner, owner, owner);
END $$;

-- revrec's dumped sequences back to their start (ALTER SEQUENCE ... RESTART),
-- for the restore guard: only while revrec holds no data at all (no activity,
-- posting, customer or document), else nothing.
CREATE OR REPLACE FUNCTION revrec._restart_sequences() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    seq regclass;
BEGIN
    IF EXISTS (SELECT 1 FROM revrec.activity) OR EXISTS (SELECT 1 FROM revrec.posting)
       OR EXISTS (SELECT 1 FROM revrec.customer) OR EXISTS (SELECT 1 FROM revrec.invoice)
       OR EXISTS (SELECT 1 FROM revrec.credit_note) OR EXISTS (SELECT 1 FROM revrec.billing_schedule_line)
       OR EXISTS (SELECT 1 FROM revrec.ledger_account a WHERE a.account_id >= 100) THEN
        RETURN;
    END IF;
    FOR seq IN SELECT c.oid::regclass FROM pg_extension e, unnest(e.extconfig) x(oid) JOIN pg_class c ON c.oid = x.oid
                WHERE e.extname = 'revrec' AND c.relkind = 'S' ORDER BY 1 LOOP
        EXECUTE format('ALTER SEQUENCE %s RESTART', seq);
    END LOOP;
END $$;

-- BEFORE INSERT, FOR EACH STATEMENT, on every table pg_dump dumps.
CREATE OR REPLACE FUNCTION revrec._restore_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    -- not a restore session, or revrec's own code writing (posting, activity log)
    IF pg_trigger_depth() > 1 OR NOT revrec._restore_session() THEN
        RETURN NULL;
    END IF;
    PERFORM revrec._restore_role_check(format('revrec.%s', TG_TABLE_NAME));
    -- pg_restore -j: its workers stay connected until the end, but connect
    -- one by one after the leader has disconnected; while the activity log is
    -- empty (the start of a restore) a sibling is waited for (2 s at most, so
    -- that a worker slowed by a loaded server is still seen; a serial
    -- pg_restore waits once: the activity log is its first table)
    IF current_setting('application_name') = 'pg_restore' THEN
        FOR i IN 1 .. CASE WHEN EXISTS (SELECT 1 FROM revrec.activity) THEN 1 ELSE 21 END LOOP
            IF i > 1 THEN PERFORM pg_sleep(0.1); END IF;
            -- pg_stat_activity is read once per transaction unless the
            -- snapshot is cleared: without this, the wait saw no sibling
            -- that connected after the first look
            PERFORM pg_stat_clear_snapshot();
            IF EXISTS (SELECT 1 FROM pg_stat_activity a
                        WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
                          AND a.application_name = 'pg_restore') THEN
                RAISE EXCEPTION USING ERRCODE = 'RV040',
                    MESSAGE = 'pg_restore -j cannot restore revrec: it loads revrec''s tables in parallel, in no order',
                    DETAIL = format('revrec needs its activity log before its documents and its sequences set after all of them. Nothing was written to revrec.%s.', TG_TABLE_NAME),
                    -- (a dump of a revrec distributed with Citus has made
                    -- distribute()'s own tables here already: a second
                    -- restore into this database fails on them)
                    HINT = CASE WHEN pg_catalog.to_regclass('revrec.citus_queue') IS NULL
                                THEN 'Restore without -j: pg_restore -d DB FILE (also with --single-transaction), into this database or a new one.'
                                ELSE 'Restore without -j, into a new database: pg_restore -d NEWDB FILE (also with --single-transaction). This dump is of a revrec distributed with Citus, and its restore has made distribute()''s tables here already.' END;
            END IF;
        END LOOP;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM revrec.activity) AND (SELECT s.is_called FROM revrec.activity_activity_id_seq s) THEN
        -- revrec holds nothing, yet its sequences were set: what a refused
        -- pg_restore -j leaves (its setval calls cannot be refused).  They
        -- start again, as after CREATE EXTENSION, and this restore goes on;
        -- its own setval calls come at its end.
        PERFORM revrec._restart_sequences();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM revrec.activity) AND (SELECT s.is_called FROM revrec.activity_activity_id_seq s) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV040',
            MESSAGE = 'revrec cannot be restored into this database: its activity log is empty but its sequence was already set',
            DETAIL = format('An earlier restore (pg_restore -j?) set revrec''s sequences and was refused; revrec would take the restored activity log for its own. Nothing was written to revrec.%s.', TG_TABLE_NAME),
            HINT = 'Restore into a new database: pg_restore -d NEWDB FILE, or pg_dump DB | psql -d NEWDB.';
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['activity', 'customer', 'product', 'billing_schedule_line', 'credit_grant', 'invoice',
                             'credit_note', 'invoice_line', 'credit_note_line', 'export_log', 'ledger_account',
                             'gl_account_map', 'milestone', 'posting', 'settings', 'usage'] LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER restore_guard BEFORE INSERT ON revrec.%I
                            FOR EACH STATEMENT EXECUTE FUNCTION revrec._restore_guard()', t);
    END LOOP;
END
$$;

-- Event trigger, ddl_command_start of CREATE EXTENSION: a restore's CREATE
-- EXTENSION IF NOT EXISTS revrec by a role that cannot restore it.
CREATE OR REPLACE FUNCTION revrec._restore_create_extension() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF revrec._restore_session()
       AND current_query() ~* '^\s*CREATE\s+EXTENSION\s+(IF\s+NOT\s+EXISTS\s+)?"?revrec"?(\s|;|$)' THEN
        PERFORM revrec._restore_role_check('CREATE EXTENSION');
    END IF;
END $$;

-- Event trigger at the end of every ALTER TABLE: a revrec trigger found in
-- another state than the one it is meant to be in (revrec._trigger_state,
-- written by the install and upgrades, and only by them) is put back.  The
-- meant state comes from a table only revrec's code writes, never from
-- anything the session could set.  Commands of an extension script (an
-- upgrade changing a trigger on purpose) are left alone.
CREATE OR REPLACE FUNCTION revrec._triggers_after() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    restore boolean;
    r       record;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() d WHERE d.in_extension) THEN
        RETURN;
    END IF;
    restore := revrec._restore_session();
    FOR r IN SELECT c.oid::regclass::text AS rel,
                    string_agg(format('%s TRIGGER %I', CASE m.state WHEN 'A' THEN 'ENABLE ALWAYS' WHEN 'R' THEN 'ENABLE REPLICA'
                                                                    WHEN 'D' THEN 'DISABLE' ELSE 'ENABLE' END, t.tgname),
                               ', ' ORDER BY t.tgname) AS cmds,
                    string_agg(t.tgname, ', ' ORDER BY t.tgname) FILTER (WHERE NOT t.tgisinternal) AS names
               FROM revrec._trigger_state m
               JOIN pg_class c ON c.relnamespace = 'revrec'::regnamespace AND c.relname = m.relname
               JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname = m.tgname
              WHERE t.tgenabled <> m.state
              GROUP BY c.oid
              ORDER BY 1 LOOP
        IF NOT restore THEN
            RAISE EXCEPTION USING ERRCODE = 'RV041',
                MESSAGE = format('revrec''s triggers cannot be disabled or changed (%s on %s)', coalesce(r.names, 'its constraint triggers'), r.rel),
                DETAIL = 'They keep the ledger append-only and post every document; ALWAYS triggers fire in replica mode too.',
                HINT = 'Restore data with pg_dump --data-only | psql, without --disable-triggers (README "Backup and restore").';
        END IF;
        RAISE NOTICE 'revrec keeps its triggers on %: a restore loads revrec''s tables with them (--disable-triggers is not needed)', r.rel;
        EXECUTE format('ALTER TABLE %s %s', r.rel, r.cmds);
    END LOOP;
END $$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'revrec_restore_create_extension') THEN
        CREATE EVENT TRIGGER revrec_restore_create_extension ON ddl_command_start WHEN TAG IN ('CREATE EXTENSION')
            EXECUTE FUNCTION revrec._restore_create_extension();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'revrec_triggers_after') THEN
        CREATE EVENT TRIGGER revrec_triggers_after ON ddl_command_end WHEN TAG IN ('ALTER TABLE')
            EXECUTE FUNCTION revrec._triggers_after();
    END IF;
    ALTER EVENT TRIGGER revrec_restore_create_extension ENABLE ALWAYS;
    ALTER EVENT TRIGGER revrec_triggers_after ENABLE ALWAYS;
END
$$;
