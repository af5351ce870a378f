-- Attacks on the billing sources (issue 20): the billing system's own role
-- (owner of the stripe tables, no revrec role), a plain login role, and the
-- roles of revrec, against the SECURITY DEFINER mapping.  Each part is a
-- finding of the attack review, with its fix in sql/objects/92_sources*.sql.
SELECT plan(32);

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_atk_billing') THEN CREATE ROLE rr_atk_billing LOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_atk_plain') THEN CREATE ROLE rr_atk_plain LOGIN; END IF;
END $$;
ALTER ROLE rr_atk_billing NOSUPERUSER;
CREATE SCHEMA stripe AUTHORIZATION rr_atk_billing;
CREATE SCHEMA atk AUTHORIZATION rr_atk_billing;
SET SESSION AUTHORIZATION rr_atk_billing;
CREATE TABLE stripe.invoices (
    _raw_data jsonb, _last_synced_at timestamptz, _updated_at timestamptz DEFAULT now(),
    id text GENERATED ALWAYS AS ((_raw_data->>'id')::text) STORED PRIMARY KEY);
CREATE TABLE stripe.credit_notes (
    _raw_data jsonb, _last_synced_at timestamptz,
    id text GENERATED ALWAYS AS ((_raw_data->>'id')::text) STORED PRIMARY KEY);
RESET SESSION AUTHORIZATION;
SELECT revrec.attach_source('stripe', 'stripe', '{}');

CREATE FUNCTION pg_temp.ts(t text) RETURNS bigint LANGUAGE sql AS $$ SELECT extract(epoch FROM t::timestamptz)::bigint $$;
CREATE FUNCTION pg_temp.inv(id text, amount bigint, cust text DEFAULT 'cus_1') RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('id', id, 'object', 'invoice', 'customer', cust, 'customer_name', 'Acme Ltd',
        'currency', 'usd', 'status', 'open', 'number', 'N-' || id, 'created', pg_temp.ts('2025-01-10'),
        'status_transitions', jsonb_build_object('finalized_at', pg_temp.ts('2025-01-15'), 'voided_at', NULL),
        'lines', jsonb_build_object('object', 'list', 'has_more', false, 'data', jsonb_build_array(
            jsonb_build_object('id', 'il_' || id, 'amount', amount, 'currency', 'usd', 'description', 'plan',
                'period', jsonb_build_object('start', pg_temp.ts('2025-01-15'), 'end', pg_temp.ts('2026-01-15')),
                'pricing', jsonb_build_object('price_details', jsonb_build_object('product', 'prod_plan'))))))
$$;
CREATE FUNCTION pg_temp.cn(id text, inv text, amount bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('id', id, 'object', 'credit_note', 'customer', 'cus_1', 'currency', 'usd', 'invoice', inv,
        'status', 'issued', 'number', 'CN-' || id, 'created', pg_temp.ts('2025-02-01'),
        'lines', jsonb_build_object('object', 'list', 'has_more', false, 'data', jsonb_build_array(
            jsonb_build_object('id', 'cli_' || id, 'type', 'invoice_line_item', 'invoice_line_item', 'il_' || inv,
                               'amount', amount, 'description', 'credit'))))
$$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_temp TO PUBLIC;

-- 1. (critical) a session's own temporary tables named like the mapping's
-- staging tables: revrec's SECURITY DEFINER mapping wrote into them (and read
-- documents out of them), running the billing role's trigger as the definer
-- (a superuser).  The billing role must stay what it is, and revrec must
-- post only what the stripe tables hold.
SET SESSION AUTHORIZATION rr_atk_billing;
CREATE FUNCTION atk.evil() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'ALTER ROLE rr_atk_billing SUPERUSER';
    RETURN NULL;
END $$;
CREATE TEMP TABLE revrec_source_invoice (invoice_id text, invoice_number text, customer_id text, currency text, accounting_date date);
CREATE TEMP TABLE revrec_source_line (seq bigserial, line_id text, invoice_id text, customer_id text, product_id text,
    amount numeric, kind text, group_id text, billing text, service_start date, service_end date, recognition_method text,
    recognize_on date, grant_id text, description text);
CREATE TRIGGER evil AFTER INSERT ON revrec_source_invoice FOR EACH STATEMENT EXECUTE FUNCTION atk.evil();
-- two invoices in one transaction: mapped as a batch, staged
BEGIN;
INSERT INTO stripe.invoices (_raw_data) VALUES (pg_temp.inv('in_a1', 10000)), (pg_temp.inv('in_a2', 20000));
COMMIT;
RESET SESSION AUTHORIZATION;
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'rr_atk_billing'), false,
          'a temp table named revrec_source_invoice with a trigger does not run as revrec''s definer');
SELECT is((SELECT count(*) FROM revrec.invoice WHERE invoice_id IN ('in_a1', 'in_a2')), 2::bigint,
          '... and both invoices are posted all the same');
ALTER ROLE rr_atk_billing NOSUPERUSER;

-- 2. (critical) temp tables named like the staging tables, holding rows of
-- their own: a credit note's mapping unstaged them into revrec.invoice (a
-- forged invoice for any customer and amount) and truncated them, firing the
-- billing role's TRUNCATE trigger as the definer
SET SESSION AUTHORIZATION rr_atk_billing;
DELETE FROM pg_temp.revrec_source_invoice;
DELETE FROM pg_temp.revrec_source_line;
DROP TRIGGER evil ON pg_temp.revrec_source_invoice;
CREATE TRIGGER evil BEFORE TRUNCATE ON revrec_source_invoice FOR EACH STATEMENT EXECUTE FUNCTION atk.evil();
INSERT INTO pg_temp.revrec_source_invoice VALUES ('forged', 'F-1', 'cus_1', 'USD', '2025-01-20');
INSERT INTO pg_temp.revrec_source_line (line_id, invoice_id, customer_id, product_id, amount, kind, billing,
                                        service_start, service_end, recognition_method)
VALUES ('forged/1', 'forged', 'cus_1', 'prod_plan', 1000000, 'charge', 'in_advance', '2025-01-20', '2025-01-20', 'point_in_time');
INSERT INTO stripe.credit_notes (_raw_data) VALUES (pg_temp.cn('cn_a1', 'in_a1', 1000));
RESET SESSION AUTHORIZATION;
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'rr_atk_billing'), false,
          'temp staging tables with rows and a TRUNCATE trigger do not run as revrec''s definer');
SELECT is((SELECT count(*) FROM revrec.invoice WHERE invoice_id = 'forged'), 0::bigint,
          '... and posts no invoice the stripe tables do not hold');
SELECT is((SELECT status FROM revrec.credit_note WHERE credit_note_id = 'cn_a1'), 'issued', '... and the credit note is posted');
ALTER ROLE rr_atk_billing NOSUPERUSER;
SET SESSION AUTHORIZATION rr_atk_billing;
DROP TABLE pg_temp.revrec_source_invoice, pg_temp.revrec_source_line;
RESET SESSION AUTHORIZATION;

-- 3. (critical) a source table the billing role owns, read by revrec's
-- SECURITY DEFINER code: a column of the billing role's own enum type with
-- its own cast to json ran that cast (to_jsonb) as the definer
SET SESSION AUTHORIZATION rr_atk_billing;
CREATE TYPE atk.e AS ENUM ('x');
CREATE FUNCTION atk.e2json(atk.e) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'ALTER ROLE rr_atk_billing SUPERUSER';
    RETURN '"x"';
END $$;
CREATE FUNCTION atk.e2text(atk.e) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'ALTER ROLE rr_atk_billing SUPERUSER';
    RETURN 'x';
END $$;
CREATE CAST (atk.e AS json) WITH FUNCTION atk.e2json(atk.e);
CREATE CAST (atk.e AS text) WITH FUNCTION atk.e2text(atk.e);
ALTER TABLE stripe.invoices ADD COLUMN flag atk.e DEFAULT 'x';
INSERT INTO stripe.invoices (_raw_data) VALUES (pg_temp.inv('in_a3', 30000));
RESET SESSION AUTHORIZATION;
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'rr_atk_billing'), false,
          'a source column of the billing role''s type with its cast to json does not run as revrec''s definer');
SELECT is((SELECT count(*) FROM revrec.invoice WHERE invoice_id = 'in_a3'), 0::bigint,
          '... nothing is read from the table (the capture warns) until it holds only types the billing role cannot hook');
ALTER ROLE rr_atk_billing NOSUPERUSER;

-- 4. (critical) the capture trigger casts the key column to text as the
-- definer: a key column of the billing role's type ran its cast
SET SESSION AUTHORIZATION rr_atk_billing;
ALTER TABLE stripe.credit_notes DROP COLUMN id;
ALTER TABLE stripe.credit_notes ADD COLUMN id atk.e;
INSERT INTO stripe.credit_notes (_raw_data, id) VALUES (pg_temp.cn('cn_a4', 'in_a1', 500), 'x');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'rr_atk_billing'), false,
          'a key column of the billing role''s type does not run its cast in the capture trigger');
ALTER ROLE rr_atk_billing NOSUPERUSER;

-- 5. (critical) a source table replaced by a view of the billing role's:
-- sync_source() (an admin) read it as the definer
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rr_atk_admin') THEN CREATE ROLE rr_atk_admin LOGIN; END IF;
END $$;
GRANT revrec_admin TO rr_atk_admin;
SET SESSION AUTHORIZATION rr_atk_billing;
DROP TABLE stripe.credit_notes;
CREATE VIEW stripe.credit_notes AS
    SELECT pg_temp.cn('cn_a5', 'in_a1', 500) AS _raw_data, now() AS _last_synced_at, atk.e2text('x') AS id;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION rr_atk_admin;
SELECT throws_ok($$SELECT revrec.sync_source('stripe')$$, '42501', NULL,
                 'sync_source() refuses a source table that is a view');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'rr_atk_billing'), false,
          '... and the view does not run as revrec''s definer');
ALTER ROLE rr_atk_billing NOSUPERUSER;
SET SESSION AUTHORIZATION rr_atk_billing;
DROP VIEW stripe.credit_notes;
ALTER TABLE stripe.invoices DROP COLUMN flag;
CREATE TABLE stripe.credit_notes (
    _raw_data jsonb, _last_synced_at timestamptz,
    id text GENERATED ALWAYS AS ((_raw_data->>'id')::text) STORED PRIMARY KEY);
RESET SESSION AUTHORIZATION;
SELECT revrec.attach_source('stripe', 'stripe', '{}');
SELECT is((SELECT refused FROM revrec.sync_source('stripe')), 0::bigint, 'a sound source table again: sync_source() refuses nothing');
SELECT is((SELECT count(*) FROM revrec.invoice WHERE invoice_id = 'in_a3'), 1::bigint, '... and maps in_a3');

-- 5b. an enum of the billing role's without a cast of its own (older sync
-- engines create stripe.invoice_status as the billing role) is followed
SET SESSION AUTHORIZATION rr_atk_billing;
CREATE TYPE atk.status AS ENUM ('draft', 'open');
ALTER TABLE stripe.invoices ADD COLUMN st atk.status DEFAULT 'open';
INSERT INTO stripe.invoices (_raw_data) VALUES (pg_temp.inv('in_a13', 1000));
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM revrec.invoice WHERE invoice_id = 'in_a13'), 1::bigint,
          'a column of the billing role''s enum without casts of its own is read (the older sync engine''s status)');
SET SESSION AUTHORIZATION rr_atk_billing;
ALTER TABLE stripe.invoices DROP COLUMN st;
RESET SESSION AUTHORIZATION;

-- 6. (high: the billing write failed because of revrec) a source table
-- renamed by the billing system's migration keeps revrec's capture triggers,
-- which refused every write to it (42501); and detach_source() after the
-- rename left them there, refusing writes for ever
SET SESSION AUTHORIZATION rr_atk_billing;
ALTER TABLE stripe.invoices RENAME TO invoices_v1;
SELECT lives_ok($$INSERT INTO stripe.invoices_v1 (_raw_data) VALUES (pg_temp.inv('in_a6', 100))$$,
                'a write to a renamed source table does not fail because of revrec');
RESET SESSION AUTHORIZATION;
SELECT revrec.detach_source('stripe');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgfoid = 'revrec._source_capture'::regproc), 0::bigint,
          'detach_source() drops the capture triggers of a renamed table too');
SET SESSION AUTHORIZATION rr_atk_billing;
SELECT lives_ok($$INSERT INTO stripe.invoices_v1 (_raw_data) VALUES (pg_temp.inv('in_a7', 100))$$,
                '... and writes to it go on after detach_source()');
ALTER TABLE stripe.invoices_v1 RENAME TO invoices;
RESET SESSION AUTHORIZATION;
SELECT revrec.attach_source('stripe', 'stripe', '{}');
SELECT is((SELECT refused FROM revrec.sync_source('stripe')), 0::bigint, 'attached again: sync_source() maps what was written meanwhile');

-- 7. (medium) one malformed source row ("created": "abc", a finalization
-- date out of range) made sync_source() fail for the whole source: no
-- backfill, no retry of anything, until the row was fixed
SET SESSION AUTHORIZATION rr_atk_billing;
INSERT INTO stripe.invoices (_raw_data) VALUES (pg_temp.inv('in_a8', 100) || '{"created": "abc"}'),
    (pg_temp.inv('in_a9', 100) || '{"created": 1e300, "status_transitions": {"finalized_at": 1e20}}');
RESET SESSION AUTHORIZATION;
SELECT lives_ok($$SELECT revrec.sync_source('stripe')$$, 'sync_source() goes on past a malformed row');
SELECT lives_ok($$SELECT revrec.sync_source('stripe', now() - interval '1 day')$$, '... sync_source(since) too');
SELECT is((SELECT string_agg(key || ' ' || sqlstate, ', ' ORDER BY key) FROM revrec.source_error), 'in_a9 22008',
          '... the row whose date is out of range is refused, alone (in_a8 has its finalization date)');
DELETE FROM revrec.source_error WHERE key = 'in_a9';

-- 8. (medium) a credit note delivered before its invoice is finalized
-- (webhooks come in any order) was refused (RV050) and stayed so when the
-- invoice posted, though its hint said it would be retried with it: revenue
-- overstated until someone ran sync_source()
SET SESSION AUTHORIZATION rr_atk_billing;
INSERT INTO stripe.invoices (_raw_data) VALUES (pg_temp.inv('in_b1', 50000) || '{"status": "draft"}');
INSERT INTO stripe.credit_notes (_raw_data) VALUES (pg_temp.cn('cn_b1', 'in_b1', 1000));
RESET SESSION AUTHORIZATION;
SELECT is((SELECT sqlstate FROM revrec.source_error WHERE key = 'cn_b1'), 'RV050', 'a credit note before its invoice waits (RV050)');
SET SESSION AUTHORIZATION rr_atk_billing;
UPDATE stripe.invoices SET _raw_data = _raw_data || '{"status": "open"}' WHERE id = 'in_b1';
RESET SESSION AUTHORIZATION;
SELECT is((SELECT status FROM revrec.credit_note WHERE credit_note_id = 'cn_b1'), 'issued',
          'the invoice posts: its waiting credit note is retried with it and posts');
SELECT is((SELECT count(*) FROM revrec.source_error WHERE key = 'cn_b1'), 0::bigint, '... and leaves source_error');

-- 9. (high) a source touched revrec documents it did not write: the billing
-- role, knowing the id of an invoice revrec_writer posted (or another
-- source), credited it with a credit note of its own, and voided it by
-- publishing an invoice of the same id and lines
BEGIN;
INSERT INTO revrec.customer (customer_id, name) VALUES ('cus_w', 'Written by revrec_writer');
INSERT INTO revrec.invoice (invoice_id, customer_id, currency, accounting_date, status) VALUES ('in_w', 'cus_w', 'USD', '2025-01-15', 'issued');
INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, service_start, service_end, recognition_method)
VALUES ('in_w/il_in_w', 'in_w', 'prod_plan', 100.00, '2025-01-15', '2026-01-14', 'straight_line');
COMMIT;
SET SESSION AUTHORIZATION rr_atk_billing;
INSERT INTO stripe.credit_notes (_raw_data) VALUES (pg_temp.cn('cn_w', 'in_w', 1000) || '{"customer": "cus_w"}');
INSERT INTO stripe.invoices (_raw_data)
VALUES (jsonb_set(pg_temp.inv('in_w', 10000, 'cus_w'), '{status}', '"void"')
        || '{"status_transitions": {"finalized_at": 1736899200, "voided_at": 1738368000}}');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM revrec.credit_note WHERE credit_note_id = 'cn_w'), 0::bigint,
          'a source may not credit an invoice it did not write');
SELECT is((SELECT sqlstate FROM revrec.source_error WHERE key = 'cn_w'), 'RV052', '... refused (RV052)');
SELECT is((SELECT status FROM revrec.invoice WHERE invoice_id = 'in_w'), 'issued', 'a source may not void an invoice it did not write');
SELECT is((SELECT sqlstate FROM revrec.source_error WHERE key = 'in_w'), 'RV052', '... refused (RV052)');
DELETE FROM revrec.source_error WHERE key IN ('cn_w', 'in_w');
-- detached and attached again, the source still owns what it wrote
SELECT revrec.detach_source('stripe');
SELECT revrec.attach_source('stripe', 'stripe', '{}');
SET SESSION AUTHORIZATION rr_atk_billing;
UPDATE stripe.invoices SET _raw_data = jsonb_set(_raw_data, '{status}', '"void"')
                                       || '{"status_transitions": {"finalized_at": 1736899200, "voided_at": 1738368000}}'
 WHERE id = 'in_a2';
RESET SESSION AUTHORIZATION;
SELECT is((SELECT status FROM revrec.invoice WHERE invoice_id = 'in_a2'), 'void', '... and voids its own invoice after detach and attach');
DELETE FROM revrec.source_error WHERE key IN ('cn_w', 'in_w');

-- 10. (low) two kinds of source attached to one schema: the second
-- attach_source() replaced the first one's capture triggers on the tables
-- both follow (invoices), whose writes then went unrecorded
CREATE TABLE stripe.fees (id uuid, invoice_id uuid);
CREATE TABLE stripe.credit_note_items (id uuid, credit_note_id uuid);
SELECT throws_ok($$SELECT revrec.attach_source('lago', 'stripe')$$, 'RV052', NULL,
                 'attach_source() refuses a second kind of source on a schema already attached');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'stripe.invoices'::regclass
              AND pg_catalog.split_part(pg_catalog.encode(tgargs, 'escape'), '\000', 1) = 'stripe'), 2::bigint,
          '... the first one''s capture triggers stay');
DROP TABLE stripe.fees, stripe.credit_note_items;

SELECT is((SELECT string_agg(key || ': ' || error, '; ') FROM revrec.source_error), NULL, 'nothing refused');
SELECT is((SELECT count(*) FROM revrec.verify()), 0::bigint, 'verify() is empty');

SELECT * FROM finish();
