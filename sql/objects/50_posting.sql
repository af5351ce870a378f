-- Posting: document triggers queue work; one deferred trigger per
-- transaction posts everything queued in one set-based pass at commit.
CREATE OR REPLACE FUNCTION revrec._posting_sum(p revrec.posting, from_date date, to_date date)
    RETURNS bigint LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_posting_sum';

CREATE OR REPLACE FUNCTION revrec._posting_stats(p revrec.posting, OUT n_entries bigint, OUT debits bigint)
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_posting_stats';

CREATE OR REPLACE FUNCTION revrec._journal_number(source text, source_id text, product_id text, day date)
    RETURNS text LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'revrec_journal_number';

CREATE OR REPLACE FUNCTION revrec._recognition_delta(t date, dates date[], amounts bigint[])
    RETURNS bigint[] LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_recognition_delta';

CREATE OR REPLACE FUNCTION revrec._negate_amounts(entries bigint[])
    RETURNS bigint[] LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_negate_amounts';

-- What revrec.verify() checks of a stored posting (src/ledger.c): the first
-- date whose explicit entries do not balance, and the accounts it names.
CREATE OR REPLACE FUNCTION revrec._posting_balance(p revrec.posting, OUT unbalanced_on date, OUT net bigint,
                                                   OUT accounts smallint[])
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_posting_balance';

CREATE OR REPLACE FUNCTION revrec._account_sum(entries bigint[], account smallint)
    RETURNS bigint LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_account_sum';

CREATE OR REPLACE FUNCTION revrec._d(d date) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
 SELECT (d - date '2000-01-01')::bigint;
END;

-- Posts the invoices (src/post_invoice.c): one INSERT of all their postings;
-- returns how many.
CREATE OR REPLACE FUNCTION revrec._post_invoices(p_ids text[], p_strategy text, p_floor date, p_floor_to_accounting boolean)
    RETURNS bigint
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_post_invoices';

CREATE OR REPLACE TRIGGER activity_no_update BEFORE UPDATE OR DELETE ON revrec.activity
    FOR EACH ROW EXECUTE FUNCTION revrec._ledger_immutable();

CREATE OR REPLACE TRIGGER activity_no_truncate BEFORE TRUNCATE ON revrec.activity
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._ledger_immutable();
ALTER TABLE revrec.activity ENABLE ALWAYS TRIGGER activity_no_update;
ALTER TABLE revrec.activity ENABLE ALWAYS TRIGGER activity_no_truncate;

CREATE OR REPLACE VIEW revrec.activity_log AS
SELECT activity_id, at, who, action, source, document_id, customer_id, entries, amount, currency, detail
  FROM revrec.activity;

-- One row per document and action posted by this transaction after posting
-- p_from (src/activity.c: one pass over the new postings).
CREATE OR REPLACE FUNCTION revrec._log_postings(p_from bigint, p_action text) RETURNS void
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_log_postings';

-- (while a dump is being restored, what was queued is dropped: 33_restore.sql)
CREATE OR REPLACE FUNCTION revrec._enqueue() RETURNS void
    LANGUAGE sql
BEGIN ATOMIC
    DELETE FROM revrec.pending WHERE revrec._restoring();
    INSERT INTO revrec.pending_flush SELECT pg_current_xact_id() WHERE NOT revrec._restoring() ON CONFLICT DO NOTHING;
END;

-- Voids (src/post_void.c): a negated copy of every posting of the
-- documents, floored on the void day, so what was dated before it is
-- reversed on it and later days on their own dates.  Shared by invoice and
-- credit-note voids.
CREATE OR REPLACE FUNCTION revrec._post_voids(p_source text, p_customers text[], p_docs text[], p_void_days date[],
    p_labels text[], fl date)
    RETURNS bigint LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_post_voids';

-- Billing schedule lines (src/post_schedule.c).
CREATE OR REPLACE FUNCTION revrec._post_billing_schedules(p_ids text[], p_strategy text, fl date)
    RETURNS bigint LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_post_billing_schedules';

-- What the invoices being issued must satisfy before they post: their
-- prepaid-credit drawdowns fit their grants (the grants are locked first: two
-- invoices drawing on one grant are checked one after the other).  That an
-- issued invoice has lines is checked by the engine (src/post_invoice.c).
CREATE OR REPLACE FUNCTION revrec._check_issues(issue_ids text[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    -- prepaid credit drawdowns: serialize on the grants, then check them
    PERFORM 1 FROM revrec.credit_grant g
     WHERE g.grant_id IN (SELECT l.grant_id FROM revrec.invoice_line l
                           WHERE l.invoice_id = ANY (issue_ids) AND l.grant_id IS NOT NULL)
     ORDER BY g.grant_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN;   -- no drawdown among these invoices
    END IF;
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
END $$;

-- The invoices voided (flush): what they and their credit notes posted,
-- reversed.
CREATE OR REPLACE FUNCTION revrec._void_invoices(void_ids text[], fl date) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- reverse everything the invoice posted: what was dated before the
    -- void day is reversed on it, later days on their own dates
    -- (never before the floor of a posting of the invoice or of its
    -- credit notes: a credit note voided earlier on a later day must
    -- not stay in force after the invoice is reversed)
    PERFORM revrec._post_voids('invoice', d.customers, d.docs, d.days, d.labels, fl)
       FROM (SELECT array_agg(i.customer_id) AS customers, array_agg(i.invoice_id) AS docs, array_agg(v.day) AS days,
                    array_agg('invoice ' || coalesce(i.invoice_number, i.invoice_id)) AS labels
               FROM revrec.invoice i,
                    LATERAL (SELECT greatest(i.void_date, max(p.floor_date)) AS day FROM revrec.posting p
                              WHERE p.customer_id = i.customer_id AND p.invoice_id = i.invoice_id) v
              WHERE i.invoice_id = ANY (void_ids)) d;
    -- and what its credit notes posted, on the same day: the invoice and
    -- its credit notes then net to zero on every account (a credit note
    -- voided later finds nothing left to reverse)
    PERFORM revrec._post_voids('credit_note', d.customers, d.docs, d.days, d.labels, fl)
       FROM (SELECT array_agg(c.customer_id) AS customers, array_agg(c.credit_note_id) AS docs,
                    array_agg(v.day) AS days,
                    array_agg('credit note ' || coalesce(c.credit_note_number, c.credit_note_id) || ' with invoice '
                              || coalesce(i.invoice_number, i.invoice_id)) AS labels
               FROM revrec.credit_note c JOIN revrec.invoice i ON i.invoice_id = c.invoice_id,
                    LATERAL (SELECT greatest(i.void_date, max(p.floor_date)) AS day FROM revrec.posting p
                              WHERE p.customer_id = i.customer_id AND p.invoice_id = i.invoice_id) v
              WHERE i.invoice_id = ANY (void_ids)) d
      WHERE d.docs IS NOT NULL;
END $$;

-- jit off: the flush's queries are many and short, and their row estimates
-- (transition tables, a just-filled queue) make JIT compile for nothing.
CREATE OR REPLACE FUNCTION revrec.flush() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    s         revrec.settings;
    fl        date;
    ids       text[];
    issue_ids text[];
    void_ids  text[];
    mark      bigint;
    mark2     bigint;
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
        WITH d AS (DELETE FROM revrec.pending WHERE doc_kind = 'billing_schedule' RETURNING doc_id)
        SELECT revrec._post_billing_schedules(array_agg(DISTINCT d.doc_id), s.allocation_strategy, fl) INTO mark2 FROM d;
    END IF;

    -- invoices -------------------------------------------------------------
    WITH q AS (DELETE FROM revrec.pending WHERE doc_kind = 'invoice' RETURNING doc_id)
    SELECT array_agg(DISTINCT doc_id) INTO ids FROM q;
    IF ids IS NOT NULL THEN
        -- (correlated on customer_id, without a LATERAL subquery: Citus plans it too)
        SELECT array_agg(i.invoice_id) FILTER (WHERE i.status = 'issued' AND NOT EXISTS (
                   SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                      AND p.source_id = i.invoice_id AND p.reason = 'issue')),
               array_agg(i.invoice_id) FILTER (WHERE i.status = 'void' AND EXISTS (
                   SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                      AND p.source_id = i.invoice_id AND p.reason = 'issue') AND NOT EXISTS (
                   SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                      AND p.source_id = i.invoice_id AND p.reason = 'void'))
          INTO issue_ids, void_ids
          FROM revrec.invoice i
         WHERE i.invoice_id = ANY (ids);
    END IF;

    IF issue_ids IS NOT NULL THEN
        PERFORM revrec._check_issues(issue_ids);
        PERFORM revrec._post_invoices(issue_ids, s.allocation_strategy, fl, s.lock_to_accounting_date);
    END IF;

    IF void_ids IS NOT NULL THEN
        PERFORM revrec._void_invoices(void_ids, fl);
    END IF;

    -- usage arriving for invoices already posted ----------------------------
    -- the rest is rare in bulk loads: skip what has nothing queued
    IF EXISTS (SELECT 1 FROM revrec.pending WHERE doc_kind = 'usage') THEN
        WITH d AS (DELETE FROM revrec.pending WHERE doc_kind = 'usage' RETURNING doc_id::bigint AS usage_id)
        SELECT revrec._post_usage(array_agg(DISTINCT d.usage_id), fl, issue_ids) INTO mark2 FROM d;
    END IF;
    IF EXISTS (SELECT 1 FROM revrec.pending WHERE doc_kind = 'milestone') THEN
        -- a milestone changed several times in one transaction: from its
        -- first old date to its last new date
        WITH d AS (DELETE FROM revrec.pending WHERE doc_kind = 'milestone'
                   RETURNING seq, doc_id AS milestone_id, old_date, new_date),
        q AS (SELECT DISTINCT ON (d.milestone_id) d.milestone_id,
                     first_value(d.old_date) OVER (PARTITION BY d.milestone_id ORDER BY d.seq) AS old_date, d.new_date
                FROM d ORDER BY d.milestone_id, d.seq DESC)
        SELECT revrec._post_milestones(array_agg(q.milestone_id), array_agg(q.old_date), array_agg(q.new_date), fl, issue_ids)
          INTO mark2 FROM q;
    END IF;
    IF EXISTS (SELECT 1 FROM revrec.pending WHERE doc_kind = 'credit_note') THEN
        WITH q AS (DELETE FROM revrec.pending WHERE doc_kind = 'credit_note' RETURNING doc_id)
        SELECT array_agg(DISTINCT q.doc_id) INTO ids FROM q;
        -- voided credit notes: reverse what they posted, dated before the void day on it
        PERFORM revrec._post_voids('credit_note', d.customers, d.docs, d.days, d.labels, fl)
           FROM (SELECT array_agg(c.customer_id) AS customers, array_agg(c.credit_note_id) AS docs,
                        array_agg(c.void_date) AS days,
                        array_agg('credit note ' || coalesce(c.credit_note_number, c.credit_note_id)) AS labels
                   FROM revrec.credit_note c WHERE c.credit_note_id = ANY (ids) AND c.status = 'void') d
          WHERE d.docs IS NOT NULL;
        PERFORM revrec._post_credit_notes(ids, s.credit_note_mode, fl, s.lock_to_accounting_date);
    END IF;

    PERFORM revrec._log_postings(mark, NULL);
    DELETE FROM revrec.pending_flush WHERE xid = pg_current_xact_id();
END $$;

-- Usage arriving for invoices already posted (src/post_usage.c) and milestones
-- changed after their invoice posted (src/post_milestone.c).
CREATE OR REPLACE FUNCTION revrec._post_usage(p_usage_ids bigint[], fl date, skip_invoices text[])
    RETURNS bigint LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_post_usage';
CREATE OR REPLACE FUNCTION revrec._post_milestones(p_ids text[], p_old_dates date[], p_new_dates date[], fl date,
    skip_invoices text[])
    RETURNS bigint LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_post_milestones';

-- At commit (src/flush.c): runs revrec.flush(); a refused document's error
-- reaches the client without revrec's internal SQL as its context.
CREATE OR REPLACE FUNCTION revrec._flush_trigger() RETURNS trigger
    LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'revrec_flush_trigger';

-- (a constraint trigger cannot be CREATE OR REPLACEd: created once)
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                    WHERE tgrelid = 'revrec.pending_flush'::pg_catalog.regclass AND tgname = 'flush_at_commit') THEN
        CREATE CONSTRAINT TRIGGER flush_at_commit AFTER INSERT ON revrec.pending_flush
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revrec._flush_trigger();
    END IF;
END
$$;
