-- Citus (docs/CITUS.md, "Posting on Citus"): what the coordinator does with
-- what the shards queued: after each statement (ids unique across customers,
-- references), at commit (the keys into revrec.pending for flush()), and on
-- a lock change (the activity log).

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

-- After each statement that wrote documents through the coordinator, and
-- at commit (src/citus.c, rr_citus_check_keys()): the ids and numbers the
-- statements wrote or freed, and the parents their rows name that their
-- customer does not have, as the capture noted them on the workers (read by
-- the coordinator with revrec._citus_keys() as the writing role).  Run as
-- revrec's owner from C, executable by nobody else.
--   ids and numbers: revrec.doc_key holds one row per document id (and
--   invoice or credit-note number) of every customer, distributed by the id:
--   a single node's primary key or unique index across customers.  An id
--   another customer holds is refused with the single node's error (23505);
--   one another transaction has written and not committed makes this one
--   wait (the insert into doc_key), then fail if that one commits.
--   parents: another customer's parent is the single node's RV014 (a line's
--   customer is not its invoice's), none at all its foreign-key error (23503).
CREATE OR REPLACE FUNCTION revrec._citus_apply_keys(c text[], k text[], d text[], refs text[], ops text[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
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

-- On a worker, posting one shard group (src/citus_shard.c): runs
-- revrec._citus_pull() and revrec.flush() against the group's shards, and
-- returns the activity rows of everything the transaction posted in the
-- group after the caller's high-water mark (after[the group's place]).
-- Pushed down by the coordinator's commit as the role that wrote the
-- documents (src/citus.c, rr_citus_commit(), which keeps the marks), so
-- revrec_writer may execute it: called directly (refused on the coordinator
-- outside the commit), it only posts that role's own transaction's
-- documents, early, and takes nothing away from what the commit logs.
DROP FUNCTION IF EXISTS revrec._citus_post_group(regclass);
CREATE OR REPLACE FUNCTION revrec._citus_post_group(anchor regclass, after bigint[])
    RETURNS TABLE (grp bigint, seq bigint, action text, source text, document_id text, customer_id text,
                   currency text, entries bigint, amount numeric)
    LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_citus_post_group';

-- The capture's notes of ids and references (src/citus_shard.c): written
-- by the capture only; read by the coordinator, as the writing role, after
-- each statement and at commit (reading takes nothing away).
CREATE OR REPLACE FUNCTION revrec._citus_note(group_min integer, customers text[], kinds text[], ids text[],
                                              refs text[], ops text[]) RETURNS void
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_citus_note';
CREATE OR REPLACE FUNCTION revrec._citus_keys(anchor regclass, after bigint[])
    RETURNS TABLE (grp bigint, seq bigint, customer_id text, kind text, doc_id text, ref text, op text)
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_citus_keys';

-- On a worker, in shard mode (revrec._citus_post_group()): the keys queued
-- in the group's shard of revrec.citus_queue move into revrec.pending, as a
-- single node's triggers would have queued them.  They are read with DELETE ... RETURNING:
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


-- A child row written through the coordinator without its customer_id (a
-- line, usage, a milestone, a credit-note line): a single node fills it in
-- from the parent (60_document_triggers.sql); Citus must know it to route the
-- row.  The coordinator's planner hook (src/citus.c, fill_customer()) writes
-- customer_id = revrec._citus_parent_customer(kind, parent id) into the
-- INSERT's VALUES, which Citus evaluates on the coordinator before routing
-- each row.  The parent's customer comes from revrec.doc_key (one row per id,
-- distributed by the id: one shard read), which holds the parents written
-- earlier in this transaction too; read as revrec's owner, who writes it
-- (src/citus.c: Citus shows a role's uncommitted rows on that role's
-- connections only).  NULL for an unknown parent: Citus then refuses the
-- row (its partition column is null), with revrec's hint.
CREATE OR REPLACE FUNCTION revrec._citus_parent_customer(p_kind text, p_id text) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_kind NOT IN ('invoice', 'invoice_line', 'credit_note') OR p_id IS NULL
       OR pg_catalog.to_regclass('revrec.doc_key') IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT k.customer_id FROM revrec.doc_key k WHERE k.id = p_id AND k.kind = p_kind);
END $$;
