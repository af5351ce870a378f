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
    ADD COLUMN updated_at timestamptz;
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
