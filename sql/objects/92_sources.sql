-- Sources: revrec attached to a billing system's own tables (README "Sources",
-- docs/ARCHITECTURE.md "Sources").
--
-- attach_source() puts two statement-level triggers (insert, update) on each
-- source table; they only record (source, document, key) in
-- revrec._source_change, so the billing system's write costs one INSERT per
-- statement and never fails because of revrec.  At the end of that
-- transaction a deferred trigger maps the recorded documents: each one in its
-- own subtransaction that writes revrec's documents *and posts them there*
-- (revrec.flush()), so a refusal (unknown currency, too many decimals, a
-- credit over what is left, ...) rolls back only that document and lands in
-- revrec.source_error; the billing transaction commits either way.  Mapping is
-- a reconciliation: the source row's current state is compared with what
-- revrec holds, and only the difference is written (a new document, a void,
-- a credit note, lines added later as their own document), so re-deliveries,
-- unchanged upserts and replays post nothing twice; a posted line that changed
-- in the source is refused (RV051), never edited.

-- Which tables of a source are followed, and the document each row belongs to.
CREATE OR REPLACE FUNCTION revrec._source_tables(kind text)
    RETURNS TABLE (table_name text, document text, key_column text)
    LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT t.table_name, t.document, t.key_column
      FROM (VALUES ('stripe', 'invoices', 'invoice', 'id'),
                   ('stripe', 'credit_notes', 'credit_note', 'id'),
                   ('killbill', 'invoices', 'invoice', 'id'),
                   ('killbill', 'invoice_items', 'invoice', 'invoice_id'),
                   ('lago', 'invoices', 'invoice', 'id'),
                   ('lago', 'fees', 'invoice', 'invoice_id'),
                   ('lago', 'credit_notes', 'credit_note', 'id'),
                   ('lago', 'credit_note_items', 'credit_note', 'credit_note_id'))
           AS t (kind, table_name, document, key_column)
     WHERE t.kind = _source_tables.kind;
END;

-- The capture trigger on a source table (statement level, insert or update):
-- records the keys of the documents the statement touched.
CREATE OR REPLACE FUNCTION revrec._source_capture() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s revrec.source;
BEGIN
    SELECT * INTO s FROM revrec.source WHERE kind = TG_ARGV[0];
    -- fires only on a table attach_source() attached: never on a table
    -- someone else put this trigger on
    IF s.kind IS NULL OR TG_NARGS <> 3 OR TG_TABLE_SCHEMA <> s.source_schema
       OR NOT EXISTS (SELECT 1 FROM revrec._source_tables(s.kind) t
                       WHERE t.table_name = TG_TABLE_NAME AND t.document = TG_ARGV[1] AND t.key_column = TG_ARGV[2]) THEN
        IF TG_NAME IN ('revrec_capture_ins', 'revrec_capture_upd') AND TG_NARGS = 3 THEN
            -- a trigger attach_source() put there, on a table renamed or
            -- moved since, or of a source detached since: the billing
            -- system's write goes on, nothing is recorded
            RAISE WARNING USING ERRCODE = '01000',
                MESSAGE = format('revrec does not follow %I.%I (not a table of an attached source any more): nothing recorded', TG_TABLE_SCHEMA, TG_TABLE_NAME),
                HINT = 'revrec.detach_source() removes its triggers; revrec.attach_source() follows the tables of a schema again.';
            RETURN NULL;
        END IF;
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('revrec._source_capture() fires only on the tables of an attached source (not on %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    END IF;
    BEGIN
        PERFORM revrec._source_guard_rel(TG_RELID);
        EXECUTE format('INSERT INTO revrec._source_change (source, document, key)
                        SELECT DISTINCT $1, $2, n.%I::text FROM new_rows n WHERE n.%I IS NOT NULL', TG_ARGV[2], TG_ARGV[2])
          USING s.kind, TG_ARGV[1];
        IF coalesce(s.options->>'map', 'commit') = 'commit' THEN
            INSERT INTO revrec._source_flush VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        -- the billing system's write goes on; sync_source() replays the row
        RAISE WARNING 'revrec could not record a change of %.%: %', TG_TABLE_SCHEMA, TG_TABLE_NAME, SQLERRM;
    END;
    RETURN NULL;
END $$;

-- revrec reads the source tables as its definer (a superuser), and the
-- billing role owns them: a view in their place, a child table, or a column
-- of a type the billing role owns (with its own cast to json or text, which
-- to_jsonb() and ::text run) would run the billing role's code with revrec's
-- rights.  A source table must be a plain table without children whose
-- columns are of types a superuser owns (domains: of such a base type;
-- enums of any owner without a cast of their own);
-- otherwise 42501.  Locked first (ACCESS SHARE, NOWAIT: 55P03), so that no
-- other session changes it between this check and the read.
CREATE OR REPLACE FUNCTION revrec._source_guard_rel(rel regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad text;
BEGIN
    -- NOWAIT: a billing commit never waits here for a migration of another
    -- source table (the batch stays queued, with a warning, for sync_source)
    EXECUTE format('LOCK TABLE %s IN ACCESS SHARE MODE NOWAIT', rel);
    SELECT CASE WHEN c.relkind <> 'r' THEN 'it is not a plain table'
                WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid) THEN 'it has child tables'
           END INTO bad
      FROM pg_catalog.pg_class c WHERE c.oid = rel;
    IF bad IS NULL THEN
        WITH RECURSIVE t (attname, typ) AS (
            SELECT a.attname::text, a.atttypid FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
            UNION
            -- a domain stands for its base type, an array for its elements
            SELECT t.attname, CASE WHEN y.typtype = 'd' THEN y.typbasetype ELSE y.typelem END
              FROM t JOIN pg_catalog.pg_type y ON y.oid = t.typ
             WHERE y.typtype = 'd' OR (y.typelem <> 0 AND y.typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc))
        SELECT format('column %I is of type %s, owned by %s', t.attname, t.typ::pg_catalog.regtype, r.rolname) INTO bad
          FROM t JOIN pg_catalog.pg_type y ON y.oid = t.typ JOIN pg_catalog.pg_roles r ON r.oid = y.typowner
         WHERE NOT r.rolsuper
           -- an enum reads through the built-in enum_out unless its owner
           -- gave it a cast (to json or text: to_jsonb() and ::text use it);
           -- older sync engines create their enums as the billing role
           AND (y.typtype NOT IN ('d', 'e') OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast k WHERE k.castsource = t.typ))
         LIMIT 1;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('revrec does not read source table %s: %s', rel, bad),
            HINT = 'A source table must be a plain table without child tables, its columns of built-in types, types a superuser owns, or enums without casts of their own.';
    END IF;
END $$;

-- Every table of a source revrec reads (the customers of Lago too).
CREATE OR REPLACE FUNCTION revrec._source_guard(s revrec.source) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rel regclass;
BEGIN
    FOR rel IN SELECT DISTINCT to_regclass(format('%I.%I', s.source_schema, x.table_name))
                 FROM (SELECT t.table_name FROM revrec._source_tables(s.kind) t
                       UNION ALL SELECT 'customers' WHERE s.kind = 'lago') x LOOP
        IF rel IS NOT NULL THEN
            PERFORM revrec._source_guard_rel(rel);
        END IF;
    END LOOP;
END $$;

-- A source amount in minor units as an exact amount with exp decimals.
CREATE OR REPLACE FUNCTION revrec._source_amount(minor numeric, exp integer) RETURNS numeric
    LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT round(minor / (10::numeric ^ exp), exp + greatest(scale(minor), 0));
END;

-- An amount with as many decimals as its currency has, when its value allows
-- (Kill Bill's numeric(15,9)); otherwise unchanged, for revrec to refuse (RV002).
CREATE OR REPLACE FUNCTION revrec._source_exact(amount numeric, currency text) RETURNS numeric
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT CASE WHEN amount = round(amount, c.exponent) THEN round(amount, c.exponent) ELSE amount END
      FROM revrec.currency c WHERE c.code = currency;
END;

-- A moment as a date in the source's time zone (option "timezone", UTC).
CREATE OR REPLACE FUNCTION revrec._source_date(ts timestamptz, tz text) RETURNS date
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT (ts AT TIME ZONE coalesce(tz, 'UTC'))::date;
END;

-- The revrec product of a source product (option "products": {"source id":
-- "revrec id"}; "default_product" for lines without one).
CREATE OR REPLACE FUNCTION revrec._source_product(opts jsonb, src text) RETURNS text
    LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT coalesce(opts->'products'->>src, src, opts->>'default_product', 'unmapped');
END;

-- Post now what this transaction queued: revrec's commit trigger
-- (flush_at_commit) fired at once, so it is not left to fire again at
-- commit; nothing queued, nothing runs.
CREATE OR REPLACE FUNCTION revrec._source_flush_now() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    SET CONSTRAINTS revrec.flush_at_commit IMMEDIATE;
    SET CONSTRAINTS revrec.flush_at_commit DEFERRED;
END $$;

-- Post what the mapping wrote: now, unless a batch of documents is being
-- mapped (revrec.source_batch = on, _source_map_all): then once at the end of
-- the batch, whose failure maps each of its documents again on its own.
CREATE OR REPLACE FUNCTION revrec._source_post() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF coalesce(current_setting('revrec.source_batch', true), '') <> 'on' THEN
        PERFORM revrec._source_flush_now();
    END IF;
END $$;

-- In a batch, new invoices and their lines are staged in temporary tables and
-- written with one INSERT each at the end of the batch (revrec checks
-- references and lines once per statement), or before anything reads them.
CREATE OR REPLACE FUNCTION revrec._source_batching() RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(current_setting('revrec.source_batch', true), '') = 'on';
END;

-- The staging tables are the session's temporary tables, and the session's
-- role may have created tables of those names first (with a trigger, a rule,
-- rows of its own): revrec uses only the ones it created itself (owned by the
-- role revrec's mapping runs as, plain, without triggers or rules).
-- true: both are revrec's; false: neither exists; else 42501.
CREATE OR REPLACE FUNCTION revrec._source_staging_ours() RETURNS boolean
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n_ours integer;
    n_any  integer;
BEGIN
    SELECT count(*), count(*) FILTER (WHERE c.relowner = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)
                                          AND c.relkind = 'r' AND NOT c.relhastriggers AND NOT c.relhasrules)
      INTO n_any, n_ours
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = pg_catalog.pg_my_temp_schema() AND c.relname IN ('revrec_source_invoice', 'revrec_source_line');
    IF n_any = 0 THEN
        RETURN false;
    ELSIF n_ours = 2 AND n_any = 2 THEN
        RETURN true;
    END IF;
    RAISE EXCEPTION USING ERRCODE = '42501',
        MESSAGE = 'this session has temporary tables named revrec_source_invoice or revrec_source_line that revrec did not create',
        HINT = 'Drop them: revrec stages the documents of a batch there.';
END $$;

CREATE OR REPLACE FUNCTION revrec._source_stage() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF revrec._source_staging_ours() THEN
        RETURN;
    END IF;
    CREATE TEMP TABLE revrec_source_invoice (
        invoice_id text, invoice_number text, customer_id text, currency text, accounting_date date) ON COMMIT DROP;
    CREATE TEMP TABLE revrec_source_line (
        seq bigserial, line_id text, invoice_id text, customer_id text, product_id text, amount numeric, kind text,
        group_id text, billing text, service_start date, service_end date, recognition_method text, recognize_on date,
        grant_id text, description text) ON COMMIT DROP;
END $$;

CREATE OR REPLACE FUNCTION revrec._source_unstage() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF to_regclass('pg_temp.revrec_source_invoice') IS NULL THEN
        RETURN;   -- (checked alone: the next statement is planned only if the table exists)
    END IF;
    BEGIN
        IF NOT revrec._source_staging_ours() THEN RETURN; END IF;
    EXCEPTION WHEN insufficient_privilege THEN
        RETURN;   -- the session's own tables: nothing of revrec's is staged there
    END;
    IF NOT EXISTS (SELECT 1 FROM pg_temp.revrec_source_invoice) THEN
        RETURN;
    END IF;
    INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
    SELECT invoice_id, invoice_number, customer_id, currency, accounting_date, 'issued' FROM pg_temp.revrec_source_invoice;
    INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, kind, group_id, billing,
                                     service_start, service_end, recognition_method, recognize_on, grant_id, description)
    SELECT line_id, invoice_id, customer_id, product_id, amount, kind, group_id, billing,
           service_start, service_end, recognition_method, recognize_on, grant_id, description
      FROM pg_temp.revrec_source_line ORDER BY seq;
    TRUNCATE pg_temp.revrec_source_invoice, pg_temp.revrec_source_line;
END $$;

-- Whether the revrec document (invoice or credit_note) was written by
-- source src (revrec._source_document).
CREATE OR REPLACE FUNCTION revrec._source_owns(src text, document text, id text) RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM revrec._source_document o
                    WHERE o.document = _source_owns.document AND o.id = _source_owns.id AND o.source = src);
END;

-- Reconcile one invoice with what revrec holds.  d: invoice_id,
-- invoice_number, customer_id, customer_name, currency, accounting_date,
-- status ('issued' or 'void'), void_date, added_on (the accounting date of
-- lines added after posting), products [{product_id, name}], lines [rows of
-- revrec.invoice_line].
CREATE OR REPLACE FUNCTION revrec._source_apply_invoice(d jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    id    text := d->>'invoice_id';
    inv   revrec.invoice;
    bad   record;
    addon text;
    n     integer := 0;
BEGIN
    IF d IS NULL THEN RETURN; END IF;   -- nothing to post yet (a draft)
    SELECT * INTO inv FROM revrec.invoice WHERE invoice_id = id;
    IF inv.invoice_id IS NULL AND jsonb_array_length(coalesce(d->'lines', '[]')) = 0 THEN
        RETURN;   -- no line revrec recognizes (an empty invoice, tax or account credit only): nothing to post
    END IF;
    INSERT INTO revrec.customer (customer_id, name)
    VALUES (d->>'customer_id', coalesce(nullif(d->>'customer_name', ''), d->>'customer_id')) ON CONFLICT DO NOTHING;
    INSERT INTO revrec.product (product_id, name, recognition_method)
    SELECT DISTINCT ON (p->>'product_id') p->>'product_id', coalesce(p->>'name', p->>'product_id'),
           coalesce(p->>'recognition_method', 'straight_line')
      FROM jsonb_array_elements(coalesce(d->'products', '[]')) p
    ON CONFLICT DO NOTHING;

    IF inv.invoice_id IS NULL AND revrec._source_batching() THEN
        PERFORM revrec._source_stage();
        INSERT INTO pg_temp.revrec_source_invoice
        VALUES (id, d->>'invoice_number', d->>'customer_id', d->>'currency', (d->>'accounting_date')::date);
        INSERT INTO revrec._source_document (document, id, source) VALUES ('invoice', id, d->>'source');
        INSERT INTO pg_temp.revrec_source_line (line_id, invoice_id, customer_id, product_id, amount, kind, group_id, billing,
                                                service_start, service_end, recognition_method, recognize_on, grant_id, description)
        SELECT l.line_id, id, d->>'customer_id', l.product_id, l.amount, coalesce(l.kind, 'charge'), l.group_id,
               coalesce(l.billing, 'in_advance'), l.service_start, l.service_end, l.recognition_method, l.recognize_on,
               l.grant_id, l.description
          FROM jsonb_populate_recordset(NULL::revrec.invoice_line, d->'lines') l;
        inv.invoice_id := id; inv.status := 'issued';
    ELSIF inv.invoice_id IS NULL THEN
        INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
        VALUES (id, d->>'invoice_number', d->>'customer_id', d->>'currency', (d->>'accounting_date')::date, 'issued');
        INSERT INTO revrec._source_document (document, id, source) VALUES ('invoice', id, d->>'source');
        INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, kind, group_id, billing,
                                         service_start, service_end, recognition_method, recognize_on, grant_id, description)
        SELECT l.line_id, id, d->>'customer_id', l.product_id, l.amount, coalesce(l.kind, 'charge'), l.group_id,
               coalesce(l.billing, 'in_advance'), l.service_start, l.service_end, l.recognition_method, l.recognize_on,
               l.grant_id, l.description
          FROM jsonb_populate_recordset(NULL::revrec.invoice_line, d->'lines') l;
        PERFORM revrec._source_post();
        SELECT * INTO inv FROM revrec.invoice WHERE invoice_id = id;
    ELSE
        IF NOT revrec._source_owns(d->>'source', 'invoice', id) THEN
            RAISE EXCEPTION USING ERRCODE = 'RV052',
                MESSAGE = format('revrec holds an invoice %s that the %s source did not write', id, coalesce(d->>'source', 'NULL')),
                HINT = 'A source voids, adds to and credits only the documents it wrote.';
        END IF;
        -- posted history never changes: a line revrec holds that the source
        -- changed or removed is refused
        SELECT coalesce(l.line_id, x.line_id) AS line_id, l.amount AS now_amount, x.amount AS was_amount INTO bad
          FROM jsonb_populate_recordset(NULL::revrec.invoice_line, d->'lines') l
          FULL JOIN (SELECT x.* FROM revrec.invoice_line x
                      WHERE x.invoice_id = id OR (x.invoice_id LIKE '%+%' AND split_part(x.invoice_id, '+', 1) = id
                                                  AND x.invoice_id ~ ('^' || regexp_replace(id, '([^A-Za-z0-9_])', '\\\1', 'g') || '\+[0-9]+$'))) x
            ON x.line_id = l.line_id
         WHERE (l.line_id IS NULL) OR (x.line_id IS NOT NULL AND
               (l.amount, l.service_start, l.service_end, coalesce(l.kind, 'charge'), coalesce(l.group_id, l.line_id))
               IS DISTINCT FROM (x.amount, x.service_start, x.service_end, x.kind, coalesce(x.group_id, x.line_id)))
         LIMIT 1;
        IF bad.line_id IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV051',
                MESSAGE = format('line %s of invoice %s changed in the source after revrec posted it', bad.line_id, id),
                DETAIL = format('revrec holds %s, the source now says %s', coalesce(bad.was_amount::text, 'no such line'),
                                coalesce(bad.now_amount::text, 'no such line')),
                HINT = 'revrec never edits posted history: correct the invoice in the billing system with a credit note or a void.';
        END IF;
        -- lines added after the invoice posted: their own document
        IF EXISTS (SELECT 1 FROM jsonb_populate_recordset(NULL::revrec.invoice_line, d->'lines') l
                    WHERE NOT EXISTS (SELECT 1 FROM revrec.invoice_line x WHERE x.line_id = l.line_id)) THEN
            IF inv.status = 'issued' AND d->>'status' = 'issued' THEN
                LOOP
                    n := n + 1;
                    addon := id || '+' || n;
                    EXIT WHEN NOT EXISTS (SELECT 1 FROM revrec.invoice WHERE invoice_id = addon);
                END LOOP;
                INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status)
                VALUES (addon, NULL, inv.customer_id, inv.currency,
                        greatest(coalesce((d->>'added_on')::date, current_date), inv.accounting_date), 'issued');
                INSERT INTO revrec._source_document (document, id, source) VALUES ('invoice', addon, d->>'source');
                INSERT INTO revrec.invoice_line (line_id, invoice_id, customer_id, product_id, amount, kind, group_id, billing,
                                                 service_start, service_end, recognition_method, recognize_on, grant_id, description)
                SELECT l.line_id, addon, inv.customer_id, l.product_id, l.amount, coalesce(l.kind, 'charge'), l.group_id,
                       coalesce(l.billing, 'in_advance'), l.service_start, l.service_end, l.recognition_method, l.recognize_on,
                       l.grant_id, l.description
                  FROM jsonb_populate_recordset(NULL::revrec.invoice_line, d->'lines') l
                 WHERE NOT EXISTS (SELECT 1 FROM revrec.invoice_line x WHERE x.line_id = l.line_id);
                PERFORM revrec._source_post();
            END IF;
        END IF;
    END IF;

    IF d->>'status' = 'void' AND inv.status = 'issued' THEN
        PERFORM revrec._source_unstage();
        PERFORM revrec._source_flush_now();   -- a void reverses what is posted: post first
        UPDATE revrec.invoice
           SET status = 'void', void_date = greatest(coalesce((d->>'void_date')::date, current_date), accounting_date)
         WHERE (invoice_id = id OR (invoice_id LIKE '%+%' AND split_part(invoice_id, '+', 1) = id
                                    AND invoice_id ~ ('^' || regexp_replace(id, '([^A-Za-z0-9_])', '\\\1', 'g') || '\+[0-9]+$')))
           AND status = 'issued';
        PERFORM revrec._source_flush_now();
    ELSIF d->>'status' = 'issued' AND inv.status = 'void' THEN
        RAISE EXCEPTION USING ERRCODE = 'RV051', MESSAGE = format('invoice %s is void in revrec but issued in the source', id),
            HINT = 'A void is final: issue a new invoice in the billing system.';
    END IF;
END $$;

-- Reconcile one credit note.  d: credit_note_id, credit_note_number,
-- customer_id, customer_name, currency, credit_date, invoice_id, status,
-- void_date, products, lines [rows of revrec.credit_note_line].
CREATE OR REPLACE FUNCTION revrec._source_apply_credit_note(d jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    id  text := d->>'credit_note_id';
    cn  revrec.credit_note;
    bad record;
    inv text;
BEGIN
    IF d IS NULL THEN RETURN; END IF;
    PERFORM revrec._source_unstage();   -- the invoices it may credit, written
    SELECT * INTO cn FROM revrec.credit_note WHERE credit_note_id = id;
    IF cn.credit_note_id IS NULL THEN
        IF jsonb_array_length(coalesce(d->'lines', '[]')) = 0 THEN
            RETURN;   -- nothing revrec recognizes is credited (tax only, or zero)
        END IF;
        INSERT INTO revrec.customer (customer_id, name)
        VALUES (d->>'customer_id', coalesce(nullif(d->>'customer_name', ''), d->>'customer_id')) ON CONFLICT DO NOTHING;
        INSERT INTO revrec.product (product_id, name)
        SELECT DISTINCT ON (p->>'product_id') p->>'product_id', coalesce(p->>'name', p->>'product_id')
          FROM jsonb_array_elements(coalesce(d->'products', '[]')) p
        ON CONFLICT DO NOTHING;
        -- the invoice the credited lines belong to (lines added after posting
        -- are on their own revrec invoice)
        SELECT min(x.invoice_id) INTO inv
          FROM jsonb_populate_recordset(NULL::revrec.credit_note_line, d->'lines') l
          JOIN revrec.invoice_line x ON x.line_id = l.line_id;
        IF inv IS NULL AND d->>'invoice_id' IS NOT NULL
           AND EXISTS (SELECT 1 FROM jsonb_populate_recordset(NULL::revrec.credit_note_line, d->'lines') l WHERE l.line_id IS NOT NULL) THEN
            RAISE EXCEPTION USING ERRCODE = 'RV050',
                MESSAGE = format('credit note %s credits invoice %s, which revrec has not posted', id, d->>'invoice_id'),
                DETAIL = format('waits for invoice %s', d->>'invoice_id'),   -- (read by _source_map_all)
                HINT = 'See revrec.source_error for the invoice: the credit note is retried with it.';
        END IF;
        SELECT x.invoice_id INTO inv
          FROM jsonb_populate_recordset(NULL::revrec.credit_note_line, d->'lines') l
          JOIN revrec.invoice_line x ON x.line_id = l.line_id
         WHERE NOT revrec._source_owns(d->>'source', 'invoice', x.invoice_id)
         LIMIT 1;
        IF inv IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV052',
                MESSAGE = format('credit note %s credits invoice %s, which the %s source did not write', id, inv, coalesce(d->>'source', 'NULL')),
                HINT = 'A source voids, adds to and credits only the documents it wrote.';
        END IF;
        SELECT min(x.invoice_id) INTO inv
          FROM jsonb_populate_recordset(NULL::revrec.credit_note_line, d->'lines') l
          JOIN revrec.invoice_line x ON x.line_id = l.line_id;
        INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date, status)
        VALUES (id, d->>'credit_note_number', d->>'customer_id', inv, d->>'currency', (d->>'credit_date')::date, 'issued');
        INSERT INTO revrec._source_document (document, id, source) VALUES ('credit_note', id, d->>'source');
        INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, customer_id, line_id, product_id, amount, description)
        SELECT l.credit_note_line_id, id, d->>'customer_id', l.line_id, l.product_id, l.amount, l.description
          FROM jsonb_populate_recordset(NULL::revrec.credit_note_line, d->'lines') l;
        PERFORM revrec._source_post();
        SELECT * INTO cn FROM revrec.credit_note WHERE credit_note_id = id;
    ELSE
        SELECT coalesce(l.credit_note_line_id, x.credit_note_line_id) AS line_id INTO bad
          FROM jsonb_populate_recordset(NULL::revrec.credit_note_line, d->'lines') l
          FULL JOIN (SELECT * FROM revrec.credit_note_line WHERE credit_note_id = id) x
            ON x.credit_note_line_id = l.credit_note_line_id
         WHERE l.credit_note_line_id IS NULL OR x.credit_note_line_id IS NULL
            OR (l.amount, l.line_id, l.product_id) IS DISTINCT FROM (x.amount, x.line_id, x.product_id)
         LIMIT 1;
        IF bad.line_id IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV051',
                MESSAGE = format('line %s of credit note %s changed in the source after revrec posted it', bad.line_id, id),
                HINT = 'revrec never edits posted history: void the credit note in the billing system and issue a new one.';
        END IF;
    END IF;
    IF d->>'status' = 'void' AND cn.status = 'issued' THEN
        IF NOT revrec._source_owns(d->>'source', 'credit_note', id) THEN
            RAISE EXCEPTION USING ERRCODE = 'RV052',
                MESSAGE = format('revrec holds a credit note %s that the %s source did not write', id, coalesce(d->>'source', 'NULL')),
                HINT = 'A source voids, adds to and credits only the documents it wrote.';
        END IF;
        PERFORM revrec._source_flush_now();
        UPDATE revrec.credit_note
           SET status = 'void', void_date = greatest(coalesce((d->>'void_date')::date, current_date), credit_date)
         WHERE credit_note_id = id;
        PERFORM revrec._source_flush_now();
    ELSIF d->>'status' = 'issued' AND cn.status = 'void' THEN
        RAISE EXCEPTION USING ERRCODE = 'RV051', MESSAGE = format('credit note %s is void in revrec but issued in the source', id);
    END IF;
END $$;

-- The source row of one document, as jsonb (NULL: no such row any more).
CREATE OR REPLACE FUNCTION revrec._source_fetch(s revrec.source, document text, key text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r jsonb;
BEGIN
    CASE s.kind
    WHEN 'stripe' THEN
        EXECUTE format('SELECT to_jsonb(t) FROM %I.%I t WHERE t.id = $1',
                       s.source_schema, CASE document WHEN 'invoice' THEN 'invoices' ELSE 'credit_notes' END)
           INTO r USING key;
        -- the sync engine's newer tables keep the API object in _raw_data
        -- (raw_data between migrations 0042 and 0048); older ones are columns
        RETURN coalesce(r->'_raw_data', r->'raw_data', r);
    WHEN 'killbill' THEN
        RETURN revrec._killbill_fetch(s, document, key);
    WHEN 'lago' THEN
        RETURN revrec._lago_fetch(s, document, key);
    END CASE;
END $$;

-- Map one source document: 'mapped' or 'unchanged' (errors propagate).
CREATE OR REPLACE FUNCTION revrec._source_map_one(s revrec.source, p_document text, p_key text, force boolean) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    obj jsonb;
    dig text;
    src jsonb := jsonb_build_object('source', s.kind);   -- (whose documents it may touch: _source_owns)
BEGIN
    -- (the source's tables were checked by _source_map_batch: _source_guard)
    obj := revrec._source_fetch(s, p_document, p_key);
    IF obj IS NULL THEN
        -- the row is gone: what revrec posted stays (never an edit of history)
        DELETE FROM revrec.source_error WHERE source = s.kind AND document = p_document AND key = p_key;
        RETURN 'unchanged';
    END IF;
    dig := md5(obj::text || s.options::text);
    IF NOT force AND EXISTS (SELECT 1 FROM revrec._source_state
                              WHERE source = s.kind AND document = p_document AND key = p_key AND digest = dig)
       AND NOT EXISTS (SELECT 1 FROM revrec.source_error
                        WHERE source = s.kind AND document = p_document AND key = p_key) THEN
        RETURN 'unchanged';
    END IF;
    CASE s.kind || '/' || p_document
    WHEN 'stripe/invoice' THEN PERFORM revrec._source_apply_invoice(revrec._stripe_invoice(s.options, obj) || src);
    WHEN 'stripe/credit_note' THEN PERFORM revrec._source_apply_credit_note(revrec._stripe_credit_note(s.options, obj) || src);
    WHEN 'killbill/invoice' THEN PERFORM revrec._killbill_apply(s.options, revrec._killbill_invoice(s.options, obj) || src);
    WHEN 'lago/invoice' THEN PERFORM revrec._lago_apply(revrec._lago_invoice(s.options, obj) || src);
    WHEN 'lago/credit_note' THEN PERFORM revrec._source_apply_credit_note(revrec._lago_credit_note(s.options, obj) || src);
    END CASE;
    INSERT INTO revrec._source_state AS t (source, document, key, digest) VALUES (s.kind, p_document, p_key, dig)
    ON CONFLICT (source, document, key) DO UPDATE SET digest = EXCLUDED.digest, mapped_at = now();
    DELETE FROM revrec.source_error WHERE source = s.kind AND document = p_document AND key = p_key;
    RETURN 'mapped';
END $$;

-- Map one source document in its own subtransaction, posting it there:
-- 'mapped', 'unchanged' or 'refused' (then in revrec.source_error).
CREATE OR REPLACE FUNCTION revrec._source_map(s revrec.source, p_document text, p_key text, force boolean) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e_state text; e_msg text; e_detail text; e_hint text;
BEGIN
    FOR attempt IN 1 .. 2 LOOP
        BEGIN
            RETURN revrec._source_map_one(s, p_document, p_key, force);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_msg = MESSAGE_TEXT, e_detail = PG_EXCEPTION_DETAIL,
                                    e_hint = PG_EXCEPTION_HINT;
        END;
        -- a unique violation: another transaction mapped the same document
        -- at the same moment (a webhook delivered twice) and has committed
        -- it; mapped again, it is found (the next statement's snapshot)
        EXIT WHEN e_state <> '23505';
    END LOOP;
    INSERT INTO revrec.source_error AS e (source, document, key, error, sqlstate, detail, hint)
    VALUES (s.kind, p_document, p_key, e_msg, e_state, nullif(e_detail, ''), nullif(e_hint, ''))
    ON CONFLICT (source, document, key) DO UPDATE
       SET error = EXCLUDED.error, sqlstate = EXCLUDED.sqlstate, detail = EXCLUDED.detail, hint = EXCLUDED.hint,
           last_seen = now(), attempts = e.attempts + 1;
    RETURN 'refused';
END $$;

-- Map a list of (source, document, key[, order]): invoices first (a credit
-- note credits an invoice), each once, in batches of 100 documents mapped
-- together and posted by one flush(); a batch that fails anywhere is rolled
-- back and its documents are mapped again one by one, each in its own
-- subtransaction, so a refusal is the refused document's alone.
CREATE OR REPLACE FUNCTION revrec._source_map_all(keys jsonb, force boolean,
    OUT mapped bigint, OUT unchanged bigint, OUT refused bigint)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r      record;
    s      revrec.source;
    res    text;
    batch  text[] := '{}';
    m      bigint;
    u      bigint;
    i      integer;
    doc    text;
    key    text;
    src    text;
BEGIN
    mapped := 0; unchanged := 0; refused := 0;
    PERFORM set_config('revrec.source_batch', 'off', true);   -- whatever the session set
    FOR r IN SELECT x.source, x.document, x.key
               FROM (SELECT DISTINCT ON (k->>0, k->>1, k->>2) k->>0 AS source, k->>1 AS document, k->>2 AS key,
                            coalesce((k->>3)::numeric, 0) AS ord
                       FROM jsonb_array_elements(keys) k
                      ORDER BY k->>0, k->>1, k->>2, coalesce((k->>3)::numeric, 0)) x
              ORDER BY x.source, x.document <> 'invoice', x.ord, x.key
    LOOP
        batch := batch || ARRAY[r.source, r.document, r.key];
        CONTINUE WHEN cardinality(batch) < 300;
        SELECT b.mapped, b.unchanged, b.refused INTO m, u, i FROM revrec._source_map_batch(batch, force) b;
        mapped := mapped + m; unchanged := unchanged + u; refused := refused + i;
        batch := '{}';
    END LOOP;
    IF cardinality(batch) > 0 THEN
        SELECT b.mapped, b.unchanged, b.refused INTO m, u, i FROM revrec._source_map_batch(batch, force) b;
        mapped := mapped + m; unchanged := unchanged + u; refused := refused + i;
    END IF;
    -- credit notes that were refused because they came before their invoice
    -- (RV050), and whose invoice was mapped here: tried again now
    SELECT coalesce(array_agg(u.x ORDER BY e.source, e.key, u.o), '{}') INTO batch
      FROM revrec.source_error e, LATERAL unnest(ARRAY[e.source, e.document, e.key]) WITH ORDINALITY AS u (x, o)
     WHERE e.document = 'credit_note' AND e.sqlstate = 'RV050'
       AND e.detail IN (SELECT 'waits for invoice ' || (k->>2) FROM jsonb_array_elements(keys) k
                         WHERE k->>0 = e.source AND k->>1 = 'invoice')
       AND EXISTS (SELECT 1 FROM revrec.invoice v WHERE 'waits for invoice ' || v.invoice_id = e.detail)
       -- (one of this list was mapped after the invoices already)
       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(keys) k
                        WHERE k->>0 = e.source AND k->>1 = 'credit_note' AND k->>2 = e.key);
    IF cardinality(batch) > 0 THEN
        SELECT b.mapped, b.unchanged, b.refused INTO m, u, i FROM revrec._source_map_batch(batch, force) b;
        mapped := mapped + m; unchanged := unchanged + u; refused := refused + i;
    END IF;
END $$;

-- One batch: (source, document, key) triples flattened into one array.
CREATE OR REPLACE FUNCTION revrec._source_map_batch(batch text[], force boolean,
    OUT mapped bigint, OUT unchanged bigint, OUT refused bigint)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s   revrec.source;
    res text;
    n   integer := cardinality(batch) / 3;
BEGIN
    mapped := 0; unchanged := 0; refused := 0;
    IF n > 1 THEN
        BEGIN
            PERFORM set_config('revrec.source_batch', 'on', true);
            FOR i IN 0 .. n - 1 LOOP
                IF s.kind IS DISTINCT FROM batch[3 * i + 1] THEN
                    SELECT * INTO s FROM revrec.source WHERE kind = batch[3 * i + 1];
                    IF s.kind IS NOT NULL THEN PERFORM revrec._source_guard(s); END IF;
                END IF;
                CONTINUE WHEN s.kind IS NULL;   -- detached meanwhile
                res := revrec._source_map_one(s, batch[3 * i + 2], batch[3 * i + 3], force);
                IF res = 'mapped' THEN mapped := mapped + 1; ELSE unchanged := unchanged + 1; END IF;
            END LOOP;
            PERFORM revrec._source_unstage();
            PERFORM set_config('revrec.source_batch', 'off', true);
            PERFORM revrec._source_flush_now();
            RETURN;
        EXCEPTION WHEN OTHERS THEN
            mapped := 0; unchanged := 0;   -- rolled back: one by one below
        END;
    END IF;
    s := NULL;
    FOR i IN 0 .. n - 1 LOOP
        IF s.kind IS DISTINCT FROM batch[3 * i + 1] THEN
            SELECT * INTO s FROM revrec.source WHERE kind = batch[3 * i + 1];
            -- a source table revrec may not read: the whole batch stays queued
            IF s.kind IS NOT NULL THEN PERFORM revrec._source_guard(s); END IF;
        END IF;
        CONTINUE WHEN s.kind IS NULL;
        res := revrec._source_map(s, batch[3 * i + 2], batch[3 * i + 3], force);
        IF res = 'mapped' THEN mapped := mapped + 1;
        ELSIF res = 'refused' THEN refused := refused + 1;
        ELSE unchanged := unchanged + 1; END IF;
    END LOOP;
END $$;

-- At the end of a transaction that wrote source rows: map them.  Nothing
-- here may fail the billing system's commit: every document is mapped in its
-- own subtransaction, and anything unforeseen leaves the changes queued for
-- sync_source() with a warning.
CREATE OR REPLACE FUNCTION revrec._source_flush_trigger() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    keys jsonb;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    BEGIN
        WITH d AS (DELETE FROM revrec._source_change WHERE xid = pg_current_xact_id() RETURNING source, document, key)
        SELECT jsonb_agg(jsonb_build_array(source, document, key)) INTO keys FROM d;
        DELETE FROM revrec._source_flush WHERE xid = pg_current_xact_id();
        IF keys IS NOT NULL THEN
            PERFORM revrec._source_map_all(keys, false);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'revrec could not map this transaction''s source rows (they stay queued for revrec.sync_source()): %', SQLERRM;
    END;
    RETURN NULL;
END $$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                    WHERE tgrelid = 'revrec._source_flush'::pg_catalog.regclass AND tgname = 'source_map_at_commit') THEN
        CREATE CONSTRAINT TRIGGER source_map_at_commit AFTER INSERT ON revrec._source_flush
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revrec._source_flush_trigger();
    END IF;
END
$$;

-- revrec's settings changed: the refused rows are tried again at commit.
CREATE OR REPLACE FUNCTION revrec._source_retry() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF EXISTS (SELECT 1 FROM revrec.source_error) THEN
        INSERT INTO revrec._source_change (source, document, key) SELECT source, document, key FROM revrec.source_error;
        INSERT INTO revrec._source_flush VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER settings_source_retry AFTER UPDATE ON revrec.settings
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._source_retry();

-- attach_source (revrec_admin): follow a billing system's tables.  The login
-- role must hold TRIGGER on them (own them).  Attaching again changes the
-- options (and retries what was refused).
CREATE OR REPLACE FUNCTION revrec.attach_source(kind text, source_schema text, options jsonb DEFAULT '{}')
    RETURNS SETOF revrec.source
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t   record;
    rel regclass;
BEGIN
    IF kind IS NULL OR kind NOT IN ('stripe', 'killbill', 'lago') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV052', MESSAGE = format('unknown source kind %s', coalesce(kind, 'NULL')),
            HINT = 'Sources revrec can follow: stripe (supabase/stripe-sync-engine), killbill, lago.';
    END IF;
    IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006', MESSAGE = 'options must be a JSON object';
    END IF;
    IF coalesce(options->>'map', 'commit') NOT IN ('commit', 'sync') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006', MESSAGE = format('option map must be commit or sync, not %s', options->>'map');
    END IF;
    IF options ? 'timezone' AND NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = options->>'timezone') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006', MESSAGE = format('unknown time zone %s', options->>'timezone');
    END IF;
    FOR t IN SELECT DISTINCT x.table_name FROM revrec._source_tables(attach_source.kind) x LOOP
        rel := to_regclass(format('%I.%I', source_schema, t.table_name));
        IF rel IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV052',
                MESSAGE = format('%s source: table %I.%I does not exist', kind, source_schema, t.table_name),
                HINT = format('Tables revrec follows for %s: %s.', kind,
                              (SELECT string_agg(DISTINCT y.table_name, ', ') FROM revrec._source_tables(attach_source.kind) y));
        END IF;
        IF NOT has_table_privilege(session_user, rel, 'TRIGGER') THEN
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = format('%s may not put triggers on %s: attach a source as its owner', session_user, rel);
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM revrec.source x WHERE x.source_schema = attach_source.source_schema AND x.kind <> attach_source.kind) THEN
        -- they follow tables of the same names (invoices): the capture triggers of one would replace the other's
        RAISE EXCEPTION USING ERRCODE = 'RV052',
            MESSAGE = format('a %s source is already attached to schema %I', (SELECT x.kind FROM revrec.source x
                                                                               WHERE x.source_schema = attach_source.source_schema LIMIT 1), source_schema),
            HINT = 'One kind of source per schema.';
    END IF;
    INSERT INTO revrec.source AS s (kind, source_schema, options) VALUES (kind, source_schema, options)
    ON CONFLICT ON CONSTRAINT source_pkey DO UPDATE SET options = EXCLUDED.options
     WHERE s.source_schema = EXCLUDED.source_schema;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RV052', MESSAGE = format('a %s source is already attached to another schema', kind),
            HINT = 'Detach it first (revrec.detach_source).';
    END IF;
    FOR t IN SELECT * FROM revrec._source_tables(attach_source.kind) x LOOP
        rel := format('%I.%I', source_schema, t.table_name)::regclass;
        EXECUTE format('CREATE OR REPLACE TRIGGER revrec_capture_ins AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION revrec._source_capture(%L, %L, %L)',
                       rel, kind, t.document, t.key_column);
        EXECUTE format('CREATE OR REPLACE TRIGGER revrec_capture_upd AFTER UPDATE ON %s REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION revrec._source_capture(%L, %L, %L)',
                       rel, kind, t.document, t.key_column);
    END LOOP;
    -- new options: what was refused is tried again at commit
    INSERT INTO revrec._source_change (source, document, key)
    SELECT e.source, e.document, e.key FROM revrec.source_error e WHERE e.source = attach_source.kind;
    IF FOUND THEN
        INSERT INTO revrec._source_flush VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN QUERY SELECT * FROM revrec.source s WHERE s.kind = attach_source.kind;
END $$;

-- detach_source (revrec_admin): the triggers go; revrec's documents and
-- ledger stay.
CREATE OR REPLACE FUNCTION revrec.detach_source(kind text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s   revrec.source;
    t   record;
    rel regclass;
BEGIN
    SELECT * INTO s FROM revrec.source x WHERE x.kind = detach_source.kind;
    IF s.kind IS NULL THEN RETURN false; END IF;
    -- every capture trigger of this source, wherever its table is now
    -- (renamed, moved to another schema)
    FOR t IN SELECT g.tgrelid::regclass AS rel, g.tgname
               FROM pg_catalog.pg_trigger g
              WHERE g.tgfoid = 'revrec._source_capture()'::pg_catalog.regprocedure
                AND g.tgname IN ('revrec_capture_ins', 'revrec_capture_upd')
                AND pg_catalog.split_part(pg_catalog.encode(g.tgargs, 'escape'), '\000', 1) = s.kind LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', t.tgname, t.rel);
    END LOOP;
    DELETE FROM revrec._source_change c WHERE c.source = s.kind;
    DELETE FROM revrec._source_state c WHERE c.source = s.kind;
    -- (revrec._source_document stays: what the source wrote stays its own)
    DELETE FROM revrec.source_error c WHERE c.source = s.kind;
    DELETE FROM revrec.source x WHERE x.kind = s.kind;
    RETURN true;
END $$;

-- sync_source (revrec_admin): map what is queued, retry what was refused and
-- replay the source's rows (all of them, or those changed since `since`):
-- the backfill of an existing billing history.  Idempotent.
CREATE OR REPLACE FUNCTION revrec.sync_source(kind text, since timestamptz DEFAULT NULL,
    OUT mapped bigint, OUT unchanged bigint, OUT refused bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s    revrec.source;
    keys jsonb;
    more jsonb;
BEGIN
    SELECT * INTO s FROM revrec.source x WHERE x.kind = sync_source.kind;
    IF s.kind IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RV052', MESSAGE = format('no %s source is attached', coalesce(kind, 'NULL')),
            HINT = 'revrec.attach_source(kind, source_schema, options) first.';
    END IF;
    WITH d AS (DELETE FROM revrec._source_change c WHERE c.source = s.kind RETURNING c.source, c.document, c.key)
    SELECT coalesce(jsonb_agg(jsonb_build_array(d.source, d.document, d.key, 0)), '[]') INTO keys FROM d;
    keys := keys || coalesce((SELECT jsonb_agg(jsonb_build_array(e.source, e.document, e.key, 0))
                                FROM revrec.source_error e WHERE e.source = s.kind), '[]');
    PERFORM revrec._source_guard(s);
    EXECUTE 'SELECT jsonb_agg(jsonb_build_array($1, document, key, ord)) FROM ' || revrec._source_replay_query(s)
       INTO more USING s.kind, since;
    keys := keys || coalesce(more, '[]');
    SELECT m.mapped, m.unchanged, m.refused INTO mapped, unchanged, refused
      FROM revrec._source_map_all(coalesce(keys, '[]'), false) m;
    UPDATE revrec.source x SET synced_at = now() WHERE x.kind = s.kind;
END $$;

-- A Unix time of a source row (Stripe's created, finalized_at, voided_at)
-- as a number, or NULL when it is not one or is out of timestamp range: one
-- malformed row must not stop the replay of the others (it is refused alone
-- when mapped).
CREATE OR REPLACE FUNCTION revrec._source_epoch(v text) RETURNS numeric
    LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT CASE WHEN v ~ '^-?[0-9]{1,11}(\.[0-9]{0,6})?$' THEN v::numeric END;
END;

-- The documents of a source to replay (since: changed since then, else all),
-- as a FROM item with columns (document, key, ord); $2 is since.
CREATE OR REPLACE FUNCTION revrec._source_replay_query(s revrec.source) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    inv text := format('%I.invoices', s.source_schema);
    cn  text := format('%I.credit_notes', s.source_schema);
    j   text;
BEGIN
    CASE s.kind
    WHEN 'stripe' THEN
        -- the API object, wherever this version of the sync engine keeps it
        j := CASE WHEN EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = inv::regclass AND attname = '_raw_data' AND NOT attisdropped)
                  THEN 't._raw_data' ELSE 'to_jsonb(t)' END;
        RETURN format('(SELECT ''invoice'' AS document, t.id AS key, revrec._source_epoch(%1$s->>''created'') AS ord FROM %2$s t
                          WHERE $2 IS NULL OR to_timestamp(greatest(revrec._source_epoch(%1$s->>''created''),
                                  revrec._source_epoch(%1$s->''status_transitions''->>''finalized_at''),
                                  revrec._source_epoch(%1$s->''status_transitions''->>''voided_at''))) >= $2
                                OR coalesce((to_jsonb(t)->>''_updated_at'')::timestamptz, (to_jsonb(t)->>''updated_at'')::timestamptz) >= $2
                        UNION ALL
                        SELECT ''credit_note'', t.id, revrec._source_epoch(%3$s->>''created'') FROM %4$s t
                          WHERE $2 IS NULL OR to_timestamp(greatest(revrec._source_epoch(%3$s->>''created''),
                                                                     revrec._source_epoch(%3$s->>''voided_at''))) >= $2
                                OR (to_jsonb(t)->>''_last_synced_at'')::timestamptz >= $2) q',
                      j, inv, j, cn);
    WHEN 'killbill' THEN
        RETURN format('(SELECT ''invoice'' AS document, t.id::text AS key, t.record_id::numeric AS ord FROM %1$s t
                          WHERE $2 IS NULL OR t.created_date >= $2
                             OR EXISTS (SELECT 1 FROM %2$I.invoice_items i WHERE i.invoice_id = t.id AND i.created_date >= $2)) q',
                      inv, s.source_schema);
    WHEN 'lago' THEN
        RETURN format('(SELECT ''invoice'' AS document, t.id::text AS key, extract(epoch FROM t.created_at)::numeric AS ord FROM %1$s t
                          WHERE $2 IS NULL OR t.updated_at >= $2
                        UNION ALL
                        SELECT ''credit_note'', t.id::text, extract(epoch FROM t.created_at)::numeric FROM %2$s t
                          WHERE $2 IS NULL OR t.updated_at >= $2) q', inv, cn);
    END CASE;
END $$;

COMMENT ON TABLE revrec.source IS 'billing systems revrec follows (attach_source)';
COMMENT ON TABLE revrec.source_error IS 'source rows revrec refused; retried when they change, on settings changes and by sync_source()';
