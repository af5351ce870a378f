-- pg_dump / restore: documents, settings, mappings and the ledger are
-- user data of the extension and are dumped with it.  Rows the install script
-- creates itself (the settings row, the system accounts) are dumped too and
-- merged back on restore by the triggers below, so user changes survive.

CREATE OR REPLACE FUNCTION revrec._account_restore() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF NEW.is_system AND EXISTS (SELECT 1 FROM revrec.ledger_account WHERE account_id = NEW.account_id) THEN
        UPDATE revrec.ledger_account SET name = NEW.name WHERE account_id = NEW.account_id;
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER account_restore BEFORE INSERT ON revrec.ledger_account
    FOR EACH ROW EXECUTE FUNCTION revrec._account_restore();

-- Restore runs with session_replication_role = replica (see README), so that
-- document triggers do not post a second time what the dumped ledger holds;
-- these two must still merge the install script's own rows.

ALTER TABLE revrec.ledger_account ENABLE ALWAYS TRIGGER account_restore;
