-- Citus (docs/CITUS.md, "The document rules on Citus"): what fires on the
-- shards of a distributed revrec, on the workers: the capture triggers, which
-- make the single node's document checks that need only one customer's
-- documents and queue the keys the coordinator posts at commit.

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
--   3. queues, in the co-located shard of revrec.citus_queue, the keys a
--      single node's triggers queue for posting (read at commit, on this
--      worker, by revrec._citus_pull()), and notes in this backend's memory
--      for the transaction (revrec._citus_note(), src/citus_shard.c) the
--      document ids and numbers written or freed ('key', kept unique across
--      customers in revrec.doc_key) and the references to a parent this
--      customer does not have ('ref'), which the coordinator reads after the
--      statement (revrec._citus_keys(), src/citus.c).
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
    grp  boolean;   -- the shard group has its row in revrec.citus_group
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
    IF sel IS NOT NULL AND sel <> '' THEN
        -- (and whether the coordinator's commit reaches this shard group: it
        -- posts the groups that have a row in revrec.citus_group)
        EXECUTE revrec._citus_local(pg_catalog.format(
            'WITH q AS (INSERT INTO {citus_queue} (customer_id, doc_kind, doc_id, old_date, new_date, ref, op, seq, txn)
             SELECT x.customer_id, x.k, x.d, x.o, x.n, x.ref, x.op,
                    (pg_catalog.date_part(''epoch'', pg_catalog.clock_timestamp()) * 1000000)::bigint, %s
               FROM (%s) x(customer_id, k, d, o, n, ref, op) RETURNING 1)
             SELECT EXISTS (SELECT 1 FROM {citus_group})', txn, 'SELECT * FROM (' || sel || ') s'), sid) INTO grp;
        IF NOT grp THEN
            RAISE EXCEPTION USING ERRCODE = 'RV060',
                MESSAGE = pg_catalog.format('revrec: the shard group of revrec.%s (shard %s) has no row in revrec.citus_group: its documents would not post', t, sid),
                DETAIL = 'The shards were split after revrec.distribute(). Nothing was written.',
                HINT = 'Run SELECT revrec.distribute() again on the coordinator, as a superuser (docs/CITUS.md, "Adding nodes, moving and splitting shards").';
        END IF;
    END IF;
    -- the ids and references: noted in this backend's memory for the
    -- transaction (src/citus_shard.c), read by the coordinator
    keys := pg_catalog.concat_ws(' UNION ALL ',
        'SELECT k.customer_id, ''key'', k.id, k.kind, k.op FROM (' || keys || ') k(customer_id, id, kind, op)',
        'SELECT r.customer_id, ''ref'', r.parent, r.child, r.what FROM (' || refs || ') r(customer_id, parent, child, what)');
    IF keys <> '' THEN
        EXECUTE revrec._citus_local(pg_catalog.format(
            'SELECT revrec._citus_note(%s, array_agg(x.c), array_agg(x.k), array_agg(x.d), array_agg(x.ref), array_agg(x.op))
               FROM (%s) x(c, k, d, ref, op) HAVING count(*) > 0',
            (SELECT s.shardminvalue::integer FROM pg_catalog.pg_dist_shard s WHERE s.shardid = sid), keys), sid);
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


-- Fires on the placements of the reference tables (products, currencies,
-- ledger accounts, GL mappings, settings), on every node: a write there not
-- made in a distributed transaction of the coordinator (a role connected to a
-- worker, writing that worker's copy) would leave the copies different, and
-- the posting on that worker would read its own (the lock, an account).
-- Refused as documents written on a worker are (RV064).  Like that check it
-- stops a mistake, not a role able to connect to a worker and forge Citus's
-- transaction id (assign_distributed_transaction_id): let revrec's roles
-- reach the workers only from the coordinator (docs/CITUS.md, "Roles on
-- Citus").  An ORIGIN trigger: Citus's own copies of a placement (a node
-- added, a shard moved) run in replica mode.
CREATE OR REPLACE FUNCTION revrec._citus_reference_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ini integer;
    txn bigint;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    SELECT g.initiator_node_identifier, g.transaction_number INTO ini, txn FROM pg_catalog.get_current_transaction_id() g;
    IF ini IS DISTINCT FROM 0 OR coalesce(txn, 0) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'RV064',
            MESSAGE = pg_catalog.format('revrec: %s on %s.%s outside a transaction of the Citus coordinator', TG_OP,
                                        TG_TABLE_SCHEMA, TG_TABLE_NAME),
            DETAIL = 'A reference table written on one node directly would differ from its copies on the others.',
            HINT = 'Write it through the coordinator (docs/CITUS.md).';
    END IF;
    RETURN NULL;
END $$;
