-- revrec attached to Lago's tables (getlago/lago-api, db/structure.sql: the
-- columns revrec reads and the required ones, with Lago's names and types).
-- A scripted life cycle, each statement committed.  README "Sources".
SELECT plan(25);

CREATE SCHEMA lago;
CREATE TABLE lago.customers (
    id uuid DEFAULT gen_random_uuid() NOT NULL PRIMARY KEY,
    external_id character varying NOT NULL,
    name character varying,
    organization_id uuid NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL,
    currency character varying,
    timezone character varying,
    billing_entity_id uuid NOT NULL
);
CREATE TABLE lago.invoices (
    id uuid DEFAULT gen_random_uuid() NOT NULL PRIMARY KEY,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL,
    issuing_date date,
    taxes_amount_cents bigint DEFAULT 0 NOT NULL,
    total_amount_cents bigint DEFAULT 0 NOT NULL,
    invoice_type integer DEFAULT 0 NOT NULL,
    payment_status integer DEFAULT 0 NOT NULL,
    number character varying DEFAULT ''::character varying NOT NULL,
    customer_id uuid,
    status integer DEFAULT 1 NOT NULL,
    timezone character varying DEFAULT 'UTC'::character varying NOT NULL,
    organization_id uuid NOT NULL,
    currency character varying,
    fees_amount_cents bigint DEFAULT 0 NOT NULL,
    coupons_amount_cents bigint DEFAULT 0 NOT NULL,
    voided_at timestamp(6) without time zone,
    billing_entity_id uuid NOT NULL,
    finalized_at timestamp without time zone
);
CREATE TABLE lago.fees (
    id uuid DEFAULT gen_random_uuid() NOT NULL PRIMARY KEY,
    invoice_id uuid,
    charge_id uuid,
    subscription_id uuid,
    amount_cents bigint NOT NULL,
    amount_currency character varying NOT NULL,
    taxes_amount_cents bigint NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL,
    units numeric DEFAULT 0.0 NOT NULL,
    properties jsonb DEFAULT '{}'::jsonb NOT NULL,
    fee_type integer,
    add_on_id uuid,
    description character varying,
    precise_coupons_amount_cents numeric(30,5) DEFAULT 0.0 NOT NULL,
    invoice_display_name character varying,
    deleted_at timestamp(6) without time zone,
    organization_id uuid NOT NULL,
    billing_entity_id uuid NOT NULL
);
CREATE TABLE lago.credit_notes (
    id uuid DEFAULT gen_random_uuid() NOT NULL PRIMARY KEY,
    customer_id uuid NOT NULL,
    invoice_id uuid NOT NULL,
    sequential_id integer NOT NULL,
    number character varying NOT NULL,
    credit_amount_cents bigint DEFAULT 0 NOT NULL,
    credit_amount_currency character varying NOT NULL,
    credit_status integer,
    reason integer NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL,
    total_amount_cents bigint DEFAULT 0 NOT NULL,
    total_amount_currency character varying NOT NULL,
    voided_at timestamp(6) without time zone,
    issuing_date date NOT NULL,
    status integer DEFAULT 1 NOT NULL,
    precise_coupons_adjustment_amount_cents numeric(30,5) DEFAULT 0.0 NOT NULL,
    organization_id uuid NOT NULL
);
CREATE TABLE lago.credit_note_items (
    id uuid DEFAULT gen_random_uuid() NOT NULL PRIMARY KEY,
    credit_note_id uuid NOT NULL,
    fee_id uuid,
    amount_cents bigint DEFAULT 0 NOT NULL,
    amount_currency character varying NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL,
    precise_amount_cents numeric(30,5) NOT NULL,
    organization_id uuid NOT NULL
);

-- fixed ids: 'a0..' customers, 'b0..' invoices, 'c0..' fees, 'd0..' credit notes, 'e0..' items
CREATE FUNCTION pg_temp.u(p text, n int) RETURNS uuid LANGUAGE sql AS $$ SELECT (p || lpad(n::text, 30, '0'))::uuid $$;
INSERT INTO lago.customers (id, external_id, name, organization_id, created_at, updated_at, timezone, billing_entity_id)
VALUES (pg_temp.u('a0', 1), 'cust-ny', 'Acme NY', pg_temp.u('f0', 1), now(), now(), 'America/New_York', pg_temp.u('f0', 2));
CREATE FUNCTION pg_temp.inv(n int, status int, d date, cur text DEFAULT 'USD') RETURNS void LANGUAGE sql AS $$
    INSERT INTO lago.invoices (id, created_at, updated_at, issuing_date, number, customer_id, status, timezone, organization_id,
                               currency, billing_entity_id, finalized_at)
    VALUES (pg_temp.u('b0', n), d, d, d, 'LAGO-' || n, pg_temp.u('a0', 1), status, 'America/New_York', pg_temp.u('f0', 1), cur,
            pg_temp.u('f0', 2), CASE WHEN status = 1 THEN d END)
$$;
CREATE FUNCTION pg_temp.fee(n int, inv int, fee_type int, cents bigint, from_ts text, to_ts text, coupons numeric DEFAULT 0,
                            created timestamp DEFAULT '2025-01-10') RETURNS void LANGUAGE sql AS $$
    INSERT INTO lago.fees (id, invoice_id, charge_id, amount_cents, amount_currency, taxes_amount_cents, created_at, updated_at, properties,
                           fee_type, precise_coupons_amount_cents, organization_id, billing_entity_id)
    VALUES (pg_temp.u('c0', n), pg_temp.u('b0', inv), CASE WHEN fee_type = 0 THEN pg_temp.u('99', 1) END, cents, 'USD', cents / 5,
            created, created,
            CASE WHEN from_ts IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('from_datetime', from_ts, 'to_datetime', to_ts) END,
            fee_type, coupons, pg_temp.u('f0', 1), pg_temp.u('f0', 2))
$$;
CREATE FUNCTION pg_temp.ledger() RETURNS text LANGUAGE sql AS $$
    SELECT md5(coalesce(string_agg(format('%s|%s|%s|%s|%s|%s', journal_number, entry_date, account, direction, amount, line_id), ','
                                   ORDER BY journal_number, entry_date, account, direction, amount, line_id), ''))
      FROM revrec.journal_entry
$$;

SELECT is((SELECT kind FROM revrec.attach_source('lago', 'lago', '{"products": {"subscription": "PLAN"}}')), 'lago', 'attach_source');

-- 1. a draft with a fee, another fee added, finalized
SELECT pg_temp.inv(1, 0, '2025-02-01');
-- January in New York: Lago stores the period's bounds in UTC
SELECT pg_temp.fee(1, 1, 2, 10000, '2025-01-01T05:00:00Z', '2025-02-01T04:59:59Z', 1000.33333);
SELECT is((SELECT count(*) FROM revrec.invoice), 0::bigint, 'a draft (status 0) posts nothing');
SELECT pg_temp.fee(2, 1, 0, 2550, '2025-01-01T05:00:00Z', '2025-02-01T04:59:59Z');
SELECT pg_temp.fee(3, 1, 0, 0, '2025-01-01T05:00:00Z', '2025-02-01T04:59:59Z');
SELECT pg_temp.fee(4, 1, 4, 1500, '2025-01-01T05:00:00Z', '2025-02-01T04:59:59Z');
UPDATE lago.invoices SET status = 1, finalized_at = '2025-02-01' WHERE id = pg_temp.u('b0', 1);
SELECT is((SELECT status || ' ' || accounting_date || ' ' || invoice_number FROM revrec.invoice),
          'issued 2025-02-01 LAGO-1', 'finalized (status 1): issued on its issuing date');
SELECT results_eq($$SELECT right(line_id, 9), amount, kind, service_start, service_end, recognition_method, product_id
                      FROM revrec.invoice_line ORDER BY line_id$$,
    $$VALUES ('000000001', 100.00, 'charge', '2025-01-01'::date, '2025-01-31'::date, 'straight_line', 'PLAN'),
             ('1/coupons', -10.00, 'discount', NULL, NULL, NULL, 'PLAN'),
             ('000000002', 25.50, 'charge', '2025-01-01'::date, '2025-01-31'::date, 'straight_line', '99000000-0000-0000-0000-000000000001'),
             ('000000004', 15.00, 'minimum_true_up', '2025-01-01'::date, '2025-01-31'::date, NULL, 'commitment')$$,
    'fees: cents to amounts, the period in the customer''s time zone, coupons rounded into a discount, commitment as a true-up, zero fees skipped');
SELECT is((SELECT name FROM revrec.customer), 'Acme NY', 'the customer, by its external id and name');

-- 2. rewrites of unchanged rows
SELECT (SELECT count(*) FROM revrec.posting) AS n \gset storm_
UPDATE lago.invoices SET updated_at = updated_at FROM generate_series(1, 20) WHERE id = pg_temp.u('b0', 1);
DO $$ BEGIN FOR i IN 1..20 LOOP UPDATE lago.fees SET updated_at = updated_at WHERE invoice_id = pg_temp.u('b0', 1); END LOOP; END $$;
SELECT is((SELECT count(*) FROM revrec.posting), :storm_n::bigint, 'an upsert storm posts nothing');

-- 3. a proration (a mid-month upgrade), a fee added to the finalized invoice
SELECT pg_temp.inv(2, 1, '2025-01-15');
SELECT pg_temp.fee(5, 2, 2, 5484, '2025-01-15T05:00:00Z', '2025-02-01T04:59:59Z');
SELECT is((SELECT service_start || '..' || service_end FROM revrec.invoice_line WHERE line_id = pg_temp.u('c0', 5)::text),
          '2025-01-15..2025-01-31', 'the prorated fee''s period');
SELECT pg_temp.fee(6, 2, 1, 3000, NULL, NULL, 0, '2025-01-18 12:00');
SELECT is((SELECT invoice_id FROM revrec.invoice_line WHERE line_id = pg_temp.u('c0', 6)::text),
          pg_temp.u('b0', 2)::text || '+1', 'a fee added after posting: its own document');
SELECT is((SELECT accounting_date FROM revrec.invoice WHERE invoice_id = pg_temp.u('b0', 2)::text || '+1'),
          '2025-01-18'::date, '... dated the day it was added (in the customer''s time zone)');
SELECT is((SELECT recognition_method FROM revrec.invoice_line WHERE line_id = pg_temp.u('c0', 6)::text),
          'point_in_time', 'an add-on without a period: point in time');

-- 4. a credit note (item before coupons: reduced by the fee's coupon share), then voided
INSERT INTO lago.credit_notes (id, customer_id, invoice_id, sequential_id, number, credit_amount_currency, credit_status, reason,
                               created_at, updated_at, total_amount_currency, issuing_date, status, organization_id)
VALUES (pg_temp.u('d0', 1), pg_temp.u('a0', 1), pg_temp.u('b0', 1), 1, 'CN-1', 'USD', 0, 0, now(), now(), 'USD', '2025-01-20', 0,
        pg_temp.u('f0', 1));
INSERT INTO lago.credit_note_items (id, credit_note_id, fee_id, amount_cents, amount_currency, created_at, updated_at, precise_amount_cents, organization_id)
VALUES (pg_temp.u('e0', 1), pg_temp.u('d0', 1), pg_temp.u('c0', 1), 5000, 'USD', now(), now(), 5000, pg_temp.u('f0', 1));
SELECT is((SELECT count(*) FROM revrec.credit_note), 0::bigint, 'a draft credit note posts nothing');
UPDATE lago.credit_notes SET status = 1, issuing_date = '2025-02-10' WHERE id = pg_temp.u('d0', 1);
SELECT is((SELECT amount FROM revrec.credit_note_line), 45.00, 'credit: 50.00 before coupons less its share of 10.0033 coupons, rounded');
SELECT is((SELECT credit_date FROM revrec.credit_note), '2025-02-10'::date, 'credit date = issuing date');
UPDATE lago.credit_notes SET credit_status = 2, voided_at = '2025-02-12 15:00' WHERE id = pg_temp.u('d0', 1);
SELECT is((SELECT status || ' ' || void_date FROM revrec.credit_note), 'void 2025-02-12', 'credit note voided');

-- 5. a wallet top-up: a credit grant, no revenue
SELECT pg_temp.inv(3, 1, '2025-01-05');
SELECT pg_temp.fee(7, 3, 3, 20000, NULL, NULL);
SELECT is((SELECT amount FROM revrec.credit_grant), 200.00, 'a wallet credit fee: a credit grant');
SELECT is((SELECT count(*) FROM revrec.invoice WHERE invoice_id = pg_temp.u('b0', 3)::text), 0::bigint, '... and no invoice');

-- 6. voided
UPDATE lago.invoices SET status = 2, voided_at = '2025-02-20 12:00' WHERE id = pg_temp.u('b0', 2);
SELECT is((SELECT string_agg(status || ' ' || void_date, ', ' ORDER BY invoice_id) FROM revrec.invoice WHERE invoice_id LIKE pg_temp.u('b0', 2)::text || '%'),
          'void 2025-02-20, void 2025-02-20', 'voided (status 2): the invoice and its added document');

-- 7. refused: an unknown currency
SELECT lives_ok($$SELECT pg_temp.inv(4, 1, '2025-03-01', 'ZZZ'); SELECT pg_temp.fee(8, 4, 1, 100, NULL, NULL)$$, 'Lago''s write succeeds');
SELECT is((SELECT sqlstate FROM revrec.source_error WHERE key = pg_temp.u('b0', 4)::text), 'RV001', 'it waits in source_error');
UPDATE lago.invoices SET currency = 'EUR' WHERE id = pg_temp.u('b0', 4);
SELECT is((SELECT currency FROM revrec.invoice WHERE invoice_id = pg_temp.u('b0', 4)::text), 'EUR', 'fixed: posted');

-- 8. replayed twice
SELECT pg_temp.ledger() AS l, (SELECT count(*) FROM revrec.posting) AS n \gset before_
DELETE FROM revrec._source_state;
SELECT is((SELECT refused FROM revrec.sync_source('lago')), 0::bigint, 'replay 1');
SELECT is((SELECT mapped FROM revrec.sync_source('lago')), 0::bigint, 'replay 2: nothing changed');
SELECT is(pg_temp.ledger(), :'before_l', 'replays leave the ledger identical');
SELECT is((SELECT count(*) FROM revrec.posting), :before_n::bigint, '... and post nothing twice');
SELECT is_empty($$SELECT * FROM revrec.verify()$$, 'verify() finds nothing');

SELECT * FROM finish();
