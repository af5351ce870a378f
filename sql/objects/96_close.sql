-- Month-end close in psql (issue 17): rollforwards of the deferred and
-- unbilled accounts, one screen of close checks, and closing a period.

-- Arguments of the rollforwards and the close summary.
CREATE OR REPLACE FUNCTION revrec._check_rollforward_args(p_from date, p_to date, p_by text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM revrec._check_report_args(p_from, p_to, 'month');
    IF NOT isfinite(p_from) OR NOT isfinite(p_to) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV004', MESSAGE = 'a rollforward needs finite from_date and to_date';
    END IF;
    IF p_by IS NOT NULL AND p_by NOT IN ('customer', 'product', 'customer_product') THEN
        RAISE EXCEPTION USING ERRCODE = 'RV006',
            MESSAGE = pg_catalog.format('by must be ''customer'', ''product'' or ''customer_product'', not ''%s''', p_by);
    END IF;
    RETURN true;
END $$;

-- The movements of one balance-sheet account of the subledger (deferred, id
-- 2, normal balance credit; unbilled, id 4, debit) between from_date and
-- to_date, in its normal direction, per currency (and per customer and/or
-- product with p_by).  opening = balance at the end of from_date - 1,
-- closing = balance at the end of to_date = opening + the movements:
--   manual        manual journals
--   voids         the reversals of voided invoices and credit notes
--   credit_notes  credit notes (both modes, and their re-pricing)
--   billed        the rest of the movements that credit the account:
--                 deferred: invoices billed ahead of recognition (billed -> deferred);
--                 unbilled: invoices billing what was earned (unbilled -> billed), negative
--   recognized    the rest of the movements that debit the account:
--                 deferred: revenue recognized (deferred -> recognized), negative;
--                 unbilled: revenue earned before it is billed (unbilled -> recognized)
-- Month totals come from month amounts (no day is expanded).
CREATE OR REPLACE FUNCTION revrec._rollforward(p_account integer, p_from date, p_to date, p_currency text,
    p_customer text, p_product text, p_by text)
    RETURNS TABLE (currency text, opening numeric, billed numeric, recognized numeric, credit_notes numeric,
                   voids numeric, manual numeric, closing numeric, customer_id text, product_id text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH m AS (
        -- opening balances (minor units, normal direction)
        SELECT p.currency, p.customer_id AS cust, p.product_id AS prod,
               (SELECT CASE WHEN p_account = 2 THEN -x.deferred ELSE x.unbilled END
                  FROM revrec._posting_summary(p, p_from - 1, p_from - 1) x) AS opening,
               NULL::text AS kind, 0::numeric AS amount
          FROM revrec.posting p
         WHERE p.first_date < p_from
           AND (p_currency IS NULL OR p.currency = p_currency)
           AND (p_customer IS NULL OR p.customer_id = p_customer)
           AND (p_product IS NULL OR p.product_id = p_product)
        UNION ALL
        -- the period's movements
        SELECT p.currency, p.customer_id, p.product_id, 0,
               CASE WHEN p.journal_type = 'manual' THEN 'manual'
                    WHEN p.reason = 'void' THEN 'voids'
                    WHEN p.source = 'credit_note' THEN 'credit_notes'
                    WHEN e.direction = 'credit' THEN 'billed'
                    ELSE 'recognized' END,
               CASE WHEN e.direction = CASE WHEN p_account = 2 THEN 'credit' ELSE 'debit' END
                    THEN e.amount ELSE -e.amount END
          FROM revrec.posting p
         CROSS JOIN LATERAL revrec._entries(p, p_from, p_to, true) e
         WHERE p.first_date <= p_to AND p.last_date >= p_from AND e.account_id = p_account
           AND (p_currency IS NULL OR p.currency = p_currency)
           AND (p_customer IS NULL OR p.customer_id = p_customer)
           AND (p_product IS NULL OR p.product_id = p_product)),
    g AS (
        SELECT m.currency,
               CASE WHEN p_by IN ('customer', 'customer_product') THEN nullif(m.cust, '') END AS cust,
               CASE WHEN p_by IN ('product', 'customer_product') THEN m.prod END AS prod,
               revrec.from_minor_units(sum(m.opening)::bigint, m.currency) AS opening,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'billed'), 0) AS billed,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'recognized'), 0) AS recognized,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'credit_notes'), 0) AS credit_notes,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'voids'), 0) AS voids,
               coalesce(sum(m.amount) FILTER (WHERE m.kind = 'manual'), 0) AS manual
          FROM m
         GROUP BY 1, 2, 3),
    r AS (
        SELECT g.currency, g.opening, g.billed, g.recognized, g.credit_notes, g.voids, g.manual,
               g.opening + g.billed + g.recognized + g.credit_notes + g.voids + g.manual AS closing, g.cust, g.prod
          FROM g
         WHERE revrec._check_rollforward_args(p_from, p_to, p_by)
           AND (g.opening <> 0 OR g.billed <> 0 OR g.recognized <> 0 OR g.credit_notes <> 0 OR g.voids <> 0
                OR g.manual <> 0))
    SELECT * FROM r
    UNION ALL
    -- a currency asked for by name (without by) always has its row: zeros when nothing moved
    SELECT p_currency, z.z, z.z, z.z, z.z, z.z, z.z, z.z, NULL, NULL
      FROM (SELECT revrec.from_minor_units(0, p_currency) AS z) z
     WHERE p_currency IS NOT NULL AND p_by IS NULL
       AND revrec._check_rollforward_args(p_from, p_to, p_by)
       AND NOT EXISTS (SELECT 1 FROM r)
     ORDER BY 1, 9, 10;
END;

-- revrec.deferred_rollforward / unbilled_rollforward: one row per
-- currency (never a sum across currencies), or per currency and customer /
-- product with by => 'customer' | 'product' | 'customer_product'.
CREATE OR REPLACE FUNCTION revrec.deferred_rollforward(from_date date, to_date date, currency text DEFAULT NULL,
    customer_id text DEFAULT NULL, product_id text DEFAULT NULL, "by" text DEFAULT NULL)
    RETURNS TABLE (currency text, opening numeric, billed numeric, recognized numeric, credit_notes numeric,
                   voids numeric, manual numeric, closing numeric, customer_id text, product_id text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT * FROM revrec._rollforward(2, $1, $2, $3, $4, $5, $6);
END;

COMMENT ON FUNCTION revrec.deferred_rollforward(date, date, text, text, text, text) IS
    'deferred revenue from from_date to to_date: opening + billed + recognized + credit_notes + voids + manual = closing, per currency';

CREATE OR REPLACE FUNCTION revrec.unbilled_rollforward(from_date date, to_date date, currency text DEFAULT NULL,
    customer_id text DEFAULT NULL, product_id text DEFAULT NULL, "by" text DEFAULT NULL)
    RETURNS TABLE (currency text, opening numeric, billed numeric, recognized numeric, credit_notes numeric,
                   voids numeric, manual numeric, closing numeric, customer_id text, product_id text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT * FROM revrec._rollforward(4, $1, $2, $3, $4, $5, $6);
END;

COMMENT ON FUNCTION revrec.unbilled_rollforward(date, date, text, text, text, text) IS
    'unbilled revenue from from_date to to_date: opening + billed + recognized + credit_notes + voids + manual = closing, per currency';

-- Accounts the range uses that have no mapping for a GL target, as text
-- (an empty array when every one is mapped).
CREATE OR REPLACE FUNCTION revrec._missing_mappings(p_target text, p_from date, p_to date, p_currency text)
    RETURNS text[]
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(array_agg(pg_catalog.format('%s (product %s)', x.account, coalesce(x.product_id, 'none'))
                              ORDER BY x.account, x.product_id NULLS FIRST), '{}')
      FROM (SELECT DISTINCT r.account, r.product_id
              FROM revrec._report_months(p_from, p_to, p_currency, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false) r) x
     WHERE revrec._gl_account(p_target, x.account, x.product_id) IS NULL;
END;

-- The problems revrec.verify() reports, when it is installed (it is called
-- by name, so this works with or without it).
CREATE OR REPLACE FUNCTION revrec._verify_problems(OUT n bigint, OUT first_problems text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF to_regprocedure('revrec.verify()') IS NULL THEN
        n := NULL;
        RETURN;
    END IF;
    EXECUTE 'SELECT count(*), string_agg(v::text, ''; '') FILTER (WHERE rn <= 3)
               FROM (SELECT v, row_number() OVER () AS rn FROM revrec.verify() v) x'
       INTO n, first_problems;
END $$;

-- One psql screen to start a close: what the period posted (debits and
-- credits by source and account), unbalanced journals, the tie-out of the
-- deferred and unbilled rollforwards to the reports, accounts without a GL
-- mapping per target, the lock, and revrec.verify().  status is 'ok' or
-- says what to look at; amounts are per currency, never summed across.
CREATE OR REPLACE FUNCTION revrec._close_summary(from_date date, to_date date, p_currency text)
    RETURNS TABLE (section text, item text, currency text, debits numeric, credits numeric, status text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    n bigint;
    v_lock date;
    missing text[];
    probs text;
    t text;
BEGIN
    PERFORM revrec._check_rollforward_args(from_date, to_date, NULL);
    IF p_currency IS NOT NULL THEN
        PERFORM revrec.to_minor_units(0, p_currency);   -- unknown currency: RV001
    END IF;
    -- 1. what the period posted
    FOR r IN SELECT j.source, j.account, j.currency AS cur,
                    sum(j.amount) FILTER (WHERE j.direction = 'debit') AS dr,
                    sum(j.amount) FILTER (WHERE j.direction = 'credit') AS cr
               FROM revrec._report_months(from_date, to_date, p_currency, NULL, NULL, NULL, NULL, NULL,
                                          NULL, NULL, false) j
              GROUP BY 1, 2, 3 ORDER BY 3, 1, 2 LOOP
        section := 'posted'; item := r.source || ' / ' || r.account; currency := r.cur;
        debits := r.dr; credits := r.cr; status := NULL;
        RETURN NEXT;
    END LOOP;
    -- 2. journals that do not balance (per journal and month)
    SELECT count(*) INTO n
      FROM (SELECT 1 FROM revrec._report_months(from_date, to_date, p_currency, NULL, NULL, NULL, NULL, NULL,
                                                NULL, NULL, false) j
             GROUP BY j.journal_number, j.entry_date, j.currency
            HAVING sum(CASE j.direction WHEN 'debit' THEN j.amount ELSE -j.amount END) <> 0) x;
    section := 'check'; item := 'unbalanced journals'; currency := NULL; debits := NULL; credits := NULL;
    status := CASE WHEN n = 0 THEN 'ok' ELSE pg_catalog.format('FAIL: %s journals', n) END;
    RETURN NEXT;
    -- 3. tie-out: rollforward closings to the deferred revenue report and the trial balance
    FOR r IN SELECT coalesce(d.currency, u.currency, tb.currency_code) AS cur, d.closing AS d_close, u.closing AS u_close,
                    (SELECT sum(x.remaining) FROM revrec._deferred_revenue(to_date, coalesce(d.currency, u.currency, tb.currency_code), NULL, NULL) x) AS d_report,
                    tb.deferred AS d_tb, tb.unbilled AS u_tb
               FROM revrec._rollforward(2, from_date, to_date, p_currency, NULL, NULL, NULL) d
               FULL JOIN revrec._rollforward(4, from_date, to_date, p_currency, NULL, NULL, NULL) u
                 ON u.currency = d.currency
               FULL JOIN (SELECT b.currency_code,
                                 sum(b.balance) FILTER (WHERE b.account = 'deferred') AS deferred,
                                 sum(b.balance) FILTER (WHERE b.account = 'unbilled') AS unbilled
                            FROM revrec.trial_balance(to_date, p_currency) b GROUP BY 1) tb
                 ON tb.currency_code = coalesce(d.currency, u.currency)
              ORDER BY 1 LOOP
        -- the balance that ties out in its column (deferred: a credit balance,
        -- unbilled: a debit balance); a failure names the three figures
        section := 'tie-out'; currency := r.cur; debits := NULL;
        item := 'deferred tie-out';
        credits := round(coalesce(r.d_close, 0), (SELECT c.exponent FROM revrec.currency c WHERE c.code = r.cur));
        status := CASE WHEN coalesce(r.d_close, 0) = coalesce(r.d_report, 0) AND coalesce(r.d_close, 0) = coalesce(r.d_tb, 0)
                       THEN 'ok'
                       ELSE pg_catalog.format('FAIL: rollforward %s, deferred_revenue %s, trial balance %s',
                                              coalesce(r.d_close, 0), coalesce(r.d_report, 0), coalesce(r.d_tb, 0)) END;
        RETURN NEXT;
        item := 'unbilled tie-out';
        credits := NULL; debits := round(coalesce(r.u_close, 0), (SELECT c.exponent FROM revrec.currency c WHERE c.code = r.cur));
        status := CASE WHEN coalesce(r.u_close, 0) = coalesce(r.u_tb, 0) THEN 'ok'
                       ELSE pg_catalog.format('FAIL: rollforward %s, trial balance %s', coalesce(r.u_close, 0), coalesce(r.u_tb, 0)) END;
        RETURN NEXT;
        debits := NULL;
    END LOOP;
    -- 4. GL mappings, per target in use (a target with no mapping at all is not used)
    FOREACH t IN ARRAY ARRAY['xero', 'quickbooks', 'netsuite'] LOOP
        section := 'gl mapping'; item := t; currency := NULL; debits := NULL; credits := NULL;
        IF NOT EXISTS (SELECT 1 FROM revrec.gl_account_map m WHERE m.target = t) THEN
            status := 'not used';
        ELSE
            missing := revrec._missing_mappings(t, from_date, to_date, p_currency);
            status := CASE WHEN cardinality(missing) = 0 THEN 'ok'
                           ELSE 'FAIL: missing ' || array_to_string(missing, ', ') END;
        END IF;
        RETURN NEXT;
    END LOOP;
    -- 5. the lock
    SELECT s.lock_date INTO v_lock FROM revrec.settings s;
    section := 'lock'; item := 'lock_date'; currency := NULL; debits := NULL; credits := NULL;
    status := CASE WHEN v_lock IS NULL THEN 'none: nothing is locked'
                   WHEN v_lock >= to_date THEN pg_catalog.format('%s: the period is closed', v_lock)
                   ELSE pg_catalog.format('%s: open after it', v_lock) END;
    RETURN NEXT;
    -- 6. revrec.verify(), once it exists
    SELECT x.n, x.first_problems INTO n, probs FROM revrec._verify_problems() x;
    section := 'check'; item := 'revrec.verify()';
    status := CASE WHEN n IS NULL THEN 'not installed' WHEN n = 0 THEN 'ok'
                   ELSE pg_catalog.format('FAIL: %s problems: %s', n, probs) END;
    RETURN NEXT;
END $$;

-- (plpgsql cannot take a parameter and return a column both named currency:
-- the contract's names are kept by this SQL front)
CREATE OR REPLACE FUNCTION revrec.close_summary(from_date date, to_date date, currency text DEFAULT NULL)
    RETURNS TABLE (section text, item text, currency text, debits numeric, credits numeric, status text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT * FROM revrec._close_summary($1, $2, $3);
END;

COMMENT ON FUNCTION revrec.close_summary(date, date, text) IS
    'the close on one screen: posted debits/credits by source and account, unbalanced journals, deferred/unbilled tie-out, GL mappings, lock, verify()';

-- revrec.close_period(to_date) (admin): runs the close checks over
-- the open period (from the day after the lock, or the first of to_date's
-- month when nothing is locked, to to_date) and sets the lock to to_date
-- only when every check passes (RV033 with the failures otherwise).  The
-- activity log records the close and the lock change.
CREATE OR REPLACE FUNCTION revrec.close_period(to_date date) RETURNS TABLE (section text, item text, currency text, status text)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_has_role(current_user, 'revrec_admin', 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'revrec_admin is required to close a period',
            HINT = 'Ask a member of revrec_admin; revrec.close_summary() shows the checks to anyone.';
    END IF;
    RETURN QUERY SELECT * FROM revrec._close_period(close_period.to_date);
END $$;

-- The close itself: SECURITY DEFINER, executable by revrec_admin only (so
-- PostgreSQL's privilege check on the real caller stands behind the front's),
-- runs the checks, logs the close and sets the lock in one go: no path
-- writes a "close" row without the checks having passed.
CREATE OR REPLACE FUNCTION revrec._close_period(to_date date) RETURNS TABLE (section text, item text, currency text, status text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_lock date;
    v_from date;
    fails text[];
BEGIN
    IF _close_period.to_date IS NULL OR NOT isfinite(_close_period.to_date) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV004', MESSAGE = 'close_period needs a finite to_date';
    END IF;
    -- hold the settings row: no posting or other close runs under the checks
    SELECT s.lock_date INTO v_lock FROM revrec.settings s FOR UPDATE;
    IF v_lock IS NOT NULL AND _close_period.to_date <= v_lock THEN
        RAISE EXCEPTION USING ERRCODE = 'RV011',
            MESSAGE = pg_catalog.format('the period through %s is already closed (lock_date %s)', _close_period.to_date, v_lock),
            HINT = 'Moving the lock back is an administrator''s UPDATE revrec.settings SET lock_date = ...';
    END IF;
    v_from := coalesce(v_lock + 1, date_trunc('month', _close_period.to_date)::date);
    SELECT array_agg(c.section || ' ' || c.item || coalesce(' ' || c.currency, '') || ': ' || c.status)
      INTO fails
      FROM revrec._close_summary(v_from, _close_period.to_date, NULL) c
     WHERE c.status LIKE 'FAIL%';
    IF fails IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RV033',
            MESSAGE = pg_catalog.format('the period %s to %s cannot be closed: %s check%s failed', v_from,
                                        _close_period.to_date, cardinality(fails),
                                        CASE WHEN cardinality(fails) > 1 THEN 's' ELSE '' END),
            DETAIL = array_to_string(fails, E'\n'),
            HINT = 'SELECT * FROM revrec.close_summary(...) shows every check; fix what failed and close again.';
    END IF;
    INSERT INTO revrec.activity (who, action, detail)
    VALUES (session_user, 'close',
            pg_catalog.format('period %s to %s closed: every close check passed; lock_date -> %s', v_from,
                              _close_period.to_date, _close_period.to_date));
    UPDATE revrec.settings SET lock_date = _close_period.to_date;
    RETURN QUERY SELECT c.section, c.item, c.currency,
                        c.status || coalesce(' (balance ' || coalesce(c.credits, c.debits) || ')', '')
                   FROM revrec._close_summary(v_from, _close_period.to_date, NULL) c WHERE c.section <> 'posted';
END $$;

