-- revrec 0.2 -> 0.3: changes to what sql/schema creates once (tables,
-- columns, indexes, constraints), and objects 0.3 no longer has or whose
-- signature changed (CREATE OR REPLACE cannot change those).  Functions,
-- views, triggers and privileges are then re-created from sql/objects and
-- sql/privileges.sql.

-- settings: a cap on running export jobs per role; when the row last changed
-- (NULL only while it is as the install wrote it: a restore may then merge a
-- dumped row into it, see _settings_ins)
ALTER TABLE revrec.settings
    ADD COLUMN export_jobs_per_role integer NOT NULL DEFAULT 2 CHECK (export_jobs_per_role BETWEEN 0 AND 64),
    ADD COLUMN export_jobs_total integer NOT NULL DEFAULT 4 CHECK (export_jobs_total BETWEEN 0 AND 256),
    ADD COLUMN updated_at timestamptz;
-- export jobs: the login role that asked (the per-role cap counts by it)
ALTER TABLE revrec._export_job ADD COLUMN requested_by_session text NOT NULL DEFAULT session_user;
UPDATE revrec.settings SET updated_at = pg_catalog.now()
 WHERE (allocation_strategy, credit_note_mode, lock_date, lock_to_accounting_date, xero_tax_rate, xero_date_format,
        quickbooks_date_format, netsuite_date_format, netsuite_subsidiary, export_token_ttl)
       IS DISTINCT FROM ('daily_rate_even_months', 'cancel', NULL::date, false, 'No Tax', 'DD/MM/YYYY',
                         'MM/DD/YYYY', 'MM/DD/YYYY', NULL::text, '1 hour'::interval);

-- settings: the restore merge is now settings_ins (no revrec.restoring switch)
DROP TRIGGER settings_restore ON revrec.settings;
DROP FUNCTION revrec._settings_restore();
-- ledger accounts: one guard for every account (was system accounts only)
DROP TRIGGER protect_system_account ON revrec.ledger_account;
DROP FUNCTION revrec._protect_system_account();

-- constraints named by the rule they state (they were table_check, table_check1, ...)
ALTER TABLE revrec.billing_schedule_line RENAME CONSTRAINT billing_schedule_line_check TO billing_schedule_line_service_end_not_before_start;
ALTER TABLE revrec.credit_grant RENAME CONSTRAINT credit_grant_amount_check TO credit_grant_amount_positive;
ALTER TABLE revrec.credit_grant RENAME CONSTRAINT credit_grant_check TO credit_grant_expires_not_before_effective;
ALTER TABLE revrec.invoice_line RENAME CONSTRAINT invoice_line_ssp_check TO invoice_line_ssp_not_negative;
ALTER TABLE revrec.invoice_line RENAME CONSTRAINT invoice_line_check TO invoice_line_service_end_not_before_start;
ALTER TABLE revrec.invoice_line RENAME CONSTRAINT invoice_line_check1 TO invoice_line_discount_kinds_negative;
ALTER TABLE revrec.invoice_line RENAME CONSTRAINT invoice_line_check2 TO invoice_line_credit_usage_names_grant;
ALTER TABLE revrec.credit_note_line RENAME CONSTRAINT credit_note_line_amount_check TO credit_note_line_amount_positive;
ALTER TABLE revrec.credit_note_line RENAME CONSTRAINT credit_note_line_check TO credit_note_line_names_line_or_product;

-- Identifiers: never empty, at most 200 characters (they are index keys:
-- a longer one would fail deep inside an index, at commit).
ALTER TABLE revrec.customer ADD CONSTRAINT customer_id_not_empty_max_200
    CHECK (customer_id <> '' AND length(customer_id) <= 200);
ALTER TABLE revrec.product ADD CONSTRAINT product_id_not_empty_max_200
    CHECK (product_id <> '' AND length(product_id) <= 200);
ALTER TABLE revrec.invoice ADD CONSTRAINT invoice_ids_not_empty_max_200
    CHECK (invoice_id <> '' AND length(invoice_id) <= 200
           AND (invoice_number IS NULL OR (invoice_number <> '' AND length(invoice_number) <= 200)));
ALTER TABLE revrec.invoice_line ADD CONSTRAINT invoice_line_ids_not_empty_max_200
    CHECK (line_id <> '' AND length(line_id) <= 200 AND (group_id IS NULL OR (group_id <> '' AND length(group_id) <= 200)));
ALTER TABLE revrec.milestone ADD CONSTRAINT milestone_id_not_empty_max_200
    CHECK (milestone_id <> '' AND length(milestone_id) <= 200);
ALTER TABLE revrec.credit_note ADD CONSTRAINT credit_note_ids_not_empty_max_200
    CHECK (credit_note_id <> '' AND length(credit_note_id) <= 200
           AND (credit_note_number IS NULL OR (credit_note_number <> '' AND length(credit_note_number) <= 200)));
ALTER TABLE revrec.credit_note_line ADD CONSTRAINT credit_note_line_id_not_empty_max_200
    CHECK (credit_note_line_id <> '' AND length(credit_note_line_id) <= 200);
ALTER TABLE revrec.credit_grant ADD CONSTRAINT credit_grant_id_not_empty_max_200
    CHECK (grant_id <> '' AND length(grant_id) <= 200);
ALTER TABLE revrec.billing_schedule_line ADD CONSTRAINT schedule_line_id_not_empty_max_200
    CHECK (schedule_line_id <> '' AND length(schedule_line_id) <= 200);

-- (an existing duplicate number stops the upgrade here with the duplicate key
-- named: renumber or void one of the two documents, then update again)
-- Document numbers are unique: a sync that retries a document under a new
-- id cannot post it twice.
CREATE UNIQUE INDEX invoice_number_unique ON revrec.invoice (invoice_number);
CREATE UNIQUE INDEX credit_note_number_unique ON revrec.credit_note (credit_note_number);

-- the invoice engine inserts its postings itself (src/post_emit.c) and
-- returns how many: a new return type
DROP FUNCTION revrec._post_invoices(text[], text, date, boolean);
-- voids and billing schedule lines are posted in C (src/post_void.c, src/post_schedule.c)
DROP FUNCTION revrec._void_postings(text, text[], text[], date[], text[], date);
DROP FUNCTION revrec._flush_billing_schedules(revrec.settings, date);
DROP FUNCTION revrec._strategy_code(text);
-- usage and milestones arriving after their invoice posted: in C (src/post_usage.c, src/post_milestone.c)
DROP FUNCTION revrec._flush_usage(date, text[]);
DROP FUNCTION revrec._flush_milestones(date, text[]);
-- credit notes are posted in C (src/post_credit.c)
DROP FUNCTION revrec._flush_credit_notes(revrec.settings, date);
DROP FUNCTION revrec._group_balance(text, text, text, smallint, date, date);
DROP FUNCTION revrec._unfloored(revrec.posting);
-- Logical replication (sql/schema/97_replication.sql)
ALTER TABLE revrec.gl_account_map REPLICA IDENTITY FULL;
-- Issue 17 (GL files and the close): the Xero tax rate has no default (the
-- old default "No Tax" is not a rate Xero organisations have: a row carrying
-- it never imported), formula neutralization of text cells, the export log.
ALTER TABLE revrec.settings ALTER COLUMN xero_tax_rate DROP NOT NULL, ALTER COLUMN xero_tax_rate DROP DEFAULT;
UPDATE revrec.settings SET xero_tax_rate = NULL WHERE xero_tax_rate = 'No Tax';
ALTER TABLE revrec.settings ADD COLUMN export_neutralize_formulas boolean NOT NULL DEFAULT true;
CREATE TABLE revrec.export_log (
    export_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       text NOT NULL UNIQUE,
    exported_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    exported_by  text NOT NULL DEFAULT session_user,
    role         text NOT NULL,
    format       text NOT NULL,
    filters      jsonb NOT NULL,
    directory    text NOT NULL,
    files        text[] NOT NULL,
    manifest     text NOT NULL,
    "rows"       bigint NOT NULL,
    journals     bigint NOT NULL
);
COMMENT ON TABLE revrec.export_log IS
    'one row per export_to_files run: who, when, format, filters, files, rows, journals (written by revrec only)';
SELECT pg_catalog.pg_extension_config_dump('revrec.export_log', '');
SELECT pg_catalog.pg_extension_config_dump(pg_get_serial_sequence('revrec.export_log', 'export_id'), '');

-- issue 18: strategies of the systems users migrate from (odoo_*, erpnext_*),
-- each with a '+cumulative' day-spread variant; a strategy per product, per
-- invoice line and per billing schedule line (NULL: the next one up)
ALTER TABLE revrec.settings DROP CONSTRAINT settings_allocation_strategy_check,
    ADD CONSTRAINT settings_allocation_strategy_check CHECK (regexp_replace(allocation_strategy, '\+cumulative$', '') IN (
        'daily_rate_even_months', 'month_fraction_even_months', 'thirty_day_even_months', 'daily',
        'odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months'));
ALTER TABLE revrec.product ADD COLUMN allocation_strategy text
    CONSTRAINT product_allocation_strategy_known CHECK (regexp_replace(allocation_strategy, '\+cumulative$', '') IN (
        'daily_rate_even_months', 'month_fraction_even_months', 'thirty_day_even_months', 'daily',
        'odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months'));
ALTER TABLE revrec.billing_schedule_line ADD COLUMN allocation_strategy text
    CONSTRAINT billing_schedule_line_allocation_strategy_known CHECK (regexp_replace(allocation_strategy, '\+cumulative$', '') IN (
        'daily_rate_even_months', 'month_fraction_even_months', 'thirty_day_even_months', 'daily',
        'odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months'));
ALTER TABLE revrec.invoice_line ADD COLUMN allocation_strategy text
    CONSTRAINT invoice_line_allocation_strategy_known CHECK (regexp_replace(allocation_strategy, '\+cumulative$', '') IN (
        'daily_rate_even_months', 'month_fraction_even_months', 'thirty_day_even_months', 'daily',
        'odoo_month', 'odoo_full_months', 'odoo_day', 'erpnext_days', 'erpnext_months'));
-- the state every revrec trigger is meant to be in (sql/schema/36_restore_guard.sql)
CREATE TABLE revrec._trigger_state (
    relname text NOT NULL,
    tgname  text NOT NULL,
    state   "char" NOT NULL,
    PRIMARY KEY (relname, tgname)
);

-- sources (issue #20): attached billing systems, refused rows, what was mapped, the capture queue
CREATE TABLE revrec.source (
    kind          text PRIMARY KEY CONSTRAINT source_kind_known CHECK (kind IN ('stripe', 'killbill', 'lago')),
    source_schema text NOT NULL,
    options       jsonb NOT NULL DEFAULT '{}' CONSTRAINT source_options_object CHECK (jsonb_typeof(options) = 'object'),
    attached_at   timestamptz NOT NULL DEFAULT now(),
    attached_by   text NOT NULL DEFAULT session_user,
    synced_at     timestamptz
);

-- Source rows revrec refused: retried when the row changes, when revrec's
-- settings or the source's options change, and by sync_source().
CREATE TABLE revrec.source_error (
    source     text NOT NULL,
    document   text NOT NULL CHECK (document IN ('invoice', 'credit_note')),
    key        text NOT NULL,
    error      text NOT NULL,
    sqlstate   text NOT NULL,
    detail     text,
    hint       text,
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    attempts   integer NOT NULL DEFAULT 1,
    PRIMARY KEY (source, document, key)
);

-- What revrec last mapped of each source document (a digest of the source
-- row): an unchanged row delivered again is skipped without being read twice.
CREATE TABLE revrec._source_state (
    source    text NOT NULL,
    document  text NOT NULL,
    key       text NOT NULL,
    digest    text NOT NULL,
    mapped_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, document, key)
);

-- Which source wrote each revrec document (an invoice, the invoice of lines
-- added later <id>+<n>, a credit note): a source voids, adds to and credits
-- only its own documents, never those revrec_writer or another source wrote
-- under an id it knows.  Kept when the source is detached.
CREATE TABLE revrec._source_document (
    document text NOT NULL CHECK (document IN ('invoice', 'credit_note')),
    id       text NOT NULL,
    source   text NOT NULL,
    PRIMARY KEY (document, id)
);

-- Changes captured by the triggers on the source tables, mapped at the end
-- of the transaction that wrote them (or by sync_source()).
CREATE TABLE revrec._source_change (
    xid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
    source   text NOT NULL,
    document text NOT NULL,
    key      text NOT NULL
);
CREATE INDEX _source_change_xid ON revrec._source_change (xid);

-- One row per transaction that captured a change: its deferred trigger maps
-- them at commit.
CREATE TABLE revrec._source_flush (
    xid xid8 PRIMARY KEY
);

SELECT pg_catalog.pg_extension_config_dump('revrec.source', '');
SELECT pg_catalog.pg_extension_config_dump('revrec.source_error', '');
SELECT pg_catalog.pg_extension_config_dump('revrec._source_state', '');
SELECT pg_catalog.pg_extension_config_dump('revrec._source_document', '');
SELECT pg_catalog.pg_extension_config_dump('revrec._source_change', '');
