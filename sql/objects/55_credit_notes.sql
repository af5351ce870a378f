-- Credit notes (SPEC 5.1): cancel and adjust modes, standalone credits, voids.
CREATE OR REPLACE FUNCTION revrec._allocate(total bigint, weights bigint[]) RETURNS bigint[]
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_allocate';

CREATE OR REPLACE FUNCTION revrec._schedule_sum(amount bigint, service_start date, service_end date, strategy smallint,
    from_date date, to_date date) RETURNS bigint
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT AS 'MODULE_PATHNAME', 'revrec_schedule_sum';

-- A posting as it was before any floor shift: credit notes reason about the
-- group's entries at their original dates (a credit dated before the floor
-- its invoice was caught up on must see what was earned by then), and are
-- themselves shifted by their own floor.
CREATE OR REPLACE FUNCTION revrec._unfloored(p revrec.posting) RETURNS revrec.posting
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    p.floor_date := NULL;
    RETURN p;
END $$;

-- Signed balance (debit positive, minor units) of one account over a group's
-- postings, for entries originally dated in [from_date, to_date].
CREATE OR REPLACE FUNCTION revrec._group_balance(p_customer text, p_invoice text, p_group text, p_account smallint,
    p_from date, p_to date) RETURNS bigint
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(sum(revrec.to_minor_units(CASE e.direction WHEN 'debit' THEN e.amount ELSE -e.amount END,
                                              p.currency)), 0)::bigint
      FROM revrec.posting p, revrec._entries(revrec._unfloored(p), p_from, p_to, true) e
     WHERE p.customer_id = p_customer AND p.invoice_id = p_invoice AND p.line_id = p_group
       AND ((p.source = 'invoice' AND p.source_id = p_invoice) OR p.source = 'credit_note')
       AND e.account_id = p_account;
END;

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
        IF NOT EXISTS (SELECT 1 FROM revrec.credit_note_line cl WHERE cl.credit_note_id = cn.credit_note_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'RV014',
                MESSAGE = format('credit note %s is issued without any line', cn.credit_note_id),
                HINT = 'Write a credit note and its lines in one transaction, or insert it as ''draft'' and issue it once its lines are in.';
        END IF;
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
    IF NEW.customer_id IS DISTINCT FROM OLD.customer_id AND current_setting('session_replication_role') <> 'replica' THEN
        UPDATE revrec.credit_note_line l SET customer_id = NEW.customer_id
         WHERE l.credit_note_id = OLD.credit_note_id AND l.customer_id IS DISTINCT FROM NEW.customer_id;
    END IF;
    IF NEW.status = 'void' AND OLD.status <> 'void' THEN
        -- a void reverses the credit note: never before the credit note itself
        NEW.void_date := revrec._void_day('credit note', NEW.credit_note_id, NEW.void_date, NEW.credit_date, 'credit date');
    END IF;
    IF NEW.status <> OLD.status AND NEW.status IN ('issued', 'void') AND current_setting('session_replication_role') <> 'replica' THEN
        INSERT INTO revrec.pending (customer_id, doc_kind, doc_id)
        VALUES (NEW.customer_id, 'credit_note', NEW.credit_note_id);
        PERFORM revrec._enqueue();
    END IF;
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
