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
-- customer_id (so a child row must name its parent's customer).  The data
-- distributed is unique across customers (the single-node keys held it so);
-- afterwards Citus enforces uniqueness per customer only
-- (docs/CITUS.md, "Uniqueness").
--
-- activity is a reference table, not distributed: rows written by settings
-- changes and close_period have no customer, and Citus refuses NULL in a
-- distribution column.
--
-- Nothing here runs on a single node: the function refuses (RV060) when
-- Citus is not installed in the database.
CREATE OR REPLACE FUNCTION revrec.distribute() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- per-customer tables, distributed by customer_id (customer first: the others co-locate with it)
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
    ddl      text[] := '{}';
    cmd      text;
    r        record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV060',
            MESSAGE = 'revrec.distribute() needs Citus: extension "citus" is not installed in this database',
            HINT = 'Install Citus, add citus to shared_preload_libraries (before revrec), CREATE EXTENSION citus, register the workers, then run revrec.distribute() on the coordinator (docs/CITUS.md).';
    END IF;
    IF NOT (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname = current_user) THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec.distribute() is for superusers';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = 'revrec.invoice'::pg_catalog.regclass) THEN
        -- after ALTER EXTENSION revrec UPDATE: the objects Citus needs in another form
        PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
        ALTER EVENT TRIGGER revrec_triggers_after DISABLE;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = 'revrec.citus_queue'::pg_catalog.regclass AND a.attname = 'txn' AND NOT a.attisdropped) THEN
            ALTER TABLE revrec.citus_queue ADD COLUMN txn bigint;
        END IF;
        PERFORM revrec._citus_doc_keys();
        PERFORM revrec._citus_triggers();
        ALTER EVENT TRIGGER revrec_triggers_after ENABLE ALWAYS;
        PERFORM revrec._distribute_overlay();
        PERFORM revrec._citus_rights();
        RAISE NOTICE 'revrec is already distributed';
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
                RAISE EXCEPTION USING ERRCODE = 'RV060',
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
    PERFORM pg_catalog.create_distributed_table('revrec.citus_queue', 'customer_id', colocate_with => 'revrec.customer');
    PERFORM revrec._citus_doc_keys();
    PERFORM revrec._citus_triggers();

    PERFORM revrec._distribute_overlay();
    PERFORM revrec._citus_rights();
    ALTER EVENT TRIGGER revrec_triggers_after ENABLE ALWAYS;
END $$;

-- On Citus only revrec's owner writes documents and the settings (src/citus.c;
-- docs/CITUS.md, "Roles on Citus"): the writer's and the admin's rights on
-- them would only let them write the shards and placements on a worker
-- directly, past the coordinator's checks and without a posting.  On the
-- coordinator Citus propagates the REVOKE to the shards and the workers'
-- shells.  Run by distribute() and after every ALTER EXTENSION revrec UPDATE
-- (privileges.sql grants them again), on each node.
CREATE OR REPLACE FUNCTION revrec._citus_rights() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    REVOKE INSERT, UPDATE, DELETE ON revrec.invoice, revrec.invoice_line, revrec.usage, revrec.milestone,
        revrec.credit_note, revrec.credit_note_line, revrec.billing_schedule_line, revrec.credit_grant
        FROM revrec_writer, revrec_admin;
    REVOKE UPDATE ON revrec.settings FROM revrec_admin;
END $$;

COMMENT ON FUNCTION revrec.distribute() IS
    'superuser, on a Citus coordinator: reference tables of products, accounts, currencies, mappings, settings and the activity log; documents and postings distributed by customer_id (docs/CITUS.md)';

-- What Citus cannot plan as revrec writes it for a single node, replaced on a
-- distributed install by the same queries in a form Citus plans (run by
-- revrec.distribute(), again by each call after an upgrade):
--   - SQL functions whose bodies read revrec's tables are inlined into the
--     caller's query after Citus has looked at it, and PostgreSQL then reads
--     the coordinator's empty shell tables: the reports returned no rows and
--     no error.  Here they are PL/pgSQL (not inlined; Citus plans the query).
--   - a whole-row reference to a posting pushed down to a shard has the
--     shard's row type (posting_102008), for which revrec._entries does not
--     exist: ROW(p.*)::revrec.posting instead.
--   - the Sequence export looked up customer and product names and Xero
--     mappings per posting in correlated subqueries: read once into
--     variables; the GL exports read the settings row into a variable.
-- The rows, their order and the errors are the single node's
-- (make citus-test compares them).
CREATE OR REPLACE FUNCTION revrec._distribute_overlay() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stmt text;
BEGIN
    FOREACH stmt IN ARRAY ARRAY[
$ov$
CREATE OR REPLACE VIEW revrec.journal_entry AS
SELECT e.journal_number, e.entry_date, p.source, p.source_id, nullif(p.customer_id, '') AS customer_id,
       p.product_id, p.invoice_id, p.invoice_number, p.credit_note_id, p.line_id, a.code AS account,
       e.direction, e.amount, p.currency, p.method,
       revrec._narrative(ROW(p.*)::revrec.posting, e.catchup_from, e.entry_date) AS narrative,
       p.journal_type, p.recorded_at, p.posting_id, p.reason
  FROM revrec.posting p
 CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, NULL, NULL, false) e
  JOIN revrec.ledger_account a ON a.account_id = e.account_id
$ov$,
$ov$
CREATE OR REPLACE VIEW revrec.account_balance AS
    SELECT p.currency, a.code AS account, a.name, a.normal_balance,
           sum(CASE WHEN e.direction = a.normal_balance THEN e.amount ELSE -e.amount END) AS balance
      FROM revrec.posting p
     CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, NULL, current_date, true) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
     GROUP BY 1, 2, 3, 4
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._report_days(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude_fully_recognized boolean)
    RETURNS SETOF revrec.journal_report_row
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    SELECT e.journal_number, e.entry_date, p.source, p.source_id, nullif(p.customer_id, ''), p.product_id,
           p.invoice_id, p.invoice_number, p.credit_note_id, p.line_id, a.code, e.direction, e.amount,
           p.currency, p.method,
           revrec._narrative(ROW(p.*)::revrec.posting, e.catchup_from, e.entry_date),
           p.journal_type, p.recorded_at, c.name, pr.name
      FROM revrec.posting p
     CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, p_from, p_to, false) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
      LEFT JOIN revrec.customer c ON c.customer_id = p.customer_id
      LEFT JOIN revrec.product pr ON pr.product_id = p.product_id
     WHERE p.first_date <= p_to AND p.last_date >= p_from
       AND (p_currency IS NULL OR p.currency = p_currency)
       AND revrec._known_by(p.recorded_at, p.xmin, p_as_of)
       AND (p_journal_type IS NULL OR p.journal_type = p_journal_type)
       AND (p_source IS NULL OR p.source = p_source)
       AND (p_customer IS NULL OR p.customer_id = p_customer)
       AND (p_product IS NULL OR p.product_id = p_product)
       AND (p_invoice IS NULL OR p.invoice_id = p_invoice)
       AND (p_credit_note IS NULL OR p.credit_note_id = p_credit_note)
       AND (NOT p_exclude_fully_recognized OR p.line_id IS NULL OR p.last_date > coalesce(p_as_of, now())::date
            OR revrec._group_open(p.customer_id, p.source, coalesce(p.invoice_id, p.source_id), p.line_id,
                                  coalesce(p_as_of, now())::date, p_as_of));
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._report_months(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude_fully_recognized boolean)
    RETURNS SETOF revrec.journal_report_row
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    SELECT e.journal_number, e.entry_date, p.source, p.source_id, nullif(p.customer_id, ''), p.product_id,
           p.invoice_id, p.invoice_number, p.credit_note_id,
           CASE WHEN min(p.line_id) = max(p.line_id) THEN min(p.line_id) END, a.code, e.direction, sum(e.amount),
           p.currency, CASE WHEN min(p.method) = max(p.method) THEN min(p.method) END,
           CASE WHEN p.journal_type = 'manual' AND min(p.narrative) = max(p.narrative) THEN min(p.narrative)
                ELSE format('%s %s%s, %s%s',
                            CASE p.source WHEN 'invoice' THEN 'Invoice' WHEN 'credit_note' THEN 'Credit note'
                                          WHEN 'billing_schedule' THEN 'Billing schedule' ELSE 'Journal' END,
                            coalesce(CASE p.source WHEN 'invoice' THEN p.invoice_number END, p.source_id),
                            coalesce(' ' || p.product_id, ''), to_char(e.entry_date, 'YYYY-MM'),
                            CASE WHEN bool_or(e.catchup_from IS NOT NULL)
                                 THEN ' (includes catch-up of entries from a locked period)' ELSE '' END) END,
           p.journal_type, max(p.recorded_at), c.name, pr.name
      FROM revrec.posting p
     CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, p_from, p_to, true) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
      LEFT JOIN revrec.customer c ON c.customer_id = p.customer_id
      LEFT JOIN revrec.product pr ON pr.product_id = p.product_id
     WHERE p.first_date <= p_to AND p.last_date >= p_from
       AND (p_currency IS NULL OR p.currency = p_currency)
       AND revrec._known_by(p.recorded_at, p.xmin, p_as_of)
       AND (p_journal_type IS NULL OR p.journal_type = p_journal_type)
       AND (p_source IS NULL OR p.source = p_source)
       AND (p_customer IS NULL OR p.customer_id = p_customer)
       AND (p_product IS NULL OR p.product_id = p_product)
       AND (p_invoice IS NULL OR p.invoice_id = p_invoice)
       AND (p_credit_note IS NULL OR p.credit_note_id = p_credit_note)
       AND (NOT p_exclude_fully_recognized OR p.line_id IS NULL OR p.last_date > coalesce(p_as_of, now())::date
            OR revrec._group_open(p.customer_id, p.source, coalesce(p.invoice_id, p.source_id), p.line_id,
                                  coalesce(p_as_of, now())::date, p_as_of))
     GROUP BY e.journal_number, e.entry_date, p.source, p.source_id, p.customer_id, p.product_id, p.invoice_id,
              p.invoice_number, p.credit_note_id, a.code, e.direction, p.currency, p.journal_type, c.name, pr.name;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._report_postings(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude_fully_recognized boolean)
    RETURNS SETOF revrec.posting
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    SELECT p.* FROM revrec.posting p
     WHERE p.first_date <= p_to AND p.last_date >= p_from
       AND (p_currency IS NULL OR p.currency = p_currency)
       AND revrec._known_by(p.recorded_at, p.xmin, p_as_of)
       AND (p_journal_type IS NULL OR p.journal_type = p_journal_type)
       AND (p_source IS NULL OR p.source = p_source)
       AND (p_customer IS NULL OR p.customer_id = p_customer)
       AND (p_product IS NULL OR p.product_id = p_product)
       AND (p_invoice IS NULL OR p.invoice_id = p_invoice)
       AND (p_credit_note IS NULL OR p.credit_note_id = p_credit_note)
       -- exclude_fully_recognized: hide the groups complete by the as-of day
       AND (NOT p_exclude_fully_recognized OR p.line_id IS NULL OR p.last_date > coalesce(p_as_of, now())::date
            OR revrec._group_open(p.customer_id, p.source, coalesce(p.invoice_id, p.source_id), p.line_id,
                                  coalesce(p_as_of, now())::date, p_as_of));
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._waterfall(p_as_of date, p_currency text, p_customer text, p_product text)
    RETURNS SETOF revrec.waterfall_row
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    WITH p AS MATERIALIZED (
        SELECT p.* FROM revrec.posting p
         WHERE p.first_date <= p_as_of
           AND (p_currency IS NULL OR p.currency = p_currency)
           AND (p_customer IS NULL OR p.customer_id = p_customer)
           AND (p_product IS NULL OR p.product_id = p_product)),
    -- month NULL: the totals of each posting; else its recognition in a future month
    r AS (
        SELECT p.customer_id, p.product_id, p.currency, NULL::date AS month, -x.recognized AS recognized,
               x.future_near + x.future_far AS scheduled, x.undated, NULL::bigint AS amount
          FROM p, LATERAL revrec._posting_summary(p, p_as_of, 'infinity') x
        UNION ALL
        SELECT p.customer_id, p.product_id, p.currency, m.month, 0, 0, 0, m.amount
          FROM p, LATERAL revrec._recognition_by_month(p, p_as_of + 1, NULL) m),
    g AS (
        SELECT customer_id, product_id, currency, month, sum(recognized) AS recognized, sum(scheduled) AS scheduled,
               sum(undated) AS undated, sum(amount) AS amount
          FROM r GROUP BY 1, 2, 3, 4),
    t AS (
        SELECT g.*, sum(g.recognized) OVER w AS t_recognized, sum(g.scheduled) OVER w AS t_scheduled,
               sum(g.undated) OVER w AS t_undated,
               count(*) FILTER (WHERE g.month IS NOT NULL AND g.amount <> 0) OVER w AS months
          FROM g WINDOW w AS (PARTITION BY g.customer_id, g.product_id, g.currency))
    SELECT nullif(t.customer_id, ''), t.product_id,
           revrec.from_minor_units((t.t_recognized + t.t_scheduled + t.t_undated)::bigint, t.currency),
           revrec.from_minor_units(t.t_recognized::bigint, t.currency),
           revrec.from_minor_units((t.t_scheduled + t.t_undated)::bigint, t.currency),
           t.month,
           revrec.from_minor_units(CASE WHEN t.month IS NOT NULL THEN t.amount
                                        WHEN t.undated <> 0 THEN t.undated END::bigint, t.currency),
           t.currency
      FROM t
     WHERE (t.t_recognized <> 0 OR t.t_scheduled <> 0 OR t.t_undated <> 0)
       AND CASE WHEN t.month IS NOT NULL THEN t.amount <> 0 ELSE t.undated <> 0 OR t.months = 0 END;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._gl_account(p_target text, p_account text, p_product text) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN (SELECT coalesce((SELECT m.external_account FROM revrec.gl_account_map m
                      WHERE m.target = p_target AND m.account_code = p_account AND m.product_id = p_product),
                    (SELECT m.external_account FROM revrec.gl_account_map m
                      WHERE m.target = p_target AND m.account_code = p_account AND m.product_id IS NULL)));
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._account_ids() RETURNS smallint[]
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN (SELECT array_agg(account_id ORDER BY account_id) FROM revrec.ledger_account);
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._account_names() RETURNS text[]
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN (SELECT array_agg(name ORDER BY account_id) FROM revrec.ledger_account);
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._account_codes(p_target text, p_product text) RETURNS text[]
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN (SELECT array_agg(revrec._gl_account(p_target, a.code, p_product) ORDER BY a.account_id)
      FROM revrec.ledger_account a);
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._gl_accounts(p_target text)
    RETURNS TABLE (account_code text, product_id text, external_account text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    SELECT m.account_code, m.product_id, m.external_account FROM revrec.gl_account_map m
     WHERE m.target = p_target;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec.export_xero(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("*Narration" text, "*Date" text, "Description" text, "*AccountCode" text, "*TaxRate" text,
                   "*Amount" text, "TrackingName1" text, "TrackingOption1" text, "TrackingName2" text,
                   "TrackingOption2" text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
DECLARE
    s revrec.settings;
BEGIN
    SELECT * INTO s FROM revrec.settings;
    RETURN QUERY
    SELECT r.journal_id, to_char(r.entry_date, s.xero_date_format), revrec._cell(r.narrative, s.export_neutralize_formulas),
           r.external_account, s.xero_tax_rate,
           CASE r.direction WHEN 'debit' THEN r.amount ELSE -r.amount END::text,
           NULL, NULL, NULL, NULL
      FROM revrec._gl_rows('xero', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._xero_tax_rate() IS NOT NULL
       AND revrec._check_mapping('xero', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, r.journal_key, r.direction DESC, r.account, r.exact_amount;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec.export_quickbooks(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("Journal No." text, "Journal Date" text, "Account Name" text, "Debits" text, "Credits" text,
                   "Description" text, "Name" text, "Currency" text, "Location" text, "Class" text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
DECLARE
    s revrec.settings;
BEGIN
    SELECT * INTO s FROM revrec.settings;
    RETURN QUERY
    SELECT r.journal_id, to_char(r.entry_date, s.quickbooks_date_format), r.external_account,
           CASE WHEN r.direction = 'debit' THEN r.amount::text END,
           CASE WHEN r.direction = 'credit' THEN r.amount::text END,
           revrec._cell(CASE WHEN length(r.narrative) > 4000 THEN left(r.narrative, 3997) || '...' ELSE r.narrative END,
                        s.export_neutralize_formulas),
           revrec._cell(r.customer_name, s.export_neutralize_formulas), r.currency, NULL, NULL
      FROM revrec._gl_rows('quickbooks', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('quickbooks', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, r.journal_key, r.direction DESC, r.account, r.exact_amount;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec.export_netsuite(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'month')
    RETURNS TABLE ("External ID" text, "Subsidiary" text, "Currency" text, "Exchange Rate" text, "Date" text,
                   "Posting Period" text, "Memo" text, "Account" text, "Debit" text, "Credit" text,
                   "Line Memo" text, "Name" text, "Department" text, "Class" text, "Location" text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
DECLARE
    s revrec.settings;
BEGIN
    SELECT * INTO s FROM revrec.settings;
    RETURN QUERY
    SELECT r.journal_id, s.netsuite_subsidiary, r.currency, NULL,
           to_char(r.entry_date, s.netsuite_date_format), to_char(r.entry_date, 'Mon YYYY'),
           r.journal_number, r.external_account,
           CASE WHEN r.direction = 'debit' THEN r.amount::text END,
           CASE WHEN r.direction = 'credit' THEN r.amount::text END,
           revrec._cell(r.narrative, s.export_neutralize_formulas),
           revrec._cell(r.customer_name, s.export_neutralize_formulas), NULL, NULL, NULL
      FROM revrec._gl_rows('netsuite', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false), coalesce($12, 'month')) r
     WHERE revrec._check_report_args($1, $2, coalesce($12, 'month')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_mapping('netsuite', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
     ORDER BY r.entry_date, r.journal_key, r.direction DESC, r.account, r.exact_amount;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec.export_sequence(
    from_date date, to_date date, currency text DEFAULT NULL, as_of timestamptz DEFAULT NULL,
    journal_type text DEFAULT NULL, source text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, invoice_id text DEFAULT NULL, credit_note_id text DEFAULT NULL,
    exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT 'day')
    RETURNS TABLE ("Journal Number" text, "Date" text, "Narrative" text, "Product name" text,
                   "Customer ID" text, "Customer name" text, "Direction" text, "Ledger account name" text,
                   "Amount" text, "Invoice ID" text, "Invoice number" text, "Xero ledger account code" text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
DECLARE
    v_nf boolean;
    v_customers jsonb;
    v_products jsonb;
    v_xero_products text[];
BEGIN
    -- the few rows the export looks up per posting, read once (Citus cannot
    -- plan a lookup of a distributed table correlated with a function's rows)
    v_nf := (SELECT st.export_neutralize_formulas FROM revrec.settings st);
    v_customers := (SELECT jsonb_object_agg(c.customer_id, c.name) FROM revrec.customer c);
    v_products := (SELECT jsonb_object_agg(pr.product_id, pr.name) FROM revrec.product pr);
    v_xero_products := ARRAY(SELECT m.product_id FROM revrec.gl_account_map m WHERE m.target = 'xero' AND m.product_id IS NOT NULL);
    RETURN QUERY
    SELECT e.journal_number, e.day,
           CASE WHEN e.catchup_from IS NULL THEN x.plain ELSE revrec._narrative(p, e.catchup_from, e.entry_date) END,
           x.pname, x.cid, x.cname, e.direction, e.account_name, e.amount,
           x.iid, x.inum, e.account_code
      FROM (SELECT * FROM revrec._report_postings($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
             ORDER BY posting_id) p
     CROSS JOIN (SELECT v_nf AS nf) s
     CROSS JOIN LATERAL (
           SELECT revrec._cell(revrec._narrative(p, NULL, NULL), s.nf) AS plain,
                  revrec._cell((v_customers ->> p.customer_id), s.nf) AS cname,
                  revrec._cell((v_products ->> p.product_id), s.nf) AS pname,
                  revrec._cell(nullif(p.customer_id, ''), s.nf) AS cid,
                  revrec._cell(p.invoice_id, s.nf) AS iid, revrec._cell(p.invoice_number, s.nf) AS inum,
                  CASE WHEN p.product_id = ANY (v_xero_products)
                       THEN revrec._account_codes('xero', p.product_id)
                       ELSE (SELECT revrec._account_codes('xero', NULL)) END AS codes
           OFFSET 0) x
     CROSS JOIN LATERAL revrec._export_lines(p, $1, $2, (SELECT revrec._account_ids()),
                                            (SELECT revrec._account_names()), x.codes) e
     WHERE coalesce($12, 'day') = 'day'
       AND revrec._check_report_args($1, $2, coalesce($12, 'day')) AND revrec._check_currency($3, $1, $2)
       AND revrec._check_xero_codes($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
    UNION ALL
    SELECT * FROM (
        SELECT r.journal_number, to_char(r.entry_date, 'YYYY-MM-DD'), revrec._cell(r.narrative, s.nf),
               revrec._cell(r.product_name, s.nf), revrec._cell(r.customer_id, s.nf),
               revrec._cell(r.customer_name, s.nf), upper(r.direction), a.name, r.amount::text,
               revrec._cell(r.invoice_id, s.nf), revrec._cell(r.invoice_number, s.nf),
               revrec._gl_account('xero', r.account, r.product_id)
          FROM revrec._report_months($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false)) r
          JOIN revrec.ledger_account a ON a.code = r.account
         CROSS JOIN (SELECT v_nf AS nf) s
         WHERE $12 = 'month'
           AND revrec._check_report_args($1, $2, $12) AND revrec._check_currency($3, $1, $2)
           AND revrec._check_xero_codes($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, false))
         ORDER BY r.journal_number, r.entry_date, r.direction DESC, r.account, r.amount) m;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec.trial_balance(as_of date, currency text DEFAULT NULL)
    RETURNS TABLE (currency_code text, account text, name text, normal_balance text,
                   debits numeric, credits numeric, balance numeric)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    SELECT p.currency, a.code, a.name, a.normal_balance,
           sum(e.amount) FILTER (WHERE e.direction = 'debit'),
           sum(e.amount) FILTER (WHERE e.direction = 'credit'),
           sum(CASE WHEN e.direction = a.normal_balance THEN e.amount ELSE -e.amount END)
      FROM revrec.posting p
     CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, NULL, trial_balance.as_of, true) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
     WHERE p.first_date <= trial_balance.as_of
       AND (trial_balance.currency IS NULL OR p.currency = trial_balance.currency)
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._rollforward(p_account integer, p_from date, p_to date, p_currency text,
    p_customer text, p_product text, p_by text)
    RETURNS TABLE (currency text, opening numeric, billed numeric, recognized numeric, credit_notes numeric,
                   voids numeric, manual numeric, closing numeric, customer_id text, product_id text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    RETURN QUERY
    WITH m AS (
        -- opening balances (minor units, normal direction)
        SELECT p.currency, p.customer_id AS cust, p.product_id AS prod,
               CASE WHEN p_account = 2 THEN -(revrec._posting_summary(ROW(p.*)::revrec.posting, p_from - 1, p_from - 1)).deferred
                    ELSE (revrec._posting_summary(ROW(p.*)::revrec.posting, p_from - 1, p_from - 1)).unbilled END AS opening,
               NULL::text AS kind, 0::numeric AS amount
          FROM revrec.posting p
         WHERE p.first_date < p_from
           AND (p_currency IS NULL OR p.currency = p_currency)
           AND (p_customer IS NULL OR p.customer_id = p_customer)
           AND (p_product IS NULL OR p.product_id = p_product)
        UNION ALL
        -- the period's movements
        SELECT p.currency, p.customer_id, p.product_id, 0,
               CASE WHEN p.journal_type = 'manual' THEN 'manual'
                    WHEN p.reason = 'void' THEN 'voids'
                    WHEN p.source = 'credit_note' THEN 'credit_notes'
                    WHEN e.direction = 'credit' THEN 'billed'
                    ELSE 'recognized' END,
               CASE WHEN e.direction = CASE WHEN p_account = 2 THEN 'credit' ELSE 'debit' END
                    THEN e.amount ELSE -e.amount END
          FROM revrec.posting p
         CROSS JOIN LATERAL revrec._entries(ROW(p.*)::revrec.posting, p_from, p_to, true) e
         WHERE p.first_date <= p_to AND p.last_date >= p_from AND e.account_id = p_account
           AND (p_currency IS NULL OR p.currency = p_currency)
           AND (p_customer IS NULL OR p.customer_id = p_customer)
           AND (p_product IS NULL OR p.product_id = p_product)),
    g AS (
        SELECT m.currency,
               CASE WHEN p_by IN ('customer', 'customer_product') THEN nullif(m.cust, '') END AS cust,
               CASE WHEN p_by IN ('product', 'customer_product') THEN m.prod END AS prod,
               revrec.from_minor_units(sum(m.opening)::bigint, m.currency) AS opening,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'billed'), 0) AS billed,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'recognized'), 0) AS recognized,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'credit_notes'), 0) AS credit_notes,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'voids'), 0) AS voids,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'manual'), 0) AS manual
          FROM m
         GROUP BY 1, 2, 3),
    r AS (
        SELECT g.currency, g.opening, g.billed, g.recognized, g.credit_notes, g.voids, g.manual,
               g.opening + g.billed + g.recognized + g.credit_notes + g.voids + g.manual AS closing, g.cust, g.prod
          FROM g
         WHERE revrec._check_rollforward_args(p_from, p_to, p_by)
           AND (g.opening <> 0 OR g.billed <> 0 OR g.recognized <> 0 OR g.credit_notes <> 0 OR g.voids <> 0
                OR g.manual <> 0))
    SELECT * FROM r
    UNION ALL
    -- a currency asked for by name (without by) always has its row: zeros when nothing moved
    SELECT p_currency, z.z, z.z, z.z, z.z, z.z, z.z, z.z, NULL, NULL
      FROM (SELECT revrec.from_minor_units(0, p_currency) AS z) z
     WHERE p_currency IS NOT NULL AND p_by IS NULL
       AND revrec._check_rollforward_args(p_from, p_to, p_by)
       AND NOT EXISTS (SELECT 1 FROM r)
     ORDER BY 1, 9, 10;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._check_issues(issue_ids text[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
DECLARE
    bad    record;
    gr     record;
    locked boolean := false;
BEGIN
    -- prepaid credit drawdowns: serialize on the grants, in grant order as
    -- on a single node, one statement per grant (Citus locks rows only in
    -- a statement routed to one shard), then check them
    FOR gr IN SELECT DISTINCT l.customer_id, l.grant_id FROM revrec.invoice_line l
              WHERE l.invoice_id = ANY (issue_ids) AND l.grant_id IS NOT NULL
              ORDER BY l.grant_id, l.customer_id LOOP
        PERFORM 1 FROM revrec.credit_grant x WHERE x.customer_id = gr.customer_id AND x.grant_id = gr.grant_id
            FOR NO KEY UPDATE;
        locked := locked OR FOUND;
    END LOOP;
    IF NOT locked THEN
        RETURN;   -- no drawdown among these invoices
    END IF;
    -- (a line's grant is its own customer's: the foreign key is (customer_id, grant_id) on Citus)
    SELECT l.line_id, l.invoice_id, g.grant_id, i.accounting_date, g.effective_date, g.expires_on,
           g.currency AS gcur, i.currency AS icur, g.customer_id AS gcust, i.customer_id AS icust
      INTO bad
      FROM revrec.invoice_line l JOIN revrec.invoice i ON i.customer_id = l.customer_id AND i.invoice_id = l.invoice_id
      JOIN revrec.credit_grant g ON g.customer_id = l.customer_id AND g.grant_id = l.grant_id
     WHERE l.invoice_id = ANY (issue_ids) AND l.kind = 'credit_usage'
       AND (i.accounting_date < g.effective_date OR i.accounting_date > g.expires_on
            OR g.currency <> i.currency OR g.customer_id <> i.customer_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RV021',
            MESSAGE = format('invoice %s line %s cannot draw on credit grant %s', bad.invoice_id, bad.line_id, bad.grant_id),
            DETAIL = CASE WHEN bad.gcur <> bad.icur THEN format('The grant is in %s, the invoice in %s.', bad.gcur, bad.icur)
                          WHEN bad.gcust <> bad.icust THEN format('The grant belongs to customer %s, the invoice to %s.', bad.gcust, bad.icust)
                          WHEN bad.accounting_date < bad.effective_date THEN format('The invoice is dated %s, before the grant takes effect on %s.', bad.accounting_date, bad.effective_date)
                          ELSE format('The invoice is dated %s, after the grant expired on %s.', bad.accounting_date, bad.expires_on) END;
    END IF;
    SELECT g.grant_id, g.amount, sum(-l.amount) AS drawn INTO bad
      FROM revrec.credit_grant g
      JOIN revrec.invoice_line l ON l.customer_id = g.customer_id AND l.grant_id = g.grant_id AND l.kind = 'credit_usage'
      JOIN revrec.invoice i ON i.customer_id = l.customer_id AND i.invoice_id = l.invoice_id
     WHERE (g.customer_id, g.grant_id) IN (SELECT l2.customer_id, l2.grant_id FROM revrec.invoice_line l2
                                            WHERE l2.invoice_id = ANY (issue_ids) AND l2.grant_id IS NOT NULL)
       AND (i.invoice_id = ANY (issue_ids)
            OR (i.status = 'issued' AND EXISTS (SELECT 1 FROM revrec.posting p
                                                 WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                                   AND p.source_id = i.invoice_id AND p.reason = 'issue')))
     GROUP BY g.customer_id, g.grant_id, g.amount
    HAVING sum(-l.amount) > g.amount
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RV021',
            MESSAGE = format('credit grant %s is overdrawn: %s drawn of %s', bad.grant_id, bad.drawn, bad.amount),
            HINT = 'A credit_usage line may draw at most the grant''s remaining balance.';
    END IF;
END $f$
$ov$,
$ov$
CREATE OR REPLACE FUNCTION revrec._void_invoices(void_ids text[], fl date) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
    -- as on a single node (50_posting.sql), with the latest floor of each
    -- invoice's postings joined by customer instead of a LATERAL subquery,
    -- and credit notes joined to their invoice by (customer_id, invoice_id),
    -- their foreign key on a distributed revrec
    PERFORM revrec._post_voids('invoice', d.customers, d.docs, d.days, d.labels, fl)
       FROM (SELECT array_agg(i.customer_id) AS customers, array_agg(i.invoice_id) AS docs,
                    array_agg(greatest(i.void_date, v.floor_date)) AS days,
                    array_agg('invoice ' || coalesce(i.invoice_number, i.invoice_id)) AS labels
               FROM revrec.invoice i
               LEFT JOIN (SELECT p.customer_id, p.invoice_id, max(p.floor_date) AS floor_date FROM revrec.posting p
                           WHERE p.invoice_id = ANY (void_ids) GROUP BY p.customer_id, p.invoice_id) v
                      ON v.customer_id = i.customer_id AND v.invoice_id = i.invoice_id
              WHERE i.invoice_id = ANY (void_ids)) d;
    PERFORM revrec._post_voids('credit_note', d.customers, d.docs, d.days, d.labels, fl)
       FROM (SELECT array_agg(c.customer_id) AS customers, array_agg(c.credit_note_id) AS docs,
                    array_agg(greatest(i.void_date, v.floor_date)) AS days,
                    array_agg('credit note ' || coalesce(c.credit_note_number, c.credit_note_id) || ' with invoice '
                              || coalesce(i.invoice_number, i.invoice_id)) AS labels
               FROM revrec.credit_note c
               JOIN revrec.invoice i ON i.customer_id = c.customer_id AND i.invoice_id = c.invoice_id
               LEFT JOIN (SELECT p.customer_id, p.invoice_id, max(p.floor_date) AS floor_date FROM revrec.posting p
                           WHERE p.invoice_id = ANY (void_ids) GROUP BY p.customer_id, p.invoice_id) v
                      ON v.customer_id = i.customer_id AND v.invoice_id = i.invoice_id
              WHERE i.invoice_id = ANY (void_ids)) d
      WHERE d.docs IS NOT NULL;
END $f$
$ov$
    ] LOOP
        EXECUTE stmt;
    END LOOP;
END $$;

-- Document ids and numbers unique across customers (docs/CITUS.md,
-- "Uniqueness of document ids"): Citus keeps a unique constraint only per
-- value of the distribution column, so the documents' keys become
-- (customer_id, id), and revrec.doc_key, distributed by the id itself, holds
-- one row per id (and per invoice or credit-note number) with its customer.
-- revrec._citus_statement() writes it after each statement, in the same
-- distributed transaction as the documents.  Made here from the documents
-- already there (unique: the single node's keys held them so); run again (after
-- an upgrade), it makes what is missing.
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
        PERFORM pg_catalog.create_distributed_table('revrec.doc_key', 'id', colocate_with => 'revrec.customer');
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
    w   record;
    cmd text;
    docs text[] := ARRAY['billing_schedule_line', 'credit_grant', 'invoice', 'invoice_line', 'usage', 'milestone',
                         'credit_note', 'credit_note_line'];
    -- the states revrec's guard (36_restore_guard.sql) holds them to, on
    -- every node: the document triggers disabled, the capture triggers on
    st  text := pg_catalog.format($s$
        INSERT INTO revrec._trigger_state (relname, tgname, state)
        SELECT t, g, 'O' FROM unnest(%1$L::text[]) t, unnest(ARRAY['citus_capture_ins', 'citus_capture_upd', 'citus_capture_del', 'citus_capture_bdel']) g
         WHERE (g <> 'citus_capture_bdel' OR t IN ('invoice', 'invoice_line', 'credit_note', 'billing_schedule_line'))
           AND NOT EXISTS (SELECT 1 FROM revrec._trigger_state s WHERE s.relname = t AND s.tgname = g)
        UNION ALL SELECT 'credit_grant', 'citus_capture_bgrant', 'O'
         WHERE NOT EXISTS (SELECT 1 FROM revrec._trigger_state s WHERE s.relname = 'credit_grant' AND s.tgname = 'citus_capture_bgrant')$s$, docs);
BEGIN
    EXECUTE st;
    FOR w IN SELECT * FROM pg_catalog.run_command_on_workers(st) LOOP
        IF NOT w.success THEN
            RAISE EXCEPTION USING ERRCODE = 'RV060',
                MESSAGE = pg_catalog.format('revrec.distribute(): on worker %s:%s: %s', w.nodename, w.nodeport, w.result);
        END IF;
    END LOOP;
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
            FOR w IN SELECT * FROM pg_catalog.run_command_on_workers(cmd) LOOP
                IF NOT w.success THEN
                    RAISE EXCEPTION USING ERRCODE = 'RV060',
                        MESSAGE = pg_catalog.format('revrec.distribute(): on worker %s:%s: %s', w.nodename, w.nodeport, w.result);
                END IF;
            END LOOP;
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
            FOR w IN SELECT * FROM pg_catalog.run_command_on_workers(cmd) LOOP
                IF NOT w.success THEN
                    RAISE EXCEPTION USING ERRCODE = 'RV060',
                        MESSAGE = pg_catalog.format('revrec.distribute(): on worker %s:%s: %s', w.nodename, w.nodeport, w.result);
                END IF;
            END LOOP;
            EXECUTE pg_catalog.format('ALTER TABLE revrec.%I ENABLE ALWAYS TRIGGER %I', t, r.tgname);
        END LOOP;
    END LOOP;
END $$;

-- The name of table tbl's shard next to shard `shard` (a co-located shard
-- of a distributed table, the local placement of a reference table) for
-- each {tbl} in q: revrec._citus_capture() reads them as plain tables.
CREATE OR REPLACE FUNCTION revrec._citus_local(q text, shard bigint) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t   text;
    tbl text;
BEGIN
    FOR t IN SELECT DISTINCT m[1] FROM pg_catalog.regexp_matches(q, '\{([a-z_]+)\}', 'g') AS m LOOP
        tbl := NULL;
        SELECT pg_catalog.format('revrec.%I', t || '_' || c.shardid) INTO tbl
          FROM pg_catalog.pg_dist_shard s
          JOIN pg_catalog.pg_dist_shard c ON c.logicalrelid = pg_catalog.format('revrec.%I', t)::pg_catalog.regclass
                                         AND (c.shardminvalue = s.shardminvalue OR c.shardminvalue IS NULL)
         WHERE s.shardid = shard;
        IF tbl IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV062',
                MESSAGE = pg_catalog.format('revrec: no shard of revrec.%s next to shard %s', t, shard),
                HINT = 'On a distributed revrec, write documents through the coordinator (docs/CITUS.md).';
        END IF;
        q := pg_catalog.replace(q, '{' || t || '}', tbl);
    END LOOP;
    RETURN q;
END $$;

-- Fires on a shard (revrec.invoice_102040, on a worker), in the distributed
-- transaction of a write through the coordinator.  Plain PostgreSQL on the
-- worker: it reads only the statement's transition tables, the co-located
-- shards of the same customers (revrec._citus_local() names them) and the
-- local placements of the reference tables.  It
--   1. refuses a write not made through the coordinator (RV064): a client
--      connected to a worker would store documents nothing posts;
--   2. makes the single node's checks of the document triggers
--      (60_document_triggers.sql, 55_credit_notes.sql, 65_references.sql)
--      that need only this customer's documents, with their errors:
--      posted and void documents, usage and milestones on their lines,
--      billing schedule lines billed once, amounts' decimals, drawn grants,
--      references to currencies, products and customers;
--   3. queues, in the co-located shard of revrec.citus_queue, what the
--      coordinator does next: the keys a single node's triggers queue for
--      posting (read at commit, revrec._citus_pull()), the document ids and
--      numbers written or freed ('key', kept unique across customers in
--      revrec.doc_key) and the references to a parent this customer does
--      not have ('ref'), both read at the end of the statement
--      (revrec._citus_statement(), src/citus.c).
CREATE OR REPLACE FUNCTION revrec._citus_capture() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t    text := pg_catalog.regexp_replace(TG_TABLE_NAME, '_[0-9]+$', '');
    sid  bigint := pg_catalog.substring(TG_TABLE_NAME, '_([0-9]+)$')::bigint;
    ini  integer;
    txn  bigint;
    sel  text;      -- the keys to post
    keys text;      -- ids and numbers written ('+') or freed ('-')
    refs text;      -- parents not found in this customer
    idc  text;
    numc text;
    v1   text;
    v2   text;
    v3   text;
    v4   text;
    v5   text;
    v6   text;
    v7   text;
    dec  text;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF sid IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_shard s WHERE s.shardid = sid) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV062',
            MESSAGE = pg_catalog.format('revrec: no queue shard for %s.%s', TG_TABLE_SCHEMA, TG_TABLE_NAME),
            HINT = 'On a distributed revrec, write documents through the coordinator (docs/CITUS.md).';
    END IF;
    -- the coordinator's distributed transaction (initiator group 0, a
    -- number assigned: src/citus.c makes every document write coordinated);
    -- a worker's own statement has number 0 or its own group
    SELECT g.initiator_node_identifier, g.transaction_number INTO ini, txn FROM pg_catalog.get_current_transaction_id() g;
    IF ini IS DISTINCT FROM 0 OR coalesce(txn, 0) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'RV064',
            MESSAGE = pg_catalog.format('revrec: %s on revrec.%s outside a transaction of the Citus coordinator', TG_OP, t),
            DETAIL = 'A document written on a worker directly would be stored and never posted.',
            HINT = 'Write documents through the coordinator: it checks and posts them at commit (docs/CITUS.md).';
    END IF;
    idc := CASE t WHEN 'invoice' THEN 'invoice_id' WHEN 'invoice_line' THEN 'line_id' WHEN 'usage' THEN 'usage_id'
                  WHEN 'milestone' THEN 'milestone_id' WHEN 'credit_note' THEN 'credit_note_id'
                  WHEN 'credit_note_line' THEN 'credit_note_line_id' WHEN 'credit_grant' THEN 'grant_id'
                  WHEN 'billing_schedule_line' THEN 'schedule_line_id' END;
    numc := CASE t WHEN 'invoice' THEN 'invoice_number' WHEN 'credit_note' THEN 'credit_note_number' END;

    -- checks, in the order a single node's triggers make them ----------------
    IF t = 'invoice' THEN
        IF TG_OP = 'UPDATE' THEN
            -- (40_documents.sql via 60_document_triggers.sql, _invoice_upd; a
            -- void left without its day gets it at commit: allowed)
            EXECUTE revrec._citus_local($q$
                SELECT o.invoice_id FROM old_rows o
                  LEFT JOIN new_rows n ON n.customer_id = o.customer_id AND n.invoice_id = o.invoice_id
                 WHERE o.status = 'void'
                   AND (n.invoice_id IS NULL OR (pg_catalog.to_jsonb(n) - 'void_date') <> (pg_catalog.to_jsonb(o) - 'void_date')
                        OR (o.void_date IS NOT NULL AND n.void_date IS DISTINCT FROM o.void_date))
                 ORDER BY o.invoice_id LIMIT 1$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013', MESSAGE = pg_catalog.format('invoice %s is void and cannot change', v1);
            END IF;
            EXECUTE revrec._citus_local($q$
                SELECT o.invoice_id FROM old_rows o
                  LEFT JOIN new_rows n ON n.customer_id = o.customer_id AND n.invoice_id = o.invoice_id
                 WHERE ((n.invoice_id, n.invoice_number, n.currency, n.accounting_date)
                        IS DISTINCT FROM (o.invoice_id, o.invoice_number, o.currency, o.accounting_date) OR n.status = 'draft')
                   AND EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = o.customer_id AND p.source = 'invoice'
                                  AND p.source_id = o.invoice_id AND p.reason = 'issue')
                 ORDER BY o.invoice_id LIMIT 1$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('invoice %s is posted: its amounts, dates and lines cannot change', v1),
                    HINT = 'Correct it with a credit note, a void (status = ''void'') or a manual journal.';
            END IF;
        ELSIF TG_OP = 'DELETE' THEN
            EXECUTE revrec._citus_local($q$
                SELECT o.invoice_id FROM old_rows o
                 WHERE EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = o.customer_id AND p.source = 'invoice'
                                  AND p.source_id = o.invoice_id AND p.reason = 'issue')
                 ORDER BY o.invoice_id LIMIT 1$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('invoice %s is posted and cannot be deleted', v1),
                    HINT = 'Void it instead: UPDATE revrec.invoice SET status = ''void''.';
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            -- (65_references.sql: currency, then customer)
            EXECUTE revrec._citus_local($q$
                SELECT min(n.currency) FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM {currency} c WHERE c.code = n.currency)$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = '23503',
                    MESSAGE = 'insert or update on table "invoice" violates foreign key constraint "invoice_currency_fkey"',
                    DETAIL = pg_catalog.format('Key (currency)=(%s) is not present in table "currency".', v1);
            END IF;
            EXECUTE revrec._citus_local($q$
                SELECT count(*) FROM (SELECT 1 FROM {customer} c WHERE c.customer_id IN (SELECT n.customer_id FROM new_rows n)
                                         AND NOT (c.xmin = pg_catalog.pg_current_xact_id()::xid) FOR KEY SHARE OF c) x$q$, sid) INTO v1;
            EXECUTE revrec._citus_local($q$
                SELECT min(n.customer_id) FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM {customer} c WHERE c.customer_id = n.customer_id)$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = '23503',
                    MESSAGE = 'insert or update on table "invoice" violates foreign key constraint "invoice_customer_id_fkey"',
                    DETAIL = pg_catalog.format('Key (customer_id)=(%s) is not present in table "customer".', v1);
            END IF;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            -- its lines still name it (65_references.sql, invoice_line_del / invoice_line_key_upd)
            EXECUTE revrec._citus_local(pg_catalog.format($q$
                SELECT g.invoice_id FROM (SELECT o.customer_id, o.invoice_id FROM old_rows o %s) g
                 WHERE EXISTS (SELECT 1 FROM {invoice_line} l WHERE l.customer_id = g.customer_id AND l.invoice_id = g.invoice_id)
                 ORDER BY g.invoice_id LIMIT 1$q$,
                CASE WHEN TG_OP = 'UPDATE' THEN 'EXCEPT SELECT n.customer_id, n.invoice_id FROM new_rows n' ELSE '' END), sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = '23503',
                    MESSAGE = 'update or delete on table "invoice" violates foreign key constraint "invoice_line_invoice_id_fkey" on table "invoice_line"',
                    DETAIL = pg_catalog.format('Key (invoice_id)=(%s) is still referenced from table "invoice_line".', v1);
            END IF;
        END IF;
        sel := CASE WHEN TG_OP <> 'DELETE' THEN
            'SELECT n.customer_id, ''invoice'', n.invoice_id, NULL::date, NULL::date, NULL, NULL FROM new_rows n
              WHERE n.status IN (''issued'', ''void'')' END;

    ELSIF t = 'invoice_line' THEN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            -- (60_document_triggers.sql, _child_change) the invoice held, then checked
            EXECUTE revrec._citus_local($q$
                SELECT count(*) FROM (SELECT 1 FROM {invoice} i
                                       WHERE (i.customer_id, i.invoice_id) IN (SELECT o.customer_id, o.invoice_id FROM old_rows o)
                                       ORDER BY i.customer_id, i.invoice_id FOR SHARE OF i) x$q$, sid) INTO v1;
            EXECUTE revrec._citus_local($q$
                SELECT i.invoice_id FROM (SELECT DISTINCT o.customer_id, o.invoice_id FROM old_rows o) o
                  JOIN {invoice} i ON i.customer_id = o.customer_id AND i.invoice_id = o.invoice_id
                 WHERE i.status = 'void'
                    OR EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                  AND p.source_id = i.invoice_id AND p.reason = 'issue')
                 ORDER BY i.invoice_id LIMIT 1$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('%s of invoice_line on posted invoice %s is not allowed', TG_OP, v1),
                    HINT = 'Correct a posted invoice with a credit note, a void or a manual journal.';
            END IF;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            -- a draft line whose recognition changes keeps its usage and milestones valid
            EXECUTE revrec._citus_local($q$
                SELECT o.line_id, coalesce(n.recognition_method, pr.recognition_method, 'straight_line'),
                       CASE WHEN (coalesce(n.recognition_method, pr.recognition_method, 'straight_line') <> 'usage'
                                  AND EXISTS (SELECT 1 FROM {usage} u WHERE u.customer_id = o.customer_id AND u.line_id = o.line_id))
                                 OR (coalesce(n.recognition_method, pr.recognition_method, 'straight_line') <> 'milestone'
                                  AND EXISTS (SELECT 1 FROM {milestone} m WHERE m.customer_id = o.customer_id AND m.line_id = o.line_id))
                            THEN 'method' ELSE 'period' END,
                       pg_catalog.format('%s to %s', n.service_start, n.service_end)
                  FROM old_rows o JOIN new_rows n ON n.customer_id = o.customer_id AND n.line_id = o.line_id
                  LEFT JOIN {product} pr ON pr.product_id = n.product_id
                 WHERE (n.recognition_method, n.product_id, n.service_start, n.service_end)
                       IS DISTINCT FROM (o.recognition_method, o.product_id, o.service_start, o.service_end)
                   AND ((coalesce(n.recognition_method, pr.recognition_method, 'straight_line') <> 'usage'
                         AND EXISTS (SELECT 1 FROM {usage} u WHERE u.customer_id = o.customer_id AND u.line_id = o.line_id))
                        OR (coalesce(n.recognition_method, pr.recognition_method, 'straight_line') <> 'milestone'
                         AND EXISTS (SELECT 1 FROM {milestone} m WHERE m.customer_id = o.customer_id AND m.line_id = o.line_id))
                        OR EXISTS (SELECT 1 FROM {usage} u WHERE u.customer_id = o.customer_id AND u.line_id = o.line_id
                                      AND (u.usage_date < n.service_start OR u.usage_date > n.service_end)))
                 ORDER BY o.line_id LIMIT 1$q$, sid) INTO v1, v2, v3, v4;
            IF v1 IS NOT NULL AND v3 = 'method' THEN
                RAISE EXCEPTION USING ERRCODE = 'RV014',
                    MESSAGE = pg_catalog.format('line %s has usage or milestones: it cannot be recognized by %s', v1, v2),
                    HINT = 'Delete its usage or milestones first.';
            ELSIF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV014',
                    MESSAGE = pg_catalog.format('line %s has usage outside the service period %s', v1, v4);
            END IF;
            -- a line moved onto a posted (or void) invoice
            EXECUTE revrec._citus_local($q$
                SELECT o.line_id, i.invoice_id FROM old_rows o
                  JOIN new_rows n ON n.customer_id = o.customer_id AND n.line_id = o.line_id AND n.invoice_id <> o.invoice_id
                  JOIN {invoice} i ON i.customer_id = n.customer_id AND i.invoice_id = n.invoice_id
                 WHERE i.status = 'void'
                    OR EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                  AND p.source_id = i.invoice_id AND p.reason = 'issue')
                 ORDER BY o.line_id LIMIT 1$q$, sid) INTO v1, v2;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('line %s cannot move to posted invoice %s', v1, v2),
                    HINT = 'Correct a posted invoice with a credit note, a void or a manual journal.';
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            -- (65_references.sql) the invoice: one this customer does not
            -- have is looked up by the coordinator (another customer's, or
            -- none); the others held FOR SHARE (none is issued and posted
            -- under the new lines), then the product
            refs := 'SELECT DISTINCT n.customer_id, n.invoice_id, n.line_id, ''invoice_line.invoice_id'' FROM new_rows n
                      WHERE NOT EXISTS (SELECT 1 FROM {invoice} i WHERE i.customer_id = n.customer_id AND i.invoice_id = n.invoice_id)';
            EXECUTE revrec._citus_local($q$
                SELECT count(*) FROM (SELECT 1 FROM {invoice} i
                                       WHERE (i.customer_id, i.invoice_id) IN (SELECT n.customer_id, n.invoice_id FROM new_rows n)
                                         AND NOT (i.xmin = pg_catalog.pg_current_xact_id()::xid)
                                       ORDER BY i.customer_id, i.invoice_id FOR SHARE OF i) x$q$, sid) INTO v1;
            EXECUTE revrec._citus_local($q$
                SELECT min(n.product_id) FROM new_rows n
                 WHERE n.product_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {product} p WHERE p.product_id = n.product_id)$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = '23503',
                    MESSAGE = 'insert or update on table "invoice_line" violates foreign key constraint "invoice_line_product_id_fkey"',
                    DETAIL = pg_catalog.format('Key (product_id)=(%s) is not present in table "product".', v1);
            END IF;
            -- a billing schedule line is billed once, in its own currency
            -- (its customer's: the foreign key includes customer_id here);
            -- the schedule lines locked first, as on a single node
            EXECUTE revrec._citus_local(pg_catalog.format($q$
                SELECT count(*) FROM (SELECT 1 FROM {billing_schedule_line} b
                                       WHERE (b.customer_id, b.schedule_line_id) IN (SELECT n.customer_id, n.schedule_line_id FROM new_rows n %s)
                                       ORDER BY b.schedule_line_id FOR NO KEY UPDATE OF b) x$q$,
                CASE WHEN TG_OP = 'UPDATE' THEN 'WHERE (n.customer_id, n.line_id, n.schedule_line_id, n.invoice_id) NOT IN
                                                     (SELECT o.customer_id, o.line_id, o.schedule_line_id, o.invoice_id FROM old_rows o WHERE o.schedule_line_id IS NOT NULL)'
                     ELSE '' END), sid) INTO v1;
            IF v1::bigint > 0 THEN
                EXECUTE revrec._citus_local(pg_catalog.format($q$
                    SELECT n.line_id, n.schedule_line_id, i.invoice_id, o2.line_id, o2.invoice_id,
                           pg_catalog.format('%%s, %%s', i.customer_id, i.currency), pg_catalog.format('%%s in %%s', b.customer_id, b.currency)
                      FROM new_rows n
                      JOIN {invoice} i ON i.customer_id = n.customer_id AND i.invoice_id = n.invoice_id
                      JOIN {billing_schedule_line} b ON b.customer_id = n.customer_id AND b.schedule_line_id = n.schedule_line_id
                      LEFT JOIN LATERAL (SELECT l2.line_id, l2.invoice_id FROM {invoice_line} l2
                                           JOIN {invoice} i2 ON i2.customer_id = l2.customer_id AND i2.invoice_id = l2.invoice_id
                                          WHERE l2.customer_id = n.customer_id AND l2.schedule_line_id = n.schedule_line_id
                                            AND l2.line_id <> n.line_id AND i2.status <> 'void'
                                          ORDER BY l2.line_id LIMIT 1) o2 ON true
                     WHERE n.schedule_line_id IS NOT NULL %s
                       AND (i.currency <> b.currency OR o2.line_id IS NOT NULL)
                     ORDER BY n.line_id LIMIT 1$q$,
                    CASE WHEN TG_OP = 'UPDATE' THEN 'AND (n.customer_id, n.line_id, n.schedule_line_id, n.invoice_id) NOT IN
                                                         (SELECT o.customer_id, o.line_id, o.schedule_line_id, o.invoice_id FROM old_rows o WHERE o.schedule_line_id IS NOT NULL)'
                         ELSE '' END), sid) INTO v1, v2, v3, v5, v6, v4, v7;
                IF v1 IS NOT NULL AND v5 IS NOT NULL THEN
                    RAISE EXCEPTION USING ERRCODE = 'RV014',
                        MESSAGE = pg_catalog.format('billing schedule line %s is already billed by line %s of invoice %s', v2, v5, v6),
                        DETAIL = pg_catalog.format('Line %s of invoice %s bills it again.', v1, v3),
                        HINT = 'A billing schedule line is billed once; void the other invoice first to bill it anew.';
                ELSIF v1 IS NOT NULL THEN
                    RAISE EXCEPTION USING ERRCODE = 'RV014',
                        MESSAGE = pg_catalog.format('line %s of invoice %s (customer %s) cannot bill billing schedule line %s of customer %s',
                                                    v1, v3, v4, v2, v7);
                END IF;
            END IF;
            -- amounts in the invoice's currency (to_minor_units raises)
            EXECUTE revrec._citus_local($q$
                SELECT count(*) FROM new_rows n JOIN {invoice} i ON i.customer_id = n.customer_id AND i.invoice_id = n.invoice_id
                 WHERE revrec.to_minor_units(n.amount, i.currency) IS NULL
                    OR (n.ssp IS NOT NULL AND revrec.to_minor_units(n.ssp, i.currency) IS NULL)$q$, sid) INTO v1;
        END IF;
        IF TG_OP = 'INSERT' THEN
            EXECUTE revrec._citus_local($q$
                SELECT min(n.line_id), i.invoice_id FROM new_rows n
                  JOIN {invoice} i ON i.customer_id = n.customer_id AND i.invoice_id = n.invoice_id
                 WHERE EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                  AND p.source_id = i.invoice_id AND p.reason = 'issue')
                 GROUP BY i.invoice_id ORDER BY i.invoice_id LIMIT 1$q$, sid) INTO v1, v2;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('invoice %s is posted: line %s cannot be added', v2, v1),
                    HINT = 'Correct a posted invoice with a credit note, a void or a manual journal.';
            END IF;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            -- usage still on a line renamed or deleted (65_references.sql)
            EXECUTE revrec._citus_local(pg_catalog.format($q$
                SELECT g.line_id FROM (SELECT o.customer_id, o.line_id FROM old_rows o %s) g
                 WHERE EXISTS (SELECT 1 FROM {usage} u WHERE u.customer_id = g.customer_id AND u.line_id = g.line_id)
                 ORDER BY g.line_id LIMIT 1$q$,
                CASE WHEN TG_OP = 'UPDATE' THEN 'EXCEPT SELECT n.customer_id, n.line_id FROM new_rows n' ELSE '' END), sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = '23503',
                    MESSAGE = 'update or delete on table "invoice_line" violates foreign key constraint "usage_line_id_fkey" on table "usage"',
                    DETAIL = pg_catalog.format('Key (line_id)=(%s) is still referenced from table "usage".', v1);
            END IF;
        END IF;
        sel := CASE TG_OP
            WHEN 'INSERT' THEN
            'SELECT DISTINCT n.customer_id, ''invoice'', n.invoice_id, NULL::date, NULL::date, NULL, NULL FROM new_rows n'
            WHEN 'UPDATE' THEN
            'SELECT DISTINCT x.customer_id, ''invoice'', x.invoice_id, NULL::date, NULL::date, NULL, NULL
               FROM (SELECT o.customer_id, o.invoice_id FROM old_rows o UNION ALL SELECT n.customer_id, n.invoice_id FROM new_rows n) x' END;

    ELSIF t IN ('usage', 'milestone') THEN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            -- the line: one this customer does not have is looked up by the
            -- coordinator (usage; a milestone's foreign key includes customer_id)
            IF t = 'usage' THEN
                refs := 'SELECT DISTINCT n.customer_id, n.line_id, n.usage_id::text, ''usage.line_id'' FROM new_rows n
                          WHERE NOT EXISTS (SELECT 1 FROM {invoice_line} l WHERE l.customer_id = n.customer_id AND l.line_id = n.line_id)';
            END IF;
            -- their invoices held FOR SHARE
            EXECUTE revrec._citus_local($q$
                SELECT count(*) FROM (SELECT 1 FROM {invoice} i
                                       WHERE (i.customer_id, i.invoice_id) IN
                                             (SELECT l.customer_id, l.invoice_id FROM new_rows n
                                                JOIN {invoice_line} l ON l.customer_id = n.customer_id AND l.line_id = n.line_id)
                                         AND NOT (i.xmin = pg_catalog.pg_current_xact_id()::xid)
                                       ORDER BY i.customer_id, i.invoice_id FOR SHARE OF i) x$q$, sid) INTO v1;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            EXECUTE revrec._citus_local($q$
                SELECT count(*) FROM (SELECT 1 FROM {invoice} i
                                       WHERE (i.customer_id, i.invoice_id) IN
                                             (SELECT l.customer_id, l.invoice_id FROM old_rows o
                                                JOIN {invoice_line} l ON l.customer_id = o.customer_id AND l.line_id = o.line_id)
                                       ORDER BY i.customer_id, i.invoice_id FOR SHARE OF i) x$q$, sid) INTO v1;
            -- changed or deleted on a posted (or void) invoice; completing a
            -- milestone is what milestones are for
            EXECUTE revrec._citus_local(pg_catalog.format($q$
                SELECT i.invoice_id FROM old_rows o
                  JOIN {invoice_line} l ON l.customer_id = o.customer_id AND l.line_id = o.line_id
                  JOIN {invoice} i ON i.customer_id = l.customer_id AND i.invoice_id = l.invoice_id
                  %s
                 WHERE (i.status = 'void'
                        OR EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                      AND p.source_id = i.invoice_id AND p.reason = 'issue')) %s
                 ORDER BY i.invoice_id LIMIT 1$q$,
                CASE WHEN t = 'milestone' AND TG_OP = 'UPDATE' THEN
                    'LEFT JOIN new_rows n ON n.customer_id = o.customer_id AND n.milestone_id = o.milestone_id' ELSE '' END,
                CASE WHEN t = 'milestone' AND TG_OP = 'UPDATE' THEN
                    'AND (n.milestone_id IS NULL OR (pg_catalog.to_jsonb(n) - ''completed_on'') <> (pg_catalog.to_jsonb(o) - ''completed_on''))' ELSE '' END),
                sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('%s of %s on posted invoice %s is not allowed', TG_OP, t, v1),
                    HINT = 'Correct a posted invoice with a credit note, a void or a manual journal.';
            END IF;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            -- moved onto a line of a posted (or void) invoice
            EXECUTE revrec._citus_local(pg_catalog.format($q$
                SELECT o.line_id, n.line_id, i.invoice_id FROM old_rows o
                  JOIN new_rows n ON n.customer_id = o.customer_id AND n.%1$I = o.%1$I AND n.line_id <> o.line_id
                  JOIN {invoice_line} l ON l.customer_id = n.customer_id AND l.line_id = n.line_id
                  JOIN {invoice} i ON i.customer_id = l.customer_id AND i.invoice_id = l.invoice_id
                 WHERE i.status = 'void'
                    OR EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                  AND p.source_id = i.invoice_id AND p.reason = 'issue')
                 ORDER BY o.line_id LIMIT 1$q$, idc), sid) INTO v1, v2, v3;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('%s of line %s cannot move to line %s of posted invoice %s', t, v1, v2, v3),
                    HINT = 'Correct a posted invoice with a credit note, a void or a manual journal.';
            END IF;
        END IF;
        IF TG_OP = 'INSERT' AND t = 'milestone' THEN
            EXECUTE revrec._citus_local($q$
                SELECT n.milestone_id, i.invoice_id FROM new_rows n
                  JOIN {invoice_line} l ON l.customer_id = n.customer_id AND l.line_id = n.line_id
                  JOIN {invoice} i ON i.customer_id = l.customer_id AND i.invoice_id = l.invoice_id
                 WHERE i.status = 'void'
                    OR EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                  AND p.source_id = i.invoice_id AND p.reason = 'issue')
                 ORDER BY n.milestone_id LIMIT 1$q$, sid) INTO v1, v2;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('invoice %s is posted: milestone %s cannot be added', v2, v1);
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            -- amounts in the invoice's currency, then the rows suit their
            -- lines (60_document_triggers.sql, _child_misfit); a milestone
            -- only completed is not checked again
            -- (usage: amounts first, as a single node's one query meets them;
            -- milestones: after the line's method)
            dec := $q$
                SELECT count(*) FROM new_rows n JOIN {invoice_line} l ON l.customer_id = n.customer_id AND l.line_id = n.line_id
                  JOIN {invoice} i ON i.customer_id = l.customer_id AND i.invoice_id = l.invoice_id
                 WHERE revrec.to_minor_units(n.amount, i.currency) IS NULL$q$;
            IF t = 'usage' THEN
                EXECUTE revrec._citus_local(dec, sid) INTO v1;
            END IF;
            EXECUTE revrec._citus_local(pg_catalog.format($q$
                SELECT n.line_id, coalesce(l.recognition_method, p.recognition_method, 'straight_line'), %2$s::text,
                       coalesce(l.service_start::text, '...'), coalesce(l.service_end::text, '...')
                  FROM new_rows n
                  JOIN {invoice_line} l ON l.customer_id = n.customer_id AND l.line_id = n.line_id
                  LEFT JOIN {product} p ON p.product_id = l.product_id
                  %3$s
                 WHERE revrec._child_misfit(%1$L, coalesce(l.recognition_method, p.recognition_method, 'straight_line'),
                                            l.service_start, l.service_end, %2$s) %4$s
                 ORDER BY n.line_id LIMIT 1$q$,
                t, CASE WHEN t = 'usage' THEN 'n.usage_date' ELSE 'NULL::date' END,
                CASE WHEN t = 'milestone' AND TG_OP = 'UPDATE' THEN
                    'LEFT JOIN old_rows o ON o.customer_id = n.customer_id AND o.milestone_id = n.milestone_id' ELSE '' END,
                CASE WHEN t = 'milestone' AND TG_OP = 'UPDATE' THEN
                    'AND (o.milestone_id IS NULL OR (pg_catalog.to_jsonb(n) - ''completed_on'') <> (pg_catalog.to_jsonb(o) - ''completed_on''))' ELSE '' END),
                sid) INTO v1, v2, v3, v4, v5;
            IF v1 IS NOT NULL AND v2 <> t THEN
                RAISE EXCEPTION USING ERRCODE = 'RV014',
                    MESSAGE = pg_catalog.format('line %s is recognized by %s: it cannot have %s', v1, v2,
                                                CASE t WHEN 'usage' THEN 'usage' ELSE 'milestones' END),
                    HINT = pg_catalog.format('%s rows belong on lines whose recognition_method (or product''s) is %s.', pg_catalog.initcap(t), t);
            ELSIF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV014',
                    MESSAGE = pg_catalog.format('usage of line %s dated %s is outside its service period %s to %s', v1, v3, v4, v5),
                    HINT = 'Date usage inside the line''s service period.';
            END IF;
            IF t = 'milestone' THEN
                EXECUTE revrec._citus_local(dec, sid) INTO v1;
            END IF;
        END IF;
        sel := CASE WHEN t = 'usage' AND TG_OP = 'INSERT' THEN
            'SELECT n.customer_id, ''usage'', n.usage_id::text, NULL::date, NULL::date, NULL, NULL FROM new_rows n'
                    WHEN t = 'milestone' AND TG_OP = 'UPDATE' THEN
            'SELECT n.customer_id, ''milestone'', n.milestone_id, o.completed_on, n.completed_on, NULL, NULL
               FROM new_rows n JOIN old_rows o ON o.customer_id = n.customer_id AND o.milestone_id = n.milestone_id
              WHERE n.completed_on IS DISTINCT FROM o.completed_on' END;

    ELSIF t = 'credit_note' THEN
        IF TG_OP = 'UPDATE' THEN
            EXECUTE revrec._citus_local($q$
                SELECT o.credit_note_id FROM old_rows o
                  LEFT JOIN new_rows n ON n.customer_id = o.customer_id AND n.credit_note_id = o.credit_note_id
                 WHERE o.status = 'void'
                   AND (n.credit_note_id IS NULL OR (pg_catalog.to_jsonb(n) - 'void_date') <> (pg_catalog.to_jsonb(o) - 'void_date')
                        OR (o.void_date IS NOT NULL AND n.void_date IS DISTINCT FROM o.void_date))
                 ORDER BY o.credit_note_id LIMIT 1$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013', MESSAGE = pg_catalog.format('credit note %s is void and cannot change', v1);
            END IF;
            EXECUTE revrec._citus_local($q$
                SELECT o.credit_note_id FROM old_rows o
                  LEFT JOIN new_rows n ON n.customer_id = o.customer_id AND n.credit_note_id = o.credit_note_id
                 WHERE ((n.credit_note_id, n.credit_note_number, n.invoice_id, n.currency, n.credit_date)
                        IS DISTINCT FROM (o.credit_note_id, o.credit_note_number, o.invoice_id, o.currency, o.credit_date)
                        OR n.status = 'draft')
                   AND EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = o.customer_id AND p.source = 'credit_note'
                                  AND p.source_id = o.credit_note_id)
                 ORDER BY o.credit_note_id LIMIT 1$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('credit note %s is posted: its amounts, dates and lines cannot change', v1),
                    HINT = 'Void it (status = ''void'') and issue a new one.';
            END IF;
        ELSIF TG_OP = 'DELETE' THEN
            EXECUTE revrec._citus_local($q$
                SELECT o.credit_note_id FROM old_rows o
                 WHERE EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = o.customer_id AND p.source = 'credit_note'
                                  AND p.source_id = o.credit_note_id)
                 ORDER BY o.credit_note_id LIMIT 1$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('credit note %s is posted and cannot be deleted', v1);
            END IF;
        END IF;
        sel := CASE WHEN TG_OP <> 'DELETE' THEN
            'SELECT n.customer_id, ''credit_note'', n.credit_note_id, NULL::date, NULL::date, NULL, NULL FROM new_rows n
              WHERE n.status IN (''issued'', ''void'')' END;

    ELSIF t = 'credit_note_line' THEN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            EXECUTE revrec._citus_local($q$
                SELECT c.credit_note_id FROM (SELECT DISTINCT o.customer_id, o.credit_note_id FROM old_rows o) o
                  JOIN {credit_note} c ON c.customer_id = o.customer_id AND c.credit_note_id = o.credit_note_id
                 WHERE c.status = 'void'
                    OR EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = c.customer_id AND p.source = 'credit_note'
                                  AND p.source_id = c.credit_note_id)
                 ORDER BY c.credit_note_id LIMIT 1$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('%s of a line of posted credit note %s is not allowed', TG_OP, v1);
            END IF;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            EXECUTE revrec._citus_local($q$
                SELECT o.credit_note_line_id, c.credit_note_id FROM old_rows o
                  JOIN new_rows n ON n.customer_id = o.customer_id AND n.credit_note_line_id = o.credit_note_line_id
                                 AND n.credit_note_id <> o.credit_note_id
                  JOIN {credit_note} c ON c.customer_id = n.customer_id AND c.credit_note_id = n.credit_note_id
                 WHERE c.status = 'void'
                    OR EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = c.customer_id AND p.source = 'credit_note'
                                  AND p.source_id = c.credit_note_id)
                 ORDER BY o.credit_note_line_id LIMIT 1$q$, sid) INTO v1, v2;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('line %s cannot move to posted credit note %s', v1, v2);
            END IF;
        ELSIF TG_OP = 'INSERT' THEN
            EXECUTE revrec._citus_local($q$
                SELECT n.credit_note_line_id, c.credit_note_id FROM new_rows n
                  JOIN {credit_note} c ON c.customer_id = n.customer_id AND c.credit_note_id = n.credit_note_id
                 WHERE c.status = 'void'
                    OR EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = c.customer_id AND p.source = 'credit_note'
                                  AND p.source_id = c.credit_note_id)
                 ORDER BY n.credit_note_line_id LIMIT 1$q$, sid) INTO v1, v2;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('credit note %s is posted: line %s cannot be added', v2, v1);
            END IF;
            EXECUTE revrec._citus_local($q$
                SELECT count(*) FROM new_rows n JOIN {credit_note} c ON c.customer_id = n.customer_id AND c.credit_note_id = n.credit_note_id
                 WHERE revrec.to_minor_units(n.amount, c.currency) IS NULL$q$, sid) INTO v1;
        END IF;
        sel := CASE WHEN TG_OP <> 'DELETE' THEN
            'SELECT DISTINCT n.customer_id, ''credit_note'', n.credit_note_id, NULL::date, NULL::date, NULL, NULL FROM new_rows n' END;

    ELSIF t = 'billing_schedule_line' THEN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            EXECUTE revrec._citus_local($q$
                SELECT o.schedule_line_id FROM old_rows o
                 WHERE EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = o.customer_id AND p.source = 'billing_schedule'
                                  AND p.source_id = o.schedule_line_id)
                 ORDER BY o.schedule_line_id LIMIT 1$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('billing schedule line %s is posted and cannot change', v1);
            END IF;
        END IF;
        IF TG_OP = 'INSERT' THEN
            EXECUTE 'SELECT count(*) FROM new_rows n WHERE revrec.to_minor_units(n.amount, n.currency) IS NULL' INTO v1;
            sel := 'SELECT n.customer_id, ''billing_schedule'', n.schedule_line_id, NULL::date, NULL::date, NULL, NULL FROM new_rows n';
        END IF;

    ELSIF t = 'credit_grant' THEN
        -- (amounts: citus_capture_bgrant, before the currency's foreign key)
        IF TG_OP = 'UPDATE' THEN
            EXECUTE revrec._citus_local($q$
                SELECT o.grant_id FROM old_rows o
                  LEFT JOIN new_rows n ON n.customer_id = o.customer_id AND n.grant_id = o.grant_id
                 WHERE (n.grant_id, n.currency, n.amount, n.effective_date, n.expires_on)
                       IS DISTINCT FROM (o.grant_id, o.currency, o.amount, o.effective_date, o.expires_on)
                   AND EXISTS (SELECT 1 FROM {invoice_line} l
                                 JOIN {invoice} i ON i.customer_id = l.customer_id AND i.invoice_id = l.invoice_id
                                WHERE l.customer_id = o.customer_id AND l.grant_id = o.grant_id AND i.status <> 'draft')
                 ORDER BY o.grant_id LIMIT 1$q$, sid) INTO v1;
            IF v1 IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = pg_catalog.format('credit grant %s has been drawn: its amount, customer, currency and dates cannot change', v1),
                    HINT = 'Issue a new grant for new terms.';
            END IF;
        END IF;
    END IF;

    -- ids and numbers written ('+') or freed ('-'): kept unique across
    -- customers by the coordinator (revrec.doc_key)
    IF idc IS NOT NULL THEN
        keys := CASE TG_OP
            WHEN 'INSERT' THEN pg_catalog.format('SELECT n.customer_id, n.%1$I::text, %2$L, ''+'' FROM new_rows n', idc, t)
            WHEN 'DELETE' THEN pg_catalog.format('SELECT o.customer_id, o.%1$I::text, %2$L, ''-'' FROM old_rows o', idc, t)
            ELSE pg_catalog.format('SELECT x.customer_id, x.id, %2$L, ''-'' FROM (SELECT o.customer_id, o.%1$I::text AS id FROM old_rows o
                                                                                EXCEPT SELECT n.customer_id, n.%1$I::text FROM new_rows n) x
                                    UNION ALL
                                    SELECT x.customer_id, x.id, %2$L, ''+'' FROM (SELECT n.customer_id, n.%1$I::text AS id FROM new_rows n
                                                                                EXCEPT SELECT o.customer_id, o.%1$I::text FROM old_rows o) x', idc, t) END;
        IF numc IS NOT NULL THEN
            keys := keys || ' UNION ALL ' || CASE TG_OP
                WHEN 'INSERT' THEN pg_catalog.format('SELECT n.customer_id, n.%1$I, %1$L, ''+'' FROM new_rows n WHERE n.%1$I IS NOT NULL', numc)
                WHEN 'DELETE' THEN pg_catalog.format('SELECT o.customer_id, o.%1$I, %1$L, ''-'' FROM old_rows o WHERE o.%1$I IS NOT NULL', numc)
                ELSE pg_catalog.format('SELECT x.customer_id, x.id, %1$L, ''-'' FROM (SELECT o.customer_id, o.%1$I AS id FROM old_rows o WHERE o.%1$I IS NOT NULL
                                                                                    EXCEPT SELECT n.customer_id, n.%1$I FROM new_rows n) x
                                        UNION ALL
                                        SELECT x.customer_id, x.id, %1$L, ''+'' FROM (SELECT n.customer_id, n.%1$I AS id FROM new_rows n WHERE n.%1$I IS NOT NULL
                                                                                    EXCEPT SELECT o.customer_id, o.%1$I FROM old_rows o) x', numc) END;
        END IF;
    END IF;
    sel := pg_catalog.concat_ws(' UNION ALL ',
        'SELECT * FROM (' || sel || ') s',
        'SELECT k.customer_id, ''key'', k.id, NULL::date, NULL::date, k.kind, k.op FROM (' || keys || ') k(customer_id, id, kind, op)',
        'SELECT r.customer_id, ''ref'', r.parent, NULL::date, NULL::date, r.child, r.what FROM (' || refs || ') r(customer_id, parent, child, what)');
    IF sel <> '' THEN
        EXECUTE revrec._citus_local(pg_catalog.format(
            'INSERT INTO {citus_queue} (customer_id, doc_kind, doc_id, old_date, new_date, ref, op, seq, txn)
             SELECT x.customer_id, x.k, x.d, x.o, x.n, x.ref, x.op,
                    (pg_catalog.date_part(''epoch'', pg_catalog.clock_timestamp()) * 1000000)::bigint, %s
               FROM (%s) x(customer_id, k, d, o, n, ref, op)', txn, sel), sid);
    END IF;
    RETURN NULL;
END $$;
-- BEFORE DELETE, for each row, on the shards of the documents other
-- documents' foreign keys name (invoice, invoice_line, credit_note,
-- billing_schedule_line): a single node refuses deleting a posted one in a
-- BEFORE trigger, before the foreign keys are checked; revrec._citus_capture()
-- fires after them.  The same checks, with the single node's errors.
CREATE OR REPLACE FUNCTION revrec._citus_capture_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t   text := pg_catalog.regexp_replace(TG_TABLE_NAME, '_[0-9]+$', '');
    sid bigint := pg_catalog.substring(TG_TABLE_NAME, '_([0-9]+)$')::bigint;
    o   jsonb := pg_catalog.to_jsonb(OLD);
    v   text;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF sid IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_shard s WHERE s.shardid = sid) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV062',
            MESSAGE = pg_catalog.format('revrec: no queue shard for %s.%s', TG_TABLE_SCHEMA, TG_TABLE_NAME),
            HINT = 'On a distributed revrec, write documents through the coordinator (docs/CITUS.md).';
    END IF;
    IF t = 'invoice' THEN
        EXECUTE revrec._citus_local($q$
            SELECT $2 FROM {posting} p WHERE p.customer_id = $1 AND p.source = 'invoice' AND p.source_id = $2 AND p.reason = 'issue'
             LIMIT 1$q$, sid) INTO v USING o ->> 'customer_id', o ->> 'invoice_id';
        IF v IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV013',
                MESSAGE = pg_catalog.format('invoice %s is posted and cannot be deleted', v),
                HINT = 'Void it instead: UPDATE revrec.invoice SET status = ''void''.';
        END IF;
    ELSIF t = 'invoice_line' THEN
        EXECUTE revrec._citus_local($q$
            SELECT i.invoice_id FROM {invoice} i WHERE i.customer_id = $1 AND i.invoice_id = $2
               AND (i.status = 'void'
                    OR EXISTS (SELECT 1 FROM {posting} p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                  AND p.source_id = i.invoice_id AND p.reason = 'issue'))
               FOR SHARE OF i$q$, sid) INTO v USING o ->> 'customer_id', o ->> 'invoice_id';
        IF v IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV013',
                MESSAGE = pg_catalog.format('DELETE of invoice_line on posted invoice %s is not allowed', v),
                HINT = 'Correct a posted invoice with a credit note, a void or a manual journal.';
        END IF;
    ELSIF t = 'credit_note' THEN
        EXECUTE revrec._citus_local($q$
            SELECT $2 FROM {posting} p WHERE p.customer_id = $1 AND p.source = 'credit_note' AND p.source_id = $2
             LIMIT 1$q$, sid) INTO v USING o ->> 'customer_id', o ->> 'credit_note_id';
        IF v IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV013', MESSAGE = pg_catalog.format('credit note %s is posted and cannot be deleted', v);
        END IF;
    ELSIF t = 'billing_schedule_line' THEN
        EXECUTE revrec._citus_local($q$
            SELECT $2 FROM {posting} p WHERE p.customer_id = $1 AND p.source = 'billing_schedule' AND p.source_id = $2
             LIMIT 1$q$, sid) INTO v USING o ->> 'customer_id', o ->> 'schedule_line_id';
        IF v IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV013', MESSAGE = pg_catalog.format('billing schedule line %s is posted and cannot change', v);
        END IF;
    END IF;
    RETURN OLD;
END $$;

-- BEFORE INSERT OR UPDATE, for each row, on the shards of credit_grant: a
-- grant's amount in its currency (RV001/RV002/RV003), checked before its
-- currency's foreign key as a single node's BEFORE trigger does
-- (55_credit_notes.sql).  No table is read.
CREATE OR REPLACE FUNCTION revrec._citus_capture_grant() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    PERFORM revrec.to_minor_units(NEW.amount, NEW.currency);
    RETURN NEW;
END $$;

-- A change of the lock through the coordinator (src/citus.c, after the
-- UPDATE of revrec.settings): the settings trigger fires on the reference
-- table's placements, where it cannot write the activity log; the coordinator
-- checks and logs the change once, as the trigger does on a single node
-- (32_settings.sql).  SECURITY DEFINER as that trigger: the role checked is
-- the caller's.
CREATE OR REPLACE FUNCTION revrec._citus_settings_change(old_lock date, old_to_accounting boolean, new_lock date,
                                                         new_to_accounting boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    back boolean := old_lock IS NOT NULL AND (new_lock IS NULL OR new_lock < old_lock);
BEGIN
    IF new_lock IS DISTINCT FROM old_lock OR new_to_accounting IS DISTINCT FROM old_to_accounting THEN
        IF back AND NOT pg_has_role(revrec._outer_role(), 'revrec_admin', 'MEMBER') THEN
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = format('revrec_admin is required to move the lock date back (from %s)', old_lock),
                HINT = 'Ask a member of revrec_admin; moving the lock back is recorded in revrec.activity_log.';
        END IF;
        INSERT INTO revrec.activity (action, detail)
        VALUES (CASE WHEN back THEN 'lock moved back' ELSE 'lock' END,
                format('lock_date %s -> %s, lock_to_accounting_date %s -> %s',
                       coalesce(old_lock::text, 'none'), coalesce(new_lock::text, 'none'),
                       old_to_accounting, new_to_accounting));
    END IF;
END $$;

-- After each statement that wrote documents through the coordinator
-- (src/citus.c), and again at commit before the posting keys are read: the
-- ids and numbers the statement wrote or freed, and the parents its rows name
-- that their customer does not have, as revrec._citus_capture() queued them
-- on the shards.  Taken with DELETE ... RETURNING: only what this reads is
-- removed.
--   ids and numbers: revrec.doc_key holds one row per document id (and
--   invoice or credit-note number) of every customer, distributed by the id:
--   a single node's primary key or unique index across customers.  An id
--   another customer holds is refused with the single node's error (23505);
--   one another transaction has written and not committed makes this one
--   wait (the insert into doc_key), then fail if that one commits.
--   parents: another customer's parent is the single node's RV014 (a line's
--   customer is not its invoice's), none at all its foreign-key error (23503).
CREATE OR REPLACE FUNCTION revrec._citus_statement() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c    text[];
    k    text[];
    d    text[];
    refs text[];
    ops  text[];
    mk   text[];
    mid  text[];
    mc   text[];
    pk   text[];
    pid  text[];
    pc   text[];
    gone text[];
    dkind text;
    did  text;
    r    record;
BEGIN
    WITH x AS (DELETE FROM revrec.citus_queue q WHERE q.doc_kind IN ('key', 'ref')
               RETURNING q.customer_id, q.doc_kind, q.doc_id, q.ref, q.op, q.seq)
    SELECT array_agg(x.customer_id ORDER BY x.seq), array_agg(x.doc_kind ORDER BY x.seq), array_agg(x.doc_id ORDER BY x.seq),
           array_agg(x.ref ORDER BY x.seq), array_agg(x.op ORDER BY x.seq)
      INTO c, k, d, refs, ops
      FROM x;
    IF c IS NULL THEN
        RETURN;
    END IF;
    IF 'key' = ANY (k) THEN
        -- what the statement did to each key, net (a rename within the statement cancels out)
        SELECT array_agg(z.kind) FILTER (WHERE z.s < 0), array_agg(z.id) FILTER (WHERE z.s < 0), array_agg(z.cust) FILTER (WHERE z.s < 0),
               array_agg(z.kind) FILTER (WHERE z.s > 0), array_agg(z.id) FILTER (WHERE z.s > 0), array_agg(z.cust) FILTER (WHERE z.s > 0)
          INTO mk, mid, mc, pk, pid, pc
          FROM (SELECT x.ref AS kind, x.d AS id, x.c AS cust, sum(CASE x.op WHEN '+' THEN 1 ELSE -1 END) AS s
                  FROM unnest(c, k, d, refs, ops) AS x(c, k, d, ref, op)
                 WHERE x.k = 'key'
                 GROUP BY x.ref, x.d, x.c) z;
        IF mid IS NOT NULL THEN
            -- (conditions on arrays only: Citus prunes shards by the ids and
            -- ships no intermediate result)
            gone := ARRAY(SELECT x.k || chr(1) || x.i || chr(1) || x.c FROM unnest(mk, mid, mc) AS x(k, i, c));
            DELETE FROM revrec.doc_key dk
             WHERE dk.id = ANY (mid) AND dk.kind || chr(1) || dk.id || chr(1) || dk.customer_id = ANY (gone);
        END IF;
        IF pid IS NOT NULL THEN
            -- (a plain INSERT ... SELECT: Citus copies the rows into the
            -- shards; with ON CONFLICT it would insert shard by shard, 30
            -- times slower.  An id another transaction has written and not
            -- committed: the insert waits for it.)
            BEGIN
                INSERT INTO revrec.doc_key (kind, id, customer_id)
                SELECT * FROM unnest(pk, pid, pc);
            EXCEPTION WHEN OTHERS THEN
                -- (Citus's COPY into the shards reports the unique violation as XX000)
                IF NOT (SQLSTATE = '23505' OR SQLERRM LIKE 'duplicate key value violates unique constraint "doc\_key\_pkey%') THEN
                    RAISE;
                END IF;
                -- which id, and whose (doc_key read with an array Citus prunes
                -- shards by, matched here); ids this customer holds already
                -- (none, unless doc_key was written by hand) are kept as they are
                SELECT x.kind, x.id INTO dkind, did
                  FROM unnest(pk, pid, pc) AS x(kind, id, cust)
                  JOIN (SELECT dk.kind, dk.id, dk.customer_id FROM revrec.doc_key dk WHERE dk.id = ANY (pid) OFFSET 0) dk
                    ON dk.kind = x.kind AND dk.id = x.id AND dk.customer_id <> x.cust
                 ORDER BY x.kind, x.id
                 LIMIT 1;
                IF did IS NULL THEN
                    INSERT INTO revrec.doc_key (kind, id, customer_id)
                    SELECT * FROM unnest(pk, pid, pc)
                    ON CONFLICT DO NOTHING;
                END IF;
            END;
            IF did IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = '23505',
                    MESSAGE = format('duplicate key value violates unique constraint "%s"',
                                     CASE WHEN dkind LIKE '%\_number' THEN dkind || '_unique' ELSE dkind || '_pkey' END),
                    DETAIL = format('Key (%s)=(%s) already exists.',
                                    CASE dkind WHEN 'invoice' THEN 'invoice_id' WHEN 'invoice_line' THEN 'line_id'
                                                WHEN 'usage' THEN 'usage_id' WHEN 'milestone' THEN 'milestone_id'
                                                WHEN 'credit_note' THEN 'credit_note_id' WHEN 'credit_note_line' THEN 'credit_note_line_id'
                                                WHEN 'credit_grant' THEN 'grant_id' WHEN 'billing_schedule_line' THEN 'schedule_line_id'
                                                ELSE dkind END,
                                    did),
                    SCHEMA = 'revrec',
                    TABLE = CASE WHEN dkind LIKE '%\_number' THEN split_part(dkind, '_number', 1) ELSE dkind END;
            END IF;
        END IF;
    END IF;
    IF 'ref' = ANY (k) THEN
        SELECT array_agg(DISTINCT x.d) INTO pid FROM unnest(k, d) AS x(k, d) WHERE x.k = 'ref';
        SELECT x.c AS cust, x.d AS parent, x.ref AS child, x.op AS what, dk.customer_id AS owner INTO r
          FROM unnest(c, k, d, refs, ops) AS x(c, k, d, ref, op)
          LEFT JOIN (SELECT dk.kind, dk.id, dk.customer_id FROM revrec.doc_key dk WHERE dk.id = ANY (pid) OFFSET 0) dk
                 ON dk.kind = CASE x.op WHEN 'invoice_line.invoice_id' THEN 'invoice' WHEN 'usage.line_id' THEN 'invoice_line' END
                AND dk.id = x.d
         WHERE x.k = 'ref' AND (dk.customer_id IS NULL OR dk.customer_id <> x.c)
         ORDER BY x.ref
         LIMIT 1;
        IF FOUND THEN
            IF r.owner IS NOT NULL AND r.what = 'invoice_line.invoice_id' THEN
                RAISE EXCEPTION USING ERRCODE = 'RV014',
                    MESSAGE = format('line %s has customer_id %s but invoice %s belongs to %s', r.child, r.cust, r.parent, r.owner);
            ELSIF r.owner IS NOT NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'RV014',
                    MESSAGE = format('usage %s has customer_id %s but line %s belongs to %s', r.child, r.cust, r.parent, r.owner),
                    HINT = 'On a distributed revrec a row carries its parent''s customer_id (docs/CITUS.md).';
            ELSIF r.what = 'invoice_line.invoice_id' THEN
                RAISE EXCEPTION USING ERRCODE = '23503',
                    MESSAGE = 'insert or update on table "invoice_line" violates foreign key constraint "invoice_line_invoice_id_fkey"',
                    DETAIL = format('Key (invoice_id)=(%s) is not present in table "invoice".', r.parent);
            ELSE
                RAISE EXCEPTION USING ERRCODE = '23503',
                    MESSAGE = 'insert or update on table "usage" violates foreign key constraint "usage_line_id_fkey"',
                    DETAIL = format('Key (line_id)=(%s) is not present in table "invoice_line".', r.parent);
            END IF;
        END IF;
    END IF;
END $$;

-- At commit, on the coordinator (src/flush.c, before revrec.flush()): the
-- keys queued on the shards move into revrec.pending, as a single node's
-- triggers would have queued them.  They are read with DELETE ... RETURNING:
-- exactly the rows read are removed (this transaction's, and any committed
-- earlier and left over), never rows another transaction commits meanwhile.
-- Usage is queued only for invoices already posted (the others read their
-- usage when they post), credit notes only while issued or void.
CREATE OR REPLACE FUNCTION revrec._citus_pull() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c text[];
    k text[];
    d text[];
    o date[];
    n date[];
    sc text[];
    sd text[];
    su bigint[];
    requeued boolean := false;
    my_txn bigint;
    r record;
BEGIN
    -- ids and references of a statement the coordinator's hook did not see
    PERFORM revrec._citus_statement();
    WITH x AS (DELETE FROM revrec.citus_queue q RETURNING q.customer_id, q.doc_kind, q.doc_id, q.old_date, q.new_date, q.seq)
    SELECT array_agg(x.customer_id ORDER BY x.seq), array_agg(x.doc_kind ORDER BY x.seq), array_agg(x.doc_id ORDER BY x.seq),
           array_agg(x.old_date ORDER BY x.seq), array_agg(x.new_date ORDER BY x.seq)
      INTO c, k, d, o, n
      FROM x;
    IF c IS NULL THEN
        RETURN;
    END IF;
    -- (the checks of a single node's document triggers, including those of
    -- posted documents, ran on the shards: revrec._citus_capture())

    -- a void's day, as a single node's BEFORE trigger gives it (40_documents.sql):
    -- the void day when left out, and never before the document's date
    -- (their capture queues them again: those rows, this transaction's,
    -- are deleted below)
    -- (one UPDATE per document, by its key and with the day computed here:
    -- Citus does not push a function over columns into an UPDATE)
    -- (read with arrays Citus prunes shards by; the few found matched here)
    IF 'invoice' = ANY (k) THEN
        SELECT array_agg(DISTINCT x.c), array_agg(DISTINCT x.d) INTO sc, sd FROM unnest(c, k, d) AS x(c, k, d) WHERE x.k = 'invoice';
        FOR r IN SELECT i.customer_id, i.invoice_id, i.void_date, i.accounting_date FROM revrec.invoice i
                  WHERE i.customer_id = ANY (sc) AND i.invoice_id = ANY (sd)
                    AND i.status = 'void' AND (i.void_date IS NULL OR i.void_date < i.accounting_date)
                  ORDER BY i.invoice_id LOOP
            CONTINUE WHEN NOT EXISTS (SELECT 1 FROM unnest(c, k, d) AS x(c, k, d)
                                       WHERE x.k = 'invoice' AND x.c = r.customer_id AND x.d = r.invoice_id);
            UPDATE revrec.invoice SET void_date = revrec._void_day('invoice', r.invoice_id, r.void_date, r.accounting_date, 'accounting date')
             WHERE customer_id = r.customer_id AND invoice_id = r.invoice_id;
            requeued := true;
        END LOOP;
    END IF;
    IF 'credit_note' = ANY (k) THEN
        SELECT array_agg(DISTINCT x.c), array_agg(DISTINCT x.d) INTO sc, sd FROM unnest(c, k, d) AS x(c, k, d) WHERE x.k = 'credit_note';
        FOR r IN SELECT cn.customer_id, cn.credit_note_id, cn.void_date, cn.credit_date FROM revrec.credit_note cn
                  WHERE cn.customer_id = ANY (sc) AND cn.credit_note_id = ANY (sd)
                    AND cn.status = 'void' AND (cn.void_date IS NULL OR cn.void_date < cn.credit_date)
                  ORDER BY cn.credit_note_id LOOP
            CONTINUE WHEN NOT EXISTS (SELECT 1 FROM unnest(c, k, d) AS x(c, k, d)
                                       WHERE x.k = 'credit_note' AND x.c = r.customer_id AND x.d = r.credit_note_id);
            UPDATE revrec.credit_note SET void_date = revrec._void_day('credit note', r.credit_note_id, r.void_date, r.credit_date, 'credit date')
             WHERE customer_id = r.customer_id AND credit_note_id = r.credit_note_id;
            requeued := true;
        END LOOP;
    END IF;
    IF requeued THEN
        -- what those UPDATEs queued again: this distributed transaction's rows only
        SELECT g.transaction_number INTO my_txn FROM pg_catalog.get_current_transaction_id() g;
        DELETE FROM revrec.citus_queue q WHERE q.customer_id = ANY (c) AND q.txn = my_txn;
    END IF;
    INSERT INTO revrec.pending (customer_id, doc_kind, doc_id, old_date, new_date)
    SELECT x.c, x.k, x.d, x.o, x.n FROM unnest(c, k, d, o, n) AS x(c, k, d, o, n)
     WHERE x.k NOT IN ('usage', 'credit_note');
    IF 'usage' = ANY (k) THEN
        SELECT array_agg(DISTINCT x.c), array_agg(DISTINCT x.d::bigint) INTO sc, su
          FROM unnest(c, k, d) AS x(c, k, d) WHERE x.k = 'usage';
        INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
        SELECT z.customer_id, 'usage', z.usage_id
          FROM unnest(c, k, d) AS x(c, k, d)
          JOIN (SELECT u.customer_id, u.usage_id::text AS usage_id
                  FROM revrec.usage u
                  JOIN revrec.invoice_line l ON l.customer_id = u.customer_id AND l.line_id = u.line_id
                  JOIN revrec.invoice i ON i.customer_id = l.customer_id AND i.invoice_id = l.invoice_id
                 WHERE u.customer_id = ANY (sc) AND u.usage_id = ANY (su)
                   AND i.status = 'issued'
                   AND EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                  AND p.source_id = i.invoice_id AND p.reason = 'issue')
                OFFSET 0) z ON z.customer_id = x.c AND z.usage_id = x.d
         WHERE x.k = 'usage';
    END IF;
    IF 'credit_note' = ANY (k) THEN
        INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
        SELECT DISTINCT cn.customer_id, 'credit_note', cn.credit_note_id
          FROM revrec.credit_note cn
         WHERE (cn.customer_id, cn.credit_note_id) IN (SELECT x.c, x.d FROM unnest(c, k, d) AS x(c, k, d) WHERE x.k = 'credit_note')
           AND cn.status IN ('issued', 'void');
    END IF;
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
DECLARE
    r record;
BEGIN
    IF pg_catalog.to_regclass('revrec.citus_queue') IS NULL THEN
        RETURN;
    END IF;
    IF NOT pg_catalog.citus_is_coordinator() THEN
        -- a worker: Citus runs the update here after the coordinator's, with
        -- propagation off; the update's objects enabled the document
        -- triggers of the tables' shells here (not of the shards, which the
        -- update leaves alone): disabled again, as distribute() left them
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
        PERFORM revrec._citus_rights();   -- the shells' (the shards are left as they are)
        RETURN;
    END IF;
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'on', true);
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);   -- as distribute() does
    PERFORM revrec._citus_triggers();
    PERFORM revrec._distribute_overlay();
    PERFORM revrec._citus_rights();
END $$;
