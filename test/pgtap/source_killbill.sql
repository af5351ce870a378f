-- revrec attached to Kill Bill's invoice tables (killbill/killbill,
-- invoice/src/main/resources/org/killbill/billing/invoice/ddl.sql, as Kill
-- Bill creates them on PostgreSQL: datetime is its domain over timestamp).
-- A scripted life cycle, each statement committed (the mapping runs at each
-- commit).  README "Sources".
SELECT plan(26);

CREATE SCHEMA killbill;
CREATE DOMAIN killbill.datetime AS timestamp without time zone;
SET search_path = killbill, public;
CREATE TABLE killbill.invoice_items (
    record_id serial unique,
    id varchar(36) NOT NULL,
    type varchar(24) NOT NULL,
    invoice_id varchar(36) NOT NULL,
    account_id varchar(36) NOT NULL,
    child_account_id varchar(36),
    bundle_id varchar(36),
    subscription_id varchar(36),
    description varchar(255),
    product_name varchar(255),
    plan_name varchar(255),
    phase_name varchar(255),
    usage_name varchar(255),
    catalog_effective_date datetime,
    start_date date,
    end_date date,
    amount numeric(15,9) NOT NULL,
    rate numeric(15,9) NULL,
    currency varchar(3) NOT NULL,
    linked_item_id varchar(36),
    quantity decimal(18, 9),
    item_details text,
    created_by varchar(50) NOT NULL,
    created_date datetime NOT NULL,
    account_record_id bigint not null,
    tenant_record_id bigint not null default 0,
    PRIMARY KEY(record_id)
);
CREATE UNIQUE INDEX invoice_items_id ON killbill.invoice_items(id);
CREATE TABLE killbill.invoices (
    record_id serial unique,
    id varchar(36) NOT NULL,
    account_id varchar(36) NOT NULL,
    invoice_date date NOT NULL,
    target_date date,
    currency varchar(3) NOT NULL,
    status varchar(15) NOT NULL DEFAULT 'COMMITTED',
    migrated bool NOT NULL,
    parent_invoice bool NOT NULL DEFAULT FALSE,
    grp_id varchar(36) NOT NULL,
    created_by varchar(50) NOT NULL,
    created_date datetime NOT NULL,
    account_record_id bigint not null,
    tenant_record_id bigint not null default 0,
    PRIMARY KEY(record_id)
);
CREATE UNIQUE INDEX invoices_id ON killbill.invoices(id);
RESET search_path;

CREATE FUNCTION pg_temp.inv(id text, d date, status text DEFAULT 'COMMITTED') RETURNS void LANGUAGE sql AS $$
    INSERT INTO killbill.invoices (id, account_id, invoice_date, target_date, currency, status, migrated, grp_id, created_by, created_date, account_record_id)
    VALUES (id, 'acc-1', d, d, 'USD', status, false, id, 'test', d, 1)
$$;
CREATE FUNCTION pg_temp.item(id text, inv text, type text, s date, e date, amount numeric, linked text DEFAULT NULL,
                             created timestamp DEFAULT NULL, product text DEFAULT 'Standard') RETURNS void LANGUAGE sql AS $$
    INSERT INTO killbill.invoice_items (id, type, invoice_id, account_id, description, product_name, plan_name, start_date, end_date,
                                        amount, currency, linked_item_id, created_by, created_date, account_record_id)
    VALUES (id, type, inv, 'acc-1', type || ' ' || id, product, lower(product) || '-monthly', s, e, amount, 'USD', linked, 'test',
            coalesce(created, s::timestamp), 1)
$$;
CREATE FUNCTION pg_temp.ledger() RETURNS text LANGUAGE sql AS $$
    SELECT md5(coalesce(string_agg(format('%s|%s|%s|%s|%s|%s', journal_number, entry_date, account, direction, amount, line_id), ','
                                   ORDER BY journal_number, entry_date, account, direction, amount, line_id), ''))
      FROM revrec.journal_entry
$$;

SELECT is((SELECT kind FROM revrec.attach_source('killbill', 'killbill', '{"customer_names": {"acc-1": "Acme Ltd"}}')),
          'killbill', 'attach_source');

-- 1. a draft, an item added to it, then committed
SELECT pg_temp.inv('inv-1', '2025-01-01', 'DRAFT');
SELECT pg_temp.item('it-1a', 'inv-1', 'RECURRING', '2025-01-01', '2025-02-01', 100.000000000);
SELECT is((SELECT count(*) FROM revrec.invoice), 0::bigint, 'a draft posts nothing');
SELECT pg_temp.item('it-1b', 'inv-1', 'FIXED', '2025-01-01', NULL, 25.000000000);
SELECT pg_temp.item('it-1t', 'inv-1', 'TAX', '2025-01-01', NULL, 12.500000000);
SELECT pg_temp.item('it-1c', 'inv-1', 'CBA_ADJ', '2025-01-01', NULL, -5.000000000);
UPDATE killbill.invoices SET status = 'COMMITTED' WHERE id = 'inv-1';
SELECT is((SELECT status FROM revrec.invoice WHERE invoice_id = 'inv-1'), 'issued', 'COMMITTED: issued');
SELECT results_eq($$SELECT line_id, amount, service_start, service_end, recognition_method, recognize_on, product_id
                      FROM revrec.invoice_line WHERE invoice_id = 'inv-1' ORDER BY line_id$$,
    $$VALUES ('it-1a', 100.00, '2025-01-01'::date, '2025-01-31'::date, 'straight_line', NULL::date, 'Standard'),
             ('it-1b', 25.00, '2025-01-01'::date, '2025-01-01'::date, 'point_in_time', '2025-01-01'::date, 'Standard')$$,
    'RECURRING straight-line with the end date exclusive, FIXED at a point in time; TAX and account credit skipped');
SELECT is((SELECT name FROM revrec.customer WHERE customer_id = 'acc-1'), 'Acme Ltd', 'customer named by the options');

-- 2. an upsert storm: the same rows written again and again
UPDATE killbill.invoices SET status = status WHERE id = 'inv-1';
UPDATE killbill.invoice_items SET amount = amount WHERE invoice_id = 'inv-1';
SELECT pg_temp.ledger() AS l, (SELECT count(*) FROM revrec.posting) AS n \gset before_storm_
DO $$ BEGIN FOR i IN 1..30 LOOP UPDATE killbill.invoices SET status = status WHERE id = 'inv-1'; END LOOP; END $$;
SELECT is((SELECT count(*) FROM revrec.posting), :before_storm_n::bigint, 'rewrites of unchanged rows post nothing');

-- 3. an item added to the committed invoice: its own document, dated when it was added
SELECT pg_temp.item('it-1d', 'inv-1', 'EXTERNAL_CHARGE', '2025-01-20', NULL, 40.000000000, NULL, '2025-01-20 10:00');
SELECT is((SELECT invoice_id || ' ' || accounting_date FROM revrec.invoice_line JOIN revrec.invoice USING (invoice_id)
            WHERE line_id = 'it-1d'), 'inv-1+1 2025-01-20', 'an item added to a committed invoice becomes its own document');

-- 4. an adjustment (ITEM_ADJ) and a proration with its repair (REPAIR_ADJ)
SELECT pg_temp.item('it-1e', 'inv-1', 'ITEM_ADJ', '2025-01-25', '2025-01-25', -10.000000000, 'it-1a', '2025-01-25 08:00');
SELECT results_eq($$SELECT credit_note_id, credit_date, line_id, amount FROM revrec.credit_note JOIN revrec.credit_note_line USING (credit_note_id)$$,
    $$VALUES ('it-1e', '2025-01-25'::date, 'it-1a', 10.00)$$, 'ITEM_ADJ: a credit note on its linked item');
SELECT pg_temp.inv('inv-2', '2025-01-15');
SELECT pg_temp.item('it-2a', 'inv-2', 'RECURRING', '2025-01-15', '2025-02-01', 109.680000000, NULL, '2025-01-15', 'Premium');
SELECT pg_temp.item('it-2r', 'inv-2', 'REPAIR_ADJ', '2025-01-15', '2025-02-01', -54.840000000, 'it-1a', '2025-01-15');
SELECT is((SELECT amount FROM revrec.invoice_line WHERE line_id = 'it-2a'), 109.68, 'the upgrade''s prorated item');
SELECT is((SELECT amount FROM revrec.credit_note_line WHERE credit_note_id = 'it-2r'), 54.84,
          'REPAIR_ADJ: the unused part of the old item credited');
SELECT is((SELECT count(*) FROM revrec.posting WHERE source = 'credit_note'), 2::bigint, 'each adjustment posted once');

-- 5. voided
SELECT pg_temp.inv('inv-3', '2025-02-01');
SELECT pg_temp.item('it-3a', 'inv-3', 'USAGE', '2025-01-01', '2025-02-01', 7.500000000);
UPDATE killbill.invoices SET status = 'VOID' WHERE id = 'inv-3';
SELECT is((SELECT status FROM revrec.invoice WHERE invoice_id = 'inv-3'), 'void', 'VOID: void');
SELECT is((SELECT count(*) FROM revrec.posting WHERE source_id = 'inv-3' AND reason = 'void'), 1::bigint, 'reversed once');

-- 6. refused: an amount with more decimals than the currency has
SELECT lives_ok($$SELECT pg_temp.inv('inv-4', '2025-03-01');
                  SELECT pg_temp.item('it-4a', 'inv-4', 'RECURRING', '2025-03-01', '2025-04-01', 3.333333333)$$,
                'Kill Bill''s write of an amount of 9 decimals succeeds');
SELECT is((SELECT sqlstate FROM revrec.source_error WHERE key = 'inv-4'), 'RV002', 'it waits in source_error');
SELECT is((SELECT count(*) FROM revrec.invoice WHERE invoice_id = 'inv-4'), 0::bigint, 'nothing of it is in revrec');
UPDATE killbill.invoice_items SET amount = 3.330000000 WHERE id = 'it-4a';
SELECT is((SELECT count(*) FROM revrec.source_error), 0::bigint, 'fixed in Kill Bill: retried and posted');
SELECT is((SELECT amount FROM revrec.invoice_line WHERE line_id = 'it-4a'), 3.33, '... with the new amount');

-- 7. a posted item changed: refused, never edited
UPDATE killbill.invoice_items SET amount = 200 WHERE id = 'it-1a';
SELECT is((SELECT sqlstate FROM revrec.source_error WHERE key = 'inv-1'), 'RV051', 'a posted item changed: RV051');
UPDATE killbill.invoice_items SET amount = 100 WHERE id = 'it-1a';
SELECT is((SELECT count(*) FROM revrec.source_error), 0::bigint, 'changed back: nothing refused');

-- 8. replayed twice: the same ledger
SELECT pg_temp.ledger() AS l, (SELECT count(*) FROM revrec.posting) AS n \gset before_
DELETE FROM revrec._source_state;
SELECT is((SELECT mapped || '/' || refused FROM revrec.sync_source('killbill')), '4/0', 'replay 1 maps every invoice');
SELECT is((SELECT mapped FROM revrec.sync_source('killbill', '2025-01-01')), 0::bigint, 'replay 2 (since a date): nothing changed');
SELECT is(pg_temp.ledger(), :'before_l', 'replays leave the ledger identical');
SELECT is((SELECT count(*) FROM revrec.posting), :before_n::bigint, '... and post nothing twice');
SELECT is_empty($$SELECT * FROM revrec.verify()$$, 'verify() finds nothing');
SELECT is(revrec.detach_source('killbill'), true, 'detach_source');

SELECT * FROM finish();
