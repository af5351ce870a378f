-- Posting (SPEC 4, 5): document triggers queue work; one deferred trigger per
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

CREATE OR REPLACE FUNCTION revrec._account_sum(entries bigint[], account smallint)
    RETURNS bigint LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_account_sum';

CREATE OR REPLACE FUNCTION revrec._d(d date) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
 SELECT (d - date '2000-01-01')::bigint;
END;

CREATE OR REPLACE FUNCTION revrec._post_invoices(p_ids text[], p_strategy text, p_floor date, p_floor_to_accounting boolean)
    RETURNS TABLE (customer_id text, source text, source_id text, invoice_id text, invoice_number text,
                   credit_note_id text, line_id text, product_id text, currency text, method text,
                   journal_type text, reason text, ref_id text, narrative text, floor_date date,
                   entries bigint[], sched_start date, sched_end date, sched_amount bigint,
                   sched_strategy smallint, sched_months bigint[], sched_split date,
                   sched_before smallint, sched_after smallint, sched_credit smallint)
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

-- The flush: everything this transaction queued, in one pass.
-- A void: a negated copy of every posting of the documents, floored on the
-- void day, so what was dated before it is reversed on it and later days on
-- their own dates.  Shared by invoice and credit-note voids.
CREATE OR REPLACE FUNCTION revrec._void_postings(p_source text, p_customers text[], p_docs text[], p_void_days date[],
    p_labels text[], fl date)
    RETURNS void LANGUAGE sql
BEGIN ATOMIC
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
     ORDER BY p.posting_id;
END;

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
        -- an issued invoice posts whole: one without any line at commit is an
        -- error (an autocommit sync inserting the invoice, then its lines one
        -- statement at a time, would post the first line alone)
        SELECT i.invoice_id INTO bad FROM revrec.invoice i
         WHERE i.invoice_id = ANY (issue_ids)
           AND NOT EXISTS (SELECT 1 FROM revrec.invoice_line l WHERE l.invoice_id = i.invoice_id)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'RV014',
                MESSAGE = format('invoice %s is issued without any line', bad.invoice_id),
                HINT = 'Write an invoice and its lines in one transaction, or insert it as ''draft'' and issue it '
                       '(UPDATE revrec.invoice SET status = ''issued'') once its lines are in.';
        END IF;
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
        -- and what its credit notes posted, on the same day: the invoice and
        -- its credit notes then net to zero on every account (a credit note
        -- voided later finds nothing left to reverse)
        PERFORM revrec._void_postings('credit_note', d.customers, d.docs, d.days, d.labels, fl)
           FROM (SELECT array_agg(c.customer_id) AS customers, array_agg(c.credit_note_id) AS docs,
                        array_agg(i.void_date) AS days,
                        array_agg('credit note ' || coalesce(c.credit_note_number, c.credit_note_id) || ' with invoice '
                                  || coalesce(i.invoice_number, i.invoice_id)) AS labels
                   FROM revrec.credit_note c JOIN revrec.invoice i ON i.invoice_id = c.invoice_id
                  WHERE i.invoice_id = ANY (void_ids)) d
          WHERE d.docs IS NOT NULL;
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

CREATE OR REPLACE FUNCTION revrec._flush_usage(fl date, skip_invoices text[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
    n   bigint;
BEGIN
    -- usage on one line is posted by one transaction at a time: the lines
    -- are locked (in order) before anything is read, so a second session
    -- adding usage to the same line waits, then sees the first one's usage
    -- in the over-use check below (each statement has a new snapshot)
    PERFORM 1 FROM revrec.invoice_line l
     WHERE l.line_id IN (SELECT x.line_id FROM revrec.usage x
                          WHERE x.usage_id IN (SELECT q.doc_id::bigint FROM revrec.pending q WHERE q.doc_kind = 'usage'))
     ORDER BY l.line_id FOR NO KEY UPDATE OF l;
    WITH d AS (DELETE FROM revrec.pending WHERE doc_kind = 'usage' RETURNING doc_id::bigint AS usage_id),
    q AS (SELECT DISTINCT usage_id FROM d),
    u AS (
        SELECT i.customer_id, i.invoice_id, i.invoice_number, i.currency, i.accounting_date AS t,
               coalesce(l.group_id, l.line_id) AS group_key, l.product_id, l.service_end,
               array_agg(x.usage_date ORDER BY x.usage_date) || l.service_end AS dates,
               array_agg(revrec.to_minor_units(x.amount, i.currency) ORDER BY x.usage_date)
                   || (-sum(revrec.to_minor_units(x.amount, i.currency)))::bigint AS amounts
          FROM q JOIN revrec.usage x USING (usage_id)
          JOIN revrec.invoice_line l ON l.line_id = x.line_id
          JOIN revrec.invoice i ON i.invoice_id = l.invoice_id
         WHERE i.status = 'issued'
           AND NOT (i.invoice_id = ANY (coalesce(skip_invoices, '{}')))
           AND EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                          AND p.source_id = i.invoice_id AND p.reason = 'issue')
         GROUP BY i.customer_id, i.invoice_id, i.invoice_number, i.currency, i.accounting_date,
                  coalesce(l.group_id, l.line_id), l.product_id, l.service_end)
    INSERT INTO revrec.posting (customer_id, source, source_id, invoice_id, invoice_number, line_id, product_id,
                                currency, method, reason, floor_date, first_date, last_date, entries)
    SELECT u.customer_id, 'invoice', u.invoice_id, u.invoice_id, u.invoice_number, u.group_key, u.product_id,
           u.currency, 'usage', 'usage', fl, '-infinity', '-infinity',
           revrec._recognition_delta(u.t, u.dates, u.amounts)
      FROM u;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RETURN;
    END IF;
    -- usage may not exceed what the group bills
    SELECT i.invoice_id, coalesce(l.group_id, l.line_id) AS group_key, sum(x.amount) AS used, p.billed INTO bad
      FROM revrec.invoice i
      JOIN revrec.invoice_line l ON l.invoice_id = i.invoice_id
      JOIN revrec.usage x ON x.line_id = l.line_id
      JOIN LATERAL (SELECT revrec.from_minor_units(sum(revrec._account_sum(p.entries, 1::smallint))::bigint, i.currency) AS billed
                      FROM revrec.posting p
                     WHERE p.customer_id = i.customer_id AND p.source = 'invoice' AND p.source_id = i.invoice_id
                       AND p.line_id = coalesce(l.group_id, l.line_id) AND p.reason = 'issue') p ON true
     WHERE (i.invoice_id, coalesce(l.group_id, l.line_id)) IN
           (SELECT p2.source_id, p2.line_id FROM revrec.posting p2
             WHERE p2.reason = 'usage' AND p2.recorded_xid = pg_current_xact_id())
     GROUP BY i.invoice_id, coalesce(l.group_id, l.line_id), p.billed
    HAVING abs(sum(x.amount)) > abs(p.billed) OR sign(sum(x.amount)) * sign(p.billed) < 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RV014',
            MESSAGE = format('usage of %s for invoice %s group %s exceeds its amount %s',
                             bad.used, bad.invoice_id, bad.group_key, bad.billed);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION revrec._flush_milestones(fl date, skip_invoices text[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    WITH d AS (DELETE FROM revrec.pending WHERE doc_kind = 'milestone'
               RETURNING seq, doc_id AS milestone_id, old_date, new_date),
    -- a milestone changed several times in one transaction: from its first
    -- old date to its last new date
    q AS (SELECT DISTINCT ON (milestone_id) milestone_id,
                 first_value(old_date) OVER (PARTITION BY milestone_id ORDER BY seq) AS old_date,
                 new_date
            FROM d ORDER BY milestone_id, seq DESC)
    INSERT INTO revrec.posting (customer_id, source, source_id, invoice_id, invoice_number, line_id, product_id,
                                currency, method, reason, ref_id, floor_date, first_date, last_date, entries)
    SELECT i.customer_id, 'invoice', i.invoice_id, i.invoice_id, i.invoice_number, coalesce(l.group_id, l.line_id),
           l.product_id, i.currency, 'milestone', 'milestone', m.milestone_id, fl, '-infinity', '-infinity',
           revrec._recognition_delta(i.accounting_date, d.dates, d.amounts)
      FROM q JOIN revrec.milestone m USING (milestone_id)
      JOIN revrec.invoice_line l ON l.line_id = m.line_id
      JOIN revrec.invoice i ON i.invoice_id = l.invoice_id,
      LATERAL (SELECT array_agg(x.d ORDER BY x.o) AS dates, array_agg(x.a ORDER BY x.o) AS amounts
                 FROM (VALUES (1, q.old_date, -revrec.to_minor_units(m.amount, i.currency)),
                              (2, q.new_date, revrec.to_minor_units(m.amount, i.currency))) x(o, d, a)
                WHERE (x.o = 1 AND q.old_date IS NOT NULL) OR (x.o = 2 AND q.new_date IS NOT NULL)) d0,
      LATERAL (SELECT CASE WHEN q.old_date IS NOT NULL
                           THEN array_replace(d0.dates, q.old_date, greatest(current_date, q.old_date))
                           ELSE d0.dates END AS dates, d0.amounts) d
     WHERE i.status = 'issued' AND q.old_date IS DISTINCT FROM q.new_date
       AND NOT (i.invoice_id = ANY (coalesce(skip_invoices, '{}')))
       AND d.dates IS NOT NULL
       AND EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = i.customer_id AND p.source = 'invoice'
                      AND p.source_id = i.invoice_id AND p.reason = 'issue');
END $$;

CREATE OR REPLACE FUNCTION revrec._flush_billing_schedules(s revrec.settings, fl date) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    WITH d AS (DELETE FROM revrec.pending WHERE doc_kind = 'billing_schedule' RETURNING doc_id),
    q AS (SELECT DISTINCT doc_id FROM d),
    b AS (SELECT b.*, coalesce(b.recognition_method, 'straight_line') AS m,
                 revrec.to_minor_units(b.amount, b.currency) AS a
            FROM q JOIN revrec.billing_schedule_line b ON b.schedule_line_id = q.doc_id
           WHERE NOT EXISTS (SELECT 1 FROM revrec.posting p WHERE p.customer_id = b.customer_id
                               AND p.source = 'billing_schedule' AND p.source_id = b.schedule_line_id))
    INSERT INTO revrec.posting (customer_id, source, source_id, line_id, product_id, currency, method, reason,
                                floor_date, first_date, last_date, entries,
                                sched_start, sched_end, sched_amount, sched_strategy,
                                sched_before, sched_after, sched_credit)
    SELECT b.customer_id, 'billing_schedule', b.schedule_line_id, b.schedule_line_id, b.product_id, b.currency,
           b.m, 'issue', fl, '-infinity', '-infinity',
           CASE WHEN b.m = 'point_in_time'
                THEN ARRAY[revrec._d(b.service_start), 4, b.a, revrec._d(b.service_start), 3, -b.a] END,
           CASE WHEN b.m = 'straight_line' THEN b.service_start END,
           CASE WHEN b.m = 'straight_line' THEN b.service_end END,
           CASE WHEN b.m = 'straight_line' THEN b.a END,
           CASE WHEN b.m = 'straight_line' THEN revrec._strategy_code(s.allocation_strategy) END,
           CASE WHEN b.m = 'straight_line' THEN 4::smallint END,
           CASE WHEN b.m = 'straight_line' THEN 4::smallint END,
           CASE WHEN b.m = 'straight_line' THEN 3::smallint END
      FROM b
     WHERE b.a <> 0;
END $$;

CREATE OR REPLACE FUNCTION revrec._flush_trigger() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'revrec' THEN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'revrec''s trigger functions fire only on revrec''s own tables'; END IF;
    PERFORM revrec.flush();
    RETURN NULL;
END $$;

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
