-- Journal entries (SPEC 5), manual journals (5.3), privileges (8).
CREATE OR REPLACE FUNCTION revrec._narrative(p revrec.posting, catchup_from date, entry_date date) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE
        WHEN catchup_from IS NOT NULL AND p.reason = 'void' THEN
            format('Void of invoice %s: reverses entries dated %s to %s', coalesce(p.invoice_number, p.invoice_id),
                   to_char(catchup_from, 'YYYY-MM-DD'), to_char(entry_date - 1, 'YYYY-MM-DD'))
        WHEN catchup_from IS NOT NULL THEN
            format('Catch-up of entries dated %s to %s, posted on the first open day %s (period locked through %s)',
                   to_char(catchup_from, 'YYYY-MM-DD'), to_char(entry_date - 1, 'YYYY-MM-DD'),
                   to_char(entry_date, 'YYYY-MM-DD'), to_char(entry_date - 1, 'YYYY-MM-DD'))
        WHEN p.narrative IS NOT NULL THEN p.narrative
        WHEN p.source = 'invoice' THEN
            format('%s invoice %s, %s', CASE p.reason WHEN 'issue' THEN 'Revenue' ELSE initcap(p.reason) END,
                   coalesce(p.invoice_number, p.invoice_id), coalesce(p.product_id, p.line_id))
        WHEN p.source = 'billing_schedule' THEN format('Billing schedule %s, %s', p.source_id, p.product_id)
        WHEN p.source = 'credit_note' AND p.reason = 'adjust_reversal' THEN
            format('Credit note %s: schedule of invoice %s re-priced from %s', p.credit_note_id,
                   coalesce(p.invoice_number, p.invoice_id), to_char(p.sched_from, 'YYYY-MM-DD'))
        WHEN p.source = 'credit_note' AND p.invoice_id IS NOT NULL THEN
            format('Credit note %s on invoice %s, %s (%s)', p.credit_note_id, coalesce(p.invoice_number, p.invoice_id),
                   coalesce(p.product_id, p.line_id), p.reason)
        WHEN p.source = 'credit_note' THEN format('Credit note %s, %s', p.credit_note_id, coalesce(p.product_id, ''))
        ELSE p.reason
    END;
END;

CREATE OR REPLACE VIEW revrec.journal_entry AS
SELECT e.journal_number, e.entry_date, p.source, p.source_id, nullif(p.customer_id, '') AS customer_id,
       p.product_id, p.invoice_id, p.invoice_number, p.credit_note_id, p.line_id, a.code AS account,
       e.direction, e.amount, p.currency, p.method,
       revrec._narrative(p, e.catchup_from, e.entry_date) AS narrative,
       p.journal_type, p.recorded_at, p.posting_id, p.reason
  FROM revrec.posting p
 CROSS JOIN LATERAL revrec._entries(p, NULL, NULL, false) e
  JOIN revrec.ledger_account a ON a.account_id = e.account_id;

COMMENT ON VIEW revrec.journal_entry IS
    'every daily ledger entry, expanded from revrec.posting; amount > 0, direction debit or credit';

-- Manual journals -------------------------------------------------------------
-- revrec.post_manual_journal() is the caller's function (SECURITY INVOKER):
-- it checks that the caller, current_user as PostgreSQL sees it, is
-- revrec_admin, so a reader or writer is told which role is needed; the
-- journal is then written by revrec._post_manual_journal() (SECURITY DEFINER,
-- executable by revrec_admin only, so PostgreSQL's own privilege check on
-- the real caller stands behind the friendly one, also where revrec code
-- runs for another role, e.g. an index expression during ANALYZE).
CREATE OR REPLACE FUNCTION revrec.post_manual_journal(
    entry_date date, narrative text, lines jsonb, currency text,
    customer_id text DEFAULT NULL, product_id text DEFAULT NULL, invoice_id text DEFAULT NULL,
    adjusts text DEFAULT NULL) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_has_role(current_user, 'revrec_admin', 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'revrec_admin is required to post a manual journal',
            HINT = 'Ask a member of revrec_admin; manual journals are recorded in revrec.activity_log.';
    END IF;
    RETURN revrec._post_manual_journal(entry_date, narrative, lines, currency, customer_id, product_id, invoice_id, adjusts);
END $$;

CREATE OR REPLACE FUNCTION revrec._post_manual_journal(
    entry_date date, narrative text, lines jsonb, currency text,
    customer_id text, product_id text, invoice_id text, adjusts text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e        bigint[] := '{}';
    l        jsonb;
    acct     smallint;
    amt      bigint;
    dr       bigint := 0;
    cr       bigint := 0;
    jid      text;
    inv      revrec.invoice;
    mark     bigint;
    i        int := 0;
BEGIN
    IF entry_date IS NULL OR NOT isfinite(entry_date) OR currency IS NULL OR lines IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006',
            MESSAGE = 'post_manual_journal: entry_date, lines and currency are required';
    END IF;
    PERFORM revrec.to_minor_units(0, currency);   -- unknown currency: RV001
    IF jsonb_typeof(lines) <> 'array' OR jsonb_array_length(lines) < 2 THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006',
            MESSAGE = 'post_manual_journal: lines must be a JSON array of at least two lines',
            HINT = 'Example: [{"account": "deferred", "direction": "debit", "amount": "100.00"}, {"account": "recognized", "direction": "credit", "amount": "100.00"}]';
    END IF;
    FOR l IN SELECT * FROM jsonb_array_elements(lines) LOOP
        i := i + 1;
        IF jsonb_typeof(l) <> 'object' OR NOT (l ? 'account' AND l ? 'direction' AND l ? 'amount') THEN
            RAISE EXCEPTION USING ERRCODE = 'RV006',
                MESSAGE = format('post_manual_journal: line %s must have account, direction and amount', i);
        END IF;
        SELECT a.account_id INTO acct FROM revrec.ledger_account a WHERE a.code = l->>'account';
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'RV006',
                MESSAGE = format('post_manual_journal: line %s: unknown ledger account "%s"', i, l->>'account'),
                HINT = 'See revrec.ledger_account for the account codes.';
        END IF;
        IF l->>'direction' NOT IN ('debit', 'credit') THEN
            RAISE EXCEPTION USING ERRCODE = 'RV006',
                MESSAGE = format('post_manual_journal: line %s: direction must be "debit" or "credit", not "%s"', i, l->>'direction');
        END IF;
        BEGIN
            amt := revrec.to_minor_units((l->>'amount')::numeric, currency);
        EXCEPTION WHEN invalid_text_representation THEN
            RAISE EXCEPTION USING ERRCODE = 'RV006',
                MESSAGE = format('post_manual_journal: line %s: amount "%s" is not a number', i, l->>'amount');
        END;
        IF amt <= 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'RV006',
                MESSAGE = format('post_manual_journal: line %s: amount must be positive', i);
        END IF;
        IF l->>'direction' = 'debit' THEN
            dr := dr + amt;
        ELSE
            cr := cr + amt;
            amt := -amt;
        END IF;
        e := e || ARRAY[revrec._d(entry_date), acct, amt];
    END LOOP;
    IF dr <> cr THEN
        RAISE EXCEPTION USING ERRCODE = 'RV010',
            MESSAGE = format('manual journal does not balance: debits %s, credits %s',
                             revrec.from_minor_units(dr, currency), revrec.from_minor_units(cr, currency));
    END IF;
    IF invoice_id IS NOT NULL THEN
        SELECT * INTO inv FROM revrec.invoice i WHERE i.invoice_id = _post_manual_journal.invoice_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'RV006', MESSAGE = format('unknown invoice %s', invoice_id);
        END IF;
        customer_id := coalesce(customer_id, inv.customer_id);
    END IF;
    IF customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM revrec.customer c WHERE c.customer_id = _post_manual_journal.customer_id) THEN
        RAISE EXCEPTION USING ERRCODE = '23503', MESSAGE = format('unknown customer %s', customer_id);
    END IF;
    IF product_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM revrec.product p WHERE p.product_id = _post_manual_journal.product_id) THEN
        RAISE EXCEPTION USING ERRCODE = '23503', MESSAGE = format('unknown product %s', product_id);
    END IF;
    -- hold the settings row as the flush does: a lock moved meanwhile waits
    -- until this journal commits (the ledger's check trigger then applies
    -- the lock in force), so no journal slips under a lock
    PERFORM 1 FROM revrec.settings FOR SHARE;
    -- A journal id needs no global counter: time of posting plus a random tag.
    jid := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISSUS') || '-' || substr(md5(random()::text), 1, 6);
    -- the sequence's last value bounds what was posted before us (no table scan)
    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO mark FROM revrec.posting_posting_id_seq;
    INSERT INTO revrec.posting (customer_id, source, source_id, invoice_id, invoice_number, product_id, currency,
                                method, journal_type, reason, ref_id, narrative, first_date, last_date, entries)
    VALUES (coalesce(customer_id, ''), 'standalone', jid, inv.invoice_id, inv.invoice_number, product_id, currency,
            NULL, 'manual', 'manual', adjusts, narrative, '-infinity', '-infinity', e);
    PERFORM revrec._log_postings(mark, 'manual journal');
    RETURN revrec._journal_number('standalone', jid, product_id, entry_date);
END $$;
