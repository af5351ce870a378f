-- Scale-out on Citus (docs/CITUS.md): revrec.distribute(), run once by a
-- superuser on a Citus coordinator after CREATE EXTENSION revrec.
--
--   reference tables   currency, product, ledger_account, settings,
--                      gl_account_map
--   distributed by customer_id, co-located with revrec.customer:
--                      customer, billing_schedule_line, credit_grant, invoice,
--                      invoice_line, usage, milestone, credit_note,
--                      credit_note_line, posting
--   left local to the coordinator: activity (see below), pending, pending_flush
--                      (the posting queue, per node), export_log, _export_job,
--                      _trigger_state
--
-- Citus requires every unique constraint of a distributed table to include
-- the distribution column, and foreign keys between distributed tables to
-- include it too: single-column keys (invoice_id, line_id, ...) become
-- (customer_id, id), and the foreign keys between documents gain
-- customer_id (so a child row must name its parent's customer).  The data
-- distributed is unique across customers (the single-node keys held it so);
-- afterwards Citus enforces uniqueness per customer only
-- (docs/CITUS.md, "Uniqueness").
--
-- activity stays a table of the coordinator's own: every row of it is
-- written there (the workers return their postings' rows to the
-- coordinator's commit; lock changes and close_period are logged there), so
-- revrec's owner writes it without touching a shard, whichever role wrote the
-- documents or the settings (Citus refuses a statement on placements another
-- role changed in the transaction); and rows of settings changes and
-- close_period have no customer to distribute them by.
--
-- Nothing here runs on a single node: the function refuses (RV060) when
-- Citus is not installed in the database.
CREATE OR REPLACE FUNCTION revrec.distribute() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- per-customer tables, distributed by customer_id (customer first: the others co-locate with it)
    dist     text[] := ARRAY['customer', 'billing_schedule_line', 'credit_grant', 'invoice', 'invoice_line',
                             'usage', 'milestone', 'credit_note', 'credit_note_line', 'posting'];
    refs     text[] := ARRAY['currency', 'product', 'ledger_account', 'settings', 'gl_account_map'];
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
    ddl      text[] := '{}';
    cmd      text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV060',
            MESSAGE = 'revrec.distribute() needs Citus: extension "citus" is not installed in this database',
            HINT = 'Install Citus, add citus to shared_preload_libraries (before revrec), CREATE EXTENSION citus, register the workers, then run revrec.distribute() on the coordinator (docs/CITUS.md).';
    END IF;
    IF NOT (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname = current_user) THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec.distribute() is for superusers';
    END IF;
    -- one at a time: a second call waits for the first, then completes what
    -- is left (two at once failed: "tuple concurrently updated"); it must
    -- see what the first did, so not in a transaction with one snapshot
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = '25001',
            MESSAGE = 'revrec.distribute() runs in a READ COMMITTED transaction',
            HINT = 'Run SELECT revrec.distribute(); on its own, outside a REPEATABLE READ or SERIALIZABLE transaction.';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(1919252067, 21);   -- ('revr', issue 21)
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = 'revrec.invoice'::pg_catalog.regclass) THEN
        -- after ALTER EXTENSION revrec UPDATE: the objects Citus needs in another form
        PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
        ALTER EVENT TRIGGER revrec_triggers_after DISABLE;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = 'revrec.citus_queue'::pg_catalog.regclass AND a.attname = 'txn' AND NOT a.attisdropped) THEN
            ALTER TABLE revrec.citus_queue ADD COLUMN txn bigint;
        END IF;
        IF (SELECT c.relreplident FROM pg_catalog.pg_class c WHERE c.oid = 'revrec.citus_queue'::pg_catalog.regclass) <> 'f' THEN
            ALTER TABLE revrec.citus_queue REPLICA IDENTITY FULL;
        END IF;
        PERFORM revrec._citus_doc_keys();
        -- after nodes were added or shards split (docs/CITUS.md, "Adding
        -- nodes, moving and splitting shards"): the new shard groups' rows,
        -- the new nodes' ranges of posting ids and their triggers' states
        -- (the new nodes first: in connections of their own, they would wait
        -- for the locks this transaction's DDL takes on the workers' tables)
        PERFORM revrec._citus_new_nodes();
        PERFORM revrec._citus_groups();
        PERFORM revrec._citus_triggers();
        ALTER EVENT TRIGGER revrec_triggers_after ENABLE ALWAYS;
        PERFORM revrec._distribute_overlay();
        RAISE NOTICE 'revrec is already distributed: completed for the nodes and shard groups added since';
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node n WHERE n.noderole = 'primary' AND n.groupid <> 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV060',
            MESSAGE = 'revrec.distribute() found no Citus worker',
            HINT = 'Register the workers first: SELECT citus_set_coordinator_host(...); SELECT citus_add_node(host, port).';
    END IF;

    -- revrec's triggers go with the tables onto the shards
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
    -- foreign keys to reference tables in the same transaction as the
    -- distribution need Citus to use one connection per node
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    -- this is revrec's own DDL: the guard that puts triggers back after an
    -- ALTER TABLE would fight the settings trigger being lifted for the copy
    ALTER EVENT TRIGGER revrec_triggers_after DISABLE;

    -- the workers' shells first, in connections of their own
    PERFORM revrec._citus_new_nodes();

    -- Keys first, on the coordinator and on every worker: CREATE EXTENSION
    -- revrec made the same tables on the workers, and Citus keeps them as the
    -- distributed tables' shells there (DDL on the coordinator's tables is
    -- only propagated once they are distributed).
    -- (each statement can run again: run_command_on_workers commits on the
    -- workers at once, so a distribute() that fails later, and is run again
    -- once the cause is fixed, finds the workers' tables changed already)
    FOR i IN 1 .. pg_catalog.array_length(fks, 1) LOOP
        ddl := ddl || pg_catalog.format('ALTER TABLE revrec.%I DROP CONSTRAINT IF EXISTS %I', fks[i][2], fks[i][1]);
    END LOOP;
    FOR i IN 1 .. pg_catalog.array_length(pks, 1) LOOP
        ddl := ddl || pg_catalog.format('ALTER TABLE revrec.%1$I DROP CONSTRAINT IF EXISTS %2$I, ADD CONSTRAINT %2$I PRIMARY KEY (customer_id, %3$I)',
                                        pks[i][1], pks[i][1] || '_pkey', pks[i][2]);
        IF pks[i][3] IS NOT NULL THEN   -- the (customer_id, id) unique constraint the primary key now is
            ddl := ddl || pg_catalog.format('ALTER TABLE revrec.%I DROP CONSTRAINT IF EXISTS %I', pks[i][1], pks[i][3]);
        END IF;
    END LOOP;
    ddl := ddl || ARRAY['DROP INDEX IF EXISTS revrec.invoice_number_unique',
                        'CREATE UNIQUE INDEX invoice_number_unique ON revrec.invoice (customer_id, invoice_number)',
                        'DROP INDEX IF EXISTS revrec.credit_note_number_unique',
                        'CREATE UNIQUE INDEX credit_note_number_unique ON revrec.credit_note (customer_id, credit_note_number)'];
    FOREACH cmd IN ARRAY ddl LOOP
        EXECUTE cmd;
        PERFORM revrec._citus_on_workers(cmd);
    END LOOP;

    -- A revrec restored from a distributed revrec's dump (docs/CITUS.md,
    -- "Backup and restore") has the tables made below as plain tables of the
    -- dump: made again here (the queue and the keys from the documents).
    DROP TABLE IF EXISTS revrec.citus_queue, revrec.doc_key, revrec.citus_group;
    -- The rows already there (a restored revrec) are copied into the shards
    -- as the tables are distributed: the document triggers are off first
    -- (as _citus_triggers() leaves them), so that none fires on a shard
    PERFORM revrec._citus_document_triggers_off();
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

    -- the posting queue: document keys recorded on the shards, read by the
    -- coordinator at commit (src/citus.c); its existence is what tells
    -- revrec's C code that it runs on a distributed revrec
    CREATE TABLE revrec.citus_queue (
        customer_id text NOT NULL,
        doc_kind    text NOT NULL,
        doc_id      text NOT NULL,
        old_date    date,
        new_date    date,
        seq         bigint NOT NULL,
        ref         text,       -- 'key': the kind of id ('invoice', 'invoice_number', ...); 'ref': the child row
        op          text,       -- 'key': '+' written, '-' freed; 'ref': the reference ('invoice_line.invoice_id')
        txn         bigint      -- the coordinator's distributed transaction number
    );
    -- Citus moves and splits shards with logical replication by default
    -- ('auto'): a table without a key or a replica identity refuses it, and
    -- the DELETE of each commit failed while one of its shards was moving
    ALTER TABLE revrec.citus_queue REPLICA IDENTITY FULL;
    PERFORM pg_catalog.create_distributed_table('revrec.citus_queue', 'customer_id', colocate_with => 'revrec.customer');
    PERFORM revrec._citus_groups();
    PERFORM revrec._citus_doc_keys();
    PERFORM revrec._citus_triggers();

    PERFORM revrec._distribute_overlay();
    ALTER EVENT TRIGGER revrec_triggers_after ENABLE ALWAYS;
END $$;

-- The workers post their own customers (src/citus_shard.c, docs/CITUS.md
-- "Posting on the workers"): revrec.citus_group holds one row in each shard
-- group, a customer_id chosen to hash into it; the coordinator's commit
-- reaches every group through it (src/citus.c, rr_citus_commit()).  Each
-- worker numbers its postings from its own range of the sequence.  Run by
-- distribute() and after an update; run it again after shards are split or
-- added (it adds the rows missing).
CREATE OR REPLACE FUNCTION revrec._citus_groups() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing bigint;
    have    bigint[];
    -- each worker's range of posting ids: its group id times 2^48, in its
    -- own revrec.posting_posting_id_seq (the coordinator's is group 0); and
    -- the sequence moved past the ids of its range the cluster holds (after
    -- a restore, say: %L, the largest of each range, read below)
    cmd     text := $c$
        DO $d$
        DECLARE
            lo bigint := (SELECT g.groupid FROM pg_catalog.pg_dist_local_group g)::bigint * 281474976710656 + 1;
        BEGIN
            IF lo > 1 AND (SELECT s.seqmin FROM pg_catalog.pg_sequence s
                            WHERE s.seqrelid = 'revrec.posting_posting_id_seq'::pg_catalog.regclass) < lo THEN
                SET LOCAL citus.enable_ddl_propagation = off;
                EXECUTE pg_catalog.format('ALTER SEQUENCE revrec.posting_posting_id_seq MINVALUE %%s MAXVALUE %%s START %%s RESTART %%s',
                                          lo, lo + 281474976710655 - 1, lo, lo);
            END IF;
            IF lo > 1 THEN
                PERFORM pg_catalog.setval('revrec.posting_posting_id_seq', m.used::bigint)
                   FROM pg_catalog.jsonb_each_text(%L::jsonb) m(grp, used)
                  WHERE m.grp::bigint = lo >> 48
                    AND m.used::bigint > (SELECT s.last_value FROM revrec.posting_posting_id_seq s);
            END IF;
        END $d$ $c$;
    -- the largest id of each worker's range, read here: the workers' own
    -- connections would not see the rows this transaction wrote (distribute()
    -- on a restored revrec)
    used    jsonb;
BEGIN
    IF pg_catalog.to_regclass('revrec.citus_group') IS NULL THEN
        CREATE TABLE revrec.citus_group (customer_id text PRIMARY KEY);
        PERFORM pg_catalog.create_distributed_table('revrec.citus_group', 'customer_id', colocate_with => 'revrec.customer');
    END IF;
    -- (two steps, the shards covered first: Citus plans no correlation here)
    have := ARRAY(SELECT pg_catalog.get_shard_id_for_distribution_column('revrec.citus_group', g.customer_id)
                    FROM revrec.citus_group g);
    INSERT INTO revrec.citus_group (customer_id)
    SELECT DISTINCT ON (x.shard) x.k
      FROM (SELECT 'group ' || i AS k,
                   pg_catalog.get_shard_id_for_distribution_column('revrec.citus_group', 'group ' || i) AS shard
              FROM pg_catalog.generate_series(1, 20000) i) x
     WHERE x.shard <> ALL (have)
     ORDER BY x.shard, x.k;
    have := ARRAY(SELECT pg_catalog.get_shard_id_for_distribution_column('revrec.citus_group', g.customer_id)
                    FROM revrec.citus_group g);
    SELECT count(*) INTO missing FROM pg_catalog.pg_dist_shard s
     WHERE s.logicalrelid = 'revrec.citus_group'::pg_catalog.regclass AND s.shardid <> ALL (have);
    IF missing > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'RV060',
            MESSAGE = pg_catalog.format('revrec: %s shard groups have no row in revrec.citus_group', missing);
    END IF;
    -- the commit reaches the groups through it as the role that wrote the documents
    GRANT SELECT ON revrec.citus_group TO revrec_writer;
    SELECT coalesce(pg_catalog.jsonb_object_agg(u.grp, u.used), '{}') INTO used
      FROM (SELECT p.posting_id >> 48 AS grp, max(p.posting_id) AS used FROM revrec.posting p
             WHERE p.posting_id >= 281474976710656 GROUP BY 1) u;
    cmd := pg_catalog.format(cmd, used);
    PERFORM revrec._citus_on_workers(cmd);
END $$;

-- The document tables' own triggers off on this node's tables, and their
-- meant state (revrec._trigger_state) with them: on the coordinator before
-- distribute() copies their rows into the shards (the shards are made with
-- the triggers' states; a trigger firing on a shard would run its SQL as a
-- distributed query from the shard), on the workers' shells (_citus_new_nodes()),
-- and after an update on a worker.  The capture triggers and the
-- *_no_truncate triggers stay on.
CREATE OR REPLACE FUNCTION revrec._citus_document_triggers_off() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT g.tgrelid::pg_catalog.regclass AS rel, c.relname, g.tgname
               FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid
              WHERE c.relnamespace = 'revrec'::pg_catalog.regnamespace
                AND c.relname IN ('billing_schedule_line', 'credit_grant', 'invoice', 'invoice_line', 'usage',
                                  'milestone', 'credit_note', 'credit_note_line')
                AND NOT g.tgisinternal AND g.tgname NOT LIKE 'citus\_capture\_%' AND g.tgenabled <> 'D'
                AND g.tgname NOT LIKE '%\_no\_truncate'   -- (on, as _citus_triggers() leaves them)
              ORDER BY 2, 3 LOOP
        UPDATE revrec._trigger_state s SET state = 'D' WHERE s.relname = r.relname AND s.tgname = r.tgname;
        EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER %I', r.rel, r.tgname);
    END LOOP;
END $$;

-- A node added after distribute() has revrec as Citus makes it there, CREATE
-- EXTENSION's: the document triggers of the tables' shells on, as on a
-- single node, where every other worker has them off (the shards Citus puts
-- there have the coordinator's).  Run by distribute() first, before it
-- changes anything on the workers in its own transaction (these connections
-- of their own would wait for its locks), and when it runs again (docs/CITUS.md,
-- "Adding nodes, moving and splitting shards"); on the workers set up
-- already, nothing.
CREATE OR REPLACE FUNCTION revrec._citus_new_nodes() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- (propagation off first: the FROM item runs before the target list)
    PERFORM revrec._citus_on_workers(
        $c$SELECT revrec._citus_document_triggers_off() FROM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true) p$c$);
END $$;

-- cmd run on every worker by run_command_on_workers (in a transaction of its
-- own there, committed at once); a worker's error raised here, RV060.
CREATE OR REPLACE FUNCTION revrec._citus_on_workers(cmd text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    w record;
BEGIN
    FOR w IN SELECT * FROM pg_catalog.run_command_on_workers(cmd) LOOP
        IF NOT w.success THEN
            RAISE EXCEPTION USING ERRCODE = 'RV060',
                MESSAGE = pg_catalog.format('revrec.distribute(): on worker %s:%s: %s', w.nodename, w.nodeport, w.result),
                DETAIL = cmd;
        END IF;
    END LOOP;
END $$;

COMMENT ON FUNCTION revrec.distribute() IS
    'superuser, on a Citus coordinator: reference tables of products, accounts, currencies, mappings and settings; documents and postings distributed by customer_id (docs/CITUS.md)';


-- Document ids and numbers unique across customers (docs/CITUS.md,
-- "Uniqueness of document ids"): Citus keeps a unique constraint only per
-- value of the distribution column, so the documents' keys become
-- (customer_id, id), and revrec.doc_key, distributed by the id itself, holds
-- one row per id (and per invoice or credit-note number) with its customer.
-- revrec._citus_apply_keys() writes it after each statement, in the same
-- distributed transaction as the documents.  Made here from the documents
-- already there (unique: the single node's keys held them so).  Only when it
-- makes the table: run again over a live revrec (distribute() again), reading
-- the documents while another session frees an id (a draft deleted, an id
-- changed, not committed yet) put the freed id back, for good.  A release
-- that adds a kind of key fills it in its update, with the document tables
-- locked.
CREATE OR REPLACE FUNCTION revrec._citus_doc_keys() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text[];
BEGIN
    IF pg_catalog.to_regclass('revrec.doc_key') IS NULL THEN
        CREATE TABLE revrec.doc_key (
            kind        text NOT NULL,  -- the table ('invoice', 'invoice_line', ...), or 'invoice_number', 'credit_note_number'
            id          text NOT NULL,
            customer_id text NOT NULL,
            PRIMARY KEY (id, kind)
        );
        -- (a co-location group of its own: revrec's owner writes it while
        -- another role has written the documents, src/citus.c)
        PERFORM pg_catalog.create_distributed_table('revrec.doc_key', 'id', colocate_with => 'none');
    ELSE
        RETURN;
    END IF;
    FOREACH k SLICE 1 IN ARRAY ARRAY[['invoice', 'invoice_id'], ['invoice_number', 'invoice_number'],
                                     ['invoice_line', 'line_id'], ['usage', 'usage_id'], ['milestone', 'milestone_id'],
                                     ['credit_note', 'credit_note_id'], ['credit_note_number', 'credit_note_number'],
                                     ['credit_note_line', 'credit_note_line_id'], ['credit_grant', 'grant_id'],
                                     ['billing_schedule_line', 'schedule_line_id']] LOOP
        EXECUTE pg_catalog.format('INSERT INTO revrec.doc_key (kind, id, customer_id)
                                   SELECT %1$L, d.%2$I::text, d.customer_id FROM revrec.%3$I d WHERE d.%2$I IS NOT NULL
                                   ON CONFLICT DO NOTHING',
                                  k[1], k[2], CASE WHEN k[1] LIKE '%\_number' THEN pg_catalog.split_part(k[1], '_number', 1) ELSE k[1] END);
    END LOOP;
END $$;

-- On a distributed revrec, revrec's document triggers fire on the shards,
-- on the workers, where their queries over whole tables cannot run (Citus
-- refuses a distributed query from a shard, and cannot plan transition tables
-- with distributed tables).  revrec._citus_triggers() (run by distribute())
-- disables them on the document tables and adds the capture triggers below:
-- statement-level, they record the keys of the documents written in the
-- co-located shard of revrec.citus_queue, and the coordinator posts them at
-- commit (src/citus.c, revrec._citus_pull()).  A load in replica mode (a
-- restore) records nothing.
CREATE OR REPLACE FUNCTION revrec._citus_triggers() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t   text;
    r   record;
    cmd text;
    docs text[] := ARRAY['billing_schedule_line', 'credit_grant', 'invoice', 'invoice_line', 'usage', 'milestone',
                         'credit_note', 'credit_note_line'];
    refs text[] := ARRAY['currency', 'product', 'ledger_account', 'settings', 'gl_account_map'];
    -- the states revrec's guard (36_restore_guard.sql) holds them to, on
    -- every node: the document triggers disabled, the capture triggers on
    st  text := pg_catalog.format($s$
        INSERT INTO revrec._trigger_state (relname, tgname, state)
        SELECT t, g, 'O' FROM unnest(%1$L::text[]) t, unnest(ARRAY['citus_capture_ins', 'citus_capture_upd', 'citus_capture_del', 'citus_capture_bdel']) g
         WHERE (g <> 'citus_capture_bdel' OR t IN ('invoice', 'invoice_line', 'credit_note', 'billing_schedule_line'))
           AND NOT EXISTS (SELECT 1 FROM revrec._trigger_state s WHERE s.relname = t AND s.tgname = g)
        UNION ALL SELECT 'credit_grant', 'citus_capture_bgrant', 'O'
         WHERE NOT EXISTS (SELECT 1 FROM revrec._trigger_state s WHERE s.relname = 'credit_grant' AND s.tgname = 'citus_capture_bgrant')
        UNION ALL SELECT t, 'citus_reference_guard', 'O' FROM unnest(%2$L::text[]) t
         WHERE NOT EXISTS (SELECT 1 FROM revrec._trigger_state s WHERE s.relname = t AND s.tgname = 'citus_reference_guard')$s$,
        docs, refs);
BEGIN
    EXECUTE st;
    PERFORM revrec._citus_on_workers(st);
    FOREACH t IN ARRAY docs LOOP
        -- one trigger at a time, its meant state first on every node: the
        -- guard checks every trigger after each ALTER TABLE (Citus refuses
        -- several ENABLE/DISABLE TRIGGER subcommands in one)
        FOR r IN SELECT g.tgname FROM pg_catalog.pg_trigger g
                  WHERE g.tgrelid = pg_catalog.format('revrec.%I', t)::pg_catalog.regclass AND NOT g.tgisinternal
                    AND g.tgname NOT LIKE 'citus\_capture\_%' AND g.tgenabled <> 'D'
                    -- (TRUNCATE is refused on the coordinator's table, before Citus truncates the shards)
                    AND g.tgname NOT LIKE '%\_no\_truncate'
                  ORDER BY g.tgname LOOP
            cmd := pg_catalog.format('UPDATE revrec._trigger_state SET state = ''D'' WHERE relname = %L AND tgname = %L', t, r.tgname);
            EXECUTE cmd;
            PERFORM revrec._citus_on_workers(cmd);
            EXECUTE pg_catalog.format('ALTER TABLE revrec.%I DISABLE TRIGGER %I', t, r.tgname);
        END LOOP;
        EXECUTE pg_catalog.format('CREATE OR REPLACE TRIGGER citus_capture_ins AFTER INSERT ON revrec.%I
                                       REFERENCING NEW TABLE AS new_rows
                                       FOR EACH STATEMENT EXECUTE FUNCTION revrec._citus_capture()', t);
        EXECUTE pg_catalog.format('CREATE OR REPLACE TRIGGER citus_capture_upd AFTER UPDATE ON revrec.%I
                                       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                                       FOR EACH STATEMENT EXECUTE FUNCTION revrec._citus_capture()', t);
        EXECUTE pg_catalog.format('CREATE OR REPLACE TRIGGER citus_capture_del AFTER DELETE ON revrec.%I
                                       REFERENCING OLD TABLE AS old_rows
                                       FOR EACH STATEMENT EXECUTE FUNCTION revrec._citus_capture()', t);
        IF t IN ('invoice', 'invoice_line', 'credit_note', 'billing_schedule_line') THEN
            EXECUTE pg_catalog.format('CREATE OR REPLACE TRIGGER citus_capture_bdel BEFORE DELETE ON revrec.%I
                                           FOR EACH ROW EXECUTE FUNCTION revrec._citus_capture_delete()', t);
        END IF;
        IF t = 'credit_grant' THEN
            CREATE OR REPLACE TRIGGER citus_capture_bgrant BEFORE INSERT OR UPDATE ON revrec.credit_grant
                FOR EACH ROW EXECUTE FUNCTION revrec._citus_capture_grant();
        END IF;
        -- (a revrec distributed before TRUNCATE was refused on Citus: its
        -- *_no_truncate triggers back on, their meant state first on every node)
        FOR r IN SELECT g.tgname FROM pg_catalog.pg_trigger g
                  WHERE g.tgrelid = pg_catalog.format('revrec.%I', t)::pg_catalog.regclass AND NOT g.tgisinternal
                    AND g.tgname LIKE '%\_no\_truncate' AND g.tgenabled = 'D' LOOP
            cmd := pg_catalog.format('UPDATE revrec._trigger_state SET state = ''A'' WHERE relname = %L AND tgname = %L', t, r.tgname);
            EXECUTE cmd;
            PERFORM revrec._citus_on_workers(cmd);
            EXECUTE pg_catalog.format('ALTER TABLE revrec.%I ENABLE ALWAYS TRIGGER %I', t, r.tgname);
        END LOOP;
    END LOOP;
    -- the reference tables' placements: written only in a coordinator's transaction
    FOREACH t IN ARRAY refs LOOP
        EXECUTE pg_catalog.format('CREATE OR REPLACE TRIGGER citus_reference_guard BEFORE INSERT OR UPDATE OR DELETE ON revrec.%I
                                       FOR EACH STATEMENT EXECUTE FUNCTION revrec._citus_reference_guard()', t);
    END LOOP;
END $$;

-- ALTER EXTENSION revrec UPDATE on a distributed revrec (docs/CITUS.md,
-- "Upgrading").  Every generated update script (Makefile) begins by turning
-- Citus's DDL propagation off for its transaction when revrec is distributed
-- (Citus would send each statement to the shards with the whole script as
-- its text, which is refused), and ends with this call.  The script's
-- objects are the single node's: the document triggers enabled again on the
-- coordinator's tables, the report and export functions in their single-node
-- form, which on Citus read the coordinator's empty shell tables.  So the
-- coordinator, with propagation on again, puts back what distribute() made of
-- them: the document triggers' states and the capture triggers on every node
-- and shard (_citus_triggers) and the overlay.  Citus runs the same update on
-- each worker, where this does nothing.  On a single node, and on a Citus
-- database where revrec is not distributed, nothing.
CREATE OR REPLACE FUNCTION revrec._distribute_after_update() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT revrec._citus_active() THEN
        RETURN;
    END IF;
    IF NOT pg_catalog.citus_is_coordinator() THEN
        -- a worker: Citus runs the update here after the coordinator's, with
        -- propagation off; the update's objects enabled the document
        -- triggers of the tables' shells here (not of the shards, which the
        -- update leaves alone): disabled again, as distribute() left them
        PERFORM revrec._citus_document_triggers_off();
        RETURN;
    END IF;
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'on', true);
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);   -- as distribute() does
    PERFORM revrec._citus_groups();
    PERFORM revrec._citus_triggers();
    PERFORM revrec._distribute_overlay();
END $$;
