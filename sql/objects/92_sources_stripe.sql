-- Stripe, as synced into PostgreSQL by supabase/stripe-sync-engine (schema
-- "stripe": tables invoices and credit_notes).  revrec reads the Stripe API
-- object (the _raw_data column of newer versions, the row's columns in older
-- ones), never version-specific columns.  Mapping rules: README "Stripe".

-- Decimals of a currency's amounts in Stripe's API: Stripe's zero-decimal
-- currencies have none, ISK is given with two (always 00), every other
-- currency has its ISO 4217 decimals.  NULL: a currency revrec does not know.
CREATE OR REPLACE FUNCTION revrec._stripe_exponent(currency text) RETURNS integer
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT CASE WHEN currency IN ('BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND',
                                  'VUV', 'XAF', 'XOF', 'XPF') THEN 0
                WHEN currency = 'ISK' THEN 2
                ELSE (SELECT c.exponent FROM revrec.currency c WHERE c.code = currency) END
      FROM revrec.currency c0 WHERE c0.code = currency;
END;

-- A Stripe id that may be expanded into its object.
CREATE OR REPLACE FUNCTION revrec._stripe_id(v jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT CASE jsonb_typeof(v) WHEN 'object' THEN v->>'id' WHEN 'string' THEN v #>> '{}' END;
END;

-- Tax included in an amount (tax_amounts[].inclusive in older API versions,
-- taxes[].tax_behavior = 'inclusive' in newer ones), in minor units.
CREATE OR REPLACE FUNCTION revrec._stripe_inclusive_tax(o jsonb) RETURNS numeric
    LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT coalesce((SELECT sum((t->>'amount')::numeric) FROM jsonb_array_elements(
                        CASE jsonb_typeof(o->'tax_amounts') WHEN 'array' THEN o->'tax_amounts' ELSE '[]' END) t
                      WHERE (t->>'inclusive')::boolean), 0)
         + coalesce((SELECT sum((t->>'amount')::numeric) FROM jsonb_array_elements(
                        CASE jsonb_typeof(o->'taxes') WHEN 'array' THEN o->'taxes' ELSE '[]' END) t
                      WHERE t->>'tax_behavior' = 'inclusive'), 0);
END;

-- Discounts of a line (discount_amounts[]), in minor units.
CREATE OR REPLACE FUNCTION revrec._stripe_discounts(o jsonb) RETURNS numeric
    LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT coalesce((SELECT sum((t->>'amount')::numeric) FROM jsonb_array_elements(
                        CASE jsonb_typeof(o->'discount_amounts') WHEN 'array' THEN o->'discount_amounts' ELSE '[]' END) t), 0);
END;

-- The source product of an invoice line: price.product (price may be
-- expanded), pricing.price_details.product (API 2025-03 on), plan.product.
CREATE OR REPLACE FUNCTION revrec._stripe_line_product(li jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT coalesce(revrec._stripe_id(li->'price'->'product'), revrec._stripe_id(li->'pricing'->'price_details'->'product'),
                    revrec._stripe_id(li->'plan'->'product'));
END;

CREATE OR REPLACE FUNCTION revrec._stripe_check_currency(o jsonb) RETURNS integer
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e integer := revrec._stripe_exponent(upper(o->>'currency'));
BEGIN
    IF e IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RV001', MESSAGE = format('unknown currency %s', left(coalesce(o->>'currency', 'NULL'), 40)),
            HINT = 'revrec knows the ISO 4217 currencies of revrec.currency.';
    END IF;
    RETURN e;
END $$;

-- A Stripe invoice as the revrec invoice it stands for (or NULL: a draft).
CREATE OR REPLACE FUNCTION revrec._stripe_invoice(opts jsonb, inv jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    tz     text := coalesce(opts->>'timezone', 'UTC');
    id     text := inv->>'id';
    st     text := inv->>'status';
    fin    numeric := (inv->'status_transitions'->>'finalized_at')::numeric;
    e      integer;
    cust   text := revrec._stripe_id(inv->'customer');
    lines  jsonb;
BEGIN
    IF st IS NULL OR st NOT IN ('open', 'paid', 'uncollectible', 'void') OR fin IS NULL AND st = 'void' THEN
        RETURN NULL;   -- a draft (or deleted): nothing to post yet
    END IF;
    fin := coalesce(fin, (inv->>'created')::numeric);
    IF (inv->'lines'->>'has_more')::boolean THEN
        RAISE EXCEPTION USING ERRCODE = 'RV050',
            MESSAGE = format('invoice %s has more lines than the synced list holds (lines.has_more)', id),
            HINT = 'Stripe lists only the first 10 lines of an invoice: turn on the sync engine''s list expansion and sync the invoice again.';
    END IF;
    e := revrec._stripe_check_currency(inv);
    -- each line's values once (v; the helpers' rules written inline: this
    -- runs for every line of a backfill), then its charge and discount lines
    WITH v AS (
        SELECT id || '/' || (li->>'id') AS line_id,
               coalesce(opts->'products'->>p.src, p.src, opts->>'default_product', 'unmapped') AS product_id,
               (li->>'amount')::numeric - x.tax AS amount,
               x.discount,
               (li->'period'->>'start')::numeric AS p_start, (li->'period'->>'end')::numeric AS p_end,
               left(li->>'description', 1000) AS description
          FROM jsonb_array_elements(coalesce(inv->'lines'->'data', '[]')) li
         CROSS JOIN LATERAL (SELECT revrec._stripe_line_product(li) AS src) p
         CROSS JOIN LATERAL (
               SELECT coalesce(sum((t->>'amount')::numeric) FILTER (WHERE t.k = 'd'), 0) AS discount,
                      coalesce(sum((t->>'amount')::numeric) FILTER (WHERE t.k = 't' AND ((t->>'inclusive')::boolean
                                                                                       OR t->>'tax_behavior' = 'inclusive')), 0) AS tax
                 FROM (SELECT 'd' AS k, a FROM jsonb_array_elements(CASE jsonb_typeof(li->'discount_amounts')
                                                                    WHEN 'array' THEN li->'discount_amounts' ELSE '[]' END) a
                       UNION ALL
                       SELECT 't', a FROM jsonb_array_elements(
                           CASE jsonb_typeof(li->'tax_amounts') WHEN 'array' THEN li->'tax_amounts' ELSE '[]' END
                           || CASE jsonb_typeof(li->'taxes') WHEN 'array' THEN li->'taxes' ELSE '[]' END) a) t (k, t)) x)
    SELECT coalesce(jsonb_agg(x ORDER BY x->>'line_id'), '[]') INTO lines
      FROM (SELECT jsonb_build_object(
                       'line_id', v.line_id, 'product_id', v.product_id,
                       'amount', round(v.amount / (10::numeric ^ e), e + scale(v.amount)),   -- never rounds: fractions of a minor unit stay, for revrec to refuse
                       'kind', 'charge',
                       'service_start', (to_timestamp(v.p_start) AT TIME ZONE tz)::date,
                       'service_end', (to_timestamp(CASE WHEN v.p_end > v.p_start THEN v.p_end - 1 ELSE v.p_start END) AT TIME ZONE tz)::date,
                       'recognition_method', CASE WHEN v.p_end > v.p_start THEN 'straight_line' ELSE 'point_in_time' END,
                       'description', v.description) AS x
              FROM v
            UNION ALL
            SELECT jsonb_build_object(
                       'line_id', v.line_id || '/discount', 'product_id', v.product_id,
                       'amount', -round(v.discount / (10::numeric ^ e), e + scale(v.discount)),
                       'kind', 'discount',
                       'group_id', v.line_id)
              FROM v WHERE v.discount <> 0) l (x);
    RETURN jsonb_build_object(
        'invoice_id', id,
        'invoice_number', inv->>'number',
        'customer_id', cust,
        'customer_name', coalesce(opts->'customer_names'->>cust, CASE coalesce(opts->>'customer_name', 'name')
                              WHEN 'email' THEN coalesce(inv->>'customer_email', inv->>'customer_name')
                              WHEN 'id' THEN cust
                              ELSE coalesce(inv->>'customer_name', inv->>'customer_email') END),
        'currency', upper(inv->>'currency'),
        'accounting_date', revrec._source_date(to_timestamp(fin), tz),
        'status', CASE st WHEN 'void' THEN 'void' ELSE 'issued' END,
        'void_date', revrec._source_date(to_timestamp((inv->'status_transitions'->>'voided_at')::numeric), tz),
        'products', (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('product_id', l->>'product_id')), '[]')
                       FROM jsonb_array_elements(lines) l),
        'lines', lines);
END $$;

-- A Stripe credit note as a revrec credit note: lines of type
-- invoice_line_item credit that line's group; custom_line_item lines are
-- standalone credits (option default_product).  Amounts net of discounts,
-- without tax.
CREATE OR REPLACE FUNCTION revrec._stripe_credit_note(opts jsonb, cn jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    tz    text := coalesce(opts->>'timezone', 'UTC');
    id    text := cn->>'id';
    inv   text := revrec._stripe_id(cn->'invoice');
    cust  text := revrec._stripe_id(cn->'customer');
    e     integer;
    lines jsonb;
BEGIN
    IF (cn->'lines'->>'has_more')::boolean THEN
        RAISE EXCEPTION USING ERRCODE = 'RV050',
            MESSAGE = format('credit note %s has more lines than the synced list holds (lines.has_more)', id),
            HINT = 'Turn on the sync engine''s list expansion and sync the credit note again.';
    END IF;
    e := revrec._stripe_check_currency(cn);
    SELECT coalesce(jsonb_agg(x ORDER BY x->>'credit_note_line_id'), '[]') INTO lines
      FROM (SELECT jsonb_build_object(
                       'credit_note_line_id', id || '/' || (li->>'id'),
                       'line_id', CASE WHEN li->>'type' = 'invoice_line_item' THEN inv || '/' || (li->>'invoice_line_item') END,
                       'product_id', CASE WHEN li->>'type' = 'invoice_line_item' THEN NULL
                                          ELSE revrec._source_product(opts, NULL) END,
                       'amount', revrec._source_amount((li->>'amount')::numeric - revrec._stripe_discounts(li)
                                                       - revrec._stripe_inclusive_tax(li), e),
                       'description', left(li->>'description', 1000)) AS x
              FROM jsonb_array_elements(coalesce(cn->'lines'->'data', '[]')) li
             WHERE (li->>'amount')::numeric - revrec._stripe_discounts(li) - revrec._stripe_inclusive_tax(li) > 0) l (x);
    RETURN jsonb_build_object(
        'credit_note_id', id,
        'credit_note_number', cn->>'number',
        'customer_id', cust,
        'customer_name', coalesce(opts->'customer_names'->>cust, cust),
        'currency', upper(cn->>'currency'),
        'credit_date', revrec._source_date(to_timestamp(coalesce((cn->>'effective_at')::numeric, (cn->>'created')::numeric)), tz),
        'invoice_id', inv,
        'status', CASE cn->>'status' WHEN 'void' THEN 'void' ELSE 'issued' END,
        'void_date', revrec._source_date(to_timestamp(CASE WHEN cn->>'voided_at' ~ '^[0-9]+$' THEN (cn->>'voided_at')::numeric END), tz),
        'products', (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('product_id', l->>'product_id')), '[]')
                       FROM jsonb_array_elements(lines) l WHERE l->>'product_id' IS NOT NULL),
        'lines', lines);
END $$;
