-- Settings: one row, forever, and the period lock's audit trail
--.  The install script writes the row; afterwards it is only ever
-- UPDATEd.  A DELETE, a TRUNCATE or a second row is refused for every role,
-- superusers included, and in replica mode too (ENABLE ALWAYS).  The one
-- INSERT accepted is a restore's: pg_dump writes the dumped row back into a
-- fresh install, and while the row is still as the install wrote it
-- (updated_at IS NULL) the dumped row replaces it.

CREATE OR REPLACE FUNCTION revrec._settings_ins() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF EXISTS (SELECT 1 FROM revrec.settings s WHERE s.updated_at IS NOT NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV018',
            MESSAGE = 'revrec.settings holds exactly one row: a second row cannot be inserted',
            HINT = 'Change the settings with UPDATE revrec.settings SET ... (revrec_admin).';
    END IF;
    -- a restore into a fresh install: the install's own row gives way (the
    -- marker in the queue, which only revrec's code can write, lets the
    -- delete trigger tell this delete from any other)
    INSERT INTO revrec.pending (customer_id, doc_kind, doc_id) VALUES ('', 'settings_restore', '');
    DELETE FROM revrec.settings;
    DELETE FROM revrec.pending WHERE doc_kind = 'settings_restore';
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER settings_ins BEFORE INSERT ON revrec.settings
    FOR EACH ROW EXECUTE FUNCTION revrec._settings_ins();

CREATE OR REPLACE FUNCTION revrec._settings_del() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF TG_OP = 'DELETE' AND OLD.updated_at IS NULL
       AND EXISTS (SELECT 1 FROM revrec.pending q WHERE q.doc_kind = 'settings_restore') THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'RV018',
        MESSAGE = format('%s on revrec.settings is not allowed: it holds exactly one row, forever', TG_OP),
        HINT = 'Change the settings with UPDATE revrec.settings SET ... (revrec_admin).';
END $$;
CREATE OR REPLACE TRIGGER settings_del BEFORE DELETE ON revrec.settings
    FOR EACH ROW EXECUTE FUNCTION revrec._settings_del();
CREATE OR REPLACE TRIGGER settings_truncate BEFORE TRUNCATE ON revrec.settings
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._settings_del();

-- Every change is stamped; every change of the lock is logged, and moving
-- it back is flagged as the administrator's act it is.  SECURITY DEFINER: an
-- administrator changes the lock without write access to the activity log.
-- The role checked is the caller's (revrec._outer_role(): current_role
-- outside this function), not the session's.
CREATE OR REPLACE FUNCTION revrec._settings_upd() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    back boolean := OLD.lock_date IS NOT NULL AND (NEW.lock_date IS NULL OR NEW.lock_date < OLD.lock_date);
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE EXCEPTION USING ERRCODE = 'RV018', MESSAGE = 'revrec.settings holds exactly one row: its id cannot change';
    END IF;
    -- a logical-replication subscriber (replica mode, superuser only): the
    -- change arrives as the publisher stamped and logged it, and its
    -- activity row arrives by itself
    IF current_setting('session_replication_role') = 'replica' THEN
        RETURN NEW;
    END IF;
    -- (on a distributed revrec this fires on the reference table's
    -- placements, settings_102008 on every node: the coordinator checks and
    -- logs the change once, revrec._citus_settings_change, src/citus.c)
    IF TG_TABLE_NAME = 'settings'
       AND (NEW.lock_date IS DISTINCT FROM OLD.lock_date OR NEW.lock_to_accounting_date IS DISTINCT FROM OLD.lock_to_accounting_date) THEN
        IF back AND NOT pg_has_role(revrec._outer_role(), 'revrec_admin', 'MEMBER') THEN
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = format('revrec_admin is required to move the lock date back (from %s)', OLD.lock_date),
                HINT = 'Ask a member of revrec_admin; moving the lock back is recorded in revrec.activity_log.';
        END IF;
        INSERT INTO revrec.activity (action, detail)
        VALUES (CASE WHEN back THEN 'lock moved back' ELSE 'lock' END,
                format('lock_date %s -> %s, lock_to_accounting_date %s -> %s',
                       coalesce(OLD.lock_date::text, 'none'), coalesce(NEW.lock_date::text, 'none'),
                       OLD.lock_to_accounting_date, NEW.lock_to_accounting_date));
    END IF;
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER settings_upd BEFORE UPDATE ON revrec.settings
    FOR EACH ROW EXECUTE FUNCTION revrec._settings_upd();

ALTER TABLE revrec.settings ENABLE ALWAYS TRIGGER settings_ins;
ALTER TABLE revrec.settings ENABLE ALWAYS TRIGGER settings_del;
ALTER TABLE revrec.settings ENABLE ALWAYS TRIGGER settings_truncate;
ALTER TABLE revrec.settings ENABLE ALWAYS TRIGGER settings_upd;
