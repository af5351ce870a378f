-- pg_dump / restore (SPEC 8): documents, settings, mappings and the ledger are
-- user data of the extension and are dumped with it.  Rows the install script
-- creates itself (the settings row, the system accounts) are dumped too and
-- merged back on restore by the triggers below, so user changes survive.

CREATE FUNCTION revrec._settings_restore() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM revrec.settings) THEN
        PERFORM set_config('revrec.restoring', 'on', true);
        UPDATE revrec.settings SET allocation_strategy = NEW.allocation_strategy,
               credit_note_mode = NEW.credit_note_mode, lock_date = NEW.lock_date,
               lock_to_accounting_date = NEW.lock_to_accounting_date, xero_tax_rate = NEW.xero_tax_rate,
               xero_date_format = NEW.xero_date_format, quickbooks_date_format = NEW.quickbooks_date_format,
               netsuite_date_format = NEW.netsuite_date_format, netsuite_subsidiary = NEW.netsuite_subsidiary,
               export_token_ttl = NEW.export_token_ttl;
        PERFORM set_config('revrec.restoring', 'off', true);
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER settings_restore BEFORE INSERT ON revrec.settings
    FOR EACH ROW EXECUTE FUNCTION revrec._settings_restore();

CREATE FUNCTION revrec._account_restore() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.is_system AND EXISTS (SELECT 1 FROM revrec.ledger_account WHERE account_id = NEW.account_id) THEN
        UPDATE revrec.ledger_account SET name = NEW.name WHERE account_id = NEW.account_id;
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER account_restore BEFORE INSERT ON revrec.ledger_account
    FOR EACH ROW EXECUTE FUNCTION revrec._account_restore();

SELECT pg_catalog.pg_extension_config_dump('revrec.settings', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.ledger_account', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.customer', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.product', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.invoice', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.invoice_line', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.usage', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.milestone', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.credit_grant', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.billing_schedule_line', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.credit_note', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.credit_note_line', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.posting', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.activity', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.gl_account_map', '');
SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('revrec.posting', 'posting_id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('revrec.activity', 'activity_id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('revrec.usage', 'usage_id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('revrec.ledger_account', 'account_id'), '');
-- Restore runs with session_replication_role = replica (see README), so that
-- document triggers do not post a second time what the dumped ledger holds;
-- these two must still merge the install script's own rows.
ALTER TABLE revrec.settings ENABLE ALWAYS TRIGGER settings_restore;
ALTER TABLE revrec.ledger_account ENABLE ALWAYS TRIGGER account_restore;
