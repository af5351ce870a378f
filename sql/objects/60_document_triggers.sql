-- Document triggers: validate writes, refuse changes to posted documents,
-- queue documents for the flush at commit.  Statement-level with transition
-- tables where volume matters (a COPY of 100,000 lines is one trigger call).
CREATE OR REPLACE FUNCTION revrec._invoice_posted(p_customer text, p_invoice text) RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = p_customer AND p.source = 'invoice'
                      AND p.source_id = p_invoice AND p.reason = 'issue');
END;

-- Usage only on usage lines and inside the line's service period (the
-- engine recognizes what usage does not cover on service_end: usage after it
-- would recognize nothing the line did not bill); milestones only on
-- milestone lines.  p_kind: 'usage' or 'milestone'; dates: the usage dates
-- (NULL for milestones).  One query over all the rows of a statement.
-- The rule itself, inlined into the statement checks: true when a usage row
-- (p_kind 'usage', dated d) or a milestone (p_kind 'milestone', d NULL) does
-- not suit a line recognized by method over [start, end].
CREATE OR REPLACE FUNCTION revrec._child_misfit(p_kind text, method text, start date, stop date, d date)
    RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN method <> p_kind OR d < start OR d > stop;

CREATE OR REPLACE FUNCTION revrec._check_child_rows(p_kind text, line_ids text[], dates date[])
    RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    SELECT x.line_id, x.d, l.service_start, l.service_end,
           coalesce(l.recognition_method, p.recognition_method, 'straight_line') AS method
      INTO bad
      FROM unnest(line_ids, dates) AS x(line_id, d)
      JOIN revrec.invoice_line l ON l.line_id = x.line_id
      LEFT JOIN revrec.product p ON p.product_id = l.product_id
     WHERE revrec._child_misfit(p_kind, coalesce(l.recognition_method, p.recognition_method, 'straight_line'),
                                l.service_start, l.service_end, x.d)
     LIMIT 1;
    IF FOUND THEN
        IF bad.method <> p_kind THEN
            RAISE EXCEPTION USING ERRCODE = 'RV014',
                MESSAGE = format('line %s is recognized by %s: it cannot have %s', bad.line_id, bad.method,
                                 CASE p_kind WHEN 'usage' THEN 'usage' ELSE 'milestones' END),
                HINT = format('%s rows belong on lines whose recognition_method (or product''s) is %s.',
                              initcap(p_kind), p_kind);
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'RV014',
            MESSAGE = format('usage of line %s dated %s is outside its service period %s to %s',
                             bad.line_id, bad.d, coalesce(bad.service_start::text, '...'), coalesce(bad.service_end::text, '...')),
            HINT = 'Date usage inside the line''s service period.';
    END IF;
END $$;

-- Child rows written in one statement with their parent (a CTE) could not
-- see it in their BEFORE trigger: fill their customer_id from the parent once
-- the statement is done.  tbl: invoice_line, usage, milestone, credit_note_line.
CREATE OR REPLACE FUNCTION revrec._fill_customers(tbl text, ids text[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    CASE tbl
    WHEN 'invoice_line' THEN
        UPDATE revrec.invoice_line c SET customer_id = i.customer_id FROM revrec.invoice i
         WHERE c.line_id = ANY (ids) AND i.invoice_id = c.invoice_id AND c.customer_id IS NULL;
    WHEN 'usage' THEN
        UPDATE revrec.usage c SET customer_id = l.customer_id FROM revrec.invoice_line l
         WHERE c.usage_id::text = ANY (ids) AND l.line_id = c.line_id AND c.customer_id IS NULL;
    WHEN 'milestone' THEN
        UPDATE revrec.milestone c SET customer_id = l.customer_id FROM revrec.invoice_line l
         WHERE c.milestone_id = ANY (ids) AND l.line_id = c.line_id AND c.customer_id IS NULL;
    WHEN 'credit_note_line' THEN
        UPDATE revrec.credit_note_line c SET customer_id = n.customer_id FROM revrec.credit_note n
         WHERE c.credit_note_line_id = ANY (ids) AND n.credit_note_id = c.credit_note_id AND c.customer_id IS NULL;
    END CASE;
END $$;

-- A billing schedule line is billed once, by an invoice of its own customer
-- and currency (a line of a void invoice no longer bills it).  The schedule
-- lines are locked first, so two sessions billing one cannot both pass.
CREATE OR REPLACE FUNCTION revrec._check_schedule_billing(line_ids text[], invoice_ids text[], schedule_ids text[])
    RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    PERFORM 1 FROM revrec.billing_schedule_line b WHERE b.schedule_line_id = ANY (schedule_ids)
     ORDER BY b.schedule_line_id FOR NO KEY UPDATE OF b;
    SELECT x.line_id, x.schedule_line_id, i.invoice_id, i.customer_id AS icust, i.currency AS icur,
           b.customer_id AS bcust, b.currency AS bcur, o.line_id AS other_line, o.invoice_id AS other_invoice
      INTO bad
      FROM unnest(line_ids, invoice_ids, schedule_ids) AS x(line_id, invoice_id, schedule_line_id)
      JOIN revrec.invoice i ON i.invoice_id = x.invoice_id
      JOIN revrec.billing_schedule_line b ON b.schedule_line_id = x.schedule_line_id
      LEFT JOIN LATERAL (SELECT l2.line_id, l2.invoice_id FROM revrec.invoice_line l2
                           JOIN revrec.invoice i2 ON i2.invoice_id = l2.invoice_id
                          WHERE l2.schedule_line_id = x.schedule_line_id AND l2.line_id <> x.line_id
                            AND i2.status <> 'void'
                          LIMIT 1) o ON true
     WHERE i.customer_id <> b.customer_id OR i.currency <> b.currency OR o.line_id IS NOT NULL
     LIMIT 1;
    IF FOUND THEN
        IF bad.other_line IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV014',
                MESSAGE = format('billing schedule line %s is already billed by line %s of invoice %s',
                                 bad.schedule_line_id, bad.other_line, bad.other_invoice),
                DETAIL = format('Line %s of invoice %s bills it again.', bad.line_id, bad.invoice_id),
                HINT = 'A billing schedule line is billed once; void the other invoice first to bill it anew.';
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'RV014',
            MESSAGE = format('line %s of invoice %s (customer %s, %s) cannot bill billing schedule line %s of customer %s in %s',
                             bad.line_id, bad.invoice_id, bad.icust, bad.icur, bad.schedule_line_id, bad.bcust, bad.bcur);
    END IF;
END $$;

-- invoice ------------------------------------------------------------------
CREATE OR REPLACE FUNCTION revrec._invoice_ins() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
    SELECT n.customer_id, 'invoice', n.invoice_id FROM new_rows n WHERE n.status = 'issued';
    IF FOUND THEN
        PERFORM revrec._enqueue();
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER invoice_ins AFTER INSERT ON revrec.invoice REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._invoice_ins();

CREATE OR REPLACE FUNCTION revrec._invoice_upd() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    posted boolean := revrec._invoice_posted(OLD.customer_id, OLD.invoice_id);
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
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
    -- (a draft's change of customer carries to its lines once the invoice
    -- has it: _customer_carry, below)
    -- (an issue or a void is queued after the row changed: 62_queue_changes.sql)
    RETURN NEW;
END $$;

-- A draft's change of customer carries to its lines, their usage and
-- milestones (a credit note's: to its lines), after the document row has
-- changed, so that each of them has its parent's customer at every step
-- (_same_customer).  In replica mode (a restore or a subscriber) the trigger
-- does not fire: what follows from a change arrives by itself.
CREATE OR REPLACE FUNCTION revrec._customer_carry() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF TG_TABLE_NAME = 'credit_note' THEN
        UPDATE revrec.credit_note_line c SET customer_id = NEW.customer_id
         WHERE c.credit_note_id = NEW.credit_note_id AND c.customer_id IS DISTINCT FROM NEW.customer_id;
        RETURN NULL;
    END IF;
    UPDATE revrec.invoice_line l SET customer_id = NEW.customer_id
     WHERE l.invoice_id = NEW.invoice_id AND l.customer_id IS DISTINCT FROM NEW.customer_id;
    UPDATE revrec.usage u SET customer_id = NEW.customer_id FROM revrec.invoice_line l
     WHERE l.invoice_id = NEW.invoice_id AND u.line_id = l.line_id AND u.customer_id IS DISTINCT FROM NEW.customer_id;
    UPDATE revrec.milestone m SET customer_id = NEW.customer_id FROM revrec.invoice_line l
     WHERE l.invoice_id = NEW.invoice_id AND m.line_id = l.line_id AND m.customer_id IS DISTINCT FROM NEW.customer_id;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER invoice_customer_carry AFTER UPDATE OF customer_id ON revrec.invoice
    FOR EACH ROW WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id) EXECUTE FUNCTION revrec._customer_carry();
CREATE OR REPLACE TRIGGER credit_note_customer_carry AFTER UPDATE OF customer_id ON revrec.credit_note
    FOR EACH ROW WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id) EXECUTE FUNCTION revrec._customer_carry();

-- A line, usage row, milestone or credit note line has its parent's customer
-- (the posting engines and reports join them by customer too: a row of
-- another customer would never post).  An INSERT that leaves customer_id out
-- gets it filled in; one that names another customer, and any UPDATE that
-- leaves a row with another customer than its parent's (a changed
-- customer_id, a line moved to another customer's invoice), is refused.
-- Statement-level, over the statement's new rows; TG_ARGV: parent table,
-- its key, the child's column naming it, the child's own id, and the two
-- names the message uses; the triggers are named to fire after the ones that
-- lock the invoice FOR SHARE (usage_ins, milestone_ins), so a parent's change
-- of customer committed meanwhile is seen.  (Invoice lines' INSERT:
-- _invoice_line_ins.)  A
-- row inserted without its customer is left to the statement's fill
-- (_fill_customers), whose UPDATE this then checks; an UPDATE to NULL is
-- refused.
CREATE OR REPLACE FUNCTION revrec._same_customer() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF TG_OP = 'INSERT' AND TG_TABLE_NAME <> 'invoice_line' THEN
        -- rows inserted without their customer whose parent the BEFORE fill
        -- did not see (written by a transaction that committed since): filled
        -- now, from the parent the reference check found; none is left
        -- without one
        EXECUTE format('SELECT revrec._fill_customers(%1$L, ARRAY(SELECT n.%2$I::text FROM new_rows n WHERE n.customer_id IS NULL))
                         WHERE EXISTS (SELECT 1 FROM new_rows n WHERE n.customer_id IS NULL)', TG_TABLE_NAME, TG_ARGV[3]);
        EXECUTE format('SELECT c.%2$I::text AS id, c.%3$I::text AS pid FROM revrec.%1$I c
                         WHERE c.%2$I IN (SELECT n.%2$I FROM new_rows n WHERE n.customer_id IS NULL) AND c.customer_id IS NULL
                         ORDER BY 1 LIMIT 1', TG_TABLE_NAME, TG_ARGV[3], TG_ARGV[2]) INTO r;
        IF r.id IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RV014',
                MESSAGE = format('%s %s has no customer_id: %s %s was not found', TG_ARGV[4], r.id, TG_ARGV[5], r.pid);
        END IF;
    END IF;
    EXECUTE format('SELECT n.%4$I::text AS id, n.customer_id AS ncust, p.%2$I::text AS pid, p.customer_id AS pcust
                      FROM new_rows n JOIN revrec.%1$I p ON p.%2$I = n.%3$I
                     WHERE %5$s
                     ORDER BY 1 LIMIT 1', TG_ARGV[0], TG_ARGV[1], TG_ARGV[2], TG_ARGV[3],
                   CASE TG_OP WHEN 'INSERT' THEN 'n.customer_id <> p.customer_id'
                              ELSE 'n.customer_id IS DISTINCT FROM p.customer_id' END) INTO r;
    IF r.id IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RV014',
            MESSAGE = format('%s %s has customer_id %s but %s %s belongs to %s', TG_ARGV[4], r.id,
                             coalesce(r.ncust, 'NULL'), TG_ARGV[5], r.pid, r.pcust),
            HINT = format('A %s has its %s''s customer: leave customer_id out and revrec fills it in.', TG_ARGV[4], TG_ARGV[5]);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER invoice_line_same_customer_upd AFTER UPDATE ON revrec.invoice_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._same_customer('invoice', 'invoice_id', 'invoice_id', 'line_id', 'line', 'invoice');

CREATE OR REPLACE TRIGGER invoice_upd BEFORE UPDATE ON revrec.invoice
    FOR EACH ROW EXECUTE FUNCTION revrec._invoice_upd();

CREATE OR REPLACE FUNCTION revrec._invoice_del() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF revrec._invoice_posted(OLD.customer_id, OLD.invoice_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('invoice %s is posted and cannot be deleted', OLD.invoice_id),
            HINT = 'Void it instead: UPDATE revrec.invoice SET status = ''void''.';
    END IF;
    RETURN OLD;
END $$;

CREATE OR REPLACE TRIGGER invoice_del BEFORE DELETE ON revrec.invoice
    FOR EACH ROW EXECUTE FUNCTION revrec._invoice_del();

-- invoice_line -------------------------------------------------------------
-- customer_id is filled from the invoice when the writer leaves it out.
CREATE OR REPLACE FUNCTION revrec._fill_line_customer() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    SELECT i.customer_id INTO NEW.customer_id FROM revrec.invoice i WHERE i.invoice_id = NEW.invoice_id;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER invoice_line_fill BEFORE INSERT ON revrec.invoice_line
    FOR EACH ROW WHEN (NEW.customer_id IS NULL) EXECUTE FUNCTION revrec._fill_line_customer();

CREATE OR REPLACE FUNCTION revrec._invoice_line_ins() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    bad record;
    no_customer boolean;
    schedules boolean;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    -- lines inserted in one statement with their invoice (a CTE) could not
    -- see it when they were filled in: take the customer from it now
    SELECT coalesce(bool_or(n.customer_id IS NULL), false), coalesce(bool_or(n.schedule_line_id IS NOT NULL), false)
      INTO no_customer, schedules FROM new_rows n;
    IF no_customer THEN
        PERFORM revrec._fill_customers('invoice_line', ARRAY(SELECT n.line_id FROM new_rows n WHERE n.customer_id IS NULL));
    END IF;
    IF schedules THEN
        PERFORM revrec._check_schedule_billing(array_agg(n.line_id), array_agg(n.invoice_id), array_agg(n.schedule_line_id))
           FROM new_rows n WHERE n.schedule_line_id IS NOT NULL;
    END IF;
    -- one pass over the lines and their invoices: the customer must be the
    -- invoice's, and amounts must fit the invoice's currency (too many
    -- decimals is an error raised by to_minor_units; the IS NULL tests are
    -- never true, they only make every row go through the conversion)
    SELECT n.line_id, n.invoice_id, n.customer_id AS ncust, i.customer_id AS icust, false AS posted
      INTO bad
      FROM new_rows n JOIN revrec.invoice i ON i.invoice_id = n.invoice_id
     WHERE n.customer_id <> i.customer_id
        OR revrec.to_minor_units(n.amount, i.currency) IS NULL
        OR (n.ssp IS NOT NULL AND revrec.to_minor_units(n.ssp, i.currency) IS NULL);
        -- (no LIMIT: planned for the whole set, hash joins; it stops at the first row)
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
           AND NOT revrec._restoring()   -- a restore brings the lines after their invoice (33_restore.sql)
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
    IF no_customer THEN
        INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
        SELECT DISTINCT i.customer_id, 'invoice', n.invoice_id FROM new_rows n JOIN revrec.invoice i ON i.invoice_id = n.invoice_id;
    ELSE
        INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
        SELECT DISTINCT n.customer_id, 'invoice', n.invoice_id FROM new_rows n;
    END IF;
    IF FOUND THEN
        PERFORM revrec._enqueue();
    END IF;
    RETURN NULL;
END $$;

-- Named to fire after invoice_line_invoice_ins (triggers of one event fire in
-- name order): that one finds missing invoices and locks the others' invoices
-- FOR SHARE, which the "already posted" check above relies on.
CREATE OR REPLACE TRIGGER invoice_line_queue_ins AFTER INSERT ON revrec.invoice_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._invoice_line_ins();

-- Lines (and usage, milestones' amounts) of a posted invoice never change.
CREATE OR REPLACE FUNCTION revrec._child_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    inv revrec.invoice;
    lid text := CASE WHEN TG_TABLE_NAME = 'invoice_line' THEN NULL ELSE OLD.line_id END;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
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
    -- usage or a milestone moved to another line: that line's invoice must
    -- not be posted either (nor void), and the row must suit its line
    IF TG_TABLE_NAME IN ('usage', 'milestone') AND TG_OP = 'UPDATE' THEN
        IF NEW.line_id IS DISTINCT FROM OLD.line_id THEN
            SELECT i.* INTO inv FROM revrec.invoice i JOIN revrec.invoice_line l ON l.invoice_id = i.invoice_id
             WHERE l.line_id = NEW.line_id FOR SHARE OF i;
            IF inv.invoice_id IS NOT NULL AND (inv.status = 'void' OR revrec._invoice_posted(inv.customer_id, inv.invoice_id)) THEN
                RAISE EXCEPTION USING ERRCODE = 'RV013',
                    MESSAGE = format('%s of line %s cannot move to line %s of posted invoice %s', TG_TABLE_NAME, OLD.line_id,
                                     NEW.line_id, inv.invoice_id),
                    HINT = 'Correct a posted invoice with a credit note, a void or a manual journal.';
            END IF;
            NEW.customer_id := inv.customer_id;
        END IF;
        PERFORM revrec._check_child_rows(TG_TABLE_NAME, ARRAY[NEW.line_id],
                                         ARRAY[CASE WHEN TG_TABLE_NAME = 'usage' THEN (to_jsonb(NEW) ->> 'usage_date')::date END]);
    END IF;
    -- a draft line whose recognition changes keeps its usage and milestones valid
    IF TG_TABLE_NAME = 'invoice_line' AND TG_OP = 'UPDATE' THEN
        IF (NEW.recognition_method, NEW.product_id, NEW.service_start, NEW.service_end)
           IS DISTINCT FROM (OLD.recognition_method, OLD.product_id, OLD.service_start, OLD.service_end) THEN
            DECLARE
                m text := coalesce(NEW.recognition_method,
                                   (SELECT p.recognition_method FROM revrec.product p WHERE p.product_id = NEW.product_id),
                                   'straight_line');
            BEGIN
                IF (m <> 'usage' AND EXISTS (SELECT 1 FROM revrec.usage u WHERE u.line_id = OLD.line_id))
                   OR (m <> 'milestone' AND EXISTS (SELECT 1 FROM revrec.milestone x WHERE x.line_id = OLD.line_id)) THEN
                    RAISE EXCEPTION USING ERRCODE = 'RV014',
                        MESSAGE = format('line %s has usage or milestones: it cannot be recognized by %s', OLD.line_id, m),
                        HINT = 'Delete its usage or milestones first.';
                END IF;
                IF EXISTS (SELECT 1 FROM revrec.usage u WHERE u.line_id = OLD.line_id
                              AND (u.usage_date < NEW.service_start OR u.usage_date > NEW.service_end)) THEN
                    RAISE EXCEPTION USING ERRCODE = 'RV014',
                        MESSAGE = format('line %s has usage outside the service period %s to %s', OLD.line_id,
                                         NEW.service_start, NEW.service_end);
                END IF;
            END;
        END IF;
    END IF;
    -- a line moved to another invoice: that one must not be posted either
    -- (it is queued, and posted at commit if it is issued and not posted yet)
    -- (nested: NEW.invoice_id exists only on invoice_line)
    IF TG_TABLE_NAME = 'invoice_line' AND TG_OP = 'UPDATE' THEN
      IF NEW.schedule_line_id IS NOT NULL AND (NEW.schedule_line_id, NEW.invoice_id) IS DISTINCT FROM (OLD.schedule_line_id, OLD.invoice_id) THEN
        PERFORM revrec._check_schedule_billing(ARRAY[NEW.line_id], ARRAY[NEW.invoice_id], ARRAY[NEW.schedule_line_id]);
      END IF;
      IF NEW.invoice_id IS DISTINCT FROM OLD.invoice_id THEN
        SELECT * INTO inv FROM revrec.invoice WHERE invoice_id = NEW.invoice_id FOR SHARE;
        IF inv.invoice_id IS NOT NULL AND (inv.status = 'void' OR revrec._invoice_posted(inv.customer_id, inv.invoice_id)) THEN
            RAISE EXCEPTION USING ERRCODE = 'RV013',
                MESSAGE = format('line %s cannot move to posted invoice %s', OLD.line_id, inv.invoice_id),
                HINT = 'Correct a posted invoice with a credit note, a void or a manual journal.';
        END IF;
        -- (the invoice is queued after the line moved: 62_queue_changes.sql)
      END IF;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE OR REPLACE TRIGGER invoice_line_change BEFORE UPDATE OR DELETE ON revrec.invoice_line
    FOR EACH ROW EXECUTE FUNCTION revrec._child_change();

-- usage ----------------------------------------------------------------------
CREATE OR REPLACE FUNCTION revrec._fill_child_customer() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    SELECT l.customer_id INTO NEW.customer_id FROM revrec.invoice_line l WHERE l.line_id = NEW.line_id;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER usage_fill BEFORE INSERT ON revrec.usage
    FOR EACH ROW WHEN (NEW.customer_id IS NULL) EXECUTE FUNCTION revrec._fill_child_customer();

CREATE OR REPLACE TRIGGER usage_same_customer_ins AFTER INSERT ON revrec.usage REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._same_customer('invoice_line', 'line_id', 'line_id', 'usage_id', 'usage row', 'line');
CREATE OR REPLACE TRIGGER usage_same_customer_upd AFTER UPDATE ON revrec.usage REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._same_customer('invoice_line', 'line_id', 'line_id', 'usage_id', 'usage row', 'line');
CREATE OR REPLACE TRIGGER milestone_same_customer_ins AFTER INSERT ON revrec.milestone REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._same_customer('invoice_line', 'line_id', 'line_id', 'milestone_id', 'milestone', 'line');
CREATE OR REPLACE TRIGGER milestone_same_customer_upd AFTER UPDATE ON revrec.milestone REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._same_customer('invoice_line', 'line_id', 'line_id', 'milestone_id', 'milestone', 'line');

-- (credit note lines: 55_credit_notes.sql; here, after the function)
CREATE OR REPLACE TRIGGER credit_note_line_same_customer_ins AFTER INSERT ON revrec.credit_note_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._same_customer('credit_note', 'credit_note_id', 'credit_note_id', 'credit_note_line_id', 'credit note line', 'credit note');
CREATE OR REPLACE TRIGGER credit_note_line_same_customer_upd AFTER UPDATE ON revrec.credit_note_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._same_customer('credit_note', 'credit_note_id', 'credit_note_id', 'credit_note_line_id', 'credit note line', 'credit note');

CREATE OR REPLACE TRIGGER milestone_fill BEFORE INSERT ON revrec.milestone
    FOR EACH ROW WHEN (NEW.customer_id IS NULL) EXECUTE FUNCTION revrec._fill_child_customer();

CREATE OR REPLACE FUNCTION revrec._usage_ins() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    bad record;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    -- one pass: amounts in the line's currency (to_minor_units raises on too
    -- many decimals; its IS NULL is never true), usage lines only, inside
    -- their period (the first misfit is reported by _check_child_rows); rows
    -- written with their line in one statement get its customer
    SELECT n.line_id, n.usage_date, n.customer_id IS NULL AS no_customer INTO bad
      FROM new_rows n JOIN revrec.invoice_line l ON l.line_id = n.line_id
      JOIN revrec.invoice i ON i.invoice_id = l.invoice_id
      LEFT JOIN revrec.product p ON p.product_id = l.product_id
     WHERE revrec.to_minor_units(n.amount, i.currency) IS NULL
        OR revrec._child_misfit('usage', coalesce(l.recognition_method, p.recognition_method, 'straight_line'),
                                l.service_start, l.service_end, n.usage_date)
        OR n.customer_id IS NULL;   -- (no LIMIT: planned for the whole set, hash joins; it stops at the first row)
    IF FOUND THEN
        PERFORM revrec._check_child_rows('usage', array_agg(n.line_id), array_agg(n.usage_date)) FROM new_rows n;
        PERFORM revrec._fill_customers('usage', ARRAY(SELECT n.usage_id::text FROM new_rows n WHERE n.customer_id IS NULL));
    END IF;
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

CREATE OR REPLACE TRIGGER usage_ins AFTER INSERT ON revrec.usage REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._usage_ins();

CREATE OR REPLACE TRIGGER usage_change BEFORE UPDATE OR DELETE ON revrec.usage
    FOR EACH ROW EXECUTE FUNCTION revrec._child_change();

-- milestones -----------------------------------------------------------------
CREATE OR REPLACE FUNCTION revrec._milestone_ins() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    bad record;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    -- as for usage: hold the invoices others wrote, then check them afresh
    PERFORM 1 FROM revrec.invoice i
     WHERE i.invoice_id IN (SELECT l.invoice_id FROM new_rows n JOIN revrec.invoice_line l ON l.line_id = n.line_id)
       AND NOT (i.xmin = pg_current_xact_id()::xid)
       FOR SHARE OF i;
    SELECT n.milestone_id, i.invoice_id INTO bad
      FROM new_rows n JOIN revrec.invoice_line l ON l.line_id = n.line_id
      JOIN revrec.invoice i ON i.invoice_id = l.invoice_id
     WHERE (i.status = 'void' OR revrec._invoice_posted(i.customer_id, i.invoice_id))
       AND NOT revrec._restoring()   -- a restore brings milestones after their invoice (33_restore.sql)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('invoice %s is posted: milestone %s cannot be added', bad.invoice_id, bad.milestone_id);
    END IF;
    PERFORM revrec._check_child_rows('milestone', array_agg(n.line_id), array_fill(NULL::date, ARRAY[count(*)::int]))
       FROM new_rows n;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.customer_id IS NULL) THEN
        PERFORM revrec._fill_customers('milestone', ARRAY(SELECT n.milestone_id FROM new_rows n WHERE n.customer_id IS NULL));
    END IF;
    PERFORM revrec.to_minor_units(n.amount, i.currency)
       FROM new_rows n JOIN revrec.invoice_line l ON l.line_id = n.line_id
       JOIN revrec.invoice i ON i.invoice_id = l.invoice_id;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER milestone_ins AFTER INSERT ON revrec.milestone REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._milestone_ins();

CREATE OR REPLACE TRIGGER milestone_change BEFORE UPDATE OR DELETE ON revrec.milestone
    FOR EACH ROW EXECUTE FUNCTION revrec._child_change();

CREATE OR REPLACE FUNCTION revrec._milestone_upd() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    INSERT INTO revrec.pending (customer_id, doc_kind, doc_id, old_date, new_date)
    SELECT n.customer_id, 'milestone', n.milestone_id, o.completed_on, n.completed_on
      FROM new_rows n JOIN old_rows o USING (milestone_id)
     WHERE n.completed_on IS DISTINCT FROM o.completed_on;
    IF FOUND THEN
        PERFORM revrec._enqueue();
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER milestone_upd AFTER UPDATE ON revrec.milestone
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._milestone_upd();

-- billing schedule lines -----------------------------------------------------
CREATE OR REPLACE FUNCTION revrec._billing_schedule_ins() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    PERFORM revrec.to_minor_units(n.amount, n.currency) FROM new_rows n;
    INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
    SELECT n.customer_id, 'billing_schedule', n.schedule_line_id FROM new_rows n;
    IF FOUND THEN
        PERFORM revrec._enqueue();
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER billing_schedule_ins AFTER INSERT ON revrec.billing_schedule_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._billing_schedule_ins();

CREATE OR REPLACE FUNCTION revrec._billing_schedule_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = OLD.customer_id
                  AND p.source = 'billing_schedule' AND p.source_id = OLD.schedule_line_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('billing schedule line %s is posted and cannot change', OLD.schedule_line_id);
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE OR REPLACE TRIGGER billing_schedule_change BEFORE UPDATE OR DELETE ON revrec.billing_schedule_line
    FOR EACH ROW EXECUTE FUNCTION revrec._billing_schedule_change();

-- The guards of posted documents hold in replica mode too (a superuser with
-- session_replication_role = replica, a logical-replication subscriber):
-- they only refuse, and skip their queueing there.  A restore only inserts.
ALTER TABLE revrec.invoice ENABLE ALWAYS TRIGGER invoice_upd;
ALTER TABLE revrec.invoice ENABLE ALWAYS TRIGGER invoice_del;
ALTER TABLE revrec.invoice_line ENABLE ALWAYS TRIGGER invoice_line_change;
ALTER TABLE revrec.usage ENABLE ALWAYS TRIGGER usage_change;
ALTER TABLE revrec.milestone ENABLE ALWAYS TRIGGER milestone_change;
ALTER TABLE revrec.billing_schedule_line ENABLE ALWAYS TRIGGER billing_schedule_change;
