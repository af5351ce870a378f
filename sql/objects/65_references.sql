-- References of the high-volume document tables (invoice -> customer and
-- currency, invoice_line -> invoice and product, usage -> invoice_line) are
-- checked once per statement instead of once per row: a foreign key costs a
-- lookup and a row lock for each of a COPY's 100,000 rows; here the distinct
-- keys are looked up in one join, and each referenced row another
-- transaction wrote is locked once (FOR KEY SHARE, as a foreign key would).  The errors are the ones a
-- foreign key raises (SQLSTATE 23503), and deleting or re-keying a
-- referenced row is refused the same way.

-- AFTER INSERT/UPDATE, FOR EACH STATEMENT, transition table new_rows.
-- Arguments: child column, parent table, parent column, constraint name.
-- SECURITY DEFINER like PostgreSQL's own foreign-key checks, which lock the
-- referenced rows as the table owner (a writer has no UPDATE on customers).
CREATE OR REPLACE FUNCTION revrec._check_reference() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    col     text := TG_ARGV[0];
    parent  text := TG_ARGV[1];
    pcol    text := TG_ARGV[2];
    -- optional 5th argument: SHARE where the child must also keep the parent
    -- from changing until it commits (an invoice's lines vs its issue)
    lockmode text := coalesce(TG_ARGV[4], 'KEY SHARE');
    bad     text;
    others  bigint;
    locked  bigint;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF lockmode NOT IN ('KEY SHARE', 'SHARE') THEN
        RAISE EXCEPTION USING ERRCODE = 'internal_error',
            MESSAGE = format('revrec._check_reference: lock mode must be KEY SHARE or SHARE, not %s', lockmode);
    END IF;
    -- one pass over the distinct keys: a key with no parent, and how many
    -- parents other transactions wrote (rows this transaction wrote itself
    -- need no lock: nobody else sees them; in a bulk load that is all of them).
    -- Then lock those; fewer locked than found means one was deleted (or
    -- re-keyed) by a transaction that committed meanwhile: look again, with
    -- a new snapshot, until every parent found is locked or one is missing.
    LOOP
        EXECUTE format('SELECT min(d.k) FILTER (WHERE p.%4$I IS NULL),
                               count(*) FILTER (WHERE p.%4$I IS NOT NULL AND NOT (p.xmin = pg_current_xact_id()::xid))
                          FROM (SELECT DISTINCT n.%1$I AS k FROM new_rows n WHERE n.%1$I IS NOT NULL) d
                          LEFT JOIN revrec.%3$I p ON p.%4$I = d.k',
                       col, col, parent, pcol) INTO bad, others;
        EXIT WHEN bad IS NOT NULL OR others = 0;
        EXECUTE format('SELECT 1 FROM revrec.%I p WHERE p.%I IN (SELECT DISTINCT n.%I FROM new_rows n)
                           AND NOT (p.xmin = pg_current_xact_id()::xid) FOR %s OF p',
                       parent, pcol, col, lockmode);
        GET DIAGNOSTICS locked = ROW_COUNT;
        EXIT WHEN locked >= others;
    END LOOP;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '23503',
            MESSAGE = format('insert or update on table "%s" violates foreign key constraint "%s"', TG_TABLE_NAME, TG_ARGV[3]),
            DETAIL = format('Key (%s)=(%s) is not present in table "%s".', col, bad, parent);
    END IF;
    RETURN NULL;
END $$;

-- AFTER DELETE (old_rows) or UPDATE (old_rows, new_rows) of a parent, FOR EACH STATEMENT.
-- Arguments: parent column, child table, child column, constraint name.
CREATE OR REPLACE FUNCTION revrec._check_referenced() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    pcol  text := TG_ARGV[0];
    child text := TG_ARGV[1];
    col   text := TG_ARGV[2];
    gone  text := CASE WHEN TG_OP = 'DELETE' THEN 'SELECT o.%1$I AS k FROM old_rows o'
                       ELSE 'SELECT o.%1$I AS k FROM old_rows o EXCEPT SELECT n.%1$I FROM new_rows n' END;
    -- (on a Citus shard: the co-located shard of the child; revrec._trigger_table)
    crel  text := revrec._trigger_table(TG_TABLE_NAME, child);
    bad   text;
    moved boolean;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF crel IS NULL THEN
        -- a placement of a Citus reference table (products): a change that
        -- keeps every key needs no child; another cannot be checked here
        EXECUTE format('SELECT EXISTS (' || gone || ')', pcol) INTO moved;
        IF moved THEN
            RAISE EXCEPTION USING ERRCODE = 'RV063',
                MESSAGE = format('%s: a row cannot be deleted or re-keyed on a distributed revrec (its %s rows are on every shard)',
                                 pg_catalog.regexp_replace(TG_TABLE_NAME, '_[0-9]+$', ''), child),
                HINT = 'Rename it instead (docs/CITUS.md).';
        END IF;
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT g.k FROM (' || gone || ') g WHERE EXISTS (SELECT 1 FROM %2$s c WHERE c.%3$I = g.k) LIMIT 1',
                   pcol, crel, col) INTO bad;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '23503',
            MESSAGE = format('update or delete on table "%s" violates foreign key constraint "%s" on table "%s"',
                             pg_catalog.regexp_replace(TG_TABLE_NAME, '_[0-9]+$', ''), TG_ARGV[3], child),
            DETAIL = format('Key (%s)=(%s) is still referenced from table "%s".', pcol, bad, child);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER invoice_customer_ins AFTER INSERT ON revrec.invoice REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_reference('customer_id', 'customer', 'customer_id', 'invoice_customer_id_fkey');

CREATE OR REPLACE TRIGGER invoice_customer_upd AFTER UPDATE ON revrec.invoice REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_reference('customer_id', 'customer', 'customer_id', 'invoice_customer_id_fkey');

CREATE OR REPLACE TRIGGER invoice_currency_ins AFTER INSERT ON revrec.invoice REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_reference('currency', 'currency', 'code', 'invoice_currency_fkey');

CREATE OR REPLACE TRIGGER invoice_currency_upd AFTER UPDATE ON revrec.invoice REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_reference('currency', 'currency', 'code', 'invoice_currency_fkey');

CREATE OR REPLACE TRIGGER invoice_line_invoice_ins AFTER INSERT ON revrec.invoice_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_reference('invoice_id', 'invoice', 'invoice_id', 'invoice_line_invoice_id_fkey', 'SHARE');

CREATE OR REPLACE TRIGGER invoice_line_invoice_upd AFTER UPDATE ON revrec.invoice_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_reference('invoice_id', 'invoice', 'invoice_id', 'invoice_line_invoice_id_fkey');

CREATE OR REPLACE TRIGGER invoice_line_product_ins AFTER INSERT ON revrec.invoice_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_reference('product_id', 'product', 'product_id', 'invoice_line_product_id_fkey');

CREATE OR REPLACE TRIGGER invoice_line_product_upd AFTER UPDATE ON revrec.invoice_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_reference('product_id', 'product', 'product_id', 'invoice_line_product_id_fkey');

CREATE OR REPLACE TRIGGER usage_line_ins AFTER INSERT ON revrec.usage REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_reference('line_id', 'invoice_line', 'line_id', 'usage_line_id_fkey');

CREATE OR REPLACE TRIGGER usage_line_upd AFTER UPDATE ON revrec.usage REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_reference('line_id', 'invoice_line', 'line_id', 'usage_line_id_fkey');

CREATE OR REPLACE TRIGGER customer_invoice_del AFTER DELETE ON revrec.customer REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_referenced('customer_id', 'invoice', 'customer_id', 'invoice_customer_id_fkey');

CREATE OR REPLACE TRIGGER customer_invoice_upd AFTER UPDATE ON revrec.customer REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_referenced('customer_id', 'invoice', 'customer_id', 'invoice_customer_id_fkey');

CREATE OR REPLACE TRIGGER invoice_line_del AFTER DELETE ON revrec.invoice REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_referenced('invoice_id', 'invoice_line', 'invoice_id', 'invoice_line_invoice_id_fkey');

CREATE OR REPLACE TRIGGER invoice_line_key_upd AFTER UPDATE ON revrec.invoice REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_referenced('invoice_id', 'invoice_line', 'invoice_id', 'invoice_line_invoice_id_fkey');

CREATE OR REPLACE TRIGGER product_line_del AFTER DELETE ON revrec.product REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_referenced('product_id', 'invoice_line', 'product_id', 'invoice_line_product_id_fkey');

CREATE OR REPLACE TRIGGER product_line_upd AFTER UPDATE ON revrec.product REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_referenced('product_id', 'invoice_line', 'product_id', 'invoice_line_product_id_fkey');

CREATE OR REPLACE TRIGGER line_usage_del AFTER DELETE ON revrec.invoice_line REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_referenced('line_id', 'usage', 'line_id', 'usage_line_id_fkey');

CREATE OR REPLACE TRIGGER line_usage_upd AFTER UPDATE ON revrec.invoice_line REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_referenced('line_id', 'usage', 'line_id', 'usage_line_id_fkey');

-- A referenced row is not deleted or re-keyed in replica mode either.
DO $$
DECLARE
    t record;
BEGIN
    -- (revrec's own tables only: on a Citus worker, Citus's shards of them
    -- carry these triggers too, in the state distribute() gave them)
    FOR t IN SELECT tg.tgname, tg.tgrelid::regclass AS rel FROM pg_catalog.pg_trigger tg
               JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = tg.tgrelid
                AND d.deptype = 'e' AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'revrec')
              WHERE tg.tgfoid = 'revrec._check_referenced()'::regprocedure LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', t.rel, t.tgname);
    END LOOP;
END
$$;
