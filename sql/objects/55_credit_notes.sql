-- Credit notes: cancel and adjust modes, standalone credits, voids.
CREATE OR REPLACE FUNCTION revrec._allocate(total bigint, weights bigint[]) RETURNS bigint[]
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_allocate';

CREATE OR REPLACE FUNCTION revrec._schedule_sum(amount bigint, service_start date, service_end date, strategy smallint,
    from_date date, to_date date) RETURNS bigint
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_schedule_sum';

-- Credit notes are posted in C (src/post_credit.c): cancel and adjust
-- modes, standalone credits.
CREATE OR REPLACE FUNCTION revrec._post_credit_notes(p_ids text[], p_mode text, fl date, p_floor_to_accounting boolean)
    RETURNS bigint LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_post_credit_notes';

-- Triggers: the same life cycle as invoices.
CREATE OR REPLACE FUNCTION revrec._credit_note_posted(p_customer text, p_cn text) RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = p_customer AND p.source = 'credit_note'
                      AND p.source_id = p_cn);
END;

CREATE OR REPLACE FUNCTION revrec._credit_note_ins() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
    SELECT n.customer_id, 'credit_note', n.credit_note_id FROM new_rows n WHERE n.status = 'issued';
    IF FOUND THEN
        PERFORM revrec._enqueue();
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER credit_note_ins AFTER INSERT ON revrec.credit_note REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._credit_note_ins();

CREATE OR REPLACE FUNCTION revrec._credit_note_upd() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    posted boolean := revrec._credit_note_posted(OLD.customer_id, OLD.credit_note_id);
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
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
    -- (a draft's change of customer carries to its lines once the credit note
    -- has it: _customer_carry, 60_document_triggers.sql)
    IF NEW.status = 'void' AND OLD.status <> 'void' THEN
        -- a void reverses the credit note: never before the credit note itself
        NEW.void_date := revrec._void_day('credit note', NEW.credit_note_id, NEW.void_date, NEW.credit_date, 'credit date');
    END IF;
    -- (an issue or a void is queued after the row changed: 62_queue_changes.sql)
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER credit_note_upd BEFORE UPDATE ON revrec.credit_note
    FOR EACH ROW EXECUTE FUNCTION revrec._credit_note_upd();

CREATE OR REPLACE FUNCTION revrec._credit_note_del() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF revrec._credit_note_posted(OLD.customer_id, OLD.credit_note_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('credit note %s is posted and cannot be deleted', OLD.credit_note_id);
    END IF;
    RETURN OLD;
END $$;

CREATE OR REPLACE TRIGGER credit_note_del BEFORE DELETE ON revrec.credit_note
    FOR EACH ROW EXECUTE FUNCTION revrec._credit_note_del();

CREATE OR REPLACE FUNCTION revrec._fill_cn_line_customer() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    SELECT c.customer_id INTO NEW.customer_id FROM revrec.credit_note c WHERE c.credit_note_id = NEW.credit_note_id;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER credit_note_line_fill BEFORE INSERT ON revrec.credit_note_line
    FOR EACH ROW WHEN (NEW.customer_id IS NULL) EXECUTE FUNCTION revrec._fill_cn_line_customer();

CREATE OR REPLACE FUNCTION revrec._credit_note_line_ins() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    bad record;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.customer_id IS NULL) THEN
        PERFORM revrec._fill_customers('credit_note_line',
                                       ARRAY(SELECT n.credit_note_line_id FROM new_rows n WHERE n.customer_id IS NULL));
    END IF;
    SELECT n.credit_note_line_id, c.credit_note_id INTO bad
      FROM new_rows n JOIN revrec.credit_note c ON c.credit_note_id = n.credit_note_id
     WHERE (c.status = 'void' OR revrec._credit_note_posted(c.customer_id, c.credit_note_id))
       AND NOT revrec._restoring()   -- a restore brings the lines after their note (33_restore.sql)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('credit note %s is posted: line %s cannot be added', bad.credit_note_id, bad.credit_note_line_id);
    END IF;
    PERFORM revrec.to_minor_units(n.amount, c.currency)
       FROM new_rows n JOIN revrec.credit_note c ON c.credit_note_id = n.credit_note_id;
    INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
    SELECT DISTINCT c.customer_id, 'credit_note', c.credit_note_id
      FROM new_rows n JOIN revrec.credit_note c ON c.credit_note_id = n.credit_note_id
     WHERE c.status = 'issued';
    IF FOUND THEN
        PERFORM revrec._enqueue();
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER credit_note_line_ins AFTER INSERT ON revrec.credit_note_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._credit_note_line_ins();

CREATE OR REPLACE FUNCTION revrec._credit_note_line_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c revrec.credit_note;
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    SELECT * INTO c FROM revrec.credit_note WHERE credit_note_id = OLD.credit_note_id FOR SHARE;
    IF c.status = 'void' OR revrec._credit_note_posted(c.customer_id, c.credit_note_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('%s of a line of posted credit note %s is not allowed', TG_OP, c.credit_note_id);
    END IF;
    -- nor may a line move onto a posted (or void) credit note
    IF TG_OP = 'UPDATE' AND NEW.credit_note_id IS DISTINCT FROM OLD.credit_note_id THEN
        SELECT * INTO c FROM revrec.credit_note WHERE credit_note_id = NEW.credit_note_id FOR SHARE;
        IF c.status = 'void' OR revrec._credit_note_posted(c.customer_id, c.credit_note_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'RV013',
                MESSAGE = format('line %s cannot move to posted credit note %s', OLD.credit_note_line_id, c.credit_note_id);
        END IF;
        NEW.customer_id := c.customer_id;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE OR REPLACE TRIGGER credit_note_line_change BEFORE UPDATE OR DELETE ON revrec.credit_note_line
    FOR EACH ROW EXECUTE FUNCTION revrec._credit_note_line_change();


-- Credit grants (prepaid credits): money like any other amount (exact in the
-- grant's currency, never NaN or infinite), and fixed once drawn: a line of
-- an issued or void invoice that draws on it posted against these terms.
CREATE OR REPLACE FUNCTION revrec._credit_grant_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    PERFORM revrec.to_minor_units(NEW.amount, NEW.currency);
    IF TG_OP = 'UPDATE'
       AND (NEW.grant_id, NEW.customer_id, NEW.currency, NEW.amount, NEW.effective_date, NEW.expires_on)
           IS DISTINCT FROM (OLD.grant_id, OLD.customer_id, OLD.currency, OLD.amount, OLD.effective_date, OLD.expires_on)
       AND EXISTS (SELECT 1 FROM revrec.invoice_line l JOIN revrec.invoice i ON i.invoice_id = l.invoice_id
                    WHERE l.grant_id = OLD.grant_id AND i.status <> 'draft') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV013',
            MESSAGE = format('credit grant %s has been drawn: its amount, customer, currency and dates cannot change', OLD.grant_id),
            HINT = 'Issue a new grant for new terms.';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER credit_grant_change BEFORE INSERT OR UPDATE ON revrec.credit_grant
    FOR EACH ROW EXECUTE FUNCTION revrec._credit_grant_change();

-- credit notes' guards hold in replica mode too (see 60_document_triggers.sql)
ALTER TABLE revrec.credit_note ENABLE ALWAYS TRIGGER credit_note_upd;
ALTER TABLE revrec.credit_note ENABLE ALWAYS TRIGGER credit_note_del;
ALTER TABLE revrec.credit_note_line ENABLE ALWAYS TRIGGER credit_note_line_change;
ALTER TABLE revrec.credit_grant ENABLE ALWAYS TRIGGER credit_grant_change;
