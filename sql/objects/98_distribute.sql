-- Scale-out on Citus (docs/CITUS.md): revrec.distribute(), run once by a
-- superuser on a Citus coordinator after CREATE EXTENSION revrec.
--
--   reference tables   currency, product, ledger_account, settings,
--                      gl_account_map, activity (see below)
--   distributed by customer_id, co-located with revrec.customer:
--                      customer, billing_schedule_line, credit_grant, invoice,
--                      invoice_line, usage, milestone, credit_note,
--                      credit_note_line, posting
--   left local to the coordinator: pending, pending_flush (the posting queue,
--                      per node), export_log, _export_job, _trigger_state
--
-- Citus requires every unique constraint of a distributed table to include
-- the distribution column, and foreign keys between distributed tables to
-- include it too: single-column keys (invoice_id, line_id, ...) become
-- (customer_id, id), and the foreign keys between documents gain
-- customer_id (so a child row must name its parent's customer).  Document
-- ids unique across customers on a single node: distribute() refuses to run
-- when the data already breaks that; afterwards Citus enforces uniqueness
-- per customer only (docs/CITUS.md, "Uniqueness").
--
-- activity is a reference table, not distributed: rows written by settings
-- changes and close_period have no customer, and Citus refuses NULL in a
-- distribution column.
--
-- Nothing here runs on a single node: the function refuses (RV050) when
-- Citus is not installed in the database.
CREATE OR REPLACE FUNCTION revrec.distribute() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- per-customer tables and their single-column keys (NULL: key already has customer_id)
    dist     text[] := ARRAY['customer', 'billing_schedule_line', 'credit_grant', 'invoice', 'invoice_line',
                             'usage', 'milestone', 'credit_note', 'credit_note_line', 'posting'];
    refs     text[] := ARRAY['currency', 'product', 'ledger_account', 'settings', 'gl_account_map', 'activity'];
    -- foreign keys re-created after distributing: name, table, definition
    fks      text[][] := ARRAY[
        ['billing_schedule_line_customer_id_fkey', 'billing_schedule_line', 'FOREIGN KEY (customer_id) REFERENCES revrec.customer (customer_id)'],
        ['billing_schedule_line_product_id_fkey',  'billing_schedule_line', 'FOREIGN KEY (product_id) REFERENCES revrec.product (product_id)'],
        ['billing_schedule_line_currency_fkey',    'billing_schedule_line', 'FOREIGN KEY (currency) REFERENCES revrec.currency (code)'],
        ['credit_grant_customer_id_fkey',          'credit_grant',          'FOREIGN KEY (customer_id) REFERENCES revrec.customer (customer_id)'],
        ['credit_grant_currency_fkey',             'credit_grant',          'FOREIGN KEY (currency) REFERENCES revrec.currency (code)'],
        ['invoice_line_grant_id_fkey',             'invoice_line',          'FOREIGN KEY (customer_id, grant_id) REFERENCES revrec.credit_grant (customer_id, grant_id)'],
        ['invoice_line_schedule_line_id_fkey',     'invoice_line',          'FOREIGN KEY (customer_id, schedule_line_id) REFERENCES revrec.billing_schedule_line (customer_id, schedule_line_id)'],
        ['milestone_line_id_fkey',                 'milestone',             'FOREIGN KEY (customer_id, line_id) REFERENCES revrec.invoice_line (customer_id, line_id)'],
        ['credit_note_customer_id_fkey',           'credit_note',           'FOREIGN KEY (customer_id) REFERENCES revrec.customer (customer_id)'],
        ['credit_note_invoice_id_fkey',            'credit_note',           'FOREIGN KEY (customer_id, invoice_id) REFERENCES revrec.invoice (customer_id, invoice_id)'],
        ['credit_note_currency_fkey',              'credit_note',           'FOREIGN KEY (currency) REFERENCES revrec.currency (code)'],
        ['credit_note_line_credit_note_id_fkey',   'credit_note_line',      'FOREIGN KEY (customer_id, credit_note_id) REFERENCES revrec.credit_note (customer_id, credit_note_id)'],
        ['credit_note_line_line_id_fkey',          'credit_note_line',      'FOREIGN KEY (customer_id, line_id) REFERENCES revrec.invoice_line (customer_id, line_id)'],
        ['credit_note_line_product_id_fkey',       'credit_note_line',      'FOREIGN KEY (product_id) REFERENCES revrec.product (product_id)'],
        ['gl_account_map_account_code_fkey',       'gl_account_map',        'FOREIGN KEY (account_code) REFERENCES revrec.ledger_account (code) ON UPDATE CASCADE'],
        ['gl_account_map_product_id_fkey',         'gl_account_map',        'FOREIGN KEY (product_id) REFERENCES revrec.product (product_id)']];
    -- primary keys that become (customer_id, key); unique indexes that gain customer_id
    pks      text[][] := ARRAY[
        ['billing_schedule_line', 'schedule_line_id', 'billing_schedule_line_customer_id_schedule_line_id_key'],
        ['credit_grant', 'grant_id', 'credit_grant_customer_id_grant_id_key'],
        ['invoice', 'invoice_id', 'invoice_customer_id_invoice_id_key'],
        ['invoice_line', 'line_id', NULL],
        ['usage', 'usage_id', NULL],
        ['milestone', 'milestone_id', NULL],
        ['credit_note', 'credit_note_id', 'credit_note_customer_id_credit_note_id_key'],
        ['credit_note_line', 'credit_note_line_id', NULL]];
    t        text;
    i        int;
    dup      text;
    ddl      text[] := '{}';
    cmd      text;
    r        record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV050',
            MESSAGE = 'revrec.distribute() needs Citus: extension "citus" is not installed in this database',
            HINT = 'Install Citus, add citus to shared_preload_libraries (before revrec), CREATE EXTENSION citus, register the workers, then run revrec.distribute() on the coordinator (docs/CITUS.md).';
    END IF;
    IF NOT (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname = current_user) THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec.distribute() is for superusers';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = 'revrec.invoice'::pg_catalog.regclass) THEN
        RAISE NOTICE 'revrec is already distributed';
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node n WHERE n.noderole = 'primary' AND n.groupid <> 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV050',
            MESSAGE = 'revrec.distribute() found no Citus worker',
            HINT = 'Register the workers first: SELECT citus_set_coordinator_host(...); SELECT citus_add_node(host, port).';
    END IF;

    -- ids unique across customers on a single node must still be unique now:
    -- the new keys only hold them unique per customer (docs/CITUS.md)
    FOR i IN 1 .. pg_catalog.array_length(pks, 1) LOOP
        EXECUTE pg_catalog.format('SELECT min(x.%2$I::text) FROM (SELECT %2$I FROM revrec.%1$I GROUP BY %2$I HAVING count(*) > 1) x',
                                  pks[i][1], pks[i][2]) INTO dup;
        IF dup IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = '23505',
                MESSAGE = pg_catalog.format('revrec.%s: %s %s is used twice', pks[i][1], pks[i][2], dup);
        END IF;
    END LOOP;

    -- revrec's triggers go with the tables onto the shards
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
    -- foreign keys to reference tables in the same transaction as the
    -- distribution need Citus to use one connection per node
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    -- this is revrec's own DDL: the guard that puts triggers back after an
    -- ALTER TABLE would fight the settings trigger being lifted for the copy
    ALTER EVENT TRIGGER revrec_triggers_after DISABLE;

    -- Keys first, on the coordinator and on every worker: CREATE EXTENSION
    -- revrec made the same tables on the workers, and Citus keeps them as the
    -- distributed tables' shells there (DDL on the coordinator's tables is
    -- only propagated once they are distributed).
    FOR i IN 1 .. pg_catalog.array_length(fks, 1) LOOP
        ddl := ddl || pg_catalog.format('ALTER TABLE revrec.%I DROP CONSTRAINT %I', fks[i][2], fks[i][1]);
    END LOOP;
    FOR i IN 1 .. pg_catalog.array_length(pks, 1) LOOP
        ddl := ddl || pg_catalog.format('ALTER TABLE revrec.%1$I DROP CONSTRAINT %2$I, ADD CONSTRAINT %2$I PRIMARY KEY (customer_id, %3$I)',
                                        pks[i][1], pks[i][1] || '_pkey', pks[i][2]);
        IF pks[i][3] IS NOT NULL THEN   -- the (customer_id, id) unique constraint the primary key now is
            ddl := ddl || pg_catalog.format('ALTER TABLE revrec.%I DROP CONSTRAINT %I', pks[i][1], pks[i][3]);
        END IF;
    END LOOP;
    ddl := ddl || ARRAY['DROP INDEX revrec.invoice_number_unique',
                        'CREATE UNIQUE INDEX invoice_number_unique ON revrec.invoice (customer_id, invoice_number)',
                        'DROP INDEX revrec.credit_note_number_unique',
                        'CREATE UNIQUE INDEX credit_note_number_unique ON revrec.credit_note (customer_id, credit_note_number)'];
    FOREACH cmd IN ARRAY ddl LOOP
        EXECUTE cmd;
        FOR r IN SELECT * FROM pg_catalog.run_command_on_workers(cmd) LOOP
            IF NOT r.success THEN
                RAISE EXCEPTION USING ERRCODE = 'RV050',
                    MESSAGE = pg_catalog.format('revrec.distribute(): on worker %s:%s: %s', r.nodename, r.nodeport, r.result),
                    DETAIL = cmd;
            END IF;
        END LOOP;
    END LOOP;

    FOREACH t IN ARRAY refs LOOP
        IF t = 'settings' THEN
            -- the settings row's insert trigger replaces the install's row (a restore):
            -- Citus copies the row into the shard, the trigger must not see that
            ALTER TABLE revrec.settings DISABLE TRIGGER settings_ins;
        END IF;
        PERFORM pg_catalog.create_reference_table(pg_catalog.format('revrec.%I', t)::pg_catalog.regclass);
        IF t = 'settings' THEN
            ALTER TABLE revrec.settings ENABLE ALWAYS TRIGGER settings_ins;
        END IF;
    END LOOP;

    FOREACH t IN ARRAY dist LOOP
        PERFORM pg_catalog.create_distributed_table(pg_catalog.format('revrec.%I', t)::pg_catalog.regclass, 'customer_id',
                    colocate_with => CASE WHEN t = 'customer' THEN 'default' ELSE 'revrec.customer' END);
    END LOOP;

    FOR i IN 1 .. pg_catalog.array_length(fks, 1) LOOP
        EXECUTE pg_catalog.format('ALTER TABLE revrec.%I ADD CONSTRAINT %I %s', fks[i][2], fks[i][1], fks[i][3]);
    END LOOP;

    ALTER EVENT TRIGGER revrec_triggers_after ENABLE ALWAYS;
END $$;

COMMENT ON FUNCTION revrec.distribute() IS
    'superuser, on a Citus coordinator: reference tables of products, accounts, currencies, mappings, settings and the activity log; documents and postings distributed by customer_id (docs/CITUS.md)';
