CREATE OR REPLACE FUNCTION revrec._posting_check() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'revrec_posting_check';

CREATE OR REPLACE TRIGGER posting_check BEFORE INSERT ON revrec.posting
    FOR EACH ROW EXECUTE FUNCTION revrec._posting_check();

-- Append-only, for every role and in replica mode too (a superuser can still
-- drop the trigger; that is a deliberate act, not maintenance).
CREATE OR REPLACE FUNCTION revrec._ledger_immutable() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    RAISE EXCEPTION USING ERRCODE = 'RV012',
        MESSAGE = format('%s on %s is not allowed: the ledger is append-only', TG_OP, TG_TABLE_NAME),
        HINT = 'Correct with a credit note, a void or revrec.post_manual_journal().';
END $$;

CREATE OR REPLACE TRIGGER posting_no_update BEFORE UPDATE OR DELETE ON revrec.posting
    FOR EACH ROW EXECUTE FUNCTION revrec._ledger_immutable();

CREATE OR REPLACE TRIGGER posting_no_truncate BEFORE TRUNCATE ON revrec.posting
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._ledger_immutable();
-- in replica mode too (a restore or a subscriber only ever inserts)
ALTER TABLE revrec.posting ENABLE ALWAYS TRIGGER posting_no_update;
ALTER TABLE revrec.posting ENABLE ALWAYS TRIGGER posting_no_truncate;

-- Expansion of one posting into entries (daily, or summed per month).
CREATE OR REPLACE FUNCTION revrec._entries(p revrec.posting, from_date date, to_date date, monthly boolean)
    RETURNS TABLE (journal_number text, entry_date date, account_id smallint,
                   direction text, amount numeric, catchup_from date)
    LANGUAGE c IMMUTABLE PARALLEL SAFE ROWS 100
    AS 'MODULE_PATHNAME', 'revrec_entries';
