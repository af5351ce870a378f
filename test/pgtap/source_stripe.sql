-- revrec attached to Stripe data synced by supabase/stripe-sync-engine:
-- the sync engine's tables (schema "stripe", the _raw_data shape of
-- migrations 0042/0048/0050, real column names and types), a scripted life
-- cycle written the way the sync engine writes (upserts of the whole API
-- object), committed statement by statement so the mapping runs at each
-- commit.  README "Sources".
SELECT plan(61);

CREATE SCHEMA stripe;
CREATE TABLE stripe.invoices (
    _raw_data           jsonb,
    _last_synced_at     timestamptz,
    _updated_at         timestamptz DEFAULT now(),
    _account_id         text,
    id                  text GENERATED ALWAYS AS ((_raw_data->>'id')::text) STORED PRIMARY KEY,
    object              text GENERATED ALWAYS AS ((_raw_data->>'object')::text) STORED,
    currency            text GENERATED ALWAYS AS ((_raw_data->>'currency')::text) STORED,
    lines               jsonb GENERATED ALWAYS AS (_raw_data->'lines') STORED,
    status              text GENERATED ALWAYS AS ((_raw_data->>'status')::text) STORED,
    total               bigint GENERATED ALWAYS AS ((_raw_data->>'total')::bigint) STORED,
    amount_paid         bigint GENERATED ALWAYS AS ((_raw_data->>'amount_paid')::bigint) STORED,
    created             integer GENERATED ALWAYS AS ((_raw_data->>'created')::integer) STORED,
    customer            text GENERATED ALWAYS AS ((_raw_data->>'customer')::text) STORED,
    number              text GENERATED ALWAYS AS ((_raw_data->>'number')::text) STORED,
    status_transitions  jsonb GENERATED ALWAYS AS (_raw_data->'status_transitions') STORED
);
CREATE TABLE stripe.credit_notes (
    _raw_data        jsonb,
    _last_synced_at  timestamptz,
    _account_id      text,
    id               text GENERATED ALWAYS AS ((_raw_data->>'id')::text) STORED PRIMARY KEY,
    object           text GENERATED ALWAYS AS ((_raw_data->>'object')::text) STORED,
    amount           integer GENERATED ALWAYS AS ((_raw_data->>'amount')::integer) STORED,
    created          integer GENERATED ALWAYS AS ((_raw_data->>'created')::integer) STORED,
    currency         text GENERATED ALWAYS AS ((_raw_data->>'currency')::text) STORED,
    customer         text GENERATED ALWAYS AS ((_raw_data->>'customer')::text) STORED,
    invoice          text GENERATED ALWAYS AS ((_raw_data->>'invoice')::text) STORED,
    lines            jsonb GENERATED ALWAYS AS (_raw_data->'lines') STORED,
    status           text GENERATED ALWAYS AS ((_raw_data->>'status')::text) STORED,
    voided_at        text GENERATED ALWAYS AS ((_raw_data->>'voided_at')::text) STORED
);

-- the API objects, as the sync engine stores them
CREATE FUNCTION pg_temp.ts(t text) RETURNS bigint LANGUAGE sql AS $$ SELECT extract(epoch FROM t::timestamptz)::bigint $$;
CREATE FUNCTION pg_temp.line(id text, amount bigint, p_start text, p_end text, product text, discount bigint DEFAULT 0,
                             proration boolean DEFAULT false) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('id', id, 'object', 'line_item', 'amount', amount, 'currency', 'usd',
        'description', product || ' ' || id, 'proration', proration,
        'period', jsonb_build_object('start', pg_temp.ts(p_start), 'end', pg_temp.ts(p_end)),
        'pricing', jsonb_build_object('type', 'price_details', 'price_details', jsonb_build_object('price', 'price_' || product, 'product', product)),
        'discount_amounts', CASE WHEN discount = 0 THEN '[]'::jsonb ELSE jsonb_build_array(jsonb_build_object('amount', discount, 'discount', 'di_1')) END,
        'taxes', jsonb_build_array(jsonb_build_object('amount', amount / 10, 'tax_behavior', 'exclusive')))
$$;
CREATE FUNCTION pg_temp.inv(id text, status text, finalized text, lines jsonb, extra jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('id', id, 'object', 'invoice', 'customer', 'cus_1', 'customer_name', 'Acme Ltd',
        'currency', 'usd', 'status', status, 'number', CASE WHEN finalized IS NOT NULL THEN 'N-' || id END,
        'created', pg_temp.ts('2025-01-10'), 'amount_paid', 0,
        'status_transitions', jsonb_build_object('finalized_at', pg_temp.ts(finalized), 'voided_at', NULL),
        'lines', jsonb_build_object('object', 'list', 'data', lines, 'has_more', false)) || extra
$$;
-- the sync engine's upsert
CREATE FUNCTION pg_temp.put(o jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO stripe.invoices (_raw_data, _last_synced_at) VALUES (o, now())
    ON CONFLICT (id) DO UPDATE SET _raw_data = EXCLUDED._raw_data, _last_synced_at = EXCLUDED._last_synced_at
$$;
CREATE FUNCTION pg_temp.put_cn(o jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO stripe.credit_notes (_raw_data, _last_synced_at) VALUES (o, now())
    ON CONFLICT (id) DO UPDATE SET _raw_data = EXCLUDED._raw_data, _last_synced_at = EXCLUDED._last_synced_at
$$;
CREATE FUNCTION pg_temp.ledger() RETURNS text LANGUAGE sql AS $$
    SELECT md5(coalesce(string_agg(format('%s|%s|%s|%s|%s|%s', journal_number, entry_date, account, direction, amount, line_id), ','
                                   ORDER BY journal_number, entry_date, account, direction, amount, line_id), ''))
      FROM revrec.journal_entry
$$;

SELECT is((SELECT kind FROM revrec.attach_source('stripe', 'stripe', '{"timezone": "UTC", "products": {"prod_seats": "SEATS"}}')),
          'stripe', 'attach_source installs the capture triggers');
-- an admin who may not put triggers on the tables cannot attach them
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_s_admin') THEN CREATE ROLE rr_s_admin LOGIN; END IF; END $$;
GRANT revrec_admin TO rr_s_admin;
SET SESSION AUTHORIZATION rr_s_admin;
SELECT throws_ok($$SELECT revrec.attach_source('stripe', 'stripe')$$, '42501', NULL,
                 'attach_source: the login role must hold TRIGGER on the source tables');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('stripe.invoices'::regclass, 'stripe.credit_notes'::regclass)
              AND tgname LIKE 'revrec_capture_%'), 4::bigint, 'two capture triggers on each table');

-- 1. a draft, a line added to it, then finalized
SELECT pg_temp.put(pg_temp.inv('in_1', 'draft', NULL,
    jsonb_build_array(pg_temp.line('il_1a', 120000, '2025-01-15', '2026-01-15', 'prod_plan', 12000))));
SELECT is((SELECT count(*) FROM revrec.invoice), 0::bigint, 'a draft posts nothing');
SELECT pg_temp.put(pg_temp.inv('in_1', 'draft', NULL,
    jsonb_build_array(pg_temp.line('il_1a', 120000, '2025-01-15', '2026-01-15', 'prod_plan', 12000),
                      pg_temp.line('il_1b', 30000, '2025-01-15', '2025-01-15', 'prod_setup'))));
SELECT pg_temp.put(pg_temp.inv('in_1', 'open', '2025-01-15 09:00',
    jsonb_build_array(pg_temp.line('il_1a', 120000, '2025-01-15', '2026-01-15', 'prod_plan', 12000),
                      pg_temp.line('il_1b', 30000, '2025-01-15', '2025-01-15', 'prod_setup'))));
SELECT is((SELECT status FROM revrec.invoice WHERE invoice_id = 'in_1'), 'issued', 'finalized: issued');
SELECT is((SELECT accounting_date FROM revrec.invoice WHERE invoice_id = 'in_1'), '2025-01-15'::date, 'accounting date = finalization date');
SELECT results_eq($$SELECT line_id, amount, kind, group_id, service_start, service_end, recognition_method, product_id
                      FROM revrec.invoice_line WHERE invoice_id = 'in_1' ORDER BY line_id$$,
    $$VALUES ('in_1/il_1a', 1200.00, 'charge', NULL, '2025-01-15'::date, '2026-01-14'::date, 'straight_line', 'prod_plan'),
             ('in_1/il_1a/discount', -120.00, 'discount', 'in_1/il_1a', NULL, NULL, NULL, 'prod_plan'),
             ('in_1/il_1b', 300.00, 'charge', NULL, '2025-01-15'::date, '2025-01-15'::date, 'point_in_time', 'prod_setup')$$,
    'lines: minor units to amounts, tax dropped, the discount in its line''s group, period end exclusive, one-off items point in time');
SELECT is((SELECT sum(amount) FROM revrec.journal_entry WHERE invoice_id = 'in_1' AND account = 'billed' AND direction = 'debit'),
          1380.00, 'billed net of the discount');
SELECT is((SELECT name FROM revrec.customer WHERE customer_id = 'cus_1'), 'Acme Ltd', 'customer created on first sight');

-- 2. paid, then an upsert storm of the unchanged object: nothing more posts
SELECT pg_temp.put(pg_temp.inv('in_1', 'paid', '2025-01-15 09:00',
    jsonb_build_array(pg_temp.line('il_1a', 120000, '2025-01-15', '2026-01-15', 'prod_plan', 12000),
                      pg_temp.line('il_1b', 30000, '2025-01-15', '2025-01-15', 'prod_setup')), '{"amount_paid": 138000}'));
SELECT is((SELECT count(*) FROM revrec.posting), 2::bigint, 'paid: nothing new posts');
DO $$
BEGIN
    FOR i IN 1..50 LOOP
        PERFORM pg_temp.put(pg_temp.inv('in_1', 'paid', '2025-01-15 09:00',
            jsonb_build_array(pg_temp.line('il_1a', 120000, '2025-01-15', '2026-01-15', 'prod_plan', 12000),
                              pg_temp.line('il_1b', 30000, '2025-01-15', '2025-01-15', 'prod_setup')), '{"amount_paid": 138000}'));
    END LOOP;
END $$;
SELECT is((SELECT count(*) FROM revrec.posting), 2::bigint, 'an upsert storm (50 upserts in one transaction) posts nothing');
SELECT pg_temp.put(pg_temp.inv('in_1', 'paid', '2025-01-15 09:00',
    jsonb_build_array(pg_temp.line('il_1a', 120000, '2025-01-15', '2026-01-15', 'prod_plan', 12000),
                      pg_temp.line('il_1b', 30000, '2025-01-15', '2025-01-15', 'prod_setup')), '{"amount_paid": 138000}'))
  FROM generate_series(1, 20);
SELECT is((SELECT count(*) FROM revrec.posting), 2::bigint, '... nor 20 re-deliveries committed one by one');

-- 3. a proration: an upgrade mid-period (unused time credited, remaining time charged), a mapped product
SELECT pg_temp.put(pg_temp.inv('in_2', 'open', '2025-03-01',
    jsonb_build_array(pg_temp.line('il_2a', -5000, '2025-03-01', '2025-04-01', 'prod_plan', 0, true),
                      pg_temp.line('il_2b', 9000, '2025-03-01', '2025-04-01', 'prod_seats', 0, true),
                      pg_temp.line('il_2c', 20000, '2025-04-01', '2025-05-01', 'prod_seats'))));
SELECT results_eq($$SELECT line_id, amount, product_id, service_end FROM revrec.invoice_line WHERE invoice_id = 'in_2' ORDER BY line_id$$,
    $$VALUES ('in_2/il_2a', -50.00, 'prod_plan', '2025-03-31'::date), ('in_2/il_2b', 90.00, 'SEATS', '2025-03-31'::date),
             ('in_2/il_2c', 200.00, 'SEATS', '2025-04-30'::date)$$,
    'proration lines (the credit for unused time negative), products mapped by the options');
SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id = 'in_2'), 3::bigint, 'the proration invoice posted');

-- a trial's $0 invoice posts (nothing); an invoice without lines is skipped, not refused
SELECT pg_temp.put(pg_temp.inv('in_t', 'paid', '2025-02-01',
    jsonb_build_array(pg_temp.line('il_ta', 0, '2025-02-01', '2025-02-15', 'prod_plan'))));
SELECT pg_temp.put(pg_temp.inv('in_e', 'paid', '2025-02-01', '[]'));
SELECT is((SELECT string_agg(invoice_id, ',') FROM revrec.invoice WHERE invoice_id IN ('in_t', 'in_e')), 'in_t',
          'a $0 trial invoice is issued; an empty one is not');
SELECT is((SELECT count(*) FROM revrec.source_error), 0::bigint, '... and neither is refused');

-- 4. a credit note on a line (net of its discount share), then voided
SELECT pg_temp.put_cn(jsonb_build_object('id', 'cn_1', 'object', 'credit_note', 'invoice', 'in_1', 'customer', 'cus_1',
    'currency', 'usd', 'status', 'issued', 'number', 'CN-1', 'created', pg_temp.ts('2025-06-01'), 'effective_at', pg_temp.ts('2025-06-01'),
    'lines', jsonb_build_object('data', jsonb_build_array(
        jsonb_build_object('id', 'cnli_1', 'type', 'invoice_line_item', 'invoice_line_item', 'il_1a', 'amount', 10000,
                           'discount_amounts', jsonb_build_array(jsonb_build_object('amount', 1000))),
        jsonb_build_object('id', 'cnli_2', 'type', 'custom_line_item', 'amount', 2500, 'description', 'goodwill'),
        jsonb_build_object('id', 'cnli_3', 'type', 'tax', 'amount', 0)), 'has_more', false)));
SELECT results_eq($$SELECT credit_note_line_id, line_id, product_id, amount FROM revrec.credit_note_line ORDER BY 1$$,
    $$VALUES ('cn_1/cnli_1', 'in_1/il_1a', NULL, 90.00), ('cn_1/cnli_2', NULL, 'unmapped', 25.00)$$,
    'credit note lines: on the invoice line, net of discounts; custom lines standalone');
SELECT is((SELECT credit_date FROM revrec.credit_note WHERE credit_note_id = 'cn_1'), '2025-06-01'::date, 'credit date = effective_at');
SELECT is((SELECT count(*) FROM revrec.posting WHERE source = 'credit_note'), 2::bigint, 'the credit note posted');
SELECT pg_temp.put_cn((SELECT _raw_data FROM stripe.credit_notes WHERE id = 'cn_1')
                      || jsonb_build_object('status', 'void', 'voided_at', pg_temp.ts('2025-06-10')));
SELECT is((SELECT status || ' ' || void_date FROM revrec.credit_note WHERE credit_note_id = 'cn_1'), 'void 2025-06-10', 'credit note voided');

-- 5. an invoice voided
SELECT pg_temp.put((SELECT _raw_data FROM stripe.invoices WHERE id = 'in_2')
                   || jsonb_build_object('status', 'void', 'status_transitions',
                                         jsonb_build_object('finalized_at', pg_temp.ts('2025-03-01'), 'voided_at', pg_temp.ts('2025-03-20'))));
SELECT is((SELECT status || ' ' || void_date FROM revrec.invoice WHERE invoice_id = 'in_2'), 'void 2025-03-20', 'invoice voided: a void, not an edit');
SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id = 'in_2' AND reason = 'void'), 3::bigint, 'each group reversed');

-- 6. a finalized invoice that is void the first time revrec sees it: issued, then voided
SELECT pg_temp.put(pg_temp.inv('in_4', 'void', '2025-02-01',
    jsonb_build_array(pg_temp.line('il_4a', 10000, '2025-02-01', '2025-03-01', 'prod_plan')),
    jsonb_build_object('status_transitions', jsonb_build_object('finalized_at', pg_temp.ts('2025-02-01'), 'voided_at', pg_temp.ts('2025-02-02')))));
SELECT is((SELECT status FROM revrec.invoice WHERE invoice_id = 'in_4'), 'void', 'first seen void: issued and voided');

-- 7. a line added after the invoice posted becomes its own document
SELECT pg_temp.put(pg_temp.inv('in_1', 'paid', '2025-01-15 09:00',
    jsonb_build_array(pg_temp.line('il_1a', 120000, '2025-01-15', '2026-01-15', 'prod_plan', 12000),
                      pg_temp.line('il_1b', 30000, '2025-01-15', '2025-01-15', 'prod_setup'),
                      pg_temp.line('il_1c', 5000, '2025-02-01', '2025-02-01', 'prod_setup')), '{"amount_paid": 138000}'));
SELECT is((SELECT invoice_id FROM revrec.invoice_line WHERE line_id = 'in_1/il_1c'), 'in_1+1', 'a line added later: its own invoice in_1+1');
SELECT is((SELECT count(*) FROM revrec.invoice_line WHERE invoice_id = 'in_1'), 3::bigint, 'the posted invoice is not edited');

-- 8. refused rows: the billing system's write commits, the row waits in source_error
SELECT lives_ok($$SELECT pg_temp.put(pg_temp.inv('in_3', 'open', '2025-04-01',
    jsonb_build_array(pg_temp.line('il_3a', 10000, '2025-04-01', '2025-05-01', 'prod_plan')), '{"currency": "zzz"}'))$$,
    'an invoice in an unknown currency: the sync engine''s write succeeds');
SELECT is((SELECT id FROM stripe.invoices WHERE id = 'in_3'), 'in_3', '... and is committed');
SELECT is((SELECT sqlstate || ' ' || error FROM revrec.source_error WHERE key = 'in_3'), 'RV001 unknown currency zzz', 'it waits in source_error');
SELECT pg_temp.put_cn(jsonb_build_object('id', 'cn_3', 'invoice', 'in_3', 'customer', 'cus_1', 'currency', 'usd', 'status', 'issued',
    'created', pg_temp.ts('2025-04-10'), 'lines', jsonb_build_object('data', jsonb_build_array(
        jsonb_build_object('id', 'cnli_31', 'type', 'invoice_line_item', 'invoice_line_item', 'il_3a', 'amount', 1000)), 'has_more', false)));
SELECT is((SELECT sqlstate FROM revrec.source_error WHERE key = 'cn_3'), 'RV050', 'its credit note waits too');
SELECT pg_temp.put(pg_temp.inv('in_5', 'open', '2025-04-01',
    jsonb_build_array(pg_temp.line('il_5a', 10000, '2025-04-01', '2025-05-01', 'prod_plan')),
    '{"lines": {"data": [], "has_more": true}}'));
SELECT is((SELECT sqlstate FROM revrec.source_error WHERE key = 'in_5'), 'RV050', 'an invoice whose lines list is cut (has_more) is refused');
SELECT pg_temp.put(pg_temp.inv('in_6', 'open', '2025-04-01',
    jsonb_build_array(pg_temp.line('il_6a', 10050, '2025-04-01', '2025-05-01', 'prod_plan')), '{"currency": "isk"}'));
SELECT is((SELECT sqlstate FROM revrec.source_error WHERE key = 'in_6'), 'RV002', 'ISK 100.50 (Stripe gives ISK with two decimals): too many decimals');
SELECT pg_temp.put((SELECT _raw_data FROM stripe.invoices WHERE id = 'in_3') || '{"amount_paid": 1}');
SELECT is((SELECT attempts FROM revrec.source_error WHERE key = 'in_3'), 2, 'a new version of the row is retried (attempts counted)');
-- fixed in the source: posts, and its credit note posts with sync_source()
SELECT pg_temp.put((SELECT _raw_data FROM stripe.invoices WHERE id = 'in_3') || '{"currency": "usd"}');
SELECT is((SELECT status FROM revrec.invoice WHERE invoice_id = 'in_3'), 'issued', 'fixed: it posts');
SELECT is((SELECT refused FROM revrec.sync_source('stripe')), 2::bigint, 'sync_source retries the rest: two still refused');
SELECT is((SELECT status FROM revrec.credit_note WHERE credit_note_id = 'cn_3'), 'issued', 'the credit note posted once its invoice did');
SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id IN ('in_3', 'cn_3')), 2::bigint, 'each once');

SELECT attempts AS a FROM revrec.source_error WHERE key = 'in_5' \gset in5_
UPDATE revrec.settings SET credit_note_mode = 'adjust';
SELECT is((SELECT attempts FROM revrec.source_error WHERE key = 'in_5'), :in5_a + 1, 'a settings change retries what was refused');
UPDATE revrec.settings SET credit_note_mode = 'cancel';

-- a refusal that only posting finds (a credit over what is left on the line) is caught as well
SELECT lives_ok($$SELECT pg_temp.put_cn(jsonb_build_object('id', 'cn_9', 'invoice', 'in_1', 'customer', 'cus_1', 'currency', 'usd',
    'status', 'issued', 'created', pg_temp.ts('2025-07-01'), 'lines', jsonb_build_object('data', jsonb_build_array(
        jsonb_build_object('id', 'cnli_91', 'type', 'invoice_line_item', 'invoice_line_item', 'il_1b', 'amount', 500000)), 'has_more', false)))$$,
    'a credit note over what is left: the sync engine''s write commits');
SELECT is((SELECT sqlstate FROM revrec.source_error WHERE key = 'cn_9'), 'RV020', 'RV020, found by the posting, waits in source_error');
SELECT is((SELECT count(*) FROM revrec.credit_note WHERE credit_note_id = 'cn_9'), 0::bigint, 'nothing of it stays in revrec');
UPDATE stripe.credit_notes SET _raw_data = jsonb_set(_raw_data, '{lines,data,0,amount}', '1000') WHERE id = 'cn_9';
SELECT is((SELECT amount FROM revrec.credit_note_line WHERE credit_note_id = 'cn_9'), 10.00, 'corrected in the source: posted');

-- 9. a changed posted line is refused, never edited
SELECT pg_temp.put(pg_temp.inv('in_3', 'open', '2025-04-01',
    jsonb_build_array(pg_temp.line('il_3a', 99999, '2025-04-01', '2025-05-01', 'prod_plan'))));
SELECT is((SELECT sqlstate FROM revrec.source_error WHERE key = 'in_3'), 'RV051', 'a posted line changed in the source: RV051');
SELECT is((SELECT amount FROM revrec.invoice_line WHERE line_id = 'in_3/il_3a'), 100.00, 'posted history unchanged');
SELECT pg_temp.put(pg_temp.inv('in_3', 'open', '2025-04-01',
    jsonb_build_array(pg_temp.line('il_3a', 10000, '2025-04-01', '2025-05-01', 'prod_plan'))));

-- 10. replayed twice: the same ledger
SELECT is((SELECT mapped + refused FROM revrec.sync_source('stripe', NULL)) > 0, true, 'a replay of every row');
CREATE TEMP TABLE before AS SELECT pg_temp.ledger() AS l, (SELECT count(*) FROM revrec.posting) AS n;
DELETE FROM revrec._source_state;   -- forget what was mapped: a replay from scratch
SELECT is((SELECT mapped FROM revrec.sync_source('stripe')), 9::bigint, 'replay 1 maps every document again (two still refused)');
SELECT is((SELECT mapped FROM revrec.sync_source('stripe')), 0::bigint, 'replay 2: nothing changed');
SELECT is(pg_temp.ledger(), (SELECT l FROM before), 'replays leave the ledger identical');
SELECT is((SELECT count(*) FROM revrec.posting), (SELECT n FROM before), '... and post nothing twice');
SELECT is_empty($$SELECT * FROM revrec.verify()$$, 'verify() finds nothing');

-- 11. the capture trigger fires on attached tables only; detach
CREATE TABLE public.mine (id text);
CREATE TRIGGER t AFTER INSERT ON public.mine REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION revrec._source_capture('stripe', 'invoice', 'id');
SELECT throws_ok($$INSERT INTO public.mine VALUES ('x')$$, '42501', NULL, 'the capture trigger refuses a table that is not attached');
SELECT is(has_function_privilege('revrec_admin', 'revrec._source_capture()', 'EXECUTE'), false, 'no role may attach the capture trigger');
SELECT is(revrec.detach_source('stripe'), true, 'detach_source');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'revrec_capture_%'), 0::bigint, 'the triggers are gone; the ledger stays');

-- 12. an older sync engine (before migration 0042): plain columns, no _raw_data
CREATE SCHEMA stripe_v1;
CREATE TYPE stripe_v1.invoice_status AS ENUM ('draft', 'open', 'paid', 'uncollectible', 'void');
CREATE TABLE stripe_v1.invoices (
    id text PRIMARY KEY, object text, currency text, lines jsonb, status stripe_v1.invoice_status, total bigint,
    created integer, customer_name text, number text, status_transitions jsonb, customer text,
    updated_at timestamptz DEFAULT now());
CREATE TABLE stripe_v1.credit_notes (
    id text PRIMARY KEY, object text, amount integer, created integer, currency text, customer text, invoice text,
    lines jsonb, number text, status text, voided_at text);
SELECT is((SELECT source_schema FROM revrec.attach_source('stripe', 'stripe_v1')), 'stripe_v1', 'attached to an older install');
INSERT INTO stripe_v1.invoices (id, currency, lines, status, created, customer_name, number, status_transitions, customer)
SELECT o->>'id', o->>'currency', o->'lines', (o->>'status')::stripe_v1.invoice_status, (o->>'created')::integer,
       o->>'customer_name', 'V1-7', o->'status_transitions', o->>'customer'
  FROM (SELECT pg_temp.inv('in_7', 'open', '2025-05-01',
                           jsonb_build_array(pg_temp.line('il_7a', 36000, '2025-05-01', '2026-05-01', 'prod_plan')))) x (o);
SELECT is((SELECT amount || ' ' || service_end FROM revrec.invoice_line WHERE line_id = 'in_7/il_7a'), '360.00 2026-04-30',
          'an invoice of the older column layout posts the same way');
INSERT INTO stripe_v1.credit_notes (id, currency, customer, invoice, created, lines, number, status)
VALUES ('cn_7', 'usd', 'cus_1', 'in_7', pg_temp.ts('2025-06-01'),
        jsonb_build_object('data', jsonb_build_array(jsonb_build_object('id', 'cnli_7', 'type', 'invoice_line_item',
                                                                        'invoice_line_item', 'il_7a', 'amount', 6000))), 'CN-7', 'issued');
SELECT is((SELECT credit_date || ' ' || amount FROM revrec.credit_note JOIN revrec.credit_note_line USING (credit_note_id)
            WHERE credit_note_id = 'cn_7'), '2025-06-01 60.00', 'its credit note too (dated created: no effective_at)');
UPDATE stripe_v1.credit_notes SET status = 'void', voided_at = pg_temp.ts('2025-06-05')::text WHERE id = 'cn_7';
SELECT is((SELECT status || ' ' || void_date FROM revrec.credit_note WHERE credit_note_id = 'cn_7'), 'void 2025-06-05',
          'voided_at as text (that layout''s type)');
SELECT is((SELECT mapped || '/' || refused FROM revrec.sync_source('stripe')), '0/0', 'a replay there maps nothing new');
SELECT is_empty($$SELECT * FROM revrec.verify()$$, 'verify() still finds nothing');
SELECT throws_ok($$DROP EXTENSION revrec$$, '2BP01', NULL, 'DROP EXTENSION is refused while a source is attached');
SELECT throws_ok($$SELECT revrec.attach_source('stripe', 'stripe_v1', '{"map": "later"}')$$, 'RV006', NULL, 'an unknown map option is refused');

SELECT * FROM finish();
