-- The day a void of a document takes effect: the one given, or today (never
-- before the document's own date); a void dated before the document is refused.
-- what: 'invoice' / 'credit note'; date_name: what the document's date is called.
CREATE OR REPLACE FUNCTION revrec._void_day(what text, doc_id text, void_date date, doc_date date, date_name text)
    RETURNS date LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF void_date < doc_date THEN
        RAISE EXCEPTION USING ERRCODE = 'RV014',
            MESSAGE = format('%s %s cannot be voided on %s, before its %s %s', what, doc_id, void_date, date_name, doc_date),
            HINT = format('Date the void on or after the %s (or leave void_date out).', date_name);
    END IF;
    RETURN coalesce(void_date, greatest(current_date, doc_date));
END $$;
