-- revrec 0.1 -> 0.2
\echo Use "ALTER EXTENSION revrec UPDATE TO '0.2'" to load this file. \quit

CREATE FUNCTION revrec.trial_balance(as_of date, currency text DEFAULT NULL)
    RETURNS TABLE (currency_code text, account text, name text, normal_balance text,
                   debits numeric, credits numeric, balance numeric)
    LANGUAGE sql STABLE AS $$
    SELECT p.currency, a.code, a.name, a.normal_balance,
           sum(e.amount) FILTER (WHERE e.direction = 'debit'),
           sum(e.amount) FILTER (WHERE e.direction = 'credit'),
           sum(CASE WHEN e.direction = a.normal_balance THEN e.amount ELSE -e.amount END)
      FROM revrec.posting p
     CROSS JOIN LATERAL revrec._entries(p, NULL, trial_balance.as_of, true) e
      JOIN revrec.ledger_account a ON a.account_id = e.account_id
     WHERE p.first_date <= trial_balance.as_of
       AND (trial_balance.currency IS NULL OR p.currency = trial_balance.currency)
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2 $$;
COMMENT ON FUNCTION revrec.trial_balance(date, text) IS
    'debits, credits and balance (in the account''s normal direction) of every ledger account at a date, per currency';
GRANT EXECUTE ON FUNCTION revrec.trial_balance(date, text) TO revrec_reader;

-- 0.2: export files live in one directory per database and go when their
-- token expires (each export worker cleans up when it starts and ends;
-- revrec.export_cleanup() does it on demand).
CREATE FUNCTION revrec.export_cleanup() RETURNS integer
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_export_cleanup';
COMMENT ON FUNCTION revrec.export_cleanup() IS
    'remove export files whose token expired or that no job owns, fail running jobs whose worker is gone; returns files removed';
REVOKE EXECUTE ON FUNCTION revrec.export_cleanup() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION revrec.export_cleanup() TO revrec_admin;

-- 0.2: fewer indexes for bulk posting.  The ledger's primary key leads with
-- the document columns, so the separate (customer_id, source, source_id)
-- index goes; invoice lines are found by invoice_id alone.
ALTER TABLE revrec.posting DROP CONSTRAINT posting_pkey;
ALTER TABLE revrec.posting ADD PRIMARY KEY (customer_id, source, source_id, posting_id);
DROP INDEX revrec.posting_source;
DROP INDEX revrec.invoice_line_invoice;

-- 0.2: cheaper statement checks on a bulk COPY: each referenced key is
-- probed once, and a line's invoice is read once for all its checks.
CREATE OR REPLACE FUNCTION revrec._check_reference() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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

CREATE OR REPLACE FUNCTION revrec._invoice_line_ins() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    -- one pass over the lines and their invoices: the customer must be the
    -- invoice's, and amounts must fit the invoice's currency (too many
    -- decimals is an error raised by to_minor_units; the IS NULL tests are
    -- never true, they only make every row go through the conversion)
    SELECT n.line_id, n.invoice_id, n.customer_id AS ncust, i.customer_id AS icust, false AS posted
      INTO bad
      FROM new_rows n JOIN revrec.invoice i ON i.invoice_id = n.invoice_id
     WHERE n.customer_id <> i.customer_id
        OR revrec.to_minor_units(n.amount, i.currency) IS NULL
        OR (n.ssp IS NOT NULL AND revrec.to_minor_units(n.ssp, i.currency) IS NULL)
     LIMIT 1;
    IF NOT FOUND THEN
        -- the invoice_line_invoice_* trigger, fired before this one, locked
        -- the invoices other transactions wrote (FOR SHARE): none can be
        -- issued and posted under us now, and this query's snapshot sees one
        -- that was posted while we waited for the lock
        SELECT min(n.line_id) AS line_id, i.invoice_id, true AS posted INTO bad
          FROM (SELECT DISTINCT invoice_id FROM new_rows) d
          JOIN revrec.invoice i ON i.invoice_id = d.invoice_id
          JOIN new_rows n ON n.invoice_id = d.invoice_id
         WHERE EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                          AND p.source_id = i.invoice_id AND p.reason = 'issue')
         GROUP BY i.invoice_id
         LIMIT 1;
    END IF;
    IF FOUND THEN
        IF bad.posted THEN
            RAISE EXCEPTION USING ERRCODE = 'RV013',
                MESSAGE = format('invoice %s is posted: line %s cannot be added', bad.invoice_id, bad.line_id),
                HINT = 'Correct a posted invoice with a credit note, a void or a manual journal.';
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'RV014',
            MESSAGE = format('line %s has customer_id %s but invoice %s belongs to %s',
                             bad.line_id, bad.ncust, bad.invoice_id, bad.icust);
    END IF;
    -- queue the invoices (their customer is the lines' own, checked above);
    -- the flush posts only those issued and not posted yet (and reads each
    -- once however often it was queued)
    INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
    SELECT DISTINCT n.customer_id, 'invoice', n.invoice_id FROM new_rows n WHERE n.customer_id IS NOT NULL;
    IF FOUND THEN
        PERFORM revrec._enqueue();
    END IF;
    RETURN NULL;
END $$;

-- 0.2: export_to_files without NOTICEs about its scratch tables.
CREATE OR REPLACE FUNCTION revrec.export_to_files(
    format text, directory text, from_date date, to_date date, currency text DEFAULT NULL,
    as_of timestamptz DEFAULT NULL, journal_type text DEFAULT NULL, source text DEFAULT NULL,
    customer_id text DEFAULT NULL, product_id text DEFAULT NULL, invoice_id text DEFAULT NULL,
    credit_note_id text DEFAULT NULL, exclude_fully_recognized boolean DEFAULT false, granularity text DEFAULT NULL,
    max_rows integer DEFAULT NULL)
    RETURNS TABLE (file_name text, "rows" bigint, sha256 text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    call     text;
    lim      integer;
    cols     text;
    j        record;
    starts   bigint[] := '{}';
    in_file  bigint := 0;
    total    bigint;
    i        integer;
    base     text;
BEGIN
    call := revrec._export_call(export_to_files.format, from_date, to_date, currency, as_of, journal_type, source,
                                customer_id, product_id, invoice_id, credit_note_id, exclude_fully_recognized,
                                granularity);
    lim := revrec._export_file_limit(export_to_files.format);
    IF max_rows IS NOT NULL THEN
        IF max_rows < 1 OR max_rows > lim THEN
            RAISE EXCEPTION USING ERRCODE = 'RV006',
                MESSAGE = pg_catalog.format('max_rows must be between 1 and %s for %s', lim, export_to_files.format);
        END IF;
        lim := max_rows;
    END IF;
    IF directory IS NULL OR directory !~ '^/' THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006',
            MESSAGE = pg_catalog.format('directory must be an absolute path on the server, not "%s"', directory);
    END IF;
    directory := rtrim(directory, '/');
    base := pg_catalog.format('%s/revrec_%s_%s_%s_', directory, export_to_files.format, to_char(from_date, 'YYYY-MM-DD'),
                              to_char(to_date, 'YYYY-MM-DD'));

    -- left by an earlier call in this transaction (no IF EXISTS: its NOTICEs are noise)
    IF to_regclass('pg_temp._revrec_export_rows') IS NOT NULL THEN
        DROP TABLE pg_temp._revrec_export_rows;
    END IF;
    IF to_regclass('pg_temp._revrec_export_journals') IS NOT NULL THEN
        DROP TABLE pg_temp._revrec_export_journals;
    END IF;
    EXECUTE pg_catalog.format('CREATE TEMP TABLE _revrec_export_rows ON COMMIT DROP AS
                                SELECT t.*, %s AS _key FROM %s WITH ORDINALITY AS t',
                              revrec._export_journal_key(export_to_files.format), call);
    CREATE INDEX ON pg_temp._revrec_export_rows (ordinality);
    ANALYZE pg_temp._revrec_export_rows;
    CREATE TEMP TABLE _revrec_export_journals ON COMMIT DROP AS
        SELECT min(r.ordinality) AS first_row, count(*) AS n FROM pg_temp._revrec_export_rows r GROUP BY r._key;
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
      FROM pg_attribute a
     WHERE a.attrelid = 'pg_temp._revrec_export_rows'::regclass AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attname NOT IN ('ordinality', '_key');
    SELECT count(*) INTO total FROM pg_temp._revrec_export_rows;

    -- greedy: a journal goes into the current file if it fits, else it opens a new one
    FOR j IN SELECT * FROM pg_temp._revrec_export_journals ORDER BY first_row LOOP
        IF cardinality(starts) = 0 OR in_file + j.n > lim THEN
            starts := starts || j.first_row;
            in_file := 0;
        END IF;
        IF j.n > lim THEN
            RAISE WARNING USING ERRCODE = '01000',
                MESSAGE = pg_catalog.format('a journal of %s rows is larger than the %s limit of %s rows per file: it goes alone in file %s',
                                            j.n, export_to_files.format, lim, cardinality(starts)),
                HINT = 'Split the export by day (granularity => ''day'') or import that file in parts by hand.';
        END IF;
        in_file := in_file + j.n;
    END LOOP;

    FOR i IN 1 .. cardinality(starts) LOOP
        file_name := base || lpad(i::text, 3, '0') || '.csv';
        EXECUTE pg_catalog.format('COPY (SELECT %s FROM pg_temp._revrec_export_rows
                                          WHERE ordinality >= %s AND ordinality < %s ORDER BY ordinality)
                                   TO %L (FORMAT csv, HEADER)',
                                  cols, starts[i], coalesce(starts[i + 1], total + 1), file_name);
        "rows" := coalesce(starts[i + 1], total + 1) - starts[i];
        sha256 := encode(pg_catalog.sha256(pg_read_binary_file(file_name)), 'hex');
        RETURN NEXT;
    END LOOP;
    DROP TABLE pg_temp._revrec_export_rows, pg_temp._revrec_export_journals;
END $$;

-- 0.2: a void is never dated before the document it reverses (RV014).
-- The day a void of a document takes effect: the one given, or today (never
-- before the document's own date); a void dated before the document is refused.
-- what: 'invoice' / 'credit note'; date_name: what the document's date is called.
CREATE FUNCTION revrec._void_day(what text, doc_id text, void_date date, doc_date date, date_name text)
    RETURNS date LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF void_date < doc_date THEN
        RAISE EXCEPTION USING ERRCODE = 'RV014',
            MESSAGE = format('%s %s cannot be voided on %s, before its %s %s', what, doc_id, void_date, date_name, doc_date),
            HINT = format('Date the void on or after the %s (or leave void_date out).', date_name);
    END IF;
    RETURN coalesce(void_date, greatest(current_date, doc_date));
END $$;
REVOKE EXECUTE ON FUNCTION revrec._void_day(text, text, date, date, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION revrec._void_day(text, text, date, date, text) TO revrec_reader;

CREATE OR REPLACE FUNCTION revrec._invoice_upd() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    posted boolean := revrec._invoice_posted(OLD.customer_id, OLD.invoice_id);
BEGIN
    IF OLD.status = 'void' AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('invoice %s is void and cannot change', OLD.invoice_id);
    END IF;
    IF posted AND ((NEW.invoice_id, NEW.invoice_number, NEW.customer_id, NEW.currency, NEW.accounting_date)
                   IS DISTINCT FROM (OLD.invoice_id, OLD.invoice_number, OLD.customer_id, OLD.currency, OLD.accounting_date)
                   OR NEW.status = 'draft') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('invoice %s is posted: its amounts, dates and lines cannot change', OLD.invoice_id),
            HINT = 'Correct it with a credit note, a void (status = ''void'') or a manual journal.';
    END IF;
    IF NEW.status = 'void' AND OLD.status <> 'void' THEN
        -- a void reverses the invoice: never before the invoice itself
        NEW.void_date := revrec._void_day('invoice', NEW.invoice_id, NEW.void_date, NEW.accounting_date, 'accounting date');
    END IF;
    IF NEW.status <> OLD.status AND NEW.status IN ('issued', 'void') THEN
        INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
        VALUES (NEW.customer_id, 'invoice', NEW.invoice_id);
        PERFORM revrec._enqueue();
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION revrec._credit_note_upd() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    posted boolean := revrec._credit_note_posted(OLD.customer_id, OLD.credit_note_id);
BEGIN
    IF OLD.status = 'void' AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('credit note %s is void and cannot change', OLD.credit_note_id);
    END IF;
    IF posted AND ((NEW.credit_note_id, NEW.credit_note_number, NEW.customer_id, NEW.invoice_id, NEW.currency, NEW.credit_date)
                   IS DISTINCT FROM (OLD.credit_note_id, OLD.credit_note_number, OLD.customer_id, OLD.invoice_id, OLD.currency, OLD.credit_date)
                   OR NEW.status = 'draft') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('credit note %s is posted: its amounts, dates and lines cannot change', OLD.credit_note_id),
            HINT = 'Void it (status = ''void'') and issue a new one.';
    END IF;
    IF NEW.status = 'void' AND OLD.status <> 'void' THEN
        -- a void reverses the credit note: never before the credit note itself
        NEW.void_date := revrec._void_day('credit note', NEW.credit_note_id, NEW.void_date, NEW.credit_date, 'credit date');
    END IF;
    IF NEW.status <> OLD.status AND NEW.status IN ('issued', 'void') THEN
        INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
        VALUES (NEW.customer_id, 'credit_note', NEW.credit_note_id);
        PERFORM revrec._enqueue();
    END IF;
    RETURN NEW;
END $$;

-- 0.2: the activity log of a flush is one pass in C (src/activity.c).
CREATE OR REPLACE FUNCTION revrec._log_postings(p_from bigint, p_action text) RETURNS void
    LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'revrec_log_postings';

-- 0.2: a statement of lines locks the invoices other transactions wrote FOR
-- SHARE (not only FOR KEY SHARE), before the "already posted" check, so an
-- invoice cannot be issued and posted under lines being added to it.
DROP TRIGGER invoice_line_invoice_ins ON revrec.invoice_line;
CREATE TRIGGER invoice_line_invoice_ins AFTER INSERT ON revrec.invoice_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._check_reference('invoice_id', 'invoice', 'invoice_id', 'invoice_line_invoice_id_fkey', 'SHARE');
ALTER TRIGGER invoice_line_ins ON revrec.invoice_line RENAME TO invoice_line_queue_ins;
-- Changing a line, usage or milestone, and adding usage or milestones, hold
-- the invoice FOR SHARE the same way before checking that it is not posted.
CREATE OR REPLACE FUNCTION revrec._child_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    inv revrec.invoice;
    lid text := CASE WHEN TG_TABLE_NAME = 'invoice_line' THEN NULL ELSE OLD.line_id END;
BEGIN
    -- FOR SHARE: the invoice cannot be issued and posted under this change;
    -- one posted while we waited is seen by the posted check below (a new
    -- statement, so a new snapshot)
    IF TG_TABLE_NAME = 'invoice_line' THEN
        SELECT * INTO inv FROM revrec.invoice WHERE invoice_id = OLD.invoice_id FOR SHARE;
    ELSE
        SELECT i.* INTO inv FROM revrec.invoice i JOIN revrec.invoice_line l ON l.invoice_id = i.invoice_id
         WHERE l.line_id = lid FOR SHARE OF i;
    END IF;
    IF TG_TABLE_NAME = 'milestone' AND TG_OP = 'UPDATE' THEN
        -- completing / un-completing is what milestones are for
        IF (to_jsonb(NEW) - 'completed_on') = (to_jsonb(OLD) - 'completed_on') THEN
            RETURN NEW;
        END IF;
    END IF;
    IF inv.invoice_id IS NOT NULL AND (inv.status = 'void' OR revrec._invoice_posted(inv.customer_id, inv.invoice_id)) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('%s of %s on posted invoice %s is not allowed', TG_OP, TG_TABLE_NAME, inv.invoice_id),
            HINT = 'Correct a posted invoice with a credit note, a void or a manual journal.';
    END IF;
    -- a line moved to another invoice: that one must not be posted either,
    -- and is queued (posted at commit if it is issued and not posted yet)
    -- (nested: NEW.invoice_id exists only on invoice_line)
    IF TG_TABLE_NAME = 'invoice_line' AND TG_OP = 'UPDATE' THEN
      IF NEW.invoice_id IS DISTINCT FROM OLD.invoice_id THEN
        SELECT * INTO inv FROM revrec.invoice WHERE invoice_id = NEW.invoice_id FOR SHARE;
        IF inv.invoice_id IS NOT NULL AND (inv.status = 'void' OR revrec._invoice_posted(inv.customer_id, inv.invoice_id)) THEN
            RAISE EXCEPTION USING ERRCODE = 'RV013',
                MESSAGE = format('line %s cannot move to posted invoice %s', OLD.line_id, inv.invoice_id),
                HINT = 'Correct a posted invoice with a credit note, a void or a manual journal.';
        END IF;
        IF inv.invoice_id IS NOT NULL THEN
            INSERT INTO revrec.pending (customer_id, doc_kind, doc_id) VALUES (inv.customer_id, 'invoice', inv.invoice_id);
            PERFORM revrec._enqueue();
        END IF;
      END IF;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE OR REPLACE FUNCTION revrec._usage_ins() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- amounts in the line's currency; usage of a posted invoice posts at commit
    PERFORM revrec.to_minor_units(n.amount, i.currency)
       FROM new_rows n JOIN revrec.invoice_line l ON l.line_id = n.line_id
       JOIN revrec.invoice i ON i.invoice_id = l.invoice_id;
    -- the invoices other transactions wrote, FOR SHARE: none is issued and
    -- posted under this usage unseen (the query below, a new snapshot, sees
    -- one posted while we waited)
    PERFORM 1 FROM revrec.invoice i
     WHERE i.invoice_id IN (SELECT l.invoice_id FROM new_rows n JOIN revrec.invoice_line l ON l.line_id = n.line_id)
       AND NOT (i.xmin = pg_current_xact_id()::xid)
       FOR SHARE OF i;
    INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
    SELECT l.customer_id, 'usage', n.usage_id::text
      FROM new_rows n JOIN revrec.invoice_line l ON l.line_id = n.line_id
      JOIN revrec.invoice i ON i.invoice_id = l.invoice_id
     WHERE i.status = 'issued'
       -- usage of an invoice not posted yet is read when the invoice posts
       -- (a visible line's invoice has committed: not posted means draft, or
       -- issued in this very transaction and posting at its commit)
       AND EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                      AND p.source_id = i.invoice_id AND p.reason = 'issue');
    IF FOUND THEN
        PERFORM revrec._enqueue();
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION revrec._milestone_ins() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    -- as for usage: hold the invoices others wrote, then check them afresh
    PERFORM 1 FROM revrec.invoice i
     WHERE i.invoice_id IN (SELECT l.invoice_id FROM new_rows n JOIN revrec.invoice_line l ON l.line_id = n.line_id)
       AND NOT (i.xmin = pg_current_xact_id()::xid)
       FOR SHARE OF i;
    SELECT n.milestone_id, i.invoice_id INTO bad
      FROM new_rows n JOIN revrec.invoice_line l ON l.line_id = n.line_id
      JOIN revrec.invoice i ON i.invoice_id = l.invoice_id
     WHERE i.status = 'void' OR revrec._invoice_posted(i.customer_id, i.invoice_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('invoice %s is posted: milestone %s cannot be added', bad.invoice_id, bad.milestone_id);
    END IF;
    PERFORM revrec.to_minor_units(n.amount, i.currency)
       FROM new_rows n JOIN revrec.invoice_line l ON l.line_id = n.line_id
       JOIN revrec.invoice i ON i.invoice_id = l.invoice_id;
    RETURN NULL;
END $$;

-- 0.2: voids of invoices and credit notes share one function; the flush uses it.
CREATE FUNCTION revrec._void_postings(p_source text, p_customers text[], p_docs text[], p_void_days date[],
    p_labels text[], fl date)
    RETURNS void LANGUAGE sql AS $$
    INSERT INTO revrec.posting (customer_id, source, source_id, invoice_id, invoice_number, credit_note_id,
                                line_id, product_id, currency, method, journal_type, reason, ref_id, narrative,
                                floor_date, first_date, last_date, entries, sched_start, sched_end, sched_amount,
                                sched_strategy, sched_months, sched_split, sched_before, sched_after, sched_credit,
                                sched_from)
    SELECT p.customer_id, p.source, p.source_id, p.invoice_id, p.invoice_number, p.credit_note_id,
           p.line_id, p.product_id, p.currency, p.method, 'system', 'void', p.posting_id::text,
           'Void of ' || d.label, greatest(d.day, fl, p.floor_date), '-infinity', '-infinity',
           revrec._negate_amounts(p.entries), p.sched_start, p.sched_end, -p.sched_amount,
           p.sched_strategy, (SELECT array_agg(-m ORDER BY o) FROM unnest(p.sched_months) WITH ORDINALITY u(m, o)),
           p.sched_split, p.sched_before, p.sched_after, p.sched_credit, p.sched_from
      FROM unnest(p_customers, p_docs, p_void_days, p_labels) AS d(customer, doc, day, label)
      JOIN revrec.posting p ON p.customer_id = d.customer AND p.source = p_source AND p.source_id = d.doc
     WHERE p.reason <> 'void'
       AND NOT EXISTS (SELECT 1 FROM revrec.posting v WHERE v.customer_id = d.customer AND v.source = p_source
                          AND v.source_id = d.doc AND v.reason = 'void')
     ORDER BY p.posting_id $$;

CREATE OR REPLACE FUNCTION revrec.flush() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    s         revrec.settings;
    fl        date;
    ids       text[];
    issue_ids text[];
    void_ids  text[];
    mark      bigint;
    bad       record;
BEGIN
    -- FOR SHARE: a concurrent lock change waits until we commit, so what we
    -- post is checked against the lock date that stays in force.
    SELECT * INTO s FROM revrec.settings FOR SHARE;
    fl := s.lock_date + 1;
    -- the sequence's last value bounds what was posted before us (no table scan)
    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO mark FROM revrec.posting_posting_id_seq;

    -- billing schedules first: an invoice line naming a schedule line posted
    -- in this same transaction reads what the schedule recognized
    IF EXISTS (SELECT 1 FROM revrec.pending WHERE doc_kind = 'billing_schedule') THEN
        PERFORM revrec._flush_billing_schedules(s, fl);
    END IF;

    -- invoices -------------------------------------------------------------
    WITH q AS (DELETE FROM revrec.pending WHERE doc_kind = 'invoice' RETURNING doc_id)
    SELECT array_agg(DISTINCT doc_id) INTO ids FROM q;
    IF ids IS NOT NULL THEN
        SELECT array_agg(i.invoice_id) FILTER (WHERE i.status = 'issued' AND NOT posted),
               array_agg(i.invoice_id) FILTER (WHERE i.status = 'void' AND posted AND NOT voided)
          INTO issue_ids, void_ids
          FROM revrec.invoice i,
               LATERAL (SELECT EXISTS (SELECT 1 FROM revrec.posting p
                                        WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                          AND p.source_id = i.invoice_id AND p.reason = 'issue') AS posted,
                               EXISTS (SELECT 1 FROM revrec.posting p
                                        WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                          AND p.source_id = i.invoice_id AND p.reason = 'void') AS voided) x
         WHERE i.invoice_id = ANY (ids);
    END IF;

    IF issue_ids IS NOT NULL THEN
        -- prepaid credit drawdowns: serialize on the grants, then check them
        PERFORM 1 FROM revrec.credit_grant g
         WHERE g.grant_id IN (SELECT l.grant_id FROM revrec.invoice_line l
                               WHERE l.invoice_id = ANY (issue_ids) AND l.grant_id IS NOT NULL)
         ORDER BY g.grant_id FOR NO KEY UPDATE;
        SELECT l.line_id, l.invoice_id, g.grant_id, i.accounting_date, g.effective_date, g.expires_on,
               g.currency AS gcur, i.currency AS icur, g.customer_id AS gcust, i.customer_id AS icust
          INTO bad
          FROM revrec.invoice_line l JOIN revrec.invoice i USING (invoice_id)
          JOIN revrec.credit_grant g ON g.grant_id = l.grant_id
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
          JOIN revrec.invoice_line l ON l.grant_id = g.grant_id AND l.kind = 'credit_usage'
          JOIN revrec.invoice i ON i.invoice_id = l.invoice_id
         WHERE g.grant_id IN (SELECT l2.grant_id FROM revrec.invoice_line l2
                               WHERE l2.invoice_id = ANY (issue_ids) AND l2.grant_id IS NOT NULL)
           AND (i.invoice_id = ANY (issue_ids)
                OR (i.status = 'issued' AND EXISTS (SELECT 1 FROM revrec.posting p
                                                     WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                                                       AND p.source_id = i.invoice_id AND p.reason = 'issue')))
         GROUP BY g.grant_id, g.amount
        HAVING sum(-l.amount) > g.amount
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'RV021',
                MESSAGE = format('credit grant %s is overdrawn: %s drawn of %s', bad.grant_id, bad.drawn, bad.amount),
                HINT = 'A credit_usage line may draw at most the grant''s remaining balance.';
        END IF;

        INSERT INTO revrec.posting (customer_id, source, source_id, invoice_id, invoice_number, credit_note_id,
                                    line_id, product_id, currency, method, journal_type, reason, ref_id, narrative,
                                    floor_date, first_date, last_date, entries, sched_start, sched_end, sched_amount,
                                    sched_strategy, sched_months, sched_split, sched_before, sched_after, sched_credit)
        SELECT r.customer_id, r.source, r.source_id, r.invoice_id, r.invoice_number, r.credit_note_id,
               r.line_id, r.product_id, r.currency, r.method, r.journal_type, r.reason, r.ref_id, r.narrative,
               r.floor_date, '-infinity', '-infinity', r.entries, r.sched_start, r.sched_end, r.sched_amount,
               r.sched_strategy, r.sched_months, r.sched_split, r.sched_before, r.sched_after, r.sched_credit
          FROM revrec._post_invoices(issue_ids, s.allocation_strategy, fl, s.lock_to_accounting_date) r;
    END IF;

    IF void_ids IS NOT NULL THEN
        -- reverse everything the invoice posted: what was dated before the
        -- void day is reversed on it, later days on their own dates
        PERFORM revrec._void_postings('invoice', d.customers, d.docs, d.days, d.labels, fl)
           FROM (SELECT array_agg(i.customer_id) AS customers, array_agg(i.invoice_id) AS docs, array_agg(i.void_date) AS days,
                        array_agg('invoice ' || coalesce(i.invoice_number, i.invoice_id)) AS labels
                   FROM revrec.invoice i WHERE i.invoice_id = ANY (void_ids)) d;
    END IF;

    -- usage arriving for invoices already posted ----------------------------
    -- the rest is rare in bulk loads: skip what has nothing queued
    IF EXISTS (SELECT 1 FROM revrec.pending WHERE doc_kind = 'usage') THEN
        PERFORM revrec._flush_usage(fl, issue_ids);
    END IF;
    IF EXISTS (SELECT 1 FROM revrec.pending WHERE doc_kind = 'milestone') THEN
        PERFORM revrec._flush_milestones(fl, issue_ids);
    END IF;
    IF EXISTS (SELECT 1 FROM revrec.pending WHERE doc_kind = 'credit_note') THEN
        PERFORM revrec._flush_credit_notes(s, fl);
    END IF;

    PERFORM revrec._log_postings(mark, NULL);
    DELETE FROM revrec.pending_flush WHERE xid = pg_current_xact_id();
END $$;

CREATE OR REPLACE FUNCTION revrec._flush_credit_notes(s revrec.settings, fl date) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ids      text[];
    cn       record;
    l        record;
    inv      revrec.invoice;
    grp      text;
    issue    revrec.posting;
    cfloor   date;
    x        bigint;
    billed   bigint;
    def_bal  bigint;
    rec_bal  bigint;
    xd       bigint;
    k        bigint;
    anew     bigint;
    e        bigint[];
    months   date[];
    weights  bigint[];
    shares   bigint[];
    mstart   date;
    mend     date;
    last_adj date;
BEGIN
    WITH q AS (DELETE FROM revrec.pending WHERE doc_kind = 'credit_note' RETURNING doc_id)
    SELECT array_agg(DISTINCT doc_id) INTO ids FROM q;
    IF ids IS NULL THEN
        RETURN;
    END IF;

    -- voided credit notes: reverse what they posted, dated before the void day on it
    PERFORM revrec._void_postings('credit_note', d.customers, d.docs, d.days, d.labels, fl)
       FROM (SELECT array_agg(c.customer_id) AS customers, array_agg(c.credit_note_id) AS docs, array_agg(c.void_date) AS days,
                    array_agg('credit note ' || coalesce(c.credit_note_number, c.credit_note_id)) AS labels
               FROM revrec.credit_note c WHERE c.credit_note_id = ANY (ids) AND c.status = 'void') d
      WHERE d.docs IS NOT NULL;

    FOR cn IN
        SELECT c.* FROM revrec.credit_note c
         WHERE c.credit_note_id = ANY (ids) AND c.status = 'issued'
           AND NOT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = c.customer_id
                              AND p.source = 'credit_note' AND p.source_id = c.credit_note_id)
         ORDER BY c.credit_date, c.credit_note_id
    LOOP
        cfloor := CASE WHEN s.lock_to_accounting_date THEN greatest(fl, cn.credit_date) ELSE fl END;
        FOR l IN SELECT * FROM revrec.credit_note_line WHERE credit_note_id = cn.credit_note_id
                  ORDER BY credit_note_line_id LOOP
            x := revrec.to_minor_units(l.amount, cn.currency);
            IF l.line_id IS NULL THEN
                -- standalone credit: reverses recognized revenue on the credit date
                INSERT INTO revrec.posting (customer_id, source, source_id, credit_note_id, product_id, currency,
                                            method, reason, ref_id, floor_date, first_date, last_date, entries)
                VALUES (cn.customer_id, 'credit_note', cn.credit_note_id, cn.credit_note_id, l.product_id,
                        cn.currency, 'standalone', 'credit', l.credit_note_line_id, cfloor, '-infinity', '-infinity',
                        ARRAY[revrec._d(cn.credit_date), 3, x, revrec._d(cn.credit_date), 1, -x]);
                CONTINUE;
            END IF;

            SELECT i.* INTO inv FROM revrec.invoice i JOIN revrec.invoice_line il ON il.invoice_id = i.invoice_id
             WHERE il.line_id = l.line_id;
            SELECT CASE WHEN il.kind IN ('invoice_discount', 'minimum_true_up') THEN il.line_id
                        ELSE coalesce(il.group_id, il.line_id) END INTO grp
              FROM revrec.invoice_line il WHERE il.line_id = l.line_id;
            -- credits on one invoice are serialized: no two sessions over-credit it.
            -- NO KEY UPDATE, because the credit notes' foreign keys hold KEY SHARE
            -- locks on the invoice, which FOR UPDATE would deadlock against.
            PERFORM 1 FROM revrec.invoice i WHERE i.invoice_id = inv.invoice_id FOR NO KEY UPDATE;
            SELECT * INTO issue FROM revrec.posting p
             WHERE p.customer_id = inv.customer_id AND p.source = 'invoice' AND p.source_id = inv.invoice_id
               AND p.line_id = grp AND p.reason = 'issue';
            IF NOT FOUND OR inv.status <> 'issued' THEN
                RAISE EXCEPTION USING ERRCODE = 'RV014',
                    MESSAGE = format('credit note %s line %s credits line %s of invoice %s, which is not posted',
                                     cn.credit_note_id, l.credit_note_line_id, l.line_id, inv.invoice_id),
                    HINT = 'Only issued, posted invoices (not drafts or voids) can be credited.';
            END IF;
            IF inv.customer_id <> cn.customer_id OR inv.currency <> cn.currency
               OR (cn.invoice_id IS NOT NULL AND cn.invoice_id <> inv.invoice_id) THEN
                RAISE EXCEPTION USING ERRCODE = 'RV014',
                    MESSAGE = format('credit note %s line %s does not match invoice %s (customer %s, currency %s)',
                                     cn.credit_note_id, l.credit_note_line_id, inv.invoice_id, inv.customer_id, inv.currency);
            END IF;
            IF cn.credit_date < inv.accounting_date THEN
                RAISE EXCEPTION USING ERRCODE = 'RV014',
                    MESSAGE = format('credit note %s is dated %s, before invoice %s''s accounting date %s',
                                     cn.credit_note_id, cn.credit_date, inv.invoice_id, inv.accounting_date);
            END IF;
            billed := revrec._group_balance(inv.customer_id, inv.invoice_id, grp, 1::smallint, '-infinity', 'infinity');
            IF x > billed THEN
                RAISE EXCEPTION USING ERRCODE = 'RV020',
                    MESSAGE = format('credit of %s on invoice %s group %s is more than the %s left to credit',
                                     l.amount, inv.invoice_id, grp, revrec.from_minor_units(billed, cn.currency)),
                    HINT = 'Credit at most what the invoice billed for the line, less earlier credits.';
            END IF;
            def_bal := -revrec._group_balance(inv.customer_id, inv.invoice_id, grp, 2::smallint, '-infinity', cn.credit_date - 1);
            rec_bal := -revrec._group_balance(inv.customer_id, inv.invoice_id, grp, 3::smallint, '-infinity', cn.credit_date - 1);
            e := NULL; months := NULL; shares := NULL;

            IF s.credit_note_mode = 'cancel' THEN
                -- remaining recognition from the credit date, by month (straight line) or by day
                IF issue.sched_start IS NOT NULL THEN
                    SELECT array_agg(m ORDER BY m), array_agg(amt ORDER BY m) INTO months, weights
                      FROM (SELECT date_trunc('month', ms)::date AS m, coalesce(r.amt, 0) AS amt
                              FROM generate_series(date_trunc('month', cn.credit_date),
                                                   date_trunc('month', greatest(issue.sched_end, cn.credit_date)),
                                                   interval '1 month') ms
                              LEFT JOIN (SELECT date_trunc('month', e2.entry_date)::date AS m,
                                                sum(revrec.to_minor_units(CASE e2.direction WHEN 'credit' THEN e2.amount ELSE -e2.amount END, p.currency)) AS amt
                                           FROM revrec.posting p, revrec._entries(revrec._unfloored(p), cn.credit_date, NULL, true) e2
                                          WHERE p.customer_id = inv.customer_id AND p.invoice_id = inv.invoice_id
                                            AND ((p.source = 'invoice' AND p.source_id = inv.invoice_id) OR p.source = 'credit_note')
                                            AND p.line_id = grp AND e2.account_id = 3
                                          GROUP BY 1) r ON r.m = ms::date) z;
                ELSE
                    SELECT array_agg(d ORDER BY d), array_agg(amt ORDER BY d) INTO months, weights
                      FROM (SELECT e2.entry_date AS d,
                                   sum(revrec.to_minor_units(CASE e2.direction WHEN 'credit' THEN e2.amount ELSE -e2.amount END, p.currency))::bigint AS amt
                              FROM revrec.posting p, revrec._entries(revrec._unfloored(p), cn.credit_date, NULL, false) e2
                             WHERE p.customer_id = inv.customer_id AND p.invoice_id = inv.invoice_id
                                            AND ((p.source = 'invoice' AND p.source_id = inv.invoice_id) OR p.source = 'credit_note')
                               AND p.line_id = grp AND e2.account_id = 3
                             GROUP BY 1) z WHERE amt > 0;
                END IF;
                xd := least(x, greatest(def_bal, 0),
                            coalesce((SELECT sum(greatest(w, 0)) FROM unnest(weights) w), 0)::bigint);
                e := ARRAY[revrec._d(cn.credit_date), 1, -x, revrec._d(cn.credit_date), 2, xd,
                           revrec._d(cn.credit_date), 3, x - xd];
                IF xd > 0 THEN
                    shares := revrec._allocate(xd, weights);
                    IF issue.sched_start IS NULL THEN
                        SELECT e || coalesce(array_agg(v ORDER BY o), '{}') INTO e FROM (
                            SELECT i * 10 + j AS o, v
                              FROM generate_subscripts(shares, 1) i,
                                   unnest(ARRAY[revrec._d(months[i]), 2, -shares[i],
                                                revrec._d(months[i]), 3, shares[i]]) WITH ORDINALITY u(v, j)
                             WHERE shares[i] <> 0) z;
                        mstart := NULL;
                    ELSE
                        mstart := cn.credit_date;
                        mend := greatest(issue.sched_end, cn.credit_date);
                    END IF;
                END IF;
                INSERT INTO revrec.posting (customer_id, source, source_id, invoice_id, invoice_number, credit_note_id,
                                            line_id, product_id, currency, method, reason, ref_id, floor_date,
                                            first_date, last_date, entries, sched_start, sched_end, sched_months,
                                            sched_before, sched_after, sched_credit)
                VALUES (cn.customer_id, 'credit_note', cn.credit_note_id, inv.invoice_id, inv.invoice_number,
                        cn.credit_note_id, grp, issue.product_id, cn.currency, issue.method, 'credit',
                        l.credit_note_line_id, cfloor, '-infinity', '-infinity', e,
                        CASE WHEN xd > 0 AND issue.sched_start IS NOT NULL THEN mstart END,
                        CASE WHEN xd > 0 AND issue.sched_start IS NOT NULL THEN mend END,
                        CASE WHEN xd > 0 AND issue.sched_start IS NOT NULL
                             THEN (SELECT array_agg(-sh ORDER BY o) FROM unnest(shares) WITH ORDINALITY u(sh, o)) END,
                        CASE WHEN xd > 0 AND issue.sched_start IS NOT NULL THEN 2::smallint END,
                        CASE WHEN xd > 0 AND issue.sched_start IS NOT NULL THEN 2::smallint END,
                        CASE WHEN xd > 0 AND issue.sched_start IS NOT NULL THEN 3::smallint END);
            ELSE
                -- adjust: re-price the group to what is left billed, catch up on the credit date
                anew := billed - x;
                IF issue.sched_start IS NOT NULL THEN
                    SELECT max(p.sched_from) INTO last_adj FROM revrec.posting p
                     WHERE p.customer_id = inv.customer_id AND p.invoice_id = inv.invoice_id
                                            AND ((p.source = 'invoice' AND p.source_id = inv.invoice_id) OR p.source = 'credit_note') AND p.line_id = grp
                       AND p.reason = 'adjust';
                    IF last_adj > cn.credit_date THEN
                        RAISE EXCEPTION USING ERRCODE = 'RV014',
                            MESSAGE = format('credit note %s is dated %s, before the group''s last adjustment on %s',
                                             cn.credit_note_id, cn.credit_date, last_adj),
                            HINT = 'In adjust mode, credit a group in date order.';
                    END IF;
                    k := rec_bal - revrec._schedule_sum(anew, issue.sched_start, issue.sched_end, issue.sched_strategy,
                                                        '-infinity', cn.credit_date - 1);
                    e := ARRAY[revrec._d(cn.credit_date), 1, -x, revrec._d(cn.credit_date), 3, k,
                               revrec._d(cn.credit_date), 2, x - k];
                    -- the live schedules of the group stop at the credit date ...
                    INSERT INTO revrec.posting (customer_id, source, source_id, invoice_id, invoice_number, credit_note_id,
                                                line_id, product_id, currency, method, reason, ref_id, floor_date,
                                                first_date, last_date, entries, sched_start, sched_end, sched_amount,
                                                sched_strategy, sched_months, sched_split, sched_before, sched_after,
                                                sched_credit, sched_from)
                    SELECT cn.customer_id, 'credit_note', cn.credit_note_id, inv.invoice_id, inv.invoice_number,
                           cn.credit_note_id, grp, issue.product_id, cn.currency, issue.method, 'adjust_reversal',
                           p.posting_id::text, cfloor, '-infinity', '-infinity', NULL, p.sched_start, p.sched_end,
                           -p.sched_amount, p.sched_strategy,
                           (SELECT array_agg(-m ORDER BY o) FROM unnest(p.sched_months) WITH ORDINALITY u(m, o)),
                           p.sched_split, p.sched_before, p.sched_after, p.sched_credit,
                           greatest(cn.credit_date, p.sched_from)
                      FROM revrec.posting p
                     WHERE p.customer_id = inv.customer_id AND p.invoice_id = inv.invoice_id
                                            AND ((p.source = 'invoice' AND p.source_id = inv.invoice_id) OR p.source = 'credit_note') AND p.line_id = grp
                       AND p.sched_start IS NOT NULL AND p.reason NOT IN ('adjust_reversal', 'void')
                       AND p.sched_end >= cn.credit_date
                       AND NOT EXISTS (SELECT 1 FROM revrec.posting r
                                        WHERE r.customer_id = p.customer_id AND r.reason = 'adjust_reversal'
                                          AND r.ref_id = p.posting_id::text AND r.invoice_id = p.invoice_id)
                     ORDER BY p.posting_id;
                    -- ... and the new price takes over from it
                    INSERT INTO revrec.posting (customer_id, source, source_id, invoice_id, invoice_number, credit_note_id,
                                                line_id, product_id, currency, method, reason, ref_id, floor_date,
                                                first_date, last_date, entries, sched_start, sched_end, sched_amount,
                                                sched_strategy, sched_split, sched_before, sched_after, sched_credit,
                                                sched_from)
                    VALUES (cn.customer_id, 'credit_note', cn.credit_note_id, inv.invoice_id, inv.invoice_number,
                            cn.credit_note_id, grp, issue.product_id, cn.currency, issue.method, 'adjust',
                            l.credit_note_line_id, cfloor, '-infinity', '-infinity', e,
                            CASE WHEN anew <> 0 AND issue.sched_end >= cn.credit_date THEN issue.sched_start END,
                            CASE WHEN anew <> 0 AND issue.sched_end >= cn.credit_date THEN issue.sched_end END,
                            CASE WHEN anew <> 0 AND issue.sched_end >= cn.credit_date THEN anew END,
                            issue.sched_strategy, issue.sched_split, issue.sched_before, issue.sched_after,
                            issue.sched_credit, cn.credit_date);
                ELSE
                    -- explicit recognition days: the new price over the same days, by largest remainder
                    SELECT array_agg(d ORDER BY d), array_agg(amt ORDER BY d) INTO months, weights
                      FROM (SELECT e2.entry_date AS d,
                                   sum(revrec.to_minor_units(CASE e2.direction WHEN 'credit' THEN e2.amount ELSE -e2.amount END, p.currency))::bigint AS amt
                              FROM revrec.posting p, revrec._entries(revrec._unfloored(p), NULL, NULL, false) e2
                             WHERE p.customer_id = inv.customer_id AND p.invoice_id = inv.invoice_id
                                            AND ((p.source = 'invoice' AND p.source_id = inv.invoice_id) OR p.source = 'credit_note')
                               AND p.line_id = grp AND e2.account_id = 3
                             GROUP BY 1) z WHERE amt <> 0;
                    shares := CASE WHEN anew = 0 OR months IS NULL THEN array_fill(0::bigint, ARRAY[coalesce(cardinality(months), 0)])
                                   ELSE revrec._allocate(anew, weights) END;
                    k := rec_bal - coalesce((SELECT sum(shares[i]) FROM generate_subscripts(months, 1) i
                                              WHERE months[i] < cn.credit_date), 0)::bigint;
                    e := ARRAY[revrec._d(cn.credit_date), 1, -x, revrec._d(cn.credit_date), 3, k,
                               revrec._d(cn.credit_date), 2, x - k];
                    SELECT e || coalesce(array_agg(v ORDER BY o), '{}') INTO e FROM (
                        SELECT i * 10 + j AS o, v, j
                          FROM generate_subscripts(months, 1) i,
                               unnest(ARRAY[revrec._d(months[i]), 2, -(weights[i] - shares[i]),
                                            revrec._d(months[i]), 3, weights[i] - shares[i]]) WITH ORDINALITY u(v, j)
                         WHERE months[i] >= cn.credit_date AND weights[i] <> shares[i]) z;
                    INSERT INTO revrec.posting (customer_id, source, source_id, invoice_id, invoice_number, credit_note_id,
                                                line_id, product_id, currency, method, reason, ref_id, floor_date,
                                                first_date, last_date, entries)
                    VALUES (cn.customer_id, 'credit_note', cn.credit_note_id, inv.invoice_id, inv.invoice_number,
                            cn.credit_note_id, grp, issue.product_id, cn.currency, issue.method, 'adjust',
                            l.credit_note_line_id, cfloor, '-infinity', '-infinity', e);
                END IF;
            END IF;
        END LOOP;
    END LOOP;
END $$;

-- 0.2: report fixes
--   waterfall: what is still deferred with no date to recognize it (an open
--     milestone) is a row with month NULL, so remaining reconciles to the
--     deferred account; revrec._posting_summary returns that undated amount (a
--     new column: dropped and created again).
--   deferred_revenue (C): an undated amount is current when the service period
--     ends within 12 months of as_of.
--   journal_report: exclude_fully_recognized keeps the groups whose deferred or
--     unbilled balance is still open (revrec._group_open).
--   waterfall_csv: one call of the waterfall pivoted in one pass, an
--     Unscheduled column, every amount with its currency's decimals.
DROP FUNCTION revrec._posting_summary(revrec.posting, date, date);
CREATE FUNCTION revrec._posting_summary(p revrec.posting, as_of date, horizon date,
    OUT billed bigint, OUT deferred bigint, OUT recognized bigint, OUT unbilled bigint, OUT other bigint,
    OUT future_near bigint, OUT future_far bigint, OUT undated bigint)
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_posting_summary';

CREATE FUNCTION revrec._group_open(p_customer text, p_source text, p_doc text, p_line text, p_day date,
    p_as_of timestamptz)
    RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_deferred bigint;
    v_unbilled bigint;
    v_schedule text;
BEGIN
    -- the group's postings: its document's (an invoice's or a billing
    -- schedule line's) and its credit notes' (through the two indexes)
    IF EXISTS (SELECT 1 FROM revrec.posting q
                WHERE q.customer_id = p_customer AND q.line_id = p_line
                  AND ((q.source IN ('invoice', 'billing_schedule') AND q.source_id = p_doc)
                       OR (q.source = 'credit_note' AND q.invoice_id = p_doc))
                  AND coalesce(q.invoice_id, q.source_id) = p_doc
                  AND (p_as_of IS NULL OR q.recorded_at <= p_as_of)
                  AND q.last_date > p_day) THEN
        RETURN true;
    END IF;
    SELECT coalesce(sum(x.deferred), 0), coalesce(sum(x.unbilled), 0) INTO v_deferred, v_unbilled
      FROM revrec.posting q
     CROSS JOIN LATERAL revrec._posting_summary(q, p_day, p_day) x
     WHERE q.customer_id = p_customer AND q.line_id = p_line
       AND ((q.source IN ('invoice', 'billing_schedule') AND q.source_id = p_doc)
            OR (q.source = 'credit_note' AND q.invoice_id = p_doc))
       AND coalesce(q.invoice_id, q.source_id) = p_doc
       AND (p_as_of IS NULL OR q.recorded_at <= p_as_of);
    IF v_deferred <> 0 THEN
        RETURN true;
    ELSIF v_unbilled = 0 THEN
        RETURN false;
    END IF;
    -- the billing schedule line this group is, or bills
    IF p_source = 'billing_schedule' THEN
        v_schedule := p_doc;
    ELSE
        SELECT l.schedule_line_id INTO v_schedule
          FROM revrec.invoice_line l WHERE l.line_id = p_line AND l.invoice_id = p_doc;
    END IF;
    IF v_schedule IS NULL THEN
        RETURN true;
    END IF;
    SELECT coalesce(sum(x.unbilled), 0) INTO v_unbilled
      FROM (SELECT r FROM revrec.billing_schedule_line b
              JOIN revrec.posting r ON r.customer_id = b.customer_id AND r.source = 'billing_schedule'
                                   AND r.source_id = b.schedule_line_id
             WHERE b.schedule_line_id = v_schedule
            UNION ALL
            SELECT r FROM revrec.invoice_line l
              JOIN revrec.posting r ON r.customer_id = l.customer_id AND r.invoice_id = l.invoice_id
                                   AND r.line_id = coalesce(l.group_id, l.line_id)
             WHERE l.schedule_line_id = v_schedule) z
     CROSS JOIN LATERAL revrec._posting_summary(z.r, p_day, p_day) x
     WHERE p_as_of IS NULL OR (z.r).recorded_at <= p_as_of;
    RETURN v_unbilled <> 0;
END $$;

CREATE OR REPLACE FUNCTION revrec._report_postings(p_from date, p_to date, p_currency text, p_as_of timestamptz,
    p_journal_type text, p_source text, p_customer text, p_product text, p_invoice text, p_credit_note text,
    p_exclude_fully_recognized boolean)
    RETURNS SETOF revrec.posting
    LANGUAGE sql STABLE AS $$
    SELECT p.* FROM revrec.posting p
     WHERE p.first_date <= p_to AND p.last_date >= p_from
       AND (p_currency IS NULL OR p.currency = p_currency)
       AND (p_as_of IS NULL OR p.recorded_at <= p_as_of)
       AND (p_journal_type IS NULL OR p.journal_type = p_journal_type)
       AND (p_source IS NULL OR p.source = p_source)
       AND (p_customer IS NULL OR p.customer_id = p_customer)
       AND (p_product IS NULL OR p.product_id = p_product)
       AND (p_invoice IS NULL OR p.invoice_id = p_invoice)
       AND (p_credit_note IS NULL OR p.credit_note_id = p_credit_note)
       -- exclude_fully_recognized: hide the groups complete by the as-of day
       AND (NOT p_exclude_fully_recognized OR p.line_id IS NULL OR p.last_date > coalesce(p_as_of, now())::date
            OR revrec._group_open(p.customer_id, p.source, coalesce(p.invoice_id, p.source_id), p.line_id,
                                  coalesce(p_as_of, now())::date, p_as_of)) $$;

CREATE OR REPLACE FUNCTION revrec._waterfall(p_as_of date, p_currency text, p_customer text, p_product text)
    RETURNS SETOF revrec.waterfall_row
    LANGUAGE sql STABLE AS $$
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
       AND CASE WHEN t.month IS NOT NULL THEN t.amount <> 0 ELSE t.undated <> 0 OR t.months = 0 END $$;

CREATE OR REPLACE FUNCTION revrec.waterfall(as_of date, currency text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL)
    RETURNS SETOF revrec.waterfall_row
    LANGUAGE sql STABLE AS $$
    SELECT * FROM revrec._waterfall($1, $2, $3, $4)
     WHERE revrec._check_currency($2, '-infinity', $1)
     ORDER BY customer_id, product_id, month NULLS LAST $$;
COMMENT ON FUNCTION revrec.waterfall(date, text, text, text) IS
    'per customer and product: booked, recognized to date, remaining, the amount of each future month and the undated amount (month NULL)';

CREATE OR REPLACE FUNCTION revrec.waterfall_csv(as_of date, currency text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL, months integer DEFAULT 24)
    RETURNS TABLE (line text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    first_month date := date_trunc('month', as_of)::date;
    first_index integer := extract(year FROM as_of)::integer * 12 + extract(month FROM as_of)::integer;
BEGIN
    IF months IS NULL OR months < 0 OR months > 12000 THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006',
            MESSAGE = format('months must be between 0 and 12000, not %s', coalesce(months::text, 'null'));
    END IF;
    line := concat_ws(',', 'Customer ID,Customer name,Product ID,Product name,Currency,Booked,Recognized,Remaining',
                      nullif(array_to_string(ARRAY(SELECT to_char(first_month + make_interval(months => i), 'YYYY-MM')
                                                     FROM generate_series(0, months - 1) i ORDER BY i), ','), ''),
                      'Later,Unscheduled');
    RETURN NEXT;
    RETURN QUERY
    -- the column of each waterfall row: 0 .. months-1 a month, months Later,
    -- months+1 Unscheduled (a row with month and amount NULL has no amount)
    WITH w AS (
        SELECT w.customer_id, w.product_id, w.currency, w.booked, w.recognized, w.remaining, w.amount,
               CASE WHEN w.month IS NULL THEN months + 1
                    ELSE least(extract(year FROM w.month)::integer * 12 + extract(month FROM w.month)::integer
                               - first_index, months) END AS col,
               row_number() OVER (PARTITION BY w.customer_id, w.currency, w.product_id) = 1 AS head
          FROM revrec.waterfall(waterfall_csv.as_of, waterfall_csv.currency,
                                waterfall_csv.customer_id, waterfall_csv.product_id) w),
    -- each column's amount per product and per customer (its total row)
    c AS (
        SELECT w.customer_id, w.currency, w.product_id, grouping(w.product_id) = 0 AS is_product, w.col,
               sum(w.booked) FILTER (WHERE w.head) AS booked, sum(w.recognized) FILTER (WHERE w.head) AS recognized,
               sum(w.remaining) FILTER (WHERE w.head) AS remaining, sum(w.amount) AS amount
          FROM w GROUP BY GROUPING SETS ((w.customer_id, w.currency, w.product_id, w.col),
                                         (w.customer_id, w.currency, w.col))),
    -- one line each: its columns that have an amount, and the amounts
    l AS (
        SELECT c.customer_id, c.currency, c.product_id, c.is_product, sum(c.booked) AS booked,
               sum(c.recognized) AS recognized, sum(c.remaining) AS remaining,
               array_agg(c.col) FILTER (WHERE c.amount IS NOT NULL) AS cols,
               array_agg(c.amount) FILTER (WHERE c.amount IS NOT NULL) AS amounts,
               revrec.from_minor_units(0, c.currency) AS zero
          FROM c GROUP BY c.customer_id, c.currency, c.product_id, c.is_product)
    -- a customer's total line says so in the product name column: a line of
    -- lines without a product has both product columns empty
    SELECT concat_ws(',', revrec._csv(l.customer_id), revrec._csv(cu.name), revrec._csv(l.product_id),
                     CASE WHEN l.is_product THEN revrec._csv(pr.name) ELSE 'Total' END, l.currency, l.booked, l.recognized, l.remaining,
                     array_to_string(ARRAY(SELECT coalesce(l.amounts[array_position(l.cols, i)], l.zero)
                                             FROM generate_series(0, months + 1) i), ','))
      FROM l
      LEFT JOIN revrec.customer cu ON cu.customer_id = l.customer_id
      LEFT JOIN revrec.product pr ON pr.product_id = l.product_id AND l.is_product
     ORDER BY l.customer_id, l.currency, l.is_product, l.product_id;
END $$;
GRANT EXECUTE ON FUNCTION revrec._posting_summary(revrec.posting, date, date) TO revrec_reader;
GRANT EXECUTE ON FUNCTION revrec._group_open(text, text, text, text, date, timestamptz) TO revrec_reader;

-- 0.2: deferred revenue grouped in C (src/reports.c), rows in report order.
CREATE OR REPLACE FUNCTION revrec._deferred_revenue(p_as_of date, p_currency text, p_customer text, p_product text)
    RETURNS SETOF revrec.deferred_revenue_row
    LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'revrec_deferred_revenue';
COMMENT ON FUNCTION revrec._deferred_revenue(date, text, text, text) IS
    'deferred revenue rows in report order (customer, product, source_id, line_id; src/deferred.c)';

CREATE OR REPLACE FUNCTION revrec.deferred_revenue(as_of date, currency text DEFAULT NULL, customer_id text DEFAULT NULL,
    product_id text DEFAULT NULL)
    RETURNS SETOF revrec.deferred_revenue_row
    LANGUAGE sql STABLE AS $$
    -- rows come from C already ordered by customer_id, product_id, source_id,
    -- line_id (NULLs last, the database's collation): no second sort
    SELECT * FROM revrec._deferred_revenue($1, $2, $3, $4)
     WHERE revrec._check_currency($2, '-infinity', $1) $$;

REVOKE EXECUTE ON FUNCTION revrec._void_postings(text, text[], text[], date[], text[], date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION revrec._void_postings(text, text[], text[], date[], text[], date) TO revrec_reader;
