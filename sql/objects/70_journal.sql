-- Journal entries, manual journals (5.3), privileges (8).
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

-- The journal itself (src/post_manual.c): SECURITY DEFINER, revrec_admin only.
CREATE OR REPLACE FUNCTION revrec._post_manual_journal(
    entry_date date, narrative text, lines jsonb, currency text,
    customer_id text, product_id text, invoice_id text, adjusts text) RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'revrec_post_manual_journal';
