-- Kill Bill on PostgreSQL (killbill/killbill, invoice module's ddl.sql):
-- tables invoices and invoice_items of the schema attached.  Mapping rules:
-- README "Kill Bill".

-- An invoice and its items, as one jsonb {"invoice": row, "items": [rows]}.
CREATE OR REPLACE FUNCTION revrec._killbill_fetch(s revrec.source, document text, key text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r jsonb;
BEGIN
    EXECUTE format('SELECT jsonb_build_object(''invoice'', to_jsonb(i),
                        ''items'', coalesce((SELECT jsonb_agg(to_jsonb(it) ORDER BY it.record_id)
                                               FROM %1$I.invoice_items it WHERE it.invoice_id = i.id), ''[]''))
                      FROM %1$I.invoices i WHERE i.id = $1', s.source_schema)
       INTO r USING key;
    RETURN r;
END $$;

-- A Kill Bill invoice as a revrec invoice (RECURRING and USAGE straight-line
-- over [start_date, end_date - 1]; FIXED and EXTERNAL_CHARGE at a point in
-- time; TAX and account-credit items skipped); its ITEM_ADJ and REPAIR_ADJ
-- items become credit notes on their linked items (applied here too).
CREATE OR REPLACE FUNCTION revrec._killbill_invoice(opts jsonb, o jsonb) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    tz    text := coalesce(opts->>'timezone', 'UTC');
    inv   jsonb := o->'invoice';
    id    text := inv->>'id';
    cust  text := inv->>'account_id';
    cur   text := upper(inv->>'currency');
    st    text := upper(inv->>'status');
    lines jsonb;
    adj   record;
BEGIN
    IF coalesce(st, 'COMMITTED') NOT IN ('COMMITTED', 'VOID') THEN
        RETURN NULL;   -- a draft: nothing to post yet
    END IF;
    IF NOT EXISTS (SELECT 1 FROM revrec.currency WHERE code = cur) THEN
        RAISE EXCEPTION USING ERRCODE = 'RV001', MESSAGE = format('unknown currency %s', left(coalesce(inv->>'currency', 'NULL'), 40));
    END IF;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'line_id', it->>'id',
               'product_id', revrec._source_product(opts, coalesce(it->>'product_name', it->>'plan_name')),
               'amount', revrec._source_exact((it->>'amount')::numeric, cur),
               'kind', 'charge',
               'service_start', (it->>'start_date')::date,
               'service_end', CASE WHEN it->>'type' IN ('RECURRING', 'USAGE') AND (it->>'end_date')::date > (it->>'start_date')::date
                                   THEN (it->>'end_date')::date - 1 ELSE (it->>'start_date')::date END,
               'recognition_method', CASE WHEN it->>'type' IN ('RECURRING', 'USAGE') AND (it->>'end_date')::date > (it->>'start_date')::date
                                          THEN 'straight_line' ELSE 'point_in_time' END,
               'recognize_on', CASE WHEN it->>'type' IN ('FIXED', 'EXTERNAL_CHARGE')
                                    THEN coalesce((it->>'start_date')::date, (inv->>'invoice_date')::date) END,
               'description', left(it->>'description', 1000)) ORDER BY (it->>'record_id')::bigint), '[]')
      INTO lines
      FROM jsonb_array_elements(o->'items') it
     WHERE it->>'type' IN ('RECURRING', 'USAGE', 'FIXED', 'EXTERNAL_CHARGE');
    RETURN jsonb_build_object(
        'invoice_id', id,
        'invoice_number', 'KB-' || (inv->>'record_id'),
        'customer_id', cust,
        'customer_name', coalesce(opts->'customer_names'->>cust, cust),
        'currency', cur,
        'accounting_date', (inv->>'invoice_date')::date,
        'status', CASE st WHEN 'VOID' THEN 'void' ELSE 'issued' END,
        'void_date', revrec._source_date(now(), tz),   -- Kill Bill keeps no void date: the day revrec sees it
        'added_on', (SELECT max(revrec._source_date((it->>'created_date')::timestamp AT TIME ZONE 'UTC', tz))
                       FROM jsonb_array_elements(o->'items') it),
        'products', (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('product_id', l->>'product_id')), '[]')
                       FROM jsonb_array_elements(lines) l),
        'lines', lines,
        'adjustments', (SELECT coalesce(jsonb_agg(it ORDER BY (it->>'record_id')::bigint), '[]')
                          FROM jsonb_array_elements(o->'items') it
                         WHERE it->>'type' IN ('ITEM_ADJ', 'REPAIR_ADJ')));
END $$;

-- Apply a Kill Bill invoice: the invoice, then (while it stands) its
-- adjustments as credit notes, each dated the day it was created.
CREATE OR REPLACE FUNCTION revrec._killbill_apply(opts jsonb, d jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    tz  text := coalesce(opts->>'timezone', 'UTC');
    adj jsonb;
BEGIN
    IF d IS NULL THEN RETURN; END IF;
    IF jsonb_array_length(d->'lines') > 0 OR EXISTS (SELECT 1 FROM revrec.invoice WHERE invoice_id = d->>'invoice_id') THEN
        PERFORM revrec._source_apply_invoice(d - 'adjustments');
    END IF;
    IF d->>'status' <> 'issued' THEN RETURN; END IF;
    FOR adj IN SELECT a FROM jsonb_array_elements(d->'adjustments') a LOOP
        CONTINUE WHEN (adj->>'amount')::numeric >= 0;
        PERFORM revrec._source_apply_credit_note(jsonb_build_object(
            'source', d->>'source',
            'credit_note_id', adj->>'id',
            'customer_id', d->>'customer_id',
            'customer_name', d->>'customer_name',
            'currency', d->>'currency',
            'credit_date', greatest(revrec._source_date((adj->>'created_date')::timestamp AT TIME ZONE 'UTC', tz),
                                    (SELECT i.accounting_date FROM revrec.invoice_line l JOIN revrec.invoice i ON i.invoice_id = l.invoice_id
                                      WHERE l.line_id = adj->>'linked_item_id')),
            'status', 'issued',
            'lines', jsonb_build_array(jsonb_build_object(
                'credit_note_line_id', adj->>'id',
                'line_id', adj->>'linked_item_id',
                'amount', revrec._source_exact(-(adj->>'amount')::numeric, d->>'currency'),
                'description', left(adj->>'description', 1000)))));
    END LOOP;
END $$;
