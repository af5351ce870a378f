-- Status changes (issued, void) of invoices and credit notes, and a line
-- moved to another invoice, are queued AFTER the row has changed.  In
-- immediate mode (after SET CONSTRAINTS ALL IMMEDIATE, which lasts to the end
-- of the transaction) writing the queue runs the flush at once: queued from
-- a BEFORE trigger, the flush ran before the row changed, found the draft
-- or the issued invoice as it was, and the issue or void never posted (found
-- by test/shell/concurrency.sh).  Replica mode (a restore, a subscriber)
-- queues nothing: these triggers are not ENABLE ALWAYS.
CREATE OR REPLACE FUNCTION revrec._queue_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    IF TG_TABLE_NAME = 'credit_note' THEN
        INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
        VALUES (NEW.customer_id, 'credit_note', NEW.credit_note_id);
    ELSE   -- an invoice issued or voided, or a line moved onto an invoice
        INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
        SELECT i.customer_id, 'invoice', i.invoice_id FROM revrec.invoice i WHERE i.invoice_id = NEW.invoice_id;
    END IF;
    PERFORM revrec._enqueue();
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER invoice_queue_upd AFTER UPDATE ON revrec.invoice FOR EACH ROW
    WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('issued', 'void'))
    EXECUTE FUNCTION revrec._queue_change();

CREATE OR REPLACE TRIGGER credit_note_queue_upd AFTER UPDATE ON revrec.credit_note FOR EACH ROW
    WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('issued', 'void'))
    EXECUTE FUNCTION revrec._queue_change();

CREATE OR REPLACE TRIGGER invoice_line_queue_upd AFTER UPDATE ON revrec.invoice_line FOR EACH ROW
    WHEN (NEW.invoice_id IS DISTINCT FROM OLD.invoice_id)
    EXECUTE FUNCTION revrec._queue_change();
