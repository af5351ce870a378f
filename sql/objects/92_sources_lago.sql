-- Lago (getlago/lago-api, db/structure.sql): tables invoices, fees,
-- credit_notes and credit_note_items of the schema attached (customers, when
-- there, for names).  Integer enums as in Lago's models: invoices.status
-- draft 0, finalized 1, voided 2 (others: not posted); fees.fee_type charge 0,
-- add_on 1, subscription 2, credit 3, commitment 4, fixed_charge 5, product 6;
-- credit_notes.status draft 0, finalized 1; credit_status voided 2.
-- Mapping rules: README "Lago".

-- An invoice with its fees (and customer), or a credit note with its items
-- (and each item's fee), as one jsonb.
CREATE OR REPLACE FUNCTION revrec._lago_fetch(s revrec.source, document text, key text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r    jsonb;
    cust text := CASE WHEN to_regclass(format('%I.customers', s.source_schema)) IS NOT NULL
                      THEN format('(SELECT to_jsonb(c) FROM %I.customers c WHERE c.id = x.customer_id)', s.source_schema)
                      ELSE 'NULL::jsonb' END;
BEGIN
    IF document = 'invoice' THEN
        EXECUTE format('SELECT jsonb_build_object(''invoice'', to_jsonb(x), ''customer'', %2$s,
                            ''fees'', coalesce((SELECT jsonb_agg(to_jsonb(f) ORDER BY f.created_at, f.id)
                                                  FROM %1$I.fees f WHERE f.invoice_id = x.id AND f.deleted_at IS NULL), ''[]''))
                          FROM %1$I.invoices x WHERE x.id = $1::uuid', s.source_schema, cust)
           INTO r USING key;
    ELSE
        EXECUTE format('SELECT jsonb_build_object(''credit_note'', to_jsonb(x), ''customer'', %2$s,
                            ''invoice'', (SELECT to_jsonb(i) FROM %1$I.invoices i WHERE i.id = x.invoice_id),
                            ''items'', coalesce((SELECT jsonb_agg(to_jsonb(it) || jsonb_build_object(''fee'', to_jsonb(f))
                                                                  ORDER BY it.created_at, it.id)
                                                   FROM %1$I.credit_note_items it LEFT JOIN %1$I.fees f ON f.id = it.fee_id
                                                  WHERE it.credit_note_id = x.id), ''[]''))
                          FROM %1$I.credit_notes x WHERE x.id = $1::uuid', s.source_schema, cust)
           INTO r USING key;
    END IF;
    RETURN r;
END $$;

-- A fee's service period: properties from_datetime/to_datetime (charges_*
-- when those are missing), both ends included, as dates in the invoice's
-- time zone (Lago's invoices.timezone is the customer's).
CREATE OR REPLACE FUNCTION revrec._lago_period(f jsonb, tz text, OUT p_start date, OUT p_end date)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT revrec._source_date((coalesce(f->'properties'->>'from_datetime', f->'properties'->>'charges_from_datetime')::timestamp) AT TIME ZONE 'UTC', tz),
           revrec._source_date((coalesce(f->'properties'->>'to_datetime', f->'properties'->>'charges_to_datetime')::timestamp) AT TIME ZONE 'UTC', tz);
END;

CREATE OR REPLACE FUNCTION revrec._lago_exponent(currency text) RETURNS integer
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e integer := (SELECT c.exponent FROM revrec.currency c WHERE c.code = upper(currency));
BEGIN
    IF e IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RV001', MESSAGE = format('unknown currency %s', left(coalesce(currency, 'NULL'), 40));
    END IF;
    RETURN e;
END $$;

-- A Lago invoice as a revrec invoice: fees as lines (amount_cents), their
-- coupons (precise_coupons_amount_cents rounded half away from zero to the
-- minor unit) as a discount in the fee's group, commitment fees as minimum
-- true-ups, wallet credit fees as credit grants (key "grants").
CREATE OR REPLACE FUNCTION revrec._lago_invoice(opts jsonb, o jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    inv   jsonb := o->'invoice';
    id    text := inv->>'id';
    st    integer := (inv->>'status')::integer;
    tz    text := coalesce(opts->>'timezone', inv->>'timezone', 'UTC');
    cur   text := upper(inv->>'currency');
    cust  text := coalesce(o->'customer'->>'external_id', inv->>'customer_id');
    e     integer;
    lines jsonb;
BEGIN
    IF st IS NULL OR st NOT IN (1, 2) OR (st = 2 AND inv->>'finalized_at' IS NULL AND inv->>'issuing_date' IS NULL) THEN
        RETURN NULL;   -- draft, generating, failed, pending, ...: nothing to post yet
    END IF;
    e := revrec._lago_exponent(cur);
    SELECT coalesce(jsonb_agg(x ORDER BY x->>'line_id'), '[]') INTO lines
      FROM (SELECT jsonb_build_object(
                       'line_id', f->>'id',
                       'product_id', revrec._source_product(opts, coalesce(f->>'charge_id', f->>'add_on_id', f->>'fixed_charge_id',
                                                                          CASE (f->>'fee_type')::integer WHEN 2 THEN 'subscription'
                                                                                                         WHEN 4 THEN 'commitment' END)),
                       'amount', revrec._source_amount((f->>'amount_cents')::numeric, e),
                       'kind', CASE (f->>'fee_type')::integer WHEN 4 THEN 'minimum_true_up' ELSE 'charge' END,
                       'service_start', coalesce(p.p_start, (inv->>'issuing_date')::date),
                       'service_end', coalesce(p.p_end, p.p_start, (inv->>'issuing_date')::date),
                       'recognition_method', CASE WHEN p.p_end IS NOT NULL AND (f->>'fee_type')::integer <> 4 THEN 'straight_line'
                                                  WHEN (f->>'fee_type')::integer = 4 THEN NULL ELSE 'point_in_time' END,
                       'description', left(coalesce(f->>'invoice_display_name', f->>'description'), 1000)) AS x
              FROM jsonb_array_elements(o->'fees') f, LATERAL revrec._lago_period(f, tz) p
             WHERE (f->>'fee_type')::integer IS DISTINCT FROM 3 AND (f->>'amount_cents')::numeric <> 0
            UNION ALL
            SELECT jsonb_build_object(
                       'line_id', (f->>'id') || '/coupons',
                       'product_id', revrec._source_product(opts, coalesce(f->>'charge_id', f->>'add_on_id', f->>'fixed_charge_id',
                                                                          CASE (f->>'fee_type')::integer WHEN 2 THEN 'subscription'
                                                                                                         WHEN 4 THEN 'commitment' END)),
                       'amount', -revrec._source_amount(round((f->>'precise_coupons_amount_cents')::numeric), e),
                       'kind', 'discount',
                       'group_id', f->>'id')
              FROM jsonb_array_elements(o->'fees') f
             WHERE (f->>'fee_type')::integer IS DISTINCT FROM 3 AND (f->>'amount_cents')::numeric <> 0
               AND round(coalesce((f->>'precise_coupons_amount_cents')::numeric, 0)) > 0) l (x);
    RETURN jsonb_build_object(
        'invoice_id', id,
        'invoice_number', nullif(inv->>'number', ''),
        'customer_id', cust,
        'customer_name', coalesce(opts->'customer_names'->>cust, o->'customer'->>'name', cust),
        'currency', cur,
        'accounting_date', (inv->>'issuing_date')::date,
        'status', CASE st WHEN 2 THEN 'void' ELSE 'issued' END,
        'void_date', revrec._source_date((inv->>'voided_at')::timestamp AT TIME ZONE 'UTC', tz),
        'added_on', (SELECT max(revrec._source_date((f->>'created_at')::timestamp AT TIME ZONE 'UTC', tz)) FROM jsonb_array_elements(o->'fees') f),
        'products', (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('product_id', l->>'product_id')), '[]')
                       FROM jsonb_array_elements(lines) l),
        'lines', lines,
        'grants', (SELECT coalesce(jsonb_agg(jsonb_build_object('grant_id', f->>'id', 'customer_id', cust, 'currency', cur,
                                                                'amount', revrec._source_amount((f->>'amount_cents')::numeric, e),
                                                                'effective_date', (inv->>'issuing_date')::date)), '[]')
                     FROM jsonb_array_elements(o->'fees') f
                    WHERE (f->>'fee_type')::integer = 3 AND (f->>'amount_cents')::numeric > 0 AND st = 1));
END $$;

-- Apply a Lago invoice: its wallet credits as grants, then the invoice.
CREATE OR REPLACE FUNCTION revrec._lago_apply(d jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF d IS NULL THEN RETURN; END IF;
    IF jsonb_array_length(d->'grants') > 0 THEN
        INSERT INTO revrec.customer (customer_id, name) VALUES (d->>'customer_id', d->>'customer_name') ON CONFLICT DO NOTHING;
        INSERT INTO revrec.credit_grant (grant_id, customer_id, currency, amount, effective_date)
        SELECT g->>'grant_id', g->>'customer_id', g->>'currency', (g->>'amount')::numeric, (g->>'effective_date')::date
          FROM jsonb_array_elements(d->'grants') g
        ON CONFLICT (grant_id) DO NOTHING;
    END IF;
    IF jsonb_array_length(d->'lines') > 0 OR EXISTS (SELECT 1 FROM revrec.invoice WHERE invoice_id = d->>'invoice_id') THEN
        PERFORM revrec._source_apply_invoice(d - 'grants');
    END IF;
END $$;

-- A Lago credit note: each item credits its fee's group; item amounts are
-- before coupons, so each is reduced by the fee's coupon share as Lago does
-- (item x precise_coupons_amount_cents / amount_cents), rounded half away
-- from zero to the minor unit.
CREATE OR REPLACE FUNCTION revrec._lago_credit_note(opts jsonb, o jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cn    jsonb := o->'credit_note';
    id    text := cn->>'id';
    tz    text := coalesce(opts->>'timezone', o->'invoice'->>'timezone', 'UTC');
    cur   text := upper(cn->>'total_amount_currency');
    cust  text := coalesce(o->'customer'->>'external_id', cn->>'customer_id');
    e     integer;
    lines jsonb;
BEGIN
    IF (cn->>'status')::integer IS DISTINCT FROM 1 THEN
        RETURN NULL;   -- a draft
    END IF;
    e := revrec._lago_exponent(cur);
    SELECT coalesce(jsonb_agg(x ORDER BY x->>'credit_note_line_id'), '[]') INTO lines
      FROM (SELECT jsonb_build_object(
                       'credit_note_line_id', it->>'id',
                       'line_id', it->>'fee_id',
                       'amount', revrec._source_amount(round(a.net), e)) AS x
              FROM jsonb_array_elements(o->'items') it,
                   LATERAL (SELECT coalesce((it->>'precise_amount_cents')::numeric, (it->>'amount_cents')::numeric)
                                   * (1 - coalesce((it->'fee'->>'precise_coupons_amount_cents')::numeric, 0)
                                          / nullif((it->'fee'->>'amount_cents')::numeric, 0)) AS net) a
             WHERE round(a.net) > 0) l (x);
    RETURN jsonb_build_object(
        'credit_note_id', id,
        'credit_note_number', cn->>'number',
        'customer_id', cust,
        'customer_name', coalesce(opts->'customer_names'->>cust, o->'customer'->>'name', cust),
        'currency', cur,
        'credit_date', (cn->>'issuing_date')::date,
        'invoice_id', cn->>'invoice_id',
        'status', CASE WHEN (cn->>'credit_status')::integer = 2 OR cn->>'voided_at' IS NOT NULL THEN 'void' ELSE 'issued' END,
        'void_date', revrec._source_date((cn->>'voided_at')::timestamp AT TIME ZONE 'UTC', tz),
        'lines', lines);
END $$;
