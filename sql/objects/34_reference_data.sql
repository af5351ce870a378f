-- What the ledger uses cannot be destroyed or re-keyed, by any role,
-- superusers included, and in replica mode too (every trigger here is ENABLE
-- ALWAYS): ledger accounts once used, customers, products and currencies
-- cannot be deleted while anything refers to them, their keys never change,
-- and no revrec table can be TRUNCATEd.  Rows nobody refers to can still be
-- deleted (a customer created by mistake, an unused account).  Foreign keys
-- from the high-volume tables are checked per statement (65_references.sql);
-- what refers to these rows from the ledger itself (a manual journal's
-- customer, product or accounts) is checked here.

-- TRUNCATE of any revrec table (statement trigger on each, listed below).
CREATE OR REPLACE FUNCTION revrec._no_truncate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    RAISE EXCEPTION USING ERRCODE = 'RV018',
        MESSAGE = format('TRUNCATE of revrec.%s is not allowed: the ledger refers to what it holds', TG_TABLE_NAME),
        HINT = 'Delete rows nothing refers to with DELETE; correct posted documents with credit notes, voids or manual journals.';
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['currency', 'ledger_account', 'customer', 'product', 'invoice', 'invoice_line', 'usage',
                             'milestone', 'credit_grant', 'billing_schedule_line', 'credit_note', 'credit_note_line',
                             'gl_account_map'] LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I BEFORE TRUNCATE ON revrec.%I
                            FOR EACH STATEMENT EXECUTE FUNCTION revrec._no_truncate()', t || '_no_truncate', t);
        EXECUTE format('ALTER TABLE revrec.%I ENABLE ALWAYS TRIGGER %I', t, t || '_no_truncate');
    END LOOP;
END
$$;

-- Ledger accounts: the C core posts to the four system accounts by id, and
-- every posting names accounts by id, so an account's id, code, normal
-- balance and kind never change (its name may); a system account is never
-- removed, a user account only while no posting uses it.
CREATE OR REPLACE FUNCTION revrec._ledger_account_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.account_id, NEW.code, NEW.normal_balance, NEW.is_system)
           IS DISTINCT FROM (OLD.account_id, OLD.code, OLD.normal_balance, OLD.is_system) THEN
            RAISE EXCEPTION USING ERRCODE = 'RV018',
                MESSAGE = format('ledger account "%s" can only be renamed', OLD.code),
                DETAIL = 'Its id, code, normal balance and kind are what posted entries and GL mappings refer to.',
                HINT = 'Change its name column, or create a new account.';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.is_system THEN
        RAISE EXCEPTION USING ERRCODE = 'RV018',
            MESSAGE = format('system ledger account "%s" cannot be removed', OLD.code);
    END IF;
    -- only manual journals post to user accounts
    IF EXISTS (SELECT 1 FROM revrec.posting p
                WHERE p.journal_type = 'manual'
                  AND EXISTS (SELECT 1 FROM generate_subscripts(p.entries, 1) i
                               WHERE i % 3 = 2 AND p.entries[i] = OLD.account_id)) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV018',
            MESSAGE = format('ledger account "%s" is used by posted journals and cannot be removed', OLD.code),
            HINT = 'Rename it (name column) if it is no longer used.';
    END IF;
    RETURN OLD;
END $$;
CREATE OR REPLACE TRIGGER ledger_account_change BEFORE UPDATE OR DELETE ON revrec.ledger_account
    FOR EACH ROW EXECUTE FUNCTION revrec._ledger_account_change();
ALTER TABLE revrec.ledger_account ENABLE ALWAYS TRIGGER ledger_account_change;

-- The table a trigger reads for revrec.<tbl> when it fires on tg_table
-- (TG_TABLE_NAME): revrec.<tbl> itself on a single node.  On a distributed
-- revrec (docs/CITUS.md) a trigger fires on a shard, on a worker
-- (revrec.customer_102008), where a query of the distributed table is
-- refused; there it is the shard of revrec.<tbl> co-located with it (the same
-- customers), read as a plain table.  NULL on a placement of a reference
-- table (revrec.product_102040): the rows of <tbl> are on every shard.
CREATE OR REPLACE FUNCTION revrec._trigger_table(tg_table text, tbl text) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    shard bigint := pg_catalog.substring(tg_table, '_([0-9]+)$')::bigint;
    r     text;
BEGIN
    -- (revrec's own tables' names do not end in _<digits>)
    IF shard IS NULL OR pg_catalog.to_regclass('pg_catalog.pg_dist_shard') IS NULL THEN
        RETURN pg_catalog.format('revrec.%I', tbl);
    END IF;
    EXECUTE 'SELECT pg_catalog.format(''revrec.%I'', $2 || ''_'' || c.shardid)
               FROM pg_catalog.pg_dist_shard s
               JOIN pg_catalog.pg_dist_shard c ON c.logicalrelid = pg_catalog.format(''revrec.%I'', $2)::pg_catalog.regclass
                                              AND c.shardminvalue = s.shardminvalue
              WHERE s.shardid = $1'
       INTO r USING shard, tbl;
    RETURN r;
END $$;

-- Customers and products: keys never change; a row is removed only while
-- nothing refers to it (documents through their foreign keys, the ledger
-- here: a manual journal may name any customer or product).
-- Argument: the key column (customer_id, product_id); posting has the same.
CREATE OR REPLACE FUNCTION revrec._party_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    col  text := TG_ARGV[0];
    key  text := to_jsonb(OLD) ->> col;
    -- (on a Citus shard, revrec.customer_102008: the table's own name)
    tbl  text := pg_catalog.regexp_replace(TG_TABLE_NAME, '_[0-9]+$', '');
    prel text;
    used boolean;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF TG_OP = 'UPDATE' THEN
        IF key IS DISTINCT FROM to_jsonb(NEW) ->> col THEN
            RAISE EXCEPTION USING ERRCODE = 'RV018',
                MESSAGE = format('%s %s cannot be re-keyed', tbl, key),
                DETAIL = format('Documents and posted entries refer to a %s by its id.', tbl),
                HINT = format('Change its name; a different id is a new %s.', tbl);
        END IF;
        RETURN NEW;
    END IF;
    -- (on a Citus shard: the co-located shard of the postings, revrec._trigger_table)
    prel := revrec._trigger_table(TG_TABLE_NAME, 'posting');
    IF prel IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RV063',
            MESSAGE = format('%s %s: a row cannot be deleted on a distributed revrec (postings are on every shard)', tbl, key),
            HINT = 'Rename it instead (docs/CITUS.md).';
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s p WHERE p.%I = $1)', prel, col) INTO used USING key;
    IF used THEN
        RAISE EXCEPTION USING ERRCODE = 'RV018',
            MESSAGE = format('%s %s has posted entries and cannot be removed', tbl, key);
    END IF;
    RETURN OLD;
END $$;
CREATE OR REPLACE TRIGGER customer_change BEFORE UPDATE OR DELETE ON revrec.customer
    FOR EACH ROW EXECUTE FUNCTION revrec._party_change('customer_id');
CREATE OR REPLACE TRIGGER product_change BEFORE UPDATE OR DELETE ON revrec.product
    FOR EACH ROW EXECUTE FUNCTION revrec._party_change('product_id');
ALTER TABLE revrec.customer ENABLE ALWAYS TRIGGER customer_change;
ALTER TABLE revrec.product ENABLE ALWAYS TRIGGER product_change;

-- Currencies mirror the table compiled into revrec (what amounts are checked
-- against): a row is inserted only as it is there (install, upgrade, restore),
-- and never changed or removed.
CREATE OR REPLACE FUNCTION revrec._currency_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM revrec._iso_currencies() c
                                     WHERE (c.code, c.exponent, c.name) = (NEW.code, NEW.exponent, NEW.name)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'RV018',
        MESSAGE = format('%s on revrec.currency is not allowed: it mirrors the ISO 4217 table built into revrec', TG_OP),
        HINT = 'Amounts are checked against the built-in table; a new currency comes with a new revrec release.';
END $$;
CREATE OR REPLACE TRIGGER currency_change BEFORE INSERT OR UPDATE OR DELETE ON revrec.currency
    FOR EACH ROW EXECUTE FUNCTION revrec._currency_change();
ALTER TABLE revrec.currency ENABLE ALWAYS TRIGGER currency_change;
